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
//   l'_k = log_alpha_k + (dens_k - c),  loss = -(c + logsumexp_k(l'_k)),
//   gamma_k = exp(l'_k - logsumexp_k(l'_k)),
// so the responsibilities depend on differences of densities only and the
// O(1) log-weights are not rounded away against a -3e7 density. mixture_nll
// (no gradient, no scratch) uses the online log-sum-exp of l_k; it agrees
// with the loss of mixture_nll_and_grad to float rounding of |loss|.
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

// Clamp on log-sigma; the gradient passes only strictly inside the bounds.
template <class R>
MDN_HD R clamp_log_sigma(R s, R lo, R hi) {
  return s < lo ? lo : (s > hi ? hi : s);
}
template <class R>
MDN_HD bool log_sigma_passes_gradient(R s, R lo, R hi) {
  return s > lo && s < hi;
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
// component's log-density is evaluated once (see the top of this file); dz[0,
// K) holds the densities, then the shifted l'_k, until the gradient loop
// overwrites entry k with dloss/da_k.
template <class R>
MDN_HD R mixture_nll_and_grad(const R* z, const R* t, int K, int T, R lo, R hi, R grad_scale, R* dz) {
  const R lse_a = logits_logsumexp(z, K);
  // Pass 1: dens_k (evaluated once, stored) and c = max_k dens_k.
  R c = neg_infinity<R>();
  for (int k = 0; k < K; ++k) {
    const R dens = component_log_density(z, t, k, K, T, lo, hi);
    dz[k] = dens;
    c = dens > c ? dens : c;
  }
  // Pass 2: l'_k = log_alpha_k + (dens_k - c), stored; their log-sum-exp.
  LogSumExp<R> acc;
  for (int k = 0; k < K; ++k) {
    const R shifted = (z[k] - lse_a) + (dz[k] - c);
    dz[k] = shifted;
    acc.add(shifted);
  }
  const R lse_shifted = acc.value();
  const R loss = -(c + lse_shifted);
  // Pass 3: gamma_k from the stored l'_k, then every gradient entry.
  for (int k = 0; k < K; ++k) {
    const R gamma = fexp(dz[k] - lse_shifted);
    const R alpha = fexp(z[k] - lse_a);
    dz[k] = grad_scale * (alpha - gamma);
    for (int d = 0; d < T; ++d) {
      const int i = k * T + d;
      const R s = z[K + i];
      const R sc = clamp_log_sigma(s, lo, hi);
      const R inv_sigma = fexp(-sc);
      const R u = (t[d] - z[K + K * T + i]) * inv_sigma;
      dz[K + K * T + i] = grad_scale * (-gamma * u * inv_sigma);
      dz[K + i] = log_sigma_passes_gradient(s, lo, hi) ? grad_scale * gamma * (R(1) - u * u) : R(0);
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
