// mdn predict --model M --data FILE.csv --out OUT.csv [--quantiles ...] [--modes] [--correlation] [--params]
//             [--hdi C] [--given ..]
#include <cstdio>
#include <string>

#include "commands.hpp"
#include "mdn/atomic_file.hpp"
#include "mdn/communicator.hpp"
#include "mdn/model_io.hpp"
#include "mdn/predictive.hpp"
#include "options.hpp"
#include "prediction_output.hpp"

namespace mdn::cli {
namespace {

class PredictCommand : public Command {
 public:
  CLI::App* declare(CLI::App& mdn) override {
    CLI::App* app = mdn.add_subcommand(
        "predict",
        "mean, std, quantiles, modes, correlations, intervals per row of a CSV file\n\n"
        "Summarises the predictive distribution p(target | features) of every row of FILE.csv, one output\n"
        "row per input row, in the targets' original units. For each target NAME: NAME_mean, NAME_std and\n"
        "NAME_q<level> per quantile level; then the optional groups below. The feature columns are found\n"
        "by the names stored in the model; a missing column or invalid cell is an error naming the file,\n"
        "line and column. See docs/PREDICT.md.");
    add_model_input_option(*app, model_path_);
    add_data_option(*app, r_.data_path, "rows to predict: CSV with the model's feature columns");
    add_out_option(*app, r_.out_path);
    add_csv_options(*app, r_.csv);
    add_list_option(
        *app, "--keep", r_.keep, "COL,...",
        "copy these input columns (IDs, timestamps: any text) in front of each output row, so rows can be matched by "
        "more than their order");
    add_drop_invalid_option(*app, r_.drop_invalid, "they are left out of OUT.csv, counted on stderr");
    add_list_option(*app, "--quantiles", r_.quantiles, "P,P,...",
                    "marginal quantile levels, each in (0, 1); '' for none", validate_quantile_levels);
    app->add_option("--given-data", r_.given_data,
                    "observed values of every row: a CSV with one row per input row whose columns named after targets "
                 "are observed (the others ignored); every output is then about the other targets' conditional")
        ->type_name("FILE.csv");
    add_list_option(*app, "--given", r_.given, "NAME=VALUE,...",
                    "observed values of some targets: every output is then about the other targets' conditional "
                    "distribution p(others | features, NAME = VALUE), columns named after those targets only "
                    "(docs/PREDICT.md)");
    app->add_flag("--modes", r_.modes,
                  "add every mode of the joint density of the targets (all T coordinates; diagonal or full "
                  "covariance): mode<i>_NAME.., mode<i>_density, i = 1..K, highest density first (empty when fewer)");
    app->add_flag("--correlation", r_.correlation,
                  "add the predictive correlation of every pair of targets: corr_NAMEi_NAMEj for i < j (in the "
                  "targets' order; needs two or more targets)");
    app->add_flag("--params", r_.params,
                  "add the mixture: alpha_k, mu_k_NAME, sigma_k_NAME, k = 1..K; full covariance also "
                  "tril_k_NAMEi_NAMEj, the covariance's lower Cholesky factor row by row (with a target "
                  "transform: the mixture of u = g(y), docs/MODEL_FORMAT.md)");
    app->add_option("--hdi", r_.hdi,
                    "add highest-density intervals of coverage C in (0, 1): hdi_lo_i, hdi_hi_i, i = 1..K (T = 1)")
        ->type_name("C")
        ->check(library_check<double>(validate_coverage));
    app->add_option("--interval", r_.interval,
                    "add NAME_lo, NAME_hi: a central interval of level C in (0, 1), conformal (coverage >= C on "
                    "exchangeable rows) when the model carries calibration scores, else the model's own")
        ->type_name("C")
        ->check(library_check<double>(validate_coverage));
    add_device_option(*app, r_.device,
                      "where the network runs; with cuda, mean/std/quantiles run on the GPU too (modes, correlation, "
                      "hdi on the host)");
    app->add_option("--chunk-rows", r_.chunk_rows, "rows per chunk (bounds memory)")
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
    const long long rows = write_predictions(model, r_);
    if (!r_.quiet && ranks.root())
      std::fprintf(stderr, "wrote predictions for %lld rows to %s\n", rows, r_.out_path.c_str());
    return 0;
  }

 private:
  std::string model_path_;
  PredictRequest r_;
};

}  // namespace

std::unique_ptr<Command> make_predict_command() { return std::make_unique<PredictCommand>(); }

}  // namespace mdn::cli
