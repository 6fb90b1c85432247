// CSV input: a header row, columns chosen by name, RFC 4180 quoting, CRLF or
// LF, an optional UTF-8 BOM. Errors name the file, the line and the column.
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
};
// Throws mdn::Error for a file that cannot be read or is not a regular file.
CsvPart read_csv_part(const std::string& path, int part, int parts);

// The raw table: header names and every field as text.
class CsvFile {
 public:
  // Throws mdn::Error: file missing/unreadable, empty file, no data rows,
  // ragged row (line number), unterminated quote, duplicate column names.
  static CsvFile read(const std::string& path);
  // A part (read_csv_part; first_line already set): the same checks, except
  // that it may have no rows, and a quoted field may not hold a line break.
  static CsvFile read(const std::string& path, const CsvPart& part) { return parse(path, part.text, &part); }

  const std::string& path() const { return path_; }
  const std::vector<std::string>& header() const { return header_; }
  std::size_t rows() const { return line_of_row_.size(); }
  std::string_view field(std::size_t row, int col) const;
  int line_of_row(std::size_t row) const { return line_of_row_[row]; }  // 1-based file line
  // Index of a column, or -1.
  int find_column(const std::string& name) const;
  // Index of a column; throws mdn::Error naming the file and listing the header.
  int require_column(const std::string& name) const;
  // Columns whose every cell is a number or a missing marker (empty, NA, null,
  // NaN) and at least one is a number, in file order.
  std::vector<std::string> numeric_columns() const;
  // Per column: kHasNumber if some cell is a number, kNotNumeric if some cell
  // is neither a number nor a missing marker (numeric: exactly kHasNumber).
  // Flags of parts of one file combine with bitwise or.
  static constexpr unsigned char kHasNumber = 1, kNotNumeric = 2;
  std::vector<unsigned char> column_flags() const;

 private:
  static CsvFile parse(const std::string& path, std::string_view text, const CsvPart* part);

  std::string path_;
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
};

// Throws mdn::Error naming file, line and column for an invalid cell (Fail),
// or when no row is left (DropRow).
NumericColumns select_numeric(const CsvFile& csv, const std::vector<std::string>& names, InvalidCells policy,
                              bool allow_no_rows = false);
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
                     const std::vector<std::string>& features, InvalidCells policy);
// load_dataset in steps, for reading a file in parts (mdn/sharded_data.hpp):
// the option checks (UsageError); the default features (every numeric column
// that is not a target; Error when there is none); the rows of the named
// columns of a table (allow_no_rows: a part may hold none).
void check_dataset_columns(const std::string& path, const std::vector<std::string>& targets,
                           const std::vector<std::string>& features);
std::vector<std::string> default_features(const std::string& path, const std::vector<std::string>& header,
                                          const std::vector<std::string>& numeric,
                                          const std::vector<std::string>& targets);
Dataset dataset_from_csv(const CsvFile& csv, const std::vector<std::string>& targets,
                         const std::vector<std::string>& feature_names, InvalidCells policy, bool allow_no_rows);

// The header row as every CSV output of mdn writes it: the names joined by
// commas, a name holding a comma, quote or line break quoted (RFC 4180),
// ending in a line break.
std::string csv_header_line(const std::vector<std::string>& names);

// Writes a header and rows of numbers (%.9g, exact float round trip) through an
// AtomicFile. Throws mdn::Error naming the path.
void write_csv(const std::string& path, const std::vector<std::string>& header, const Matrix& values);

}  // namespace mdn
