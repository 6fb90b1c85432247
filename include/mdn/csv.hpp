// CSV input: a header row, columns chosen by name, RFC 4180 quoting, CRLF or
// LF, an optional UTF-8 BOM; comma, semicolon or tab separated (detected, or
// CsvOptions::delimiter); plain or gzip-compressed (read through zlib).
// Errors name the file, the line and the column.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "mdn/dataset.hpp"
#include "mdn/matrix.hpp"

namespace mdn {

// What to do with a row whose chosen cell is empty, non-numeric, NaN or Inf.
enum class InvalidCells { Fail, DropRow };

// The missing-value markers used when none are given: NA, N/A, NaN, null,
// None, ?, - and #N/A (compared ignoring ASCII case). An empty cell is always
// missing, whatever the list says.
const std::vector<std::string>& default_na_values();

// How a CSV file is read.
struct CsvOptions {
  // The field separator. 0: detected from the header line and the first rows
  // (detect_delimiter).
  char delimiter = 0;
  // Cells that stand for a missing value: compared with the cell after
  // trimming blanks, ignoring ASCII case, before it is read as a number (so
  // a sentinel such as -999 can be one).
  std::vector<std::string> na_values = default_na_values();
};

// The delimiter of CSV text (its first lines, header first): of comma,
// semicolon and tab (outside quotes), the one that splits the header into
// the most fields and every other complete line of the sample into as many;
// failing that, the one that splits the header into the most fields; a comma
// when the header has none of them (a one-column file).
char detect_delimiter(std::string_view text);
// "comma"/",", "semicolon"/";", "tab"/"\t", "pipe"/"|", "auto" (0), or any one
// other printable character but a quote. Throws UsageError.
char parse_delimiter(const std::string& text);
// "comma", "semicolon", "tab", "pipe", "auto", or the character in quotes.
std::string delimiter_name(char delimiter);

// One part of a CSV file, for reading a file in parts (one per MPI rank;
// docs/DISTRIBUTED.md): the header record, then the rows whose first byte
// lies in the part's share [lo, hi) of the bytes after the header, split at
// line boundaries, so the parts hold every row exactly once, in file order,
// and no process reads the whole file.
struct CsvPart {
  std::string text;               // the header record, then this part's rows
  long long row_line_breaks = 0;  // '\n' in this part's rows
  int first_line = 0;             // file line of the part's first row (set by the reader for part 0; later
                                  // parts add the line breaks of the parts before them)
  bool last = false;              // the part ends at the end of the file
  char delimiter = ',';           // detected (or given) from the file's first bytes: the same in every part
  bool whole_records = false;     // cut between records (CsvStream), so a quoted field may hold a line break
};
// Throws mdn::Error for a file that cannot be read or is not a regular file.
// A gzip-compressed file cannot be split by byte ranges: every part
// decompresses the whole file and keeps its share of the rows.
CsvPart read_csv_part(const std::string& path, int part, int parts, const CsvOptions& options = {});

// The raw table: header names and every field as text.
class CsvFile {
 public:
  // Throws mdn::Error: file missing/unreadable, empty file, no data rows,
  // ragged row (line number), unterminated quote, duplicate column names,
  // binary bytes in the header (a compressed file other than gzip).
  static CsvFile read(const std::string& path, const CsvOptions& options = {});
  // A part (read_csv_part, CsvStream; first_line already set): the same
  // checks, except that it may have no rows, and a quoted field may not hold
  // a line break unless the part is cut between records (whole_records).
  static CsvFile read(const std::string& path, const CsvPart& part, const CsvOptions& options = {});

  const std::string& path() const { return path_; }
  const std::vector<std::string>& header() const { return header_; }
  std::size_t rows() const { return line_of_row_.size(); }
  std::string_view field(std::size_t row, int col) const;
  int line_of_row(std::size_t row) const { return line_of_row_[row]; }  // 1-based file line
  // Index of a column, or -1.
  int find_column(const std::string& name) const;
  // Index of a column; throws mdn::Error naming the file and listing the
  // header, with the closest name ("did you mean"), or a hint when the first
  // line looks like data.
  int require_column(const std::string& name) const;
  char delimiter() const { return delimiter_; }
  // Whether a cell is a missing-value marker (CsvOptions::na_values, or empty).
  bool is_missing(std::string_view cell) const;
  // A cell as a finite number: false for a missing marker and for what
  // parse_finite_number refuses.
  bool number(std::string_view cell, double& out) const;
  // Columns whose every cell is a number or a missing marker and at least one
  // is a number, in file order.
  std::vector<std::string> numeric_columns() const;
  // Per column: kHasNumber if some cell is a number, kNotNumeric if some cell
  // is neither a number nor a missing marker (numeric: exactly kHasNumber).
  // Flags of parts of one file combine with bitwise or.
  static constexpr unsigned char kHasNumber = 1, kNotNumeric = 2;
  std::vector<unsigned char> column_flags() const;

