// Marginal quantiles of a Gaussian mixture: F(q) = level solved inside the
// bracket of the component quantiles.
//
// Why the bracket holds: with q_k = mu_k + sigma_k Phi^-1(level) and
// lo = min_k q_k, every term of F(lo) = sum_k alpha_k Phi((lo - mu_k)/sigma_k)
// is at most alpha_k * level, so F(lo) <= level; likewise F(max_k q_k) >= level.
// Phi^-1 here is a coarse approximation, so the bracket is checked against F
// and widened if needed: the guarantee does not rest on its accuracy.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <cstdio>
#include <string>

#include "core/mixture_row.hpp"
#include "core/root_finding.hpp"
#include "mdn/detail/marginal_math.hpp"
#include "mdn/error.hpp"
#include "mdn/predictive.hpp"

namespace mdn {
namespace {

std::string level_text(double p) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", p);
  return buf;
}

// Abramowitz & Stegun 26.2.23 (|error| < 4.5e-4): seeds the bracket only.
double approx_inverse_normal(double p) {
  const double tail = p < 0.5 ? p : 1.0 - p;
  const double t = std::sqrt(-2.0 * std::log(tail));
  const double x = t - (2.515517 + t * (0.802853 + t * 0.010328)) / (1.0 + t * (1.432788 + t * (0.189269 + t * 0.001308)));
  return p < 0.5 ? -x : x;
}

double solve_quantile(const detail::MixtureRow& m, int d, double level, double lower) {
  // The weights sum to 1 only up to float rounding; normalising keeps F's
  // range exactly [0, 1] so every level in (0, 1) has a root.
  double total = 0.0;
  for (int k = 0; k < m.K; ++k) total += double(m.alpha[k]);
  const auto cdf = [&](double y) { return detail::marginal_cdf(m.alpha, m.mu, m.sigma, m.K, m.T, d, y) / total; };

  const double z = approx_inverse_normal(level);
  double lo = std::numeric_limits<double>::infinity(), hi = -lo, max_sigma = 0.0;
  for (int k = 0; k < m.K; ++k) {
    if (!(m.alpha[k] > 0.0f)) continue;
    const double mu = m.mu[k * m.T + d], sigma = m.sigma[k * m.T + d];
    lo = std::min(lo, mu + sigma * z);
    hi = std::max(hi, mu + sigma * z);
    max_sigma = std::max(max_sigma, sigma);
  }
  if (!(max_sigma > 0.0) || !(total > 0.0)) throw Error("quantile: the mixture has no component with positive weight");
  double step = 1e-3 * max_sigma;
  for (int i = 0; i < 200 && cdf(lo) > level; ++i, step *= 2.0) lo -= step;
  step = 1e-3 * max_sigma;
  for (int i = 0; i < 200 && cdf(hi) < level; ++i, step *= 2.0) hi += step;

  if (lower > lo) {
    lo = lower;
    if (lo >= hi || cdf(lo) >= level) return lo;  // the previous (lower) level's answer already reaches this one
  }
  // Absolute tolerance 1e-13, tighter for levels in the far tails.
  const double f_tol = std::min(1e-13, 1e-9 * std::min(level, 1.0 - level));
  const auto fdf = [&](double y, double& f, double& df) {
    f = cdf(y) - level;
    df = detail::marginal_pdf(m.alpha, m.mu, m.sigma, m.K, m.T, d, y) / total;
  };
  return detail::safeguarded_newton(fdf, lo, hi, f_tol);
}

}  // namespace

void validate_quantile_levels(const std::vector<double>& levels) {
  for (std::size_t i = 0; i < levels.size(); ++i) {
    const double p = levels[i];
    if (!(p > 0.0 && p < 1.0))
      throw UsageError("--quantiles: every level must be strictly between 0 and 1, got " + level_text(p));
    for (std::size_t j = 0; j < i; ++j)
      if (levels[j] == p) throw UsageError("--quantiles: level " + level_text(p) + " is given twice");
  }
}

double marginal_quantile(const MixtureBatch& mix, int row, int d, double level, double lower) {
  if (row < 0 || row >= mix.rows || d < 0 || d >= mix.T) throw Error("marginal_quantile: row or dimension out of range");
  if (!(level > 0.0 && level < 1.0))
    throw UsageError("quantile level must be strictly between 0 and 1, got " + level_text(level));
  return solve_quantile(detail::mixture_row(mix, row), d, level, lower);
}

std::vector<double> predictive_quantiles(const MixtureBatch& mix, const std::vector<double>& levels) {
  validate_quantile_levels(levels);
  const int L = int(levels.size()), T = mix.T;
  // Solve in increasing level order, each bounded below by the previous
  // answer: non-crossing by construction.
  std::vector<int> order(L);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int a, int b) { return levels[a] < levels[b]; });
  std::vector<double> out(std::size_t(mix.rows) * T * L);
#pragma omp parallel for schedule(dynamic, 64)
  for (int r = 0; r < mix.rows; ++r) {
    const detail::MixtureRow m = detail::mixture_row(mix, r);
    for (int d = 0; d < T; ++d) {
      double previous = -std::numeric_limits<double>::infinity();
      for (const int j : order) {
        previous = solve_quantile(m, d, levels[j], previous);
        out[(std::size_t(r) * T + d) * L + j] = previous;
      }
    }
  }
  return out;
}

}  // namespace mdn
