// Summaries of each row's predictive mixture p(t | x), in original units:
// moments, marginal quantiles, modes and highest-density intervals. All run
// on the host in double precision from a MixtureBatch;
// batch versions thread over rows. docs/PREDICT.md gives the definitions
// and algorithms.
#pragma once
#include <limits>
#include <vector>

#include "mdn/mixture.hpp"

namespace mdn {

// ---- moments ------------------------------------------------------------------
// Marginal mean and standard deviation: rows x T each, index r * T + d.
// With the weights normalised (W = sum_k alpha_k): mean = sum_k alpha_k mu_kd / W,
// var = sum_k alpha_k (sigma_kd^2 + (mu_kd - mean)^2) / W (centred: exact far from 0).
struct PredictiveMoments {
  int rows = 0, T = 0;
  std::vector<double> mean;
  std::vector<double> stddev;
};
PredictiveMoments predictive_moments(const MixtureBatch& mix);

// ---- moments and quantiles together (what Backend::statistics returns) ------------
struct PredictiveStatistics {
  PredictiveMoments moments;      // as predictive_moments
  std::vector<double> quantiles;  // as predictive_quantiles: rows x T x L, index (r * T + d) * L + j
};

// ---- quantiles ----------------------------------------------------------------
// Throws UsageError naming the quantile level unless every level is a
// number in (0, 1) and no level repeats.
void validate_quantile_levels(const std::vector<double>& levels);

// The level-quantile of row `row`'s marginal in dimension d: the q with
// F(q) = level, solved inside the bracket [min_k q_k, max_k q_k] of the
// component quantiles by safeguarded Newton, with the weights normalised to
// sum to 1. |F(q) - level| <= 1e-13 (tighter in the far tails) unless the
// iteration reached rounding first (a Newton step or the bracket a few ulps
// of q: F jumps past the level within one ulp). Where F is flat at the level
// (a gap between components), any q of the flat stretch satisfies
// F(q) = level; the solver returns one of them.
// `lower` (default -inf) is a known lower bound on the answer; the batch
// version passes the previous level's quantile, which makes quantiles
// non-crossing.
double marginal_quantile(const MixtureBatch& mix, int row, int d, double level,
                         double lower = -std::numeric_limits<double>::infinity());

// Quantiles at every level for every row and dimension: rows x T x L,
// index (r * T + d) * L + j for levels[j] (levels in any order). For each
// (row, d) the quantiles are nondecreasing in the level.
std::vector<double> predictive_quantiles(const MixtureBatch& mix, const std::vector<double>& levels);

// ---- modes -------------------------------------------------------------------
struct Mode {
  std::vector<double> location;  // T
  double density = 0.0;          // p(location | x), the joint T-dim density, original units
};

// Every mode of row `row`'s joint T-dimensional density reached by
// fixed-point (mean-shift) iteration started from each positive-weight
// component mean, x <- (sum_k w_k(x) P_k)^-1 sum_k w_k(x) P_k mu_k with P_k
// the component's precision (diagonal or full covariance alike), polished
// by Newton's method on log p, kept only where the Hessian shows a maximum;
// duplicates (closer than 1e-3 of the smallest marginal sigma in every
// dimension) merged. Ranked by density, highest first; at most K of them.
// One target: through its transform and PIT map too. Several targets with a
// target transform: UsageError (not supported yet).
std::vector<Mode> mixture_modes(const MixtureBatch& mix, int row);
std::vector<std::vector<Mode>> predictive_modes(const MixtureBatch& mix);

// ---- covariance and correlation of the targets --------------------------------
// Row r's T x T covariance matrix of p(t | x) in original units, rows x T x T
// (index (r * T + i) * T + j; symmetric): centred,
//   Cov_ij = sum_k alpha_k (S_k,ij + (a_ki - m_i)(a_kj - m_j)) / sum_k alpha_k
// with S_k the component's covariance (A A^T for full covariance, diagonal
// otherwise) and a_k its mean; through a target transform a_kd is the
// component's mean of y_d (diagonal components only). The diagonal is
// predictive_moments' stddev squared. A recalibrated (PIT-mapped) mixture
// has one target; one with several is an Error.
std::vector<double> predictive_covariance(const MixtureBatch& mix);
// The same as correlations Cov_ij / (std_i std_j), in [-1, 1], 1 on the
// diagonal; NaN where a standard deviation is 0 or infinite.
std::vector<double> predictive_correlation(const MixtureBatch& mix);

// ---- highest-density intervals ------------------------------------------------
struct Interval {
  double lo = 0.0, hi = 0.0;
};
// The highest-density region of a 1-D marginal at a coverage c in (0, 1):
// {y : p(y) > threshold} with threshold chosen so that its mass is c. Several
// disjoint intervals when the marginal is multi-modal (at most K).
struct DensityRegion {
  std::vector<Interval> intervals;  // sorted, disjoint
  double threshold = 0.0;           // the density at every interval end
  double mass = 0.0;                // probability inside (= coverage to 1e-10)
};
// Throws UsageError naming the coverage unless 0 < coverage < 1.
void validate_coverage(double coverage);
DensityRegion highest_density_region(const MixtureBatch& mix, int row, int d, double coverage);
std::vector<DensityRegion> predictive_hdr(const MixtureBatch& mix, int d, double coverage);

}  // namespace mdn
