// `mdn train`, `predict`, `sample` and `eval` on data far from 0, end to end:
// a timestamp feature (1.7e9 + U(0, 100) s) and a target at 1e6 whose noise is
// 0.05. The predictive std must be the noise, not the float rounding of the
// offset; it must equal the std of the printed mixture (--params, computed
// here in double, centred); and the timestamp must carry its information
// (the mean follows sin(6 u)).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "cli_harness.hpp"

namespace {

using mdn::test::run_mdn;
using mdn::test::TempDir;

constexpr double kTimestamp = 1.7e9, kOffset = 1e6, kNoise = 0.05;

std::vector<std::vector<double>> read_numbers(const std::string& text, std::vector<std::string>& header) {
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  header.clear();
  std::istringstream h(line);
  for (std::string name; std::getline(h, name, ',');) header.push_back(name);
  std::vector<std::vector<double>> rows;
  while (std::getline(in, line)) {
    std::vector<double> row;
    std::istringstream cells(line);
    for (std::string cell; std::getline(cells, cell, ',');) row.push_back(std::stod(cell));
    rows.push_back(row);
  }
  return rows;
}

int column(const std::vector<std::string>& header, const std::string& name) {
  for (std::size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return int(i);
  ADD_FAILURE() << "no column " << name;
  return 0;
}

// Writes NAME.csv: time = 1.7e9 + 100 u, y = offset + sin(6 u) + 0.05 N(0, 1),
// 2000 rows; returns the u of each row.
std::vector<double> write_data(const TempDir& dir, const std::string& name, double offset) {
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::normal_distribution<double> noise(0.0, kNoise);
  std::vector<double> u;
  std::string csv = "time,y\n";
  char line[96];
  for (int r = 0; r < 2000; ++r) {
    u.push_back(unit(rng));
    std::snprintf(line, sizeof line, "%.17g,%.17g\n", kTimestamp + 100.0 * u.back(),
                  offset + std::sin(6.0 * u.back()) + noise(rng));
    csv += line;
  }
  dir.write(name + ".csv", csv);
  return u;
}

class LargeOffsetCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    u_ = write_data(*dir_, "off", kOffset);
    const auto r =
        run_mdn(*dir_, "train --data off.csv --target y --model m.safetensors --seed 1 --device cpu --quiet");
    ASSERT_EQ(r.status, 0) << r.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static TempDir* dir_;
  static std::vector<double> u_;
};
TempDir* LargeOffsetCli::dir_ = nullptr;
std::vector<double> LargeOffsetCli::u_;

class LargeOffsetCliPredict : public ::testing::TestWithParam<double> {};

TEST_P(LargeOffsetCliPredict, PredictiveStdIsTheNoiseAndTheMixturesStd) {
  const double offset = GetParam();
  const TempDir dir;
  const std::vector<double> u = write_data(dir, "off", offset);
  auto r = run_mdn(dir, "train --data off.csv --target y --model m.safetensors --seed 1 --device cpu --quiet");
  ASSERT_EQ(r.status, 0) << r.err;
  r = run_mdn(dir, "predict --model m.safetensors --data off.csv --out p.csv --params --device cpu --quiet");
  ASSERT_EQ(r.status, 0) << r.err;
  std::vector<std::string> header;
  const auto rows = read_numbers(dir.read("p.csv"), header);
  ASSERT_EQ(rows.size(), u.size());
  const int mean_col = column(header, "y_mean"), std_col = column(header, "y_std");
  int K = 0;
  for (const std::string& name : header) K += name.rfind("alpha_", 0) == 0;
  ASSERT_GT(K, 1);
  double std_sum = 0.0, squared_error = 0.0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const auto& row = rows[i];
    // The printed mixture's std, in double and centred, with normalised weights.
    double w = 0.0, m = 0.0;
    for (int k = 1; k <= K; ++k) {
      const double a = row[column(header, "alpha_" + std::to_string(k))];
      w += a;
      m += a * row[column(header, "mu_" + std::to_string(k) + "_y")];
    }
    m /= w;
    double v = 0.0;
    for (int k = 1; k <= K; ++k) {
      const double a = row[column(header, "alpha_" + std::to_string(k))];
      const double mu = row[column(header, "mu_" + std::to_string(k) + "_y")];
      const double s = row[column(header, "sigma_" + std::to_string(k) + "_y")];
      v += a * (s * s + (mu - m) * (mu - m));
    }
    const double want = std::sqrt(v / w);
    ASSERT_NEAR(row[std_col], want, 1e-3 * want) << "offset " << offset << " row " << i;
    ASSERT_NEAR(row[mean_col], m, 1e-3 * want) << "offset " << offset << " row " << i;
    std_sum += row[std_col];
    const double truth = offset + std::sin(6.0 * u[i]);
    squared_error += (row[mean_col] - truth) * (row[mean_col] - truth);
  }
  // The noise is 0.05 everywhere; a collapsed timestamp leaves the sine's
  // spread (~0.7) in the std and in the error of the mean.
  const double mean_std = std_sum / double(rows.size());
  EXPECT_GT(mean_std, 0.7 * kNoise) << "offset " << offset;
  EXPECT_LT(mean_std, 1.4 * kNoise) << "offset " << offset;
  EXPECT_LT(std::sqrt(squared_error / double(rows.size())), 0.5 * kNoise) << "offset " << offset;
}

INSTANTIATE_TEST_SUITE_P(TargetMeans, LargeOffsetCliPredict, ::testing::Values(0.0, 1e4, 1e6, 1e9));

TEST_F(LargeOffsetCli, SamplesAndEvalKeepTheSpread) {
  auto r = run_mdn(
      *dir_, "sample --model m.safetensors --data off.csv --samples 20 --seed 3 --out s.csv --device cpu --quiet");
  ASSERT_EQ(r.status, 0) << r.err;
  std::vector<std::string> header;
  const auto draws = read_numbers(dir_->read("s.csv"), header);
  ASSERT_EQ(draws.size(), u_.size() * 20);
  double squares = 0.0;
  for (const auto& d : draws) {
    const double e = d[2] - (kOffset + std::sin(6.0 * u_[std::size_t(d[0])]));
    squares += e * e;
  }
  // Draws around the truth: noise 0.05 plus the model's error, not float's 0.0625 steps.
  const double spread = std::sqrt(squares / double(draws.size()));
  EXPECT_GT(spread, 0.7 * kNoise);
  EXPECT_LT(spread, 1.6 * kNoise);

  r = run_mdn(*dir_, "eval --model m.safetensors --data off.csv --json e.json --device cpu");
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string json = dir_->read("e.json");
  const auto value = [&](const std::string& key) {
    const std::size_t at = json.find("\"" + key + "\":");
    EXPECT_NE(at, std::string::npos) << key;
    return at == std::string::npos ? NAN : std::stod(json.substr(at + key.size() + 3));
  };
  EXPECT_GT(value("mean_predictive_std"), 0.7 * kNoise);
  EXPECT_LT(value("mean_predictive_std"), 1.4 * kNoise);
  EXPECT_LT(value("crps"), kNoise);  // a sharp, centred forecast: ~0.56 sigma
  // NLL of N(., 0.05) is about -1.38 nats; with float rounding of the offset it is far worse.
  EXPECT_LT(value("nll"), -1.0);
}

}  // namespace
