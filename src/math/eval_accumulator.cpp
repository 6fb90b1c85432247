// EvalAccumulator (mdn/metrics.hpp): evaluate()'s sums, kept running over
// parts. Every sum adds the same per-row terms in the same row order as
// evaluate() does, so one part gives evaluate()'s bits (but for the R^2's
// total sum of squares, see the header).
#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "math/row_scores.hpp"
#include "mdn/dataset.hpp"
#include "mdn/error.hpp"
#include "mdn/metrics.hpp"

namespace mdn {

EvalAccumulator::EvalAccumulator(EvalOptions options) : options_(std::move(options)) { options_.weights.clear(); }

RowStatistics EvalAccumulator::add(const MixtureBatch& mix, const MatrixD& t, const PredictiveStatistics& stats,
                                   const std::vector<double>& weights, long long first_row) {
  check_weights(weights, t.rows, "EvalAccumulator: the weights", false);
  EvalOptions options = options_;
  options.weights = weights;
  RowStatistics s;
  std::vector<double> nll, crps;
  detail::score_rows(mix, t, options, stats, s, nll, crps);
  const int n = t.rows, T = t.cols;
  detail::JointRowScores joint;
  if (T > 1) joint = detail::joint_scores(mix, t, options, first_row);
  if (targets_.empty()) {
    targets_.resize(std::size_t(T));
    for (TargetSums& g : targets_) {
      g.below.assign(options_.calibration_levels.size(), 0.0);
      g.inside.assign(options_.interval_levels.size(), 0.0);
      g.width.assign(options_.interval_levels.size(), 0.0);
      g.pit.assign(std::size_t(options_.pit_bins), 0.0);
    }
  } else if (int(targets_.size()) != T) {
    throw Error("EvalAccumulator: a part with " + std::to_string(T) + " targets after parts with " +
                std::to_string(targets_.size()));
  }
  for (int r = 0; r < n; ++r) {
    const double w = weights.empty() ? 1.0 : weights[std::size_t(r)];
    W_ += w;
    if (w != 0.0) nll_ += w * nll[std::size_t(r)];
    nll_infinite_ += std::isinf(nll[std::size_t(r)]) && w > 0 ? 1 : 0;
    if (T > 1 && w != 0.0) {
      const double e = joint.energy[std::size_t(r)];
      energy_ += w * e;
      energy_sq_ += w * e * e;
    }
    if (T > 1) joint_.add(joint.hdr_rank[std::size_t(r)], options_.energy_samples, w, options_);
    for (int d = 0; d < T; ++d) {
      TargetSums& g = targets_[std::size_t(d)];
      const double y = t(r, d);
      const double err = y - s.mean(r, d);
      g.se += w * err * err;
      g.ae += w * std::fabs(err);
      g.median_ae += w * std::fabs(y - s.median(r, d));
      g.sd += w * s.stddev(r, d);
      g.crps += w * crps[std::size_t(r) * T + d];
      if (w > 0.0) {  // sums of y - shift, the first y: no cancellation far from zero
        if (g.weight == 0.0) g.shift = y;
        const double v = y - g.shift;
        g.weight += w;
        g.s1 += w * v;
        g.s2 += w * v * v;
      }
      const double u = s.pit(r, d);
      for (std::size_t j = 0; j < options_.calibration_levels.size(); ++j)
        g.below[j] += u <= options_.calibration_levels[j] ? w : 0.0;
      for (std::size_t i = 0; i < options_.interval_levels.size(); ++i) {
        const double c = options_.interval_levels[i];
        g.inside[i] += (u >= 0.5 * (1.0 - c) && u <= 0.5 * (1.0 + c)) ? w : 0.0;
        g.width[i] += w * (s.upper[i](r, d) - s.lower[i](r, d));
      }
      g.pit[std::size_t(std::min(options_.pit_bins - 1, std::max(0, int(u * options_.pit_bins))))] += w;
    }
  }
  rows_ += n;
  return s;
}

EvalMetrics EvalAccumulator::metrics() const {
  if (rows_ == 0) throw Error("evaluate: no rows to score");
  if (!(W_ > 0.0)) throw UsageError("the weights: every weight is 0; at least one row must have a positive weight");
  EvalMetrics m;
  m.rows = int(rows_);
  m.nll = nll_ / W_;
  m.nll_infinite = nll_infinite_;
  const int T = int(targets_.size());
  for (const TargetSums& g : targets_) {
    TargetMetrics t;
    t.rmse = std::sqrt(g.se / W_);
    t.mae = g.ae / W_;
    t.median_mae = g.median_ae / W_;
    // A constant target has no variance to explain: R^2 is undefined (NaN).
    const double sst = g.weight > 0.0 ? g.s2 - g.s1 * (g.s1 / g.weight) : 0.0;
    t.r2 = sst > 0.0 ? 1.0 - g.se / sst : std::numeric_limits<double>::quiet_NaN();
    t.mean_std = g.sd / W_;
    t.crps = g.crps / W_;
    t.calibration_levels = options_.calibration_levels;
    for (std::size_t j = 0; j < options_.calibration_levels.size(); ++j) {
      const double observed = g.below[j] / W_;
      t.calibration_observed.push_back(observed);
      const double gap = std::fabs(observed - options_.calibration_levels[j]);
      t.calibration_error_mean += gap;
      t.calibration_error_max = std::max(t.calibration_error_max, gap);
    }
    if (!options_.calibration_levels.empty()) t.calibration_error_mean /= double(options_.calibration_levels.size());
    for (std::size_t i = 0; i < options_.interval_levels.size(); ++i)
      t.intervals.push_back({options_.interval_levels[i], g.inside[i] / W_, g.width[i] / W_});
    t.pit_density = g.pit;
    for (double& v : t.pit_density) v *= double(options_.pit_bins) / W_;  // density: 1 = uniform
    m.targets.push_back(std::move(t));
  }
  if (T > 1) {
    m.energy_samples = options_.energy_samples;
    m.energy_score = energy_ / W_;
    detail::WeightedSums sums;
    sums.w = W_;
    sums.we = energy_;
    sums.wee = energy_sq_;
    sums.ww = joint_.weight_squared;  // the joint sums count every row's w^2 already
    m.energy_score_standard_error = sums.standard_error();
    m.joint = joint_.result(options_);
  } else {
    m.energy_score = std::numeric_limits<double>::quiet_NaN();
    m.energy_score_standard_error = std::numeric_limits<double>::quiet_NaN();
  }
  return m;
}

}  // namespace mdn
