// `mdn predict` and `mdn sample` end to end on a small model trained by the
// program itself: headers, row counts, consistency between the two commands,
// reproducibility, and every refusal (exit status, message, no output file).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "cli_harness.hpp"

namespace {

using mdn::test::run_mdn;
using mdn::test::TempDir;

std::vector<std::string> split(const std::string& line, char sep = ',') {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(line);
  while (std::getline(in, item, sep)) out.push_back(item);
  if (!line.empty() && line.back() == sep) out.push_back("");
  return out;
}
std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines = split(text, '\n');
  if (!lines.empty() && lines.back().empty()) lines.pop_back();  // the final line break
  return lines;
}

// A 300-row bishop file and a 3-epoch model (K = 5, one target y), built once.
class PredictSampleCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    ASSERT_EQ(run_mdn(*dir_, "data bishop --rows 300 --seed 1 --out b.csv").status, 0);
    const auto r =
        run_mdn(*dir_, "train --data b.csv --target y --model m.safetensors --epochs 3 --device cpu --quiet");
    ASSERT_EQ(r.status, 0) << r.err;
    ASSERT_EQ(run_mdn(*dir_, "data ring2d --rows 200 --seed 1 --out ring.csv").status, 0);
    const auto r2 = run_mdn(*dir_,
                            "train --data ring.csv --target y1,y2 --model ring.safetensors --epochs 2 "
                            "--components 3 --device cpu --quiet");
    ASSERT_EQ(r2.status, 0) << r2.err;
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static TempDir* dir_;
  const TempDir& dir() const { return *dir_; }

  // Runs mdn, expects `status`, a message mentioning `needle`, and no `out` file.
  void expect_refused(const std::string& args, int status, const std::string& needle, const std::string& out) {
    const auto r = run_mdn(dir(), args);
    EXPECT_EQ(r.status, status) << args << "\n" << r.err;
    EXPECT_NE(r.err.find(needle), std::string::npos) << args << "\n" << r.err;
    EXPECT_FALSE(dir().exists(out)) << args;
    for (const auto& name : dir().entries()) EXPECT_EQ(name.find(out + "."), std::string::npos) << "left " << name;
  }
};
TempDir* PredictSampleCli::dir_ = nullptr;

TEST_F(PredictSampleCli, PredictWritesOneNamedRowPerInputRow) {
  const auto r = run_mdn(dir(), "predict --model m.safetensors --data b.csv --out p.csv --device cpu");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto lines = lines_of(dir().read("p.csv"));
  ASSERT_EQ(lines.size(), 301u);
  EXPECT_EQ(lines[0], "y_mean,y_std,y_q0.05,y_q0.5,y_q0.95");
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto f = split(lines[i]);
    ASSERT_EQ(f.size(), 5u) << lines[i];
    EXPECT_GT(std::stod(f[1]), 0.0);
    EXPECT_LE(std::stod(f[2]), std::stod(f[3]));
    EXPECT_LE(std::stod(f[3]), std::stod(f[4]));
  }
}

TEST_F(PredictSampleCli, PredictOptionalGroupsAreConsistent) {
  const auto r = run_mdn(dir(),
                         "predict --model m.safetensors --data b.csv --out all.csv --device cpu "
                         "--quantiles 0.1,0.9 --modes --params --hdi 0.9");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto lines = lines_of(dir().read("all.csv"));
  ASSERT_EQ(lines.size(), 301u);
  const auto header = split(lines[0]);
  std::vector<std::string> expected{"y_mean", "y_std", "y_q0.1", "y_q0.9"};
  for (int i = 1; i <= 5; ++i) {
    expected.push_back("mode" + std::to_string(i) + "_y");
    expected.push_back("mode" + std::to_string(i) + "_density");
  }
  for (int k = 1; k <= 5; ++k)
    for (const char* p : {"alpha_", "mu_", "sigma_"})
      expected.push_back(p + std::to_string(k) + (p[0] == 'a' ? "" : "_y"));
  for (int i = 1; i <= 5; ++i) {
    expected.push_back("hdi_lo_" + std::to_string(i));
    expected.push_back("hdi_hi_" + std::to_string(i));
  }
  EXPECT_EQ(header, expected);
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto f = split(lines[i]);
    ASSERT_EQ(f.size(), header.size()) << lines[i];
    // The written mixture reproduces the written mean and std.
    double total = 0.0, mean = 0.0, second = 0.0;
    for (int k = 0; k < 5; ++k) {
      const double a = std::stod(f[14 + 3 * k]), mu = std::stod(f[15 + 3 * k]), s = std::stod(f[16 + 3 * k]);
      total += a;
      mean += a * mu;
      second += a * (s * s + mu * mu);
    }
    EXPECT_NEAR(total, 1.0, 1e-6);
    EXPECT_NEAR(mean, std::stod(f[0]), 1e-5 * (1.0 + std::fabs(mean)));
    EXPECT_NEAR(std::sqrt(second - mean * mean), std::stod(f[1]), 1e-4 * (1.0 + std::stod(f[1])));
    // At least one mode and one interval; empty cells after the last.
    ASSERT_FALSE(f[4].empty());
    ASSERT_FALSE(f[29].empty());
    for (int m = 1; m < 5; ++m)
      if (f[4 + 2 * m].empty()) {
        EXPECT_TRUE(f[5 + 2 * m].empty());
      }
    for (int j = 0; j < 5; ++j) {
      if (f[29 + 2 * j].empty()) continue;
      EXPECT_LT(std::stod(f[29 + 2 * j]), std::stod(f[30 + 2 * j]));
    }
  }
}

