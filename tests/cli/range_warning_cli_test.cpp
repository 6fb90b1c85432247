// Inputs far outside the training rows: `mdn predict`, `sample` and `eval`
// say how many rows, per feature, and eval's JSON keeps the counts.
#include <gtest/gtest.h>

#include <string>

#include "cli_harness.hpp"

namespace {

using mdn::test::run_mdn;
using mdn::test::TempDir;

TEST(RangeWarning, RowsFarOutsideTheTrainingRangeAreCountedPerFeature) {
  TempDir dir;
  // bishop's x lies in about [-0.1, 1.1].
  ASSERT_EQ(run_mdn(dir, "data bishop --rows 300 --seed 1 --out b.csv").status, 0);
  auto r = run_mdn(dir, "train --data b.csv --target y --features x --model m.safetensors --epochs 2 --quiet");
  ASSERT_EQ(r.status, 0) << r.err;
  dir.write("far.csv", "x,y\n0.5,0.5\n4.0,0.5\n-3.0,0.2\n0.9,0.7\n");
  r = run_mdn(dir, "predict --model m.safetensors --data far.csv --out p.csv --device cpu");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("mdn predict: warning: 2 of 4 rows have 'x' outside the training range"), std::string::npos)
      << r.err;
  r = run_mdn(dir, "sample --model m.safetensors --data far.csv --samples 2 --out s.csv --device cpu");
  EXPECT_NE(r.err.find("mdn sample: warning: 2 of 4 rows"), std::string::npos) << r.err;
  r = run_mdn(dir, "eval --model m.safetensors --data far.csv --json e.json --device cpu");
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string json = dir.read("e.json");
  EXPECT_NE(json.find("\"outside_training_range\": {\"margin\": 0.10000000000000001, \"features\": [{\"name\": "
                      "\"x\", \"rows\": 2"),
            std::string::npos)
      << json;
  // --quiet: the same table and JSON, nothing on stderr (the device note,
  // the warning, the report line all go).
  const auto loud = run_mdn(dir, "eval --model m.safetensors --data far.csv --json loud.json --report rep1");
  const auto quiet =
      run_mdn(dir, "eval --model m.safetensors --data far.csv --json quiet.json --report rep2 --quiet");
  ASSERT_EQ(loud.status, 0) << loud.err;
  ASSERT_EQ(quiet.status, 0) << quiet.err;
  EXPECT_NE(loud.err.find("warning"), std::string::npos) << loud.err;
  EXPECT_EQ(quiet.err, "");
  EXPECT_EQ(quiet.out, loud.out);
  EXPECT_EQ(dir.read("quiet.json"), dir.read("loud.json"));
  // Rows of the training data: no warning.
  r = run_mdn(dir, "predict --model m.safetensors --data b.csv --out q.csv --device cpu");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.err.find("warning"), std::string::npos) << r.err;
}

}  // namespace
