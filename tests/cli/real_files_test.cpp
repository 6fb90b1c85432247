// Real files through the real program: semicolon and tab separated files,
// --delimiter, gzip-compressed input (written here with zlib), a file
// without a header row, missing-value markers (--na-values) and
// --drop-invalid in train, predict and sample, each with one clear message
// naming the file, line and the option that is the way out.
#include <gtest/gtest.h>

#include <cstdio>
#include <zlib.h>

#include <algorithm>
#include <string>

#include "cli_harness.hpp"

namespace {

using mdn::test::run_mdn;
using mdn::test::TempDir;

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }
long lines(const std::string& text) { return long(std::count(text.begin(), text.end(), '\n')); }

std::string replaced(std::string text, char from, char to) {
  std::replace(text.begin(), text.end(), from, to);
  return text;
}

std::string gzip_bytes(const std::string& text) {
  z_stream zs{};
  deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&zs, uLong(text.size())) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  zs.avail_in = uInt(text.size());
  zs.next_out = reinterpret_cast<Bytef*>(&out[0]);
  zs.avail_out = uInt(out.size());
  deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

const std::string kTrain = "train --target y --model m.safetensors --epochs 2 --seed 3 --device cpu --quiet --data ";
const std::string kPredict = "predict --model m.safetensors --device cpu --quiet --out p.csv --data ";

// A trained model and its data (comma separated) in `dir`.
std::string train_model(const TempDir& dir) {
  EXPECT_EQ(run_mdn(dir, "data hetero --rows 200 --seed 1 --out d.csv").status, 0);
  const auto r = run_mdn(dir, kTrain + "d.csv");
  EXPECT_EQ(r.status, 0) << r.err;
  return dir.read("d.csv");
}

TEST(RealFiles, SemicolonTabAndGzipFilesTrainAndPredictLikeTheCommaFile) {
  TempDir dir;
  const std::string csv = train_model(dir);
  ASSERT_EQ(run_mdn(dir, kPredict + "d.csv").status, 0);
  const std::string expected = dir.read("p.csv");
  ASSERT_EQ(lines(expected), 201);
  dir.write("d_semi.csv", replaced(csv, ',', ';'));
  dir.write("d.tsv", replaced(csv, ',', '\t'));
  dir.write("d.csv.gz", gzip_bytes(csv));
  dir.write("d_semi.csv.gz", gzip_bytes(replaced(csv, ',', ';')));
  for (const char* file : {"d_semi.csv", "d.tsv", "d.csv.gz", "d_semi.csv.gz"}) {
    const auto r = run_mdn(dir, kPredict + file);
    ASSERT_EQ(r.status, 0) << file << ": " << r.err;
    EXPECT_EQ(dir.read("p.csv"), expected) << file;
  }
  // Training on them gives the model training on the comma file gave.
  const std::string model = dir.read("m.safetensors");
  for (const char* file : {"d.tsv", "d_semi.csv.gz"}) {
    const auto r = run_mdn(dir, kTrain + file);
    ASSERT_EQ(r.status, 0) << file << ": " << r.err;
    EXPECT_EQ(dir.read("m.safetensors"), model) << file;
  }
}

TEST(RealFiles, AForcedDelimiterIsUsedAndAWrongOneGetsAHint) {
  TempDir dir;
  const std::string csv = train_model(dir);
  dir.write("d.txt", replaced(csv, ',', '|'));
  auto r = run_mdn(dir, kPredict + "d.txt --delimiter pipe");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(lines(dir.read("p.csv")), 201);
  dir.write("d_semi.csv", replaced(csv, ',', ';'));
  r = run_mdn(dir, "predict --model m.safetensors --out q.csv --data d_semi.csv --delimiter comma");
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(has(r.err, "d_semi.csv") && has(r.err, "semicolon-separated (--delimiter)")) << r.err;
  EXPECT_FALSE(dir.exists("q.csv"));
  r = run_mdn(dir, kPredict + "d.csv --delimiter ab");
  EXPECT_EQ(r.status, 2);
  EXPECT_TRUE(has(r.err, "--delimiter") && has(r.err, "'ab' is not a delimiter")) << r.err;
}

TEST(RealFiles, BrokenGzipAndAHeaderlessFileGetOneClearMessage) {
  TempDir dir;
  const std::string csv = train_model(dir);
  const std::string gz = gzip_bytes(csv);
  dir.write("cut.csv.gz", gz.substr(0, gz.size() / 2));
  auto r = run_mdn(dir, "train --target y --model n.safetensors --epochs 1 --data cut.csv.gz");
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(has(r.err, "cut.csv.gz: the gzip data ends early")) << r.err;
  EXPECT_FALSE(has(r.err, "\x1f\x8b")) << r.err;
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_FALSE(dir.exists("n.safetensors"));
  dir.write("nohead.csv", csv.substr(csv.find('\n') + 1));
  r = run_mdn(dir, "train --target y --model n.safetensors --epochs 1 --data nohead.csv");
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(has(r.err, "nohead.csv: no column named 'y'; the first line looks like data") &&
              has(r.err, "mdn needs a header row naming the columns"))
      << r.err;
  EXPECT_FALSE(dir.exists("n.safetensors"));
}

