// Internal: recalibration rows for small data by cross-fitting (issue 26
// item 2, docs/TRAINING.md "Recalibration"). When `--calibrate` has fewer
// than kMinCalibrationRows validation rows, K models of the same recipe are
// trained, each without one K-th of the rows, and the rows each did not see
// give out-of-fold PITs of a model trained like the final one on almost as
// many rows: every row serves as a calibration row once, and the PIT map
// fitted on them is the final model's recalibration.
#pragma once
#include "mdn/backend.hpp"
#include "mdn/dataset.hpp"
#include "mdn/model.hpp"
#include "mdn/train_options.hpp"
#include "mdn/trainer.hpp"

namespace mdn::detail {

inline constexpr int kCrossFitFolds = 5;

// Whether train() should cross-fit `model` (just trained on `data` with
// `options` and `hooks`): --calibrate asked for and not done for want of
// validation rows, one target, diagonal components, one process, no
// validation set of the user's (whose size is theirs to choose), and at least
// kMinCalibrationRows rows in all.
bool wants_cross_fitting(const ModelSpec& spec, const Dataset& data, const TrainOptions& options,
                         const TrainHooks& hooks, const Model& model);

// Fits model.recalibration from out-of-fold PITs (kCrossFitFolds folds drawn
// from options.seed; each fold model trained with `options` less the
// calibration, quietly, on `backend`), drops the warning that said the model
// was not recalibrated, and leaves the backend holding the model's (first)
// parameters.
void cross_fit_recalibration(Backend& backend, const ModelSpec& spec, const Dataset& data,
                             const TrainOptions& options, const TrainHooks& hooks, Model& model);

}  // namespace mdn::detail
