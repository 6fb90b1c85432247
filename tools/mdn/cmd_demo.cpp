// mdn demo [--out DIR]: the main job on built-in data. Writes the bishop set,
// trains on it on the best device available, and shows the learned mixture
// where the inverse problem has three answers.
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "commands.hpp"
#include "mdn/atomic_file.hpp"
#include "mdn/csv.hpp"
#include "mdn/error.hpp"
#include "mdn/inference.hpp"
#include "mdn/mixture.hpp"
#include "mdn/synthetic.hpp"
#include "options.hpp"
#include "prediction_output.hpp"
#include "train_flags.hpp"

namespace mdn::cli {
namespace {

class DemoCommand : public Command {
 public:
  DemoCommand() {
    // The demo's own settings (a larger learning rate and patience than
    // `mdn train`'s defaults suit the small bishop set).
    r_.options.epochs = 300;
    r_.options.batch_size = 128;
    r_.options.lr = 3e-3f;
    r_.options.patience = 60;
  }

  CLI::App* declare(CLI::App& mdn) override {
    CLI::App* app = mdn.add_subcommand(
        "demo",
        "train on the built-in bishop set and write its outputs\n\n"
        "Trains an MDN on the built-in 'bishop' inverse problem (three branches around x = 0.5)\n"
        "and writes into DIR: bishop.csv (the data), model.safetensors (the model), samples, predictions,\n"
        "outputs listed at the end. Prints the learned mixture at a few inputs.");
    app->add_option("--out", dir_, "output directory (created if missing)")->type_name("DIR")->capture_default_str();
    app->add_option("--rows", rows_, "rows of synthetic data")
        ->type_name("N")
        ->check(between(10, 100000000))
        ->capture_default_str();
    add_epochs_option(*app, r_.options);
    add_model_spec_options(*app, r_.spec);
    add_device_option(*app, r_.device, "where to train");
    add_seed_option(*app, r_.options.seed, "random seed");
    add_progress_options(*app, r_);
    return app;
  }

  void prepare() override { check_writable_directory(dir_); }

  int run() override {
    make_directories(dir_);  // prepare() has checked that this can work
    const std::uint64_t seed = r_.options.seed;
    const SyntheticSet set = make_synthetic("bishop", rows_, seed);
    const std::string data_path = dir_ + "/bishop.csv";
    write_csv(data_path, set.columns, set.values);

    TrainRequest r = r_;
    r.data_path = data_path;
    r.targets = set.targets;
    r.model_path = dir_ + "/model.safetensors";
    const Model model = train_and_save(r);

    // The learned mixture where the inverse problem is multi-valued.
    MatrixD x(3, 1);
    x(0, 0) = 0.2;
    x(1, 0) = 0.5;
    x(2, 0) = 0.8;
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
    sample.out_path = dir_ + "/samples.csv";
    sample.samples = 20;
    sample.options.seed = seed;
    sample.device = r.device;
    sample.quiet = r.quiet;
    write_samples(model, sample);
    PredictRequest predict;
    predict.data_path = data_path;
    predict.out_path = dir_ + "/predictions.csv";
    predict.modes = true;
    predict.device = r.device;
    predict.quiet = r.quiet;
    write_predictions(model, predict);
    // And how good the distribution is, on fresh rows the model never saw:
    // scores plus the pictures.
    const SyntheticSet test_set = make_synthetic("bishop", std::max(200, set.values.rows / 4), seed + 1);
    const std::string test_path = dir_ + "/bishop_test.csv";
    write_csv(test_path, test_set.columns, test_set.values);
    EvalRequest eval;
    eval.model_path = r.model_path;
    eval.data_path = test_path;
    eval.report_dir = dir_ + "/report";
    eval.json_path = dir_ + "/metrics.json";
    eval.device = r.device;
    eval.options.seed = seed;
    const int status = evaluate_model(model, eval);
    std::printf(
        "outputs in %s/: bishop.csv, model.safetensors, samples.csv (20 draws per row), predictions.csv,\n"
        "  bishop_test.csv (held out), metrics.json and report/index.html (scores on the held-out rows)\n",
        dir_.c_str());
    return status;
  }

 private:
  TrainRequest r_;
  std::string dir_ = "mdn-demo";
  int rows_ = 4000;
};

}  // namespace

std::unique_ptr<Command> make_demo_command() { return std::make_unique<DemoCommand>(); }

}  // namespace mdn::cli