TEST(RealFiles, MissingMarkersAreMissingAndTheErrorNamesDropInvalid) {
  TempDir dir;
  std::string text = "x,y\n";
  for (int i = 0; i < 60; ++i) text += std::to_string(i % 10) + "," + std::to_string((i * 7) % 11) + "\n";
  // Rows whose target is missing are dropped, with a count and the first.
  dir.write("na.csv", text + "3,N/A\n4,?\n5,-\n");
  auto r = run_mdn(dir, "train --target y --model m.safetensors --epochs 1 --device cpu --data na.csv");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(has(r.err,
                  "na.csv: dropped 3 rows with a missing target or an invalid cell (the first: line 62, "
                  "column 'y': 'N/A' marks a missing value)"))
      << r.err;
  // A missing feature is filled with the training mean plus an indicator
  // feature (docs/DATA.md), said on stderr, and kept in the model.
  std::remove(dir.file("m.safetensors").c_str());
  dir.write("nx.csv", text + "N/A,3\n4,?\n");
  r = run_mdn(dir, "train --target y --model m.safetensors --epochs 2 --seed 3 --device cpu --data nx.csv");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(has(r.err, "column 'x' has missing values: filled with the training mean") &&
              has(r.err, "'x:missing'") && has(r.err, "--drop-invalid"))
      << r.err;
  r = run_mdn(dir, "info m.safetensors");
  EXPECT_TRUE(has(r.out, "x:missing") && has(r.out, "x: number; missing: training mean")) << r.out;
  r = run_mdn(dir, "train --target y --model m2.safetensors --epochs 1 --device cpu --data nx.csv --drop-invalid");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(has(r.err, "dropped 2 rows")) << r.err;
  EXPECT_FALSE(has(run_mdn(dir, "info m2.safetensors").out, "x:missing"));
  // A sentinel given with --na-values replaces the defaults: -999 is missing, '?' is now a typo.
  dir.write("s.csv", text + "-999,3\n");
  r = run_mdn(dir, "train --target y --model s.safetensors --epochs 1 --device cpu --data s.csv --na-values -999,n/a");
  EXPECT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(has(r.err, "column 'x' has missing values")) << r.err;
  EXPECT_TRUE(has(run_mdn(dir, "info s.safetensors").out, "x:missing"));
  dir.write("q.csv", text + "3,?\n");
  r = run_mdn(dir, kTrain + "q.csv --na-values -999");
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(has(r.err, "'?' is not a number") && has(r.err, "--na-values") && has(r.err, "--drop-invalid")) << r.err;
}

TEST(RealFiles, PredictAndSampleLeaveOutRowsWithAMissingFeatureOnlyWhenAsked) {
  TempDir dir;
  const std::string csv = train_model(dir);
  // Rows 3 and 6 of the data (lines 4 and 7) lose their feature.
  std::string holes;
  int line = 0;
  for (std::size_t at = 0; at < csv.size();) {
    const std::size_t end = csv.find('\n', at) + 1;
    std::string row = csv.substr(at, end - at);
    ++line;
    if (line == 4) row = "NA" + row.substr(row.find(','));
    if (line == 7) row = row.substr(row.find(','));
    holes += row;
    at = end;
  }
  dir.write("holes.csv", holes);
  auto r = run_mdn(dir, "predict --model m.safetensors --out p.csv --data holes.csv");
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(has(r.err, "holes.csv: line 4, column 'x': 'NA' marks a missing value") && has(r.err, "--drop-invalid"))
      << r.err;
  EXPECT_FALSE(dir.exists("p.csv"));
  r = run_mdn(dir, "predict --model m.safetensors --out p.csv --data holes.csv --drop-invalid --device cpu");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(has(r.err, "holes.csv: left out 2 rows with a missing or invalid feature (the first: line 4")) << r.err;
  EXPECT_EQ(lines(dir.read("p.csv")), 1 + 198);
  r = run_mdn(dir, "sample --model m.safetensors --samples 2 --out s.csv --data holes.csv --device cpu");
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(has(r.err, "--drop-invalid")) << r.err;
  EXPECT_FALSE(dir.exists("s.csv"));
  r = run_mdn(dir, "sample --model m.safetensors --samples 2 --out s.csv --data holes.csv --drop-invalid");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(has(r.err, "left out 2 rows")) << r.err;
  EXPECT_EQ(lines(dir.read("s.csv")), 1 + 198 * 2);
}

}  // namespace

