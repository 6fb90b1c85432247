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
  float clip_norm = 10.0f;  // clip the global L2 norm of the gradient; 0 = off
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

struct TrainOptions {
  int epochs = 200;
  int batch_size = 256;
  float lr = 1e-3f;
  float val_fraction = 0.1f;  // 0 = no validation split (no early stopping)
  int patience = 30;          // epochs without a better validation NLL before stopping; 0 = never
  float clip_norm = 10.0f;
  std::uint64_t seed = 0;
  // A non-finite loss or gradient rolls back to the last good epoch and
  // halves the learning rate, at most this many times; then training stops.
  int max_rollbacks = 3;
  int checkpoint_every = 0;  // epochs between on_checkpoint calls; 0 = never
};

// Everything that changes during training: with the Model (spec, statistics,
// names, history) it is enough to continue exactly where training stopped.
struct TrainingState {
  int epoch = 0;  // epochs completed
  float lr = 0.0f;  // current learning rate (lowered by rollbacks)
  int rollbacks = 0;
  std::vector<float> params;  // after `epoch` epochs
  OptimizerState optimizer;
  std::vector<float> best_params;
  double best_val = std::numeric_limits<double>::infinity();
  int since_best = 0;
};

}  // namespace mdn
