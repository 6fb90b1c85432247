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

#include "mdn/atomic_file.hpp"
#include "mdn/error.hpp"

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

// "empty", "NA", "null" and "NaN" (any case) stand for a missing value.
bool is_missing_marker(std::string_view cell) {
  cell = trim_blanks(cell);
  return cell.empty() || iequals(cell, "na") || iequals(cell, "null") || iequals(cell, "nan");
}

// The largest magnitude a cell may hold: the float range, so that a column's
// sums of squares (its standardisation, in double) cannot overflow.
constexpr double kLargestCell = 3.4028234663852886e38;

// Why a cell is not a usable number, completing "line L, column 'C': ...".
std::string invalid_cell_reason(std::string_view cell) {
  const std::string_view t = trim_blanks(cell);
  if (t.empty()) return "the cell is empty";
  double v = 0.0;
  const auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ptr == t.data() + t.size()) {
    if (ec == std::errc() && std::isnan(v)) return quote_cell(cell) + " is NaN";
    if (ec == std::errc() && std::isinf(v)) return quote_cell(cell) + " is infinite";
    if (ec == std::errc::result_out_of_range || (ec == std::errc() && std::fabs(v) > kLargestCell))
      return quote_cell(cell) + " is out of range (beyond +-3.4e38)";
  }
  if (is_missing_marker(t)) return quote_cell(cell) + " marks a missing value";
  return quote_cell(cell) + " is not a number";
}

// ---- reading -------------------------------------------------------------------

// A file opened for reading, closed on scope exit, with its fstat. Errors
// carry strerror so "permission denied" and "no such file" are told apart.
struct InputFile {
  explicit InputFile(const std::string& path) : fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
    if (fd < 0) throw Error(path + ": cannot open (" + std::strerror(errno) + ")");
    if (::fstat(fd, &st) != 0) {
      const int err = errno;
      ::close(fd);
      throw Error(path + ": cannot read (" + std::strerror(err) + ")");
    }
    if (S_ISDIR(st.st_mode)) {
      ::close(fd);
      throw Error(path + ": is a directory, not a CSV file");
    }
  }
  ~InputFile() { ::close(fd); }
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  int fd;
  struct stat st {};
};

// The whole file in one string.
std::string read_whole_file(const std::string& path) {
  const InputFile file(path);
  const int fd = file.fd;
  const struct stat& st = file.st;

  // Sized from fstat for regular files; grows for pipes and /proc-like files.
  std::string data(std::max<std::size_t>(std::size_t(st.st_size) + 1, 1 << 16), '\0');
  std::size_t len = 0;
  for (;;) {
    if (len == data.size()) data.resize(data.size() * 2);
    const ssize_t n = ::read(fd, &data[len], data.size() - len);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(path + ": cannot read (" + std::strerror(errno) + ")");
    }
    if (n == 0) break;
    len += std::size_t(n);
  }
  data.resize(len);
  return data;
}

// Splits RFC 4180 text into fields. Tracks the 1-based line so that a quoted
// field spanning lines does not shift the line numbers of later rows.
class Tokenizer {
 public:
  enum class FieldEnd { Comma, Record };  // Record: a line break or the end of the text

  Tokenizer(const std::string& path, std::string_view text)
      : path_(path), begin_(text.data()), p_(text.data()), end_(text.data() + text.size()) {}

  bool at_end() const { return p_ == end_; }
  int line() const { return line_; }
  std::size_t offset() const { return std::size_t(p_ - begin_); }
  // Sharded reading: rows continue at file line `line`, and a quoted field
  // may not hold a line break (a part boundary could fall inside it).
  void continue_part_at(int line) {
    line_ = line;
    one_line_records_ = true;
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
    while (p_ < end_ && *p_ != ',' && !at_line_break()) ++p_;
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
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\t')) ++p_;
    if (p_ < end_ && *p_ != ',' && !at_line_break()) {
      throw Error(where(line_, header, index) + ": unexpected text " + quote_cell(std::string_view(p_, 1)) +
                  " after a closing quote (a quote inside a quoted field must be doubled: \"\")");
    }
    return finish_field();
  }

  FieldEnd finish_field() {
    if (p_ == end_) return FieldEnd::Record;
    if (*p_ == ',') {
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

CsvFile CsvFile::read(const std::string& path) {
  CsvFile csv = parse(path, read_whole_file(path), nullptr);
  if (csv.line_of_row_.empty()) throw Error(path + ": has a header row but no data rows");
  return csv;
}

CsvFile CsvFile::parse(const std::string& path, std::string_view text, const CsvPart* part) {
  CsvFile csv;
  csv.path_ = path;
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // UTF-8 BOM (Excel writes one)

  Tokenizer tok(path, text);
  if (tok.only_line_breaks_left()) throw Error(path + ": the file is empty (expected a header row and data rows)");
  if (tok.at_line_break()) throw Error(path + ": line 1 is blank (expected the header row)");

  std::string header_bytes;
  std::vector<std::size_t> header_ends;
  tok.read_record(header_bytes, header_ends, nullptr);
  csv.header_ = split_header(header_bytes, header_ends);
  check_unique_names(path, csv.header_);
  const std::size_t cols = csv.header_.size();
  if (part != nullptr) tok.continue_part_at(part->first_line);

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
                  count_fields(cols));
    }
    csv.line_of_row_.push_back(line);
  }
  return csv;
}

// ---- one part of a file (sharded reading) ------------------------------------

