// `mdn eval` end to end: data from `mdn data`, a model from a short
// `mdn train`, then the table, the JSON (every metric present), the report
// directory (index.html and valid PNGs), and bad inputs (non-zero exit, no
// partial JSON).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "cli_harness.hpp"

namespace {

using mdn::test::run_mdn;
using mdn::test::RunResult;
using mdn::test::TempDir;

// One directory with data and two short-trained models, shared by the suite
// (training is the slow part); every test writes under its own names.
class EvalCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    ASSERT_FALSE(dir_->path().empty());
    ASSERT_EQ(run_mdn(*dir_, "data bishop --rows 600 --seed 3 --out bishop.csv").status, 0);
    const RunResult bishop =
        run_mdn(*dir_, "train --data bishop.csv --target y --model bishop.safetensors --epochs 3 --device cpu --quiet");
    ASSERT_EQ(bishop.status, 0) << bishop.err;
    ASSERT_EQ(run_mdn(*dir_, "data ring2d --rows 400 --seed 4 --out ring.csv").status, 0);
    const RunResult ring =
        run_mdn(*dir_, "train --data ring.csv --target y1,y2 --model ring.safetensors --epochs 3 --device cpu --quiet");
    ASSERT_EQ(ring.status, 0) << ring.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static RunResult mdn(const std::string& args) { return run_mdn(*dir_, args); }
  static std::string path(const std::string& name) { return dir_->file(name); }
  static std::string read(const std::string& name) { return dir_->read(name); }
  static bool exists(const std::string& name) { return dir_->exists(name); }

  static TempDir* dir_;
};

TempDir* EvalCli::dir_ = nullptr;

bool gnuplot_available() { return std::system("gnuplot --version >/dev/null 2>&1") == 0; }

// A PNG starts with the 8-byte signature 89 50 4E 47 0D 0A 1A 0A and then the
// IHDR chunk; a real picture of the report is at least a few kilobytes.
void expect_png(const std::string& bytes, const std::string& name) {
  ASSERT_GE(bytes.size(), 1000u) << name;
  EXPECT_EQ(bytes.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8)) << name;
  EXPECT_EQ(bytes.substr(12, 4), "IHDR") << name;
}

TEST_F(EvalCli, PrintsATableAndWritesEveryMetricAsJson) {
  const RunResult r = mdn("eval --model bishop.safetensors --data bishop.csv --json bishop.json --device cpu");
  ASSERT_EQ(r.status, 0) << r.err;
  for (const char* label : {"NLL per row", "RMSE", "MAE of the mean", "R^2", "MAE of the median", "CRPS",
                            "calibration error", "90% interval"})
    EXPECT_NE(r.out.find(label), std::string::npos) << label << "\n" << r.out;
  const std::string json = read("bishop.json");
  for (const char* key : {"\"nll\":",
                          "\"log_jacobian\":",
                          "\"rows\": 600",
                          "\"rmse\":",
                          "\"mae\":",
                          "\"r2\":",
                          "\"median_mae\":",
                          "\"crps\":",
                          "\"mean_predictive_std\":",
                          "\"calibration\":",
                          "\"mean_abs_error\":",
                          "\"max_abs_error\":",
                          "\"levels\":",
                          "\"observed\":",
                          "\"intervals\":",
                          "\"coverage\":",
                          "\"mean_width\":",
                          "\"pit_histogram_density\":",
                          "\"energy_score\": null",
                          "\"history\":",
                          "\"train_nll\":",
                          "\"val_nll\":",
                          "\"name\": \"y\""})
    EXPECT_NE(json.find(key), std::string::npos) << key << "\n" << json;
  for (const char* level : {"\"level\": 0.5,", "\"level\": 0.8,", "\"level\": 0.9,", "\"level\": 0.95,"})
    EXPECT_NE(json.find(level), std::string::npos) << level;
  // JSON has no NaN or Infinity: undefined metrics are null.
  for (const char* bad : {": nan", ": -nan", ": inf", ": -inf", ": NaN"}) EXPECT_EQ(json.find(bad), std::string::npos);
}

