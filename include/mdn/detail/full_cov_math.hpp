// Full-covariance mixture components: the per-sample loss and its gradient
// (issue 30), written once for the CPU head and the CUDA kernels like
// mixture_math.hpp (MDN_HD = __host__ __device__ under nvcc), for T up to
// kMaxFullCovTargets. docs/MATH.md ("Full covariance") has the derivation.
//
// One sample's head pre-activations z, width K(1 + 2T + T(T-1)/2), keep the
// diagonal layout as a prefix and append the off-diagonals:
//   z = [ a (K) | s (K*T, index k*T+j) | m (K*T, index k*T+j) | c (K*P) ]
// with P = T(T-1)/2 and c_{k,j,i} (j > i) at K + 2KT + k*P + j(j-1)/2 + i.
// Component k has mean m_k and the precision Lambda_k = L^T L, with L lower
// triangular ("modified Cholesky" form, L = D^-1 (I + C)):
//   L_jj = exp(-clamp(s_j)),   L_ji = exp(-clamp(s_j)) * c_ji   (i < j)
// so A = L^-1 is the ordinary lower Cholesky factor of the covariance
// (Sigma = A A^T, diag A = exp(clamp(s))), exp(s_j) is the standard deviation
// of target j given targets 0..j-1 and -c_ji are the regression coefficients
// of target j on them. With r = t - m_k:
//   w_j   = exp(-clamp(s_j)) * (r_j + sum_{i<j} c_ji r_i)      (w = L r)
//   dens  = sum_j ( -0.5 w_j^2 - clamp(s_j) - 0.5 log 2pi )     (log N(t | m, Sigma))
//   l_k   = log_alpha_k + dens_k,  loss = -logsumexp_k l_k,  gamma_k = exp(l_k + loss)
//   g_j   = w_j exp(-clamp(s_j))
//   dloss/da_k  = alpha_k - gamma_k
//   dloss/ds_j  = gamma (1 - w_j^2)                   (0 where s_j is outside [lo, hi])
//   dloss/dm_j  = -gamma (g_j + sum_{l>j} c_lj g_l)   (= -gamma (Lambda r)_j)
//   dloss/dc_ji =  gamma g_j r_i
// With every c = 0 this is exactly the diagonal model of mixture_math.hpp
// (the same operations in the same order for the log-density).
//
// full_mixture_nll_and_grad follows mixture_nll_and_grad: each l_k is
// evaluated once and kept in dz until its gradient overwrites it, the
// densities are shifted by their maximum before the log-weights are added, and
// the code is branch-free (select, max_of) so that the CPU backend's 16-lane
// type can instantiate it as well as a scalar.
#pragma once
#include <cmath>

#include "mdn/detail/host_device.hpp"
#include "mdn/detail/mixture_math.hpp"

