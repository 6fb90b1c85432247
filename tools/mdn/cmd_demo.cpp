// mdn demo [--out DIR]: the main job on built-in data. Writes the bishop set,
// trains on it on the best device available, and shows the learned mixture
// where the inverse problem has three answers.
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "command_line.hpp"
#include "commands.hpp"
#include "mdn/csv.hpp"
#include "mdn/error.hpp"
#include "mdn/inference.hpp"
#include "mdn/mixture.hpp"
#include "mdn/synthetic.hpp"
#include "prediction_output.hpp"

namespace mdn::cli {
namespace {

void make_directory(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
    throw Error(dir + ": cannot create the output directory (" + std::strerror(errno) + ")");
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) throw Error(dir + ": exists and is not a directory");
}

}  // namespace

int run_demo(int argc, char** argv) {
  CommandLine cl("demo", "mdn demo [--out DIR] [options]",
                 "Trains an MDN on the built-in 'bishop' inverse problem (three branches around x = 0.5)\n"
                 "and writes into DIR: bishop.csv (the data), model.safetensors (the model), samples, predictions,\n"
                 "outputs listed at the end. Prints the learned mixture at a few inputs.",
                 {{"out", "DIR", "output directory (created if missing)", "mdn-demo"},
                  {"rows", "N", "rows of synthetic data", "4000"},
                  {"epochs", "N", "maximum training epochs", "300"},
                  {"components", "K", "mixture components", "5"},
                  {"device", "cpu|cuda|auto", "where to train", "auto"},
                  {"seed", "S", "random seed", "0"},
                  {"quiet", "", "no progress output", ""}});
  if (!cl.parse_options_only(argc, argv)) return 0;
  const std::string dir = cl.text("out");
  const std::uint64_t seed = cl.seed("seed");
  make_directory(dir);

  const SyntheticSet set = make_synthetic("bishop", cl.integer("rows", 10, 100000000), seed);
  const std::string data_path = dir + "/bishop.csv";
  write_csv(data_path, set.columns, set.values);

  TrainRequest r;
  r.data_path = data_path;
  r.targets = set.targets;
  r.model_path = dir + "/model.safetensors";
  r.components = cl.integer("components", 1, kMaxComponents);
  r.options.epochs = cl.integer("epochs", 1);
  r.options.batch_size = 128;
  r.options.lr = 3e-3f;
  r.options.patience = 60;
  r.options.seed = seed;
  r.device = device_option(cl);
  r.quiet = cl.given("quiet");
  const Model model = train_and_save(r);

  // The learned mixture where the inverse problem is multi-valued.
  Matrix x(3, 1);
  x(0, 0) = 0.2f;
  x(1, 0) = 0.5f;
  x(2, 0) = 0.8f;
  auto backend = make_backend(DeviceKind::Cpu, model);
  const MixtureBatch mix = predict_mixtures(*backend, model, x);
  std::printf("learned p(y | x) at three inputs (components with weight > 1%%):\n");
  for (int row = 0; row < mix.rows; ++row) {
    std::printf("  x = %.2f:", x(row, 0));
    for (int k = 0; k < mix.K; ++k)
      if (mix.weight(row, k) > 0.01f)
        std::printf("  %.2f*N(%.3f, %.3f)", mix.weight(row, k), mix.mean(row, k, 0), mix.stddev(row, k, 0));
    std::printf("\n");
  }
  // What a user does next with a trained model: samples and per-row summaries.
  SampleRequest sample;
  sample.data_path = data_path;
  sample.out_path = dir + "/samples.csv";
  sample.samples = 20;
  sample.options.seed = seed;
  sample.device = r.device;
  sample.quiet = r.quiet;
  write_samples(model, sample);
  PredictRequest predict;
  predict.data_path = data_path;
  predict.out_path = dir + "/predictions.csv";
  predict.modes = true;
  predict.device = r.device;
  predict.quiet = r.quiet;
  write_predictions(model, predict);
  // And how good the distribution is, on fresh rows the model never saw:
  // scores plus the pictures.
  const SyntheticSet test_set = make_synthetic("bishop", std::max(200, set.values.rows / 4), seed + 1);
  const std::string test_path = dir + "/bishop_test.csv";
  write_csv(test_path, test_set.columns, test_set.values);
  EvalRequest eval;
  eval.model_path = r.model_path;
  eval.data_path = test_path;
  eval.report_dir = dir + "/report";
  eval.json_path = dir + "/metrics.json";
  eval.device = r.device;
  eval.options.seed = seed;
  const int status = evaluate_model(model, eval);
  std::printf("outputs in %s/: bishop.csv, model.safetensors, samples.csv (20 draws per row), predictions.csv,\n"
              "  bishop_test.csv (held out), metrics.json and report/index.html (scores on the held-out rows)\n",
              dir.c_str());
  return status;
}

}  // namespace mdn::cli
