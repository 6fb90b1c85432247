#include "byte_stream.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>

#include "mdn/error.hpp"

namespace mdn::io {
namespace {

constexpr std::size_t kRawPiece = std::size_t(1) << 20;  // raw bytes read per system call

}  // namespace

ByteStream::ByteStream(const std::string& path) : path_(path), file_(path) {
  if (S_ISREG(file_.st.st_mode)) size_ = (long long)file_.st.st_size;
  // The gzip magic decides the format; a pipe may give it one byte at a time.
  while (raw_.size() < 2 && refill()) {
  }
  if (!is_gzip(raw_)) return;
  zs_ = std::make_unique<z_stream>();
  if (inflateInit2(zs_.get(), 15 + 16) != Z_OK) {  // 15 + 16: gzip wrapper only
    zs_.reset();
    throw std::bad_alloc();
  }
}

ByteStream::~ByteStream() {
  if (zs_) inflateEnd(zs_.get());
}

bool ByteStream::refill() {
  if (file_end_) return false;
  if (raw_at_ == raw_.size()) {
    raw_.clear();
    raw_at_ = 0;
  }
  const std::size_t had = raw_.size();
  raw_.resize(had + kRawPiece);
  for (;;) {
    const ssize_t n = ::read(file_.fd, &raw_[had], kRawPiece);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw Error(path_ + ": cannot read (" + std::strerror(errno) + ")");
    raw_.resize(had + std::size_t(n));
    consumed_ += n;
    file_end_ = n == 0;
    return n > 0;
  }
}

std::size_t ByteStream::read(std::string& out, std::size_t n) {
  if (zs_) return inflate_into(out, n);
  if (raw_at_ == raw_.size() && !refill()) return 0;
  const std::size_t take = std::min(n, raw_.size() - raw_at_);
  out.append(raw_, raw_at_, take);
  raw_at_ += take;
  return take;
}

// As gunzip (csv_input.cpp): several members (cat a.gz b.gz) are one stream;
// zeros after the last are padding some tools write.
void ByteStream::end_of_member() {
  while (raw_.size() - raw_at_ < 2 && refill()) {
  }
  if (is_gzip(std::string_view(raw_).substr(raw_at_))) {
    inflateReset(zs_.get());
    return;
  }
  do {
    if (!std::all_of(raw_.begin() + std::ptrdiff_t(raw_at_), raw_.end(), [](char c) { return c == '\0'; }))
      throw Error(path_ + ": corrupt gzip data: bytes that are not gzip follow the compressed data");
    raw_at_ = raw_.size();
  } while (refill());
  text_end_ = true;
}

std::size_t ByteStream::inflate_into(std::string& out, std::size_t n) {
  const std::size_t start = out.size();
  out.resize(start + n);
  std::size_t made = 0;
  while (made == 0 && !text_end_) {
    if (raw_at_ == raw_.size() && !refill())
      throw Error(path_ + ": the gzip data ends early (a truncated .gz file?)");
    z_stream& zs = *zs_;
    // avail_in and avail_out are 32-bit: at most 1 GiB at a time.
    constexpr std::size_t kStep = std::size_t(1) << 30;
    zs.next_in = reinterpret_cast<Bytef*>(&raw_[raw_at_]);
    zs.avail_in = uInt(std::min(raw_.size() - raw_at_, kStep));
    zs.next_out = reinterpret_cast<Bytef*>(&out[start]);
    zs.avail_out = uInt(std::min(n, kStep));
    const uInt in_before = zs.avail_in, out_before = zs.avail_out;
    const int ret = inflate(&zs, Z_NO_FLUSH);
    raw_at_ += in_before - zs.avail_in;
    made += out_before - zs.avail_out;
    if (ret == Z_MEM_ERROR) throw std::bad_alloc();
    if (ret == Z_DATA_ERROR || ret == Z_NEED_DICT || ret == Z_STREAM_ERROR)
      throw Error(path_ + ": corrupt gzip data (zlib: " + (zs.msg != nullptr ? zs.msg : "invalid data") + ")");
    if (ret == Z_STREAM_END) end_of_member();
  }
  out.resize(start + made);
  return made;
}

}  // namespace mdn::io