namespace mdn::detail {

// Largest T of a full-covariance component (the head's local arrays; equals
// mdn::kMaxTargetDim).
inline constexpr int kMaxFullCovTargets = 8;

// Off-diagonal entries per component, and the head's width.
MDN_HD constexpr int full_cov_pairs(int T) { return T * (T - 1) / 2; }
MDN_HD constexpr int full_cov_head_width(int K, int T) { return K * (1 + 2 * T + T * (T - 1) / 2); }
// Index of c_ji (j > i) inside one component's P off-diagonals (row-major
// strict lower triangle: c_10, c_20, c_21, c_30, ...).
MDN_HD constexpr int full_cov_pair_index(int j, int i) { return j * (j - 1) / 2 + i; }
// Offset of the off-diagonal block in z (a, s and m are where the diagonal
// layout has them).
MDN_HD constexpr int full_cov_offdiag_offset(int K, int T) { return K + 2 * K * T; }

// The log-density log N(t | m_k, Sigma_k) of component k (no alpha).
template <class R>
MDN_HD R full_component_log_density(const R* z, const R* t, int k, int K, int T, R lo, R hi) {
  const R* s = z + K + k * T;
  const R* m = z + K + K * T + k * T;
  const R* c = z + full_cov_offdiag_offset(K, T) + k * full_cov_pairs(T);
  R r[kMaxFullCovTargets];
  R acc = R(0);
  for (int j = 0; j < T; ++j) {
    r[j] = t[j] - m[j];
    R v = r[j];
    const R* cj = c + full_cov_pair_index(j, 0);
    for (int i = 0; i < j; ++i) v += cj[i] * r[i];
    const R sc = clamp_log_sigma(s[j], lo, hi);
    const R w = v * fexp(-sc);
    acc += R(-0.5) * w * w - sc - R(kHalfLog2Pi);
  }
  return acc;
}

// The per-sample loss -log p(t | z) (online log-sum-exp; scalars only).
template <class R>
MDN_HD R full_mixture_nll(const R* z, const R* t, int K, int T, R lo, R hi) {
  const R lse_a = logits_logsumexp(z, K);
  LogSumExp<R> acc;
  for (int k = 0; k < K; ++k) acc.add((z[k] - lse_a) + full_component_log_density(z, t, k, K, T, lo, hi));
  return -acc.value();
}

// Pass 1 of full_mixture_nll_and_grad for component k: its log-density,
// evaluated once; 1/sigma_j = exp(-clamp(s_j)) kept in inv_sigma[0..T).
template <class R>
MDN_HD R full_density_keeping_inverse_sigmas(const R* z, const R* t, int k, int K, int T, R lo, R hi, R* inv_sigma) {
  const R* s = z + K + k * T;
  const R* m = z + K + K * T + k * T;
  const R* c = z + full_cov_offdiag_offset(K, T) + k * full_cov_pairs(T);
  R r[kMaxFullCovTargets];
  R dens = R(0);
  for (int j = 0; j < T; ++j) {
    r[j] = t[j] - m[j];
    R v = r[j];
    const R* cj = c + full_cov_pair_index(j, 0);
    for (int i = 0; i < j; ++i) v += cj[i] * r[i];
    const R sc = clamp_log_sigma(s[j], lo, hi);
    const R inv = fexp(-sc);
    inv_sigma[j] = inv;
    const R w = v * inv;
    dens += R(-0.5) * w * w - sc - R(kHalfLog2Pi);
  }
  return dens;
}

// Pass 3 for component k with responsibility gamma (already times
// grad_scale: gs = grad_scale * gamma): writes its s, m and c gradients.
// inv_sigma (T) is read before dz_m, which it may alias, is written.
template <class R>
MDN_HD void full_component_gradient(const R* z, const R* t, int k, int K, int T, R lo, R hi, R gs,
                                    const R* inv_sigma, R* dz_s, R* dz_m, R* dz_c) {
  const R* s = z + K + k * T;
  const R* m = z + K + K * T + k * T;
  const R* c = z + full_cov_offdiag_offset(K, T) + k * full_cov_pairs(T);
  R r[kMaxFullCovTargets], g[kMaxFullCovTargets], w2[kMaxFullCovTargets];
  for (int j = 0; j < T; ++j) {
    r[j] = t[j] - m[j];
    R v = r[j];
    const R* cj = c + full_cov_pair_index(j, 0);
    for (int i = 0; i < j; ++i) v += cj[i] * r[i];
    const R inv = inv_sigma[j];
    const R w = v * inv;
    w2[j] = w * w;
    g[j] = w * inv;
  }
  for (int j = 0; j < T; ++j) {
    dz_s[j] = select(log_sigma_passes_gradient(s[j], lo, hi), gs * (R(1) - w2[j]), R(0));
    R acc = g[j];
    for (int l = j + 1; l < T; ++l) acc += c[full_cov_pair_index(l, j)] * g[l];
    dz_m[j] = -gs * acc;
    R* dcj = dz_c + full_cov_pair_index(j, 0);
    for (int i = 0; i < j; ++i) dcj[i] = gs * g[j] * r[i];
  }
}

// The per-sample loss, and dz = grad_scale * dloss/dz written (=, not +=) into
// all K(1 + 2T + P) entries. As mixture_nll_and_grad, dz is the scratch until
// the last pass overwrites it:
//   dz[k]          dens_k, then l'_k, then e_k          (then dloss/da_k)
//   dz[K + k*T]    e^(a_k - max a)                      (then dloss/ds_k0)
//   dz[K + KT + i] 1/sigma_i = e^(-clamp(s_i))          (then dloss/dm_i)
template <class R>
MDN_HD R full_mixture_nll_and_grad(const R* z, const R* t, int K, int T, R lo, R hi, R grad_scale, R* dz) {
  R* const dz_s = dz + K;
  R* const dz_m = dz + K + K * T;
  R* const dz_c = dz + full_cov_offdiag_offset(K, T);
  const int P = full_cov_pairs(T);
  R a_max = z[0];
  for (int k = 1; k < K; ++k) a_max = max_of(a_max, z[k]);
  R a_sum = R(0);
  for (int k = 0; k < K; ++k) {
    const R e = fexp(z[k] - a_max);
    dz_s[k * T] = e;
    a_sum += e;
  }
  const R lse_a = a_max + flog(a_sum);
  R c = neg_infinity<R>();
  for (int k = 0; k < K; ++k) {
    const R dens = full_density_keeping_inverse_sigmas(z, t, k, K, T, lo, hi, dz_m + k * T);
    dz[k] = dens;
    c = max_of(c, dens);
  }
  R l_max = neg_infinity<R>();
  for (int k = 0; k < K; ++k) {
    const R shifted = (z[k] - lse_a) + (dz[k] - c);
    dz[k] = shifted;
    l_max = max_of(l_max, shifted);
  }
  R l_sum = R(0);
  for (int k = 0; k < K; ++k) {
    const R e = fexp(dz[k] - l_max);
    dz[k] = e;
    l_sum += e;
  }
  const R loss = -(c + (l_max + flog(l_sum)));
  for (int k = 0; k < K; ++k) {
    const R gamma = dz[k] / l_sum;
    const R alpha = dz_s[k * T] / a_sum;
    dz[k] = grad_scale * (alpha - gamma);
    R inv_sigma[kMaxFullCovTargets];
    for (int j = 0; j < T; ++j) inv_sigma[j] = dz_m[k * T + j];
    full_component_gradient(z, t, k, K, T, lo, hi, grad_scale * gamma, inv_sigma, dz_s + k * T, dz_m + k * T,
                            dz_c + k * P);
  }
  return loss;
}

}  // namespace mdn::detail
