// Training: split, standardise, initialise, epochs of minibatch Adam on a
// backend, validation NLL, early stopping with the best weights kept.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>

#include "mdn/backend.hpp"
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
  double log_jacobian = 0.0;  // add to an NLL above for original target units
  float lr = 0.0f;            // learning rate used (lower after a rollback)
  int rollbacks = 0;          // rollbacks so far
};
using EpochCallback = std::function<void(const EpochReport&)>;
// Receives the model (params = current weights) and the state to save.
using CheckpointCallback = std::function<void(const Model&, const TrainingState&)>;

// Optional hooks of a training run.
struct TrainHooks {
  EpochCallback on_epoch;
  CheckpointCallback on_checkpoint;                // every checkpoint_every epochs, and on a stop request
  const std::atomic<bool>* stop_requested = nullptr;  // checked after every epoch
  const Model* resume_model = nullptr;             // with resume_state: continue a checkpoint
  const TrainingState* resume_state = nullptr;
};

// Initial parameters: Glorot-uniform weights for the tanh layers; the head's
// weights small and its biases spreading the component means over the
// (standardised) training targets' quantiles.
std::vector<float> initial_parameters(const ModelSpec& spec, const Matrix& t_standardised, std::uint64_t seed);

// Trains `spec` on `data` with `backend`. Throws mdn::Error when the loss stays
// NaN/Inf after max_rollbacks (no model is returned, so no model file gets
// written), Interrupted on a stop request. Resuming a checkpoint with the
// same data and options gives the same model as an uninterrupted run.
Model train(Backend& backend, const ModelSpec& spec, const Dataset& data, const TrainOptions& options,
            const TrainHooks& hooks = {});

}  // namespace mdn
