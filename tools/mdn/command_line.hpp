// A small declarative command-line parser for the `mdn` subcommands:
// `--name value`, `--name=value` and boolean `--switch`; --help prints every
// option with its default. Problems throw mdn::UsageError naming the option.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "mdn/device.hpp"

namespace mdn::cli {

struct Option {
  std::string name;            // without the leading dashes
  std::string metavar;         // empty for a switch
  std::string help;
  std::string default_value;   // shown in --help; empty = none
};

class CommandLine {
 public:
  CommandLine(std::string command, std::string usage, std::string summary, std::vector<Option> options);

  // Parses argv[first..argc). Returns false when --help was given (the caller
  // prints help_text() and exits 0).
  bool parse(int argc, char** argv, int first);
  // A subcommand's whole parse: options after argv[1]; --help prints the
  // help to stdout and returns false; a stray positional argument is a
  // UsageError (for commands that take none).
  bool parse_options_only(int argc, char** argv);
  std::string help_text() const;

  bool given(const std::string& name) const;
  const std::vector<std::string>& positional() const { return positional_; }
  std::string text(const std::string& name) const;          // value or default
  std::string required(const std::string& name) const;      // UsageError if absent
  int integer(const std::string& name, long long min_value, long long max_value = 2147483647) const;
  float number(const std::string& name) const;
  std::uint64_t seed(const std::string& name) const;
  std::vector<std::string> list(const std::string& name) const;  // comma-separated, empty items refused
  std::vector<int> int_list(const std::string& name, int min_value) const;
  std::vector<double> number_list(const std::string& name) const;

 private:
  const Option& find(const std::string& name) const;
  std::string command_, usage_, summary_;
  std::vector<Option> options_;
  std::map<std::string, std::string> values_;
  std::vector<std::string> positional_;
};

// The --device option, with the flag named in the error.
DeviceKind device_option(const CommandLine& cl);

// Writes a progress line to stderr (kept on one line when stderr is a terminal).
void progress(const std::string& line, bool final_line);

}  // namespace mdn::cli
