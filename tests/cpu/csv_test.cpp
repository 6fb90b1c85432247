// CSV reader/writer: RFC 4180 parsing, line numbers, every bad-input message,
// numeric selection, load_dataset and the write_csv round trip.
#include "mdn/csv.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <iostream>
#include <random>
#include <string>
#include <typeinfo>
#include <vector>

#include "mdn/error.hpp"

namespace mdn {
namespace {

namespace fs = std::filesystem;

// Runs `f`, which must throw exactly E (a data error must not surface as a
// UsageError, which the CLI maps to a different exit status), and returns the
// message; records a failure when nothing or something else is thrown.
template <class E>
std::string thrown_message(const std::function<void()>& f) {
  std::string msg;
  EXPECT_THROW(
      {
        try {
          f();
        } catch (const Error& e) {
          msg = e.what();
          EXPECT_EQ(typeid(e), typeid(E)) << "wrong exception type for: " << msg;
          throw;
        }
      },
      E);
  return msg;
}

::testing::AssertionResult contains_all(const std::string& msg, std::initializer_list<const char*> parts) {
  for (const char* p : parts)
    if (msg.find(p) == std::string::npos) return ::testing::AssertionFailure() << "'" << p << "' missing in: " << msg;
  return ::testing::AssertionSuccess();
}

class CsvTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "mdn_csv_test_XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr) << std::strerror(errno);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Writes `bytes` verbatim (binary: CR and BOM bytes are kept) to dir/name.
  std::string write_file(const std::string& name, const std::string& bytes) {
    const std::string path = (dir_ / name).string();
    std::ofstream out(path, std::ios::binary);
    out << bytes;
    return path;
  }

