// A fresh temporary directory for a test's files, removed with everything in
// it when the object goes (the CLI harness's and the CPU tests' files).
#pragma once
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace mdn::test {

class TempDir {
 public:
  TempDir() {
    char templ[] = "/tmp/mdn-cli-XXXXXX";
    const char* made = ::mkdtemp(templ);
    path_ = made ? made : "";
  }
  ~TempDir() {
    if (!path_.empty()) std::system(("rm -rf '" + path_ + "'").c_str());
  }
  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  void write(const std::string& name, const std::string& content) const {
    std::ofstream(file(name), std::ios::binary) << content;
  }
  std::string read(const std::string& name) const {
    std::ifstream in(file(name), std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
  bool exists(const std::string& name) const { return ::access(file(name).c_str(), F_OK) == 0; }
  // Every entry of the directory (to check that nothing partial was left).
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    const std::string list = path_ + "/.entries";
    std::system(("ls -A '" + path_ + "' > '" + list + "'").c_str());
    std::ifstream in(list);
    for (std::string line; std::getline(in, line);)
      if (line != ".entries") names.push_back(line);
    std::remove(list.c_str());
    return names;
  }

 private:
  std::string path_;
};

}  // namespace mdn::test
