// `mdn predict --given` / `mdn sample --given` (issue 30): the conditional
// distribution of the other targets given observed values of some. On
// weight = height + 0.1 n the conditional of weight given height = v sits
// at v with a spread near 0.1, where the marginal spreads over 0.5 (full
// covariance; diagonal components can only move towards v, through their
// weights); bad
// --given values are one message naming the option, exit 2, no output.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "cli_harness.hpp"
#include "correlated_csv.hpp"

namespace {

using mdn::test::run_mdn;
using mdn::test::TempDir;

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// height = sin(x) + 0.5 n0, weight = height + 0.1 n1.
std::string correlated_csv(int rows, unsigned seed) { return mdn::test::correlated_csv(rows, seed, "height", "weight"); }

// Column `col` of every data line of a CSV text.
std::vector<double> column(const std::string& csv, int col) {
  std::istringstream in(csv);
  std::string line;
  std::getline(in, line);
  std::vector<double> v;
  while (std::getline(in, line)) {
    std::istringstream cells(line);
    std::string cell;
    for (int c = 0; c <= col; ++c) std::getline(cells, cell, ',');
    v.push_back(std::stod(cell));
  }
  return v;
}

class GivenCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    dir_->write("train.csv", correlated_csv(2000, 1));
    dir_->write("rows.csv", "x\n-1\n-0.5\n0\n0.3\n0.6\n");
    for (const char* c : {"diagonal", "full"}) {
      const auto r = run_mdn(*dir_, std::string("train --data train.csv --target height,weight --model ") + c +
                                        ".safetensors --covariance " + c +
                                        " --components 3 --hidden 16 --epochs 20 --device cpu --quiet --seed 2");
      ASSERT_EQ(r.status, 0) << r.err;
    }
  }
  static void TearDownTestSuite() { delete dir_; }
  static TempDir* dir_;
};
TempDir* GivenCli::dir_ = nullptr;

TEST_F(GivenCli, TheConditionalFollowsTheObservedTarget) {
  for (const char* c : {"full", "diagonal"}) {
    const std::string model = std::string(c) + ".safetensors";
    const auto m = run_mdn(*dir_, "predict --model " + model + " --data rows.csv --out m.csv --device cpu --quiet");
    ASSERT_EQ(m.status, 0) << m.err;
    const std::vector<double> marginal_mean = column(dir_->read("m.csv"), 5);  // weight_mean
    const std::vector<double> marginal_std = column(dir_->read("m.csv"), 6);    // weight_std
    for (const double v : {-0.6, 0.4}) {
      char given[64];
      std::snprintf(given, sizeof given, "height=%g", v);
      const auto r = run_mdn(*dir_, "predict --model " + model + " --data rows.csv --out g.csv --device cpu --quiet "
                                    "--interval 0.9 --given " + given);
      ASSERT_EQ(r.status, 0) << r.err;
      const std::string out = dir_->read("g.csv");
      ASSERT_TRUE(out.rfind("weight_mean,weight_std,weight_q0.05,weight_q0.5,weight_q0.95,weight_lo,weight_hi\n", 0) ==
                  0)
          << out.substr(0, 200);
      const std::vector<double> mean = column(out, 0), sd = column(out, 1);
      ASSERT_EQ(mean.size(), 5u);
      for (std::size_t i = 0; i < mean.size(); ++i) {
        // The truth: weight | height = v is N(v, 0.1^2), whatever x is. A
        // full component can say so; diagonal ones only through their
        // weights, so their conditional is wider.
        if (std::string(c) == "full") {
          EXPECT_NEAR(mean[i], v, 0.1) << c << " row " << i << " given " << v;
          EXPECT_LT(sd[i], 0.25) << c << " row " << i;
          EXPECT_LT(sd[i], 0.5 * marginal_std[i]) << c << " row " << i;
        } else {
          EXPECT_LT(std::fabs(mean[i] - v), std::fabs(marginal_mean[i] - v)) << c << " row " << i << " given " << v;
        }
      }
    }
  }
  // Draws of weight given height: one target column, centred on the value.
  const auto s = run_mdn(*dir_, "sample --model full.safetensors --data rows.csv --samples 400 --given height=0.4 "
                                "--out s.csv --device cpu --quiet");
  ASSERT_EQ(s.status, 0) << s.err;
  const std::string draws = dir_->read("s.csv");
  ASSERT_TRUE(draws.rfind("row,sample,weight\n", 0) == 0) << draws.substr(0, 100);
  const std::vector<double> w = column(draws, 2);
  ASSERT_EQ(w.size(), 2000u);
  double sum = 0.0;
  for (double v : w) sum += v;
  EXPECT_NEAR(sum / double(w.size()), 0.4, 0.08);
}

