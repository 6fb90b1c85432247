// `mdn predict` and `mdn sample` read their input a part at a time
// (mdn/csv_stream.hpp). With MDN_CSV_PART_BYTES small, files of a few
// hundred kilobytes go through in dozens of parts; their output must be the
// bytes of a run that reads the file in one part (the default part is 4 MiB,
// far above these files), for every option, and a bad cell in a late part
// must still fail with file, line and column and leave no output file.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdio>
#include <string>

#include "cli_harness.hpp"
#include "hetero_csv.hpp"

namespace {

using mdn::test::hetero_csv;
using mdn::test::run_mdn;
using mdn::test::TempDir;

// About 45 rows a part for the 20000-row files below: ~400 parts of the
// file, handed on in 5 parts of whole forward blocks (4096 rows).
const std::string kSmallParts = "MDN_CSV_PART_BYTES=2000";

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

long count(const std::string& text, const std::string& needle) {
  long n = 0;
  for (std::size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// hetero_csv's rows with an ID column in front: quoted, some holding a
// comma, a doubled quote or a line break (so a record spans two lines), CRLF
// line ends, a byte-order mark, and blank lines at the end of the file.
std::string awkward_csv(int rows) {
  const std::string plain = hetero_csv(rows, 7);
  std::string out = "\xEF\xBB\xBFid,x,y\r\n";
  std::size_t at = plain.find('\n') + 1;
  for (int r = 0; at < plain.size(); ++r) {
    const std::size_t end = plain.find('\n', at);
    const std::string id = r % 7 == 0   ? "\"row\n" + std::to_string(r) + "\""
                           : r % 5 == 0 ? "\"a,\"\"b\"\" " + std::to_string(r) + "\""
                                        : "r" + std::to_string(r);
    out += id + "," + plain.substr(at, end - at) + "\r\n";
    at = end + 1;
  }
  return out + "\r\n\r\n";
}

class StreamingCli : public ::testing::Test {
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
    const std::string data = hetero_csv(20000, 3);
    dir.write("d.csv", data);
    dir.write("d.csv.gz", gzip_bytes(data));
    dir.write("awkward.csv", awkward_csv(20000));
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static TempDir* dir_;
  const TempDir& dir() const { return *dir_; }

  // `args` (with --out OUT) read whole and in small parts: the same bytes,
  // and the streamed run went through several parts (its progress lines).
  void expect_same_streamed(const std::string& args) {
    const auto whole = run_mdn(dir(), args + " --out whole.csv");
    ASSERT_EQ(whole.status, 0) << args << "\n" << whole.err;
    const auto streamed = run_mdn(dir(), args + " --out streamed.csv", kSmallParts);
    ASSERT_EQ(streamed.status, 0) << args << "\n" << streamed.err;
    EXPECT_GE(count(streamed.err, "% of the input)"), 4) << args << "\n" << streamed.err;
    const std::string expected = dir().read("whole.csv");
    EXPECT_GT(count(expected, "\n"), 15000) << args;
    EXPECT_TRUE(expected == dir().read("streamed.csv")) << args;
  }
};
TempDir* StreamingCli::dir_ = nullptr;

TEST_F(StreamingCli, PredictWritesTheSameBytesForEveryOption) {
  const std::string predict = "predict --model m.safetensors --device cpu --data d.csv ";
  for (const std::string options :
       {"", "--quantiles 0.1,0.5,0.9 --modes --params", "--hdi 0.8 --interval 0.9 --chunk-rows 333",
        "--keep y --chunk-rows 1000"})
    expect_same_streamed(predict + options);
}

TEST_F(StreamingCli, SampleDrawsTheSameRowsWhateverThePartsAndChunks) {
  // Draws are keyed on the global row index: a part that restarted it would differ.
  expect_same_streamed("sample --model m.safetensors --device cpu --data d.csv --samples 3 --seed 9");
  expect_same_streamed("sample --model m.safetensors --device cpu --data d.csv --samples 2 --chunk-rows 250");
}

TEST_F(StreamingCli, GzipInputIsInflatedAsItIsRead) {
  expect_same_streamed("predict --model m.safetensors --device cpu --data d.csv.gz --modes");
  const auto plain = run_mdn(dir(), "sample --model m.safetensors --device cpu --data d.csv --samples 2 --out plain.csv");
  ASSERT_EQ(plain.status, 0) << plain.err;
  const auto gz = run_mdn(dir(), "sample --model m.safetensors --device cpu --data d.csv.gz --samples 2 --out gz.csv", kSmallParts);
  ASSERT_EQ(gz.status, 0) << gz.err;
  EXPECT_TRUE(dir().read("plain.csv") == dir().read("gz.csv"));
}

TEST_F(StreamingCli, RecordsSpanningLinesCrlfAndTrailingBlankLines) {
  expect_same_streamed("predict --model m.safetensors --device cpu --data awkward.csv --keep id");
  expect_same_streamed("sample --model m.safetensors --device cpu --data awkward.csv --keep id --samples 2");
}

TEST_F(StreamingCli, ARecalibratedModelStreamsToo) {
  expect_same_streamed("predict --model recal.safetensors --device cpu --data d.csv --interval 0.9 --params");
  expect_same_streamed("sample --model recal.safetensors --device cpu --data d.csv --samples 2");
}

TEST_F(StreamingCli, AModelWithAFeatureEncoding) {
  // A category and a number with missing cells in training; unseen
  // categories and missing cells at prediction time, spread over the parts.
  std::string train = "x,kind,y\n", data = "x,kind,y\n";
  const char* kinds[] = {"a", "b", "c"};
  for (int i = 0; i < 600; ++i)
    train += (i % 20 == 0 ? std::string() : std::to_string(0.01 * (i % 100))) + "," + kinds[i % 3] + "," +
             std::to_string(0.02 * (i % 100) + i % 3) + "\n";
  for (int i = 0; i < 20000; ++i)
    data += (i % 31 == 0 ? std::string() : std::to_string(0.013 * (i % 97))) + "," +
            (i % 500 == 7 ? "zebra" : kinds[i % 3]) + ",0\n";
  dir().write("enc_train.csv", train);
  dir().write("enc.csv", data);
  const auto r = run_mdn(dir(), "train --data enc_train.csv --target y --model enc.safetensors --epochs 2 "
                                "--components 2 --hidden 8 --device cpu --quiet");
  ASSERT_EQ(r.status, 0) << r.err;
  expect_same_streamed("predict --model enc.safetensors --device cpu --data enc.csv --keep kind");
  // The warnings count the whole file, not the last part.
  const auto streamed =
      run_mdn(dir(), "predict --model enc.safetensors --device cpu --data enc.csv --out s.csv", kSmallParts);
  ASSERT_EQ(streamed.status, 0) << streamed.err;
  EXPECT_NE(streamed.err.find("40 of 20000 rows have a category of 'kind' not seen in training (the first: 'zebra')"),
            std::string::npos)
      << streamed.err;
}

TEST_F(StreamingCli, DroppedRowsAreCountedOverTheWholeFile) {
  std::string data = hetero_csv(20000, 5);
  // Invalid x cells in rows far apart (different parts): 1-based data rows.
  for (int row : {10, 9500, 19990}) {
    std::size_t at = 0;
    for (int line = 0; line < row; ++line) at = data.find('\n', at) + 1;
    data.replace(at, data.find(',', at) - at, row == 9500 ? "oops" : "NA");
  }
  dir().write("holes.csv", data);
  expect_same_streamed("predict --model m.safetensors --device cpu --data holes.csv --drop-invalid --keep y");
  expect_same_streamed("sample --model m.safetensors --device cpu --data holes.csv --drop-invalid --samples 2");
  const auto r =
      run_mdn(dir(), "predict --model m.safetensors --device cpu --data holes.csv --drop-invalid --out h.csv", kSmallParts);
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("holes.csv: left out 3 rows with a missing or invalid feature (the first: line 11, column 'x'"),
            std::string::npos)
      << r.err;
}

TEST_F(StreamingCli, ABadCellInALatePartFailsWithNoOutput) {
  std::string data = hetero_csv(20000, 6);
  std::size_t at = 0;
  for (int line = 0; line < 19000; ++line) at = data.find('\n', at) + 1;  // line 19001
  data.replace(at, data.find(',', at) - at, "7O");
  dir().write("late.csv", data);
  for (const std::string command : {"predict", "sample"}) {
    const auto r = run_mdn(dir(), command + " --model m.safetensors --device cpu --data late.csv --out late_out.csv" +
                               (command == "sample" ? " --samples 2" : ""),
                           kSmallParts);
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_NE(r.err.find("late.csv: line 19001, column 'x': '7O' is not a number; --drop-invalid"), std::string::npos)
        << r.err;
    EXPECT_GE(count(r.err, "% of the input)"), 4) << "the error came from a late part\n" << r.err;
    for (const std::string& name : dir().entries())
      EXPECT_EQ(name.rfind("late_out", 0), std::string::npos) << command << " left " << name;
  }
}

TEST_F(StreamingCli, AMissingColumnFailsBeforeAnyOutput) {
  dir().write("nox.csv", "a,y\n1,2\n");
  const auto r = run_mdn(dir(), "predict --model m.safetensors --device cpu --data nox.csv --out nox_out.csv", kSmallParts);
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find("nox.csv: no column named 'x'"), std::string::npos) << r.err;
  for (const std::string& name : dir().entries()) EXPECT_EQ(name.rfind("nox_out", 0), std::string::npos) << name;
  const auto bad = run_mdn(dir(), "predict --model m.safetensors --device cpu --data d.csv --out b.csv",
                           "MDN_CSV_PART_BYTES=-5");
  EXPECT_EQ(bad.status, 2) << bad.err;
  EXPECT_NE(bad.err.find("MDN_CSV_PART_BYTES"), std::string::npos) << bad.err;
}

}  // namespace
