// Plain settings and state of training: what the optimiser and the trainer
// are told (AdamConfig, EpochConfig, TrainOptions) and what they hand back or
// save in a checkpoint (EpochStats, OptimizerState, TrainingState). No
// behaviour lives here, so every layer above can use these types.
#pragma once
#include <cstdint>
#include <limits>
#include <vector>

namespace mdn {

// Adam over the flat parameter buffer, with global gradient-norm clipping.
struct AdamConfig {
  float lr = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-8f;
  float clip_norm = 10.0f;    // clip the global L2 norm of the gradient; 0 = off
  float weight_decay = 0.0f;  // decoupled (AdamW) decay per unit learning rate; 0 = plain Adam
};

// One epoch of minibatch training over the data set_training_data() gave.
struct EpochConfig {
  int batch_size = 256;
  AdamConfig adam;
  std::uint64_t shuffle_seed = 0;  // the epoch's permutation is a function of this alone
};

struct EpochStats {
  double mean_loss = 0.0;  // mean of the minibatch mean losses (standardised units)
  long long samples = 0;   // samples processed
  bool finite = true;      // false if any minibatch loss or gradient was NaN/Inf
};

// The optimiser's state, for checkpoints: Adam moments and the step count.
struct OptimizerState {
  std::vector<float> m, v;
  long long step = 0;
};

// The learning rate over training (docs/TRAINING.md). Constant: lr throughout
// (no schedule). Cosine: linear warm-up from 0 over the first
// warmup_fraction of the steps, then half a cosine down to min_lr_fraction * lr
// at the last step. The rate is evaluated once per epoch, at the epoch's first
// step, so both backends run an epoch at one rate.
enum class LrSchedule { Constant, Cosine };

// How training is sized and scheduled. Zero in epochs, steps, batch_size and
// -1 in patience mean "chosen from the number of training rows" (plan_training
// in mdn/trainer.hpp says how); the defaults below are the recipe.
struct TrainOptions {
  int epochs = 0;       // > 0: exactly this many epochs (at most); 0 = from the step budget
  long long steps = 0;  // optimizer-step budget; 0 = auto (see plan_training); ignored when epochs > 0
  int batch_size = 0;   // 0 = auto: grows with the number of training rows (32 .. 1024)
  float lr = 2e-3f;     // peak learning rate
  LrSchedule schedule = LrSchedule::Cosine;
  float warmup_fraction = 0.02f;  // of all steps, in [0, 0.5]
  float min_lr_fraction = 0.0f;   // the last step's rate / lr, in [0, 1]
  float weight_decay = 0.0f;      // decoupled weight decay (AdamW); 0 = off
  // Noise regularisation (docs/TRAINING.md): each epoch every standardised
  // training feature (input_noise) and target (target_noise) gets fresh
  // Gaussian noise of this standard deviation (a function of seed and epoch).
  // -1 = auto: chosen from the number of training rows (plan_training); 0 = off.
  float input_noise = -1.0f;
  float target_noise = -1.0f;
  // Weight averaging (docs/TRAINING.md): after every epoch an exponential
  // moving average of the weights, over this fraction of the planned epochs,
  // is updated; validation scores the average, and the average is what is
  // kept. -1 = auto (plan_training); 0 = off (the raw weights are kept).
  float weight_average = -1.0f;
  float val_fraction = 0.1f;  // 0 = no validation split (no early stopping)
  int patience = -1;          // epochs without a better validation NLL before stopping; 0 = never;
                              // -1 = auto: half the planned epochs (a quarter below 1,000
                              // training rows), at least 10
  float clip_norm = 10.0f;
  // Recalibration after training (docs/TRAINING.md, "Recalibration"): for
  // one target the PIT map of Model::recalibration, fitted on the validation
  // rows (or, below kMinCalibrationRows of them, on out-of-fold rows of
  // cross-fitting); for several targets a per-target sigma scale folded into
  // the weights (Model::calibration). Auto recalibrates ensembles, whose
  // members' spread over-disperses them (measured to help on every set it
  // changed), and leaves one network as trained (it helped on random splits
  // and hurt on the weather's time split); On and Off do so for both.
  enum class CalibrateMode { Auto, On, Off };
  CalibrateMode calibrate = CalibrateMode::Auto;  // recalibrates() below says what it means for a run
  // Small data (fewer than kMinCalibrationRows validation rows, one process,
  // no validation set of the caller's): kCrossFitFolds more models of the
  // same recipe, each trained without one fold, give out-of-fold rows for the
  // conformal scores (every model) and the recalibration (when it runs).
  // docs/TRAINING.md, "Small sets". The model's parameters are the same
  // either way; false (the model search's trials, the fold models) skips it.
  bool cross_fit = true;
  // Deep ensemble: this many networks from different seeds (member 0 uses
  // `seed`), trained on the same split (several at once where
  // concurrent_members allows); the model is their equal-weight mixture
  // (Model::members).
  int ensemble = 1;
  // Train several members at once where the backend gains from it
  // (Backend::member_concurrency: small minibatches on a multi-core CPU,
  // and the GPU); the model is the same bits either way. Periodic
  // checkpoints (checkpoint_every) keep them one after another.
  bool concurrent_members = true;
  // Ensembles: every member but the first trains on its own bootstrap
  // resample of the training rows (n draws with replacement, a function of
  // the member's seed), for diversity; member 0 keeps all rows, so it is still
  // the single model. Validation rows and statistics are shared.
  bool bootstrap = false;
  // Targets on a grid (mdn/grid.hpp): one step per target (0 = continuous),
  // or empty. Each epoch every gridded training target is spread uniformly
  // over its cell (t + U(-h/2, h/2), a function of seed and epoch), so the
  // density cannot spike on the grid points; the model records the steps and
  // `mdn eval` scores the cell probabilities F(t + h/2) - F(t - h/2).
  std::vector<float> grid_steps;
  // Target transforms (mdn/target_transform.hpp, docs/TRAINING.md "Target
  // transforms"): fitted on the training rows, applied before the
  // standardisation, stored in Model::target_transforms. Auto picks per
  // target by the rule of choose_target_transform (mdn/transform_fit.hpp).
  enum class TargetTransformMode { None, Log, YeoJohnson, Auto };
  std::vector<TargetTransformMode> target_transform;  // empty = None for every target; one = all targets; else per target
  std::uint64_t seed = 0;
  // A non-finite loss or gradient rolls back to the last good epoch and
  // halves the learning rate, at most this many times; then training stops.
  int max_rollbacks = 3;
  int checkpoint_every = 0;  // epochs between on_checkpoint calls; 0 = never
};

// Whether a run with these options recalibrates (TrainOptions::calibrate).
inline bool recalibrates(const TrainOptions& o) {
  return o.calibrate == TrainOptions::CalibrateMode::On ||
         (o.calibrate == TrainOptions::CalibrateMode::Auto && o.ensemble > 1);
}


// Everything that changes during training: with the Model (spec, statistics,
// names, history) it is enough to continue exactly where training stopped.
struct TrainingState {
  int epoch = 0;    // epochs completed
  float lr = 0.0f;  // current learning rate (lowered by rollbacks)
  int rollbacks = 0;
  std::vector<float> params;  // after `epoch` epochs
  OptimizerState optimizer;
  std::vector<float> best_params;
  // The moving average of the weights (TrainPlan::average_epochs > 1; else
  // empty): what validation scores and what is kept.
  std::vector<float> averaged_params;
  double best_val = std::numeric_limits<double>::infinity();
  int since_best = 0;
  // Ensembles: the member being trained (0-based) and the kept parameters of
  // the members before it (member * ParameterLayout total floats).
  int member = 0;
  std::vector<float> finished_members;
};

}  // namespace mdn
