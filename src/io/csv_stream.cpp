// CsvStream: the file's text comes through io::ByteStream; a buffer holds
// the header record followed by the text not yet returned; each part is cut
// at a record end found as the Tokenizer (csv.cpp) finds them, and parsed as
// a CsvPart with whole_records.
#include "mdn/csv_stream.hpp"

#include <algorithm>
#include <cstring>

#include "byte_stream.hpp"
#include "csv_input.hpp"
#include "mdn/error.hpp"

namespace mdn {
namespace {

constexpr std::size_t kNone = std::string::npos;
constexpr std::size_t kReadPiece = std::size_t(1) << 20;
constexpr std::size_t kHeadBytes = std::size_t(1) << 16;  // what check_text looks at

// Calls at(end) with the offset just after each record's line break in
// text[from..) (from: a record's start), until at returns false. Records end
// where the Tokenizer ends them: a '\n' outside quotes, where a quote opens a
// quoted field only at a field's start and "" inside one is a quote.
template <class At>
void record_ends(std::string_view text, std::size_t from, char delimiter, At&& at) {
  enum class State { FieldStart, Unquoted, Quoted, QuoteSeen } state = State::FieldStart;
  for (std::size_t i = from; i < text.size(); ++i) {
    const char c = text[i];
    if (state == State::Quoted) {
      if (c == '"') state = State::QuoteSeen;
      continue;
    }
    if (c == '"' && (state == State::FieldStart || state == State::QuoteSeen)) {
      state = State::Quoted;  // an opening quote, or the second of ""
      continue;
    }
    if (c == delimiter) {
      state = State::FieldStart;
    } else if (c == '\n') {
      state = State::FieldStart;
      if (!at(i + 1)) return;
    } else {
      state = State::Unquoted;  // after a closing quote the Tokenizer fails on this line anyway
    }
  }
}

// Where to end a part of text[from..): after a record whose successor starts
// with something other than a line break (so that a part never ends among
// the blank lines that end a file, which a whole-file read ignores); the last
// such place at or before `target`, else the first after it; kNone when
// text holds none (read on, or the rest is the file's last part).
std::size_t find_cut(std::string_view text, std::size_t from, std::size_t target, char delimiter) {
  const auto fits = [&](std::size_t at) { return at < text.size() && text[at] != '\n' && text[at] != '\r'; };
  if (std::memchr(text.data() + from, '"', text.size() - from) == nullptr) {
    // No quotes: every '\n' ends a record (the common case, found by memchr).
    for (std::size_t end = std::min(target, text.size()); end > from;) {
      const void* p = ::memrchr(text.data() + from, '\n', end - from);
      if (p == nullptr) break;
      const std::size_t at = std::size_t(static_cast<const char*>(p) - text.data()) + 1;
      if (fits(at)) return at;
      end = at - 1;
    }
    for (std::size_t at = std::max(from, target); at < text.size();) {
      const void* p = std::memchr(text.data() + at, '\n', text.size() - at);
      if (p == nullptr) return kNone;
      at = std::size_t(static_cast<const char*>(p) - text.data()) + 1;
      if (fits(at)) return at;
    }
    return kNone;
  }
  std::size_t best = kNone;
  record_ends(text, from, delimiter, [&](std::size_t at) {
    if (!fits(at)) return true;
    if (at <= target || best == kNone) best = at;
    return at <= target;
  });
  return best;
}

}  // namespace

struct CsvStream::State {
  State(const std::string& p, const CsvOptions& o, std::size_t b)
      : path(p), options(o), part_bytes(std::max<std::size_t>(b, 1)), bytes(p) {}

  // Reads until `pending` holds n bytes or the file ends.
  void fill(std::size_t n) {
    while (pending.size() < n && !file_end)
      file_end = bytes.read(pending, std::max(n - pending.size(), kReadPiece)) == 0;
  }
  void start();
  std::size_t next_cut();

  std::string path;
  CsvOptions options;
  std::size_t part_bytes;
  io::ByteStream bytes;
  std::string pending;  // the header record, then the text not yet returned
  std::size_t header_len = 0;
  bool started = false, file_end = false, done = false;
  char delimiter = ',';
  int next_line = 1;  // the file line of pending's first row
};

// The first bytes: checked as text, the delimiter detected on as many lines
// as a whole-file read uses, the header record found.
void CsvStream::State::start() {
  fill(std::max(part_bytes + 1, kHeadBytes));
  while (!file_end && !io::delimiter_sample_complete(pending)) fill(pending.size() * 2);
  io::check_text(path, pending);
  delimiter = options.delimiter != 0 ? options.delimiter : detect_delimiter(pending);
  const std::size_t bom = pending.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
  for (header_len = kNone; header_len == kNone;) {
    record_ends(pending, bom, delimiter, [&](std::size_t at) {
      header_len = at;
      return false;
    });
    if (header_len == kNone && file_end) header_len = pending.size();  // the file is its header (the parse says so)
    if (header_len == kNone) fill(pending.size() * 2);
  }
  next_line = 1 + int(std::count(pending.begin(), pending.begin() + std::ptrdiff_t(header_len), '\n'));
  started = true;
}

// The end of the next part in `pending`, or kNone when it is the last.
std::size_t CsvStream::State::next_cut() {
  const std::size_t target = header_len + part_bytes;
  fill(target + 1);
  for (;;) {
    const std::size_t cut = find_cut(pending, header_len, target, delimiter);
    if (cut != kNone || file_end) return cut;
    fill(pending.size() + std::max(part_bytes, kReadPiece));  // a record longer than a part: read on
  }
}

CsvStream::CsvStream(const std::string& path, const CsvOptions& options, std::size_t part_bytes)
    : s_(std::make_unique<State>(path, options, part_bytes)) {}

CsvStream::~CsvStream() = default;

bool CsvStream::next(CsvFile& part) {
  State& s = *s_;
  if (s.done) return false;
  const bool first = !s.started;
  if (first) s.start();
  const std::size_t cut = s.next_cut();
  CsvPart p;
  p.delimiter = s.delimiter;
  p.first_line = s.next_line;
  p.last = cut == kNone;
  p.whole_records = true;
  p.text = std::move(s.pending);
  // The buffer keeps the header for the parts to come, then what follows the cut.
  s.pending.assign(p.text, 0, s.header_len);
  if (!p.last) {
    s.pending.append(p.text, cut, kNone);
    p.text.resize(cut);
  }
  p.row_line_breaks = (long long)std::count(p.text.begin() + std::ptrdiff_t(s.header_len), p.text.end(), '\n');
  s.next_line += int(p.row_line_breaks);
  s.done = p.last;
  part = CsvFile::read(s.path, p, s.options);
  if (first && p.last && part.rows() == 0) throw Error(s.path + ": has a header row but no data rows");
  return true;
}

bool CsvStream::done() const { return s_->done; }

double CsvStream::fraction_read() const {
  const long long size = s_->bytes.size();
  if (size <= 0) return -1.0;
  // Plain text: the bytes read less those not yet returned (read ahead);
  // gzip: the compressed bytes read (a little ahead of the text returned).
  long long at = s_->bytes.consumed();
  if (!s_->bytes.compressed() && s_->started) at -= (long long)(s_->pending.size() - s_->header_len);
  return std::clamp(double(at) / double(size), 0.0, 1.0);
}

}  // namespace mdn
