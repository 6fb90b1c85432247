// Test helpers: hand-made and random MixtureBatch rows, and an independent
// reference inverse normal CDF for the quantile tests.
#pragma once
#include <cmath>
#include <random>
#include <vector>

#include "mdn/mixture.hpp"

namespace mdn::testing {

// A one-row batch; mu and sigma are K x T, index k*T + d.
inline MixtureBatch one_row(std::vector<double> alpha, std::vector<double> mu, std::vector<double> sigma, int T = 1) {
  MixtureBatch m;
  m.rows = 1;
  m.K = int(alpha.size());
  m.T = T;
  m.alpha = std::move(alpha);
  m.mu = std::move(mu);
  m.sigma = std::move(sigma);
  return m;
}

// rows random mixtures: weights from a Dirichlet(1), means in [-spread, spread],
// sigmas log-uniform in [sigma_lo, sigma_hi].
inline MixtureBatch random_mixtures(std::mt19937_64& rng, int rows, int K, int T, double spread, double sigma_lo,
                                    double sigma_hi) {
  MixtureBatch m;
  m.rows = rows;
  m.K = K;
  m.T = T;
  std::exponential_distribution<double> gamma1(1.0);
  std::uniform_real_distribution<double> uniform(-1.0, 1.0), unit(0.0, 1.0);
  for (int r = 0; r < rows; ++r) {
    std::vector<double> w(K);
    double total = 0.0;
    for (auto& x : w) total += (x = gamma1(rng) + 1e-3);
    // Weights rounded to float, as the network's softmax gives them (their
    // sum is 1 only up to that rounding).
    for (auto x : w) m.alpha.push_back(double(float(x / total)));
    for (int i = 0; i < K * T; ++i) {
      m.mu.push_back(spread * uniform(rng));
      m.sigma.push_back(sigma_lo * std::pow(sigma_hi / sigma_lo, unit(rng)));
    }
  }
  return m;
}

// As random_mixtures, with full-covariance components (MixtureBatch::chol): means in
// [-spread, spread], A lower triangular with a log-uniform diagonal in
// [s_lo, s_hi] and off-diagonals up to `tilt` times the row's diagonal;
// sigma the rows' norms (each target's marginal standard deviation).
inline MixtureBatch random_full_mixtures(std::mt19937_64& rng, int rows, int K, int T, double spread, double s_lo,
                                         double s_hi, double tilt) {
  MixtureBatch m = random_mixtures(rng, rows, K, T, spread, s_lo, s_hi);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  for (int r = 0; r < rows; ++r)
    for (int k = 0; k < K; ++k)
      for (int i = 0; i < T; ++i) {
        double norm2 = 0.0;
        for (int j = 0; j <= i; ++j) {
          const double a = j == i ? m.stddev(r, k, i) : tilt * m.stddev(r, k, i) * u(rng);
          m.chol.push_back(a);
          norm2 += a * a;
        }
        m.sigma[(std::size_t(r) * K + k) * T + i] = std::sqrt(norm2);
      }
  return m;
}

// Reference Phi^-1: Acklam's rational approximation (relative error 1.15e-9)
// polished by two Halley steps on 0.5 erfc(-x / sqrt 2) - p. Independent of
// the library's bracket seed (Abramowitz-Stegun) and of its solver.
inline double reference_inverse_normal(double p) {
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                             1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01, -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  const double p_low = 0.02425;
  double x;
  if (p < p_low) {
    const double q = std::sqrt(-2.0 * std::log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
  } else if (p <= 1.0 - p_low) {
    const double q = p - 0.5, r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0);
  } else {
    const double q = std::sqrt(-2.0 * std::log1p(-p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
        ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0);
  }
  for (int i = 0; i < 2; ++i) {
    const double e = 0.5 * std::erfc(-x / std::sqrt(2.0)) - p;
    const double u = e * std::sqrt(2.0 * M_PI) * std::exp(0.5 * x * x);
    x = x - u / (1.0 + 0.5 * x * u);
  }
  return x;
}

}  // namespace mdn::testing
