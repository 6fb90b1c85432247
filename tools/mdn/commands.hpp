// The `mdn` subcommands. Each one declares its options on a CLI11 subcommand,
// bound to the fields of its request struct; checks what must hold before any
// work (prepare: option combinations, output locations writable); then does
// the work (run). Failures are thrown: CLI::ParseError and mdn::UsageError
// (exit 2), mdn::Interrupted (130), mdn::Error (1); see exit_status.hpp.
#pragma once
#include <CLI/CLI.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mdn/backend.hpp"
#include "mdn/csv.hpp"
#include "mdn/metrics.hpp"
#include "mdn/model.hpp"
#include "mdn/spec.hpp"
#include "mdn/trainer.hpp"
#include "progress.hpp"

namespace mdn::cli {

class Command {
 public:
  virtual ~Command() = default;
  // Adds this command as a subcommand of `mdn`, with its options.
  virtual CLI::App* declare(CLI::App& mdn) = 0;
  // After a successful parse, before reading big inputs or training.
  virtual void prepare() {}
  // The work; returns the exit status.
  virtual int run() = 0;
};

std::unique_ptr<Command> make_data_command();
std::unique_ptr<Command> make_train_command();
std::unique_ptr<Command> make_predict_command();
std::unique_ptr<Command> make_sample_command();
std::unique_ptr<Command> make_eval_command();
std::unique_ptr<Command> make_calibrate_command();
std::unique_ptr<Command> make_demo_command();
std::unique_ptr<Command> make_info_command();

// What `mdn train` and `mdn demo` share: load the CSV, build the spec, train
// on the chosen device with progress on stderr, save the model atomically.
struct TrainRequest {
  std::string data_path;
  std::vector<std::string> targets;
  std::vector<std::string> features;  // empty = every other numeric column
  std::string model_path;
  ModelSpec spec;  // components and hidden from here; D and T from the data
  TrainOptions options;
  DeviceKind device = DeviceKind::Auto;
  bool tf32 = false;
  bool drop_invalid = false;
  CsvOptions csv;      // --delimiter, --na-values
  bool quiet = false;  // nothing on stderr but errors
  ProgressStyle progress = ProgressStyle::Auto;
  std::string checkpoint_path;  // written every options.checkpoint_every epochs and on SIGINT/SIGTERM
  std::string resume_path;      // continue this checkpoint (its spec and options win)
  bool epochs_given = false;    // with resume_path: --epochs overrides the checkpoint's
  bool quantised = false;       // train on grid cells of targets detected on a grid (TrainOptions::grid_steps)
  std::string weight_column;    // per-row sample weights (Dataset::weights); "" = none
  std::string val_data_path;    // validation rows of the user's own (TrainHooks::validation); "" = random split
  std::string init_path;        // start from this model's weights (TrainHooks::init_model); "" = fresh
  std::string target_transform;  // --target-transform, as given (TrainOptions::target_transform); "" = none
  std::string covariance = "diagonal";  // --covariance diagonal|full (ModelSpec::covariance)
  bool spec_given = false;      // with init_path: --components/--hidden/--sigma-floor given (else the model's)
  bool ensemble_given = false;  // with init_path: --ensemble given (else the model's member count)
  int tune = 0;                 // --tune N: configurations of the model search (mdn/tuner.hpp); 0 = none
  double tune_time = 0.0;       // --tune-time: the search's wall-time cap in seconds; 0 = none
  std::string tune_log;         // --tune-log: the search's JSON log; "" = none
  std::string tune_folds = "random";  // --tune-folds: random, or ordered (TuneOptions::ordered_folds)

  // Where checkpoints go: checkpoint_path, or MODEL.ckpt beside the model.
  std::string checkpoint_file() const { return checkpoint_path.empty() ? model_path + ".ckpt" : checkpoint_path; }
};
Model train_and_save(const TrainRequest& request);

// What `mdn eval` and `mdn demo` share: score a model on labelled data, print
// the table, and write the JSON and/or report directory. Returns the exit status.
struct EvalRequest {
  std::string model_path;  // for the JSON and captions only
  std::string data_path;
  std::string json_path;   // empty = none
  std::string report_dir;  // empty = none
  DeviceKind device = DeviceKind::Auto;
  bool drop_invalid = false;
  std::string weight_column;  // per-row sample weights for every score; "" = none
  CsvOptions csv;             // --delimiter, --na-values
  EvalOptions options;
  bool quiet = false;         // nothing on stderr but errors
};
int evaluate_model(const Model& model, const EvalRequest& request);

}  // namespace mdn::cli
