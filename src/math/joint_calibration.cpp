// Joint calibration of several targets (mdn/metrics.hpp, docs/EVAL.md
// "Joint calibration"): where the observation falls among the densities of
// draws from its own predictive distribution.
//
// For a row with observation y and S draws X_s, N = #{s : p(X_s) >= p(y)}.
// When y is one more draw of the same distribution, the S + 1 densities are
// exchangeable, so N is uniform on {0, ..., S}; spreading the row evenly over
// [N / (S+1), (N+1) / (S+1)] makes its "HDR PIT" exactly uniform on (0, 1)
// for any S (the randomised rank of a rank histogram, without the random
// number: its expectation is added instead). As S grows, N / S tends to
// u = P(p(Y) >= p(y)), and y lies in the c highest-density region exactly
// when u <= c.
#include <algorithm>
#include <cmath>

#include "mdn/metrics.hpp"

namespace mdn {
namespace {

// The share of a row's interval [N, N+1] / (S+1) that lies below level c.
double share_below(double c, int rank, int S) { return std::clamp(c * (S + 1.0) - rank, 0.0, 1.0); }

// The variance, over fresh draws, of share_below(c, N', S) with N' ~
// Binomial(S, u) and u the row's own estimate (N + 1/2) / (S + 1): how much
// the row's contribution to a coverage would move with other draws. Summed
// over the binomial's bulk (+- 9 standard deviations; the rest weighs < 1e-18).
void share_variance(const std::vector<double>& levels, int rank, int S, std::vector<double>& out) {
  const double u = (rank + 0.5) / (S + 1.0);
  const double sd = std::sqrt(S * u * (1.0 - u));
  const int lo = std::max(0, int(std::floor(S * u - 9.0 * sd - 1.0)));
  const int hi = std::min(S, int(std::ceil(S * u + 9.0 * sd + 1.0)));
  const double log_norm = std::lgamma(S + 1.0), lu = std::log(u), l1u = std::log1p(-u);
  std::vector<double> e1(levels.size(), 0.0), e2(levels.size(), 0.0);
  double mass = 0.0;
  for (int n = lo; n <= hi; ++n) {
    const double p = std::exp(log_norm - std::lgamma(n + 1.0) - std::lgamma(S - n + 1.0) + n * lu + (S - n) * l1u);
    mass += p;
    for (std::size_t i = 0; i < levels.size(); ++i) {
      const double g = share_below(levels[i], n, S);
      e1[i] += p * g;
      e2[i] += p * g * g;
    }
  }
  out.resize(levels.size());
  for (std::size_t i = 0; i < levels.size(); ++i) {
    const double m1 = e1[i] / mass;
    out[i] = std::max(0.0, e2[i] / mass - m1 * m1);
  }
}

// E[share_below(c, N, S)^2] - c^2 with N uniform on {0, ..., S}: the variance
// of one calibrated row's contribution to the coverage at c.
double calibrated_share_variance(double c, int S) {
  const double span = S + 1.0;
  const double whole = std::min(span, std::floor(c * span));  // rows wholly below c
  const double f = c * span - whole;                          // the one partly below
  return std::max(0.0, (whole + (whole < span ? f * f : 0.0)) / span - c * c);
}

}  // namespace

int joint_hdr_rank(const MixtureBatch& mix, int row, const double* draws, int S, const double* y) {
  // Densities compared as NLLs (log space); an observation of density 0
  // (NLL +inf) is below every draw: N = S, outside every region.
  const double level = mixture_nll(mix, row, y);
  int n = 0;
  for (int s = 0; s < S; ++s) n += mixture_nll(mix, row, draws + std::size_t(s) * mix.T) <= level ? 1 : 0;
  return n;
}

namespace detail {

void JointCalibrationSums::add(int rank, int S, double w, const EvalOptions& options) {
  if (samples == 0) {
    samples = S;
    inside.assign(options.interval_levels.size(), 0.0);
    inside_mc_variance.assign(options.interval_levels.size(), 0.0);
    below.assign(options.calibration_levels.size(), 0.0);
    pit.assign(std::size_t(options.pit_bins), 0.0);
  }
  weight += w;
  weight_squared += w * w;
  if (w == 0.0) return;
  for (std::size_t i = 0; i < options.interval_levels.size(); ++i)
    inside[i] += w * share_below(options.interval_levels[i], rank, S);
  std::vector<double> variance;
  share_variance(options.interval_levels, rank, S, variance);
  for (std::size_t i = 0; i < variance.size(); ++i) inside_mc_variance[i] += w * w * variance[i];
  for (std::size_t j = 0; j < options.calibration_levels.size(); ++j)
    below[j] += w * share_below(options.calibration_levels[j], rank, S);
  // The row's interval [rank, rank + 1] / (S+1), spread over the bins it meets.
  const int B = options.pit_bins;
  const double span = S + 1.0, lo = rank / span, hi = (rank + 1) / span;
  for (int b = std::max(0, int(lo * B)); b <= std::min(B - 1, int(hi * B)); ++b) {
    const double overlap = std::min(hi, double(b + 1) / B) - std::max(lo, double(b) / B);
    if (overlap > 0.0) pit[std::size_t(b)] += w * overlap * span;
  }
}

JointCalibration JointCalibrationSums::result(const EvalOptions& options) const {
  JointCalibration j;
  if (samples == 0 || !(weight > 0.0)) return j;
  j.samples = samples;
  j.levels = options.interval_levels;
  for (std::size_t i = 0; i < j.levels.size(); ++i) {
    j.coverage.push_back(inside[i] / weight);
    j.standard_error.push_back(std::sqrt(calibrated_share_variance(j.levels[i], samples) * weight_squared) / weight);
    j.mc_standard_error.push_back(std::sqrt(inside_mc_variance[i]) / weight);
  }
  j.calibration_levels = options.calibration_levels;
  for (std::size_t k = 0; k < below.size(); ++k) {
    const double observed = below[k] / weight;
    j.calibration_observed.push_back(observed);
    const double gap = std::fabs(observed - options.calibration_levels[k]);
    j.calibration_error_mean += gap;
    j.calibration_error_max = std::max(j.calibration_error_max, gap);
  }
  if (!below.empty()) j.calibration_error_mean /= double(below.size());
  j.pit_density = pit;
  for (double& v : j.pit_density) v *= double(options.pit_bins) / weight;  // density: 1 = uniform
  return j;
}

}  // namespace detail
}  // namespace mdn
