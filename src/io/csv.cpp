// CSV reading and writing. The reader loads the whole file once, then a
// single pass splits it into fields, unquoting into one contiguous byte buffer
// (CsvFile::text_) with an offset per field, so a 100k-row file costs two big
// allocations instead of a std::string per cell.
#include "mdn/csv.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstring>
#include <unordered_map>

#include "csv_input.hpp"
#include "mdn/atomic_file.hpp"
#include "mdn/error.hpp"
#include "mdn/spelling.hpp"

namespace mdn {
namespace {

// ---- small text helpers --------------------------------------------------------

std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// A cell as it appears in a message: quoted, and cut short so that a runaway
// field (a whole file swallowed by a stray quote) cannot flood the terminal.
std::string quote_cell(std::string_view cell) {
  constexpr std::size_t kMaxShown = 40;
  if (cell.size() <= kMaxShown) return "'" + std::string(cell) + "'";
  return "'" + std::string(cell.substr(0, kMaxShown)) + "...'";
}

std::string quoted_list(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) out += (i ? ", '" : "'") + names[i] + "'";
  return out;
}

std::string count_fields(std::size_t n) { return std::to_string(n) + (n == 1 ? " field" : " fields"); }

// The largest magnitude a cell may hold: the float range, so that a column's
// sums of squares (its standardisation, in double) cannot overflow.
constexpr double kLargestCell = 3.4028234663852886e38;

// Why a cell is not a usable number, completing "line L, column 'C': ...".
std::string invalid_cell_reason(std::string_view cell, bool missing) {
  const std::string_view t = trim_blanks(cell);
  if (t.empty()) return "the cell is empty (a missing value)";
  double v = 0.0;
  const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ptr == t.data() + t.size()) {
    if (ec == std::errc() && std::isnan(v)) return quote_cell(cell) + " is NaN";
    if (ec == std::errc() && std::isinf(v)) return quote_cell(cell) + " is infinite";
    if (ec == std::errc::result_out_of_range || (ec == std::errc() && std::fabs(v) > kLargestCell))
      return quote_cell(cell) + " is out of range (beyond +-3.4e38)";
  }
  if (missing) return quote_cell(cell) + " marks a missing value";
  return quote_cell(cell) + " is not a number";
}

// The way out of an invalid cell, after its reason. The library names its
// fields; the program shows its flags (--drop-invalid, --na-values).
std::string invalid_cell_way_out(bool missing) {
  return missing ? "; InvalidCells::DropRow leaves out the rows that have one"
                 : "; InvalidCells::DropRow leaves out the rows that have one (CsvOptions::na_values lists the "
                   "cells that mark a missing value)";
}

// ---- reading -------------------------------------------------------------------

// Splits RFC 4180 text into fields. Tracks the 1-based line so that a quoted
// field spanning lines does not shift the line numbers of later rows.
class Tokenizer {
 public:
  enum class FieldEnd { Comma, Record };  // Comma: the delimiter; Record: a line break or the end of the text

  Tokenizer(const std::string& path, std::string_view text, char delimiter)
      : path_(path), begin_(text.data()), p_(text.data()), end_(text.data() + text.size()), delimiter_(delimiter) {}

  bool at_end() const { return p_ == end_; }
  int line() const { return line_; }
  std::size_t offset() const { return std::size_t(p_ - begin_); }
  // Reading in parts: rows continue at file line `line`; a quoted field may
  // not hold a line break when a part boundary could fall inside it.
  void continue_part_at(int line, bool one_line_records) {
    line_ = line;
    one_line_records_ = one_line_records;
  }

  // A bare '\r' inside a field is data; only "\r\n", "\n" or a final '\r' end a line.
  bool at_line_break() const {
    return p_ < end_ && (*p_ == '\n' || (*p_ == '\r' && (p_ + 1 == end_ || p_[1] == '\n')));
  }

  void skip_line_break() {
    p_ += (*p_ == '\r' && p_ + 1 < end_) ? 2 : 1;
    ++line_;
  }

  // Nothing but line breaks from here on: trailing blank lines are ignored.
  bool only_line_breaks_left() const {
    return std::all_of(p_, end_, [](char c) { return c == '\n' || c == '\r'; });
  }

