#include "command_line.hpp"

#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "mdn/error.hpp"

namespace mdn::cli {

CommandLine::CommandLine(std::string command, std::string usage, std::string summary, std::vector<Option> options)
    : command_(std::move(command)), usage_(std::move(usage)), summary_(std::move(summary)), options_(std::move(options)) {
  options_.push_back({"help", "", "show this help and exit", ""});
}

const Option& CommandLine::find(const std::string& name) const {
  for (const auto& o : options_)
    if (o.name == name) return o;
  throw UsageError("mdn " + command_ + ": unknown option --" + name + " (see mdn " + command_ + " --help)");
}

bool CommandLine::parse(int argc, char** argv, int first) {
  for (int i = first; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0 || arg.size() == 2) {
      positional_.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2), value;
    const auto eq = name.find('=');
    const bool inline_value = eq != std::string::npos;
    if (inline_value) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    const Option& option = find(name);
    if (option.name == "help") return false;
    if (option.metavar.empty()) {
      if (inline_value) throw UsageError("mdn " + command_ + ": --" + name + " takes no value");
      value = "1";
    } else if (!inline_value) {
      if (i + 1 >= argc) throw UsageError("mdn " + command_ + ": --" + name + " needs a value (" + option.metavar + ")");
      value = argv[++i];
    }
    if (values_.count(name)) throw UsageError("mdn " + command_ + ": --" + name + " is given twice");
    values_[name] = value;
  }
  return true;
}

bool CommandLine::parse_options_only(int argc, char** argv) {
  if (!parse(argc, argv, 2)) {
    std::fputs(help_text().c_str(), stdout);
    return false;
  }
  if (!positional_.empty()) throw UsageError("mdn " + command_ + ": unexpected argument '" + positional_[0] + "'");
  return true;
}

std::string CommandLine::help_text() const {
  std::ostringstream out;
  out << "usage: " << usage_ << "\n\n" << summary_ << "\n\noptions:\n";
  for (const auto& o : options_) {
    std::string left = "  --" + o.name + (o.metavar.empty() ? "" : " " + o.metavar);
    if (left.size() < 28) left.resize(28, ' ');
    else left += "\n" + std::string(28, ' ');
    out << left << o.help;
    if (!o.default_value.empty()) out << " [default: " << o.default_value << "]";
    out << "\n";
  }
  return out.str();
}

bool CommandLine::given(const std::string& name) const {
  find(name);
  return values_.count(name) > 0;
}

std::string CommandLine::text(const std::string& name) const {
  const Option& o = find(name);
  const auto it = values_.find(name);
  return it != values_.end() ? it->second : o.default_value;
}

std::string CommandLine::required(const std::string& name) const {
  const std::string v = text(name);
  if (v.empty()) throw UsageError("mdn " + command_ + ": --" + name + " is required (see mdn " + command_ + " --help)");
  return v;
}

int CommandLine::integer(const std::string& name, long long min_value, long long max_value) const {
  const std::string v = text(name);
  long long out = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size())
    throw UsageError("mdn " + command_ + ": --" + name + " expects an integer, got '" + v + "'");
  if (out < min_value || out > max_value)
    throw UsageError("mdn " + command_ + ": --" + name + " must be between " + std::to_string(min_value) + " and " +
                     std::to_string(max_value) + ", got " + v);
  return int(out);
}

float CommandLine::number(const std::string& name) const {
  const std::string v = text(name);
  char* end = nullptr;
  errno = 0;
  const double out = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0' || errno == ERANGE || !std::isfinite(out))
    throw UsageError("mdn " + command_ + ": --" + name + " expects a number, got '" + v + "'");
  return float(out);
}

std::uint64_t CommandLine::seed(const std::string& name) const {
  const std::string v = text(name);
  std::uint64_t out = 0;
  const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size())
    throw UsageError("mdn " + command_ + ": --" + name + " expects a non-negative integer, got '" + v + "'");
  return out;
}

std::vector<std::string> CommandLine::list(const std::string& name) const {
  const std::string v = text(name);
  std::vector<std::string> out;
  if (v.empty()) return out;
  std::size_t begin = 0;
  while (true) {
    const std::size_t comma = v.find(',', begin);
    std::string item = v.substr(begin, comma == std::string::npos ? std::string::npos : comma - begin);
    if (item.empty()) throw UsageError("mdn " + command_ + ": --" + name + " has an empty item in '" + v + "'");
    out.push_back(item);
    if (comma == std::string::npos) break;
    begin = comma + 1;
  }
  return out;
}

std::vector<int> CommandLine::int_list(const std::string& name, int min_value) const {
  std::vector<int> out;
  for (const auto& item : list(name)) {
    int value = 0;
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), value);
    if (ec != std::errc() || end != item.data() + item.size() || value < min_value)
      throw UsageError("mdn " + command_ + ": --" + name + ": '" + item + "' is not an integer >= " +
                       std::to_string(min_value));
    out.push_back(value);
  }
  return out;
}

std::vector<double> CommandLine::number_list(const std::string& name) const {
  std::vector<double> out;
  for (const auto& item : list(name)) {
    char* end = nullptr;
    const double value = std::strtod(item.c_str(), &end);
    if (*end != '\0' || !std::isfinite(value))
      throw UsageError("mdn " + command_ + ": --" + name + ": '" + item + "' is not a number");
    out.push_back(value);
  }
  return out;
}

void progress(const std::string& line, bool final_line) {
  static const bool tty = ::isatty(STDERR_FILENO);
  if (tty) {
    std::fprintf(stderr, "\r\033[K%s%s", line.c_str(), final_line ? "\n" : "");
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  std::fflush(stderr);
}

DeviceKind device_option(const CommandLine& cl) {
  try {
    return parse_device(cl.text("device"));
  } catch (const UsageError& e) {
    throw UsageError(std::string("--device: ") + e.what());
  }
}

}  // namespace mdn::cli
