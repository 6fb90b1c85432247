// `mdn eval` of two correlated targets end to end (docs/EVAL.md "Joint
// calibration"; issue 30): a diagonal model has calibrated-looking marginals
// but joint highest-density regions of the wrong shape, which the joint
// calibration shows and the full-covariance model fixes; on gridded targets
// the full model gets a grid-cell NLL too.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_harness.hpp"
#include "correlated_csv.hpp"

namespace {

using mdn::test::run_mdn;
using mdn::test::TempDir;

// The same rows with both targets rounded to a grid of 0.05, or (celsius)
// to Fahrenheit hundredths shown in Celsius, a grid of step 1/180.
std::string rounded(const std::string& csv, bool celsius = false) {
  std::istringstream in(csv);
  std::string line, out;
  std::getline(in, line);
  out = line + "\n";
  char buf[128];
  while (std::getline(in, line)) {
    double x, a, b;
    if (std::sscanf(line.c_str(), "%lf,%lf,%lf", &x, &a, &b) != 3) continue;
    if (celsius) {
      const auto c = [](double v) { return (std::round((v * 1.8 + 32.0) * 100.0) / 100.0 - 32.0) / 1.8; };
      std::snprintf(buf, sizeof buf, "%.9g,%.17g,%.17g\n", x, c(a), c(b));
    } else {
      std::snprintf(buf, sizeof buf, "%.9g,%.2f,%.2f\n", x, std::round(a / 0.05) * 0.05, std::round(b / 0.05) * 0.05);
    }
    out += buf;
  }
  return out;
}

class JointEvalCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    dir_->write("train.csv", mdn::test::correlated_csv(2000, 1));
    const std::string test = mdn::test::correlated_csv(1500, 2);
    dir_->write("test.csv", test);
    dir_->write("gridded.csv", rounded(test));
    dir_->write("celsius.csv", rounded(test, true));
    for (const char* c : {"diagonal", "full"}) {
      const auto r = run_mdn(*dir_, std::string("train --data train.csv --target y1,y2 --model ") + c +
                                        ".safetensors --covariance " + c +
                                        " --components 2 --hidden 16 --epochs 15 --device cpu --quiet --seed 3");
      ASSERT_EQ(r.status, 0) << r.err;
    }
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static nlohmann::json eval(const std::string& model, const std::string& data, std::string* err = nullptr) {
    const auto r = run_mdn(*dir_, "eval --model " + model + ".safetensors --data " + data + " --device cpu --json " +
                                      model + "_" + data + ".json");
    EXPECT_EQ(r.status, 0) << r.err;
    if (err) *err = r.err;
    return nlohmann::json::parse(dir_->read(model + "_" + data + ".json"));
  }
  static TempDir* dir_;
};

TempDir* JointEvalCli::dir_ = nullptr;

TEST_F(JointEvalCli, DiagonalModelOfCorrelatedErrorsFailsTheJointCheckOnly) {
  const nlohmann::json diag = eval("diagonal", "test.csv"), full = eval("full", "test.csv");
  const auto gap = [](const nlohmann::json& j) {
    return j["joint_calibration"]["calibration"]["mean_abs_error"].get<double>();
  };
  const auto marginal_gap = [](const nlohmann::json& j) {
    return std::max(j["targets"][0]["calibration"]["mean_abs_error"].get<double>(),
                    j["targets"][1]["calibration"]["mean_abs_error"].get<double>());
  };
  std::printf("joint mean |gap|: diagonal %.4f, full %.4f; worst marginal: diagonal %.4f, full %.4f\n", gap(diag),
              gap(full), marginal_gap(diag), marginal_gap(full));
  // Correlation 0.98: a diagonal ellipse is far too wide across the ridge
  // and too short along it; the marginals cannot see it.
  EXPECT_GT(gap(diag), 2.0 * gap(full));
  EXPECT_GT(gap(diag), 2.0 * marginal_gap(diag));
  // The full model's 90 % region holds about 90 % of the 1500 rows.
  const nlohmann::json& r90 = full["joint_calibration"]["regions"][2];
  ASSERT_EQ(r90["level"].get<double>(), 0.9);
  EXPECT_NEAR(r90["coverage"].get<double>(), 0.9, 5.0 * r90["standard_error"].get<double>());
}

TEST_F(JointEvalCli, FullCovarianceGetsAGridCellNll) {
  std::string err;
  const nlohmann::json full = eval("full", "gridded.csv", &err), diag = eval("diagonal", "gridded.csv");
  EXPECT_EQ(err.find("not computed"), std::string::npos) << err;
  ASSERT_TRUE(full.contains("grid_cell_nll")) << full.dump();
  ASSERT_TRUE(diag.contains("grid_cell_nll"));
  const double f = full["grid_cell_nll"].get<double>(), d = diag["grid_cell_nll"].get<double>();
  std::printf("grid-cell NLL (step 0.05): diagonal %.4f, full %.4f\n", d, f);
  EXPECT_GT(f, 0.0);  // a cell's probability is at most 1
  EXPECT_LT(f, d);    // the better joint model is better on the cells too
}

TEST_F(JointEvalCli, AGridWhoseStepRoundsIsStillAGrid) {
  // Step 1/180 (reported as 0.005556) over some 1,000 steps: the rows are
  // checked against the unrounded step, so the grid is kept and scored.
  std::string err;
  const nlohmann::json j = eval("diagonal", "celsius.csv", &err);
  EXPECT_NE(err.find("grid of step 0.005556"), std::string::npos) << err;
  ASSERT_TRUE(j.contains("grid_cell_nll")) << err;
  // A cell 1/180 wide on each target: about the density NLL + 2 log 180.
  EXPECT_NEAR(j["grid_cell_nll"].get<double>(), j["nll"].get<double>() + 2.0 * std::log(180.0), 0.05);
}

}  // namespace
