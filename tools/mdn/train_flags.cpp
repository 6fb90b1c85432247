#include "train_flags.hpp"

#include <string>

#include "options.hpp"

namespace mdn::cli {
namespace {

// A spec that passes ModelSpec::validate, to check one field at a time.
ModelSpec valid_spec() {
  ModelSpec spec;
  spec.input_dim = 1;
  return spec;
}

}  // namespace

CLI::Option* add_target_option(CLI::App& app, std::vector<std::string>& targets) {
  return add_list_option(app, "--target", targets, "COL[,COL...]",
                         "target column(s), 1 to " + std::to_string(kMaxTargetDim),
                         [](const std::vector<std::string>& columns) {
                           ModelSpec spec = valid_spec();
                           spec.target_dim = int(columns.size());
                           spec.validate();
                         })
      ->required();
}

void add_model_spec_options(CLI::App& app, ModelSpec& spec) {
  app.add_option("--components", spec.components, "mixture components, 1 to " + std::to_string(kMaxComponents))
      ->type_name("K")
      ->check(library_check<int>([](const int& k) {
        ModelSpec s = valid_spec();
        s.components = k;
        s.validate();
      }))
      ->capture_default_str();
  add_list_option(app, "--hidden", spec.hidden, "W,W,...", "hidden tanh layer widths",
                  [](const std::vector<int>& widths) {
                    ModelSpec s = valid_spec();
                    s.hidden = widths;
                    s.validate();
                  });
}

CLI::Option* add_epochs_option(CLI::App& app, TrainOptions& options) {
  return app.add_option("--epochs", options.epochs, "number of epochs (0 = from the step budget, --steps)")
      ->type_name("N")
      ->check(at_least(0))
      ->capture_default_str();
}

void add_optimiser_options(CLI::App& app, TrainOptions& options) {
  app.add_option("--steps", options.steps,
                 "optimizer-step budget when --epochs is 0 (0 = auto: rows/2 in 10,000..100,000, at least 10 epochs)")
      ->type_name("N")
      ->check(at_least(0))
      ->capture_default_str();
  app.add_option("--batch-size", options.batch_size,
                 "minibatch size (0 = auto: rows/256 as a power of two in 32..1024)")
      ->type_name("B")
      ->check(at_least(0))
      ->capture_default_str();
  app.add_option("--lr", options.lr, "peak Adam learning rate")
      ->type_name("X")
      ->check(positive_number())
      ->capture_default_str();
  auto schedule = [&options](const std::string& text) {
    if (text == "cosine")
      options.schedule = LrSchedule::Cosine;
    else if (text == "constant")
      options.schedule = LrSchedule::Constant;
    else
      throw CLI::ValidationError("--schedule", "must be cosine or constant (got '" + text + "')");
  };
  app.add_option_function<std::string>("--schedule", schedule,
                                       "learning-rate schedule: warm-up then cosine decay, or constant")
      ->type_name("cosine|constant")
      ->default_str(options.schedule == LrSchedule::Cosine ? "cosine" : "constant");
  app.add_option("--warmup", options.warmup_fraction,
                 "fraction of the steps spent warming the rate up from 0 (cosine), 0 to 0.5")
      ->type_name("F")
      ->check(CLI::Range(0.0f, 0.5f))
      ->capture_default_str();
  app.add_option("--min-lr", options.min_lr_fraction, "final learning rate as a fraction of --lr (cosine), 0 to 1")
      ->type_name("F")
      ->check(CLI::Range(0.0f, 1.0f))
      ->capture_default_str();
  app.add_option("--weight-decay", options.weight_decay, "decoupled weight decay (AdamW); 0 = off")
      ->type_name("X")
      ->check(non_negative_number())
      ->capture_default_str();
  app.add_option("--input-noise", options.input_noise,
                 "std of the Gaussian noise added to the standardised features each epoch (0 = off, -1 = auto: "
                 "by training rows)")
      ->type_name("X")
      ->check(CLI::Range(-1.0f, 100.0f))
      ->capture_default_str();
  app.add_option("--target-noise", options.target_noise,
                 "std of the Gaussian noise added to the standardised targets each epoch (0 = off, -1 = auto: "
                 "by training rows)")
      ->type_name("X")
      ->check(CLI::Range(-1.0f, 100.0f))
      ->capture_default_str();
  app.add_option("--weight-average", options.weight_average,
                 "keep a moving average of the weights over this fraction of the planned epochs; validation "
                 "scores it and it is the model (0 = off, -1 = auto: 0.05 up to 30,000 training rows, 0 from "
                 "60,000)")
      ->type_name("F")
      ->check(CLI::Range(-1.0f, 1.0f))
      ->capture_default_str();
  app.add_flag("--bootstrap", options.bootstrap,
               "ensembles: members after the first train on bootstrap resamples of the training rows");
  app.add_option("--val-fraction", options.val_fraction,
                 "fraction of rows held out for validation / early stopping (0 = none)")
      ->type_name("F")
      ->check(fraction_below_one())
      ->capture_default_str();
  app.add_option("--patience", options.patience,
                 "stop after N epochs without a better validation NLL (0 = never, -1 = auto: epochs/2, epochs/4 below "
                 "1,000 rows, at least 10)")
      ->type_name("N")
      ->check(at_least(-1))
      ->capture_default_str();
  app.add_option("--clip-norm", options.clip_norm, "clip the global gradient norm to X (0 = off)")
      ->type_name("X")
      ->check(non_negative_number())
      ->capture_default_str();
}

void add_progress_options(CLI::App& app, TrainRequest& request) {
  auto convert = [&request](const std::string& text) {
    try {
      request.progress = parse_progress_style(text);
    } catch (const UsageError& e) {
      throw CLI::ValidationError("--progress", e.what());
    }
  };
  app.add_option_function<std::string>(
         "--progress", convert,
         "per-epoch progress: bar (one updating line), lines (one per epoch), none; auto = bar on a terminal, "
         "lines otherwise")
      ->type_name("auto|bar|lines|none")
      ->default_str(progress_style_name(request.progress));
  app.add_flag("--quiet", request.quiet, "no progress output");
}

}  // namespace mdn::cli