  // Appends one record's unquoted field bytes to `out` and each field's end
  // offset to `ends`; returns the number of fields. `header` names the columns
  // in messages (null while reading the header itself).
  std::size_t read_record(std::string& out, std::vector<std::size_t>& ends, const std::vector<std::string>* header) {
    std::size_t n = 0;
    for (;;) {
      const FieldEnd e = read_field(out, header, n);
      ++n;
      ends.push_back(out.size());
      if (e == FieldEnd::Record) return n;
    }
  }

 private:
  FieldEnd read_field(std::string& out, const std::vector<std::string>* header, std::size_t index) {
    if (p_ < end_ && *p_ == '"') return read_quoted_field(out, header, index);
    const char* start = p_;
    while (p_ < end_ && *p_ != delimiter_ && !at_line_break()) ++p_;
    out.append(start, std::size_t(p_ - start));
    return finish_field();
  }

  FieldEnd read_quoted_field(std::string& out, const std::vector<std::string>* header, std::size_t index) {
    const int open_line = line_;
    ++p_;  // the opening quote
    for (;;) {
      const char* q = static_cast<const char*>(std::memchr(p_, '"', std::size_t(end_ - p_)));
      if (q == nullptr) {
        throw Error(where(open_line, header, index) +
                    ": unterminated quoted field (the quote opened on this line is never closed)");
      }
      const int breaks = int(std::count(p_, q, '\n'));
      if (breaks > 0 && one_line_records_)
        throw Error(where(open_line, header, index) +
                    ": a quoted field holds a line break; reading a file in parts (mpirun) needs one record per "
                    "line: read this file with one process");
      line_ += breaks;
      out.append(p_, std::size_t(q - p_));
      p_ = q + 1;
      if (p_ < end_ && *p_ == '"') {  // "" is an escaped quote
        out.push_back('"');
        ++p_;
        continue;
      }
      break;
    }
    // Spaces after the closing quote are harmless padding; anything else is
    // almost certainly a broken quote that would silently shift columns.
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\t') && *p_ != delimiter_) ++p_;
    if (p_ < end_ && *p_ != delimiter_ && !at_line_break()) {
      throw Error(where(line_, header, index) + ": unexpected text " + quote_cell(std::string_view(p_, 1)) +
                  " after a closing quote (a quote inside a quoted field must be doubled: \"\")");
    }
    return finish_field();
  }

  FieldEnd finish_field() {
    if (p_ == end_) return FieldEnd::Record;
    if (*p_ == delimiter_) {
      ++p_;
      return FieldEnd::Comma;
    }
    skip_line_break();
    return FieldEnd::Record;
  }

  std::string where(int line, const std::vector<std::string>* header, std::size_t index) const {
    std::string s = path_ + ": line " + std::to_string(line);
    if (header != nullptr && index < header->size()) return s + ", column '" + (*header)[index] + "'";
    return s + ", field " + std::to_string(index + 1);
  }

  const std::string& path_;
  const char* begin_;
  const char* p_;
  const char* end_;
  char delimiter_;
  int line_ = 1;
  bool one_line_records_ = false;
};

std::vector<std::string> split_header(const std::string& bytes, const std::vector<std::size_t>& ends) {
  std::vector<std::string> names;
  std::size_t start = 0;
  for (std::size_t end : ends) {
    names.emplace_back(bytes, start, end - start);
    start = end;
  }
  return names;
}

void check_unique_names(const std::string& path, const std::vector<std::string>& header) {
  std::unordered_map<std::string, std::size_t> first;
  for (std::size_t i = 0; i < header.size(); ++i) {
    const auto [it, inserted] = first.emplace(header[i], i);
    if (!inserted) {
      throw Error(path + ": line 1: columns " + std::to_string(it->second + 1) + " and " + std::to_string(i + 1) +
                  " are both named '" + header[i] + "'");
    }
  }
}

