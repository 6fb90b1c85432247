// Training: split, standardise, initialise, epochs of minibatch Adam on a
// backend, validation NLL, early stopping with the best weights kept.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>

#include "mdn/backend.hpp"
#include "mdn/communicator.hpp"
#include "mdn/dataset.hpp"
#include "mdn/error.hpp"
#include "mdn/model.hpp"
#include "mdn/train_options.hpp"

namespace mdn {

// Thrown by train() when a stop was requested (SIGINT/SIGTERM in the CLI);
// on_checkpoint has been called with the state of the last finished epoch.
class Interrupted : public Error {
 public:
  using Error::Error;
};

// What the trainer reports after each epoch (for progress lines).
struct EpochReport {
  int epoch = 0;  // 1-based
  int epochs = 0;
  double train_nll = 0.0;  // standardised units
  double val_nll = 0.0;    // standardised units; NaN without validation
  bool improved = false;
  double samples_per_second = 0.0;
  double seconds_elapsed = 0.0;
  double seconds_left = 0.0;  // estimate for the remaining epochs
  double log_jacobian = 0.0;  // add to train_nll for original target units
  // add to val_nll for original target units (differs from log_jacobian
  // only with a target transform, whose Jacobian is per row)
  double val_log_jacobian = 0.0;
  float lr = 0.0f;            // learning rate used (lower after a rollback)
  int rollbacks = 0;          // rollbacks so far
  int member = 1;             // 1-based ensemble member being trained
  int members = 1;
};
using EpochCallback = std::function<void(const EpochReport&)>;
// Receives the model (params = current weights) and the state to save.
using CheckpointCallback = std::function<void(const Model&, const TrainingState&)>;

// Optional hooks of a training run.
struct TrainHooks {
  EpochCallback on_epoch;
  CheckpointCallback on_checkpoint;                   // every checkpoint_every epochs, and on a stop request
  // Called before each fold model of the recalibration's cross-fitting
  // trains (fold 1..folds; docs/TRAINING.md, "Recalibration"): the folds
  // train quietly, and this lets a caller say what the time goes to.
  std::function<void(int fold, int folds)> on_cross_fit_fold;
  const std::atomic<bool>* stop_requested = nullptr;  // checked after every epoch
  const Model* resume_model = nullptr;                // with resume_state: continue a checkpoint
  const TrainingState* resume_state = nullptr;
  // Several processes (docs/DISTRIBUTED.md; null or one rank = this process
  // alone). With ensemble == 1 the ranks train one network data-parallel and
  // `data` is this rank's part: rows first_row .. first_row + data.x.rows - 1
  // of total_rows (mdn/sharded_data.hpp reads them). With ensemble > 1 the
  // members are spread over the ranks and `data` is every row. train() is
  // then collective, and every rank returns the same model.
  Communicator* ranks = nullptr;
  long long first_row = 0;
  long long total_rows = 0;
  // Validation rows of your own (`mdn train --val-data`, `fit(eval_set=)`):
  // early stopping, the calibration and the reported validation NLL use them
  // instead of a random split (TrainOptions::val_fraction is then not used),
  // so time series and grouped data need not leak into early stopping. Same
  // features and targets as `data`, in the same order; its weights (if any)
  // weight the validation NLL. Data-parallel ranks each pass every row.
  const Dataset* validation = nullptr;
  // Start from this model's weights and standardisation instead of fresh
  // ones (fine-tuning on new data, warm starts): the same architecture,
  // feature and target names and ensemble size, else a UsageError naming the
  // difference. The run is otherwise a fresh one (its schedule, its early
  // stopping); not together with resume_state.
  const Model* init_model = nullptr;
};

// Training warnings (TrainingHistory::warnings, docs/TRAINING.md): below
// these many training / validation rows a run says its split is tiny; a kept
// model whose NLL (validation, else training; standardised units) is worse by
// more than kWorseThanBaselineNats than the baseline, a Gaussian with the
// training targets' mean and std for every row (T * (log(2 pi) + 1) / 2),
// says training went wrong.
inline constexpr long long kFewTrainingRows = 50;
inline constexpr long long kFewValidationRows = 20;
inline constexpr double kWorseThanBaselineNats = 0.1;
// TrainOptions::calibrate needs at least this many validation rows; with
// fewer the model is not recalibrated, and a warning says so.
inline constexpr long long kMinCalibrationRows = 50;

// How a run is sized, resolved from TrainOptions and the number of training
// rows (docs/TRAINING.md explains the rules):
//   batch_size 0  -> auto_batch_size(rows): rows / 256 as a power of two in [32, 1024]
//   epochs 0      -> ceil(steps / steps_per_epoch), at least kMinAutoEpochs and
//                    at most kMaxAutoEpochs; steps 0 -> auto_step_budget(rows):
//                    rows / 2, clamped to [10,000, 100,000]
//   patience -1   -> max(10, epochs / 2); epochs / 4 below 1,000 training rows
//   input_noise / target_noise -1 -> auto_input_noise(rows) / auto_target_noise(rows)
//   weight_average -1 -> auto_weight_average(rows); average_epochs is that
//                    fraction of the epochs, rounded (at most 1: no averaging)
struct TrainPlan {
  int batch_size = 0;
  int steps_per_epoch = 0;
  int epochs = 0;
  long long total_steps = 0;  // epochs * steps_per_epoch: the schedule's length
  long long warmup_steps = 0;
  int patience = 0;           // 0 = never stop early
  float input_noise = 0.0f;   // noise std on standardised features; 0 = none
  float target_noise = 0.0f;  // noise std on standardised targets; 0 = none
  int average_epochs = 0;     // horizon of the weights' moving average in epochs; <= 1 = none
};
inline constexpr int kMinAutoEpochs = 10;
inline constexpr int kMaxAutoEpochs = 2000;
int auto_batch_size(long long train_rows);
// The seed of ensemble member `member` (0-based): member 0 uses `seed` itself.
std::uint64_t member_seed(std::uint64_t seed, int member);
long long auto_step_budget(long long train_rows);
// Noise regularisation strength (standard deviation in standardised units)
// for a number of training rows: large for small data, 0 for large data.
float auto_input_noise(long long train_rows);
float auto_target_noise(long long train_rows);
// The weights' moving-average horizon, as a fraction of the planned epochs.
float auto_weight_average(long long train_rows);
// One epoch's update of the weights' moving average over `horizon_epochs`
// epochs: `averaged` becomes params at the first epoch (epoch 1), then
// averaged + (params - averaged) * max(1 / horizon, 1 / epoch) (the running
// mean until the horizon is reached, so early epochs are not over-weighted).
void update_weight_average(std::vector<float>& averaged, const std::vector<float>& params, int epoch,
                           int horizon_epochs);
// Throws UsageError (naming the field) for options out of range.
TrainPlan plan_training(const TrainOptions& options, long long train_rows);
// The learning rate at optimizer step `step` (0-based) of a plan, for peak
// rate `lr` (closed form; see LrSchedule).
float scheduled_lr(const TrainOptions& options, const TrainPlan& plan, float lr, long long step);

// Initial parameters: Glorot-uniform weights for the tanh layers; the head's
// weights small and its biases spreading the component means over the
// (standardised) training targets' quantiles.
// With sample weights (one per row of t_standardised), the means sit at the
// weighted quantiles, as they would for the rows repeated.
std::vector<float> initial_parameters(const ModelSpec& spec, const Matrix& t_standardised, std::uint64_t seed,
                                      const std::vector<float>& weights = {});

// Trains `spec` on `data` with `backend`. Throws mdn::Error when the loss stays
// NaN/Inf after max_rollbacks (no model is returned, so no model file gets
// written), Interrupted on a stop request. Resuming a checkpoint with the
// same data and options gives the same model as an uninterrupted run.
Model train(Backend& backend, const ModelSpec& spec, const Dataset& data, const TrainOptions& options,
            const TrainHooks& hooks = {});
// The same model, from a data set given up to training: when its features
// are compact (DataMatrix) and the run needs no row of it afterwards (one
// process, no sample weights, enough validation rows not to cross-fit),
// they are standardised in their own storage and become the training rows,
// so the rows are held once (docs/DATA.md, "Memory"); `data` is left
// without features, targets or lines. Otherwise as above.
Model train(Backend& backend, const ModelSpec& spec, Dataset&& data, const TrainOptions& options,
            const TrainHooks& hooks = {});

}  // namespace mdn
