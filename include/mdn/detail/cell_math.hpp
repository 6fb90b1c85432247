// The loss of gridded targets, for the CPU backend and the CUDA kernels alike
// (MDN_HD), computed in double.
//
// A target recorded on a grid of step h (an integer score, a value rounded to
// 0.1) says only that the true value lies in the cell [t - h/2, t + h/2]. The
// exact likelihood of the row is the mixture's mass on that cell. The loss
// here is that mass spread evenly over the cell: the NLL of the cell-averaged
// density P(cell) / h, which differs from -log P(cell) by the constant log h
// (so the gradients are the cell mass's), is a density like every other loss
// of the trainer (its history, its warnings' baseline, the Jacobian to
// original units all keep their meaning), and tends to the density's NLL as
// h -> 0. For a diagonal mixture, with c_d = h_d / 2 in the model's
// standardised units,
//   a_kd = (t_d - c_d - m_kd) / sigma_kd,  b_kd = (t_d + c_d - m_kd) / sigma_kd,
//   M_kd = (Phi(b_kd) - Phi(a_kd)) / (2 c_d)          (c_d > 0: a gridded target)
//   M_kd = phi(u_kd) / sigma_kd                        (c_d = 0: a continuous one)
//   l_k  = log_alpha_k + sum_d log M_kd,  loss = -logsumexp_k l_k,
//   gamma_k = exp(l_k + loss)
// and the gradients, with r_a = phi(a) / (2 c M) and r_b = phi(b) / (2 c M):
//   dloss/da_k  = alpha_k - gamma_k
//   dloss/dm_kd = -gamma_k g_kd,   g_kd = (r_a - r_b) / sigma_kd   (u / sigma for c = 0)
//   dloss/ds_kd = -gamma_k q_kd,   q_kd = a r_a - b r_b            (u^2 - 1 for c = 0)
// (0 where s_kd is outside [lo, hi], as for the density). As c -> 0, g and q
// tend to the density's u / sigma and u^2 - 1.
//
// Accuracy: the cell's mass is formed from the tail nearer the cell (Q the
// upper tail: erfc where it keeps its digits, log Q by the Mills ratio's
// continued fraction beyond), so a cell 40 sigmas out still has a finite log
// mass and a gradient pointing back; a cell straddling the mean
// sums two erf values, which never cancel; r_a and r_b are exponentials of
// differences of logs. Every step runs in double, on rows of float (the
// backends, one row per call or per CUDA thread; mixture_nll_and_grad stays
// the vectorised path for densities) or double.
#pragma once
#include <cmath>

#include "mdn/detail/host_device.hpp"
#include "mdn/detail/marginal_math.hpp"
#include "mdn/detail/mixture_math.hpp"

