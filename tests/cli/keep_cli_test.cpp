// `--keep COL,...` on predict and sample: ID columns (any text, quoted
// cells included) travel with their rows, also when rows are left out.
#include <gtest/gtest.h>

#include <string>

#include "cli_harness.hpp"

namespace {

using mdn::test::run_mdn;
using mdn::test::TempDir;

class KeepCli : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(run_mdn(dir_, "data bishop --rows 300 --seed 1 --out b.csv").status, 0);
    const auto r = run_mdn(dir_, "train --data b.csv --target y --features x --model m.safetensors --epochs 2 --quiet");
    ASSERT_EQ(r.status, 0) << r.err;
    dir_.write("k.csv", "id,when,x\nA1,\"2020-01-01, noon\",0.1\nB2,2020-01-02,NA\nC3,2020-01-03,0.5\n");
  }
  TempDir dir_;
};

TEST_F(KeepCli, PredictCopiesTheColumnsInFrontOfTheRowsItWrites) {
  auto r =
      run_mdn(dir_, "predict --model m.safetensors --data k.csv --keep id,when --drop-invalid --out p.csv --quiet");
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string out = dir_.read("p.csv");
  EXPECT_EQ(out.rfind("id,when,y_mean,", 0), 0u) << out;
  EXPECT_NE(out.find("\nA1,\"2020-01-01, noon\",0."), std::string::npos) << out;
  EXPECT_EQ(out.find("B2"), std::string::npos) << out;  // its feature was missing: left out, with its ID
  EXPECT_NE(out.find("\nC3,2020-01-03,0."), std::string::npos) << out;
  // The numbers are those of a run without --keep.
  ASSERT_EQ(run_mdn(dir_, "predict --model m.safetensors --data k.csv --drop-invalid --out q.csv --quiet").status, 0);
  const std::string plain = dir_.read("q.csv");
  EXPECT_EQ(out.substr(out.find("\nC3,2020-01-03,") + 15), plain.substr(plain.rfind('\n', plain.size() - 2) + 1));
}

TEST_F(KeepCli, SampleRepeatsTheIdsOnEveryDraw) {
  auto r = run_mdn(dir_, "sample --model m.safetensors --data k.csv --keep id --samples 2 --drop-invalid --out s.csv");
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string out = dir_.read("s.csv");
  EXPECT_EQ(out.rfind("id,row,sample,y\nA1,0,0,", 0), 0u) << out;
  EXPECT_NE(out.find("\nA1,0,1,"), std::string::npos) << out;
  EXPECT_NE(out.find("\nC3,1,0,"), std::string::npos) << out;
}

TEST_F(KeepCli, AnUnknownColumnIsNamedWithASuggestionAndNothingIsWritten) {
  auto r = run_mdn(dir_, "predict --model m.safetensors --data k.csv --keep idd --drop-invalid --out p.csv");
  EXPECT_NE(r.status, 0);
  EXPECT_NE(r.err.find("no column named 'idd' (did you mean 'id'?)"), std::string::npos) << r.err;
  EXPECT_FALSE(dir_.exists("p.csv"));
}

}  // namespace
