// `mdn eval` reads its input a part at a time and adds every score to
// running sums (mdn/metrics.hpp, EvalAccumulator), so memory does not grow
// with the file. With MDN_CSV_PART_BYTES small, files of some 20000 rows are
// read in hundreds of pieces and scored in 5 parts (whole forward blocks of
// 4096 rows, mdn/inference.hpp); the JSON must be that of a run that reads the
// file in one part (the default part is 4 MiB, far above these files):
// every count exact, every figure within 1e-12 relative; and the report's
// data files the same bytes (20000 rows: every row is in the report's
// sample). The one-part run is the whole-file evaluation as it was before
// streaming (the same per-row scores, summed in the same order).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "cli_harness.hpp"
#include "hetero_csv.hpp"

namespace {

using mdn::test::hetero_csv;
using mdn::test::run_mdn;
using mdn::test::TempDir;

const std::string kSmallParts = "MDN_CSV_PART_BYTES=2000";

// The JSON text cut into numbers and the text between them.
struct Tokens {
  std::vector<std::string> text;
  std::vector<double> numbers;
};

Tokens tokens(const std::string& json) {
  Tokens t;
  std::string between;
  for (std::size_t i = 0; i < json.size();) {
    const char c = json[i];
    const bool starts_number = (c == '-' || (c >= '0' && c <= '9')) &&
                               (i == 0 || json[i - 1] == ' ' || json[i - 1] == '[' || json[i - 1] == ':');
    if (!starts_number) {
      between += c;
      ++i;
      continue;
    }
    char* end = nullptr;
    t.numbers.push_back(std::strtod(json.c_str() + i, &end));
    t.text.push_back(between);
    between.clear();
    i = std::size_t(end - json.c_str());
  }
  t.text.push_back(between);
  return t;
}

// The same keys, strings and counts, and figures within 1e-12 relative.
void expect_same_json(const std::string& got, const std::string& want, const std::string& what) {
  const Tokens g = tokens(got), w = tokens(want);
  ASSERT_EQ(g.text, w.text) << what << "\n" << got << "\n---\n" << want;
  ASSERT_EQ(g.numbers.size(), w.numbers.size()) << what;
  for (std::size_t i = 0; i < w.numbers.size(); ++i)
    EXPECT_LE(std::fabs(g.numbers[i] - w.numbers[i]), 1e-12 * std::max(1.0, std::fabs(w.numbers[i])))
        << what << ": number " << i << " (after '" << w.text[i] << "'): " << g.numbers[i] << " vs " << w.numbers[i];
}

long count(const std::string& text, const std::string& needle) {
  long n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// stderr without the progress lines (one per part scored while the file is
// still being read).
std::string without_progress(const std::string& err) {
  std::string out;
  for (std::size_t at = 0; at < err.size();) {
    std::size_t end = err.find('\n', at);
    end = end == std::string::npos ? err.size() : end + 1;
    const std::string line = err.substr(at, end - at);
    if (line.find("% of the input)") == std::string::npos && line != "\n") out += line;
    at = end;
  }
  return out;
}

// Two targets and a weight column: the energy score and weighted sums.
std::string two_target_csv(int rows, unsigned seed) {
  std::string out = "x,y1,y2,w\n";
  unsigned s = seed;
  auto next = [&s] {
    s = s * 1664525u + 1013904223u;
    return double(s >> 8) / double(1u << 24);
  };
  for (int i = 0; i < rows; ++i) {
    const double x = 4.0 * next() - 2.0, e1 = next() - 0.5, e2 = next() - 0.5;
    const double y1 = std::sin(2.0 * x) + 0.3 * e1, y2 = 0.5 * x * y1 + (0.1 + 0.2 * std::fabs(x)) * e2;
    out += std::to_string(x) + "," + std::to_string(y1) + "," + std::to_string(y2) + "," +
           std::to_string(0.5 * (i % 5)) + "\n";
  }
  return out;
}

class StreamingEvalCli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    const TempDir& dir = *dir_;
    dir.write("train.csv", hetero_csv(2000, 1));
    auto r = run_mdn(dir, "train --data train.csv --target y --model m.safetensors --epochs 3 --seed 2 --components 3 "
                          "--hidden 16 --device cpu --quiet");
    ASSERT_EQ(r.status, 0) << r.err;
    dir.write("cal.csv", hetero_csv(1000, 4, 0.3));
    r = run_mdn(dir, "calibrate --model m.safetensors --data cal.csv --out recal.safetensors --device cpu --quiet");
    ASSERT_EQ(r.status, 0) << r.err;
    dir.write("d.csv", hetero_csv(20000, 3));
    dir.write("train2.csv", two_target_csv(2000, 5));
    r = run_mdn(dir, "train --data train2.csv --target y1,y2 --features x --model m2.safetensors --epochs 3 --seed 2 "
                     "--components 3 --hidden 16 --device cpu --quiet");
    ASSERT_EQ(r.status, 0) << r.err;
    dir.write("d2.csv", two_target_csv(20000, 8));
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static TempDir* dir_;
  const TempDir& dir() const { return *dir_; }

  // `args` (with --json) read whole and in small parts: the same JSON, the
  // same table on stdout, and the streamed run read many parts. Returns the JSON.
  std::string expect_same_streamed(const std::string& args) {
    const auto whole = run_mdn(dir(), args + " --json whole.json");
    EXPECT_EQ(whole.status, 0) << args << "\n" << whole.err;
    const auto streamed = run_mdn(dir(), args + " --json streamed.json", kSmallParts);
    EXPECT_EQ(streamed.status, 0) << args << "\n" << streamed.err;
    EXPECT_GE(count(streamed.err, "% of the input)"), 4) << args << "\n" << streamed.err;
    const std::string want = dir().read("whole.json");
    expect_same_json(dir().read("streamed.json"), want, args);
    EXPECT_EQ(streamed.out, whole.out) << args;
    EXPECT_EQ(without_progress(streamed.err), without_progress(whole.err)) << args;
    return want;
  }
};
TempDir* StreamingEvalCli::dir_ = nullptr;

TEST_F(StreamingEvalCli, ThePartsDoNotChangeTheScores) {
  const std::string json = expect_same_streamed("eval --model m.safetensors --device cpu --data d.csv");
  EXPECT_NE(json.find("\"rows\": 20000"), std::string::npos) << json;
}

TEST_F(StreamingEvalCli, ABadPartSizeIsRefused) {
  const auto bad = run_mdn(dir(), "eval --model m.safetensors --device cpu --data d.csv", "MDN_CSV_PART_BYTES=-5");
  EXPECT_EQ(bad.status, 2) << bad.err;
  EXPECT_NE(bad.err.find("MDN_CSV_PART_BYTES"), std::string::npos) << bad.err;
}

TEST_F(StreamingEvalCli, WeightsTwoTargetsAndTheEnergyScore) {
  const std::string json = expect_same_streamed(
      "eval --model m2.safetensors --device cpu --data d2.csv --weight w --energy-samples 10 --seed 3");
  EXPECT_NE(json.find("energy"), std::string::npos) << json;
}

TEST_F(StreamingEvalCli, ARecalibratedModelWithConformalIntervals) {
  const std::string json = expect_same_streamed("eval --model recal.safetensors --device cpu --data d.csv");
  EXPECT_NE(json.find("\"before_calibration\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"conformal_intervals\""), std::string::npos) << json;
}

TEST_F(StreamingEvalCli, DroppedRowsOutOfRangeAndGriddedTargets) {
  std::string data = hetero_csv(20000, 5);
  for (int row : {10, 9500, 19990}) {  // invalid x cells far apart (different parts)
    std::size_t at = 0;
    for (int line = 0; line < row; ++line) at = data.find('\n', at) + 1;
    data.replace(at, data.find(',', at) - at, row == 9500 ? "oops" : "NA");
  }
  std::size_t at = 0;
  for (int line = 0; line < 15000; ++line) at = data.find('\n', at) + 1;
  data.replace(at, data.find(',', at) - at, "1000");  // far outside the training range, in a late part
  dir().write("holes.csv", data);
  const std::string json =
      expect_same_streamed("eval --model m.safetensors --device cpu --data holes.csv --drop-invalid");
  EXPECT_NE(json.find("\"dropped_rows\": 3"), std::string::npos) << json;
  EXPECT_NE(json.find("\"outside_training_range\""), std::string::npos) << json;
  // Targets rounded to a grid of 0.5: the grid-cell NLL over every part.
  std::string gridded = "x,y\n";
  for (int i = 0; i < 20000; ++i)
    gridded += std::to_string(0.0001 * (i % 9973)) + "," + std::to_string(0.5 * ((i * 7) % 13)) + "\n";
  dir().write("grid.csv", gridded);
  const std::string grid_json = expect_same_streamed("eval --model m.safetensors --device cpu --data grid.csv");
  EXPECT_NE(grid_json.find("\"grid_cell_nll\""), std::string::npos) << grid_json;
}

TEST_F(StreamingEvalCli, AModelWithAFeatureEncoding) {
  std::string train = "x,kind,y\n", data = "x,kind,y\n";
  const char* kinds[] = {"a", "b", "c"};
  for (int i = 0; i < 600; ++i)
    train += (i % 20 == 0 ? std::string() : std::to_string(0.01 * (i % 100))) + "," + kinds[i % 3] + "," +
             std::to_string(0.02 * (i % 100) + i % 3) + "\n";
  for (int i = 0; i < 20000; ++i)
    data += (i % 31 == 0 ? std::string() : std::to_string(0.013 * (i % 97))) + "," +
            (i % 500 == 7 ? "zebra" : kinds[i % 3]) + "," + std::to_string(0.02 * (i % 89) + i % 3) + "\n";
  dir().write("enc_train.csv", train);
  dir().write("enc.csv", data);
  const auto r = run_mdn(dir(), "train --data enc_train.csv --target y --model enc.safetensors --epochs 2 "
                                "--components 2 --hidden 8 --device cpu --quiet");
  ASSERT_EQ(r.status, 0) << r.err;
  const std::string json = expect_same_streamed("eval --model enc.safetensors --device cpu --data enc.csv");
  // The counts are the whole file's, not the last part's.
  EXPECT_NE(json.find("\"rows\": 40"), std::string::npos) << json;
}

TEST_F(StreamingEvalCli, TheReportDrawsTheSameRows) {
  for (const std::string& parts : {std::string(), kSmallParts}) {
    const std::string dir_name = parts.empty() ? "rep_whole" : "rep_parts";
    const auto r = run_mdn(dir(), "eval --model m.safetensors --device cpu --data d.csv --report " + dir_name,
                           parts.empty() ? "MDN_GNUPLOT=/nonexistent" : parts + " MDN_GNUPLOT=/nonexistent");
    ASSERT_EQ(r.status, 0) << r.err;
  }
  for (const char* file : {"scatter_t0.dat", "histogram_t0.dat", "density_t0.dat", "density_points_t0.dat"}) {
    const std::string whole = dir().read(std::string("rep_whole/") + file);
    EXPECT_GT(whole.size(), 100u) << file;
    EXPECT_TRUE(whole == dir().read(std::string("rep_parts/") + file)) << file;
  }
  EXPECT_GE(count(dir().read("rep_whole/scatter_t0.dat"), "\n"), 3000);
}

}  // namespace
