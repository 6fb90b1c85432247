// `mdn info MODEL`: the text and the JSON say what the file holds (columns
// with their stored statistics, K, the network, members, calibration,
// history), checked against what the training run was told and printed; a
// corrupt or missing file is one message and exit status 1.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include <nlohmann/json.hpp>

#include "cli_harness.hpp"

namespace {

using mdn::test::run_mdn;
using mdn::test::TempDir;

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// Columns x1 (mean 4.5 over 0..9, repeated), x2, target y; trained with
// every row in the training split (--val-fraction 0) so the stored means
// are the file's.
void train(const TempDir& dir, const std::string& extra, int rows = 40) {
  std::string text = "x1,x2,y\n";
  for (int i = 0; i < rows; ++i)
    text += std::to_string(i % 10) + "," + std::to_string((i * 7) % 13) + "," + std::to_string((i * 3) % 11) + ".25\n";
  dir.write("d.csv", text);
  const auto r = run_mdn(dir,
                         "train --data d.csv --target y --model m.safetensors --epochs 3 --device cpu "
                         "--components 3 --hidden 8,6 --quiet " +
                             extra);
  ASSERT_EQ(r.status, 0) << r.err;
}

TEST(InfoCli, TextSaysWhatTheFileHolds) {
  TempDir dir;
  train(dir, "--val-fraction 0");
  const auto r = run_mdn(dir, "info m.safetensors");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(r.err.empty()) << r.err;
  for (const char* part : {"m.safetensors: mdn model, format version 2", "features (2)", "  x1    mean 4.5 ",
                           "  x2    mean", "targets (1)", "  y     mean 5.125 ", "K = 3 diagonal Gaussian components",
                           "network: 2 inputs -> 8 tanh -> 6 tanh -> head 9, ", "ensemble: no (one network)",
                           "calibration: none", "training: 3 epochs, best epoch", "no validation split"})
    EXPECT_TRUE(has(r.out, part)) << part << "\n" << r.out;
}

TEST(InfoCli, JsonIsOneObjectWithTheSameFacts) {
  TempDir dir;
  train(dir, "--ensemble 2 --calibrate --val-fraction 0.25", 200);  // the 50 validation rows --calibrate needs
  const auto r = run_mdn(dir, "info m.safetensors --json");
  ASSERT_EQ(r.status, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["file"], "m.safetensors");
  EXPECT_EQ(j["format_version"], 2);
  ASSERT_EQ(j["features"].size(), 2u);
  EXPECT_EQ(j["features"][0]["name"], "x1");
  EXPECT_EQ(j["features"][1]["name"], "x2");
  EXPECT_GT(j["features"][0]["std"].get<double>(), 2.0);
  EXPECT_EQ(j["targets"][0]["name"], "y");
  EXPECT_EQ(j["components"], 3);
  EXPECT_EQ(j["members"], 2);
  EXPECT_EQ(j["network"]["hidden"], nlohmann::json::array({8, 6}));
  EXPECT_EQ(j["network"]["head"], 9);
  EXPECT_EQ(j["network"]["parameters_per_network"], 2 * 8 + 8 + 8 * 6 + 6 + 6 * 9 + 9);
  EXPECT_TRUE(j["calibration"].is_null()) << r.out;  // one target: the PIT map, not the sigma scale
  ASSERT_TRUE(j["recalibration"].is_object()) << r.out;
  EXPECT_EQ(j["recalibration"]["method"], "pit_histogram");
  ASSERT_EQ(j["recalibration"]["knots"].size(), 1u);
  EXPECT_EQ(j["recalibration"]["knots"][0][0], 0.0);
  EXPECT_EQ(j["recalibration"]["rows"].get<int>(), 50);
  EXPECT_EQ(j["training"]["epochs"], 3);
  EXPECT_TRUE(j["training"]["best_val_nll"].is_number()) << r.out;
  // The text says the same.
  const auto text = run_mdn(dir, "info m.safetensors");
  EXPECT_TRUE(has(text.out, "ensemble: 2 members") && has(text.out, "recalibration: PIT map (")) << text.out;
}

TEST(InfoCli, ACorruptOrMissingModelIsOneMessage) {
  TempDir dir;
  dir.write("bad.safetensors", "this is not a model");
  auto r = run_mdn(dir, "info bad.safetensors");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(r.err.rfind("mdn info: error: bad.safetensors: ", 0), 0u) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  dir.write("d.csv", "x,y\n1,2\n");
  r = run_mdn(dir, "info d.csv --json");
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(has(r.err, "d.csv")) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
  r = run_mdn(dir, "info missing.safetensors");
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(has(r.err, "missing.safetensors")) << r.err;
  r = run_mdn(dir, "info");
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(has(r.err, "mdn info: error:")) << r.err;
}

}  // namespace
