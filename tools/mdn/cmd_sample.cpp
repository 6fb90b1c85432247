// mdn sample --model M --data FILE.csv --samples S --out OUT.csv [--seed S] [--temperature X] [--sigma-scale X]
#include <cstdio>
#include <string>

#include "command_line.hpp"
#include "commands.hpp"
#include "mdn/error.hpp"
#include "mdn/model_io.hpp"
#include "prediction_output.hpp"

namespace mdn::cli {

int run_sample(int argc, char** argv) {
  CommandLine cl(
      "sample", "mdn sample --model M.safetensors --data FILE.csv --samples S --out OUT.csv [options]",
      "Draws S samples from p(target | features) for every row of FILE.csv, in original units. Long\n"
      "format: columns row (0-based data row), sample (0..S-1), then one per target. Draws depend only\n"
      "on (seed, row, sample): the same seed gives the same file whatever --chunk-rows is. Rows stream\n"
      "through in chunks, so memory stays bounded for any number of rows. See docs/PREDICT.md.",
      {{"model", "M.safetensors", "trained model (mdn train)", ""},
       {"data", "FILE.csv", "rows to sample for: CSV with the model's feature columns", ""},
       {"samples", "S", "draws per row, 1 to 10000000", ""},
       {"out", "OUT.csv", "output CSV (written atomically)", ""},
       {"seed", "S", "random seed", "0"},
       {"temperature", "X", "> 0: draw component k with probability ~ alpha_k^(1/X); changes the distribution", "1"},
       {"sigma-scale", "X", ">= 0: multiply every sigma by X; changes the distribution", "1"},
       {"device", "cpu|cuda|auto", "where the network and the sampler run", "auto"},
       {"chunk-rows", "N", "input rows per chunk (bounds memory)", "65536"},
       {"quiet", "", "no progress output", ""}});
  if (!cl.parse_options_only(argc, argv)) return 0;
  const std::string model_path = cl.required("model");
  SampleRequest r;
  r.data_path = cl.required("data");
  r.out_path = cl.required("out");
  cl.required("samples");
  r.samples = cl.integer("samples", 1, 10000000);
  r.options.seed = cl.seed("seed");
  r.options.temperature = cl.number("temperature");
  r.options.sigma_scale = cl.number("sigma-scale");
  r.options.validate();
  r.device = device_option(cl);
  r.chunk_rows = cl.integer("chunk-rows", 1);
  r.quiet = cl.given("quiet");

  const Model model = load_model(model_path);
  const long long rows = write_samples(model, r);
  if (!r.quiet)
    std::fprintf(stderr, "wrote %lld x %d samples to %s\n", rows, r.samples, r.out_path.c_str());
  return 0;
}

}  // namespace mdn::cli
