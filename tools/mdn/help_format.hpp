// The --help text of `mdn` and its subcommands, generated from the CLI11
// declarations: a usage line built from the required options, the command's
// description, then one line per option with its metavariable, its help and
// the default taken from the bound field.
#pragma once
#include <CLI/CLI.hpp>

#include <string>

namespace mdn::cli {

class HelpFormatter : public CLI::Formatter {
 public:
  std::string make_help(const CLI::App* app, std::string name, CLI::AppFormatMode mode) const override;
};

}  // namespace mdn::cli
