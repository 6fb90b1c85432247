// Internal: the target transforms of a training run (docs/TRAINING.md,
// "Target transforms"): chosen and fitted on the training rows, applied to
// every target the network sees (training, validation) before the
// Standardizer, and the per-row Jacobian that keeps reported NLLs in the
// original units.
#pragma once
#include <vector>

#include "mdn/dataset.hpp"
#include "mdn/spec.hpp"
#include "mdn/target_transform.hpp"
#include "mdn/train_options.hpp"

namespace mdn::detail {

// One transform per target (empty when the options ask for none). Checks the
// options first (a list of 1 or T modes; refused for full covariance, for
// gridded targets and for data-parallel runs); `log` on a column with a value <= 0 in any row
// the run will see (`data`, and `validation` when given) throws a UsageError
// naming the column and its smallest value.
std::vector<TargetTransform> fit_target_transforms(const TrainOptions& options, const ModelSpec& spec,
                                                   const Dataset& data, const std::vector<int>& train_idx,
                                                   const Dataset* validation, bool data_parallel);

// t(r, d) <- g_d(t(r, d)) for every target with a transform.
void apply_target_transforms(const std::vector<TargetTransform>& g, MatrixD& t);

// The (weighted, when `weights` is not empty) mean over the rows of raw
// targets t of -sum_d log g_d'(t(r, d)): what an NLL of the transformed
// targets gains to be one of the original targets.
double mean_transform_jacobian(const std::vector<TargetTransform>& g, const MatrixD& t,
                               const std::vector<double>& weights);

}  // namespace mdn::detail
