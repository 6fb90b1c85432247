// Bad input never crashes and never leaves partial output: every case runs the
// real `mdn` program and expects one clear message, a consistent exit status
// (2 usage, 1 data/runtime) and no output file.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "cli_harness.hpp"

namespace {

using mdn::test::run_mdn;
using mdn::test::TempDir;

const char* kGood = "x,y\n0.1,0.2\n0.2,0.3\n0.3,0.1\n0.4,0.5\n0.5,0.4\n0.6,0.7\n0.7,0.6\n0.8,0.9\n";

struct BadCase {
  std::string name;
  std::string file_content;                // written to data.csv ("" = no file)
  std::string args;                        // arguments after `mdn`
  int status;                              // expected exit status
  std::vector<std::string> message_parts;  // each must appear in stderr
  std::string must_not_exist = "m.safetensors";
};

void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name << ": mdn " << c.args; }

class BadInput : public ::testing::TestWithParam<BadCase> {};

TEST_P(BadInput, OneClearMessageConsistentStatusNoOutput) {
  const BadCase& c = GetParam();
  TempDir dir;
  if (!c.file_content.empty()) dir.write("data.csv", c.file_content);
  const auto r = run_mdn(dir, c.args);
  EXPECT_EQ(r.status, c.status) << "stderr: " << r.err;
  for (const auto& part : c.message_parts) EXPECT_NE(r.err.find(part), std::string::npos) << "stderr: " << r.err;
  // One message: a single line starting with "mdn", no stack trace.
  EXPECT_EQ(r.err.rfind("mdn", 0), 0u) << r.err;
  EXPECT_LE(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_FALSE(dir.exists(c.must_not_exist)) << c.must_not_exist << " was left behind";
  for (const auto& entry : dir.entries()) EXPECT_EQ(entry.find(".tmp"), std::string::npos) << entry;
}

const std::string kTrain = "train --data data.csv --target y --model m.safetensors --epochs 1 --quiet ";

INSTANTIATE_TEST_SUITE_P(
    Train, BadInput,
    ::testing::Values(
        BadCase{"MissingFile", "", kTrain, 1, {"data.csv"}}, BadCase{"EmptyFile", " ", kTrain, 1, {"data.csv"}},
        BadCase{"HeaderOnly", "x,y\n", kTrain, 1, {"data.csv"}},
        BadCase{"RaggedRow", "x,y\n1,2\n3\n4,5\n", kTrain, 1, {"data.csv", "line 3"}},
        BadCase{"MissingTarget", "x,z\n1,2\n3,4\n", kTrain, 1, {"data.csv", "'y'"}},
        BadCase{"MissingFeature", kGood, kTrain + "--features w", 1, {"data.csv", "'w'"}},
        BadCase{"DuplicateColumns", "x,y,x\n1,2,3\n4,5,6\n", kTrain, 1, {"data.csv", "x"}},
        BadCase{"NonNumericCell", "x,y\n1,2\n3,abc\n", kTrain, 1, {"data.csv", "line 3", "'y'"}},
        // (An empty or NA feature cell is filled in by training, docs/DATA.md; a NaN
        // target is a missing target: training drops its row. Without the NaN
        // marker a NaN feature is invalid.)
        BadCase{"NanCell", "x,y\n1,2\nnan,3\n5,6\n", kTrain + "--features x --na-values NA", 1,
                {"data.csv", "line 3", "'x'"}},
        BadCase{"InfCell", "x,y\n1,2\n3,4\n5,inf\n", kTrain, 1, {"data.csv", "line 4", "'y'"}},
        BadCase{"UnterminatedQuote", "x,y\n1,\"2\n3,4\n", kTrain, 1, {"data.csv"}},
        BadCase{"OutputDirectoryMissing",
                kGood,
                "train --data data.csv --target y --model nodir/m.safetensors --epochs 1 --quiet",
                1,
                {"nodir"}},
        BadCase{"ZeroComponents", kGood, kTrain + "--components 0", 2, {"--components"}},
        BadCase{"TooManyComponents", kGood, kTrain + "--components 33", 2, {"--components"}},
        BadCase{"NegativeWidth", kGood, kTrain + "--hidden 50,-3", 2, {"--hidden"}},
        BadCase{"EmptyWidths", kGood, kTrain + "--hidden ''", 2, {"--hidden"}},
        BadCase{"UnknownDevice", kGood, kTrain + "--device tpu", 2, {"--device", "tpu"}},
        BadCase{"NegativeBatch", kGood, kTrain + "--batch-size -1", 2, {"--batch-size"}},
        BadCase{"NegativeEpochs",
                kGood,
                "train --data data.csv --target y --model m.safetensors --epochs -1",
                2,
                {"--epochs"}},
        BadCase{"NegativeSteps", kGood, kTrain + "--steps -5", 2, {"--steps"}},
        BadCase{"UnknownSchedule", kGood, kTrain + "--schedule step", 2, {"--schedule", "step"}},
        BadCase{"WarmupTooLong", kGood, kTrain + "--warmup 0.7", 2, {"--warmup"}},
        BadCase{"MinLrAboveOne", kGood, kTrain + "--min-lr 2", 2, {"--min-lr"}},
        BadCase{"NegativeWeightDecay", kGood, kTrain + "--weight-decay -1", 2, {"--weight-decay"}},
        BadCase{"WeightAverageAboveOne", kGood, kTrain + "--weight-average 2", 2, {"--weight-average"}},
        BadCase{"NegativeLr", kGood, kTrain + "--lr -1", 2, {"--lr"}},
        BadCase{"ValFractionOne", kGood, kTrain + "--val-fraction 1", 2, {"--val-fraction"}},
        BadCase{"NotANumber", kGood, kTrain + "--lr fast", 2, {"--lr", "fast"}},
        BadCase{"UnknownOption", kGood, kTrain + "--colour blue", 2, {"--colour"}},
        BadCase{"MissingData", kGood, "train --target y --model m.safetensors", 2, {"--data"}},
        BadCase{"TargetIsFeature", kGood, kTrain + "--features x,y", 2, {"y"}}),
    [](const auto& info) { return info.param.name; });

INSTANTIATE_TEST_SUITE_P(
    Data, BadInput,
    ::testing::Values(BadCase{"UnknownSet", "", "data nosuchset --out d.csv", 2, {"nosuchset"}, "d.csv"},
                      BadCase{"ZeroRows", "", "data bishop --rows 0 --out d.csv", 2, {"--rows"}, "d.csv"},
                      BadCase{"NoOut", "", "data bishop", 2, {"--out"}, "d.csv"},
                      BadCase{"OutDirMissing", "", "data bishop --out nodir/d.csv", 1, {"nodir"}, "nodir"},
                      BadCase{"UnknownCommand", "", "frobnicate", 2, {"frobnicate"}, "d.csv"}),
    [](const auto& info) { return info.param.name; });

TEST(GoodInput, BomAndCrlfAreAccepted) {
  TempDir dir;
  std::string crlf = "\xEF\xBB\xBF";
  for (const char* line : {"x,y", "0.1,0.2", "0.2,0.3", "0.3,0.1", "0.4,0.5", "0.5,0.4", "0.6,0.7"})
    crlf += std::string(line) + "\r\n";
  dir.write("data.csv", crlf);
  const auto r = run_mdn(dir, kTrain);
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(dir.exists("m.safetensors"));
}

TEST(Help, EverySubcommandExplainsItsFlags) {
  TempDir dir;
  for (const char* command : {"data", "train", "predict", "sample", "eval", "calibrate", "info", "demo"}) {
    const auto r = run_mdn(dir, std::string(command) + " --help");
    EXPECT_EQ(r.status, 0) << command;
    EXPECT_NE(r.out.find("usage: mdn"), std::string::npos) << command;
    EXPECT_NE(r.out.find("--help"), std::string::npos) << command;
  }
  const auto top = run_mdn(dir, "--help");
  EXPECT_EQ(top.status, 0);
  EXPECT_NE(top.out.find("train"), std::string::npos);
  EXPECT_NE(top.out.find("info"), std::string::npos);
  EXPECT_NE(top.out.find("calibrate"), std::string::npos);
}

}  // namespace
