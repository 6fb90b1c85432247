// Conformal intervals end to end: `mdn train` stores scores from its
// validation rows, `mdn calibrate` refits them on a file, `mdn predict
// --interval` writes NAME_lo / NAME_hi that cover held-out rows at the
// level, and every refusal exits before writing anything.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "cli_harness.hpp"
#include "hetero_csv.hpp"

namespace {

using mdn::test::hetero_csv;
using mdn::test::run_mdn;
using mdn::test::TempDir;

std::vector<std::vector<std::string>> read_csv(const std::string& text) {
  std::vector<std::vector<std::string>> rows;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    std::vector<std::string> cells;
    std::istringstream l(line);
    for (std::string cell; std::getline(l, cell, ',');) cells.push_back(cell);
    rows.push_back(cells);
  }
  return rows;
}

int column(const std::vector<std::string>& header, const std::string& name) {
  for (std::size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return int(i);
  return -1;
}

// Fraction of the rows of data.csv-like `truth` inside [y_lo, y_hi] of `pred`.
double coverage(const std::string& pred, const std::string& truth) {
  const auto p = read_csv(pred), t = read_csv(truth);
  const int lo = column(p[0], "y_lo"), hi = column(p[0], "y_hi"), y = column(t[0], "y");
  EXPECT_GE(lo, 0);
  EXPECT_GE(hi, 0);
  int inside = 0;
  for (std::size_t r = 1; r < p.size(); ++r) {
    const double v = std::stod(t[r][std::size_t(y)]);
    inside += std::stod(p[r][std::size_t(lo)]) <= v && v <= std::stod(p[r][std::size_t(hi)]);
  }
  return double(inside) / double(p.size() - 1);
}

class ConformalCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.write("train.csv", hetero_csv(3000, 1));
    dir_.write("cal.csv", hetero_csv(1000, 2));
    dir_.write("test.csv", hetero_csv(2000, 3));
    const auto r =
        run_mdn(dir_, "train --data train.csv --target y --model m.safetensors --epochs 20 --device cpu --quiet");
    ASSERT_EQ(r.status, 0) << r.err;
  }
  TempDir dir_;
};

TEST_F(ConformalCli, TrainingStoresScoresAndPredictWritesIntervalsThatCover) {
  const auto r = run_mdn(dir_, "predict --model m.safetensors --data test.csv --interval 0.9 --out p.csv --device cpu");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err.find("no conformal scores"), std::string::npos) << r.err;
  const double c = coverage(dir_.read("p.csv"), dir_.read("test.csv"));
  // Given 1,500 calibration rows the coverage varies by about 0.008, and
  // 2,000 test rows measure it within about 0.007: 3 sigma is 0.03.
  EXPECT_GT(c, 0.87);
  EXPECT_LT(c, 0.93);
}

TEST_F(ConformalCli, CalibrateRefitsOnAFileAndTheIntervalsFollowIt) {
  auto r = run_mdn(dir_, "calibrate --model m.safetensors --data cal.csv --out c.safetensors --device cpu");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("conformal scores of 1000 rows"), std::string::npos) << r.err;
  r = run_mdn(dir_, "predict --model c.safetensors --data test.csv --interval 0.8 --out p.csv --device cpu --quiet");
  ASSERT_EQ(r.status, 0) << r.err;
  const double c = coverage(dir_.read("p.csv"), dir_.read("test.csv"));
  EXPECT_GT(c, 0.77);
  EXPECT_LT(c, 0.84);
  // Calibration rows from a shifted distribution widen the intervals, and
  // the command says the model does not fit them.
  dir_.write("shifted.csv", hetero_csv(500, 4, 50.0));
  r = run_mdn(dir_, "calibrate --model m.safetensors --data shifted.csv --out s.safetensors --device cpu");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("does not fit these rows"), std::string::npos) << r.err;
  ASSERT_EQ(run_mdn(dir_, "predict --model s.safetensors --data test.csv --interval 0.9 --out s.csv --quiet").status,
            0);
  const auto rows = read_csv(dir_.read("s.csv"));
  EXPECT_EQ(rows[1][std::size_t(column(rows[0], "y_hi"))], "inf");
}

