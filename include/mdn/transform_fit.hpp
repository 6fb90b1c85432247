// Fitting a target transform (mdn/target_transform.hpp) on training targets,
// and the rule `auto` follows (docs/TRAINING.md, "Target transforms").
#pragma once
#include <limits>
#include <string>
#include <vector>

#include "mdn/target_transform.hpp"
#include "mdn/train_options.hpp"

namespace mdn {

// The mean Gaussian log-likelihood per row of y in ORIGINAL units when g(y)
// is modelled as one Gaussian with its maximum-likelihood mean and variance:
// -0.5 log(2 pi e var(g(y))) + mean(log g'(y)). Comparable across
// transforms: it is what the fits and `auto` maximise. -inf when g(y) has
// no spread or a y is outside g's domain.
double gaussian_loglik_per_row(const TargetTransform& g, const std::vector<double>& y);

// The Yeo-Johnson lambda in [0, 2] (the range where it maps R onto R) that
// maximises gaussian_loglik_per_row, as scikit-learn's PowerTransformer does
// on the raw targets: a grid of 41 values, then golden-section refinement
// around the best (to 1e-6 in lambda).
double fit_yeo_johnson(const std::vector<double>& y);

// The smallest improvement, in nats per row of gaussian_loglik_per_row over
// no transform, for which `auto` transforms a target (measured:
// docs/TRAINING.md).
inline constexpr double kAutoTransformMinGain = 0.02;

// The transform for one target column, fitted on training targets y: None/Log
// as asked (Log throws a UsageError naming `column` and the smallest value
// when min(y, smallest) <= 0; `smallest` is the least value of every row the
// transform will meet, validation rows included; NaN = y's own),
// Yeo-Johnson fitted, Auto by the rule: among none, Yeo-Johnson and (when
// every y > 0) log, the best gaussian_loglik_per_row, if it beats none by
// kAutoTransformMinGain; else none. Auto considers log only when every row's
// value (smallest included) is > 0.
TargetTransform choose_target_transform(TrainOptions::TargetTransformMode mode, const std::vector<double>& y,
                                        const std::string& column,
                                        double smallest = std::numeric_limits<double>::quiet_NaN());

// "none", "log", "yeo-johnson" or "auto" (case as written); anything else is a
// UsageError listing them, with "did you mean" for a slip.
TrainOptions::TargetTransformMode parse_target_transform_mode(const std::string& name);
// A comma list of them (one for every target, or one per target).
std::vector<TrainOptions::TargetTransformMode> parse_target_transform_modes(const std::string& list);
const char* target_transform_mode_name(TrainOptions::TargetTransformMode mode);

}  // namespace mdn
