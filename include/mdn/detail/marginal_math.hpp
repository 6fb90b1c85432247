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

// Mean and variance of the marginal: mean = sum a mu,
// var = sum a (sigma^2 + mu^2) - mean^2 (clamped at 0 against rounding).
template <class R>
MDN_HD void marginal_moments(const R* alpha, const R* mu, const R* sigma, int K, int T, int d, double& mean,
                             double& variance) {
  double m = 0.0, second = 0.0;
  for (int k = 0; k < K; ++k) {
    const double a = double(alpha[k]), u = double(mu[k * T + d]), s = double(sigma[k * T + d]);
    m += a * u;
    second += a * (s * s + u * u);
  }
  mean = m;
  variance = second - m * m > 0.0 ? second - m * m : 0.0;
}

}  // namespace mdn::detail