TEST_F(PredictSampleCli, SampleWritesLongFormatAndAgreesWithPredict) {
  const auto r = run_mdn(dir(), "sample --model m.safetensors --data b.csv --samples 7 --out s.csv --device cpu");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto lines = lines_of(dir().read("s.csv"));
  ASSERT_EQ(lines.size(), 300u * 7 + 1);
  EXPECT_EQ(lines[0], "row,sample,y");
  EXPECT_EQ(split(lines[1])[0], "0");
  EXPECT_EQ(split(lines[8])[0], "1");
  EXPECT_EQ(split(lines[8])[1], "0");
  EXPECT_EQ(split(lines[7])[1], "6");

  // One input row, many draws: their mean matches predict's mean (5 standard errors).
  dir().write("one.csv", "x\n0.5\n");
  ASSERT_EQ(run_mdn(dir(), "predict --model m.safetensors --data one.csv --out one_p.csv --device cpu").status, 0);
  ASSERT_EQ(
      run_mdn(dir(), "sample --model m.safetensors --data one.csv --samples 20000 --out one_s.csv --device cpu").status,
      0);
  const auto p = split(lines_of(dir().read("one_p.csv"))[1]);
  const double mean = std::stod(p[0]), sd = std::stod(p[1]);
  const auto draws = lines_of(dir().read("one_s.csv"));
  ASSERT_EQ(draws.size(), 20001u);
  double sum = 0.0;
  for (std::size_t i = 1; i < draws.size(); ++i) sum += std::stod(split(draws[i])[2]);
  EXPECT_NEAR(sum / 20000.0, mean, 5.0 * sd / std::sqrt(20000.0));
}

TEST_F(PredictSampleCli, SampleIsReproducibleAcrossChunkSizes) {
  const std::string base = "sample --model m.safetensors --data b.csv --samples 5 --seed 11 --device cpu --quiet ";
  ASSERT_EQ(run_mdn(dir(), base + "--chunk-rows 7 --out c7.csv").status, 0);
  ASSERT_EQ(run_mdn(dir(), base + "--chunk-rows 1000 --out c1000.csv").status, 0);
  ASSERT_EQ(run_mdn(dir(),
                    "sample --model m.safetensors --data b.csv --samples 5 --seed 12 --device cpu --quiet "
                    "--out other.csv")
                .status,
            0);
  EXPECT_EQ(dir().read("c7.csv"), dir().read("c1000.csv"));
  EXPECT_NE(dir().read("c7.csv"), dir().read("other.csv"));
  // Predictions too: same file whatever the chunking.
  const std::string predict = "predict --model m.safetensors --data b.csv --modes --device cpu --quiet ";
  ASSERT_EQ(run_mdn(dir(), predict + "--chunk-rows 64 --out p7.csv").status, 0);
  ASSERT_EQ(run_mdn(dir(), predict + "--out p_default.csv").status, 0);
  EXPECT_EQ(dir().read("p7.csv"), dir().read("p_default.csv"));
}

TEST_F(PredictSampleCli, MultiTargetModelNamesEveryTarget) {
  ASSERT_EQ(run_mdn(dir(), "predict --model ring.safetensors --data ring.csv --out rp.csv --modes --device cpu").status,
            0);
  const auto header = split(lines_of(dir().read("rp.csv"))[0]);
  ASSERT_GE(header.size(), 12u);
  EXPECT_EQ(header[0], "y1_mean");
  EXPECT_EQ(header[5], "y2_mean");
  EXPECT_EQ(header[10], "mode1_y1");
  EXPECT_EQ(header[11], "mode1_y2");
  EXPECT_EQ(header[12], "mode1_density");
  ASSERT_EQ(
      run_mdn(dir(), "sample --model ring.safetensors --data ring.csv --samples 2 --out rs.csv --device cpu").status,
      0);
  EXPECT_EQ(lines_of(dir().read("rs.csv"))[0], "row,sample,y1,y2");
  // Highest-density intervals are for one target only.
  expect_refused("predict --model ring.safetensors --data ring.csv --out rh.csv --hdi 0.9", 2, "--hdi", "rh.csv");
}

