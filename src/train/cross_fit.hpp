// Internal: calibration rows for small data by cross-fitting (issue 26
// item 2, docs/TRAINING.md "Small sets"). When a run has fewer than
// kMinCalibrationRows validation rows, kCrossFitFolds models of the same
// recipe are trained, each without one fold of the rows, and the rows each
// did not see give out-of-fold PITs of a model trained like the final one on
// almost as many rows: every row serves as a calibration row once. Their
// scores replace the validation rows' conformal scores (more of them, and
// from rows no early stopping chose an epoch on), and, when the run
// recalibrates one target, the PIT map is fitted on them.
#pragma once
#include "mdn/backend.hpp"
#include "mdn/dataset.hpp"
#include "mdn/model.hpp"
#include "mdn/train_options.hpp"
#include "mdn/trainer.hpp"

namespace mdn::detail {

inline constexpr int kCrossFitFolds = 5;

// What cross-fitting gives `model` (just trained on `data` with `options`
// and `hooks`); nothing unless options.cross_fit, one process, no validation
// set of the caller's (whose size is theirs to choose) and at least
// kMinCalibrationRows rows in all.
struct CrossFitPlan {
  // The model's conformal scores come from fewer than kMinCalibrationRows
  // rows (or none: fewer than kMinConformalRows).
  bool conformal = false;
  // The run recalibrates (recalibrates(options)), one target, diagonal
  // components, and the validation rows were too few to do it.
  bool recalibration = false;
  bool any() const { return conformal || recalibration; }
};
CrossFitPlan plan_cross_fitting(const ModelSpec& spec, long long rows, const TrainOptions& options,
                                const TrainHooks& hooks, const Model& model);

// Carries out the plan: model.conformal from the out-of-fold PITs of every
// target, model.recalibration from the first's (and the warning that said
// it was not recalibrated dropped). Each fold model is trained with
// `options` less the calibration and the cross-fitting, quietly, on
// `backend`, which is left holding the model's (first) parameters.
void cross_fit(Backend& backend, const ModelSpec& spec, const Dataset& data, const TrainOptions& options,
               const TrainHooks& hooks, const CrossFitPlan& plan, Model& model);

}  // namespace mdn::detail
