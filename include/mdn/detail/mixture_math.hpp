// The per-sample mixture math of DESIGN.md, written once for the CPU backend
// and the CUDA kernels (MDN_HD = __host__ __device__ under nvcc).
//
// One sample's head pre-activations z (size K*(1+2T)) are laid out as
//   z = [ a (K logits) | s (K*T log-sigmas, index k*T+d) | m (K*T means) ]
// and its target t has T entries. With s clamped to [lo, hi]:
//   sigma_kd    = exp(clamp(s_kd))
//   u_kd        = (t_d - m_kd) / sigma_kd
//   log_alpha_k = a_k - logsumexp_j(a_j)
//   l_k         = log_alpha_k + sum_d(-0.5 u_kd^2 - s_kd - 0.5 log(2 pi))
//   loss        = -logsumexp_k(l_k)
//   gamma_k     = exp(l_k + loss)
//   dloss/da_k  = alpha_k - gamma_k
//   dloss/dm_kd = -gamma_k u_kd / sigma_kd
//   dloss/ds_kd =  gamma_k (1 - u_kd^2)     (0 where s_kd is outside [lo, hi])
//
// Single evaluation of l_k (mixture_nll_and_grad). gamma_k = exp(l_k + loss)
// is an exponential of a difference of two numbers that are each ~-3e7 when a
// target lies 1e4 sigmas away; were l_k computed twice (once for the
// log-sum-exp, once for gamma) and the two evaluations differed by one float
// ulp (~2 at 3e7: a different FMA contraction is enough), gamma would be off
// by a factor e^2. So each component's log-density is evaluated exactly once,
// kept in the output row (dz[k] is scratch until its gradient overwrites it),
// and everything after works from those stored values. The log-densities are
// also shifted by their maximum c before the log-weights are added:
//   l'_k = log_alpha_k + (dens_k - c),  M = max_k l'_k,
//   e_k = exp(l'_k - M),  S = sum_k e_k,
//   loss = -(c + M + log S),  gamma_k = e_k / S,
// so the responsibilities depend on differences of densities only and the
// O(1) log-weights are not rounded away against a -3e7 density.
//
// Exponentials: K(2 + T) and two logs per sample (15 and 2 at K = 5, T = 1;
// 4K + 2KT before they were kept): e^(a_k - max a) (K, kept: the softmax's sum
// and alpha_k = e^(a_k - max a) / sum), 1/sigma_kd = e^(-s_kd) (KT, kept for
// the gradient), e_k (K, kept: S and gamma_k = e_k / S). The kept values
// live in the output row dz until their entries are written (see
// mixture_nll_and_grad). mixture_nll (no gradient, no scratch) uses the online
// log-sum-exp of l_k; it agrees with the loss of mixture_nll_and_grad to float
// rounding of |loss|.
//
// Written once for two kinds of R: a scalar (float or double; one sample; the
// CUDA kernels, the double network of the finite-difference checks) and the
// CPU backend's lane type (src/cpu/simd/lanes.hpp: 16 samples side by side,
// one per SIMD lane, z and dz stored as arrays of lanes). So every branch is a
// select(), every comparison yields what select() takes, and the lane type
// brings its own select, max_of, fexp and flog (found by argument-dependent
// lookup).
#pragma once
#include <cmath>

#include "mdn/detail/host_device.hpp"

