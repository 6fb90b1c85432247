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

#include "../common/temp_dir.hpp"

namespace mdn::test {

struct RunResult {
  int status = -1;  // exit status; 128 + signal when killed by a signal
  std::string out, err;
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
