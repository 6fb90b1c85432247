// Real files: delimiter detection and --delimiter's names, gzip-compressed
// input (whole and in parts), other binary files refused by name, a header
// row that is data, missing-value markers (default and given, a numeric
// sentinel among them), the way out named in every invalid-cell message, and
// the "did you mean" of column names and of edit_distance/closest_name.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include "mdn/csv.hpp"
#include "mdn/error.hpp"
#include "mdn/spelling.hpp"

namespace mdn {
namespace {

namespace fs = std::filesystem;

std::string message_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "nothing thrown";
  return {};
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// gzip bytes of `text`, made by zlib itself (deflateInit2 with the gzip wrapper).
std::string gzip_bytes(const std::string& text) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&zs, uLong(text.size())) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  zs.avail_in = uInt(text.size());
  zs.next_out = reinterpret_cast<Bytef*>(&out[0]);
  zs.avail_out = uInt(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

class CsvFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "mdn_csv_files_XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr) << std::strerror(errno);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string write(const std::string& name, const std::string& bytes) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }
  fs::path dir_;
};

TEST(DetectDelimiter, CommaSemicolonTabFromTheHeaderAndFirstRows) {
  EXPECT_EQ(detect_delimiter("a,b,c\n1,2,3\n"), ',');
  EXPECT_EQ(detect_delimiter("a;b;c\n1;2;3\n"), ';');
  EXPECT_EQ(detect_delimiter("a\tb\tc\n1\t2\t3\n"), '\t');
  // Decimal commas in a semicolon file: commas are not consistent with the header.
  EXPECT_EQ(detect_delimiter("a;b\n1,5;2,25\n3,0;4,75\n"), ';');
  // A comma file whose text column holds semicolons, quoted or not.
  EXPECT_EQ(detect_delimiter("name,v\n\"x;y;z\",1\nplain,2\n"), ',');
  // One column: nothing to split, even when its name holds a space.
  EXPECT_EQ(detect_delimiter("value\n1\n2\n"), ',');
  EXPECT_EQ(detect_delimiter("Apparent Temperature\n1\n2\n"), ',');
  // Space-separated (scikit-learn's linnerud tables): when no other
  // candidate is in the header and every line splits alike.
  EXPECT_EQ(detect_delimiter("Chins Situps Jumps\n5 162 60\n2 110 60\n"), ' ');
  EXPECT_EQ(detect_delimiter("a b,c\n1 2,3\n"), ',');
  // A UTF-8 BOM and CRLF do not matter.
  EXPECT_EQ(detect_delimiter("\xEF\xBB\xBF"
                             "a;b\r\n1;2\r\n"),
            ';');
}

TEST(ParseDelimiter, NamesCharactersAndRefusals) {
  EXPECT_EQ(parse_delimiter("auto"), 0);
  EXPECT_EQ(parse_delimiter("comma"), ',');
  EXPECT_EQ(parse_delimiter("semicolon"), ';');
  EXPECT_EQ(parse_delimiter("tab"), '\t');
  EXPECT_EQ(parse_delimiter("\\t"), '\t');
  EXPECT_EQ(parse_delimiter("|"), '|');
  EXPECT_EQ(parse_delimiter(":"), ':');
  EXPECT_EQ(parse_delimiter("space"), ' ');
  EXPECT_EQ(parse_delimiter(" "), ' ');
  EXPECT_EQ(delimiter_name(' '), "space");
  for (const char* bad : {"", "xx", "\"", "\n"}) EXPECT_THROW(parse_delimiter(bad), UsageError) << bad;
  EXPECT_EQ(delimiter_name('\t'), "tab");
  EXPECT_EQ(delimiter_name(0), "auto");
}

TEST_F(CsvFiles, SemicolonAndTabFilesGiveTheCommaFilesFields) {
  const CsvFile comma = CsvFile::read(write("c.csv", "x,y,name\n1,2,\"a b\"\n3,4,c\n"));
  const CsvFile semi = CsvFile::read(write("s.csv", "x;y;name\n1;2;\"a b\"\n3;4;c\n"));
  // A tab after a closing quote is the delimiter, not padding.
  const CsvFile tab = CsvFile::read(write("t.tsv", "x\ty\tname\n1\t2\t\"a b\"\n3\t4\tc\n"));
  const CsvFile quoted_tab = CsvFile::read(write("q.tsv", "\"x\"\t\"y\"\n\"1\"\t\"2\"\n"));
  EXPECT_EQ(semi.delimiter(), ';');
  EXPECT_EQ(tab.delimiter(), '\t');
  EXPECT_EQ(quoted_tab.header(), (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(quoted_tab.field(0, 1), "2");
  for (const CsvFile* f : {&semi, &tab}) {
    ASSERT_EQ(f->header(), comma.header());
    ASSERT_EQ(f->rows(), comma.rows());
    for (std::size_t r = 0; r < comma.rows(); ++r)
      for (int c = 0; c < 3; ++c) EXPECT_EQ(f->field(r, c), comma.field(r, c));
  }
}

TEST_F(CsvFiles, AForcedDelimiterWinsAndAWrongOneSaysWhichItWas) {
  const std::string path = write("p.csv", "a|b\n1|2\n");
  CsvOptions pipe;
  pipe.delimiter = '|';
  EXPECT_EQ(CsvFile::read(path, pipe).header(), (std::vector<std::string>{"a", "b"}));
  // Detection knows comma, semicolon and tab only: the header is one column,
  // and asking for a column says why.
  const CsvFile one = CsvFile::read(path);
  ASSERT_EQ(one.header().size(), 1u);
  const std::string msg = message_of([&] { one.require_column("a"); });
  EXPECT_TRUE(has(msg, "pipe-separated") && has(msg, "CsvOptions::delimiter")) << msg;
  CsvOptions semicolon;
  semicolon.delimiter = ';';
  const std::string ragged = message_of([&] { CsvFile::read(write("r.csv", "a;b\n1;2\n3\n"), semicolon); });
  EXPECT_TRUE(has(ragged, "line 3 has 1 field") && has(ragged, "(delimiter: semicolon)")) << ragged;
}

TEST_F(CsvFiles, GzipIsReadThroughZlibWholeAndInParts) {
  std::string text = "x;y\n";
  for (int i = 0; i < 500; ++i) text += std::to_string(i) + ";" + std::to_string(i * 2) + "\n";
  const std::string plain = write("d.csv", text);
  // The magic decides, not the name; two members (cat a.gz b.gz) are one file.
  const std::string gz = write("d.csv.gz", gzip_bytes(text.substr(0, 2000)) + gzip_bytes(text.substr(2000)));
  const std::string unnamed = write("d.data", gzip_bytes(text));
  const CsvFile a = CsvFile::read(plain), b = CsvFile::read(gz), c = CsvFile::read(unnamed);
  EXPECT_EQ(b.header(), (std::vector<std::string>{"x", "y"}));
  ASSERT_EQ(b.rows(), a.rows());
  ASSERT_EQ(c.rows(), a.rows());
  for (std::size_t r = 0; r < a.rows(); ++r) {
    EXPECT_EQ(b.field(r, 1), a.field(r, 1));
    EXPECT_EQ(b.line_of_row(r), a.line_of_row(r));
  }
  // In parts: every part inflates the whole file and keeps its share.
  std::vector<std::string> seen;
  long long breaks = 0;
  for (int p = 0; p < 3; ++p) {
    CsvPart part = read_csv_part(gz, p, 3);
    EXPECT_EQ(part.delimiter, ';');
    part.first_line += int(breaks);
    breaks += part.row_line_breaks;
    const CsvFile f = CsvFile::read(gz, part);
    for (std::size_t r = 0; r < f.rows(); ++r) seen.push_back(std::string(f.field(r, 0)));
  }
  ASSERT_EQ(seen.size(), a.rows());
  for (std::size_t r = 0; r < a.rows(); ++r) EXPECT_EQ(seen[r], a.field(r, 0));
}

TEST_F(CsvFiles, BrokenGzipAndOtherBinaryFilesAreRefusedByNameNeverShownAsColumns) {
  const std::string gz = gzip_bytes("x,y\n1,2\n3,4\n");
  const std::string truncated = write("t.csv.gz", gz.substr(0, gz.size() - 12));
  std::string corrupt_bytes = gz;
  corrupt_bytes[12] = char(corrupt_bytes[12] ^ 0x5a);
  corrupt_bytes[13] = char(corrupt_bytes[13] ^ 0x5a);
  const std::string corrupt = write("c.csv.gz", corrupt_bytes);
  std::string msg = message_of([&] { CsvFile::read(truncated); });
  EXPECT_TRUE(has(msg, "t.csv.gz") && has(msg, "ends early")) << msg;
  msg = message_of([&] { CsvFile::read(corrupt); });
  EXPECT_TRUE(has(msg, "c.csv.gz") && has(msg, "gzip")) << msg;
  EXPECT_FALSE(has(msg, "\x1f\x8b")) << msg;
  const std::pair<std::string, const char*> others[] = {
      {std::string("PK\x03\x04junk,more\n1,2\n", 19), "zip archive"},
      {std::string("\xFD"
                   "7zXZ\0\0\x04",
                   8),
       "xz-compressed"},
      {std::string("\x28\xB5\x2F\xFD\x00\x58", 6), "zstd-compressed"},
      {std::string("a,b\0,c\n1,2,3\n", 13), "binary bytes"},
  };
  for (const auto& [bytes, what] : others) {
    msg = message_of([&] { CsvFile::read(write("o.csv", bytes)); });
    EXPECT_TRUE(has(msg, "o.csv") && has(msg, what)) << msg;
    msg = message_of([&] { read_csv_part(write("o.csv", bytes), 0, 2); });
    EXPECT_TRUE(has(msg, what)) << msg;
  }
}

TEST_F(CsvFiles, AHeaderOfNumbersGetsTheHeaderHint) {
  const CsvFile csv = CsvFile::read(write("h.csv", "0.5,1.25\n0.75,2\n"));
  const std::string msg = message_of([&] { csv.require_column("y"); });
  EXPECT_TRUE(has(msg, "h.csv") && has(msg, "no column named 'y'") && has(msg, "the first line looks like data") &&
              has(msg, "header row naming the columns"))
      << msg;
  // A header with one number among names is a header.
  const CsvFile named = CsvFile::read(write("n.csv", "2020,y\n1,2\n"));
  EXPECT_FALSE(has(message_of([&] { named.require_column("z"); }), "looks like data"));
}

TEST_F(CsvFiles, UnknownColumnNamesTheClosestOne) {
  const CsvFile csv = CsvFile::read(write("w.csv", "temperature,humidity,wind\n1,2,3\n"));
  std::string msg = message_of([&] { csv.require_column("temprature"); });
  EXPECT_TRUE(has(msg, "no column named 'temprature' (did you mean 'temperature'?)")) << msg;
  msg = message_of([&] { csv.require_column("Humidity "); });
  EXPECT_TRUE(has(msg, "did you mean 'humidity'?")) << msg;
  msg = message_of([&] { csv.require_column("pressure"); });
  EXPECT_FALSE(has(msg, "did you mean")) << msg;
  EXPECT_TRUE(has(msg, "'temperature', 'humidity', 'wind'")) << msg;
}

TEST_F(CsvFiles, DefaultMissingMarkersTypeColumnsAndNameTheWayOut) {
  const std::string path = write("m.csv",
                                 "a,b,c,d\n"
                                 "1,N/A,x,1\n"
                                 "2,?,y,-\n"
                                 "3,none,z,#n/a\n"
                                 "4,5,w,2\n");
  const CsvFile csv = CsvFile::read(path);
  EXPECT_EQ(csv.numeric_columns(), (std::vector<std::string>{"a", "b", "d"}));
  for (const char* cell : {"", " ", "NA", "na", "N/A", "NaN", "null", "NULL", "None", "?", "-", "#N/A"})
    EXPECT_TRUE(csv.is_missing(cell)) << cell;
  for (const char* cell : {"0", "x", "--", "n.a."}) EXPECT_FALSE(csv.is_missing(cell)) << cell;
  std::string msg = message_of([&] { select_numeric(csv, {"b"}, InvalidCells::Fail); });
  EXPECT_TRUE(has(msg, "line 2, column 'b': 'N/A' marks a missing value") && has(msg, "InvalidCells::DropRow")) << msg;
  msg = message_of([&] { select_numeric(csv, {"c"}, InvalidCells::Fail); });
  EXPECT_TRUE(has(msg, "'x' is not a number") && has(msg, "InvalidCells::DropRow") && has(msg, "CsvOptions::na_values"))
      << msg;
  const NumericColumns kept = select_numeric(csv, {"a", "b"}, InvalidCells::DropRow);
  EXPECT_EQ(kept.values.rows, 1);
  EXPECT_EQ(kept.dropped_rows, 3u);
  EXPECT_EQ(kept.first_dropped, "line 2, column 'b': 'N/A' marks a missing value");
}

TEST_F(CsvFiles, GivenMarkersReplaceTheDefaultsAndMayBeNumbers) {
  const std::string path = write("s.csv", "a,b\n1,-999\n2,missing\n3,NA\n4,7\n");
  CsvOptions options;
  options.na_values = {"-999", "MISSING"};
  const CsvFile csv = CsvFile::read(path, options);
  EXPECT_TRUE(csv.is_missing("-999"));
  EXPECT_TRUE(csv.is_missing(" missing "));
  EXPECT_FALSE(csv.is_missing("NA"));  // replaced, not added to
  EXPECT_TRUE(csv.is_missing(""));     // always
  double v = 0.0;
  EXPECT_FALSE(csv.number("-999", v));
  EXPECT_TRUE(csv.number("-998", v));
  // 'NA' is now text: the column is not numeric, and its cell is not a number.
  EXPECT_EQ(csv.numeric_columns(), (std::vector<std::string>{"a"}));
  const NumericColumns kept = select_numeric(csv, {"a", "b"}, InvalidCells::DropRow);
  EXPECT_EQ(kept.values.rows, 1);
  EXPECT_EQ(kept.values.data, (std::vector<double>{4, 7}));
  EXPECT_TRUE(has(message_of([&] { select_numeric(csv, {"b"}, InvalidCells::Fail); }), "'-999' marks a missing"));
}

TEST(Spelling, EditDistanceAndClosestName) {
  EXPECT_EQ(edit_distance("", ""), 0u);
  EXPECT_EQ(edit_distance("abc", ""), 3u);
  EXPECT_EQ(edit_distance("epoch", "epochs"), 1u);
  EXPECT_EQ(edit_distance("temprature", "temperature"), 1u);
  EXPECT_EQ(edit_distance("ab", "ba"), 1u);  // a swap is one edit
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  const std::vector<std::string> flags = {"--epochs", "--steps", "--seed", "--lr"};
  EXPECT_EQ(closest_name("--epoch", flags), "--epochs");
  EXPECT_EQ(closest_name("--sed", flags), "--seed");
  EXPECT_EQ(closest_name("--colour", flags), "");         // nothing near
  EXPECT_EQ(closest_name("--se", {"--sa", "--sb"}), "");  // a tie names neither
  EXPECT_EQ(closest_name("X", {"x", "y"}), "x");          // case is no edit
}

}  // namespace
}  // namespace mdn