namespace mdn::detail {

// log Q(x) = log P(Z > x) for x >= 0. Below 5 erfc keeps full relative
// precision; beyond, Q(x) = phi(x) / F(x) with the Mills ratio's continued
// fraction F(x) = x + 1/(x + 2/(x + 3/(x + ...))), 40 terms (exact to double
// rounding from x = 5 up, and free of erfc's underflow past x ~ 38).
MDN_HD double log_upper_tail(double x) {
  if (x < 5.0) return log(0.5 * erfc(x * kInvSqrt2));
  double f = x;
  for (int n = 40; n >= 1; --n) f = x + double(n) / f;
  return -0.5 * x * x - kHalfLog2Pi - log(f);
}

// log(1 - e^d) for d <= 0, without cancellation at either end.
MDN_HD double log1m_exp(double d) { return d > -0.6931471805599453 ? log(-expm1(d)) : log1p(-exp(d)); }

// log(Q(a) - Q(b)) for 0 <= a < b: a difference of erfc values up to 25
// sigmas (erfc is then >= 1e-138 and the difference loses only the digits a
// cell 1e-10 sigmas wide would), of their logs beyond.
MDN_HD double log_upper_tail_difference(double a, double b) {
  if (a < 25.0) return log(0.5 * (erfc(a * kInvSqrt2) - erfc(b * kInvSqrt2)));
  const double la = log_upper_tail(a);
  return la + log1m_exp(log_upper_tail(b) - la);
}

// log(Phi(b) - Phi(a)) for a < b, from the tail nearer the interval.
MDN_HD double log_normal_interval_mass(double a, double b) {
  if (a >= 0.0) return log_upper_tail_difference(a, b);
  if (b <= 0.0) return log_upper_tail_difference(-b, -a);
  return log(0.5 * (erf(b * kInvSqrt2) + erf(-a * kInvSqrt2)));
}

// One component's log M_kd for target d and its derivatives g = d log M / d m
// and q = d log M / d s (s the raw log-sigma, inside the clamp). c is the half
// cell in standardised units, 0 for a continuous target.
struct CellTerm {
  double log_density, g, q;
};
MDN_HD CellTerm cell_term(double t, double c, double m, double s_raw, double lo, double hi) {
  const double sc = clamp_log_sigma(s_raw, lo, hi);
  const double inv_sigma = exp(-sc);
  if (!(c > 0.0)) {
    const double u = (t - m) * inv_sigma;
    return {-0.5 * u * u - sc - kHalfLog2Pi, u * inv_sigma, u * u - 1.0};
  }
  const double a = (t - c - m) * inv_sigma, b = (t + c - m) * inv_sigma;
  const double log_mass = log_normal_interval_mass(a, b);
  const double r_a = exp(-0.5 * a * a - kHalfLog2Pi - log_mass);
  const double r_b = exp(-0.5 * b * b - kHalfLog2Pi - log_mass);
  return {log_mass - log(2.0 * c), (r_a - r_b) * inv_sigma, a * r_a - b * r_b};
}

// logsumexp_j(a_j) over the K logits, in double.
template <class Z>
MDN_HD double logits_logsumexp_double(const Z* z, int K) {
  double m = double(z[0]);
  for (int k = 1; k < K; ++k) m = double(z[k]) > m ? double(z[k]) : m;
  double s = 0.0;
  for (int k = 0; k < K; ++k) s += exp(double(z[k]) - m);
  return m + log(s);
}

// The per-sample loss -log(P(cell | z) / prod_d 2 c_d), for a head row z and
// target t of floats (the backends) or doubles (the finite-difference
// network). half[d] = c_d (0: continuous).
template <class Z>
MDN_HD double mixture_cell_nll(const Z* z, const Z* t, const double* half, int K, int T, double lo, double hi) {
  const double lse_a = logits_logsumexp_double(z, K);
  LogSumExp<double> acc;
  for (int k = 0; k < K; ++k) {
    double l = double(z[k]) - lse_a;
    for (int d = 0; d < T; ++d)
      l += cell_term(double(t[d]), half[d], double(z[K + K * T + k * T + d]), double(z[K + k * T + d]), lo, hi)
               .log_density;
    acc.add(l);
  }
  return -acc.value();
}

// The per-sample loss, and dz = grad_scale * dloss/dz written (=) into all
// K(1 + 2T) entries; dz holds l_k, g and q as scratch until overwritten.
// l_k is used as stored (rounded to Z), so the log-sum-exp and every gamma_k
// read one value (mixture_math.hpp explains why).
template <class Z>
MDN_HD double mixture_cell_nll_and_grad(const Z* z, const Z* t, const double* half, int K, int T, double lo, double hi,
                                        double grad_scale, Z* dz) {
  Z* const dz_s = dz + K;
  Z* const dz_m = dz + K + K * T;
  const double lse_a = logits_logsumexp_double(z, K);
  double l_max = -INFINITY;
  for (int k = 0; k < K; ++k) {
    double l = double(z[k]) - lse_a;
    for (int d = 0; d < T; ++d) {
      const int i = k * T + d;
      const CellTerm term = cell_term(double(t[d]), half[d], double(z[K + K * T + i]), double(z[K + i]), lo, hi);
      l += term.log_density;
      dz_m[i] = Z(term.g);
      dz_s[i] = Z(term.q);
    }
    dz[k] = Z(l);
    l_max = double(dz[k]) > l_max ? double(dz[k]) : l_max;
  }
  double sum = 0.0;
  for (int k = 0; k < K; ++k) sum += exp(double(dz[k]) - l_max);
  const double loss = -(l_max + log(sum));
  for (int k = 0; k < K; ++k) {
    const double gamma = exp(double(dz[k]) - l_max) / sum;
    dz[k] = Z(grad_scale * (exp(double(z[k]) - lse_a) - gamma));
    for (int d = 0; d < T; ++d) {
      const int i = k * T + d;
      dz_m[i] = Z(grad_scale * (-gamma * double(dz_m[i])));
      dz_s[i] = log_sigma_passes_gradient(double(z[K + i]), lo, hi) ? Z(grad_scale * (-gamma * double(dz_s[i]))) : Z(0);
    }
  }
  return loss;
}

}  // namespace mdn::detail
