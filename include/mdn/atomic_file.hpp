// Write-then-rename output: the bytes go to a temporary file beside the target
// and only commit() moves it into place, so an error (or an exception unwinding
// past this object) never leaves a partial output file behind.
#pragma once
#include <fstream>
#include <string>

namespace mdn {

// Throws mdn::Error naming `path` unless a file could be written there now:
// its directory exists, is a directory and is writable, and `path` is not a
// directory. The same message as AtomicFile's, so a command can check each
// output location before long work instead of failing after it.
void check_writable(const std::string& path);

// The same for a directory that will be created (with missing parents) and
// filled: `dir` is a writable directory, or does not exist and its nearest
// existing ancestor is one.
void check_writable_directory(const std::string& dir);

class AtomicFile {
 public:
  // Throws mdn::Error naming `path` when the temporary file cannot be created
  // (directory missing or not writable).
  explicit AtomicFile(std::string path);
  ~AtomicFile();  // removes the temporary file unless committed; never throws
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  std::ofstream& stream() { return out_; }
  // Flushes, checks every write succeeded, fsyncs and renames. Throws mdn::Error.
  void commit();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::string temp_path_;
  std::ofstream out_;
  bool committed_ = false;
};

}  // namespace mdn
