// mdn data NAME --rows N --seed S --out FILE.csv
#include <cstdio>
#include <vector>

#include "command_line.hpp"
#include "commands.hpp"
#include "mdn/csv.hpp"
#include "mdn/error.hpp"
#include "mdn/synthetic.hpp"

namespace mdn::cli {

int run_data(int argc, char** argv) {
  std::string names;
  for (const auto& n : synthetic_set_names()) names += "\n  " + n + ": " + synthetic_set_description(n);
  CommandLine cl("data", "mdn data NAME [--rows N] [--seed S] --out FILE.csv",
                 "Writes a built-in synthetic data set as CSV. Sets:" + names,
                 {{"rows", "N", "number of rows", "2000"},
                  {"seed", "S", "random seed (same seed, same file)", "0"},
                  {"out", "FILE.csv", "output CSV file (written atomically)", ""},
                  {"log-density", "",
                   "add a last column 'true_log_density': the exact log p(targets | features) of each row "
                   "(for scoring a model against the truth; train with --features to leave it out)",
                   ""}});
  if (!cl.parse(argc, argv, 2)) {
    std::fputs(cl.help_text().c_str(), stdout);
    return 0;
  }
  if (cl.positional().size() != 1) throw UsageError("expected exactly one data set NAME (see mdn data --help)");
  const std::string out = cl.required("out");
  const SyntheticSet set = make_synthetic(cl.positional()[0], cl.integer("rows", 1, 100000000), cl.seed("seed"));
  if (cl.given("log-density")) {
    const int features = int(set.columns.size() - set.targets.size());
    std::vector<std::string> columns = set.columns;
    columns.push_back("true_log_density");
    Matrix values(set.values.rows, int(columns.size()));
    std::vector<double> x(features), t(set.targets.size());
    for (int r = 0; r < set.values.rows; ++r) {
      for (int c = 0; c < set.values.cols; ++c) values(r, c) = set.values(r, c);
      for (int c = 0; c < features; ++c) x[c] = set.values(r, c);
      for (std::size_t c = 0; c < t.size(); ++c) t[c] = set.values(r, features + int(c));
      values(r, set.values.cols) = float(synthetic_log_density(set.name, x.data(), t.data()));
    }
    write_csv(out, columns, values);
  } else {
    write_csv(out, set.columns, set.values);
  }
  std::fprintf(stderr, "wrote %d rows of '%s' to %s (target: %s)\n", set.values.rows, set.name.c_str(), out.c_str(),
               set.targets.front().c_str());
  return 0;
}

}  // namespace mdn::cli