namespace mdn::detail {

inline constexpr double kHalfLog2Pi = 0.91893853320467274178;  // 0.5*log(2*pi)

MDN_HD float fexp(float x) { return expf(x); }
MDN_HD double fexp(double x) { return exp(x); }
MDN_HD float flog(float x) { return logf(x); }
MDN_HD double flog(double x) { return log(x); }

template <class R>
MDN_HD R neg_infinity() {
  return -R(INFINITY);
}

// Branch-free choices on scalars (the lane type has its own overloads).
template <class R>
MDN_HD R select(bool c, R a, R b) {
  return c ? a : b;
}
template <class R>
MDN_HD R max_of(R a, R b) {
  return a > b ? a : b;
}

// Clamp on log-sigma; the gradient passes only strictly inside the bounds.
template <class R>
MDN_HD R clamp_log_sigma(R s, R lo, R hi) {
  return select(s < lo, lo, select(s > hi, hi, s));
}
template <class R>
MDN_HD auto log_sigma_passes_gradient(R s, R lo, R hi) {
  return (s > lo) & (s < hi);
}

// Online log-sum-exp accumulator: after adding x_1..x_n, value() is
// log(sum exp x_i) without overflow. Deterministic (fixed order).
template <class R>
struct LogSumExp {
  R max = neg_infinity<R>();
  R sum = R(0);
  MDN_HD void add(R x) {
    if (x > max) {
      sum = sum * fexp(max - x) + R(1);
      max = x;
    } else {
      sum += fexp(x - max);
    }
  }
  MDN_HD R value() const { return max + flog(sum); }
};

// logsumexp_j(a_j) over the K logits.
template <class R>
MDN_HD R logits_logsumexp(const R* z, int K) {
  R m = z[0];
  for (int k = 1; k < K; ++k) m = z[k] > m ? z[k] : m;
  R s = R(0);
  for (int k = 0; k < K; ++k) s += fexp(z[k] - m);
  return m + flog(s);
}

// sum_d of the component's diagonal-Gaussian log-density of t (no alpha).
template <class R>
MDN_HD R component_log_density(const R* z, const R* t, int k, int K, int T, R lo, R hi) {
  const R* s = z + K + k * T;
  const R* m = z + K + K * T + k * T;
  R acc = R(0);
  for (int d = 0; d < T; ++d) {
    const R sc = clamp_log_sigma(s[d], lo, hi);
    const R u = (t[d] - m[d]) * fexp(-sc);
    acc += R(-0.5) * u * u - sc - R(kHalfLog2Pi);
  }
  return acc;
}

// l_k = log_alpha_k + log N(t | mu_k, sigma_k).
template <class R>
MDN_HD R component_log_prob(const R* z, const R* t, int k, int K, int T, R lse_logits, R lo, R hi) {
  return (z[k] - lse_logits) + component_log_density(z, t, k, K, T, lo, hi);
}

// The per-sample loss -log p(t | z).
template <class R>
MDN_HD R mixture_nll(const R* z, const R* t, int K, int T, R lo, R hi) {
  const R lse_a = logits_logsumexp(z, K);
  LogSumExp<R> acc;
  for (int k = 0; k < K; ++k) acc.add(component_log_prob(z, t, k, K, T, lse_a, lo, hi));
  return -acc.value();
}

// The per-sample loss, and dz = grad_scale * dloss/dz written (=, not +=) into
// all K*(1+2T) entries of dz. grad_scale is 1/N for a batch mean. Each
// component's log-density is evaluated once (see the top of this file). dz is
// the scratch for what is computed once and used twice, until the last pass
// overwrites each entry with its gradient:
//   dz[k]          dens_k, then l'_k, then e_k          (then dloss/da_k)
//   dz[K + k*T]    e^(a_k - max a)                      (then dloss/ds_k0)
//   dz[K + KT + i] 1/sigma_i = e^(-clamp(s_i))          (then dloss/dm_i)
template <class R>
MDN_HD R mixture_nll_and_grad(const R* z, const R* t, int K, int T, R lo, R hi, R grad_scale, R* dz) {
  R* const dz_s = dz + K;
  R* const dz_m = dz + K + K * T;
  // Softmax of the logits: e^(a_k - max a) kept, their sum, log-sum-exp.
  R a_max = z[0];
  for (int k = 1; k < K; ++k) a_max = max_of(a_max, z[k]);
  R a_sum = R(0);
  for (int k = 0; k < K; ++k) {
    const R e = fexp(z[k] - a_max);
    dz_s[k * T] = e;
    a_sum += e;
  }
  const R lse_a = a_max + flog(a_sum);
  // Pass 1: dens_k (evaluated once, stored), 1/sigma kept, c = max_k dens_k.
  R c = neg_infinity<R>();
  for (int k = 0; k < K; ++k) {
    R dens = R(0);
    for (int d = 0; d < T; ++d) {
      const int i = k * T + d;
      const R sc = clamp_log_sigma(z[K + i], lo, hi);
      const R inv_sigma = fexp(-sc);
      dz_m[i] = inv_sigma;
      const R u = (t[d] - z[K + K * T + i]) * inv_sigma;
      dens += R(-0.5) * u * u - sc - R(kHalfLog2Pi);
    }
    dz[k] = dens;
    c = max_of(c, dens);
  }
  // Pass 2: l'_k = log_alpha_k + (dens_k - c), stored, and M = max_k l'_k;
  // then e_k = e^(l'_k - M), stored, and S = sum_k e_k.
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
  // Pass 3: gamma_k = e_k / S, alpha_k, then every gradient entry.
  for (int k = 0; k < K; ++k) {
    const R gamma = dz[k] / l_sum;
    const R alpha = dz_s[k * T] / a_sum;
    dz[k] = grad_scale * (alpha - gamma);
    for (int d = 0; d < T; ++d) {
      const int i = k * T + d;
      const R s = z[K + i];
      const R inv_sigma = dz_m[i];
      const R u = (t[d] - z[K + K * T + i]) * inv_sigma;
      dz_m[i] = grad_scale * (-gamma * u * inv_sigma);
      dz_s[i] = select(log_sigma_passes_gradient(s, lo, hi), grad_scale * gamma * (R(1) - u * u), R(0));
    }
  }
  return loss;
}

// Mixture parameters of one sample in the model's (standardised) units.
template <class R>
MDN_HD R mixture_weight(const R* z, int k, R lse_logits) {
  return fexp(z[k] - lse_logits);
}
template <class R>
MDN_HD R component_mean(const R* z, int k, int d, int K, int T) {
  return z[K + K * T + k * T + d];
}
template <class R>
MDN_HD R component_sigma(const R* z, int k, int d, int K, int T, R lo, R hi) {
  return fexp(clamp_log_sigma(z[K + k * T + d], lo, hi));
}

}  // namespace mdn::detail
