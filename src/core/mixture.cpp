#include "mdn/mixture.hpp"

#include <cmath>

#include "mdn/detail/full_cov_gaussian.hpp"
#include "mdn/detail/mixture_math.hpp"
#include "mdn/error.hpp"

namespace mdn {
namespace {

// Row r of a full-covariance batch: each component's factor A_std = L^-1
// (standardised units) scaled to A = diag(t_scale) A_std, and sigma_d the
// norm of row d of A (the marginal standard deviation of target d).
void fill_full_row(const ModelSpec& spec, const Standardizer& stats, const float* zr, int r, MixtureBatch& out) {
  const int K = out.K, T = out.T, P = out.chol_size();
  for (int k = 0; k < K; ++k) {
    const detail::DenseGaussian g =
        detail::full_component_gaussian(zr, k, K, T, double(spec.log_sigma_min), double(spec.log_sigma_max));
    double* a = out.chol.data() + (std::size_t(r) * K + k) * P;
    for (int i = 0; i < T; ++i) {
      double norm2 = 0.0;
      for (int j = 0; j <= i; ++j) {
        const double v = g.a(i, j) * stats.t_scale[i];
        a[i * (i + 1) / 2 + j] = v;
        norm2 += v * v;
      }
      out.sigma[(std::size_t(r) * K + k) * T + i] = std::sqrt(norm2);
    }
  }
}

}  // namespace

MixtureBatch mixtures_from_head(const ModelSpec& spec, const Standardizer& stats, const Matrix& z) {
  const int K = spec.components, T = spec.target_dim;
  if (z.cols != spec.head_width()) throw Error("head output width does not match the model");
  if (int(stats.t_mean.size()) != T || int(stats.t_scale.size()) != T)
    throw Error("the target statistics do not match the model's target count");
  MixtureBatch out;
  out.rows = z.rows;
  out.K = K;
  out.T = T;
  out.alpha.resize(std::size_t(z.rows) * K);
  out.mu.resize(std::size_t(z.rows) * K * T);
  out.sigma.resize(out.mu.size());
  const bool full = spec.covariance == Covariance::Full;
  if (full) out.chol.resize(std::size_t(z.rows) * K * out.chol_size());
  for (int r = 0; r < z.rows; ++r) {
    const float* zr = z.row(r);
    const float lse = detail::logits_logsumexp(zr, K);
    for (int k = 0; k < K; ++k) {
      out.alpha[std::size_t(r) * K + k] = detail::mixture_weight(zr, k, lse);
      for (int d = 0; d < T; ++d) {
        const std::size_t i = (std::size_t(r) * K + k) * T + d;
        // Original units, in double: t = t_std * scale + mean, so mu maps the
        // same way and sigma scales by the target's scale.
        out.mu[i] = double(detail::component_mean(zr, k, d, K, T)) * stats.t_scale[d] + stats.t_mean[d];
        out.sigma[i] =
            double(detail::component_sigma(zr, k, d, K, T, spec.log_sigma_min, spec.log_sigma_max)) * stats.t_scale[d];
      }
    }
    if (full) fill_full_row(spec, stats, zr, r, out);
  }
  return out;
}

}  // namespace mdn