namespace {

// Reads bytes [begin, end) of an open file.
std::string read_range(int fd, const std::string& path, long long begin, long long end) {
  std::string out(std::size_t(std::max(0LL, end - begin)), '\0');
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::pread(fd, &out[done], out.size() - done, off_t(begin + (long long)done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error(path + ": cannot read (" + std::strerror(errno) + ")");
    if (n == 0) throw Error(path + ": the file shrank while it was read");
    done += std::size_t(n);
  }
  return out;
}

// The offset just after the first '\n' at or after `from` (`size` if none).
long long next_line_start(int fd, const std::string& path, long long from, long long size) {
  constexpr long long kBlock = 1 << 16;
  for (long long at = from; at < size; at += kBlock) {
    const std::string block = read_range(fd, path, at, std::min(size, at + kBlock));
    const std::size_t nl = block.find('\n');
    if (nl != std::string::npos) return at + (long long)nl + 1;
  }
  return size;
}

}  // namespace

CsvPart read_csv_part(const std::string& path, int part, int parts) {
  if (parts < 1 || part < 0 || part >= parts)
    throw Error("read_csv_part: part " + std::to_string(part) + " of " + std::to_string(parts));
  const InputFile file(path);
  const int fd = file.fd;
  const struct stat& st = file.st;
  if (!S_ISREG(st.st_mode))
    throw Error(path + ": reading a file in parts (mpirun) needs a regular file, not a pipe or device");
  const long long size = (long long)st.st_size;

  // The header record: read a growing prefix until it holds the whole record.
  CsvPart out;
  long long header_end = 0;
  for (long long prefix = std::min(size, 1LL << 16);; prefix = std::min(size, prefix * 2)) {
    const std::string head = read_range(fd, path, 0, prefix);
    std::string_view text = head;
    const std::size_t bom = text.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
    text.remove_prefix(bom);
    Tokenizer tok(path, text);
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
    header_end = (long long)(bom + tok.offset());
    out.text = head.substr(0, std::size_t(header_end));
    out.first_line = tok.line();
    break;
  }

  // This part's rows: those whose first byte lies in [lo, hi).
  const long long data = size - header_end;
  const long long lo = header_end + data * part / parts;
  const long long hi = header_end + data * (part + 1) / parts;
  const long long begin = part == 0 ? header_end : next_line_start(fd, path, lo - 1, size);
  const long long end = part == parts - 1 ? size : next_line_start(fd, path, hi - 1, size);
  const std::string rows = read_range(fd, path, begin, std::max(begin, end));
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

int CsvFile::require_column(const std::string& name) const {
  const int c = find_column(name);
  if (c >= 0) return c;
  std::string msg = path_ + ": no column named '" + name + "'";
  // Stray spaces and case are the usual slips; name the likely intent.
  for (const std::string& h : header_) {
    if (iequals(trim_blanks(h), trim_blanks(name))) {
      msg += " (did you mean '" + h + "'?)";
      break;
    }
  }
  throw Error(msg + "; the columns are: " + quoted_list(header_));
}

std::vector<unsigned char> CsvFile::column_flags() const {
  std::vector<unsigned char> flags(header_.size(), 0);
  for (int c = 0; c < int(header_.size()); ++c) {
    for (std::size_t r = 0; r < rows() && !(flags[c] & kNotNumeric); ++r) {
      const std::string_view cell = field(r, c);
      double v;
      if (parse_finite_number(cell, v))
        flags[c] |= kHasNumber;
      else if (!is_missing_marker(cell))
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

NumericColumns select_numeric(const CsvFile& csv, const std::vector<std::string>& names, InvalidCells policy,
                              bool allow_no_rows) {
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
      valid = parse_finite_number(cell, dst[j]);
      if (!valid && policy == InvalidCells::Fail) {
        throw Error(csv.path() + ": line " + std::to_string(csv.line_of_row(r)) + ", column '" + names[j] +
                    "': " + invalid_cell_reason(cell));
      }
    }
    if (!valid) {
      ++out.dropped_rows;
      continue;
    }
    out.lines.push_back(csv.line_of_row(r));
    ++kept;
  }
  if (kept == 0 && !allow_no_rows) {
    throw Error(csv.path() + ": no rows left: every one of the " + std::to_string(csv.rows()) +
                " rows has an empty, non-numeric, NaN or infinite cell in " + quoted_list(names));
  }
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
                         const std::vector<std::string>& feature_names, InvalidCells policy, bool allow_no_rows) {
  for (const std::string& t : targets) csv.require_column(t);
  // Features and targets in one selection, so that DropRow drops a row from both.
  std::vector<std::string> all = feature_names;
  all.insert(all.end(), targets.begin(), targets.end());
  NumericColumns sel = select_numeric(csv, all, policy, allow_no_rows);

  Dataset ds;
  const int rows = sel.values.rows;
  const int d = int(feature_names.size());
  const int t = int(targets.size());
  ds.x = MatrixD(rows, d);
  ds.t = MatrixD(rows, t);
  for (int r = 0; r < rows; ++r) {
    const double* src = sel.values.row(r);
    std::copy(src, src + d, ds.x.row(r));
    std::copy(src + d, src + d + t, ds.t.row(r));
  }
  ds.feature_names = feature_names;
  ds.target_names = targets;
  ds.lines = std::move(sel.lines);
  ds.dropped_rows = sel.dropped_rows;
  return ds;
}

Dataset load_dataset(const std::string& path, const std::vector<std::string>& targets,
                     const std::vector<std::string>& features, InvalidCells policy) {
  check_dataset_columns(path, targets, features);
  const CsvFile csv = CsvFile::read(path);
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
