// Recalibration end to end (docs/PREDICT.md, "Recalibration"): `mdn
// calibrate` refits the PIT map on rows whose distribution moved away from
// training, and then every output follows the map — eval scores it better
// than the network alone (before -> after in the JSON), predict's quantile
// intervals cover the moved rows, and samples agree with predict's mean.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_harness.hpp"
#include "hetero_csv.hpp"

namespace {

using mdn::test::hetero_csv;
using mdn::test::run_mdn;
using mdn::test::TempDir;

// The numeric columns of a CSV with a header: name -> values.
std::vector<double> column(const std::string& text, const std::string& name) {
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  std::istringstream h(line);
  int index = -1, i = 0;
  for (std::string cell; std::getline(h, cell, ','); ++i)
    if (cell == name) index = i;
  EXPECT_GE(index, 0) << name;
  std::vector<double> out;
  while (std::getline(in, line)) {
    std::istringstream l(line);
    std::string cell;
    for (int c = 0; c <= index; ++c) std::getline(l, cell, ',');
    out.push_back(std::stod(cell));
  }
  return out;
}

class RecalibrationCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.write("train.csv", hetero_csv(3000, 1, 0.0));
    dir_.write("cal.csv", hetero_csv(1500, 2, 0.4));  // the world moved by 0.4
    dir_.write("test.csv", hetero_csv(2000, 3, 0.4));
    const auto r =
        run_mdn(dir_, "train --data train.csv --target y --model m.safetensors --epochs 20 --device cpu --quiet");
    ASSERT_EQ(r.status, 0) << r.err;
  }
  TempDir dir_;
};

TEST_F(RecalibrationCli, CalibrateRefitsTheMapAndEveryOutputFollowsIt) {
  const auto c = run_mdn(dir_, "calibrate --model m.safetensors --data cal.csv --out m2.safetensors --device cpu");
  ASSERT_EQ(c.status, 0) << c.err;
  EXPECT_NE(c.err.find("recalibration: PIT map of"), std::string::npos) << c.err;
  const auto info = run_mdn(dir_, "info m2.safetensors --json");
  ASSERT_EQ(info.status, 0) << info.err;
  const nlohmann::json j = nlohmann::json::parse(info.out);
  ASSERT_TRUE(j["recalibration"].is_object()) << info.out;
  EXPECT_EQ(j["recalibration"]["rows"], 1500);
  EXPECT_GT(j["recalibration"]["knots"][0].size(), 2u);  // not the identity: the rows moved

  // Eval on rows that moved the same way: better than the network alone.
  const auto e = run_mdn(dir_, "eval --model m2.safetensors --data test.csv --device cpu --json e.json");
  ASSERT_EQ(e.status, 0) << e.err;
  const nlohmann::json ej = nlohmann::json::parse(dir_.read("e.json"));
  ASSERT_TRUE(ej.contains("before_calibration")) << dir_.read("e.json");
  const nlohmann::json& before = ej["before_calibration"];
  EXPECT_LT(ej["nll"].get<double>(), before["nll"].get<double>() - 0.05);
  const double gap_after = ej["targets"][0]["calibration"]["mean_abs_error"];
  const double gap_before = before["targets"][0]["calibration"]["mean_abs_error"];
  EXPECT_LT(gap_after, 0.03);
  EXPECT_GT(gap_before, 2 * gap_after);
  EXPECT_LT(ej["targets"][0]["crps"].get<double>(), before["targets"][0]["crps"].get<double>());

  // Predict: the 5-95 % quantiles cover about 90 % of the moved rows.
  const auto p = run_mdn(dir_, "predict --model m2.safetensors --data test.csv --out p.csv --quantiles 0.05,0.95 "
                               "--device cpu --quiet");
  ASSERT_EQ(p.status, 0) << p.err;
  const std::string pred = dir_.read("p.csv"), truth = dir_.read("test.csv");
  const std::vector<double> lo = column(pred, "y_q0.05"), hi = column(pred, "y_q0.95"), y = column(truth, "y");
  ASSERT_EQ(lo.size(), y.size());
  int inside = 0;
  for (std::size_t r = 0; r < y.size(); ++r) inside += lo[r] <= y[r] && y[r] <= hi[r];
  EXPECT_NEAR(double(inside) / double(y.size()), 0.9, 0.03);

  // Samples agree with predict's mean (200 draws a row: the mean of the
  // row-wise differences is within a few standard errors of 0).
  const auto s = run_mdn(dir_, "sample --model m2.safetensors --data test.csv --samples 200 --out s.csv --device cpu "
                               "--quiet");
  ASSERT_EQ(s.status, 0) << s.err;
  const std::vector<double> draws = column(dir_.read("s.csv"), "y"), mean = column(pred, "y_mean"),
                            sd = column(pred, "y_std");
  ASSERT_EQ(draws.size(), 200 * mean.size());
  double z = 0.0;
  for (std::size_t r = 0; r < mean.size(); ++r) {
    double m = 0.0;
    for (int k = 0; k < 200; ++k) m += draws[r * 200 + std::size_t(k)];
    z += (m / 200 - mean[r]) / (sd[r] / std::sqrt(200.0));
  }
  EXPECT_LT(std::fabs(z / std::sqrt(double(mean.size()))), 4.0);
}

