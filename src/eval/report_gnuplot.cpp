// Runs gnuplot as a child process in the report directory: fork, chdir,
// exec, wait. No shell in between, so directory names need no quoting.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "report_parts.hpp"

namespace mdn::report {
namespace {

// Exit status the child uses when exec itself fails (the shell's "not found").
constexpr int kExecFailed = 127;

}  // namespace

PlotStatus run_gnuplot(const std::string& dir, std::string& problem) {
  const char* env = std::getenv("MDN_GNUPLOT");
  const std::string program = env && *env ? env : "gnuplot";
  const pid_t pid = ::fork();
  if (pid < 0) {
    problem = std::string("cannot start gnuplot (fork: ") + std::strerror(errno) + ")";
    return PlotStatus::GnuplotFailed;
  }
  if (pid == 0) {
    // Child: only async-signal-safe calls until exec.
    const int null_in = ::open("/dev/null", O_RDONLY);
    if (null_in >= 0) ::dup2(null_in, STDIN_FILENO);
    // gnuplot's own output (warnings) goes to our stderr, where the user sees it.
    ::dup2(STDERR_FILENO, STDOUT_FILENO);
    if (::chdir(dir.c_str()) != 0) ::_exit(kExecFailed);
    ::execlp(program.c_str(), program.c_str(), "report.gp", static_cast<char*>(nullptr));
    ::_exit(kExecFailed);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) {
      problem = std::string("cannot wait for gnuplot: ") + std::strerror(errno);
      return PlotStatus::GnuplotFailed;
    }
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return PlotStatus::Rendered;
  if (WIFEXITED(status) && WEXITSTATUS(status) == kExecFailed) {
    problem = "gnuplot not found ('" + program +
              "'): no pictures were drawn. Install it (Debian: apt-get install "
              "gnuplot-nox), then run 'gnuplot report.gp' in " +
              dir + " or rerun mdn eval";
    return PlotStatus::GnuplotMissing;
  }
  problem = WIFSIGNALED(status) ? "gnuplot was killed by signal " + std::to_string(WTERMSIG(status))
                                : "gnuplot failed with exit status " + std::to_string(WEXITSTATUS(status)) + " on " +
                                      dir + "/report.gp";
  return PlotStatus::GnuplotFailed;
}

}  // namespace mdn::report
