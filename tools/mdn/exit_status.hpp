// The one place where failures become messages and exit statuses:
//   0   success, and --help (printed to stdout)
//   1   a data or runtime error (mdn::Error, out of memory, ...)
//   2   a usage error: any CLI11 parse error, an mdn::UsageError, no command
//   130 interrupted (SIGINT/SIGTERM; a checkpoint was saved)
// Every message is one line on stderr: "mdn <command>: error: ...".
#pragma once
#include <functional>
#include <iosfwd>

#include "program.hpp"

namespace mdn::cli {

// Runs `body` (which parses and/or runs `program`) and returns its exit
// status, or the status of what it threw after printing the message.
int exit_status_of(const Program& program, const std::function<int()>& body, std::ostream& out, std::ostream& err);

}  // namespace mdn::cli
