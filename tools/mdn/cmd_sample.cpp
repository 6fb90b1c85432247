// mdn sample --model M --data FILE.csv --samples S --out OUT.csv [--seed S] [--temperature X] [--sigma-scale X]
#include <cstdio>
#include <string>

#include "commands.hpp"
#include "mdn/atomic_file.hpp"
#include "mdn/communicator.hpp"
#include "mdn/model_io.hpp"
#include "mdn/sampling.hpp"
#include "options.hpp"
#include "prediction_output.hpp"

namespace mdn::cli {
namespace {

class SampleCommand : public Command {
 public:
  CLI::App* declare(CLI::App& mdn) override {
    CLI::App* app = mdn.add_subcommand(
        "sample",
        "draw samples from the predictive distribution per row\n\n"
        "Draws S samples from p(target | features) for every row of FILE.csv, in original units. Long\n"
        "format: columns row (0-based data row), sample (0..S-1), then one per target. Draws depend only\n"
        "on (seed, row, sample): the same seed gives the same file whatever --chunk-rows is. Rows stream\n"
        "through in chunks, so memory stays bounded for any number of rows. See docs/PREDICT.md.");
    add_model_input_option(*app, model_path_);
    add_data_option(*app, r_.data_path, "rows to sample for: CSV with the model's feature columns");
    app->add_option("--samples", r_.samples, "draws per row, 1 to 10000000")
        ->type_name("S")
        ->check(between(1, 10000000))
        ->required();
    add_out_option(*app, r_.out_path);
    add_csv_options(*app, r_.csv);
    add_list_option(
        *app, "--keep", r_.keep, "COL,...",
        "copy these input columns (IDs, timestamps: any text) in front of each draw, so rows can be matched by "
        "more than their order");
    add_drop_invalid_option(*app, r_.drop_invalid, "they get no samples; row then numbers the rows written");
    app->add_option("--given-data", r_.given_data,
                    "observed values of every row: a CSV with one row per input row whose columns named after targets "
                 "are observed; draws of the other targets given them")
        ->type_name("FILE.csv");
    add_list_option(*app, "--given", r_.given, "NAME=VALUE,...",
                    "observed values of some targets: draw the other targets from p(others | features, NAME = "
                    "VALUE), one column each (docs/PREDICT.md)");
    add_seed_option(*app, r_.options.seed, "random seed");
    // Each of the two is checked by SampleOptions::validate on its own.
    app->add_option("--temperature", r_.options.temperature,
                    "> 0: draw component k with probability ~ alpha_k^(1/X); changes the distribution")
        ->type_name("X")
        ->check(library_check<double>([](const double& t) {
          SampleOptions o;
          o.temperature = t;
          o.validate();
        }))
        ->capture_default_str();
    app->add_option("--sigma-scale", r_.options.sigma_scale,
                    ">= 0: multiply every sigma by X; changes the distribution")
        ->type_name("X")
        ->check(library_check<double>([](const double& s) {
          SampleOptions o;
          o.sigma_scale = s;
          o.validate();
        }))
        ->capture_default_str();
    add_device_option(*app, r_.device, "where the network and the sampler run");
    app->add_option("--chunk-rows", r_.chunk_rows, "input rows per chunk (bounds memory)")
        ->type_name("N")
        ->check(at_least(1))
        ->capture_default_str();
    app->add_flag("--quiet", r_.quiet, "no progress output");
    return app;
  }

  void prepare() override { check_writable(r_.out_path); }

  int run() override {
    Communicator& ranks = world();  // several under mpirun: each does its part of the rows
    const Model model = collectively(ranks, [&] { return load_model(model_path_); });
    const long long rows = ranks.sum((long long)write_samples(model, r_));  // every rank its part
    if (!r_.quiet && ranks.root())
      std::fprintf(stderr, "wrote %lld x %d samples to %s\n", rows, r_.samples, r_.out_path.c_str());
    return 0;
  }

 private:
  std::string model_path_;
  SampleRequest r_;
};

}  // namespace

std::unique_ptr<Command> make_sample_command() { return std::make_unique<SampleCommand>(); }

}  // namespace mdn::cli
