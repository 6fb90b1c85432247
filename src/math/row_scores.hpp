// The per-row half of evaluate() (mdn/metrics.hpp), shared with
// EvalAccumulator, which sums the same per-row values over rows that arrive
// in parts: one implementation of each score, whichever way the rows come.
#pragma once
#include <vector>

#include "mdn/matrix.hpp"
#include "mdn/metrics.hpp"
#include "mdn/mixture.hpp"
#include "mdn/predictive.hpp"

namespace mdn::detail {

// Fills s (rows x T statistics), nll (per row) and crps (row * T + d) from
// the mixtures, the observed t and the predictive statistics. Throws
// mdn::Error when the shapes disagree or an option is out of range.
void score_rows(const MixtureBatch& mix, const MatrixD& t, const EvalOptions& options,
                const PredictiveStatistics& stats, RowStatistics& s, std::vector<double>& nll,
                std::vector<double>& crps);

// What each row's draws give (T >= 2): the energy score and the joint HDR
// rank (joint_hdr_rank) of the observation among options.energy_samples draws.
struct JointRowScores {
  std::vector<double> energy;
  std::vector<int> hdr_rank;
};

// The joint scores of each row from options.energy_samples draws, keyed on
// (options.seed, first_row + row, sample): a row gets the same draws whether
// it is scored alone, in a part, or with the whole file.
JointRowScores joint_scores(const MixtureBatch& mix, const MatrixD& t, const EvalOptions& options,
                            long long first_row);

// Sums over rows of one score e with weights w, added row by row, and the
// standard error of their weighted mean (EvalMetrics::energy_score_standard_error).
struct WeightedSums {
  double w = 0.0, we = 0.0, wee = 0.0, ww = 0.0;
  void add(double weight, double e) {
    if (weight == 0.0) return;
    w += weight;
    we += weight * e;
    wee += weight * e * e;
    ww += weight * weight;
  }
  // The weighted variance over (effective rows - 1), effective rows
  // (sum w)^2 / sum w^2; NaN below two.
  double standard_error() const;
};

}  // namespace mdn::detail
