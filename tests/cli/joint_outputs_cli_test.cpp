// `mdn predict --modes` on full-covariance models and `--correlation`
// (issue 30) end to end: the columns and their names, their values against
// the library's mixture_modes / predictive_correlation on the same rows,
// and the refusals (one target, several transformed targets): one message
// naming the option, exit 2, no output file.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "cli_harness.hpp"
#include "correlated_csv.hpp"
#include "mdn/inference.hpp"
#include "mdn/model_io.hpp"
#include "mdn/predictive.hpp"

namespace {

using mdn::test::run_mdn;
using mdn::test::TempDir;

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Every cell of a CSV text (empty cells kept, no quoting).
std::vector<std::vector<std::string>> cells(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t end = text.find('\n', at);
    const std::string line = text.substr(at, end - at);
    std::vector<std::string> row;
    for (std::size_t p = 0;;) {
      const std::size_t c = line.find(',', p);
      row.push_back(line.substr(p, c == std::string::npos ? std::string::npos : c - p));
      if (c == std::string::npos) break;
      p = c + 1;
    }
    rows.push_back(row);
    at = end == std::string::npos ? text.size() : end + 1;
  }
  return rows;
}

int column(const std::vector<std::string>& header, const std::string& name) {
  const auto it = std::find(header.begin(), header.end(), name);
  return it == header.end() ? -1 : int(it - header.begin());
}

// The x column of a correlated_csv text.
mdn::MatrixD features(const std::string& text) {
  const auto rows = cells(text);
  mdn::MatrixD x(int(rows.size()) - 1, 1);
  for (std::size_t r = 1; r < rows.size(); ++r) x(int(r) - 1, 0) = std::stod(rows[r][0]);
  return x;
}

mdn::MixtureBatch library_mixtures(const TempDir& dir, const std::string& model_file, const std::string& data) {
  const mdn::Model model = mdn::load_model(dir.file(model_file));
  const auto backend = mdn::make_backend(mdn::DeviceKind::Cpu, model);
  return mdn::predict_mixtures(*backend, model, features(data));
}

void expect_close(const std::string& cell, double want, const std::string& what) {
  ASSERT_FALSE(cell.empty()) << what;
  EXPECT_NEAR(std::stod(cell), want, 1e-9 * (1.0 + std::fabs(want))) << what;
}

class JointOutputsCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    dir_->write("train.csv", mdn::test::correlated_csv(1500, 1));
    dir_->write("test.csv", mdn::test::correlated_csv(60, 2));
    const auto r = run_mdn(*dir_,
                           "train --data train.csv --target y1,y2 --model full.safetensors --covariance full "
                           "--components 3 --hidden 16 --epochs 15 --device cpu --quiet --seed 3");
    ASSERT_EQ(r.status, 0) << r.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static TempDir* dir_;
};
TempDir* JointOutputsCli::dir_ = nullptr;

TEST_F(JointOutputsCli, FullModelModesAndCorrelationAgreeWithTheLibrary) {
  const TempDir& dir = *dir_;
  const auto p = run_mdn(dir, "predict --model full.safetensors --data test.csv --modes --correlation --out p.csv "
                              "--device cpu --quiet");
  ASSERT_EQ(p.status, 0) << p.err;
  const auto rows = cells(dir.read("p.csv"));
  const std::vector<std::string>& header = rows[0];
  const int corr = column(header, "corr_y1_y2");
  ASSERT_GE(corr, 0) << dir.read("p.csv").substr(0, 300);
  EXPECT_EQ(header[std::size_t(corr) - 1], "y2_q0.95");  // right after the per-target columns
  for (int i = 1; i <= 3; ++i)
    for (const char* name : {"_y1", "_y2", "_density"})
      EXPECT_GE(column(header, "mode" + std::to_string(i) + name), 0) << "mode" << i << name;

  const mdn::MixtureBatch mix = library_mixtures(dir, "full.safetensors", dir.read("test.csv"));
  ASSERT_EQ(mix.rows, int(rows.size()) - 1);  // and the header
  ASSERT_TRUE(mix.full_covariance());
  const std::vector<double> rho = mdn::predictive_correlation(mix);
  const auto modes = mdn::predictive_modes(mix);
  double mean_rho = 0.0;
  for (int r = 0; r < mix.rows; ++r) {
    const std::vector<std::string>& row = rows[std::size_t(r) + 1];
    ASSERT_EQ(row.size(), header.size()) << "row " << r;
    expect_close(row[std::size_t(corr)], rho[std::size_t(r) * 4 + 1], "corr, row " + std::to_string(r));
    mean_rho += rho[std::size_t(r) * 4 + 1] / mix.rows;
    for (int i = 0; i < 3; ++i) {
      const std::string at = " mode " + std::to_string(i + 1) + ", row " + std::to_string(r);
      const std::size_t c = std::size_t(column(header, "mode" + std::to_string(i + 1) + "_y1"));
      if (i >= int(modes[std::size_t(r)].size())) {
        EXPECT_EQ(row[c] + row[c + 1] + row[c + 2], "") << at;
        continue;
      }
      const mdn::Mode& m = modes[std::size_t(r)][std::size_t(i)];
      expect_close(row[c], m.location[0], "y1" + at);
      expect_close(row[c + 1], m.location[1], "y2" + at);
      expect_close(row[c + 2], m.density, "density" + at);
    }
  }
  // y2 = y1 + 0.1 n with y1's noise 0.5: the targets' correlation given x is 0.98.
  EXPECT_GT(mean_rho, 0.8);
}

