// `mdn train --covariance full` end to end (issue 30, stage 2): on 2-D
// targets with correlated errors the full model beats the diagonal one of the
// same K in held-out joint NLL (mdn eval --json), info shows it, predict and
// sample run, and bad values are one message naming the option, exit 2.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli_harness.hpp"
#include "correlated_csv.hpp"

namespace {

using mdn::test::run_mdn;
using mdn::test::TempDir;

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// y1 = sin(x) + 0.5 n0, y2 = y1 + 0.1 n1: given x the targets have
// correlation 0.98, which one diagonal component cannot express.
using mdn::test::correlated_csv;

double held_out_nll(const TempDir& dir, const std::string& model) {
  const auto r = run_mdn(dir, "eval --model " + model + " --data test.csv --device cpu --json " + model + ".json");
  EXPECT_EQ(r.status, 0) << r.err;
  const nlohmann::json j = nlohmann::json::parse(dir.read(model + ".json"));
  EXPECT_TRUE(j.contains("energy_score"));
  return j["nll"].get<double>();
}

// Trains diagonal.safetensors and full.safetensors on train.csv with the same
// flags; their held-out joint NLLs on test.csv, {diagonal, full}.
std::pair<double, double> diagonal_and_full_nll(const TempDir& dir, const std::string& flags) {
  for (const char* c : {"diagonal", "full"}) {
    const auto r = run_mdn(dir, std::string("train --data train.csv --target y1,y2 --model ") + c +
                                    ".safetensors --covariance " + c + " " + flags + " --device cpu --quiet");
    EXPECT_EQ(r.status, 0) << r.err;
  }
  return {held_out_nll(dir, "diagonal.safetensors"), held_out_nll(dir, "full.safetensors")};
}

TEST(FullCovCli, FullBeatsDiagonalOnCorrelatedTargets) {
  TempDir dir;
  dir.write("train.csv", correlated_csv(2000, 1));
  dir.write("test.csv", correlated_csv(1000, 2));
  const auto [diag, full] = diagonal_and_full_nll(dir, "--components 2 --hidden 16 --epochs 15 --seed 3");
  std::printf("held-out joint NLL per row: diagonal %.4f, full %.4f\n", diag, full);
  EXPECT_LT(full, diag - 0.1) << "full " << full << " diagonal " << diag;

  const auto info = run_mdn(dir, "info full.safetensors");
  ASSERT_EQ(info.status, 0) << info.err;
  EXPECT_TRUE(has(info.out, "format version 3")) << info.out;
  EXPECT_TRUE(has(info.out, "K = 2 full-covariance Gaussian components")) << info.out;
  const auto info_json = run_mdn(dir, "info full.safetensors --json");
  ASSERT_EQ(info_json.status, 0) << info_json.err;
  EXPECT_EQ(nlohmann::json::parse(info_json.out)["covariance"], "full");

  const auto p = run_mdn(dir, "predict --model full.safetensors --data test.csv --out p.csv --device cpu");
  ASSERT_EQ(p.status, 0) << p.err;
  EXPECT_TRUE(has(dir.read("p.csv"), "y1_mean,y1_std")) << dir.read("p.csv").substr(0, 200);
  const auto s = run_mdn(dir, "sample --model full.safetensors --data test.csv --samples 2 --out s.csv --device cpu");
  ASSERT_EQ(s.status, 0) << s.err;
  EXPECT_TRUE(has(dir.read("s.csv"), "row,sample,y1,y2")) << dir.read("s.csv").substr(0, 200);
  // Joint modes and correlations: tests/cli/joint_outputs_cli_test.cpp.
  const auto modes = run_mdn(dir, "predict --model full.safetensors --data test.csv --modes --out m.csv --device cpu");
  EXPECT_EQ(modes.status, 0) << modes.err;
  EXPECT_TRUE(has(dir.read("m.csv"), "mode1_y1,mode1_y2,mode1_density")) << dir.read("m.csv").substr(0, 300);
  // --params: per component the marginal sigmas and then the covariance's
  // lower Cholesky factor (torch's scale_tril), whose rows' norms are those sigmas.
  const auto params = run_mdn(dir, "predict --model full.safetensors --data test.csv --params --out q.csv --device cpu");
  ASSERT_EQ(params.status, 0) << params.err;
  const std::string q = dir.read("q.csv");
  EXPECT_TRUE(has(q, "sigma_1_y2,tril_1_y1_y1,tril_1_y2_y1,tril_1_y2_y2,alpha_2")) << q.substr(0, 300);
  // Row 1: columns 10 quantile/moment columns, then per component 8 (alpha, 2 mu, 2 sigma, 3 tril).
  std::vector<double> v;
  {
    const std::size_t a = q.find('\n') + 1, b = q.find('\n', a);
    std::string line = q.substr(a, b - a);
    for (std::size_t p = 0; p <= line.size();) {
      const std::size_t e = std::min(line.find(',', p), line.size());
      v.push_back(std::stod(line.substr(p, e - p)));
      p = e + 1;
    }
  }
  ASSERT_EQ(v.size(), 10u + 2u * 8u);
  const double* heaviest = nullptr;
  for (int k = 0; k < 2; ++k) {
    const double* c = v.data() + 10 + 8 * k;  // alpha, mu1, mu2, s1, s2, a00, a10, a11
    EXPECT_NEAR(c[3], std::fabs(c[5]), 1e-12 * c[3]) << "component " << k;
    EXPECT_NEAR(c[4], std::hypot(c[6], c[7]), 1e-9 * c[4]) << "component " << k;
    if (heaviest == nullptr || c[0] > heaviest[0]) heaviest = c;
  }
  // y2 = y1 + 0.1 n with y1's noise 0.5: a10 near 0.5, a11 near 0.1.
  EXPECT_GT(std::fabs(heaviest[6]), 2.0 * heaviest[7]) << "the main component is not correlated";
}

// An ensemble of full-covariance networks (sigma-scaled by default, like
// every ensemble) keeps the gain over the diagonal ensemble, and predicts.
TEST(FullCovCli, EnsemblesOfFullCovarianceModels) {
  TempDir dir;
  dir.write("train.csv", correlated_csv(1500, 5));
  dir.write("test.csv", correlated_csv(1000, 6));
  const auto [diag, full] =
      diagonal_and_full_nll(dir, "--ensemble 3 --components 2 --hidden 16 --epochs 10 --seed 4");
  std::printf("ensemble of 3, held-out joint NLL per row: diagonal %.4f, full %.4f\n", diag, full);
  EXPECT_LT(full, diag - 0.1) << "full " << full << " diagonal " << diag;
  const auto info = run_mdn(dir, "info full.safetensors --json");
  ASSERT_EQ(info.status, 0) << info.err;
  const nlohmann::json j = nlohmann::json::parse(info.out);
  EXPECT_EQ(j["covariance"], "full");
  EXPECT_EQ(j["members"], 3) << info.out;
  const auto p = run_mdn(dir, "predict --model full.safetensors --data test.csv --interval 0.9 --out p.csv --device cpu");
  ASSERT_EQ(p.status, 0) << p.err;
  EXPECT_TRUE(has(dir.read("p.csv"), "y2_lo,y2_hi")) << dir.read("p.csv").substr(0, 300);
}

TEST(FullCovCli, BadValuesAreOneMessageNamingTheOption) {
  TempDir dir;
  dir.write("d.csv", correlated_csv(50, 4));
  for (const std::string& args : {std::string("--target y1 --covariance full"),
                                  std::string("--target y1,y2 --covariance bogus"),
                                  std::string("--target y1,y2 --covariance full --target-transform yeo-johnson")}) {
    const auto r = run_mdn(dir, "train --data d.csv --model m.safetensors --device cpu --quiet " + args);
    EXPECT_EQ(r.status, 2) << args << "\n" << r.err;
    EXPECT_TRUE(has(r.err, "--covariance")) << args << "\n" << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << args << "\n" << r.err;
    EXPECT_FALSE(dir.exists("m.safetensors")) << args;
  }
}

}  // namespace
