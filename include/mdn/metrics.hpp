// How good a predicted distribution is, in original units: the proper scores
// (NLL, CRPS, energy score), point errors of the mean and median, and
// calibration (PIT, reliability over a grid of levels, central-interval
// coverage and width). Every function is deterministic: per-row values are
// summed in row order whatever the thread count.
#pragma once
#include <cstdint>
#include <vector>

#include "mdn/matrix.hpp"
#include "mdn/mixture.hpp"
#include "mdn/predictive.hpp"

namespace mdn {

// ---- per-row scores ------------------------------------------------------------

// -log p(t | x) of row `row`'s joint mixture at t (T values), computed in log
// space: -logsumexp_k(log alpha_k + sum_d log N(t_d | mu_kd, sigma_kd)). In the
// units of t, i.e. the NLL on standardised data plus Standardizer::log_jacobian().
double mixture_nll(const MixtureBatch& mix, int row, const double* t);

// CRPS of the 1-D marginal of dimension d at the observation y (closed form,
// detail/crps_math.hpp). In the units of the target; 0 is a perfect point mass.
double mixture_crps(const MixtureBatch& mix, int row, int d, double y);

// Probability integral transform u = F_d(y | x) of the marginal of dimension d.
// Uniform on (0, 1) when the model is the true conditional distribution.
double mixture_pit(const MixtureBatch& mix, int row, int d, double y);

// Energy score (Gneiting and Raftery 2007) of one row from S draws (S x T,
// row-major) of its predictive distribution and the observation y (T):
//   ES = 1/S sum_i |X_i - y| - 1/(S (S-1)) sum_{i<j} |X_i - X_j|
// (Euclidean norms; the unbiased pair estimator, S >= 2). For T = 1 it
// estimates the CRPS.
double energy_score(const double* draws, int S, int T, const double* y);

// Joint calibration of several targets (docs/EVAL.md, "Joint calibration"):
// the number N of the S draws (S x T, row-major) of row `row`'s predictive
// distribution whose density is at least the density at the observation y,
// p(X_s | x) >= p(y | x) (compared through mixture_nll). N / S estimates the
// HDR PIT u = P(p(Y | x) >= p(y | x)), the mass of the smallest highest-density
// region that reaches y: y lies in the c-HDR exactly when u <= c. When y is a
// draw of the same distribution, N is uniform on {0, ..., S} for any S.
int joint_hdr_rank(const MixtureBatch& mix, int row, const double* draws, int S, const double* y);

// ---- a whole data set ----------------------------------------------------------

struct EvalOptions {
  // Levels tau of the reliability diagram: observed fraction of PIT <= tau.
  std::vector<double> calibration_levels{0.05, 0.10, 0.15, 0.20, 0.25, 0.30, 0.35, 0.40, 0.45, 0.50,
                                         0.55, 0.60, 0.65, 0.70, 0.75, 0.80, 0.85, 0.90, 0.95};
  // Central prediction intervals [q_{(1-c)/2}, q_{(1+c)/2}].
  std::vector<double> interval_levels{0.50, 0.80, 0.90, 0.95};
  int pit_bins = 20;
  // Draws per row for the energy score (only for T > 1).
  int energy_samples = 100;
  std::uint64_t seed = 0;
  // Sample weights, one per row (Dataset::weights; empty = every row 1):
  // every mean, fraction and histogram is then weighted (a row of weight 0
  // does not count, a row of weight 2 counts twice). EvalMetrics::rows still
  // counts rows.
  std::vector<double> weights;
};

struct IntervalCoverage {
  double level = 0.0;       // nominal, e.g. 0.9
  double coverage = 0.0;    // observed fraction of rows inside the interval
  double mean_width = 0.0;  // mean of q_hi - q_lo, target units
};

// Metrics of one target dimension d (its 1-D marginal).
struct TargetMetrics {
  double rmse = 0.0, mae = 0.0, r2 = 0.0;    // of the mixture mean
  double median_mae = 0.0;                   // MAE of the mixture median
  double crps = 0.0;                         // mean closed-form CRPS
  double mean_std = 0.0;                     // mean predictive standard deviation (sharpness)
  std::vector<double> calibration_levels;    // tau
  std::vector<double> calibration_observed;  // fraction of rows with PIT <= tau
  double calibration_error_mean = 0.0;       // mean over tau of |observed - tau|
  double calibration_error_max = 0.0;        // max over tau of |observed - tau|
  std::vector<IntervalCoverage> intervals;
  std::vector<double> pit_density;  // pit_bins values; 1 everywhere = uniform
};

// The joint calibration of T >= 2 targets, from joint_hdr_rank() with the
// energy score's draws (S per row): row r's HDR PIT is spread evenly over
// [N_r / (S+1), (N_r + 1) / (S+1)] (uniform on (0, 1) under calibration, for
// any S), and each fraction below is the weighted mean over rows of the
// share of that interval below the level.
struct JointCalibration {
  int samples = 0;                           // draws per row (S); 0 when T = 1 (not computed)
  std::vector<double> levels;                // c of the regions (EvalOptions::interval_levels)
  std::vector<double> coverage;              // fraction of rows inside the predicted c-HDR
  std::vector<double> standard_error;        // of coverage for a calibrated model (rows and draws)
  std::vector<double> mc_standard_error;     // the part of the error due to the S draws (an estimate)
  std::vector<double> calibration_levels;    // tau (EvalOptions::calibration_levels)
  std::vector<double> calibration_observed;  // fraction of rows with HDR PIT <= tau
  double calibration_error_mean = 0.0;       // mean over tau of |observed - tau|
  double calibration_error_max = 0.0;        // max over tau of |observed - tau|
  std::vector<double> pit_density;           // pit_bins values; 1 everywhere = uniform
};

struct EvalMetrics {
  int rows = 0;
  double nll = 0.0;                    // mean mixture_nll per row (target units)
  long long nll_infinite = 0;          // rows whose density underflowed to 0 (NLL = +inf)
  double energy_score = 0.0;           // mean over rows; NaN when T = 1 (the CRPS is the same score there)
  int energy_samples = 0;              // draws per row behind energy_score (0 when T = 1)
  // The standard error of energy_score as an estimate of the expected score:
  // the (weighted) spread of the rows' unbiased S-draw estimates over the
  // square root of the (effective) number of rows, so it holds both the
  // draws' Monte-Carlo error and the rows' sampling error. NaN when T = 1.
  double energy_score_standard_error = 0.0;
  std::vector<TargetMetrics> targets;  // T
  JointCalibration joint;              // T >= 2 only (joint.samples = 0 when T = 1)
};

// Per-row predictive statistics the metrics were computed from; the report
// draws its pictures from these.
struct RowStatistics {
  MatrixD mean, stddev, median, pit;  // rows x T each
  std::vector<MatrixD> lower, upper;  // one rows x T matrix per interval level
};

struct Evaluation {
  EvalMetrics metrics;
  RowStatistics rows;
};

// Scores `mix` (rows mixtures) against the observed targets t (rows x T).
// Throws mdn::Error when the shapes disagree or there are no rows.
Evaluation evaluate(const MixtureBatch& mix, const MatrixD& t, const EvalOptions& options = {});

// The quantile levels evaluate() needs, in its order: the median, then the
// (lower, upper) ends of each central interval of options.interval_levels.
std::vector<double> evaluation_quantile_levels(const EvalOptions& options);

// evaluate() with the predictive statistics already computed, for example on
// the GPU: stats = Backend::statistics(mix, evaluation_quantile_levels(options)).
Evaluation evaluate(const MixtureBatch& mix, const MatrixD& t, const EvalOptions& options,
                    const PredictiveStatistics& stats);

namespace detail {
// The running sums behind JointCalibration (math/joint_calibration.cpp),
// shared by evaluate() and EvalAccumulator: rows are added in row order.
struct JointCalibrationSums {
  int samples = 0;
  double weight = 0.0, weight_squared = 0.0;
  std::vector<double> inside, inside_mc_variance, below, pit;  // per level / per bin
  // A row with joint_hdr_rank() N of S draws, of weight w.
  void add(int rank, int S, double w, const EvalOptions& options);
  // The fractions over every row added (samples = 0 when none was).
  JointCalibration result(const EvalOptions& options) const;
};
}  // namespace detail

// evaluate() over rows that arrive in parts (a file read a part at a time,
// `mdn eval`), in memory that does not grow with the rows: each part's rows
// are scored as evaluate() scores them and added, in row order, to running
// sums in double, so the metrics of rows given in one part or in many are the
// same bits. The one difference from evaluate(): the R^2's total sum of
// squares comes from running sums of (y - s) and (y - s)^2 with s the first
// target value, S2 - S1^2 / W, instead of two passes around the mean. Near s,
// y - s is exact, so targets far from zero (a Unix time, 1.7e9 +- 1) keep
// every digit; a running mean (Welford) drifts by a rounding of 1.7e9 per
// row and was 1e-8 relative off on such targets, the shifted sums within
// 1e-12 of the definition (tests/cpu/eval_accumulator_test.cpp).
class EvalAccumulator {
 public:
  // options.weights is not used: each part brings its rows' weights.
  explicit EvalAccumulator(EvalOptions options);
  // Scores rows [first_row, first_row + mix.rows) of the whole input (the
  // global index keys the energy score's draws) with their weights (empty:
  // 1 each; finite and >= 0) and returns their per-row statistics. Throws
  // mdn::Error on shapes that disagree, UsageError on a bad weight.
  RowStatistics add(const MixtureBatch& mix, const MatrixD& t, const PredictiveStatistics& stats,
                    const std::vector<double>& weights, long long first_row);
  long long rows() const { return rows_; }
  double total_weight() const { return W_; }
  // The metrics of every row added. Throws mdn::Error when there is none.
  EvalMetrics metrics() const;

 private:
  struct TargetSums {
    double se = 0, ae = 0, median_ae = 0, sd = 0, crps = 0;  // weighted sums
    double shift = 0, s1 = 0, s2 = 0, weight = 0;            // sums of w (y - shift) and w (y - shift)^2
    std::vector<double> below, inside, width, pit;           // per level / bin
  };
  EvalOptions options_;
  detail::JointCalibrationSums joint_;
  long long rows_ = 0, nll_infinite_ = 0;
  double W_ = 0, nll_ = 0, energy_ = 0;
  double energy_sq_ = 0;  // sum w e^2 (with W_, energy_ and joint_'s sum w^2: its standard error)
  std::vector<TargetSums> targets_;
};

}  // namespace mdn
