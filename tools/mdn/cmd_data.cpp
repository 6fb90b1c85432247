// mdn data NAME --rows N --seed S --out FILE.csv
#include <cstdio>
#include <vector>

#include "commands.hpp"
#include "mdn/atomic_file.hpp"
#include "mdn/csv.hpp"
#include "mdn/synthetic.hpp"
#include "options.hpp"

namespace mdn::cli {
namespace {

class DataCommand : public Command {
 public:
  CLI::App* declare(CLI::App& mdn) override {
    std::string sets;
    for (const auto& n : synthetic_set_names()) sets += "\n  " + n + ": " + synthetic_set_description(n);
    CLI::App* app = mdn.add_subcommand("data", "write a built-in synthetic data set as CSV\n\nSets:" + sets);
    app->add_option("name", name_, "the data set")->type_name("NAME")->required();
    app->add_option("--rows", rows_, "number of rows")
        ->type_name("N")
        ->check(between(1, 100000000))
        ->capture_default_str();
    add_seed_option(*app, seed_, "random seed (same seed, same file)");
    add_out_option(*app, out_);
    app->add_flag("--log-density", log_density_,
                  "add a last column 'true_log_density': the exact log p(targets | features) of each row (for "
                  "scoring a model against the truth; train with --features to leave it out)");
    return app;
  }

  void prepare() override { check_writable(out_); }

  int run() override {
    const SyntheticSet set = make_synthetic(name_, rows_, seed_);
    if (log_density_) {
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
      write_csv(out_, columns, values);
    } else {
      write_csv(out_, set.columns, set.values);
    }
    std::string targets;
    for (const std::string& t : set.targets) targets += (targets.empty() ? "" : ",") + t;
    std::fprintf(stderr, "wrote %d rows of '%s' to %s (%s: %s)\n", set.values.rows, set.name.c_str(), out_.c_str(),
                 set.targets.size() > 1 ? "targets" : "target", targets.c_str());
    return 0;
  }

 private:
  std::string name_, out_;
  int rows_ = 2000;
  std::uint64_t seed_ = 0;
  bool log_density_ = false;
};

}  // namespace

std::unique_ptr<Command> make_data_command() { return std::make_unique<DataCommand>(); }

}  // namespace mdn::cli