TEST_F(PredictSampleCli, BadOptionsExitTwoNamingTheOption) {
  const std::string p = "predict --model m.safetensors --data b.csv --out bad.csv ";
  for (const char* q : {"0,0.5", "1", "-0.1", "0.5,abc", "0.5,0.5", "1.5"})
    expect_refused(p + "--quantiles " + q, 2, "--quantiles", "bad.csv");
  expect_refused(p + "--hdi 1", 2, "--hdi", "bad.csv");
  expect_refused(p + "--hdi 0", 2, "--hdi", "bad.csv");
  expect_refused(p + "--device tpu", 2, "--device", "bad.csv");
  expect_refused("predict --model m.safetensors --data b.csv", 2, "--out", "bad.csv");
  const std::string s = "sample --model m.safetensors --data b.csv --out bad.csv ";
  expect_refused(s + "--samples 0", 2, "--samples", "bad.csv");
  expect_refused(s + "--samples -3", 2, "--samples", "bad.csv");
  expect_refused(s + "--samples ten", 2, "--samples", "bad.csv");
  expect_refused("sample --model m.safetensors --data b.csv --out bad.csv", 2, "--samples", "bad.csv");
  expect_refused(s + "--samples 2 --temperature 0", 2, "--temperature", "bad.csv");
  expect_refused(s + "--samples 2 --temperature -1", 2, "--temperature", "bad.csv");
  expect_refused(s + "--samples 2 --sigma-scale -0.5", 2, "--sigma-scale", "bad.csv");
  expect_refused(s + "--samples 2 --chunk-rows 0", 2, "--chunk-rows", "bad.csv");
}

TEST_F(PredictSampleCli, BadDataExitsOneNamingFileLineAndColumn) {
  dir().write("nox.csv", "z,y\n0.1,0.2\n");
  expect_refused("predict --model m.safetensors --data nox.csv --out bad.csv", 1, "'x'", "bad.csv");
  expect_refused("sample --model m.safetensors --data nox.csv --samples 2 --out bad.csv", 1, "'x'", "bad.csv");
  dir().write("cell.csv", "x\n0.5\nabc\n0.7\n");
  expect_refused("predict --model m.safetensors --data cell.csv --out bad.csv", 1, "line 3", "bad.csv");
  expect_refused("sample --model m.safetensors --data cell.csv --samples 2 --out bad.csv", 1, "cell.csv: line 3",
                 "bad.csv");
  expect_refused("predict --model missing.safetensors --data b.csv --out bad.csv", 1, "missing.safetensors", "bad.csv");
  // An existing output file is left as it was when the command fails.
  dir().write("keep.csv", "old\n");
  const auto r = run_mdn(dir(), "predict --model m.safetensors --data cell.csv --out keep.csv");
  EXPECT_EQ(r.status, 1);
  EXPECT_EQ(dir().read("keep.csv"), "old\n");
}

TEST(DemoCli, WritesSamplesAndPredictions) {
  TempDir dir;
  const auto r = run_mdn(dir, "demo --out d --rows 200 --epochs 2 --quiet --device cpu");
  ASSERT_EQ(r.status, 0) << r.err;
  const auto samples = lines_of(dir.read("d/samples.csv"));
  ASSERT_EQ(samples.size(), 200u * 20 + 1);
  EXPECT_EQ(samples[0], "row,sample,y");
  const auto predictions = lines_of(dir.read("d/predictions.csv"));
  ASSERT_EQ(predictions.size(), 201u);
  EXPECT_EQ(predictions[0].rfind("y_mean,y_std,y_q0.05,y_q0.5,y_q0.95,mode1_y,mode1_density,", 0), 0u)
      << predictions[0];
  EXPECT_NE(r.out.find("samples.csv"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("predictions.csv"), std::string::npos) << r.out;
}

}  // namespace

namespace {

// --device auto says on stderr which device it chose (here, without a usable
// GPU: the CPU); an explicit --device says nothing extra.
TEST_F(PredictSampleCli, AutoDeviceSaysWhichDeviceItChose) {
  const auto a = run_mdn(*dir_, "predict --model m.safetensors --data b.csv --out auto.csv --device auto");
  ASSERT_EQ(a.status, 0) << a.err;
  if (a.err.find("chose cuda") == std::string::npos) {
    EXPECT_NE(a.err.find("mdn: --device auto chose cpu"), std::string::npos) << a.err;
  }
  const auto c = run_mdn(*dir_, "predict --model m.safetensors --data b.csv --out cpu.csv --device cpu");
  ASSERT_EQ(c.status, 0) << c.err;
  EXPECT_EQ(c.err.find("chose"), std::string::npos) << c.err;
}

}  // namespace
