#include "help_format.hpp"

#include <sstream>

namespace mdn::cli {
namespace {

constexpr std::size_t kHelpColumn = 28;

// "--name METAVAR" (no metavariable for a switch).
std::string option_synopsis(const CLI::Option* option) {
  std::string text = option->get_name(false, true);
  if (option->get_type_size() != 0 && !option->get_type_name().empty()) text += " " + option->get_type_name();
  return text;
}

std::string usage_line(const CLI::App* app) {
  const CLI::App* top = app->get_parent();
  if (top == nullptr) return "mdn <command> [options]";
  std::string usage = top->get_name() + " " + app->get_name();
  bool optional = false;
  for (const CLI::Option* option : app->get_options()) {
    if (option->get_positional())
      usage += " " + option->get_type_name();
    else if (option->get_required())
      usage += " " + option_synopsis(option);
    else
      optional = true;
  }
  return usage + (optional ? " [options]" : "");
}

std::string option_line(const CLI::Option* option) {
  std::string left = "  " + option_synopsis(option);
  if (left.size() < kHelpColumn)
    left.resize(kHelpColumn, ' ');
  else
    left += "\n" + std::string(kHelpColumn, ' ');
  std::string line = left + option->get_description();
  if (option->get_required())
    line += " (required)";
  else if (!option->get_default_str().empty())
    line += " [default: " + option->get_default_str() + "]";
  return line + "\n";
}

}  // namespace

std::string HelpFormatter::make_help(const CLI::App* app, std::string, CLI::AppFormatMode) const {
  std::ostringstream out;
  out << "usage: " << usage_line(app) << "\n\n" << app->get_description() << "\n";
  const auto commands = app->get_subcommands([](const CLI::App*) { return true; });
  if (!commands.empty()) {
    out << "\ncommands:\n";
    for (const CLI::App* command : commands) {
      std::string name = "  " + command->get_name();
      name.resize(std::max<std::size_t>(name.size() + 1, 13), ' ');
      out << name << command->get_description().substr(0, command->get_description().find('\n')) << "\n";
    }
  }
  out << "\noptions:\n";
  // The command's own options in declaration order, then --help.
  const CLI::Option* help = app->get_help_ptr();
  for (const CLI::Option* option : app->get_options())
    if (!option->get_positional() && option != help) out << option_line(option);
  if (help != nullptr) out << option_line(help);
  const std::string footer = app->get_footer();
  if (!footer.empty()) out << "\n" << footer << "\n";
  return out.str();
}

}  // namespace mdn::cli
