#include "mdn/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>

#include "mdn/error.hpp"

namespace mdn {

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  std::random_device rd;
  temp_path_ = path_ + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(rd() % 1000000);
  out_.open(temp_path_, std::ios::binary | std::ios::trunc);
  if (!out_) {
    throw Error(path_ + ": cannot write here (" + std::strerror(errno) +
                "; does the directory exist and is it writable?)");
  }
}

AtomicFile::~AtomicFile() {
  if (!committed_) {
    out_.close();
    std::remove(temp_path_.c_str());
  }
}

void AtomicFile::commit() {
  out_.flush();
  const bool write_ok = bool(out_);
  out_.close();
  if (!write_ok || out_.fail()) {
    std::remove(temp_path_.c_str());
    committed_ = true;  // nothing left to clean up
    throw Error(path_ + ": write failed (disk full or I/O error); the previous file, if any, is unchanged");
  }
  // fsync so a crash right after the rename cannot leave an empty file.
  const int fd = ::open(temp_path_.c_str(), O_RDONLY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
  if (std::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    const std::string reason = std::strerror(errno);
    std::remove(temp_path_.c_str());
    committed_ = true;
    throw Error(path_ + ": cannot replace the file (" + reason + ")");
  }
  committed_ = true;
}

}  // namespace mdn