  fs::path dir_;
};

// ---- parsing -----------------------------------------------------------------

TEST_F(CsvTest, ReadsHeaderFieldsAndLines) {
  const CsvFile csv = CsvFile::read(write_file("a.csv", "x,y,name\n1,2,a\n3.5,-4,b\n"));
  EXPECT_EQ(csv.header(), (std::vector<std::string>{"x", "y", "name"}));
  ASSERT_EQ(csv.rows(), 2u);
  EXPECT_EQ(csv.field(0, 0), "1");
  EXPECT_EQ(csv.field(1, 1), "-4");
  EXPECT_EQ(csv.field(1, 2), "b");
  EXPECT_EQ(csv.line_of_row(0), 2);
  EXPECT_EQ(csv.line_of_row(1), 3);
}

TEST_F(CsvTest, QuotedFieldsWithCommasQuotesAndNewlines) {
  const std::string text =
      "id,text,v\n"
      "1,\"a, b\",10\n"
      "2,\"say \"\"hi\"\"\",20\n"
      "3,\"two\nlines\",30\n"
      "4,\"\",40\n"
      "5,\"three\r\nline\nfield\",50\n"
      "6,plain,60\n";
  const CsvFile csv = CsvFile::read(write_file("q.csv", text));
  ASSERT_EQ(csv.rows(), 6u);
  EXPECT_EQ(csv.field(0, 1), "a, b");
  EXPECT_EQ(csv.field(1, 1), "say \"hi\"");
  EXPECT_EQ(csv.field(2, 1), "two\nlines");
  EXPECT_EQ(csv.field(3, 1), "");
  EXPECT_EQ(csv.field(4, 1), "three\r\nline\nfield");
  EXPECT_EQ(csv.field(5, 2), "60");
  // Rows start on lines 2, 3, 4, 6, 7, 10: embedded line breaks count.
  const std::vector<int> expected_lines = {2, 3, 4, 6, 7, 10};
  for (std::size_t r = 0; r < csv.rows(); ++r) EXPECT_EQ(csv.line_of_row(r), expected_lines[r]) << "row " << r;
}

TEST_F(CsvTest, QuotedHeaderNamesAndPaddingAfterClosingQuote) {
  const CsvFile csv = CsvFile::read(write_file("h.csv", "\"a,b\",\"c\"\"d\"\n\"1\"  ,2\n"));
  EXPECT_EQ(csv.header(), (std::vector<std::string>{"a,b", "c\"d"}));
  EXPECT_EQ(csv.field(0, 0), "1");
}

TEST_F(CsvTest, CrlfAndLfGiveTheSameFields) {
  const CsvFile lf = CsvFile::read(write_file("lf.csv", "a,b\n1,\"x\"\n2,y\n"));
  const CsvFile crlf = CsvFile::read(write_file("crlf.csv", "a,b\r\n1,\"x\"\r\n2,y\r\n"));
  ASSERT_EQ(crlf.header(), lf.header());
  ASSERT_EQ(crlf.rows(), lf.rows());
  for (std::size_t r = 0; r < lf.rows(); ++r) {
    EXPECT_EQ(crlf.line_of_row(r), lf.line_of_row(r));
    for (int c = 0; c < 2; ++c) EXPECT_EQ(crlf.field(r, c), lf.field(r, c));  // no '\r' left on the last field
  }
}

TEST_F(CsvTest, Utf8BomIsStripped) {
  const CsvFile csv = CsvFile::read(write_file("bom.csv", "\xEF\xBB\xBFx,y\r\n1,2\r\n"));
  EXPECT_EQ(csv.header()[0], "x");
  EXPECT_EQ(csv.find_column("x"), 0);
}

TEST_F(CsvTest, NoTrailingNewlineAndTrailingBlankLines) {
  const CsvFile bare = CsvFile::read(write_file("n.csv", "x,y\n1,2\n3,4"));
  ASSERT_EQ(bare.rows(), 2u);
  EXPECT_EQ(bare.field(1, 1), "4");
  const CsvFile blank = CsvFile::read(write_file("b.csv", "x,y\n1,2\n3,4\n\n\r\n\n"));
  ASSERT_EQ(blank.rows(), 2u);
  EXPECT_EQ(blank.field(1, 1), "4");
}

TEST_F(CsvTest, OneColumnFileKeepsBlankMiddleLineAsEmptyCell) {
  const CsvFile csv = CsvFile::read(write_file("one.csv", "v\n1\n\n3\n\n"));
  ASSERT_EQ(csv.rows(), 3u);
  EXPECT_EQ(csv.field(1, 0), "");
  EXPECT_EQ(csv.line_of_row(2), 4);
}

TEST_F(CsvTest, QuoteInsideUnquotedFieldIsData) {
  const CsvFile csv = CsvFile::read(write_file("in.csv", "len,v\n5\",1\n"));
  EXPECT_EQ(csv.field(0, 0), "5\"");
}

// ---- bad files ----------------------------------------------------------------

TEST_F(CsvTest, MissingFileNamesPathAndReason) {
  const std::string path = (dir_ / "nope.csv").string();
  EXPECT_TRUE(
      contains_all(thrown_message<Error>([&] { CsvFile::read(path); }), {path.c_str(), "No such file or directory"}));
}

TEST_F(CsvTest, UnreadableFileNamesReason) {
  // A path under a regular file cannot be opened by anyone, root included
  // (CI runs the suite as root): the message names the path and the reason.
  const std::string plain = write_file("plain.csv", "x\n1\n");
  const std::string under = plain + "/inner.csv";
  EXPECT_TRUE(contains_all(thrown_message<Error>([&] { CsvFile::read(under); }),
                           {under.c_str(), "cannot open", "Not a directory"}));
  EXPECT_TRUE(contains_all(thrown_message<Error>([&] { read_csv_part(under, 0, 2); }),
                           {under.c_str(), "cannot open", "Not a directory"}));
  // A file without read permission, where permissions bind (not for root,
  // whom they do not stop: there the path above is the check).
  const std::string path = write_file("locked.csv", "x\n1\n");
  fs::permissions(path, fs::perms::none);
  if (!std::ifstream(path).is_open()) {
    EXPECT_TRUE(contains_all(thrown_message<Error>([&] { CsvFile::read(path); }), {path.c_str(), "Permission denied"}));
  }
}

TEST_F(CsvTest, DirectoryIsRefused) {
  EXPECT_TRUE(contains_all(thrown_message<Error>([&] { CsvFile::read(dir_.string()); }), {"is a directory"}));
}

TEST_F(CsvTest, EmptyFile) {
  for (const char* bytes : {"", "\n\n", "\r\n", "\xEF\xBB\xBF"}) {
    const std::string path = write_file("empty.csv", bytes);
    EXPECT_TRUE(contains_all(thrown_message<Error>([&] { CsvFile::read(path); }), {"empty.csv", "empty"}));
  }
}

TEST_F(CsvTest, BlankFirstLine) {
  const std::string path = write_file("blank1.csv", "\nx,y\n1,2\n");
  EXPECT_TRUE(contains_all(thrown_message<Error>([&] { CsvFile::read(path); }), {"blank1.csv", "line 1", "header"}));
}

TEST_F(CsvTest, HeaderOnly) {
  for (const char* bytes : {"x,y", "x,y\n", "x,y\r\n\r\n"}) {
    const std::string path = write_file("head.csv", bytes);
    EXPECT_TRUE(contains_all(thrown_message<Error>([&] { CsvFile::read(path); }), {"head.csv", "no data rows"}));
  }
}

TEST_F(CsvTest, RaggedRowNamesLineAndCounts) {
  const std::string short_row = write_file("short.csv", "a,b,c\n1,2,3\n4,5\n6,7,8\n");
  EXPECT_TRUE(contains_all(thrown_message<Error>([&] { CsvFile::read(short_row); }),
                           {"short.csv", "line 3 has 2 fields, header has 3 fields"}));
  const std::string long_row = write_file("long.csv", "a,b\n1,2,3\n");
  EXPECT_TRUE(contains_all(thrown_message<Error>([&] { CsvFile::read(long_row); }),
                           {"long.csv", "line 2 has 3 fields, header has 2 fields"}));
}

TEST_F(CsvTest, RaggedRowLineCountsEmbeddedNewlines) {
  // The ragged row is the third record but sits on file line 6.
  const std::string path = write_file("rag.csv", "a,b\n\"x\ny\",1\n\"p\r\nq\",2\n3\n");
  EXPECT_TRUE(contains_all(thrown_message<Error>([&] { CsvFile::read(path); }), {"line 6 has 1 field,"}));
}

TEST_F(CsvTest, BlankLineInsideData) {
  const std::string path = write_file("gap.csv", "a,b\n1,2\n\n3,4\n");
  EXPECT_TRUE(contains_all(thrown_message<Error>([&] { CsvFile::read(path); }), {"gap.csv", "line 3 is blank"}));
}

TEST_F(CsvTest, UnterminatedQuoteNamesOpeningLineAndColumn) {
  const std::string path = write_file("open.csv", "a,note\n1,ok\n2,\"never closed\n3,x\n4,y\n");
  EXPECT_TRUE(contains_all(thrown_message<Error>([&] { CsvFile::read(path); }),
                           {"open.csv", "line 3", "column 'note'", "unterminated"}));
}

TEST_F(CsvTest, TextAfterClosingQuote) {
  const std::string path = write_file("after.csv", "a,note\n1,\"x\"y\n");
  EXPECT_TRUE(contains_all(thrown_message<Error>([&] { CsvFile::read(path); }),
                           {"after.csv", "line 2", "column 'note'", "closing quote"}));
}

TEST_F(CsvTest, DuplicateColumnNames) {
  const std::string path = write_file("dup.csv", "x,y,x\n1,2,3\n");
  EXPECT_TRUE(contains_all(thrown_message<Error>([&] { CsvFile::read(path); }), {"dup.csv", "columns 1 and 3", "'x'"}));
}

// ---- columns ------------------------------------------------------------------

TEST_F(CsvTest, FindAndRequireColumn) {
  const CsvFile csv = CsvFile::read(write_file("cols.csv", "Temp,Humidity,Wind\n1,2,3\n"));
  EXPECT_EQ(csv.find_column("Humidity"), 1);
  EXPECT_EQ(csv.find_column("humidity"), -1);
  EXPECT_EQ(csv.require_column("Wind"), 2);
  const std::string msg = thrown_message<Error>([&] { csv.require_column("Pressure"); });
  EXPECT_TRUE(contains_all(msg, {"cols.csv", "'Pressure'", "'Temp', 'Humidity', 'Wind'"}));
  // A near miss (case, padding) is pointed out.
  EXPECT_TRUE(
      contains_all(thrown_message<Error>([&] { csv.require_column(" humidity"); }), {"did you mean 'Humidity'"}));
}

TEST_F(CsvTest, NumericColumnsAcceptMissingMarkers) {
  const std::string text =
      "num,markers_only,text,with_na,one_bad,with_inf,spaced\n"
      "1,NA,abc,NA,1,1, 2.5 \n"
      "2,,def,null,2,inf,+3\n"
      "3,nan,ghi,NaN,x,3,-1e3\n"
      "4,NULL,jkl,,4,4,4\n"
      "5,Na,mno,9,5,5,5\n";
  const CsvFile csv = CsvFile::read(write_file("num.csv", text));
  EXPECT_EQ(csv.numeric_columns(), (std::vector<std::string>{"num", "with_na", "spaced"}));
}

TEST(ParseFiniteNumber, AcceptsNumbers) {
  // Cells are read in double: a Unix timestamp keeps its last digit, which
  // float (24-bit mantissa) would round away.
  const std::pair<const char*, double> cases[] = {
      {"1.5", 1.5},      {"-2e3", -2000.0}, {" 3 ", 3.0},
      {"+4", 4.0},       {".5", 0.5},       {"1e-50", 1e-50},
      {"1e-400", 0.0},   {"7\t", 7.0},      {"1700000001.25", 1700000001.25},
      {"3.4e38", 3.4e38}};
  for (const auto& [text, want] : cases) {
    double v = -99.0;
    EXPECT_TRUE(parse_finite_number(text, v)) << text;
    EXPECT_EQ(v, want) << text;
  }
}

TEST(ParseFiniteNumber, RejectsNonFiniteOutOfRangeAndJunk) {
  for (const char* text : {"", "  ", "abc", "nan", "NaN", "-nan", "inf", "-Infinity", "1e39", "-1e39", "1e400", "1.5x",
                           "1,5", "+-1", "++1", "0x10", "NA"}) {
    double v = -99.0;
    EXPECT_FALSE(parse_finite_number(text, v)) << text;
    EXPECT_EQ(v, -99.0) << "output written for rejected '" << text << "'";
  }
}

// ---- select_numeric -----------------------------------------------------------

TEST_F(CsvTest, SelectNumericPicksColumnsInRequestedOrder) {
  const CsvFile csv = CsvFile::read(write_file("s.csv", "a,b,c\n1,2,3\n4,5,6\n"));
  const NumericColumns sel = select_numeric(csv, {"c", "a"}, InvalidCells::Fail);
  ASSERT_EQ(sel.values.rows, 2);
  ASSERT_EQ(sel.values.cols, 2);
  EXPECT_EQ(sel.values.data, (std::vector<double>{3, 1, 6, 4}));
  EXPECT_EQ(sel.names, (std::vector<std::string>{"c", "a"}));
  EXPECT_EQ(sel.lines, (std::vector<int>{2, 3}));
  EXPECT_EQ(sel.dropped_rows, 0u);
}

TEST_F(CsvTest, InvalidCellMessagesNameFileLineAndColumn) {
  // The row with the bad cell starts on line 4 (row 1 spans lines 2-3).
  struct Case {
    const char* cell;
    const char* reason;
  };
  for (const Case& c :
       {Case{"abc", "'abc' is not a number"}, Case{"", "empty"}, Case{"NaN", "'NaN' is NaN"},
        Case{"-inf", "'-inf' is infinite"}, Case{"1e39", "out of range"}, Case{"NA", "missing value"}}) {
    const std::string path =
        write_file("data.csv", std::string("note,Humidity\n\"two\nlines\",0.5\nz,") + c.cell + "\nw,0.7\n");
    const CsvFile csv = CsvFile::read(path);
    const std::string msg = thrown_message<Error>([&] { select_numeric(csv, {"Humidity"}, InvalidCells::Fail); });
    EXPECT_TRUE(contains_all(msg, {"data.csv: line 4, column 'Humidity': ", c.reason})) << "cell '" << c.cell << "'";
  }
}

TEST_F(CsvTest, DropRowSkipsAndCountsInvalidRows) {
  const std::string text = "a,b,c\n1,2,x\n,3,y\n4,nan,z\n5,6,w\n7,8,v\n9,inf,u\n";
  const CsvFile csv = CsvFile::read(write_file("drop.csv", text));
  const NumericColumns sel = select_numeric(csv, {"a", "b"}, InvalidCells::DropRow);
  EXPECT_EQ(sel.dropped_rows, 3u);
  ASSERT_EQ(sel.values.rows, 3);
  EXPECT_EQ(sel.values.data, (std::vector<double>{1, 2, 5, 6, 7, 8}));
  EXPECT_EQ(sel.lines, (std::vector<int>{2, 5, 6}));
  // Column c (text) was not chosen, so it drops nothing.
  EXPECT_EQ(select_numeric(csv, {"a"}, InvalidCells::DropRow).dropped_rows, 1u);
}

TEST_F(CsvTest, DropRowWithNothingLeftIsAnError) {
  const CsvFile csv = CsvFile::read(write_file("none.csv", "a,b\nx,1\n,2\n"));
  EXPECT_TRUE(contains_all(thrown_message<Error>([&] { select_numeric(csv, {"a"}, InvalidCells::DropRow); }),
                           {"none.csv", "no rows left", "'a'"}));
}

TEST_F(CsvTest, SelectNumericRefusesMissingOrRepeatedColumns) {
  const CsvFile csv = CsvFile::read(write_file("m.csv", "a,b\n1,2\n"));
  EXPECT_TRUE(contains_all(thrown_message<Error>([&] {
                             select_numeric(csv, {"a", "zz"}, InvalidCells::Fail);
                           }),
                           {"m.csv", "'zz'", "'a', 'b'"}));
  EXPECT_TRUE(contains_all(thrown_message<UsageError>([&] {
                             select_numeric(csv, {"a", "a"}, InvalidCells::Fail);
                           }),
                           {"'a'", "twice"}));
}

// ---- load_dataset -------------------------------------------------------------

TEST_F(CsvTest, LoadDatasetExplicitFeatures) {
  const std::string path = write_file("ds.csv", "t,f1,name,f2\n1,2,a,3\n4,5,b,6\n");
  const Dataset ds = load_dataset(path, {"t"}, {"f2", "f1"}, InvalidCells::Fail);
  EXPECT_EQ(ds.feature_names, (std::vector<std::string>{"f2", "f1"}));
  EXPECT_EQ(ds.target_names, (std::vector<std::string>{"t"}));
  EXPECT_EQ(ds.x.exact().data, (std::vector<double>{3, 2, 6, 5}));
  EXPECT_EQ(ds.t.data, (std::vector<double>{1, 4}));
  EXPECT_EQ(ds.lines, (std::vector<int>{2, 3}));
}

TEST_F(CsvTest, LoadDatasetInfersNumericFeaturesInFileOrder) {
  const std::string path = write_file("inf.csv", "name,b,t2,a,t1,notes\nx,1,2,3,4,NA\ny,5,6,NA,8,hi\n");
  const Dataset ds = load_dataset(path, {"t1", "t2"}, {}, InvalidCells::DropRow);
  EXPECT_EQ(ds.feature_names, (std::vector<std::string>{"b", "a"}));
  EXPECT_EQ(ds.target_names, (std::vector<std::string>{"t1", "t2"}));
  // Row 2's 'a' is NA: with DropRow it goes from features and targets alike.
  EXPECT_EQ(ds.dropped_rows, 1u);
  ASSERT_EQ(ds.x.rows, 1);
  EXPECT_EQ(ds.x.exact().data, (std::vector<double>{1, 3}));
  EXPECT_EQ(ds.t.data, (std::vector<double>{4, 2}));
  EXPECT_EQ(ds.lines, (std::vector<int>{2}));
}

TEST_F(CsvTest, LoadDatasetWithoutTargetsForPrediction) {
  const std::string path = write_file("pred.csv", "a,b\n1,2\n");
  const Dataset ds = load_dataset(path, {}, {"b"}, InvalidCells::Fail);
  EXPECT_EQ(ds.t.cols, 0);
  EXPECT_EQ(ds.t.rows, 1);
  EXPECT_EQ(ds.x.exact().data, (std::vector<double>{2}));
}

TEST_F(CsvTest, LoadDatasetUsageErrors) {
  const std::string path = write_file("u.csv", "a,b\n1,2\n");
  EXPECT_TRUE(contains_all(thrown_message<UsageError>([&] {
                             load_dataset(path, {"a"}, {"a", "b"}, InvalidCells::Fail);
                           }),
                           {"'a'", "both a target and a feature"}));
  EXPECT_TRUE(
      contains_all(thrown_message<UsageError>([&] { load_dataset(path, {}, {}, InvalidCells::Fail); }), {"no target"}));
  EXPECT_TRUE(contains_all(thrown_message<UsageError>([&] {
                             load_dataset(path, {"a", "a"}, {}, InvalidCells::Fail);
                           }),
                           {"'a'", "twice"}));
}

TEST_F(CsvTest, LoadDatasetDataErrors) {
  const std::string path = write_file("d.csv", "a,label,b\n1,x,2\n3,y,oops\n");
  EXPECT_TRUE(contains_all(thrown_message<Error>([&] { load_dataset(path, {"c"}, {}, InvalidCells::Fail); }),
                           {"d.csv", "'c'", "'a', 'label', 'b'"}));
  EXPECT_TRUE(contains_all(thrown_message<Error>([&] { load_dataset(path, {"a"}, {"b"}, InvalidCells::Fail); }),
                           {"d.csv: line 3, column 'b': 'oops' is not a number"}));
  // Only 'a' is numeric: with it as the target there is nothing to predict from.
  EXPECT_TRUE(contains_all(thrown_message<Error>([&] { load_dataset(path, {"a"}, {}, InvalidCells::Fail); }),
                           {"d.csv", "no numeric column", "feature"}));
}

// ---- write_csv ----------------------------------------------------------------

// Uniform over bit patterns: covers subnormals, huge magnitudes and both signs,
// which uniform values in a range would not.
float random_finite_float(std::mt19937& gen) {
  for (;;) {
    const std::uint32_t bits = std::uint32_t(gen());
    float f;
    std::memcpy(&f, &bits, sizeof f);
    if (std::isfinite(f)) return f;
  }
}

TEST_F(CsvTest, WriteCsvRoundTripsFloatsExactly) {
  std::mt19937 gen(7);
  Matrix m(200, 3);
  for (float& v : m.data) v = random_finite_float(gen);
  m(0, 0) = 0.1f;
  m(0, 1) = -0.0f;
  m(0, 2) = 16777217.0f;
  const std::vector<std::string> header = {"plain", "with,comma", "with \"quote\""};
  const std::string path = (dir_ / "out.csv").string();
  write_csv(path, header, m);

  const CsvFile csv = CsvFile::read(path);
  EXPECT_EQ(csv.header(), header);
  const NumericColumns back = select_numeric(csv, header, InvalidCells::Fail);
  ASSERT_EQ(back.values.rows, m.rows);
  for (std::size_t i = 0; i < m.data.size(); ++i) {
    // Read as a double, the text rounds to the float that was written
    // (-0.0 keeps its sign bit).
    const float read = float(back.values.data[i]);
    EXPECT_EQ(std::memcmp(&read, &m.data[i], 4), 0)
        << "index " << i << ": wrote " << m.data[i] << ", read " << back.values.data[i];
  }
}

TEST_F(CsvTest, WriteCsvUsesNineSignificantDigits) {
  Matrix m(1, 2);
  m(0, 0) = 0.1f;
  m(0, 1) = 1.0f;
  const std::string path = (dir_ / "fmt.csv").string();
  write_csv(path, {"a", "b"}, m);
  std::ifstream in(path);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "a,b\n0.100000001,1\n");
}

