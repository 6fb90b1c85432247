// How the `mdn` subcommands declare their options with CLI11: every option is
// bound to a field of the command's request struct (so its default is that
// field's initialiser, shown in --help), and every check is attached to the
// declaration, so a bad value fails during the parse with a message that
// names the flag, before any work starts.
//
// Two kinds of checks:
//  - simple ranges (at_least, between, ...), written here once per flag;
//  - the library's own validators (quantile levels, HDI coverage, sampling
//    options, the model spec) wrapped by library_check(): the rule lives in
//    libmdn, whose message names the field ("quantile level 1.5 is not ..."),
//    and CLI11 puts the flag in front ("--quantiles: quantile level 1.5 ...").
#pragma once
#include <CLI/CLI.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "mdn/csv.hpp"
#include "mdn/device.hpp"
#include "mdn/error.hpp"

namespace mdn::cli {

// ---- checks on one value (CLI11 validators; they see the text as typed) ----

CLI::Validator at_least(long long min_value);                      // an integer >= min_value
CLI::Validator between(long long min_value, long long max_value);  // an integer in [min, max]
CLI::Validator positive_number();                                  // a finite number > 0
CLI::Validator non_negative_number();                              // a finite number >= 0
CLI::Validator fraction_below_one();                               // a number in [0, 1)
CLI::Validator non_negative_integer();                             // seeds: no sign, no fraction

// A library validator of the converted value, e.g. validate_coverage: its
// mdn::UsageError becomes the flag's validation error (same text).
template <class T>
CLI::Validator library_check(std::function<void(const T&)> check) {
  return CLI::Validator(
      [check](std::string& text) -> std::string {
        T value{};
        if (!CLI::detail::lexical_cast(text, value)) return "'" + text + "' is not a number";
        try {
          check(value);
        } catch (const UsageError& e) {
          return e.what();
        }
        return {};
      },
      "");
}

// ---- options that need more than CLI11 gives --------------------------------

// A comma-separated list bound to `field`: "a,b,c"; '' is the empty list; an
// empty item or an item that does not convert is refused naming the flag.
// `check` (optional) sees the whole list, for rules such as "no level twice";
// its mdn::UsageError becomes the flag's error. The default shown in --help is
// the field's value now, joined with commas.
CLI::Option* add_list_option(CLI::App& app, const std::string& name, std::vector<std::string>& field,
                             const std::string& metavar, const std::string& help,
                             std::function<void(const std::vector<std::string>&)> check = {});
CLI::Option* add_list_option(CLI::App& app, const std::string& name, std::vector<int>& field,
                             const std::string& metavar, const std::string& help,
                             std::function<void(const std::vector<int>&)> check = {});
CLI::Option* add_list_option(CLI::App& app, const std::string& name, std::vector<double>& field,
                             const std::string& metavar, const std::string& help,
                             std::function<void(const std::vector<double>&)> check = {});

// --device cpu|cuda|auto bound to `field` (the library parses the name).
CLI::Option* add_device_option(CLI::App& app, DeviceKind& field, const std::string& help);

// --seed S bound to `field`: a non-negative integer.
CLI::Option* add_seed_option(CLI::App& app, std::uint64_t& field, const std::string& help);

// The file options the commands share, each required:
//   --model M.safetensors  a model written by mdn train, to read;
//   --data FILE.csv        the rows to work on (`help` says which columns);
//   --out OUT.csv          the output CSV, written atomically.
CLI::Option* add_model_input_option(CLI::App& app, std::string& field);
CLI::Option* add_data_option(CLI::App& app, std::string& field, const std::string& help);
CLI::Option* add_out_option(CLI::App& app, std::string& field);

// How the --data file is read: --delimiter auto|comma|semicolon|tab|pipe|C
// and --na-values LIST (CsvOptions; the defaults shown are its initialisers).
void add_csv_options(CLI::App& app, CsvOptions& options);
// --drop-invalid: rows with a missing or invalid cell in a column the command
// reads are left out (counted on stderr) instead of failing; `what` says
// where they go.
CLI::Option* add_drop_invalid_option(CLI::App& app, bool& field, const std::string& what);

}  // namespace mdn::cli
