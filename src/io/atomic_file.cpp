#include "mdn/atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>

#include "mdn/error.hpp"

namespace mdn {
namespace {

[[noreturn]] void cannot_write(const std::string& path, int error) {
  throw Error(path + ": cannot write here (" + std::strerror(error) +
              "; does the directory exist and is it writable?)");
}

std::string parent_directory(const std::string& path) {
  const std::size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// 0 when `dir` is an existing directory we may create files in, else an errno.
int directory_problem(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) return errno;
  if (!S_ISDIR(st.st_mode)) return ENOTDIR;
  if (::access(dir.c_str(), W_OK | X_OK) != 0) return errno;
  return 0;
}

}  // namespace

void check_writable(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) cannot_write(path, EISDIR);
  if (const int problem = directory_problem(parent_directory(path))) cannot_write(path, problem);
}

void check_writable_directory(const std::string& dir) {
  // Strip trailing slashes ("out/" is "out"), then walk up to what exists.
  std::string existing = dir;
  while (existing.size() > 1 && existing.back() == '/') existing.pop_back();
  struct stat st {};
  while (::stat(existing.c_str(), &st) != 0) {
    if (errno != ENOENT) cannot_write(dir, errno);
    const std::string parent = parent_directory(existing);
    if (parent == existing) break;
    existing = parent;
  }
  if (const int problem = directory_problem(existing)) cannot_write(dir, problem);
}

AtomicFile::AtomicFile(std::string path) : path_(std::move(path)) {
  std::random_device rd;
  temp_path_ = path_ + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(rd() % 1000000);
  out_.open(temp_path_, std::ios::binary | std::ios::trunc);
  if (!out_) cannot_write(path_, errno);
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
