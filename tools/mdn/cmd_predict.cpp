// mdn predict --model M --data FILE.csv --out OUT.csv [--quantiles ...] [--modes] [--params] [--hdi C]
#include <cstdio>
#include <string>

#include "command_line.hpp"
#include "commands.hpp"
#include "mdn/error.hpp"
#include "mdn/model_io.hpp"
#include "mdn/predictive.hpp"
#include "prediction_output.hpp"

namespace mdn::cli {

int run_predict(int argc, char** argv) {
  CommandLine cl(
      "predict", "mdn predict --model M.safetensors --data FILE.csv --out OUT.csv [options]",
      "Summarises the predictive distribution p(target | features) of every row of FILE.csv, one output\n"
      "row per input row, in the targets' original units. For each target NAME: NAME_mean, NAME_std and\n"
      "NAME_q<level> per quantile level; then the optional groups below. The feature columns are found\n"
      "by the names stored in the model; a missing column or invalid cell is an error naming the file,\n"
      "line and column. See docs/PREDICT.md.",
      {{"model", "M.safetensors", "trained model (mdn train)", ""},
       {"data", "FILE.csv", "rows to predict: CSV with the model's feature columns", ""},
       {"out", "OUT.csv", "output CSV (written atomically)", ""},
       {"quantiles", "P,P,...", "marginal quantile levels, each in (0, 1); '' for none", "0.05,0.5,0.95"},
       {"modes", "", "add every mode: mode<i>_NAME.., mode<i>_density, i = 1..K (empty when fewer)", ""},
       {"params", "", "add the mixture: alpha_k, mu_k_NAME, sigma_k_NAME, k = 1..K", ""},
       {"hdi", "C", "add highest-density intervals of coverage C in (0, 1): hdi_lo_i, hdi_hi_i, i = 1..K (T = 1)",
        ""},
       {"device", "cpu|cuda|auto", "where the network runs; with cuda, mean/std/quantiles run on the GPU too (modes, hdi on the host)", "auto"},
       {"chunk-rows", "N", "rows per chunk (bounds memory)", "65536"},
       {"quiet", "", "no progress output", ""}});
  if (!cl.parse_options_only(argc, argv)) return 0;
  const std::string model_path = cl.required("model");
  PredictRequest r;
  r.data_path = cl.required("data");
  r.out_path = cl.required("out");
  r.quantiles = cl.number_list("quantiles");
  validate_quantile_levels(r.quantiles);
  r.modes = cl.given("modes");
  r.params = cl.given("params");
  if (cl.given("hdi")) {
    r.hdi = cl.number("hdi");
    validate_coverage(r.hdi);
  }
  r.device = device_option(cl);
  r.chunk_rows = cl.integer("chunk-rows", 1);
  r.quiet = cl.given("quiet");

  const Model model = load_model(model_path);
  const long long rows = write_predictions(model, r);
  if (!r.quiet) std::fprintf(stderr, "wrote predictions for %lld rows to %s\n", rows, r.out_path.c_str());
  return 0;
}

}  // namespace mdn::cli