 private:
  static CsvFile parse(const std::string& path, std::string_view text, const CsvPart* part, char delimiter);
  void set_na_values(const std::vector<std::string>& na_values);

  std::string path_;
  char delimiter_ = ',';
  std::vector<std::string> na_values_;
  bool numeric_na_value_ = false;  // some marker reads as a number (-999): checked before a number is taken
  std::vector<std::string> header_;
  std::string text_;                      // unquoted field bytes, concatenated
  std::vector<std::size_t> field_start_;  // rows*cols + 1 offsets into text_
  std::vector<int> line_of_row_;
};

// Numeric columns picked by name, ready for the model.
struct NumericColumns {
  MatrixD values;  // rows x names.size(), as read (double)
  std::vector<std::string> names;
  std::vector<int> lines;        // file line of each kept row
  std::size_t dropped_rows = 0;  // with InvalidCells::DropRow
  std::string first_dropped;     // why the first of them was: "line L, column 'C': 'NA' marks a missing value"
};

// Throws mdn::Error naming file, line and column for an invalid cell (Fail),
// or when no row is left (DropRow). A *missing* cell (empty or an NA marker)
// in column drop_missing_from or later drops its row whatever the policy
// (training: a row whose target is missing has nothing to learn from).
// Why select_numeric found no row left in `rows` rows (also said of a file
// read in parts, mdn/csv_stream.hpp, when no part has one).
std::string no_rows_left(const std::string& path, std::size_t rows, const std::vector<std::string>& names);
NumericColumns select_numeric(const CsvFile& csv, const std::vector<std::string>& names, InvalidCells policy,
                              bool allow_no_rows = false, std::size_t drop_missing_from = std::size_t(-1));
// The numeric columns by their CsvFile::column_flags, in header order.
std::vector<std::string> numeric_columns(const std::vector<std::string>& header,
                                         const std::vector<unsigned char>& flags);

// Parses a cell as a finite number, in double (data stays double until it is
// standardised: mdn/standardizer.hpp). Returns false for empty, non-numeric,
// NaN, Inf or out-of-range text (|x| beyond the float range, 3.4e38);
// magnitudes below the double range read as 0.
bool parse_finite_number(std::string_view cell, double& out);

// Loads `targets` and `features` from a CSV. Empty `features` means every
// numeric column that is not a target. Throws mdn::Error / mdn::UsageError.
Dataset load_dataset(const std::string& path, const std::vector<std::string>& targets,
                     const std::vector<std::string>& features, InvalidCells policy, const CsvOptions& options = {});
// load_dataset in steps, for reading a file in parts (mdn/sharded_data.hpp):
// the option checks (UsageError); the default features (every numeric column
// that is not a target; Error when there is none); the rows of the named
// columns of a table (allow_no_rows: a part may hold none).
void check_dataset_columns(const std::string& path, const std::vector<std::string>& targets,
                           const std::vector<std::string>& features);
std::vector<std::string> default_features(const std::string& path, const std::vector<std::string>& header,
                                          const std::vector<std::string>& numeric,
                                          const std::vector<std::string>& targets);
// drop_missing_targets: rows whose target cell is missing are dropped (and
// counted in dropped_rows) even under InvalidCells::Fail (training).
Dataset dataset_from_csv(const CsvFile& csv, const std::vector<std::string>& targets,
                         const std::vector<std::string>& feature_names, InvalidCells policy, bool allow_no_rows,
                         bool drop_missing_targets = false);

// The header row as every CSV output of mdn writes it: the names joined by
// commas, a name holding a comma, quote or line break quoted (RFC 4180),
// ending in a line break.
std::string csv_header_line(const std::vector<std::string>& names);

// Writes a header and rows of numbers (%.9g, exact float round trip) through an
// AtomicFile. Throws mdn::Error naming the path.
void write_csv(const std::string& path, const std::vector<std::string>& header, const Matrix& values);

}  // namespace mdn
