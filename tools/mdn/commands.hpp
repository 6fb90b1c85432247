// The `mdn` subcommands. Each returns the process exit status (0 on success)
// and throws mdn::UsageError (exit 2) or mdn::Error (exit 1) on failure.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "mdn/backend.hpp"
#include "mdn/metrics.hpp"
#include "mdn/model.hpp"
#include "mdn/trainer.hpp"

namespace mdn::cli {

int run_data(int argc, char** argv);
int run_train(int argc, char** argv);
int run_demo(int argc, char** argv);
int run_predict(int argc, char** argv);
int run_sample(int argc, char** argv);
int run_eval(int argc, char** argv);

// What `mdn train` and `mdn demo` share: load the CSV, build the spec, train
// on the chosen device with progress on stderr, save the model atomically.
struct TrainRequest {
  std::string data_path;
  std::vector<std::string> targets;
  std::vector<std::string> features;  // empty = every other numeric column
  std::string model_path;
  int components = 5;
  std::vector<int> hidden{50, 50};
  TrainOptions options;
  DeviceKind device = DeviceKind::Auto;
  bool tf32 = false;
  bool drop_invalid = false;
  bool quiet = false;
  std::string checkpoint_path;  // written every options.checkpoint_every epochs and on SIGINT/SIGTERM
  std::string resume_path;      // continue this checkpoint (its spec and options win)
  bool quantised = false;
  float sigma_floor = 0.0f;     // > 0: ModelSpec::log_sigma_min = log(sigma_floor)       // train on grid cells of targets detected on a grid
  bool epochs_given = false;    // with resume_path: --epochs overrides the checkpoint's
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
  EvalOptions options;
};
int evaluate_model(const Model& model, const EvalRequest& request);

}  // namespace mdn::cli