// A user asking for the same column twice is a command-line slip, not bad data.
void check_no_repeats(const std::vector<std::string>& names, const std::string& what) {
  for (std::size_t i = 0; i < names.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (names[i] == names[j]) throw UsageError("column '" + names[i] + "' is listed twice " + what);
}

// ---- writing -------------------------------------------------------------------

// to_chars with precision 9 is printf("%.9g") in the C locale: enough digits
// for every float to read back bit-exactly, whatever locale the program runs in.
void append_float(std::string& out, float v) {
  char buf[32];
  const auto result = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, 9);
  out.append(buf, std::size_t(result.ptr - buf));
}

}  // namespace

// ---- CsvFile -------------------------------------------------------------------

void CsvFile::set_na_values(const std::vector<std::string>& na_values) {
  na_values_.clear();
  numeric_na_value_ = false;
  for (const std::string& v : na_values) {
    const std::string_view t = trim_blanks(v);
    if (t.empty()) continue;  // an empty cell is missing anyway
    na_values_.emplace_back(t);
    double ignored = 0.0;
    numeric_na_value_ = numeric_na_value_ || parse_finite_number(t, ignored);
  }
}

CsvFile CsvFile::read(const std::string& path, const CsvOptions& options) {
  const std::string text = io::read_csv_text(path);
  const char delimiter = options.delimiter != 0 ? options.delimiter : detect_delimiter(text);
  CsvFile csv = parse(path, text, nullptr, delimiter);
  if (csv.line_of_row_.empty()) throw Error(path + ": has a header row but no data rows");
  csv.set_na_values(options.na_values);
  return csv;
}

CsvFile CsvFile::read(const std::string& path, const CsvPart& part, const CsvOptions& options) {
  CsvFile csv = parse(path, part.text, &part, part.delimiter);
  csv.set_na_values(options.na_values);
  return csv;
}

CsvFile CsvFile::parse(const std::string& path, std::string_view text, const CsvPart* part, char delimiter) {
  CsvFile csv;
  csv.path_ = path;
  csv.delimiter_ = delimiter;
  csv.set_na_values(default_na_values());
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 BOM (Excel writes one)

  Tokenizer tok(path, text, delimiter);
  if (tok.only_line_breaks_left()) throw Error(path + ": the file is empty (expected a header row and data rows)");
  if (tok.at_line_break()) throw Error(path + ": line 1 is blank (expected the header row)");

  std::string header_bytes;
  std::vector<std::size_t> header_ends;
  tok.read_record(header_bytes, header_ends, nullptr);
  csv.header_ = split_header(header_bytes, header_ends);
  check_unique_names(path, csv.header_);
  const std::size_t cols = csv.header_.size();
  if (part != nullptr) tok.continue_part_at(part->first_line, !part->whole_records);

  // One line per row is the common case; reserving from it avoids regrowth.
  const std::size_t line_breaks = std::size_t(std::count(text.begin(), text.end(), '\n'));
  csv.text_.reserve(text.size());
  csv.field_start_.reserve(line_breaks * cols + 1);
  csv.line_of_row_.reserve(line_breaks);
  csv.field_start_.push_back(0);

  // Blank lines at the end of the file are ignored; a part that is not the
  // file's last has no end of file.
  const bool at_file_end = part == nullptr || part->last;
  while (!tok.at_end()) {
    const int line = tok.line();
    if (tok.at_line_break()) {
      tok.skip_line_break();
      if (at_file_end && tok.only_line_breaks_left()) break;
      // In a one-column file a blank line is an empty cell; otherwise it is a
      // ragged row, and a clearer message than "has 1 field" helps.
      if (cols > 1)
        throw Error(path + ": line " + std::to_string(line) + " is blank, header has " + count_fields(cols));
      csv.field_start_.push_back(csv.text_.size());
      csv.line_of_row_.push_back(line);
      continue;
    }
    const std::size_t n = tok.read_record(csv.text_, csv.field_start_, &csv.header_);
    if (n != cols) {
      throw Error(path + ": line " + std::to_string(line) + " has " + count_fields(n) + ", header has " +
                  count_fields(cols) + (delimiter == ',' ? "" : " (delimiter: " + delimiter_name(delimiter) + ")"));
    }
    csv.line_of_row_.push_back(line);
  }
  return csv;
}

