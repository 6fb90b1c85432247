// Every command checks each output location (--out, --model, --checkpoint,
// --json, --report) before it reads big inputs or trains: the input files
// below do not even exist, so a message naming the output proves the check
// came first. Status 1 (a file-system problem), one line, nothing written.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "cli_harness.hpp"

namespace {

using mdn::test::run_mdn;
using mdn::test::TempDir;

struct Unwritable {
  std::string name;
  std::string args;        // after `mdn`; the inputs named here are missing
  std::string names_path;  // the output the message must name
};

void PrintTo(const Unwritable& c, std::ostream* os) { *os << c.name << ": mdn " << c.args; }

class OutputLocation : public ::testing::TestWithParam<Unwritable> {};

TEST_P(OutputLocation, IsCheckedBeforeAnyInputIsRead) {
  const Unwritable& c = GetParam();
  TempDir dir;
  dir.write("afile", "not a directory\n");
  const auto before = dir.entries();
  const auto r = run_mdn(dir, c.args);
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_EQ(r.err.rfind("mdn ", 0), 0u) << r.err;
  EXPECT_NE(r.err.find(c.names_path + ": cannot write here"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("missing"), std::string::npos) << "an input was read first:\n" << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  EXPECT_EQ(dir.entries(), before) << "something was written";
}

const std::string kTrain = "train --data missing.csv --target y --epochs 1 --quiet ";
const std::string kModel = "--model missing.safetensors --data missing.csv ";

INSTANTIATE_TEST_SUITE_P(
    EveryOutputFlag, OutputLocation,
    ::testing::Values(Unwritable{"TrainModelDirMissing", kTrain + "--model nodir/m.safetensors", "nodir/m.safetensors"},
                      Unwritable{"TrainModelUnderAFile", kTrain + "--model afile/m.safetensors", "afile/m.safetensors"},
                      Unwritable{"TrainModelIsADirectory", kTrain + "--model .", "."},
                      Unwritable{"TrainCheckpointDirMissing",
                                 kTrain + "--model m.safetensors --checkpoint nodir/c.ckpt", "nodir/c.ckpt"},
                      Unwritable{"DataOutDirMissing", "data bishop --rows 10 --out nodir/d.csv", "nodir/d.csv"},
                      Unwritable{"PredictOutDirMissing", "predict " + kModel + "--out nodir/p.csv", "nodir/p.csv"},
                      Unwritable{"PredictOutIsADirectory", "predict " + kModel + "--out .", "."},
                      Unwritable{"SampleOutDirMissing", "sample " + kModel + "--samples 2 --out nodir/s.csv",
                                 "nodir/s.csv"},
                      Unwritable{"EvalJsonDirMissing", "eval " + kModel + "--json nodir/m.json", "nodir/m.json"},
                      Unwritable{"EvalReportUnderAFile", "eval " + kModel + "--report afile/report", "afile/report"},
                      Unwritable{"EvalReportIsAFile", "eval " + kModel + "--report afile", "afile"},
                      Unwritable{"DemoOutUnderAFile", "demo --out afile/demo --epochs 1 --quiet", "afile/demo"}),
    [](const auto& info) { return info.param.name; });

// A report directory that does not exist yet is created (with its parents):
// not a reason to refuse.
TEST(OutputLocationOk, MissingReportDirectoryIsNotRefused) {
  TempDir dir;
  const auto r = run_mdn(dir, "eval " + kModel + "--report new/deeper/report");
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find("missing.safetensors"), std::string::npos) << r.err;  // failed on the input instead
}

}  // namespace