// ---- column handling in mdn train (no --features) ---------------------------------

// A faithful-like file: R's row names (empty header), a constant station, a
// text column, an ID counter, two numeric columns.
std::string faithful_like() {
  std::string text = "\"\",eruptions,waiting,station,weather,id\n";
  for (int i = 0; i < 60; ++i) {
    const int w = 45 + (i * 37) % 45;
    text += std::to_string(i + 1) + "," + std::to_string(1.5 + w / 30.0 + ((i * 13) % 7) / 20.0).substr(0, 5) + "," +
            std::to_string(w) + ",3," + (i % 3 ? "sun" : "rain") + "," + std::to_string(i) + "\n";
  }
  return text;
}

TEST(ColumnChoice, TrainSaysWhichColumnsItUsesAndWhyTheOthersAreLeftOut) {
  TempDir dir;
  dir.write("f.csv", faithful_like());
  const auto r = run_mdn(dir, "train --data f.csv --target eruptions --model m.safetensors --epochs 1 --progress none");
  ASSERT_EQ(r.status, 0) << r.err;
  // The text column of two values is a category (docs/DATA.md): two one-hot features.
  EXPECT_TRUE(has(r.err,
                  "f.csv: 2 feature columns: 'waiting', 'weather' as category (2: rain, sun); left out: '' (row "
                  "label: its header is empty), 'eruptions' (target), 'station' (constant: every value is 3), 'id' "
                  "(row counter: 0..59 in order)"))
      << r.err;
  EXPECT_TRUE(has(r.err, "mdn train: warning: f.csv: left out '' (row label") && has(r.err, "--features")) << r.err;
  EXPECT_TRUE(has(r.err, "D = 3")) << r.err;
  // --features overrides every rule; then nothing is said about columns.
  const auto named = run_mdn(
      dir, "train --data f.csv --target eruptions --features waiting,id,station --model n.safetensors --epochs 1");
  ASSERT_EQ(named.status, 0) << named.err;
  EXPECT_TRUE(has(named.err, "D = 3")) << named.err;
  EXPECT_FALSE(has(named.err, "left out")) << named.err;
  // A prediction needs only the columns the model was trained on.
  ASSERT_EQ(run_mdn(dir, "train --data f.csv --target eruptions --model m.safetensors --epochs 1 --quiet").status, 0);
  dir.write("new.csv", "waiting,weather\n50,sun\n80,rain\n");
  const auto p = run_mdn(dir, "predict --model m.safetensors --data new.csv --out p.csv --quiet");
  EXPECT_EQ(p.status, 0) << p.err;
}

TEST(ColumnChoice, ATypoCellInANumericColumnIsAnErrorNotATextColumn) {
  TempDir dir;
  std::string text = faithful_like();
  const std::size_t line21 = [&] {
    std::size_t at = 0;
    for (int i = 0; i < 20; ++i) at = text.find('\n', at) + 1;
    return at;
  }();
  // Line 21's waiting cell (the third field) becomes 7O.
  const std::size_t c1 = text.find(',', line21), c2 = text.find(',', c1 + 1), c3 = text.find(',', c2 + 1);
  text.replace(c2 + 1, c3 - c2 - 1, "7O");
  dir.write("typo.csv", text);
  auto r = run_mdn(dir, "train --data typo.csv --target eruptions --model m.safetensors --epochs 1");
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(
      has(r.err, "typo.csv: line 21, column 'waiting': '7O' is not a number, in a column of numbers (59 of 60") &&
      has(r.err, "--na-values") && has(r.err, "--drop-invalid") && has(r.err, "--features"))
      << r.err;
  EXPECT_EQ(lines(r.err), 1) << r.err;
  EXPECT_FALSE(dir.exists("m.safetensors"));
  // --drop-invalid: the column stays a feature, the row goes.
  r = run_mdn(dir, "train --data typo.csv --target eruptions --model m.safetensors --epochs 1 --drop-invalid");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(has(r.err, "2 feature columns: 'waiting', 'weather'") && has(r.err, "dropped 1 row ")) << r.err;
}

TEST(ColumnChoice, AConstantTargetIsAnError) {
  TempDir dir;
  dir.write("f.csv", faithful_like());
  const auto r = run_mdn(dir, "train --data f.csv --target station --features waiting --model m.safetensors");
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(has(r.err, "f.csv: the target column 'station' is constant (every value is 3)")) << r.err;
  EXPECT_FALSE(dir.exists("m.safetensors"));
}
