// What a model file holds, for `mdn info`: the model, its format version and
// any metadata mdn does not read (a user's own notes), and the whole as one
// JSON object.
#pragma once
#include <map>
#include <string>

#include "mdn/model.hpp"

namespace mdn {

struct ModelInfo {
  Model model;
  int format_version = 0;
  std::map<std::string, std::string> other_metadata;  // keys outside format / mdn.*
};

// Throws mdn::Error as load_model does (a missing, corrupt or foreign file).
ModelInfo read_model_info(const std::string& path);

// One JSON object (indented, keys in a fixed order): file, format_version,
// features [{name, mean, std}], targets [{name, mean, std, grid_step?}],
// components, members, network {inputs, hidden, activation, head, parameters
// per network, sigma bounds}, calibration (null when none), recalibration
// {method, knots per target, rows, source, nll_before, nll_after} (null when
// none), conformal (null when none), training
// {epochs, best_epoch, train_nll, val_nll: original units, last and best},
// other_metadata. Non-finite numbers are null.
std::string model_info_json(const ModelInfo& info, const std::string& path);

}  // namespace mdn
