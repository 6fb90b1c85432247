// Internal: the bytes of a CSV file before they are split into fields: the
// file read whole, gzip-compressed input inflated through zlib, other
// compressed or binary files refused by name.
#pragma once
#include <sys/stat.h>

#include <string>
#include <string_view>

namespace mdn::io {

// A file opened for reading, closed on scope exit, with its fstat. Errors
// carry strerror so "permission denied" and "no such file" are told apart;
// a directory is refused.
struct InputFile {
  explicit InputFile(const std::string& path);
  ~InputFile();
  InputFile(const InputFile&) = delete;
  InputFile& operator=(const InputFile&) = delete;
  int fd;
  struct stat st {};
};

// The whole file in one string, as it is on disk.
std::string read_whole_file(const std::string& path);

// The file's text: its bytes, inflated when they start with the gzip magic
// (0x1f 0x8b; several gzip members one after another are read as one
// stream). Throws mdn::Error naming the file: cannot be read, a directory,
// corrupt or truncated gzip data, or a zip, xz, bzip2 or zstd file.
std::string read_csv_text(const std::string& path);

// Whether bytes start with the gzip magic.
bool is_gzip(std::string_view bytes);

// Inflates gzip bytes (every member). Throws mdn::Error starting with `path`.
std::string gunzip(const std::string& path, std::string_view bytes);

// Throws mdn::Error when the first bytes of a file are not text: a
// compressed format zlib does not read (named), or a NUL byte in the first
// line, so that binary bytes are never shown as column names.
void check_text(const std::string& path, std::string_view head);

// Whether `text`, the first bytes of a file, holds every line that
// detect_delimiter looks at, so that it decides as on the whole file.
bool delimiter_sample_complete(std::string_view text);

}  // namespace mdn::io