TEST_F(JointOutputsCli, CorrelationNeedsTwoTargets) {
  const TempDir& dir = *dir_;
  for (const std::string& args : {std::string("--given y1=0.5"), std::string("--given y2=0")}) {
    const auto r = run_mdn(dir, "predict --model full.safetensors --data test.csv --correlation --out c.csv "
                                "--device cpu --quiet " + args);
    EXPECT_EQ(r.status, 2) << args << "\n" << r.err;
    EXPECT_TRUE(has(r.err, "--correlation")) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
    EXPECT_FALSE(dir.exists("c.csv"));
  }
  // --modes with one target left is that target's conditional modes: fine.
  const auto m = run_mdn(dir, "predict --model full.safetensors --data test.csv --modes --given y1=0.5 --out m.csv "
                              "--device cpu --quiet");
  EXPECT_EQ(m.status, 0) << m.err;
  EXPECT_TRUE(has(dir.read("m.csv"), "mode1_y2,mode1_density")) << dir.read("m.csv").substr(0, 200);
}

TEST(JointOutputsCliOneTarget, CorrelationOnAOneTargetModelIsRefused) {
  TempDir dir;
  dir.write("d.csv", mdn::test::correlated_csv(200, 5));
  const auto t = run_mdn(dir, "train --data d.csv --target y1 --features x --model one.safetensors --components 2 "
                              "--hidden 8 --epochs 2 --device cpu --quiet");
  ASSERT_EQ(t.status, 0) << t.err;
  const auto r = run_mdn(dir, "predict --model one.safetensors --data d.csv --correlation --out c.csv --device cpu");
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_TRUE(has(r.err, "--correlation needs at least two targets")) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(dir.exists("c.csv"));
}

TEST(JointOutputsCliTransformed, CorrelationThroughALogTransformAndModesRefused) {
  // Positive targets (3 + sin x + 0.3 n, and that + 0.1 n) through a log transform.
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(-2.0, 2.0);
  std::normal_distribution<double> n;
  std::string text = "x,y1,y2\n";
  for (int r = 0; r < 800; ++r) {
    const double x = u(rng), a = 3.0 + std::sin(x) + 0.3 * n(rng), b = a + 0.1 * n(rng);
    char line[96];
    std::snprintf(line, sizeof line, "%.9g,%.9g,%.9g\n", x, a, b);
    text += line;
  }
  TempDir dir;
  dir.write("d.csv", text);
  const auto t = run_mdn(dir, "train --data d.csv --target y1,y2 --model log.safetensors --target-transform log "
                              "--components 2 --hidden 8 --epochs 5 --device cpu --quiet --seed 2");
  ASSERT_EQ(t.status, 0) << t.err;
  const auto m = run_mdn(dir, "predict --model log.safetensors --data d.csv --modes --out m.csv --device cpu");
  EXPECT_EQ(m.status, 2) << m.err;
  EXPECT_TRUE(has(m.err, "--modes")) << m.err;
  EXPECT_TRUE(has(m.err, "target transform")) << m.err;
  EXPECT_EQ(std::count(m.err.begin(), m.err.end(), '\n'), 1) << m.err;
  EXPECT_FALSE(dir.exists("m.csv"));

  const auto c = run_mdn(dir, "predict --model log.safetensors --data d.csv --correlation --quantiles '' --out c.csv "
                              "--device cpu --quiet");
  ASSERT_EQ(c.status, 0) << c.err;
  const auto rows = cells(dir.read("c.csv"));
  ASSERT_EQ(rows[0].back(), "corr_y1_y2");
  const mdn::MixtureBatch mix = library_mixtures(dir, "log.safetensors", text);
  ASSERT_TRUE(mix.transformed());
  const std::vector<double> rho = mdn::predictive_correlation(mix);
  for (int r = 0; r < mix.rows; r += 37)
    expect_close(rows[std::size_t(r) + 1].back(), rho[std::size_t(r) * 4 + 1], "row " + std::to_string(r));
}

}  // namespace
