// The metrics JSON of `mdn eval` (docs/EVAL.md), read back with nlohmann-json:
// the documented keys in their order, undefined metrics as null, 10
// significant digits, and valid UTF-8 whatever bytes the names hold.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mdn/eval_report.hpp"

namespace mdn {
namespace {

using Json = nlohmann::ordered_json;

std::vector<std::string> keys(const Json& object) {
  std::vector<std::string> out;
  for (const auto& item : object.items()) out.push_back(item.key());
  return out;
}

class EvalJson : public ::testing::Test {
 protected:
  void SetUp() override {
    model_.spec.input_dim = 1;
    model_.spec.target_dim = 1;
    model_.spec.components = 2;
    model_.spec.hidden = {3};
    model_.target_names = {"caf\xE9"};  // Latin-1 'e acute': not UTF-8
    model_.stats.t_scale = {2.0f};
    model_.history.train_nll = {1.0f, std::numeric_limits<float>::quiet_NaN()};
    model_.history.best_epoch = 0;
    context_.model = &model_;
    context_.model_path = "m.safetensors";
    context_.data_path = "d.csv";
    context_.device = "cpu";
    metrics_.rows = 7;
    metrics_.nll = 0.12345678901234;
    metrics_.energy_score = std::numeric_limits<double>::quiet_NaN();
    TargetMetrics t;
    t.rmse = 2.0;
    t.r2 = std::numeric_limits<double>::infinity();
    t.calibration_levels = {0.5};
    t.calibration_observed = {std::numeric_limits<double>::quiet_NaN()};
    t.intervals = {{0.9, 0.875, 1.5}};
    t.pit_density = {1.0, 1.0};
    metrics_.targets = {t};
  }

  Json written() const {
    const std::string text = eval_json(context_, metrics_, options_);
    EXPECT_EQ(text.back(), '\n');
    return Json::parse(text);  // throws (fails the test) on invalid JSON or UTF-8
  }

  Model model_;
  EvalContext context_;
  EvalMetrics metrics_;
  EvalOptions options_;
};

TEST_F(EvalJson, HasTheDocumentedKeysInOrder) {
  const Json j = written();
  EXPECT_EQ(keys(j), (std::vector<std::string>{"format", "version", "model", "data", "device", "rows", "dropped_rows",
                                               "input_dim", "target_dim", "components", "nll", "nll_standardised",
                                               "log_jacobian", "nll_infinite_rows", "energy_score",
                                               "energy_score_samples", "energy_score_standard_error",
                                               "joint_calibration", "targets", "options",
                                               "history"}));
  const Json& t = j.at("targets").at(0);
  EXPECT_EQ(keys(t), (std::vector<std::string>{"name", "rmse", "mae", "r2", "median_mae", "crps", "mean_predictive_std",
                                               "calibration", "intervals", "pit_histogram_density"}));
  EXPECT_EQ(keys(t.at("calibration")),
            (std::vector<std::string>{"mean_abs_error", "max_abs_error", "levels", "observed"}));
  EXPECT_EQ(keys(t.at("intervals").at(0)), (std::vector<std::string>{"level", "coverage", "mean_width"}));
  EXPECT_EQ(keys(j.at("options")),
            (std::vector<std::string>{"calibration_levels", "interval_levels", "pit_bins", "energy_samples", "seed"}));
  EXPECT_EQ(keys(j.at("history")), (std::vector<std::string>{"units", "train_nll", "val_nll", "best_epoch"}));
  EXPECT_EQ(j.at("format"), "mdn-eval");
  EXPECT_EQ(j.at("rows"), 7);
  EXPECT_EQ(t.at("intervals").at(0).at("coverage"), 0.875);
}

TEST_F(EvalJson, JointCalibrationOfSeveralTargets) {
  mdn::JointCalibration& jc = metrics_.joint;
  jc.samples = 100;
  jc.levels = {0.5, 0.9};
  jc.coverage = {0.49, 0.875};
  jc.standard_error = {0.01, 0.006};
  jc.mc_standard_error = {0.004, 0.002};
  jc.calibration_levels = {0.5};
  jc.calibration_observed = {0.49};
  jc.calibration_error_mean = jc.calibration_error_max = 0.01;
  jc.pit_density = {0.9, 1.1};
  const Json j = written().at("joint_calibration");
  EXPECT_EQ(keys(j), (std::vector<std::string>{"method", "samples", "regions", "calibration", "pit_histogram_density"}));
  EXPECT_EQ(j.at("method"), "hdr_pit");
  EXPECT_EQ(j.at("samples"), 100);
  EXPECT_EQ(keys(j.at("regions").at(1)),
            (std::vector<std::string>{"level", "coverage", "standard_error", "mc_standard_error"}));
  EXPECT_EQ(j.at("regions").at(1).at("coverage"), 0.875);
  EXPECT_EQ(j.at("calibration").at("observed").at(0), 0.49);
  EXPECT_EQ(j.at("pit_histogram_density").at(1), 1.1);
}

TEST_F(EvalJson, WritesUndefinedMetricsAsNull) {
  const Json j = written();
  EXPECT_TRUE(j.at("joint_calibration").is_null());  // one target
  EXPECT_TRUE(j.at("energy_score").is_null());
  EXPECT_TRUE(j.at("targets").at(0).at("r2").is_null());
  EXPECT_TRUE(j.at("targets").at(0).at("calibration").at("observed").at(0).is_null());
  EXPECT_TRUE(j.at("history").at("train_nll").at(1).is_null());
  EXPECT_EQ(j.at("targets").at(0).at("rmse"), 2.0);
}

TEST_F(EvalJson, RoundsToTenSignificantDigits) {
  const Json j = written();
  EXPECT_EQ(j.at("nll"), 0.123456789);
  // history in original units: 1 + log(2), to 10 digits
  EXPECT_EQ(j.at("history").at("train_nll").at(0), 1.693147181);
}

TEST_F(EvalJson, IsIndentedUtf8EvenForNamesThatAreNot) {
  const std::string text = eval_json(context_, metrics_, options_);
  EXPECT_EQ(text.rfind("{\n  \"format\": \"mdn-eval\",\n  \"version\": 1,\n", 0), 0u) << text.substr(0, 80);
  EXPECT_EQ(written().at("targets").at(0).at("name"), "caf\xEF\xBF\xBD");  // U+FFFD for the stray byte
}

}  // namespace
}  // namespace mdn
