#include "column_report.hpp"

#include <cstdio>

namespace mdn::cli {
namespace {

std::string described(const LeftOutColumn& c) {
  return "'" + c.name + "' (" + reason_name(c.reason) + (c.detail.empty() ? ")" : ": " + c.detail + ")");
}

}  // namespace

void print_column_choice(const std::string& path, const ColumnChoice& choice) {
  if (!choice.chosen) return;
  std::string features;
  for (const std::string& f : choice.features) features += (features.empty() ? "'" : ", '") + f + "'";
  std::string left_out, warned;
  for (const LeftOutColumn& c : choice.left_out) {
    left_out += (left_out.empty() ? "" : ", ") + described(c);
    if (warn_about(c.reason)) warned += (warned.empty() ? "" : ", ") + described(c);
  }
  std::fprintf(stderr, "%s: %zu feature column%s: %s; left out: %s\n", path.c_str(), choice.features.size(),
               choice.features.size() == 1 ? "" : "s", features.c_str(), left_out.empty() ? "none" : left_out.c_str());
  if (!warned.empty())
    std::fprintf(stderr,
                 "mdn train: warning: %s: left out %s by default; --features COL,... names the features to use "
                 "(any column)\n",
                 path.c_str(), warned.c_str());
}

}  // namespace mdn::cli