// --given-data: one row of observed values per input row. A file of one
// value in every row gives --given's output byte for byte; values that
// differ by row move each row's conditional with them.
TEST_F(GivenCli, GivenDataConditionsEveryRowOnItsOwnValues) {
  dir_->write("same.csv", "height\n0.4\n0.4\n0.4\n0.4\n0.4\n");
  const auto a = run_mdn(*dir_, "predict --model full.safetensors --data rows.csv --out a.csv --device cpu --quiet "
                                "--given height=0.4");
  const auto b = run_mdn(*dir_, "predict --model full.safetensors --data rows.csv --out b.csv --device cpu --quiet "
                                "--given-data same.csv");
  ASSERT_EQ(a.status, 0) << a.err;
  ASSERT_EQ(b.status, 0) << b.err;
  EXPECT_EQ(dir_->read("a.csv"), dir_->read("b.csv"));
  const std::vector<double> v{-0.8, -0.3, 0.1, 0.5, 0.9};
  std::string text = "ignored,height\n";
  for (double h : v) text += "7," + std::to_string(h) + "\n";
  dir_->write("each.csv", text);
  const auto c = run_mdn(*dir_, "predict --model full.safetensors --data rows.csv --out c.csv --device cpu --quiet "
                                "--given-data each.csv");
  ASSERT_EQ(c.status, 0) << c.err;
  const std::vector<double> mean = column(dir_->read("c.csv"), 0);
  ASSERT_EQ(mean.size(), v.size());
  for (std::size_t i = 0; i < v.size(); ++i) EXPECT_NEAR(mean[i], v[i], 0.12) << "row " << i;
  const auto s = run_mdn(*dir_, "sample --model full.safetensors --data rows.csv --samples 300 --out s.csv "
                                "--device cpu --quiet --given-data each.csv");
  ASSERT_EQ(s.status, 0) << s.err;
  const std::string draws = dir_->read("s.csv");
  const std::vector<double> row = column(draws, 0), w = column(draws, 2);
  std::vector<double> sum(v.size(), 0.0);
  for (std::size_t i = 0; i < w.size(); ++i) sum[std::size_t(row[i])] += w[i] / 300.0;
  for (std::size_t i = 0; i < v.size(); ++i) EXPECT_NEAR(sum[i], v[i], 0.12) << "row " << i;
}

TEST_F(GivenCli, BadGivenDataIsOneMessageAndNoOutput) {
  dir_->write("short.csv", "height\n1\n2\n");
  dir_->write("long.csv", "height\n1\n2\n3\n4\n5\n6\n");
  dir_->write("none.csv", "x\n1\n2\n3\n4\n5\n");
  dir_->write("both.csv", "height,weight\n1,1\n2,2\n3,3\n4,4\n5,5\n");
  dir_->write("text.csv", "height\n1\n2\nabc\n4\n5\n");
  const struct {
    const char* args;
    const char* message;
  } cases[] = {
      {"--given-data short.csv", "has 2 rows, fewer than the input"},
      {"--given-data long.csv", "has 6 rows, but the input has 5"},
      {"--given-data none.csv", "no column named after a target"},
      {"--given-data both.csv", "nothing is left to predict"},
      {"--given-data text.csv", "line 4"},
      {"--given-data short.csv --given height=1", "use one or the other"},
      {"--given-data short.csv --drop-invalid", "--drop-invalid"},
  };
  for (const auto& c : cases) {
    const auto r = run_mdn(*dir_, std::string("predict --model full.safetensors --data rows.csv --out bad.csv "
                                              "--device cpu ") + c.args);
    EXPECT_NE(r.status, 0) << c.args;
    EXPECT_TRUE(has(r.err, c.message)) << c.args << ": " << r.err;
    EXPECT_TRUE(has(r.err, "given")) << c.args << ": " << r.err;
    EXPECT_FALSE(dir_->exists("bad.csv")) << c.args;
  }
}

TEST_F(GivenCli, BadGivenValuesAreOneMessageAndNoOutput) {
  const struct {
    const char* given;
    const char* message;
  } cases[] = {
      {"hieght=1", "did you mean 'height'"},
      {"x=1", "'x' is not a target of this model (targets: height, weight)"},
      {"height=abc", "the value of 'height' is not a finite number"},
      {"height", "is not NAME=VALUE"},
      {"height=1,weight=2", "every target of the model is given"},
      {"height=1,height=2", "given twice"},
  };
  for (const auto& c : cases) {
    for (const char* command : {"predict", "sample --samples 2"}) {
      const auto r = run_mdn(*dir_, std::string(command) + " --model full.safetensors --data rows.csv --out bad.csv "
                                                             "--device cpu --given " + c.given);
      EXPECT_EQ(r.status, 2) << command << " " << c.given << ": " << r.err;
      EXPECT_TRUE(has(r.err, "--given")) << r.err;
      EXPECT_TRUE(has(r.err, c.message)) << c.given << ": " << r.err;
      EXPECT_FALSE(dir_->exists("bad.csv")) << command << " " << c.given;
    }
  }
}

}  // namespace
