// A trained model: its shape, its weights (one flat buffer in ParameterLayout
// order), the standardisation statistics and the training history.
#pragma once
#include <string>
#include <vector>

#include "mdn/spec.hpp"
#include "mdn/standardizer.hpp"

namespace mdn {

struct TrainingHistory {
  std::vector<float> train_nll;  // per epoch, standardised units
  std::vector<float> val_nll;    // per epoch, standardised units (empty without a validation split)
  int best_epoch = -1;           // the epoch whose weights were kept
};

struct Model {
  ModelSpec spec;
  Standardizer stats;
  std::vector<float> params;              // ParameterLayout(spec).total floats
  std::vector<std::string> feature_names;  // D
  std::vector<std::string> target_names;   // T
  TrainingHistory history;
};

}  // namespace mdn