// ---- one part of a file (sharded reading) ------------------------------------

namespace {

// The bytes read_csv_part reads: ranges of the file on disk, or, for a
// gzip-compressed file (which cannot be entered in the middle), of its text,
// inflated whole.
class PartSource {
 public:
  explicit PartSource(const std::string& path) : path_(path), file_(path) {
    if (!S_ISREG(file_.st.st_mode))
      throw Error(path + ": reading a file in parts (mpirun) needs a regular file, not a pipe or device");
    size_ = (long long)file_.st.st_size;
    if (io::is_gzip(read(0, std::min(size_, 2LL)))) {
      inflated_ = io::gunzip(path, read(0, size_));
      gzip_ = true;
      size_ = (long long)inflated_.size();
    }
  }
  long long size() const { return size_; }

  // Bytes [begin, end).
  std::string read(long long begin, long long end) const {
    if (gzip_) return inflated_.substr(std::size_t(begin), std::size_t(std::max(0LL, end - begin)));
    std::string out(std::size_t(std::max(0LL, end - begin)), '\0');
    std::size_t done = 0;
    while (done < out.size()) {
      const ssize_t n = ::pread(file_.fd, &out[done], out.size() - done, off_t(begin + (long long)done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) throw Error(path_ + ": cannot read (" + std::strerror(errno) + ")");
      if (n == 0) throw Error(path_ + ": the file shrank while it was read");
      done += std::size_t(n);
    }
    return out;
  }

  // The offset just after the first '\n' at or after `from` (size() if none).
  long long next_line_start(long long from) const {
    constexpr long long kBlock = 1 << 16;
    for (long long at = from; at < size_; at += kBlock) {
      const std::string block = read(at, std::min(size_, at + kBlock));
      const std::size_t nl = block.find('\n');
      if (nl != std::string::npos) return at + (long long)nl + 1;
    }
    return size_;
  }

 private:
  const std::string& path_;
  io::InputFile file_;
  long long size_ = 0;
  bool gzip_ = false;
  std::string inflated_;
};

// The header record of a part: read a growing prefix until it holds the
// whole record; the delimiter from that prefix (the same in every part).
void read_part_header(const PartSource& source, const std::string& path, const CsvOptions& options, CsvPart& out) {
  const long long size = source.size();
  for (long long prefix = std::min(size, 1LL << 16);; prefix = std::min(size, prefix * 2)) {
    const std::string head = source.read(0, prefix);
    io::check_text(path, head);
    std::string_view text = head;
    const std::size_t bom = text.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
    text.remove_prefix(bom);
    out.delimiter = options.delimiter != 0 ? options.delimiter : detect_delimiter(text);
    Tokenizer tok(path, text, out.delimiter);
    if (tok.only_line_breaks_left()) {
      if (prefix < size) continue;
      throw Error(path + ": the file is empty (expected a header row and data rows)");
    }
    if (tok.at_line_break()) throw Error(path + ": line 1 is blank (expected the header row)");
    std::string bytes;
    std::vector<std::size_t> ends;
    try {
      tok.read_record(bytes, ends, nullptr);
    } catch (const Error&) {
      if (prefix < size) continue;  // an unterminated quote may close further on
      throw;
    }
    // A record cut by the end of the prefix is not known to be whole.
    if (tok.at_end() && prefix < size) continue;
    out.text = head.substr(0, bom + tok.offset());
    out.first_line = tok.line();
    return;
  }
}

}  // namespace

CsvPart read_csv_part(const std::string& path, int part, int parts, const CsvOptions& options) {
  if (parts < 1 || part < 0 || part >= parts)
    throw Error("read_csv_part: part " + std::to_string(part) + " of " + std::to_string(parts));
  const PartSource source(path);
  const long long size = source.size();
  CsvPart out;
  read_part_header(source, path, options, out);
  const long long header_end = (long long)out.text.size();

  // This part's rows: those whose first byte lies in [lo, hi).
  const long long data = size - header_end;
  const long long lo = header_end + data * part / parts;
  const long long hi = header_end + data * (part + 1) / parts;
  const long long begin = part == 0 ? header_end : source.next_line_start(lo - 1);
  const long long end = part == parts - 1 ? size : source.next_line_start(hi - 1);
  const std::string rows = source.read(begin, std::max(begin, end));
  out.row_line_breaks = (long long)std::count(rows.begin(), rows.end(), '\n');
  out.text += rows;
  out.last = part == parts - 1;
  return out;
}

std::string_view CsvFile::field(std::size_t row, int col) const {
  const std::size_t i = row * header_.size() + std::size_t(col);
  return std::string_view(text_.data() + field_start_[i], field_start_[i + 1] - field_start_[i]);
}

int CsvFile::find_column(const std::string& name) const {
  const auto it = std::find(header_.begin(), header_.end(), name);
  return it == header_.end() ? -1 : int(it - header_.begin());
}

namespace {

// Why a header is not what the user meant, or "": a first line of numbers
// (a file without a header row), or one column whose name holds another
// delimiter.
std::string header_hint(const std::vector<std::string>& header, char delimiter) {
  double v = 0.0;
  if (std::all_of(header.begin(), header.end(), [&](const std::string& h) { return parse_finite_number(h, v); }))
    return "; the first line looks like data (every cell is a number): mdn needs a header row naming the columns";
  if (header.size() == 1)
    for (const char other : {',', ';', '\t', '|'})
      if (other != delimiter && header[0].find(other) != std::string::npos)
        return "; the header is one column split by " + delimiter_name(delimiter) + ": the file looks " +
               delimiter_name(other) + "-separated (CsvOptions::delimiter)";
  return {};
}

}  // namespace

int CsvFile::require_column(const std::string& name) const {
  const int c = find_column(name);
  if (c >= 0) return c;
  std::string msg = path_ + ": no column named '" + name + "'";
  const std::string hint = header_hint(header_, delimiter_);
  if (!hint.empty()) throw Error(msg + hint + "; the first line is: " + quoted_list(header_));
  // Case, stray spaces and typos are the usual slips; name the likely intent.
  const std::string near = closest_name(name, header_);
  if (!near.empty()) msg += " (did you mean '" + near + "'?)";
  throw Error(msg + "; the columns are: " + quoted_list(header_));
}

bool CsvFile::is_missing(std::string_view cell) const {
  cell = trim_blanks(cell);
  if (cell.empty()) return true;
  for (const std::string& marker : na_values_)
    if (iequals(cell, marker)) return true;
  return false;
}

bool CsvFile::number(std::string_view cell, double& out) const {
  // A marker that reads as a number (-999) is checked first; otherwise a
  // number needs no look at the markers.
  if (numeric_na_value_ && is_missing(cell)) return false;
  return parse_finite_number(cell, out);
}

std::vector<unsigned char> CsvFile::column_flags() const {
  std::vector<unsigned char> flags(header_.size(), 0);
  for (int c = 0; c < int(header_.size()); ++c) {
    for (std::size_t r = 0; r < rows() && !(flags[c] & kNotNumeric); ++r) {
      const std::string_view cell = field(r, c);
      double v;
      if (number(cell, v))
        flags[c] |= kHasNumber;
      else if (!is_missing(cell))
        flags[c] |= kNotNumeric;
    }
  }
  return flags;
}

std::vector<std::string> numeric_columns(const std::vector<std::string>& header,
                                         const std::vector<unsigned char>& flags) {
  std::vector<std::string> names;
  for (std::size_t c = 0; c < header.size(); ++c)
    if (flags[c] == CsvFile::kHasNumber) names.push_back(header[c]);
  return names;
}

std::vector<std::string> CsvFile::numeric_columns() const { return mdn::numeric_columns(header_, column_flags()); }

// ---- numbers -------------------------------------------------------------------

const std::vector<std::string>& default_na_values() {
  static const std::vector<std::string> kMarkers = {"NA", "N/A", "NaN", "null", "None", "?", "-", "#N/A"};
  return kMarkers;
}

bool parse_finite_number(std::string_view cell, double& out) {
  cell = trim_blanks(cell);
  if (cell.empty()) return false;
  // from_chars takes no leading '+', which some writers emit for exponents-only
  // formats; accept one, but not "+-1".
  if (cell.front() == '+') {
    cell.remove_prefix(1);
    if (cell.empty() || cell.front() == '+' || cell.front() == '-') return false;
  }
  const char* end = cell.data() + cell.size();
  double v = 0.0;
  const auto [ptr, ec] = std::from_chars(cell.data(), end, v);
  if (ptr != end) return false;
  if (ec == std::errc::result_out_of_range) {
    // Too small for a double (|x| < ~1e-308) is not an error worth failing a
    // file over: it is 0 for every purpose here. Too large is. long double's
    // wider exponent range tells the two apart.
    long double wide = 0.0L;
    const auto r = std::from_chars(cell.data(), end, wide);
    if (r.ec != std::errc() || r.ptr != end || std::fabs(wide) >= 1.0L) return false;
    v = double(wide);
  } else if (ec != std::errc() || !std::isfinite(v) || std::fabs(v) > kLargestCell) {
    return false;
  }
  out = v;
  return true;
}

std::string no_rows_left(const std::string& path, std::size_t rows, const std::vector<std::string>& names) {
  return path + ": no rows left: every one of the " + std::to_string(rows) +
         " rows has an empty, non-numeric, NaN or infinite cell in " + quoted_list(names);
}

NumericColumns select_numeric(const CsvFile& csv, const std::vector<std::string>& names, InvalidCells policy,
                              bool allow_no_rows, std::size_t drop_missing_from) {
  check_no_repeats(names, "among the chosen columns");
  std::vector<int> cols;
  for (const std::string& name : names) cols.push_back(csv.require_column(name));
  if (csv.rows() > std::size_t(INT_MAX)) throw Error(csv.path() + ": too many rows (more than 2^31 - 1)");

  NumericColumns out;
  out.names = names;
  out.values = MatrixD(int(csv.rows()), int(cols.size()));
  out.lines.reserve(csv.rows());
  int kept = 0;
  for (std::size_t r = 0; r < csv.rows(); ++r) {
    double* dst = out.values.row(kept);
    bool valid = true;
    for (std::size_t j = 0; j < cols.size() && valid; ++j) {
      const std::string_view cell = csv.field(r, cols[j]);
      valid = csv.number(cell, dst[j]);
      const bool drop = policy == InvalidCells::DropRow || (j >= drop_missing_from && csv.is_missing(cell));
      if (valid || (drop && !out.first_dropped.empty())) continue;
      const bool missing = csv.is_missing(cell);
      const std::string where = "line " + std::to_string(csv.line_of_row(r)) + ", column '" + names[j] + "': ";
      if (!drop)
        throw Error(csv.path() + ": " + where + invalid_cell_reason(cell, missing) + invalid_cell_way_out(missing));
      out.first_dropped = where + invalid_cell_reason(cell, missing);
    }
    if (!valid) {
      ++out.dropped_rows;
      continue;
    }
    out.lines.push_back(csv.line_of_row(r));
    ++kept;
  }
  if (kept == 0 && !allow_no_rows) throw Error(no_rows_left(csv.path(), csv.rows(), names));
  out.values.rows = kept;
  out.values.data.resize(std::size_t(kept) * cols.size());
  return out;
}

// ---- data sets -----------------------------------------------------------------

void check_dataset_columns(const std::string& path, const std::vector<std::string>& targets,
                           const std::vector<std::string>& features) {
  // Option problems first: they need no file and are the user's to fix.
  if (targets.empty() && features.empty())
    throw UsageError(path + ": no target column given (and no feature columns to predict from)");
  check_no_repeats(targets, "as a target");
  check_no_repeats(features, "as a feature");
  for (const std::string& t : targets) {
    if (std::find(features.begin(), features.end(), t) != features.end())
      throw UsageError("column '" + t + "' is both a target and a feature");
  }
}

std::vector<std::string> default_features(const std::string& path, const std::vector<std::string>& header,
                                          const std::vector<std::string>& numeric,
                                          const std::vector<std::string>& targets) {
  std::vector<std::string> feature_names;
  for (const std::string& name : numeric)
    if (std::find(targets.begin(), targets.end(), name) == targets.end()) feature_names.push_back(name);
  if (feature_names.empty()) {
    throw Error(path + ": no numeric column besides the target(s) " + quoted_list(targets) +
                " to use as a feature; the columns are: " + quoted_list(header));
  }
  return feature_names;
}

Dataset dataset_from_csv(const CsvFile& csv, const std::vector<std::string>& targets,
                         const std::vector<std::string>& feature_names, InvalidCells policy, bool allow_no_rows,
                         bool drop_missing_targets) {
  for (const std::string& t : targets) csv.require_column(t);
  // Features and targets in one selection, so that DropRow drops a row from both.
  std::vector<std::string> all = feature_names;
  all.insert(all.end(), targets.begin(), targets.end());
  NumericColumns sel =
      select_numeric(csv, all, policy, allow_no_rows, drop_missing_targets ? feature_names.size() : std::size_t(-1));

  Dataset ds;
  const int rows = sel.values.rows;
  const int d = int(feature_names.size());
  const int t = int(targets.size());
  // The targets copied out, then the features compacted in place (row r's
  // features move from r (d + t) to r d, never past a row not yet moved):
  // no second rows x d copy while the file's text is still held, which was
  // the peak of `mdn train`'s reading (BENCHMARKS.md, "Memory of mdn train").
  ds.t = MatrixD(rows, t);
  for (int r = 0; r < rows; ++r) std::copy(sel.values.row(r) + d, sel.values.row(r) + d + t, ds.t.row(r));
  double* values = sel.values.data.data();
  for (std::size_t r = 1; t > 0 && r < std::size_t(rows); ++r)  // row 0 is in place
    std::copy(values + r * std::size_t(d + t), values + r * std::size_t(d + t) + d, values + r * std::size_t(d));
  sel.values.data.resize(std::size_t(rows) * std::size_t(d));
  sel.values.cols = d;
  ds.x = std::move(sel.values);
  ds.feature_names = feature_names;
  ds.target_names = targets;
  ds.lines = std::move(sel.lines);
  ds.dropped_rows = sel.dropped_rows;
  ds.first_dropped = std::move(sel.first_dropped);
  return ds;
}

Dataset load_dataset(const std::string& path, const std::vector<std::string>& targets,
                     const std::vector<std::string>& features, InvalidCells policy, const CsvOptions& options) {
  check_dataset_columns(path, targets, features);
  const CsvFile csv = CsvFile::read(path, options);
  for (const std::string& t : targets) csv.require_column(t);
  const std::vector<std::string> feature_names =
      features.empty() ? default_features(path, csv.header(), csv.numeric_columns(), targets) : features;
  return dataset_from_csv(csv, targets, feature_names, policy, false);
}

std::string csv_header_line(const std::vector<std::string>& names) {
  std::string line;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i) line += ',';
    if (names[i].find_first_of(",\"\r\n") == std::string::npos) {
      line += names[i];
      continue;
    }
    line += '"';
    for (char c : names[i]) {
      if (c == '"') line += '"';
      line += c;
    }
    line += '"';
  }
  return line + '\n';
}

void write_csv(const std::string& path, const std::vector<std::string>& header, const Matrix& values) {
  if (header.empty() || header.size() != std::size_t(values.cols)) {
    throw Error(path + ": cannot write " + std::to_string(values.cols) + " columns under " +
                std::to_string(header.size()) + " header names");
  }
  AtomicFile file(path);
  std::string buf = csv_header_line(header);
  // Flushed in ~1 MB chunks: bounded memory for large outputs, few write calls.
  constexpr std::size_t kChunk = std::size_t(1) << 20;
  for (int r = 0; r < values.rows; ++r) {
    const float* row = values.row(r);
    for (int c = 0; c < values.cols; ++c) {
      if (c) buf += ',';
      append_float(buf, row[c]);
    }
    buf += '\n';
    if (buf.size() >= kChunk) {
      file.stream().write(buf.data(), std::streamsize(buf.size()));
      buf.clear();
    }
  }
  file.stream().write(buf.data(), std::streamsize(buf.size()));
  file.commit();
}

}  // namespace mdn