TEST_F(CsvTest, FailedWriteLeavesNoFile) {
  const std::string missing = (dir_ / "no_such_dir" / "out.csv").string();
  EXPECT_TRUE(contains_all(thrown_message<Error>([&] { write_csv(missing, {"a"}, Matrix(1, 1)); }), {missing.c_str()}));
  EXPECT_FALSE(fs::exists(missing));

  // A header/matrix mismatch in a writable directory: no output, no temp file.
  // (AtomicFile's own cleanup on an exception is tested with AtomicFile.)
  const std::string path = (dir_ / "bad.csv").string();
  EXPECT_THROW(write_csv(path, {"a", "b"}, Matrix(2, 3)), Error);
  EXPECT_TRUE(fs::is_empty(dir_));
}

TEST_F(CsvTest, WriteCsvReplacesExistingFile) {
  const std::string path = write_file("old.csv", "stale contents that are longer than the new file\n");
  write_csv(path, {"v"}, Matrix(1, 1, 2.0f));
  std::ifstream in(path);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text, "v\n2\n");
}

// ---- a file shaped like the weather case study's ---------------------------------
// The real file stays outside the repository (docs/WEATHER.md); this one has
// its header (column names with spaces and parentheses, text columns mixed
// with numeric ones) and made-up rows.

