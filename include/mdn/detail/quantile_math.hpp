// Marginal quantiles of one row's Gaussian mixture, written once for the CPU
// (src/core/predictive_quantiles.cpp) and the CUDA kernel
// (kernels/predictive.cu): F(q) = level solved inside the bracket of the
// component quantiles by safeguarded Newton (detail/root_finding.hpp).
//
// Why the bracket holds: with q_k = mu_k + sigma_k Phi^-1(level) and
// lo = min_k q_k, every term of F(lo) = sum_k alpha_k Phi((lo - mu_k)/sigma_k)
// is at most alpha_k * level, so F(lo) <= level; likewise F(max_k q_k) >= level.
// Phi^-1 here is a coarse approximation, so the bracket is checked against F
// and widened if needed: the guarantee does not rest on its accuracy.
//
// Row layout as detail/marginal_math.hpp: alpha[K], mu / sigma [k*T + d].
#pragma once
#include <cmath>

#include "mdn/detail/host_device.hpp"
#include "mdn/detail/marginal_math.hpp"
#include "mdn/detail/root_finding.hpp"

namespace mdn::detail {

// Abramowitz & Stegun 26.2.23 (|error| < 4.5e-4) for p in (0, 1): seeds the
// bracket only.
MDN_HD double approx_inverse_normal(double p) {
  const double tail = p < 0.5 ? p : 1.0 - p;
  const double t = sqrt(-2.0 * log(tail));
  const double x =
      t - (2.515517 + t * (0.802853 + t * 0.010328)) / (1.0 + t * (1.432788 + t * (0.189269 + t * 0.001308)));
  return p < 0.5 ? -x : x;
}

// Absolute tolerance on F(q) - level: 1e-13, tighter for levels in the far tails.
MDN_HD double quantile_f_tolerance(double level) {
  const double tail = level < 1.0 - level ? level : 1.0 - level;
  return fmin(1e-13, 1e-9 * tail);
}

// f(y) = F(y) / total - level and its derivative, F the marginal CDF of
// dimension d: the function safeguarded_newton solves.
template <class R>
struct QuantileEquation {
  const R* alpha;
  const R* mu;
  const R* sigma;
  int K, T, d;
  double total, level;

  MDN_HD double cdf(double y) const { return marginal_cdf(alpha, mu, sigma, K, T, d, y) / total; }
  MDN_HD void operator()(double y, double& f, double& df) const {
    f = cdf(y) - level;
    df = marginal_pdf(alpha, mu, sigma, K, T, d, y) / total;
  }
};

enum class QuantileStatus { Ok, NoPositiveWeight };

// The level-quantile (level in (0, 1)) of dimension d's marginal, at least
// `lower` (-kInfinity for none; the previous level's answer when solving
// levels in increasing order, which makes them non-crossing). Writes q (=).
// The weights are normalised by their sum: they sum to 1 only up to float
// rounding, and normalising keeps F's range exactly [0, 1] so every level in
// (0, 1) has a root. Returns NoPositiveWeight (q untouched) when no
// component has a positive weight and sigma.
template <class R>
MDN_HD QuantileStatus mixture_quantile(const R* alpha, const R* mu, const R* sigma, int K, int T, int d, double level,
                                       double lower, double& q) {
  double total = 0.0;
  for (int k = 0; k < K; ++k) total += double(alpha[k]);
  const QuantileEquation<R> eq{alpha, mu, sigma, K, T, d, total, level};

  const double z = approx_inverse_normal(level);
  double lo = kInfinity, hi = -kInfinity, max_sigma = 0.0;
  for (int k = 0; k < K; ++k) {
    if (!(alpha[k] > R(0))) continue;
    const double m = double(mu[k * T + d]), s = double(sigma[k * T + d]);
    lo = fmin(lo, m + s * z);
    hi = fmax(hi, m + s * z);
    max_sigma = fmax(max_sigma, s);
  }
  if (!(max_sigma > 0.0) || !(total > 0.0)) return QuantileStatus::NoPositiveWeight;
  double step = 1e-3 * max_sigma;
  for (int i = 0; i < 200 && eq.cdf(lo) > level; ++i, step *= 2.0) lo -= step;
  step = 1e-3 * max_sigma;
  for (int i = 0; i < 200 && eq.cdf(hi) < level; ++i, step *= 2.0) hi += step;

  if (lower > lo) {
    lo = lower;
    if (lo >= hi || eq.cdf(lo) >= level) {  // the previous (lower) level's answer already reaches this one
      q = lo;
      return QuantileStatus::Ok;
    }
  }
  q = safeguarded_newton(eq, lo, hi, quantile_f_tolerance(level));
  return QuantileStatus::Ok;
}

}  // namespace mdn::detail
