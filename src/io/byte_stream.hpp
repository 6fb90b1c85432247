// Internal: a file's text read front to back a piece at a time, inflated on
// the fly when it is gzip-compressed, so that a reader of a big file holds
// one piece at a time (mdn/csv_stream.hpp). The bytes and the messages are
// those of io::read_csv_text (csv_input.hpp), which reads the file whole.
#pragma once
#include <zlib.h>

#include <memory>
#include <string>

#include "csv_input.hpp"

namespace mdn::io {

class ByteStream {
 public:
  // Throws mdn::Error: cannot open, a directory.
  explicit ByteStream(const std::string& path);
  ~ByteStream();
  ByteStream(const ByteStream&) = delete;
  ByteStream& operator=(const ByteStream&) = delete;

  // Appends up to `n` (> 0) bytes of the text to `out`; returns how many, 0
  // only at the end. Throws mdn::Error: unreadable, corrupt or truncated gzip.
  std::size_t read(std::string& out, std::size_t n);
  // For progress: the file's bytes consumed so far and its size (-1 when it
  // is not a regular file: a pipe).
  long long consumed() const { return consumed_; }
  long long size() const { return size_; }
  bool compressed() const { return zs_ != nullptr; }

 private:
  bool refill();  // more raw bytes into raw_ (false at the end of the file)
  std::size_t inflate_into(std::string& out, std::size_t n);
  void end_of_member();

  std::string path_;
  InputFile file_;
  long long size_ = -1, consumed_ = 0;
  std::string raw_;  // raw bytes read, not yet used: raw_[raw_at_..]
  std::size_t raw_at_ = 0;
  bool file_end_ = false;
  std::unique_ptr<z_stream> zs_;  // gzip input only
  bool text_end_ = false;         // gzip: the last member ended
};

}  // namespace mdn::io
