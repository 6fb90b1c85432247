// The whole `mdn` command line: one CLI11 App with a subcommand per command
// (commands.hpp), every option bound to a field of that command's request.
//
//   Program program;
//   program.parse(argc, argv);  // options, their checks, output locations
//   return program.run();       // the work
//
// Both throw; exit_status.hpp turns what they throw into a message and an
// exit status.
#pragma once
#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"

namespace mdn::cli {

class Program {
 public:
  Program();
  Program(const Program&) = delete;
  Program& operator=(const Program&) = delete;

  // Parses argv[1..argc) and runs the chosen command's prepare(): every check
  // that comes before reading big inputs or training. Throws CLI::ParseError
  // (CLI::CallForHelp for --help), mdn::UsageError or mdn::Error.
  void parse(int argc, char** argv);
  // Runs the command chosen by parse(); returns its exit status.
  int run();

  // The help of the chosen command (or of `mdn` when none was chosen).
  std::string help() const;
  // "mdn train", or "mdn" before a command was chosen: the prefix of messages.
  std::string name() const;

 private:
  CLI::App app_;
  std::vector<std::pair<CLI::App*, std::unique_ptr<Command>>> commands_;
  CLI::App* help_for_ = nullptr;  // the command whose --help was asked for
  CLI::App* named_ = nullptr;     // the command named on the command line (messages say "mdn NAME")
  Command* chosen_ = nullptr;
  bool version_ = false;  // `mdn --version`
};

// For fuzzing the command line: does everything `mdn ARGS` does up to the
// point where work would start (parse, option checks, output locations), and
// returns the exit status `mdn` would exit with if it stopped there: 0 when
// the work would start (or after --help), 2 for a usage error, 1 for another
// error (e.g. an output directory that does not exist). Messages and help go
// to `out` and `err`, as `mdn` prints them. Never runs a command; touches the
// file system only to look (stat, access).
int parse_only(int argc, char** argv, std::ostream& out, std::ostream& err);

}  // namespace mdn::cli
