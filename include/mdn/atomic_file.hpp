// Write-then-rename output: the bytes go to a temporary file beside the target
// and only commit() moves it into place, so an error (or an exception unwinding
// past this object) never leaves a partial output file behind.
#pragma once
#include <fstream>
#include <string>

namespace mdn {

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
