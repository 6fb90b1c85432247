// The joint CDF of one row's predictive mixture, F(y) = P(t_1 <= y_1, ...,
// t_T <= y_T | x): what the per-target marginal CDF (mixture_pit in
// mdn/metrics.hpp) does not give for T > 1. Read-only math on a MixtureBatch,
// header-only.
#pragma once
#include <cmath>
#include <cstddef>
#include <limits>

#include "mdn/detail/marginal_math.hpp"
#include "mdn/error.hpp"
#include "mdn/mixture.hpp"

namespace mdn {

// With diagonal components the joint CDF factorises inside each component:
//   F(y) = sum_k alpha_k prod_d Phi((y_d - mu_kd) / sigma_kd) / sum_k alpha_k
// (weights normalised, as every consumer of a MixtureBatch does). For T = 1
// it is mixture_pit(mix, row, 0, y[0]), term for term, with the PIT map of a
// recalibrated batch applied. y holds T values;
// +-infinity gives the limits, NaN gives NaN.
// Full-covariance components (MixtureBatch::chol) have no closed-form joint
// CDF (a multivariate normal orthant probability): refused with an Error
// rather than the wrong, factorised answer.
inline double mixture_joint_cdf(const MixtureBatch& mix, int row, const double* y) {
  if (mix.full_covariance())
    throw Error("the joint CDF of full-covariance components is not supported (it has no closed form); the "
                "per-target CDFs (PIT) of the marginals are exact");
  // Target transforms (mdn/target_transform.hpp): F(y) = F_u(g(y)); a y
  // below a log's domain has probability 0 below it.
  double u[kMaxTargetDim];
  for (int d = 0; d < mix.T; ++d) {
    const TargetTransform* g = mix.transform(d);
    u[d] = g == nullptr || std::isnan(y[d]) ? y[d] : g->in_domain(y[d]) ? g->forward(y[d]) : -std::numeric_limits<double>::infinity();
  }
  double f = 0.0, w = 0.0;
  for (int k = 0; k < mix.K; ++k) {
    const double a = mix.weight(row, k);
    w += a;
    double p = 1.0;
    for (int d = 0; d < mix.T; ++d)
      p *= detail::standard_normal_cdf((u[d] - mix.mean(row, k, d)) / mix.stddev(row, k, d));
    f += a * p;
  }
  if (!(w > 0.0)) return std::numeric_limits<double>::quiet_NaN();
  // A recalibrated batch (one target): G(F(y)).
  if (!mix.pit_maps.empty() && mix.T == 1 && mix.pit_map(0) != nullptr && f == f) return mix.pit_map(0)->forward(f / w);
  return f / w;
}

}  // namespace mdn
