#include "options.hpp"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>

namespace mdn::cli {
namespace {

bool parse_integer(const std::string& text, long long& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

bool parse_number(const std::string& text, double& out) {
  if (text.empty()) return false;
  char* end = nullptr;
  errno = 0;
  out = std::strtod(text.c_str(), &end);
  return *end == '\0' && errno != ERANGE && std::isfinite(out);
}

// A validator of numbers: `ok` decides, `rule` is what the message says.
CLI::Validator number_rule(const std::string& rule, std::function<bool(double)> ok) {
  return CLI::Validator(
      [rule, ok](std::string& text) -> std::string {
        double value = 0.0;
        if (!parse_number(text, value)) return "expects a number, got '" + text + "'";
        if (!ok(value)) return "must be " + rule + ", got " + text;
        return {};
      },
      "");
}

bool convert_item(const std::string& text, std::string& out) {
  out = text;
  return true;
}
bool convert_item(const std::string& text, int& out) {
  long long value = 0;
  if (!parse_integer(text, value) || value < INT32_MIN || value > INT32_MAX) return false;
  out = int(value);
  return true;
}
bool convert_item(const std::string& text, double& out) { return parse_number(text, out); }

const char* item_kind(const std::string*) { return "text"; }
const char* item_kind(const int*) { return "an integer"; }
const char* item_kind(const double*) { return "a number"; }

template <class T>
std::string join(const std::vector<T>& items) {
  std::string out;
  for (const T& item : items) {
    if (!out.empty()) out += ',';
    out += CLI::detail::to_string(item);
  }
  return out;
}

template <class T>
CLI::Option* list_option(CLI::App& app, const std::string& name, std::vector<T>& field, const std::string& metavar,
                         const std::string& help, std::function<void(const std::vector<T>&)> check) {
  const std::string default_text = join(field);
  auto convert = [name, &field, check](const std::string& text) {
    std::vector<T> items;
    std::size_t begin = 0;
    while (!text.empty()) {
      const std::size_t comma = text.find(',', begin);
      const std::string item = text.substr(begin, comma == std::string::npos ? std::string::npos : comma - begin);
      if (item.empty()) throw CLI::ValidationError(name, "has an empty item in '" + text + "'");
      T value{};
      if (!convert_item(item, value))
        throw CLI::ValidationError(name, "'" + item + "' is not " + item_kind(static_cast<T*>(nullptr)));
      items.push_back(value);
      if (comma == std::string::npos) break;
      begin = comma + 1;
    }
    if (check) {
      try {
        check(items);
      } catch (const UsageError& e) {
        throw CLI::ValidationError(name, e.what());
      }
    }
    field = std::move(items);
  };
  CLI::Option* option = app.add_option_function<std::string>(name, convert, help);
  option->type_name(metavar);
  if (!default_text.empty()) option->default_str(default_text);
  return option;
}

}  // namespace

CLI::Validator at_least(long long min_value) {
  return CLI::Validator(
      [min_value](std::string& text) -> std::string {
        long long value = 0;
        if (!parse_integer(text, value)) return "expects an integer, got '" + text + "'";
        if (value < min_value) return "must be at least " + std::to_string(min_value) + ", got " + text;
        return {};
      },
      "");
}

CLI::Validator between(long long min_value, long long max_value) {
  return CLI::Validator(
      [min_value, max_value](std::string& text) -> std::string {
        long long value = 0;
        if (!parse_integer(text, value)) return "expects an integer, got '" + text + "'";
        if (value < min_value || value > max_value)
          return "must be between " + std::to_string(min_value) + " and " + std::to_string(max_value) + ", got " + text;
        return {};
      },
      "");
}

CLI::Validator positive_number() {
  return number_rule("a positive number", [](double v) { return v > 0.0; });
}

CLI::Validator non_negative_number() {
  return number_rule(">= 0", [](double v) { return v >= 0.0; });
}

CLI::Validator fraction_below_one() {
  return number_rule("in [0, 1)", [](double v) { return v >= 0.0 && v < 1.0; });
}

CLI::Validator non_negative_integer() {
  return CLI::Validator(
      [](std::string& text) -> std::string {
        std::uint64_t value = 0;
        const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (text.empty() || ec != std::errc() || end != text.data() + text.size())
          return "expects a non-negative integer, got '" + text + "'";
        return {};
      },
      "");
}

CLI::Option* add_list_option(CLI::App& app, const std::string& name, std::vector<std::string>& field,
                             const std::string& metavar, const std::string& help,
                             std::function<void(const std::vector<std::string>&)> check) {
  return list_option(app, name, field, metavar, help, std::move(check));
}

CLI::Option* add_list_option(CLI::App& app, const std::string& name, std::vector<int>& field,
                             const std::string& metavar, const std::string& help,
                             std::function<void(const std::vector<int>&)> check) {
  return list_option(app, name, field, metavar, help, std::move(check));
}

CLI::Option* add_list_option(CLI::App& app, const std::string& name, std::vector<double>& field,
                             const std::string& metavar, const std::string& help,
                             std::function<void(const std::vector<double>&)> check) {
  return list_option(app, name, field, metavar, help, std::move(check));
}

CLI::Option* add_device_option(CLI::App& app, DeviceKind& field, const std::string& help) {
  auto convert = [&field](const std::string& text) {
    try {
      field = parse_device(text);
    } catch (const UsageError& e) {
      throw CLI::ValidationError("--device", e.what());
    }
  };
  CLI::Option* option = app.add_option_function<std::string>("--device", convert, help);
  option->type_name("cpu|cuda|auto")->default_str(device_name(field));
  return option;
}

CLI::Option* add_seed_option(CLI::App& app, std::uint64_t& field, const std::string& help) {
  return app.add_option("--seed", field, help)->type_name("S")->check(non_negative_integer())->capture_default_str();
}

CLI::Option* add_model_input_option(CLI::App& app, std::string& field) {
  return app.add_option("--model", field, "trained model (mdn train)")->type_name("M.safetensors")->required();
}

CLI::Option* add_data_option(CLI::App& app, std::string& field, const std::string& help) {
  return app.add_option("--data", field, help)->type_name("FILE.csv")->required();
}

CLI::Option* add_out_option(CLI::App& app, std::string& field) {
  return app.add_option("--out", field, "output CSV (written atomically)")->type_name("OUT.csv")->required();
}

void add_csv_options(CLI::App& app, CsvOptions& options) {
  auto convert = [&options](const std::string& text) {
    try {
      options.delimiter = parse_delimiter(text);
    } catch (const UsageError& e) {
      throw CLI::ValidationError("--delimiter", e.what());
    }
  };
  app.add_option_function<std::string>(
         "--delimiter", convert,
         "field separator of the data file; auto: detected from the header line and "
         "the first rows (comma, semicolon or tab; space when none of them is in the header)")
      ->type_name("auto|comma|semicolon|tab|pipe|space|C")
      ->default_str(delimiter_name(options.delimiter));
  add_list_option(app, "--na-values", options.na_values, "WORD,...",
                  "cells that mark a missing value, ignoring case (replaces the list; an empty cell is always "
                  "missing; '' for no other)");
}

CLI::Option* add_drop_invalid_option(CLI::App& app, bool& field, const std::string& what) {
  return app.add_flag("--drop-invalid", field,
                      "leave out rows with a missing or invalid cell instead of failing (" + what + ")");
}

}  // namespace mdn::cli
