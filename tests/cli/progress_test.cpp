// Training progress on stderr: --progress lines (one line per epoch; the
// default when stderr is not a terminal), bar (one line redrawn in place),
// none; each ends with the one-line summary unless --quiet.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "cli_harness.hpp"

namespace {

using mdn::test::run_mdn;
using mdn::test::TempDir;

class Progress : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    ASSERT_EQ(run_mdn(*dir_, "data bishop --rows 200 --seed 1 --out b.csv").status, 0);
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static mdn::test::RunResult train(const std::string& extra) {
    return run_mdn(*dir_,
                   "train --data b.csv --target y --model m.safetensors --epochs 3 --patience 0 --device cpu " + extra);
  }
  static long count(const std::string& text, const std::string& needle) {
    long n = 0;
    for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
  }
  static TempDir* dir_;
};
TempDir* Progress::dir_ = nullptr;

TEST_F(Progress, LinesIsTheDefaultWhenStderrIsNotATerminal) {
  for (const std::string flag : {"", "--progress lines", "--progress auto"}) {
    const auto r = train(flag);
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(count(r.err, "\nepoch "), 3) << flag << "\n" << r.err;
    EXPECT_EQ(r.err.find('\r'), std::string::npos) << flag;
    EXPECT_NE(r.err.find("epoch 3/3"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("best epoch"), std::string::npos) << r.err;
  }
}

TEST_F(Progress, BarRedrawsOneLineThenSummarises) {
  const auto r = train("--progress bar");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(count(r.err, "\r\033[Kepoch "), 3) << r.err;
  EXPECT_NE(r.err.find("epoch 3/3 [####################]"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("samples/s"), std::string::npos);
  EXPECT_NE(r.err.find("left ~"), std::string::npos);
  // The columns used, the header, the bar's one line, the cross-fitting
  // (200 rows: 20 validation rows), the summary.
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 5) << r.err;
  EXPECT_NE(r.err.find("b.csv: 1 feature column: 'x'; left out: 'y' (target)\n"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("\nbest epoch"), std::string::npos) << r.err;
}

TEST_F(Progress, NoneKeepsOnlyTheSummaryAndQuietNothing) {
  const auto none = train("--progress none");
  ASSERT_EQ(none.status, 0) << none.err;
  EXPECT_EQ(none.err.find("epoch 1/"), std::string::npos) << none.err;
  EXPECT_NE(none.err.find("best epoch"), std::string::npos) << none.err;
  const auto quiet = train("--quiet --progress lines");
  ASSERT_EQ(quiet.status, 0) << quiet.err;
  EXPECT_EQ(quiet.err, "");
}

TEST_F(Progress, AnUnknownStyleIsAUsageError) {
  const auto r = train("--progress fancy");
  EXPECT_EQ(r.status, 2);
  EXPECT_NE(r.err.find("--progress"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("fancy"), std::string::npos) << r.err;
}

}  // namespace