TEST_F(RecalibrationCli, TooFewRowsKeepTheMapAndSaySo) {
  std::string few = hetero_csv(30, 4, 0.4);
  dir_.write("few.csv", few);
  const auto c = run_mdn(dir_, "calibrate --model m.safetensors --data few.csv --out m3.safetensors --device cpu");
  ASSERT_EQ(c.status, 0) << c.err;
  EXPECT_NE(c.err.find("too few to refit the recalibration"), std::string::npos) << c.err;
  const nlohmann::json j = nlohmann::json::parse(run_mdn(dir_, "info m3.safetensors --json").out);
  EXPECT_TRUE(j["recalibration"].is_null());
  EXPECT_TRUE(j["conformal"].is_object());
}

}  // namespace

namespace {

TEST(RecalibrationCliDefaults, AnEnsembleIsRecalibratedByDefaultAndSmallDataCrossFitsAndSaysSo) {
  TempDir dir;
  dir.write("small.csv", hetero_csv(300, 7, 0.0));  // 30 validation rows: cross-fitting
  const auto r = run_mdn(dir, "train --data small.csv --target y --model e.safetensors --ensemble 2 --epochs 5 "
                              "--device cpu --progress none");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("cross-fitting 5 fold models"), std::string::npos) << r.err;
  const nlohmann::json j = nlohmann::json::parse(run_mdn(dir, "info e.safetensors --json").out);
  ASSERT_TRUE(j["recalibration"].is_object());
  EXPECT_NE(j["recalibration"]["source"].get<std::string>().find("cross-fitting"), std::string::npos);
  // --no-calibrate: no map, but the fold models still give the conformal
  // scores; --no-cross-fit: no fold models, the 30 validation rows' scores;
  // --quiet: no fold line.
  const auto off = run_mdn(dir, "train --data small.csv --target y --model f.safetensors --ensemble 2 --epochs 5 "
                                "--device cpu --progress none --no-calibrate");
  ASSERT_EQ(off.status, 0) << off.err;
  EXPECT_NE(off.err.find("cross-fitting"), std::string::npos) << off.err;
  const nlohmann::json f = nlohmann::json::parse(run_mdn(dir, "info f.safetensors --json").out);
  EXPECT_TRUE(f["recalibration"].is_null());
  EXPECT_NE(f["conformal"]["source"].get<std::string>().find("cross-fitting"), std::string::npos) << f.dump();
  const auto none = run_mdn(dir, "train --data small.csv --target y --model h.safetensors --ensemble 2 --epochs 5 "
                                 "--device cpu --progress none --no-calibrate --no-cross-fit");
  ASSERT_EQ(none.status, 0) << none.err;
  EXPECT_EQ(none.err.find("cross-fitting"), std::string::npos) << none.err;
  const nlohmann::json h = nlohmann::json::parse(run_mdn(dir, "info h.safetensors --json").out);
  EXPECT_EQ(h["conformal"]["source"].get<std::string>().find("cross-fitting"), std::string::npos) << h.dump();
  const auto quiet = run_mdn(dir, "train --data small.csv --target y --model g.safetensors --ensemble 2 --epochs 5 "
                                  "--device cpu --quiet");
  ASSERT_EQ(quiet.status, 0) << quiet.err;
  EXPECT_EQ(quiet.err.find("cross-fitting"), std::string::npos) << quiet.err;
}

}  // namespace
