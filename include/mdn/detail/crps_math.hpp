// Closed-form CRPS of a 1-D Gaussian mixture (Grimit, Gneiting, Berrocal and
// Johnson 2006, "The continuous ranked probability score for circular
// variables and its application to mesoscale forecast ensemble verification",
// eq. 5), on the same row layout as marginal_math.hpp: alpha[K], and mu /
// sigma laid out [k*T + d]; the score is that of the marginal of dimension d.
//
//   CRPS(F, y) = int (F(z) - 1{z >= y})^2 dz
//              = sum_k a_k A(y - mu_k, s_k^2)
//                - 1/2 sum_j sum_k a_j a_k A(mu_j - mu_k, s_j^2 + s_k^2)
//   A(m, v)    = 2 sqrt(v) phi(m / sqrt(v)) + m (2 Phi(m / sqrt(v)) - 1)
//
// A(m, v) is E|X| for X ~ N(m, v); the formula is E|X - y| - E|X - X'|/2.
// O(K^2) per row, no scratch array. Host and device.
#pragma once
#include <cmath>

#include "mdn/detail/host_device.hpp"
#include "mdn/detail/marginal_math.hpp"

namespace mdn::detail {

// E|X| for X ~ N(m, v), v > 0.
MDN_HD double expected_abs_normal(double m, double v) {
  const double s = sqrt(v);
  const double z = m / s;
  return 2.0 * s * standard_normal_pdf(z) + m * (2.0 * standard_normal_cdf(z) - 1.0);
}

// The weights are normalised by their sum (1 only up to float rounding).
// Only differences y - mu_j and mu_j - mu_k enter, so a large common offset
// of y and the means costs no precision.
template <class R>
MDN_HD double marginal_crps(const R* alpha, const R* mu, const R* sigma, int K, int T, int d, double y) {
  double total = 0.0;
  for (int k = 0; k < K; ++k) total += double(alpha[k]);
  const double inv_total = total > 0.0 ? 1.0 / total : 0.0;
  double to_observation = 0.0, spread = 0.0;
  for (int j = 0; j < K; ++j) {
    const double aj = double(alpha[j]) * inv_total, mj = double(mu[j * T + d]), sj = double(sigma[j * T + d]);
    to_observation += aj * expected_abs_normal(y - mj, sj * sj);
    // The double sum is symmetric: the diagonal once, each off-diagonal pair twice.
    spread += aj * aj * expected_abs_normal(0.0, 2.0 * sj * sj);
    for (int k = j + 1; k < K; ++k) {
      const double ak = double(alpha[k]) * inv_total, mk = double(mu[k * T + d]), sk = double(sigma[k * T + d]);
      spread += 2.0 * aj * ak * expected_abs_normal(mj - mk, sj * sj + sk * sk);
    }
  }
  return to_observation - 0.5 * spread;
}

}  // namespace mdn::detail
