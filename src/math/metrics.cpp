#include "math/parallel_rows.hpp"
#include "mdn/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "math/recalibrated.hpp"
#include "math/row_scores.hpp"
#include "math/transformed.hpp"
#include "mdn/dataset.hpp"
#include "mdn/detail/crps_math.hpp"
#include "mdn/detail/marginal_math.hpp"
#include "mdn/detail/mixture_math.hpp"
#include "mdn/error.hpp"
#include "mdn/predictive.hpp"
#include "mdn/sampling.hpp"

namespace mdn {
namespace {

const double* alpha_row(const MixtureBatch& mix, int row) { return mix.alpha.data() + std::size_t(row) * mix.K; }
const double* mu_row(const MixtureBatch& mix, int row) { return mix.mu.data() + std::size_t(row) * mix.K * mix.T; }
const double* sigma_row(const MixtureBatch& mix, int row) {
  return mix.sigma.data() + std::size_t(row) * mix.K * mix.T;
}
// The PIT map of a recalibrated one-target batch, else null. A batch with
// maps and several targets has no joint density defined here.
const PitMap* recalibrated_one_target(const MixtureBatch& mix) {
  if (mix.pit_maps.empty()) return nullptr;
  if (mix.T != 1) throw Error("a recalibrated mixture (PIT maps) must have one target; this one has T = " +
                              std::to_string(mix.T));
  return mix.pit_map(0);
}

double weight_sum(const MixtureBatch& mix, int row) {
  double total = 0.0;
  for (int k = 0; k < mix.K; ++k) total += alpha_row(mix, row)[k];
  return total;
}

// Rows [begin, end) of a batch, so that draws for the energy score are made a
// chunk at a time instead of rows x S x T floats at once.
MixtureBatch slice_rows(const MixtureBatch& mix, int begin, int end) {
  MixtureBatch out;
  out.rows = end - begin;
  out.K = mix.K;
  out.T = mix.T;
  const std::size_t kt = std::size_t(mix.K) * mix.T;
  out.alpha.assign(mix.alpha.begin() + std::size_t(begin) * mix.K, mix.alpha.begin() + std::size_t(end) * mix.K);
  out.mu.assign(mix.mu.begin() + begin * kt, mix.mu.begin() + end * kt);
  out.sigma.assign(mix.sigma.begin() + begin * kt, mix.sigma.begin() + end * kt);
  if (mix.full_covariance()) {
    const std::size_t kp = std::size_t(mix.K) * mix.chol_size();
    out.chol.assign(mix.chol.begin() + begin * kp, mix.chol.begin() + end * kp);
  }
  out.pit_maps = mix.pit_maps;
  out.transforms = mix.transforms;
  return out;
}

void check_options(const EvalOptions& o) {
  for (double tau : o.calibration_levels)
    if (!(tau > 0.0 && tau < 1.0)) throw UsageError("calibration levels must lie in (0, 1)");
  for (double c : o.interval_levels)
    if (!(c > 0.0 && c < 1.0)) throw UsageError("interval levels must lie in (0, 1)");
  if (o.pit_bins < 1) throw UsageError("the PIT histogram needs at least one bin");
  if (o.energy_samples < 2) throw UsageError("the energy score needs at least 2 draws per row");
}

// A row's sample weight (EvalOptions::weights; 1 when there are none).
double row_weight(const EvalOptions& o, int r) { return o.weights.empty() ? 1.0 : o.weights[std::size_t(r)]; }

// The weighted mean of per-row values (row order: the same sum for any
// thread count); a row of weight 0 does not count, even where it is infinite.
double weighted_mean(const std::vector<double>& v, const EvalOptions& o, double total_weight) {
  double s = 0.0;
  for (std::size_t r = 0; r < v.size(); ++r) {
    const double w = row_weight(o, int(r));
    if (w != 0.0) s += w * v[r];
  }
  return v.empty() ? 0.0 : s / total_weight;
}

// Per-target summaries from the per-row statistics; every mean and fraction
// is weighted by the rows' sample weights (W is their sum; n without them).
TargetMetrics summarize_target(const Evaluation& e, const MatrixD& t, int d, const std::vector<double>& crps,
                               const EvalOptions& options, double W) {
  const RowStatistics& s = e.rows;
  const int n = t.rows;
  const auto w = [&](int r) { return row_weight(options, r); };
  TargetMetrics m;
  double t_sum = 0.0;
  for (int r = 0; r < n; ++r) t_sum += w(r) * t(r, d);
  const double t_mean = t_sum / W;
  double se = 0.0, ae = 0.0, median_ae = 0.0, tot = 0.0, sd = 0.0, crps_sum = 0.0;
  for (int r = 0; r < n; ++r) {
    const double y = t(r, d);
    const double err = y - s.mean(r, d);
    se += w(r) * err * err;
    ae += w(r) * std::fabs(err);
    median_ae += w(r) * std::fabs(y - s.median(r, d));
    tot += w(r) * (y - t_mean) * (y - t_mean);
    sd += w(r) * s.stddev(r, d);
    crps_sum += w(r) * crps[std::size_t(r) * t.cols + d];
  }
  m.rmse = std::sqrt(se / W);
  m.mae = ae / W;
  m.median_mae = median_ae / W;
  // A constant target has no variance to explain: R^2 is undefined (NaN).
  m.r2 = tot > 0.0 ? 1.0 - se / tot : std::numeric_limits<double>::quiet_NaN();
  m.mean_std = sd / W;
  m.crps = crps_sum / W;

  // Reliability: the fraction of rows whose PIT is at most tau should be tau.
  m.calibration_levels = options.calibration_levels;
  for (double tau : options.calibration_levels) {
    double below = 0.0;
    for (int r = 0; r < n; ++r) below += s.pit(r, d) <= tau ? w(r) : 0.0;
    const double observed = below / W;
    m.calibration_observed.push_back(observed);
    const double gap = std::fabs(observed - tau);
    m.calibration_error_mean += gap;
    m.calibration_error_max = std::max(m.calibration_error_max, gap);
  }
  if (!options.calibration_levels.empty()) m.calibration_error_mean /= double(options.calibration_levels.size());

  // Coverage through the PIT: t lies in [q_lo, q_hi] exactly when F(t) lies in
  // [(1-c)/2, (1+c)/2] (F is continuous and increasing), so the count does not
  // depend on how precisely the quantile solver converged.
  for (std::size_t i = 0; i < options.interval_levels.size(); ++i) {
    const double c = options.interval_levels[i];
    const double lo = 0.5 * (1.0 - c), hi = 0.5 * (1.0 + c);
    double inside = 0.0, width = 0.0;
    for (int r = 0; r < n; ++r) {
      const double u = s.pit(r, d);
      inside += (u >= lo && u <= hi) ? w(r) : 0.0;
      width += w(r) * (s.upper[i](r, d) - s.lower[i](r, d));
    }
    m.intervals.push_back({c, inside / W, width / W});
  }

  m.pit_density.assign(options.pit_bins, 0.0);
  for (int r = 0; r < n; ++r) {
    const int b = std::min(options.pit_bins - 1, std::max(0, int(s.pit(r, d) * options.pit_bins)));
    m.pit_density[b] += w(r);
  }
  for (double& v : m.pit_density) v *= double(options.pit_bins) / W;  // density: 1 = uniform
  return m;
}

// log N(t | mu_k, A A^T) of a full-covariance component: u = A^-1 (t - mu)
// by forward substitution, -0.5 |u|^2 - sum_d log A_dd - T/2 log 2pi.
double full_component_log_density(const MixtureBatch& mix, int row, int k, const double* t) {
  const double* A = mix.factor(row, k);
  const double* mu = mu_row(mix, row) + std::size_t(k) * mix.T;
  double u[kMaxTargetDim];
  double l = 0.0;
  for (int i = 0; i < mix.T; ++i) {
    const double* ai = A + i * (i + 1) / 2;
    double v = t[i] - mu[i];
    for (int j = 0; j < i; ++j) v -= ai[j] * u[j];
    u[i] = v / ai[i];
    l += -0.5 * u[i] * u[i] - std::log(ai[i]) - detail::kHalfLog2Pi;
  }
  return l;
}

}  // namespace

namespace detail {

// Draws options.energy_samples per row a chunk of rows at a time (not rows x
// S x T values at once); they are keyed on (seed, global row, sample), so
// chunking does not change them.
JointRowScores joint_scores(const MixtureBatch& mix, const MatrixD& t, const EvalOptions& options,
                            long long first_row) {
  constexpr int kChunkRows = 2048;
  const int S = options.energy_samples, T = mix.T;
  SampleOptions sampling;
  sampling.seed = options.seed;
  JointRowScores out;
  out.energy.resize(std::size_t(mix.rows));
  out.hdr_rank.resize(std::size_t(mix.rows));
  for (int begin = 0; begin < mix.rows; begin += kChunkRows) {
    const int end = std::min(mix.rows, begin + kChunkRows);
    const std::vector<double> draws = sample_mixtures(slice_rows(mix, begin, end), S, sampling, first_row + begin);
#pragma omp parallel for schedule(static)
    for (int r = begin; r < end; ++r) {
      const double* row_draws = draws.data() + std::size_t(r - begin) * S * T;
      out.energy[std::size_t(r)] = energy_score(row_draws, S, T, t.row(r));
      out.hdr_rank[std::size_t(r)] = joint_hdr_rank(mix, r, row_draws, S, t.row(r));
    }
  }
  return out;
}

void score_rows(const MixtureBatch& mix, const MatrixD& t, const EvalOptions& options,
                const PredictiveStatistics& stats, RowStatistics& s, std::vector<double>& nll,
                std::vector<double>& crps) {
  check_options(options);
  if (t.rows != mix.rows || t.cols != mix.T)
    throw Error("evaluate: " + std::to_string(t.rows) + " x " + std::to_string(t.cols) + " targets for " +
                std::to_string(mix.rows) + " mixtures over " + std::to_string(mix.T) + " dimensions");
  const int n = t.rows, T = t.cols;
  const std::size_t levels = options.interval_levels.size();
  s.mean = s.stddev = s.median = s.pit = MatrixD(n, T);
  s.lower.assign(levels, MatrixD(n, T));
  s.upper.assign(levels, MatrixD(n, T));
  nll.assign(std::size_t(n), 0.0);
  crps.assign(std::size_t(n) * T, 0.0);

  const std::size_t L = 1 + 2 * levels;
  const std::vector<double>& q = stats.quantiles;    // (r*T + d)*L + j
  const PredictiveMoments& moments = stats.moments;  // r*T + d
  if (q.size() != std::size_t(n) * T * L || moments.mean.size() != std::size_t(n) * T ||
      moments.stddev.size() != moments.mean.size())
    throw Error("evaluate: the predictive statistics do not match the rows and levels");

  // Rows are independent; each writes only its own slots, and every sum
  // over them runs in row order afterwards, so no result depends on threads.
  detail::for_each_row(n, 64, [&](int r) {
    nll[r] = mixture_nll(mix, r, t.row(r));
    for (int d = 0; d < T; ++d) {
      const double y = t(r, d);
      const std::size_t rd = std::size_t(r) * T + d;
      s.mean(r, d) = moments.mean[rd];
      s.stddev(r, d) = moments.stddev[rd];
      s.median(r, d) = q[rd * L];
      s.pit(r, d) = mixture_pit(mix, r, d, y);
      crps[rd] = mixture_crps(mix, r, d, y);
      for (std::size_t i = 0; i < levels; ++i) {
        s.lower[i](r, d) = q[rd * L + 1 + 2 * i];
        s.upper[i](r, d) = q[rd * L + 2 + 2 * i];
      }
    }
  });
}

}  // namespace detail

double mixture_nll(const MixtureBatch& mix, int row, const double* t) {
  if (mix.transformed()) {
    // The mixture's NLL at u = g(y), minus the log Jacobian sum_d log g_d'(y_d);
    // a y outside a transform's domain has density 0.
    if (mix.full_covariance()) throw Error("mixture_nll: a full-covariance mixture cannot carry target transforms");
    double u[kMaxTargetDim], log_jacobian = 0.0;
    for (int d = 0; d < mix.T; ++d) {
      const TargetTransform* g = mix.transform(d);
      if (g != nullptr && !g->in_domain(t[d])) return std::numeric_limits<double>::infinity();
      u[d] = g != nullptr ? g->forward(t[d]) : t[d];
      log_jacobian += g != nullptr ? g->log_derivative(t[d]) : 0.0;
    }
    MixtureBatch plain = slice_rows(mix, row, row + 1);
    plain.transforms.clear();
    return mixture_nll(plain, 0, u) - log_jacobian;
  }
  if (mix.full_covariance()) {
    if (!mix.pit_maps.empty()) throw Error("mixture_nll: a full-covariance mixture cannot carry PIT maps");
    detail::LogSumExp<double> lse;
    for (int k = 0; k < mix.K; ++k)
      if (mix.weight(row, k) > 0.0) lse.add(std::log(mix.weight(row, k)) + full_component_log_density(mix, row, k, t));
    return std::log(weight_sum(mix, row)) - lse.value();
  }
  const double* a = alpha_row(mix, row);
  const double* mu = mu_row(mix, row);
  const double* sigma = sigma_row(mix, row);
  detail::LogSumExp<double> lse;
  for (int k = 0; k < mix.K; ++k) {
    // alpha comes from a softmax in float; a weight that underflowed to 0
    // contributes exp(-inf) = 0, which is what it is worth.
    if (!(a[k] > 0.0)) continue;
    double l = std::log(a[k]);
    for (int d = 0; d < mix.T; ++d) {
      const double s = sigma[k * mix.T + d];
      const double u = (t[d] - mu[k * mix.T + d]) / s;
      l += -0.5 * u * u - std::log(s) - detail::kHalfLog2Pi;
    }
    lse.add(l);
  }
  // The weights, normalised (they sum to 1 only up to float rounding).
  const double nll = std::log(weight_sum(mix, row)) - lse.value();
  // Recalibrated (T = 1): the density is g(F(y)) f(y).
  const PitMap* g = recalibrated_one_target(mix);
  if (g == nullptr) return nll;
  return nll - std::log(g->density(detail::row_marginal(mix, row, 0).cdf(t[0])));
}

double mixture_crps(const MixtureBatch& mix, int row, int d, double y) {
  if (mix.transform(d) != nullptr) return detail::transformed_crps(detail::transformed_marginal(mix, row, d), y);
  if (const PitMap* g = mix.pit_map(d)) return detail::recalibrated_crps(detail::row_marginal(mix, row, d), *g, y);
  return detail::marginal_crps(alpha_row(mix, row), mu_row(mix, row), sigma_row(mix, row), mix.K, mix.T, d, y);
}

double mixture_pit(const MixtureBatch& mix, int row, int d, double y) {
  if (const TargetTransform* g = mix.transform(d)) {
    if (!g->in_domain(y)) return 0.0;  // below all of the distribution's mass
    y = g->forward(y);
  }
  const double u =
      detail::marginal_cdf(alpha_row(mix, row), mu_row(mix, row), sigma_row(mix, row), mix.K, mix.T, d, y) /
      weight_sum(mix, row);
  const PitMap* g = mix.pit_map(d);
  return g != nullptr ? g->forward(u) : u;
}

double energy_score(const double* draws, int S, int T, const double* y) {
  auto distance = [T](const double* a, const double* b) {
    double s = 0.0;
    for (int d = 0; d < T; ++d) s += (a[d] - b[d]) * (a[d] - b[d]);
    return std::sqrt(s);
  };
  double to_observation = 0.0, between = 0.0;
  for (int i = 0; i < S; ++i) {
    to_observation += distance(draws + std::size_t(i) * T, y);
    for (int j = i + 1; j < S; ++j) between += distance(draws + std::size_t(i) * T, draws + std::size_t(j) * T);
  }
  return to_observation / S - between / (double(S) * (S - 1));
}

std::vector<double> evaluation_quantile_levels(const EvalOptions& options) {
  // The median, then (lo, hi) per interval; the batch solver keeps them
  // non-crossing.
  std::vector<double> q_levels{0.5};
  for (double c : options.interval_levels) {
    q_levels.push_back(0.5 * (1.0 - c));
    q_levels.push_back(0.5 * (1.0 + c));
  }
  return q_levels;
}

Evaluation evaluate(const MixtureBatch& mix, const MatrixD& t, const EvalOptions& options) {
  check_options(options);
  PredictiveStatistics stats;
  stats.quantiles = predictive_quantiles(mix, evaluation_quantile_levels(options));
  stats.moments = predictive_moments(mix);
  return evaluate(mix, t, options, stats);
}

namespace detail {
double WeightedSums::standard_error() const {
  const double rows = ww > 0.0 ? w * w / ww : 0.0;
  if (!(rows > 1.0)) return std::numeric_limits<double>::quiet_NaN();
  const double mean = we / w;
  return std::sqrt(std::max(0.0, wee / w - mean * mean) / (rows - 1.0));
}
}  // namespace detail

Evaluation evaluate(const MixtureBatch& mix, const MatrixD& t, const EvalOptions& options,
                    const PredictiveStatistics& stats) {
  check_options(options);
  if (t.rows != mix.rows || t.cols != mix.T)
    throw Error("evaluate: " + std::to_string(t.rows) + " x " + std::to_string(t.cols) + " targets for " +
                std::to_string(mix.rows) + " mixtures over " + std::to_string(mix.T) + " dimensions");
  if (t.rows == 0) throw Error("evaluate: no rows to score");
  check_weights(options.weights, t.rows, "EvalOptions::weights");
  const int n = t.rows, T = t.cols;
  Evaluation e;
  std::vector<double> nll, crps;
  detail::score_rows(mix, t, options, stats, e.rows, nll, crps);

  EvalMetrics& m = e.metrics;
  m.rows = n;
  double W = 0.0;
  for (int r = 0; r < n; ++r) W += row_weight(options, r);
  m.nll = weighted_mean(nll, options, W);
  for (int r = 0; r < n; ++r) m.nll_infinite += std::isinf(nll[std::size_t(r)]) && row_weight(options, r) > 0 ? 1 : 0;
  for (int d = 0; d < T; ++d) m.targets.push_back(summarize_target(e, t, d, crps, options, W));
  if (T > 1) {
    const detail::JointRowScores joint = detail::joint_scores(mix, t, options, 0);
    m.energy_samples = options.energy_samples;
    m.energy_score = weighted_mean(joint.energy, options, W);
    detail::WeightedSums sums_e;
    for (int r = 0; r < n; ++r) sums_e.add(row_weight(options, r), joint.energy[std::size_t(r)]);
    m.energy_score_standard_error = sums_e.standard_error();
    detail::JointCalibrationSums sums;
    for (int r = 0; r < n; ++r)
      sums.add(joint.hdr_rank[std::size_t(r)], options.energy_samples, row_weight(options, r), options);
    m.joint = sums.result(options);
  } else {
    m.energy_score = std::numeric_limits<double>::quiet_NaN();
    m.energy_score_standard_error = std::numeric_limits<double>::quiet_NaN();
  }
  return e;
}

}  // namespace mdn