TEST_F(ConformalCli, EvalShowsTheConformalCoverageBesideTheModelsOwn) {
  auto r = run_mdn(dir_, "calibrate --model m.safetensors --data cal.csv --out c.safetensors --device cpu --quiet");
  ASSERT_EQ(r.status, 0) << r.err;
  r = run_mdn(dir_, "eval --model c.safetensors --data test.csv --json e.json --device cpu");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.out.find("conformal intervals (scores of 1000 rows"), std::string::npos) << r.out;
  // The JSON's 90 % conformal coverage is what predict --interval 0.9 covers.
  const std::string json = dir_.read("e.json");
  const std::size_t block = json.find("\"conformal_intervals\"");
  ASSERT_NE(block, std::string::npos) << json;
  const std::size_t at = json.find("\"level\": 0.90000000000000002, \"coverage\": ", block);
  ASSERT_NE(at, std::string::npos) << json.substr(block);
  const double reported = std::stod(json.substr(json.find("\"coverage\": ", at) + 12));
  ASSERT_EQ(run_mdn(dir_, "predict --model c.safetensors --data test.csv --interval 0.9 --out p.csv --quiet").status,
            0);
  EXPECT_NEAR(reported, coverage(dir_.read("p.csv"), dir_.read("test.csv")), 1e-12);
  // A model without scores has no such block.
  r = run_mdn(dir_, "train --data train.csv --target y --model n.safetensors --epochs 2 --val-fraction 0 --no-cross-fit --quiet");
  ASSERT_EQ(r.status, 0) << r.err;
  r = run_mdn(dir_, "eval --model n.safetensors --data test.csv --json n.json --device cpu");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(dir_.read("n.json").find("conformal_intervals"), std::string::npos);
}

TEST_F(ConformalCli, WithoutScoresTheModelsOwnIntervalIsWrittenAndSaidSo) {
  auto r = run_mdn(dir_,
                   "train --data train.csv --target y --model n.safetensors --epochs 5 --val-fraction 0 --no-cross-fit "
                   "--device cpu --quiet");
  ASSERT_EQ(r.status, 0) << r.err;
  r = run_mdn(dir_,
              "predict --model n.safetensors --data test.csv --interval 0.9 --quantiles 0.05,0.95 --out p.csv "
              "--device cpu");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("no conformal scores"), std::string::npos) << r.err;
  const auto rows = read_csv(dir_.read("p.csv"));
  const auto& h = rows[0];
  const auto value = [&](std::size_t row, const char* name) {
    return std::stod(rows[row][std::size_t(column(h, name))]);
  };
  for (std::size_t r2 = 1; r2 < rows.size(); r2 += 250) {
    EXPECT_NEAR(value(r2, "y_lo"), value(r2, "y_q0.05"), 1e-9);
    EXPECT_NEAR(value(r2, "y_hi"), value(r2, "y_q0.95"), 1e-9);
  }
}

TEST_F(ConformalCli, BadCalibrationInputFailsBeforeWriting) {
  dir_.write("few.csv", hetero_csv(10, 5));
  auto r = run_mdn(dir_, "calibrate --model m.safetensors --data few.csv --out c.safetensors --device cpu");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("few.csv: 10 calibration rows"), std::string::npos) << r.err;
  dir_.write("other.csv", "x,z\n1,2\n");
  r = run_mdn(dir_, "calibrate --model m.safetensors --data other.csv --out c.safetensors --device cpu");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("other.csv"), std::string::npos) << r.err;
  r = run_mdn(dir_, "calibrate --model m.safetensors --data cal.csv --out nodir/c.safetensors --device cpu");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("nodir/c.safetensors"), std::string::npos) << r.err;
  r = run_mdn(dir_, "predict --model m.safetensors --data test.csv --interval 1.5 --out p.csv");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--interval"), std::string::npos) << r.err;
  EXPECT_FALSE(dir_.exists("c.safetensors"));
  EXPECT_FALSE(dir_.exists("p.csv"));
}

}  // namespace
