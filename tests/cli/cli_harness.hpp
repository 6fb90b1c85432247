// Runs the real `mdn` program in a fresh temporary directory and captures its
// exit status, stdout and stderr — the harness of the command-line tests.
#pragma once
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace mdn::test {

struct RunResult {
  int status = -1;  // exit status; 128 + signal when killed by a signal
  std::string out, err;
};

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

// Runs `mdn ARGS` (ARGS is shell text) inside `dir`, with the environment
// variables of `env` ("NAME=value ...", shell text) added when given.
inline RunResult run_mdn(const TempDir& dir, const std::string& args, const std::string& env = "") {
  const std::string out = dir.file(".stdout"), err = dir.file(".stderr");
  const std::string command = "cd '" + dir.path() + "' && " + (env.empty() ? "" : "env " + env + " ") +
                              "'" MDN_EXE "' " + args + " > '" + out + "' 2> '" + err + "'";
  const int raw = std::system(command.c_str());
  RunResult r;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  r.out = dir.read(".stdout");
  r.err = dir.read(".stderr");
  std::remove(out.c_str());
  std::remove(err.c_str());
  return r;
}

}  // namespace mdn::test
