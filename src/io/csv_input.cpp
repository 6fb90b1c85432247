// The bytes of a CSV file: read whole, inflated when gzip-compressed (zlib),
// refused by name when they are another compressed or binary format; and the
// delimiter, detected from the first lines or named by the user.
#include "csv_input.hpp"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <new>
#include <vector>

#include "mdn/csv.hpp"
#include "mdn/error.hpp"

namespace mdn {
namespace io {

InputFile::InputFile(const std::string& path) : fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
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

InputFile::~InputFile() { ::close(fd); }

std::string read_whole_file(const std::string& path) {
  const InputFile file(path);
  // Sized from fstat for regular files; grows for pipes and /proc-like files.
  std::string data(std::max<std::size_t>(std::size_t(file.st.st_size) + 1, 1 << 16), '\0');
  std::size_t len = 0;
  for (;;) {
    if (len == data.size()) data.resize(data.size() * 2);
    const ssize_t n = ::read(file.fd, &data[len], data.size() - len);
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

bool is_gzip(std::string_view bytes) { return bytes.size() >= 2 && bytes[0] == '\x1f' && bytes[1] == '\x8b'; }

namespace {

// Ends inflateEnd on scope exit.
struct Inflater {
  z_stream zs{};
  Inflater() {
    if (inflateInit2(&zs, 15 + 16) != Z_OK) throw std::bad_alloc();  // 15 + 16: gzip wrapper only
  }
  ~Inflater() { inflateEnd(&zs); }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
};

}  // namespace

std::string gunzip(const std::string& path, std::string_view bytes) {
  Inflater inf;
  z_stream& zs = inf.zs;
  std::string out(std::clamp<std::size_t>(bytes.size() * 4, 1 << 16, std::size_t(1) << 28), '\0');
  std::size_t in_at = 0, out_at = 0;
  for (;;) {
    // avail_in and avail_out are 32-bit: feed and drain at most 1 GiB at a time.
    constexpr std::size_t kStep = std::size_t(1) << 30;
    if (out_at == out.size()) out.resize(out.size() * 2);
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data() + in_at));
    zs.avail_in = uInt(std::min(bytes.size() - in_at, kStep));
    zs.next_out = reinterpret_cast<Bytef*>(&out[out_at]);
    zs.avail_out = uInt(std::min(out.size() - out_at, kStep));
    const uInt in_before = zs.avail_in, out_before = zs.avail_out;
    const int ret = inflate(&zs, Z_NO_FLUSH);
    in_at += in_before - zs.avail_in;
    out_at += out_before - zs.avail_out;
    if (ret == Z_STREAM_END) {
      // Several members (cat a.gz b.gz) are one stream; zeros after the last
      // are padding some tools write.
      const std::string_view rest = bytes.substr(in_at);
      if (is_gzip(rest)) {
        inflateReset(&zs);
        continue;
      }
      if (!std::all_of(rest.begin(), rest.end(), [](char c) { return c == '\0'; }))
        throw Error(path + ": corrupt gzip data: bytes that are not gzip follow the compressed data");
      break;
    }
    if (ret == Z_MEM_ERROR) throw std::bad_alloc();
    if (ret == Z_DATA_ERROR || ret == Z_NEED_DICT || ret == Z_STREAM_ERROR)
      throw Error(path + ": corrupt gzip data (zlib: " + (zs.msg != nullptr ? zs.msg : "invalid data") + ")");
    if (in_at == bytes.size() && zs.avail_out > 0)
      throw Error(path + ": the gzip data ends early (a truncated .gz file?)");
  }
  out.resize(out_at);
  return out;
}

void check_text(const std::string& path, std::string_view head) {
  struct Magic {
    std::string_view bytes;
    const char* what;
  };
  static const std::array<Magic, 7> kMagic = {{
      {std::string_view("PK\x03\x04", 4), "a zip archive (an .xlsx workbook is one)"},
      {std::string_view("\xFD\x37zXZ\0", 6), "xz-compressed"},
      {std::string_view("BZh", 3), "bzip2-compressed"},
      {std::string_view("\x28\xB5\x2F\xFD", 4), "zstd-compressed"},
      {std::string_view("7z\xBC\xAF\x27\x1C", 6), "a 7-Zip archive"},
      {std::string_view("\xD0\xCF\x11\xE0", 4), "an old Excel (.xls) or other OLE file"},
      {std::string_view("\xFF\xFE", 2), "UTF-16 text (convert it: iconv -f UTF-16 -t UTF-8)"},
  }};
  const std::string reads = "; mdn reads CSV text, plain or gzip-compressed";
  for (const Magic& m : kMagic) {
    const bool bzip2 = m.bytes == "BZh";  // "BZh" + block size digit + the block magic
    if (head.substr(0, m.bytes.size()) == m.bytes && (!bzip2 || (head.size() >= 10 && head.substr(4, 6) == "1AY&SY")))
      throw Error(path + ": is " + m.what + ", not a CSV file" + reads);
  }
  if (head.substr(0, 2) == "\xFE\xFF")
    throw Error(path + ": is UTF-16 text (convert it: iconv -f UTF-16 -t UTF-8), not a CSV file" + reads);
  const std::string_view first_line = head.substr(0, std::min(head.find('\n'), std::size_t(1) << 16));
  if (first_line.find('\0') != std::string_view::npos)
    throw Error(path + ": line 1 holds binary bytes (NUL), not a CSV header" + reads);
}

std::string read_csv_text(const std::string& path) {
  std::string bytes = read_whole_file(path);
  if (is_gzip(bytes)) bytes = gunzip(path, bytes);
  check_text(path, bytes);
  return bytes;
}

}  // namespace io

// ---- delimiters -----------------------------------------------------------------

namespace {

// The candidates, in order; a space (the last) only when none of the others
// is in the header (a header name may hold spaces).
constexpr std::array<char, 4> kDetected = {',', ';', '\t', ' '};
// The lines detect_delimiter looks at.
constexpr std::size_t kSample = 20;

// Per candidate delimiter, its count outside quotes in each of the first
// records of `text` (header first; at most kSample complete lines, blank
// lines skipped; a last line without its line break only when it is the
// header).
std::vector<std::array<int, 4>> delimiter_counts(std::string_view text) {
  std::vector<std::array<int, 4>> lines;
  std::array<int, 4> counts{};
  bool quoted = false, blank = true;
  for (char c : text) {
    if (c == '"') quoted = !quoted;
    if (!quoted && c == '\n') {
      if (!blank) lines.push_back(counts);
      if (lines.size() == kSample) return lines;
      counts = {};
      blank = true;
      continue;
    }
    if (c != '\r') blank = false;
    if (quoted) continue;
    for (std::size_t i = 0; i < kDetected.size(); ++i) counts[i] += c == kDetected[i];
  }
  if (lines.empty() && !blank) lines.push_back(counts);
  return lines;
}

}  // namespace

bool io::delimiter_sample_complete(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  return delimiter_counts(text).size() == kSample;
}

char detect_delimiter(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  const std::vector<std::array<int, 4>> lines = delimiter_counts(text);
  if (lines.empty()) return ',';
  int best = -1, best_consistent = -1;
  for (std::size_t i = 0; i + 1 < kDetected.size(); ++i) {
    const int n = lines[0][i];
    if (n == 0) continue;
    if (best < 0 || n > lines[0][std::size_t(best)]) best = int(i);
    const bool consistent = std::all_of(lines.begin(), lines.end(), [&](const auto& l) { return l[i] == n; });
    if (consistent && (best_consistent < 0 || n > lines[0][std::size_t(best_consistent)])) best_consistent = int(i);
  }
  if (best_consistent >= 0) return kDetected[std::size_t(best_consistent)];
  if (best >= 0) return kDetected[std::size_t(best)];
  // Space-separated (as some packaged data sets are): every line splits
  // into as many fields as the header, which has at least two.
  const std::size_t space = kDetected.size() - 1;
  const int n = lines[0][space];
  if (n > 0 && lines.size() > 1 &&
      std::all_of(lines.begin(), lines.end(), [&](const auto& l) { return l[space] == n; }))
    return ' ';
  return ',';
}

char parse_delimiter(const std::string& text) {
  static const std::array<std::pair<const char*, char>, 6> kNames = {
      {{"auto", 0}, {"comma", ','}, {"semicolon", ';'}, {"tab", '\t'}, {"pipe", '|'}, {"space", ' '}}};
  for (const auto& [name, c] : kNames)
    if (text == name) return c;
  if (text == "\\t") return '\t';
  const unsigned char c = text.size() == 1 ? static_cast<unsigned char>(text[0]) : 0;
  if (c == '\t' || (c >= ' ' && c < 0x7f && c != '"')) return char(c);
  throw UsageError("'" + text +
                   "' is not a delimiter: use auto, comma, semicolon, tab, pipe, space or one printable character "
                   "other than a quote");
}

std::string delimiter_name(char delimiter) {
  switch (delimiter) {
    case 0:
      return "auto";
    case ',':
      return "comma";
    case ';':
      return "semicolon";
    case '\t':
      return "tab";
    case '|':
      return "pipe";
    case ' ':
      return "space";
    default:
      return std::string("'") + delimiter + "'";
  }
}

}  // namespace mdn
