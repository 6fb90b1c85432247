// Dense Gaussians of full-covariance components, in double, for what comes
// after training: the covariance factor, draws, marginals and conditionals
// (issue 30). MDN_HD = __host__ __device__ under nvcc, like the other
// detail/ headers; no library calls besides exp, log and sqrt.
//
// A component is (mean, A) with A the lower Cholesky factor of its covariance
// (Sigma = A A^T, positive diagonal). From the head (full_cov_math.hpp) A is
// L^-1, the inverse of the precision factor, found by a forward substitution
// (full_component_gaussian); a draw is mean + A n with n standard normal,
// which full_component_draw does straight from z, one target after another.
// Marginals of a subset of targets take the subset's rows of A (the
// covariance of the subset is their Gram matrix, refactored); conditionals
// use the partitioned covariance (docs/MATH.md, "Full covariance").
#pragma once
#include <cmath>

#include "mdn/detail/full_cov_math.hpp"
#include "mdn/detail/host_device.hpp"

namespace mdn::detail {

// One Gaussian over n <= kMaxFullCovTargets dimensions: mean, and the lower
// Cholesky factor of its covariance, row-major with stride
// kMaxFullCovTargets (entries above the diagonal are 0).
struct DenseGaussian {
  int n = 0;
  double mean[kMaxFullCovTargets] = {};
  double chol[kMaxFullCovTargets * kMaxFullCovTargets] = {};
  MDN_HD double& a(int i, int j) { return chol[i * kMaxFullCovTargets + j]; }
  MDN_HD double a(int i, int j) const { return chol[i * kMaxFullCovTargets + j]; }
};

// S (n x n, stride ss) = B B^T, the lower Cholesky factor B (stride bs).
// Returns false (B unspecified) when S is not numerically positive definite.
MDN_HD bool cholesky_lower(const double* S, int ss, int n, double* B, int bs) {
  for (int j = 0; j < n; ++j) {
    for (int i = j + 1; i < n; ++i) B[j * bs + i] = 0.0;
    double d = S[j * ss + j];
    for (int l = 0; l < j; ++l) d -= B[j * bs + l] * B[j * bs + l];
    if (!(d > 0.0)) return false;
    const double bjj = sqrt(d);
    B[j * bs + j] = bjj;
    for (int i = j + 1; i < n; ++i) {
      double v = S[i * ss + j];
      for (int l = 0; l < j; ++l) v -= B[i * bs + l] * B[j * bs + l];
      B[i * bs + j] = v / bjj;
    }
  }
  return true;
}

// x = B^-1 b for a lower-triangular B (n x n, stride bs); x may alias b.
MDN_HD void forward_substitute(const double* B, int bs, int n, const double* b, double* x) {
  for (int i = 0; i < n; ++i) {
    double v = b[i];
    for (int l = 0; l < i; ++l) v -= B[i * bs + l] * x[l];
    x[i] = v / B[i * bs + i];
  }
}

// The precision factor L of component k (dense, T x T, stride T; zeros above
// the diagonal): L_jj = exp(-clamp(s_j)), L_ji = L_jj c_ji.
template <class R>
MDN_HD void full_component_precision_factor(const R* z, int k, int K, int T, double lo, double hi, double* L) {
  const R* s = z + K + k * T;
  const R* c = z + full_cov_offdiag_offset(K, T) + k * full_cov_pairs(T);
  for (int j = 0; j < T; ++j) {
    const double sc = double(s[j]) < lo ? lo : (double(s[j]) > hi ? hi : double(s[j]));
    const double ljj = exp(-sc);
    for (int i = 0; i < T; ++i) L[j * T + i] = i < j ? ljj * double(c[full_cov_pair_index(j, i)]) : 0.0;
    L[j * T + j] = ljj;
  }
}

// Component k as a DenseGaussian: mean m_k and A = L^-1, column by column
// (A e_i solves L x = e_i by forward substitution; A_ii = exp(clamp(s_i))).
template <class R>
MDN_HD DenseGaussian full_component_gaussian(const R* z, int k, int K, int T, double lo, double hi) {
  double L[kMaxFullCovTargets * kMaxFullCovTargets];
  full_component_precision_factor(z, k, K, T, lo, hi, L);
  DenseGaussian g;
  g.n = T;
  for (int j = 0; j < T; ++j) g.mean[j] = double(z[K + K * T + k * T + j]);
  for (int i = 0; i < T; ++i) {
    double x[kMaxFullCovTargets];
    for (int j = 0; j < T; ++j) x[j] = j == i ? 1.0 : 0.0;
    forward_substitute(L, T, T, x, x);
    for (int j = 0; j < T; ++j) g.a(j, i) = j < i ? 0.0 : x[j];
  }
  return g;
}

// The whole mixture of one sample: alpha (K, the softmax of the logits, in
// double) and each component as a DenseGaussian.
template <class R>
MDN_HD void full_mixture_gaussians(const R* z, int K, int T, double lo, double hi, double* alpha, DenseGaussian* comps) {
  double top = double(z[0]);
  for (int k = 1; k < K; ++k) top = double(z[k]) > top ? double(z[k]) : top;
  double total = 0.0;
  for (int k = 0; k < K; ++k) total += (alpha[k] = exp(double(z[k]) - top));
  for (int k = 0; k < K; ++k) {
    alpha[k] /= total;
    comps[k] = full_component_gaussian(z, k, K, T, lo, hi);
  }
}

// One draw of component k from T standard normals n, straight from the head
// (no matrices): x_j = m_j + sigma_j n_j - sum_{i<j} c_ji (x_i - m_i), which
// is m + A n with A = L^-1 (L (x - m) = n).
template <class R>
MDN_HD void full_component_draw(const R* z, int k, int K, int T, double lo, double hi, const double* n, double* x) {
  const R* s = z + K + k * T;
  const R* m = z + K + K * T + k * T;
  const R* c = z + full_cov_offdiag_offset(K, T) + k * full_cov_pairs(T);
  for (int j = 0; j < T; ++j) {
    const double sc = double(s[j]) < lo ? lo : (double(s[j]) > hi ? hi : double(s[j]));
    double v = exp(sc) * n[j];
    for (int i = 0; i < j; ++i) v -= double(c[full_cov_pair_index(j, i)]) * (x[i] - double(m[i]));
    x[j] = double(m[j]) + v;
  }
}

// out = mean + A n (n: g.n standard normals).
MDN_HD void dense_gaussian_draw(const DenseGaussian& g, const double* n, double* out) {
  for (int i = 0; i < g.n; ++i) {
    double v = g.mean[i];
    for (int l = 0; l <= i; ++l) v += g.a(i, l) * n[l];
    out[i] = v;
  }
}

// Sigma (n x n, stride n) = A A^T.
MDN_HD void dense_gaussian_covariance(const DenseGaussian& g, double* S) {
  for (int i = 0; i < g.n; ++i)
    for (int j = 0; j < g.n; ++j) {
      double v = 0.0;
      const int top = i < j ? i : j;
      for (int l = 0; l <= top; ++l) v += g.a(i, l) * g.a(j, l);
      S[i * g.n + j] = v;
    }
}

// log N(y | mean, A A^T): u = A^-1 (y - mean), -0.5 |u|^2 - sum log A_ii - n/2 log 2pi.
MDN_HD double dense_gaussian_log_density(const DenseGaussian& g, const double* y) {
  double u[kMaxFullCovTargets];
  for (int i = 0; i < g.n; ++i) u[i] = y[i] - g.mean[i];
  forward_substitute(g.chol, kMaxFullCovTargets, g.n, u, u);
  double acc = 0.0;
  for (int i = 0; i < g.n; ++i) acc += -0.5 * u[i] * u[i] - log(g.a(i, i)) - kHalfLog2Pi;
  return acc;
}

// Standard deviation of target d's marginal: sqrt((A A^T)_dd) = |row d of A|.
MDN_HD double dense_gaussian_marginal_sigma(const DenseGaussian& g, int d) {
  double v = 0.0;
  for (int l = 0; l <= d; ++l) v += g.a(d, l) * g.a(d, l);
  return sqrt(v);
}

// The marginal of the targets dims[0..count) (in that order): their means and
// the Cholesky factor of their covariance block. False when that block is not
// numerically positive definite.
MDN_HD bool dense_gaussian_marginal(const DenseGaussian& g, const int* dims, int count, DenseGaussian& out) {
  double S[kMaxFullCovTargets * kMaxFullCovTargets];
  dense_gaussian_covariance(g, S);
  double B[kMaxFullCovTargets * kMaxFullCovTargets];
  for (int i = 0; i < count; ++i)
    for (int j = 0; j < count; ++j) B[i * kMaxFullCovTargets + j] = S[dims[i] * g.n + dims[j]];
  DenseGaussian m;
  m.n = count;
  for (int i = 0; i < count; ++i) m.mean[i] = g.mean[dims[i]];
  if (!cholesky_lower(B, kMaxFullCovTargets, count, m.chol, kMaxFullCovTargets)) return false;
  out = m;
  return true;
}

// The conditional of the targets not observed given those observed
// (observed[d] != 0; y[d] their values, read only there), for one component:
// with O the observed and U the other targets (each in increasing order),
//   mean_U|O = mean_U + S_UO S_OO^-1 (y_O - mean_O)
//   S_U|O    = S_UU - S_UO S_OO^-1 S_OU
// computed with B = chol(S_OO): W = B^-1 S_OU, u = B^-1 (y_O - mean_O),
// mean = mean_U + W^T u, S = S_UU - W^T W. out has the |U| targets in
// increasing order; log_observed = log N(y_O | mean_O, S_OO) (0 when nothing
// is observed). False when a block is not numerically positive definite or
// every target is observed.
MDN_HD bool dense_gaussian_condition(const DenseGaussian& g, const int* observed, const double* y, DenseGaussian& out,
                                     double& log_observed) {
  const int ms = kMaxFullCovTargets;
  int o_idx[kMaxFullCovTargets], u_idx[kMaxFullCovTargets], no = 0, nu = 0;
  for (int d = 0; d < g.n; ++d) {
    if (observed[d])
      o_idx[no++] = d;
    else
      u_idx[nu++] = d;
  }
  if (nu == 0) return false;
  double S[kMaxFullCovTargets * kMaxFullCovTargets];
  dense_gaussian_covariance(g, S);
  double B[kMaxFullCovTargets * kMaxFullCovTargets], W[kMaxFullCovTargets * kMaxFullCovTargets];
  double u[kMaxFullCovTargets];
  for (int i = 0; i < no; ++i)
    for (int j = 0; j < no; ++j) B[i * ms + j] = S[o_idx[i] * g.n + o_idx[j]];
  if (!cholesky_lower(B, ms, no, B, ms)) return false;
  log_observed = 0.0;
  for (int i = 0; i < no; ++i) u[i] = y[o_idx[i]] - g.mean[o_idx[i]];
  forward_substitute(B, ms, no, u, u);
  for (int i = 0; i < no; ++i) log_observed += -0.5 * u[i] * u[i] - log(B[i * ms + i]) - kHalfLog2Pi;
  // W (no x nu): column b solves B w = S_O,u_b.
  for (int b = 0; b < nu; ++b) {
    double col[kMaxFullCovTargets];
    for (int i = 0; i < no; ++i) col[i] = S[o_idx[i] * g.n + u_idx[b]];
    forward_substitute(B, ms, no, col, col);
    for (int i = 0; i < no; ++i) W[i * ms + b] = col[i];
  }
  DenseGaussian c;
  c.n = nu;
  double C[kMaxFullCovTargets * kMaxFullCovTargets];
  for (int a = 0; a < nu; ++a) {
    double mean = g.mean[u_idx[a]];
    for (int i = 0; i < no; ++i) mean += W[i * ms + a] * u[i];
    c.mean[a] = mean;
    for (int b = 0; b < nu; ++b) {
      double v = S[u_idx[a] * g.n + u_idx[b]];
      for (int i = 0; i < no; ++i) v -= W[i * ms + a] * W[i * ms + b];
      C[a * ms + b] = v;
    }
  }
  if (!cholesky_lower(C, ms, nu, c.chol, ms)) return false;
  out = c;
  return true;
}

// The conditional of a mixture sum_k alpha_k N(mean_k, A_k A_k^T): every
// component conditioned (out[k]), and the weights
//   alpha'_k = alpha_k N_k(y_O) / sum_j alpha_j N_j(y_O)
// (in log space, shifted by the largest term). Weights <= 0 stay 0. False
// when a component cannot be conditioned or no component has a positive
// weight with a finite observed density.
MDN_HD bool dense_mixture_condition(const double* alpha, const DenseGaussian* comps, int K, const int* observed,
                                    const double* y, double* alpha_out, DenseGaussian* out) {
  double top = -INFINITY;
  for (int k = 0; k < K; ++k) {
    double log_obs = 0.0;
    if (!dense_gaussian_condition(comps[k], observed, y, out[k], log_obs)) return false;
    alpha_out[k] = alpha[k] > 0.0 ? log(alpha[k]) + log_obs : -INFINITY;
    top = alpha_out[k] > top ? alpha_out[k] : top;
  }
  if (!(top > -INFINITY) || !(top < INFINITY)) return false;
  double total = 0.0;
  for (int k = 0; k < K; ++k) total += (alpha_out[k] = exp(alpha_out[k] - top));
  for (int k = 0; k < K; ++k) alpha_out[k] /= total;
  return true;
}

}  // namespace mdn::detail