TEST_F(EvalCli, SeveralTargetsGetAnEnergyScore) {
  const RunResult r =
      mdn("eval --model ring.safetensors --data ring.csv --json ring.json --energy-samples 20 --device cpu");
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string json = read("ring.json");
  EXPECT_NE(json.find("\"energy_score_samples\": 20"), std::string::npos) << json;
  EXPECT_EQ(json.find("\"energy_score\": null"), std::string::npos) << json;
  EXPECT_NE(json.find("\"name\": \"y2\""), std::string::npos);
  EXPECT_NE(r.out.find("energy score"), std::string::npos) << r.out;
  // The joint calibration: the HDR coverage at each interval level, from the energy score's draws.
  EXPECT_NE(r.out.find("joint calibration (HDR PIT)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("90% joint HDR: coverage"), std::string::npos) << r.out;
  for (const char* key : {"\"joint_calibration\": {", "\"method\": \"hdr_pit\"", "\"samples\": 20", "\"regions\":",
                          "\"standard_error\":", "\"mc_standard_error\":"})
    EXPECT_NE(json.find(key), std::string::npos) << key << "\n" << json;
}

TEST_F(EvalCli, OneTargetHasNoJointCalibration) {
  const RunResult r = mdn("eval --model bishop.safetensors --data bishop.csv --json one.json --device cpu");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(read("one.json").find("\"joint_calibration\": null"), std::string::npos);
  EXPECT_EQ(r.out.find("joint"), std::string::npos) << r.out;
}

TEST_F(EvalCli, ReportHasIndexAndValidPictures) {
  if (!gnuplot_available())
    GTEST_SKIP() << "gnuplot is not installed (tools/scripts/install-deps.sh installs gnuplot-nox)";
  const RunResult r = mdn("eval --model bishop.safetensors --data bishop.csv --report report --device cpu");
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string html = read("report/index.html");
  ASSERT_FALSE(html.empty());
  EXPECT_TRUE(exists("report/metrics.json"));
  EXPECT_TRUE(exists("report/report.gp"));
  // One input, so the conditional-density picture is there too.
  for (const std::string png :
       {"history.png", "density_t0.png", "scatter_t0.png", "histogram_t0.png", "pit_t0.png", "reliability_t0.png"}) {
    EXPECT_NE(html.find("src=\"" + png + "\""), std::string::npos) << png;
    expect_png(read("report/" + png), png);
  }
  // One target: no joint pictures.
  for (const char* joint : {"joint_density.png", "joint_pit.png", "joint_reliability.png"})
    EXPECT_EQ(html.find(joint), std::string::npos) << joint;
}

TEST_F(EvalCli, ReportOfSeveralTargetsHasPicturesPerTarget) {
  if (!gnuplot_available())
    GTEST_SKIP() << "gnuplot is not installed (tools/scripts/install-deps.sh installs gnuplot-nox)";
  const RunResult r = mdn("eval --model ring.safetensors --data ring.csv --report ring-report --energy-samples 10");
  ASSERT_EQ(r.status, 0) << r.err;
  for (const std::string png : {"density_t0.png", "density_t1.png", "scatter_t1.png", "pit_t1.png",
                                "joint_density.png", "joint_pit.png", "joint_reliability.png"})
    expect_png(read("ring-report/" + png), png);
  EXPECT_TRUE(exists("ring-report/joint_contours_0.dat"));  // the HDR edges gnuplot traced
  EXPECT_NE(read("ring-report/index.html").find("highest-density region"), std::string::npos);
}

TEST_F(EvalCli, ReportWithoutGnuplotStillWritesDataAndJson) {
  // The harness's shell inherits this process's environment.
  ::setenv("MDN_GNUPLOT", "/nonexistent/gnuplot", 1);
  const RunResult r = mdn("eval --model bishop.safetensors --data bishop.csv --report plain --device cpu");
  ::unsetenv("MDN_GNUPLOT");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("gnuplot not found"), std::string::npos) << r.err;
  for (const char* file : {"plain/index.html", "plain/metrics.json", "plain/scatter_t0.dat", "plain/report.gp"})
    EXPECT_TRUE(exists(file)) << file;
  EXPECT_FALSE(exists("plain/scatter_t0.png"));
  EXPECT_NE(read("plain/index.html").find("gnuplot not found"), std::string::npos);
}

TEST_F(EvalCli, BadInputsFailWithoutPartialJson) {
  dir_->write("bad_cell.csv", "x,y\n0.1,0.2\n0.3,abc\n0.5,0.6\n");
  dir_->write("no_target.csv", "x,z\n0.1,0.2\n");
  dir_->write("no_feature.csv", "w,y\n0.1,0.2\n");
  dir_->write("corrupt.safetensors", "this is not a model");
  struct Case {
    std::string args;
    int status;  // 2 usage error, 1 data or file error (main.cpp's convention)
  };
  const std::vector<Case> cases = {
      {"--model missing.safetensors --data bishop.csv", 1},
      {"--model corrupt.safetensors --data bishop.csv", 1},
      {"--model bishop.safetensors --data missing.csv", 1},
      {"--model bishop.safetensors --data bad_cell.csv", 1},
      {"--model bishop.safetensors --data no_target.csv", 1},
      {"--model bishop.safetensors --data no_feature.csv", 1},
      {"--model ring.safetensors --data bishop.csv", 1},  // the data lack the model's targets
      {"--model bishop.safetensors --data bishop.csv --energy-samples 1", 2},
      {"--model bishop.safetensors --data bishop.csv --device quantum", 2},
      {"--data bishop.csv", 2},
  };
  for (const Case& c : cases) {
    const RunResult r = mdn("eval " + c.args + " --json bad.json");
    EXPECT_EQ(r.status, c.status) << c.args << "\n" << r.err;
    EXPECT_EQ(r.err.rfind("mdn eval: error:", 0), 0u) << c.args << "\n" << r.err;
    EXPECT_FALSE(exists("bad.json")) << c.args;
    for (const auto& entry : dir_->entries()) EXPECT_EQ(entry.find(".tmp"), std::string::npos) << entry;
  }
  // A JSON path in a missing directory fails before any work, leaving nothing.
  const RunResult r = mdn("eval --model bishop.safetensors --data bishop.csv --json no-such-dir/out.json");
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_FALSE(exists("no-such-dir"));
}

TEST_F(EvalCli, DropInvalidSkipsBadRows) {
  dir_->write("some_bad.csv", "x,y\n0.1,0.2\n0.3,abc\n0.5,0.6\n0.7,\n");
  const RunResult r =
      mdn("eval --model bishop.safetensors --data some_bad.csv --drop-invalid --json dropped.json --device cpu");
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string json = read("dropped.json");
  EXPECT_NE(json.find("\"rows\": 2,"), std::string::npos) << json;
  EXPECT_NE(json.find("\"dropped_rows\": 2,"), std::string::npos) << json;
}

TEST_F(EvalCli, HelpExitsZero) {
  const RunResult r = mdn("eval --help");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.out.find("--report"), std::string::npos);
}

}  // namespace
