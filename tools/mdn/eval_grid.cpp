#include "eval_grid.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "mdn/grid.hpp"

namespace mdn::cli {

namespace {

// detect_grid_step rounds the step it reports to 4 digits (0.0055555... ->
// 0.005556 for Fahrenheit hundredths in Celsius), which drifts by more than a
// step over 10,000 steps. The rows are checked against the step the column
// itself gives: its range over its number of steps, counted with the smallest
// gap between its values (exact but for float rounding). Also sets origin to
// the smallest value.
double unrounded_step(const MatrixD& t, int d, double& origin) {
  std::vector<double> v(std::size_t(t.rows));
  for (int r = 0; r < t.rows; ++r) v[std::size_t(r)] = t(r, d);
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  origin = v.front();
  double gap = INFINITY;
  for (std::size_t i = 1; i < v.size(); ++i) gap = std::min(gap, v[i] - v[i - 1]);
  const double range = v.back() - v.front();
  return v.size() < 2 ? 0.0 : range / std::round(range / gap);
}

}  // namespace

void GridCellTally::start(const MatrixD& t) {
  started_ = true;
  steps_ = model_.grid_step;
  if (!steps_.empty()) return;
  steps_.assign(std::size_t(t.cols), 0.0f);
  origin_.assign(std::size_t(t.cols), 0.0);
  exact_step_.assign(std::size_t(t.cols), 0.0);
  for (int d = 0; d < t.cols; ++d) {
    const double h = detect_grid_step(t, d);
    if (h <= 0.0) continue;
    steps_[std::size_t(d)] = float(h);
    detected_ = true;
    exact_step_[std::size_t(d)] = unrounded_step(t, d, origin_[std::size_t(d)]);
  }
}

void GridCellTally::add(const MixtureBatch& mix, const MatrixD& t, const std::vector<double>& weights) {
  if (!started_) start(t);
  // A box of a correlated Gaussian is computed for T <= 2 (mdn/grid.hpp).
  full_covariance_ = mix.full_covariance() && mix.T > 2;
  if (!gridded() || full_covariance_ || off_grid_) return;
  if (detected_)  // the rows after the first part: on the detected grid (detect_grid_step's tolerance)?
    for (int d = 0; d < t.cols && !off_grid_; ++d) {
      const double h = exact_step_[std::size_t(d)];
      if (h <= 0.0) continue;
      for (int r = 0; r < t.rows && !off_grid_; ++r) {
        const double n = (t(r, d) - origin_[std::size_t(d)]) / h;
        off_grid_ = std::fabs(n - std::round(n)) > 0.01;
      }
    }
  if (off_grid_) return;
  for (int r = 0; r < t.rows; ++r) {
    const double w = weights.empty() ? 1.0 : weights[std::size_t(r)];
    weight_ += w;
    if (w > 0.0) sum_ -= w * cell_log_mass(mix, r, t.row(r), steps_);
  }
}

double GridCellTally::finish(bool quiet) const {
  if (!gridded() || (detected_ && off_grid_)) return NAN;
  for (std::size_t d = 0; !quiet && detected_ && d < steps_.size(); ++d)
    if (steps_[d] > 0.0f)
      std::fprintf(stderr,
                   "mdn eval: warning: target '%s' sits on a grid of step %g in these rows: the density NLL can be "
                   "meaninglessly low; see the grid-cell NLL\n",
                   model_.target_names[d].c_str(), double(steps_[d]));
  if (full_covariance_) {
    // A cell of a full-covariance Gaussian over more than 2 targets is a
    // box probability cell_log_mass does not compute.
    if (!quiet)
      std::fprintf(stderr,
                 "mdn eval: note: the grid-cell NLL is not computed for full-covariance models of more than 2 "
                 "targets\n");
    return NAN;
  }
  const double cell_nll = sum_ / std::max(1e-300, weight_);
  std::string text;
  char buf[64];
  for (std::size_t d = 0; d < steps_.size(); ++d) {
    std::snprintf(buf, sizeof buf, "%g", double(steps_[d]));
    text += (d ? ", " : "") + std::string(buf);
  }
  std::snprintf(buf, sizeof buf, "%.5f", cell_nll);
  std::printf("\n%-34s  %s  (grid step %s%s)\n", "NLL of the grid cells (nats)", std::isfinite(cell_nll) ? buf : "n/a",
              text.c_str(), model_.grid_step.empty() ? ", detected in the data" : ", from the model");
  return cell_nll;
}

}  // namespace mdn::cli
