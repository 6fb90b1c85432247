// 1-D marginals of one row's Gaussian mixture, shared by the CPU and CUDA
// code paths (predictive statistics, PIT, CRPS, quantiles, modes).
//
// One row's mixture: alpha[K], and mu / sigma laid out [k*T + d] (K x T),
// i.e. exactly one row of mdn::MixtureBatch. The marginal of dimension d is
// the 1-D mixture sum_k alpha_k N(mu_kd, sigma_kd^2).
#pragma once
#include <cmath>

#include "mdn/detail/host_device.hpp"

namespace mdn::detail {

inline constexpr double kInvSqrt2Pi = 0.39894228040143267794;  // 1/sqrt(2*pi)
inline constexpr double kInvSqrt2 = 0.70710678118654752440;

MDN_HD double standard_normal_pdf(double z) { return kInvSqrt2Pi * exp(-0.5 * z * z); }
// Phi(z) through erfc, accurate in both tails.
MDN_HD double standard_normal_cdf(double z) { return 0.5 * erfc(-z * kInvSqrt2); }
// Phi(b) - Phi(a) for a <= b, from the tail nearer the interval, so that an
// interval far out (a, b ~ 8) keeps its digits instead of cancelling.
MDN_HD double standard_normal_mass(double a, double b) {
  return a > 0.0 ? standard_normal_cdf(-a) - standard_normal_cdf(-b) : standard_normal_cdf(b) - standard_normal_cdf(a);
}

template <class R>
MDN_HD double marginal_cdf(const R* alpha, const R* mu, const R* sigma, int K, int T, int d, double y) {
  double f = 0.0;
  for (int k = 0; k < K; ++k)
    f += double(alpha[k]) * standard_normal_cdf((y - double(mu[k * T + d])) / double(sigma[k * T + d]));
  return f;
}

template <class R>
MDN_HD double marginal_pdf(const R* alpha, const R* mu, const R* sigma, int K, int T, int d, double y) {
  double p = 0.0;
  for (int k = 0; k < K; ++k) {
    const double s = double(sigma[k * T + d]);
    p += double(alpha[k]) * standard_normal_pdf((y - double(mu[k * T + d])) / s) / s;
  }
  return p;
}

// Mean and variance of the marginal, centred and with the weights
// normalised (they sum to 1 only up to the softmax's float rounding):
//   W = sum a,  mean = sum a mu / W,  var = sum a (sigma^2 + (mu - mean)^2) / W.
// Never sum a (sigma^2 + mu^2) - mean^2: with mu ~ 1e6 and sigma ~ 0.05 that
// difference cancels every digit of the variance (and a weight sum of
// 1 - 6e-8 alone adds 6e-8 mu^2 to it).
template <class R>
MDN_HD void marginal_moments(const R* alpha, const R* mu, const R* sigma, int K, int T, int d, double& mean,
                             double& variance) {
  double w = 0.0, m = 0.0;
  for (int k = 0; k < K; ++k) {
    w += double(alpha[k]);
    m += double(alpha[k]) * double(mu[k * T + d]);
  }
  m = w > 0.0 ? m / w : 0.0;
  double v = 0.0;
  for (int k = 0; k < K; ++k) {
    const double a = double(alpha[k]), dev = double(mu[k * T + d]) - m, s = double(sigma[k * T + d]);
    v += a * (s * s + dev * dev);
  }
  mean = m;
  variance = w > 0.0 ? v / w : 0.0;
}

}  // namespace mdn::detail
