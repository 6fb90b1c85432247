// `mdn train --weight / --val-data / --init`, `mdn eval --weight` and the
// training warnings, end to end on files the test writes: a weight of 0 is
// the row left out, an integer weight is the row repeated, and every refusal
// names the file or flag, exits 2 and writes no model.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <sstream>
#include <string>

#include "cli_harness.hpp"

namespace {

using mdn::test::run_mdn;
using mdn::test::TempDir;

// x, y = sin(2x) + noise, w: `rows` rows of weight `w_main`, then `shifted`
// rows 5 higher in y of weight `w_shifted`.
std::string sine_csv(int rows, int shifted, double w_main, double w_shifted, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-2.0, 2.0);
  std::normal_distribution<double> n(0.0, 0.1);
  std::ostringstream out;
  out.precision(17);
  out << "x,y,w\n";
  for (int r = 0; r < rows + shifted; ++r) {
    const double x = u(rng);
    out << x << "," << std::sin(2.0 * x) + n(rng) + (r >= rows ? 5.0 : 0.0) << "," << (r >= rows ? w_shifted : w_main)
        << "\n";
  }
  return out.str();
}

// A number after "key": in a JSON text.
double json_value(const std::string& json, const std::string& key) {
  const std::size_t at = json.find("\"" + key + "\":");
  return at == std::string::npos ? NAN : std::stod(json.substr(at + key.size() + 3));
}

class WeightsCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.write("mixed.csv", sine_csv(300, 300, 1.0, 0.0, 1));  // the shifted half weighs nothing
    // The first 300 rows of mixed.csv alone.
    std::istringstream all(dir_.read("mixed.csv"));
    std::string line, kept;
    for (int i = 0; i <= 300 && std::getline(all, line); ++i) kept += line + "\n";
    dir_.write("plain.csv", kept);
  }
  TempDir dir_;
  const std::string train_ = " --target y --features x --epochs 4 --device cpu --quiet";
};

TEST_F(WeightsCli, RowsOfWeightZeroGiveTheModelOfTheOtherRows) {
  auto r = run_mdn(dir_, "train --data mixed.csv --weight w --model a.safetensors" + train_);
  ASSERT_EQ(r.status, 0) << r.err;
  r = run_mdn(dir_, "train --data plain.csv --model b.safetensors" + train_);
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_EQ(run_mdn(dir_, "predict --model a.safetensors --data plain.csv --out pa.csv --device cpu").status, 0);
  ASSERT_EQ(run_mdn(dir_, "predict --model b.safetensors --data plain.csv --out pb.csv --device cpu").status, 0);
  EXPECT_EQ(dir_.read("pa.csv"), dir_.read("pb.csv"));
  // Without --weight the shifted rows count, and the model is another.
  ASSERT_EQ(run_mdn(dir_, "train --data mixed.csv --model c.safetensors" + train_).status, 0);
  ASSERT_EQ(run_mdn(dir_, "predict --model c.safetensors --data plain.csv --out pc.csv --device cpu").status, 0);
  EXPECT_NE(dir_.read("pc.csv"), dir_.read("pb.csv"));
}

TEST_F(WeightsCli, AColumnOfEqualWeightsIsNotAConstantTarget) {
  // plain.csv's w is 1 on every row: the weights are equal, which is fine,
  // though a target like that would be refused.
  auto r = run_mdn(dir_, "train --data plain.csv --weight w --model a.safetensors" + train_);
  ASSERT_EQ(r.status, 0) << r.err;
  r = run_mdn(dir_, "train --data plain.csv --target w --features x --model b.safetensors --epochs 2 --device cpu");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("constant"), std::string::npos) << r.err;
}

TEST_F(WeightsCli, TheWeightColumnIsNeverAFeature) {
  // No --features: every other numeric column would be one, but not w.
  auto r = run_mdn(dir_, "train --data mixed.csv --target y --weight w --model a.safetensors --epochs 2 --device cpu");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("D = 1"), std::string::npos) << r.err;
}

TEST_F(WeightsCli, EvalWeightsEveryScoreLikeRepeatedRows) {
  ASSERT_EQ(run_mdn(dir_, "train --data plain.csv --model m.safetensors" + train_).status, 0);
  // Row weights 0, 1, 2 against the rows written 0, 1, 2 times.
  std::istringstream in(dir_.read("plain.csv"));
  std::string line, weighted = "x,y,w\n", repeated = "x,y,w\n";
  std::getline(in, line);
  for (int i = 0; std::getline(in, line); ++i) {
    const std::string xy = line.substr(0, line.rfind(','));
    weighted += xy + "," + std::to_string(i % 3) + "\n";
    for (int c = 0; c < i % 3; ++c) repeated += xy + ",1\n";
  }
  dir_.write("weighted.csv", weighted);
  dir_.write("repeated.csv", repeated);
  auto r = run_mdn(dir_, "eval --model m.safetensors --data weighted.csv --weight w --json a.json --device cpu");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("weighted by column 'w'"), std::string::npos);
  r = run_mdn(dir_, "eval --model m.safetensors --data repeated.csv --json b.json --device cpu");
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string a = dir_.read("a.json"), b = dir_.read("b.json");
  for (const char* key : {"nll", "crps", "rmse", "mean_predictive_std"})
    EXPECT_NEAR(json_value(a, key), json_value(b, key), 1e-6 * (1.0 + std::fabs(json_value(b, key)))) << key;
}

