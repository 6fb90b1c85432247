// Independent references for the full-covariance tests, written from the
// definitions in docs/MATH.md ("Full covariance") and not from the headers:
// the precision Lambda = L^T L built as a dense matrix, the covariance as its
// inverse (Gauss-Jordan with partial pivoting), the determinant by
// elimination, and the Gaussian density from those.
#pragma once
#include <cmath>
#include <random>
#include <utility>
#include <vector>

namespace mdn::test {

using Dense = std::vector<double>;  // n x n, row-major

// Where the documented head layout keeps component k's pieces.
inline double head_s(const std::vector<double>& z, int K, int T, int k, int j) { return z[K + k * T + j]; }
inline double head_m(const std::vector<double>& z, int K, int T, int k, int j) { return z[K + K * T + k * T + j]; }
inline double head_c(const std::vector<double>& z, int K, int T, int k, int j, int i) {
  // c_ji (j > i), row-major strict lower triangle.
  return z[K + 2 * K * T + k * (T * (T - 1) / 2) + j * (j - 1) / 2 + i];
}

// L_jj = exp(-s_j), L_ji = exp(-s_j) c_ji: the dense precision factor (no clamp:
// the tests keep s inside the bounds).
inline Dense reference_precision_factor(const std::vector<double>& z, int K, int T, int k) {
  Dense L(T * T, 0.0);
  for (int j = 0; j < T; ++j) {
    const double inv_sigma = std::exp(-head_s(z, K, T, k, j));
    L[j * T + j] = inv_sigma;
    for (int i = 0; i < j; ++i) L[j * T + i] = inv_sigma * head_c(z, K, T, k, j, i);
  }
  return L;
}

inline Dense multiply(const Dense& A, const Dense& B, int n, bool transpose_a = false) {
  Dense C(n * n, 0.0);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j)
      for (int l = 0; l < n; ++l) C[i * n + j] += (transpose_a ? A[l * n + i] : A[i * n + l]) * B[l * n + j];
  return C;
}

// Gauss-Jordan with partial pivoting.
inline Dense inverse(Dense A, int n) {
  Dense I(n * n, 0.0);
  for (int i = 0; i < n; ++i) I[i * n + i] = 1.0;
  for (int col = 0; col < n; ++col) {
    int piv = col;
    for (int r = col + 1; r < n; ++r)
      if (std::fabs(A[r * n + col]) > std::fabs(A[piv * n + col])) piv = r;
    for (int j = 0; j < n; ++j) {
      std::swap(A[col * n + j], A[piv * n + j]);
      std::swap(I[col * n + j], I[piv * n + j]);
    }
    const double p = A[col * n + col];
    for (int j = 0; j < n; ++j) {
      A[col * n + j] /= p;
      I[col * n + j] /= p;
    }
    for (int r = 0; r < n; ++r) {
      if (r == col) continue;
      const double f = A[r * n + col];
      for (int j = 0; j < n; ++j) {
        A[r * n + j] -= f * A[col * n + j];
        I[r * n + j] -= f * I[col * n + j];
      }
    }
  }
  return I;
}

// log |det A| by elimination with partial pivoting.
inline double log_abs_det(Dense A, int n) {
  double acc = 0.0;
  for (int col = 0; col < n; ++col) {
    int piv = col;
    for (int r = col + 1; r < n; ++r)
      if (std::fabs(A[r * n + col]) > std::fabs(A[piv * n + col])) piv = r;
    for (int j = 0; j < n; ++j) std::swap(A[col * n + j], A[piv * n + j]);
    acc += std::log(std::fabs(A[col * n + col]));
    for (int r = col + 1; r < n; ++r) {
      const double f = A[r * n + col] / A[col * n + col];
      for (int j = col; j < n; ++j) A[r * n + j] -= f * A[col * n + j];
    }
  }
  return acc;
}

// Sigma_k = (L^T L)^-1.
inline Dense reference_covariance(const std::vector<double>& z, int K, int T, int k) {
  const Dense L = reference_precision_factor(z, K, T, k);
  return inverse(multiply(L, L, T, /*transpose_a=*/true), T);
}

// log N(y | mean, Sigma) = -n/2 log 2pi - 1/2 log det Sigma - 1/2 r^T Sigma^-1 r.
inline double gaussian_log_pdf(const std::vector<double>& mean, const Dense& sigma, const double* y) {
  const int n = int(mean.size());
  const Dense inv = inverse(sigma, n);
  double q = 0.0;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) q += (y[i] - mean[i]) * inv[i * n + j] * (y[j] - mean[j]);
  return -0.5 * n * std::log(2.0 * M_PI) - 0.5 * log_abs_det(sigma, n) - 0.5 * q;
}

inline std::vector<double> reference_mean(const std::vector<double>& z, int K, int T, int k) {
  std::vector<double> m(T);
  for (int j = 0; j < T; ++j) m[j] = head_m(z, K, T, k, j);
  return m;
}

// The mixture density p(y) = sum_k softmax(a)_k N(y | m_k, Sigma_k), summed
// directly (well-scaled inputs only).
inline double reference_mixture_pdf(const std::vector<double>& z, int K, int T, const double* y) {
  double denom = 0.0;
  for (int k = 0; k < K; ++k) denom += std::exp(z[k]);
  double p = 0.0;
  for (int k = 0; k < K; ++k)
    p += std::exp(z[k]) / denom *
         std::exp(gaussian_log_pdf(reference_mean(z, K, T, k), reference_covariance(z, K, T, k), y));
  return p;
}

// A random full-covariance head: logits in [-1, 1], s in [s_lo, s_hi], means
// in [-2, 2], off-diagonals in [-c_max, c_max].
inline std::vector<double> random_full_head(std::mt19937_64& rng, int K, int T, double s_lo = -0.7, double s_hi = 0.7,
                                            double c_max = 1.2) {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const int P = T * (T - 1) / 2;
  std::vector<double> z(K * (1 + 2 * T + P));
  for (int k = 0; k < K; ++k) z[k] = 2.0 * unit(rng) - 1.0;
  for (int i = 0; i < K * T; ++i) z[K + i] = s_lo + (s_hi - s_lo) * unit(rng);
  for (int i = 0; i < K * T; ++i) z[K + K * T + i] = 4.0 * unit(rng) - 2.0;
  for (int i = 0; i < K * P; ++i) z[K + 2 * K * T + i] = c_max * (2.0 * unit(rng) - 1.0);
  return z;
}

}  // namespace mdn::test
