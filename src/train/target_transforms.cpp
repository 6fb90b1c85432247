#include "train/target_transforms.hpp"

#include <algorithm>
#include <limits>
#include <string>

#include "mdn/error.hpp"
#include "mdn/transform_fit.hpp"

namespace mdn::detail {

namespace {

using Mode = TrainOptions::TargetTransformMode;

double column_min(const MatrixD& t, int d) {
  double smallest = std::numeric_limits<double>::infinity();
  for (int r = 0; r < t.rows; ++r) smallest = std::min(smallest, t(r, d));
  return smallest;
}

}  // namespace

std::vector<TargetTransform> fit_target_transforms(const TrainOptions& options, const ModelSpec& spec,
                                                   const Dataset& data, const std::vector<int>& train_idx,
                                                   const Dataset* validation, bool data_parallel) {
  const std::vector<Mode>& modes = options.target_transform;
  const int T = spec.target_dim;
  if (modes.empty()) return {};
  if (int(modes.size()) != 1 && int(modes.size()) != T)
    throw UsageError("TrainOptions::target_transform has " + std::to_string(modes.size()) + " entries for " +
                     std::to_string(T) + " targets (give one for all, or one per target)");
  const bool any = std::any_of(modes.begin(), modes.end(), [](Mode m) { return m != Mode::None; });
  if (!any) return {};
  if (spec.covariance == Covariance::Full)
    throw UsageError("a target transform is not supported with full-covariance components (use none)");
  for (float h : options.grid_steps)
    if (h > 0.0f)
      throw UsageError("a target transform is not supported with gridded targets (TrainOptions::grid_steps) yet: "
                       "the grid's cells are even in y, not in the transformed units");
  if (data_parallel)
    throw UsageError("a target transform is not supported in data-parallel training over several ranks yet "
                     "(use none, or train with one rank)");
  std::vector<TargetTransform> out;
  for (int d = 0; d < T; ++d) {
    const Mode mode = modes[modes.size() == 1 ? 0 : std::size_t(d)];
    std::vector<double> y;
    y.reserve(train_idx.size());
    for (int r : train_idx) y.push_back(data.t(r, d));
    // Every row the transform will meet: a log must hold for all of them.
    double smallest = column_min(data.t, d);
    if (validation != nullptr && validation->t.cols == T) smallest = std::min(smallest, column_min(validation->t, d));
    out.push_back(choose_target_transform(mode, y, data.target_names[std::size_t(d)], smallest));
  }
  return out;
}

void apply_target_transforms(const std::vector<TargetTransform>& g, MatrixD& t) {
  for (int d = 0; d < int(g.size()) && d < t.cols; ++d) {
    if (g[std::size_t(d)].identity()) continue;
    for (int r = 0; r < t.rows; ++r) t(r, d) = g[std::size_t(d)].forward(t(r, d));
  }
}

double mean_transform_jacobian(const std::vector<TargetTransform>& g, const MatrixD& t,
                               const std::vector<double>& weights) {
  if (g.empty() || t.rows == 0) return 0.0;
  double sum = 0.0, total = 0.0;
  for (int r = 0; r < t.rows; ++r) {
    const double w = weights.empty() ? 1.0 : weights[std::size_t(r)];
    double row = 0.0;
    for (int d = 0; d < int(g.size()); ++d) row -= g[std::size_t(d)].log_derivative(t(r, d));
    sum += w * row;
    total += w;
  }
  return total > 0.0 ? sum / total : 0.0;
}

}  // namespace mdn::detail
