// Training: split, standardise, initialise, epochs of minibatch Adam on a
// backend, validation NLL, early stopping with the best weights kept.
#pragma once
#include <cstdint>
#include <functional>
#include <string>

#include "mdn/backend.hpp"
#include "mdn/csv.hpp"
#include "mdn/model.hpp"

namespace mdn {

struct TrainOptions {
  int epochs = 200;
  int batch_size = 256;
  float lr = 1e-3f;
  float val_fraction = 0.1f;  // 0 = no validation split (no early stopping)
  int patience = 30;          // epochs without a better validation NLL before stopping; 0 = never
  float clip_norm = 10.0f;
  std::uint64_t seed = 0;
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
};
using EpochCallback = std::function<void(const EpochReport&)>;

// Initial parameters: Glorot-uniform weights for the tanh layers; the head's
// weights small and its biases spreading the component means over the
// (standardised) training targets' quantiles.
std::vector<float> initial_parameters(const ModelSpec& spec, const Matrix& t_standardised, std::uint64_t seed);

// Trains `spec` on `data` with `backend`. Throws mdn::Error when the loss turns
// NaN/Inf (no model is returned, so no model file gets written).
Model train(Backend& backend, const ModelSpec& spec, const Dataset& data, const TrainOptions& options,
            const EpochCallback& on_epoch = {});

}  // namespace mdn
