// `mdn train --target-transform` end to end (docs/TRAINING.md, "Target
// transforms"): on a lognormal target `log` beats `none` in held-out NLL;
// the model records the transform (info text and JSON, format version 4),
// predict/sample/eval answer in original units (quantiles bracket the rows,
// draws are positive); and bad input is refused before training with one
// message and exit status 2.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_harness.hpp"

namespace {

using mdn::test::run_mdn;
using mdn::test::TempDir;

// y = exp(1 + 0.8 x + (0.3 + 0.5 |x|) e): skewed and heteroscedastic.
std::string lognormal_csv(int rows, std::uint64_t seed, double shift = 0.0) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> ux(-1.0, 1.0);
  std::normal_distribution<double> e(0.0, 1.0);
  std::ostringstream out;
  out.precision(10);
  out << "x,y\n";
  for (int r = 0; r < rows; ++r) {
    const double x = ux(rng);
    out << x << "," << std::exp(1.0 + 0.8 * x + (0.3 + 0.5 * std::fabs(x)) * e(rng)) + shift << "\n";
  }
  return out.str();
}

class TargetTransformCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.write("train.csv", lognormal_csv(2000, 1));
    dir_.write("test.csv", lognormal_csv(2000, 2));
  }
  double held_out_nll(const std::string& transform) {
    const auto t = run_mdn(dir_, "train --data train.csv --target y --model " + transform +
                                     ".safetensors --epochs 60 --seed 3 --device cpu --quiet --target-transform " +
                                     transform);
    EXPECT_EQ(t.status, 0) << t.err;
    const auto e = run_mdn(dir_, "eval --model " + transform + ".safetensors --data test.csv --device cpu --json " +
                                     transform + ".json");
    EXPECT_EQ(e.status, 0) << e.err;
    return nlohmann::json::parse(dir_.read(transform + ".json"))["nll"].get<double>();
  }
  TempDir dir_;
};

TEST_F(TargetTransformCli, LogBeatsNoneOnALognormalTarget) {
  const double none = held_out_nll("none"), log = held_out_nll("log");
  EXPECT_LT(log, none - 0.01) << "none " << none << " log " << log;
  // The model says what it holds.
  const auto info = run_mdn(dir_, "info log.safetensors --json");
  ASSERT_EQ(info.status, 0) << info.err;
  const nlohmann::json j = nlohmann::json::parse(info.out);
  EXPECT_EQ(j["format_version"], 4);
  EXPECT_EQ(j["targets"][0]["transform"], "log");
  const auto text = run_mdn(dir_, "info log.safetensors");
  EXPECT_NE(text.out.find("target transform: y: log"), std::string::npos) << text.out;
  // A model without a transform stays format 2 and says none.
  const nlohmann::json jn = nlohmann::json::parse(run_mdn(dir_, "info none.safetensors --json").out);
  EXPECT_EQ(jn["format_version"], 2);
  EXPECT_EQ(jn["targets"][0]["transform"], "none");
}

TEST_F(TargetTransformCli, OutputsAreInOriginalUnits) {
  ASSERT_EQ(run_mdn(dir_, "train --data train.csv --target y --model m.safetensors --epochs 30 --device cpu --quiet "
                          "--target-transform auto")
                .status,
            0);
  const auto p = run_mdn(dir_, "predict --model m.safetensors --data test.csv --out p.csv --quantiles 0.05,0.95 "
                               "--device cpu");
  ASSERT_EQ(p.status, 0) << p.err;
  const auto s = run_mdn(dir_, "sample --model m.safetensors --data test.csv --samples 20 --out s.csv --device cpu");
  ASSERT_EQ(s.status, 0) << s.err;
  // Every draw of a log-modelled target is positive, and the 90 % intervals
  // hold about 90 % of the held-out rows.
  std::istringstream draws(dir_.read("s.csv"));
  std::string line;
  std::getline(draws, line);
  int negative = 0;
  while (std::getline(draws, line)) negative += std::stod(line.substr(line.rfind(',') + 1)) <= 0.0;
  EXPECT_EQ(negative, 0);
  std::istringstream pred(dir_.read("p.csv")), data(dir_.read("test.csv"));
  std::string header, dline;
  std::getline(pred, header);
  std::getline(data, dline);
  const int lo_col = [&] { int i = 0; std::istringstream h(header); for (std::string c; std::getline(h, c, ','); ++i) if (c.find("q0.05") != std::string::npos) return i; return -1; }();
  ASSERT_GE(lo_col, 0) << header;
  int inside = 0, rows = 0;
  while (std::getline(pred, line) && std::getline(data, dline)) {
    std::istringstream l(line);
    std::vector<double> cells;
    for (std::string c; std::getline(l, c, ',');) cells.push_back(std::stod(c));
    const double y = std::stod(dline.substr(dline.find(',') + 1));
    inside += y >= cells[std::size_t(lo_col)] && y <= cells[std::size_t(lo_col) + 1];
    ++rows;
  }
  EXPECT_NEAR(double(inside) / rows, 0.9, 0.04);
}

TEST_F(TargetTransformCli, LogOnNonPositiveTargetNamesColumnAndSmallest) {
  dir_.write("shifted.csv", lognormal_csv(300, 4, -2.5));
  const auto r = run_mdn(dir_, "train --data shifted.csv --target y --model bad.safetensors --device cpu "
                               "--target-transform log");
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("'y'"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("(smallest -"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("epoch"), std::string::npos) << "it trained first: " << r.err;
  EXPECT_FALSE(dir_.exists("bad.safetensors"));
}

TEST_F(TargetTransformCli, BadValuesAreUsageErrors) {
  const auto typo = run_mdn(dir_, "train --data train.csv --target y --model bad.safetensors --target-transform lgo");
  EXPECT_EQ(typo.status, 2) << typo.err;
  EXPECT_NE(typo.err.find("--target-transform"), std::string::npos) << typo.err;
  EXPECT_NE(typo.err.find("did you mean log?"), std::string::npos) << typo.err;
  const auto count =
      run_mdn(dir_, "train --data train.csv --target y --model bad.safetensors --target-transform log,none");
  EXPECT_EQ(count.status, 2) << count.err;
  EXPECT_NE(count.err.find("2 values for 1 --target"), std::string::npos) << count.err;
  EXPECT_FALSE(dir_.exists("bad.safetensors"));
}

TEST_F(TargetTransformCli, GriddedTargetsRefuseATransform) {
  std::string grid = "x,y\n";
  for (int r = 0; r < 60; ++r) grid += std::to_string(r * 0.01) + "," + std::to_string(1 + r % 9) + "\n";
  dir_.write("grid.csv", grid);
  const auto r = run_mdn(dir_, "train --data grid.csv --target y --features x --quantised --model bad.safetensors "
                               "--device cpu --target-transform log");
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("not supported with gridded targets (--quantised)"), std::string::npos) << r.err;
  EXPECT_FALSE(dir_.exists("bad.safetensors"));
}

TEST_F(TargetTransformCli, FullCovarianceRefusesATransform) {
  std::string two = "x,y1,y2\n";
  for (int r = 0; r < 40; ++r) two += std::to_string(r * 0.1) + "," + std::to_string(1 + r) + "," + std::to_string(2 + r % 7) + "\n";
  dir_.write("two.csv", two);
  const auto r = run_mdn(dir_, "train --data two.csv --target y1,y2 --features x --covariance full --model bad.safetensors "
                               "--device cpu --target-transform log");
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("--target-transform is not supported for full covariance"), std::string::npos) << r.err;
  EXPECT_FALSE(dir_.exists("bad.safetensors"));
}

}  // namespace