TEST_F(WeightsCli, BadWeightsAreRefusedBeforeTrainingWithTheLineOrFlag) {
  dir_.write("negative.csv", "x,y,w\n0.1,0.2,1\n0.3,0.4,-2\n0.5,0.1,1\n");
  auto r = run_mdn(dir_, "train --data negative.csv --weight w --model a.safetensors" + train_);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("negative.csv: line 3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("-2"), std::string::npos) << r.err;

  dir_.write("zeros.csv", "x,y,w\n0.1,0.2,0\n0.3,0.4,0\n0.5,0.1,0\n");
  r = run_mdn(dir_, "train --data zeros.csv --weight w --model a.safetensors" + train_);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("every weight is 0"), std::string::npos) << r.err;

  r = run_mdn(dir_, "train --data plain.csv --weight y --model a.safetensors" + train_);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--weight: column 'y' is also a target"), std::string::npos) << r.err;

  r = run_mdn(dir_, "train --data plain.csv --weight nothere --model a.safetensors" + train_);
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("nothere"), std::string::npos) << r.err;
  EXPECT_FALSE(dir_.exists("a.safetensors"));
}

TEST_F(WeightsCli, ValDataIsTheValidationSetAndMustHaveTheColumns) {
  dir_.write("val.csv", sine_csv(80, 0, 1.0, 1.0, 2));
  auto r = run_mdn(dir_, "train --data plain.csv --val-data val.csv --model a.safetensors" + train_);
  ASSERT_EQ(r.status, 0) << r.err;
  // The random split is not used: another --val-fraction gives the same model.
  r = run_mdn(dir_, "train --data plain.csv --val-data val.csv --val-fraction 0.5 --model b.safetensors" + train_);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(dir_.read("a.safetensors"), dir_.read("b.safetensors"));
  // And it is what the reported validation NLL is computed on.
  r = run_mdn(dir_,
              "train --data plain.csv --val-data val.csv --model c.safetensors --target y --features x "
              "--epochs 4 --device cpu --progress none");
  ASSERT_EQ(r.status, 0) << r.err;
  const std::size_t at = r.err.find("validation NLL ");
  ASSERT_NE(at, std::string::npos) << r.err;
  const double reported = std::stod(r.err.substr(at + 15));
  ASSERT_EQ(run_mdn(dir_, "eval --model c.safetensors --data val.csv --json e.json --device cpu").status, 0);
  EXPECT_NEAR(reported, json_value(dir_.read("e.json"), "nll"), 2e-4);

  dir_.write("other.csv", "u,y\n1,2\n3,4\n");
  r = run_mdn(dir_, "train --data plain.csv --val-data other.csv --model d.safetensors" + train_);
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("other.csv"), std::string::npos) << r.err;
  EXPECT_FALSE(dir_.exists("d.safetensors"));
}

TEST_F(WeightsCli, InitContinuesFromAModelAndNamesAnArchitectureThatDiffers) {
  ASSERT_EQ(run_mdn(dir_, "train --data plain.csv --model first.safetensors --components 3" + train_).status, 0);
  // The architecture comes from the model: no --components needed.
  auto r = run_mdn(dir_, "train --data plain.csv --init first.safetensors --lr 1e-9 --model next.safetensors" + train_);
  ASSERT_EQ(r.status, 0) << r.err;
  ASSERT_EQ(run_mdn(dir_, "predict --model first.safetensors --data plain.csv --out p1.csv --device cpu").status, 0);
  ASSERT_EQ(run_mdn(dir_, "predict --model next.safetensors --data plain.csv --out p2.csv --device cpu").status, 0);
  // At a learning rate of 1e-9 the predictions barely move (first data row's mean).
  const auto first_mean = [&](const std::string& name) {
    std::istringstream in(dir_.read(name));
    std::string header, row;
    std::getline(in, header);
    std::getline(in, row);
    return std::stod(row.substr(row.find(',') + 1));
  };
  EXPECT_NEAR(first_mean("p1.csv"), first_mean("p2.csv"), 1e-4);

  r = run_mdn(dir_, "train --data plain.csv --init first.safetensors --components 5 --model bad.safetensors" + train_);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("components (K): 3 vs 5"), std::string::npos) << r.err;
  r = run_mdn(dir_, "train --data plain.csv --init first.safetensors --resume x.ckpt --model bad.safetensors" + train_);
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--init and --resume"), std::string::npos) << r.err;
  EXPECT_FALSE(dir_.exists("bad.safetensors"));
}

TEST_F(WeightsCli, TrainingThatGoesWrongSaysSo) {
  auto r = run_mdn(dir_, "train --data plain.csv --target y --model a.safetensors --epochs 5 --lr 1000 --device cpu");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("warning: the trained model is worse than the baseline"), std::string::npos) << r.err;
  r = run_mdn(dir_, "train --data plain.csv --target y --features x --model b.safetensors --epochs 5 --device cpu");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err.find("warning"), std::string::npos) << r.err;
}

}  // namespace