TEST_F(CsvTest, PicksTheNumericColumnsOfAWeatherStyleFile) {
  const std::string path = write_file(
      "weather_shape.csv",
      "Formatted Date,Summary,Precip Type,Temperature (C),Apparent Temperature (C),Humidity,Wind Speed (km/h),"
      "Wind Bearing (degrees),Visibility (km),Loud Cover,Pressure (millibars),Daily Summary\n"
      "2006-04-01 00:00:00.000 +0200,Partly Cloudy,rain,9.5,7.25,0.89,14.1,251.0,15.8,0.0,1015.13,"
      "Partly cloudy throughout the day.\n"
      "2006-04-01 01:00:00.000 +0200,Mostly Cloudy,,-1.5,-4.75,0.5,3.5,90,10,0,1001,\"Foggy, then clear.\"\n");
  const CsvFile csv = CsvFile::read(path);
  const std::vector<std::string> expected = {"Temperature (C)",   "Apparent Temperature (C)", "Humidity",
                                             "Wind Speed (km/h)", "Wind Bearing (degrees)",   "Visibility (km)",
                                             "Loud Cover",        "Pressure (millibars)"};
  EXPECT_EQ(csv.header().size(), 12u);
  EXPECT_EQ(csv.numeric_columns(), expected);
  const Dataset ds = load_dataset(path, {"Apparent Temperature (C)"}, {}, InvalidCells::Fail);
  ASSERT_EQ(ds.x.rows, 2);
  std::vector<std::string> features = expected;
  features.erase(features.begin() + 1);
  EXPECT_EQ(ds.feature_names, features);
  EXPECT_EQ(ds.lines, (std::vector<int>{2, 3}));
  EXPECT_FLOAT_EQ(ds.x(0, 0), 9.5f);
  EXPECT_FLOAT_EQ(ds.t(1, 0), -4.75f);
  EXPECT_FLOAT_EQ(ds.x(0, 6), 1015.13f);
}

}  // namespace
}  // namespace mdn
