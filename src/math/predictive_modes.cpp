// Modes of a Gaussian mixture in T dimensions, diagonal or full covariance.
//
// Component k: mean mu_k, covariance Sigma_k = A_k A_k^T (A_k = diag(sigma_k)
// for a diagonal component), precision P_k = L_k^T L_k with L_k = A_k^-1.
// With w_k(x) = r_k / p the posterior weights, r_k = alpha_k N(x | mu_k,
// Sigma_k) (computed in log space) and g_k = P_k (mu_k - x) = grad log N_k:
//
// Fixed point (Carreira-Perpinan 2000, 2007): grad p(x) = 0 is
//   x = (sum_k r_k P_k)^-1 sum_k r_k P_k mu_k,
// taken here as the step x += (sum_k r_k P_k)^-1 sum_k r_k g_k (the same
// point, computed from differences mu_k - x so that targets far from 0 keep
// their digits). Iterating it from a component mean climbs the density to a
// stationary point (it is an EM step; per dimension for diagonal components).
// Convergence is linear, slow where components nearly merge, so a few Newton
// steps on log p finish the job:
//   grad log p = sum_k w_k g_k
//   hess log p = sum_k w_k (g_k g_k^T - P_k) - grad grad^T
// A point whose Hessian is not negative (semi)definite is a saddle or a
// minimum reached from a symmetric start and is dropped.
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "math/parallel_rows.hpp"
#include "math/mixture_row.hpp"
#include "math/recalibrated.hpp"
#include "math/transformed.hpp"
#include "mdn/detail/full_cov_gaussian.hpp"
#include "mdn/error.hpp"
#include "mdn/predictive.hpp"

namespace mdn {
namespace {

constexpr double kHalfLog2Pi = 0.91893853320467274178;
constexpr int kFixedPointIterations = 1000;
constexpr int kNewtonIterations = 50;
constexpr double kMergeTolerance = 1e-3;  // in units of the smallest sigma of each dimension

// One row in double precision, positive-weight components only. Diagonal
// components keep only the diagonals of L_k and P_k (the same formulas with
// every off-diagonal zero, at O(T) per component instead of O(T^2)).
struct RowMixture {
  int K = 0, T = 0;
  bool diagonal = true;
  std::vector<double> log_norm;    // K: log alpha_k - log det A_k - T/2 log 2 pi
  std::vector<double> mu;          // K x T
  std::vector<double> inv_factor;  // K x T x T: L_k = A_k^-1, lower triangular, row-major (diagonal: K x T)
  std::vector<double> precision;   // K x T x T: P_k = L_k^T L_k (diagonal: K x T)
  std::vector<double> min_sigma;   // T: the smallest marginal sigma of each dimension
  double curvature = 0.0;          // max_k,d (P_k)_dd: the scale of the Hessian

  RowMixture(const MixtureBatch& mix, int row)
      : T(mix.T), diagonal(!mix.full_covariance()), min_sigma(mix.T, std::numeric_limits<double>::infinity()) {
    if (T > detail::kMaxFullCovTargets)
      throw Error("mixture_modes: at most " + std::to_string(detail::kMaxFullCovTargets) + " targets");
    for (int k = 0; k < mix.K; ++k) {
      if (!(mix.weight(row, k) > 0.0)) continue;
      double ln = std::log(mix.weight(row, k)) - T * kHalfLog2Pi;
      for (int d = 0; d < T; ++d) {
        mu.push_back(mix.mean(row, k, d));
        min_sigma[d] = std::min(min_sigma[d], mix.stddev(row, k, d));
        ln -= std::log(diagonal ? mix.stddev(row, k, d) : mix.factor(row, k)[d * (d + 1) / 2 + d]);
      }
      log_norm.push_back(ln);
      if (diagonal)
        for (int d = 0; d < T; ++d) {
          const double s = mix.stddev(row, k, d);
          inv_factor.push_back(1.0 / s);
          precision.push_back(1.0 / (s * s));
          curvature = std::max(curvature, precision.back());
        }
      else
        add_full_component(mix.factor(row, k));
      ++K;
    }
  }

  // L = A^-1 column by column (forward substitution of the unit vectors) and
  // P = L^T L, from the packed lower factor a of a full component.
  void add_full_component(const double* a) {
    double A[detail::kMaxFullCovTargets * detail::kMaxFullCovTargets] = {};
    for (int i = 0; i < T; ++i)
      for (int j = 0; j <= i; ++j) A[i * T + j] = a[i * (i + 1) / 2 + j];
    const std::size_t at = inv_factor.size();
    inv_factor.resize(at + std::size_t(T) * T, 0.0);
    double* L = inv_factor.data() + at;
    for (int i = 0; i < T; ++i) {
      double e[detail::kMaxFullCovTargets] = {};
      e[i] = 1.0;
      detail::forward_substitute(A, T, T, e, e);
      for (int j = i; j < T; ++j) L[j * T + i] = e[j];
    }
    for (int i = 0; i < T; ++i)
      for (int j = 0; j < T; ++j) {
        double p = 0.0;
        for (int l = std::max(i, j); l < T; ++l) p += L[l * T + i] * L[l * T + j];
        precision.push_back(p);
        if (i == j) curvature = std::max(curvature, p);
      }
  }

  // Entry (d, e) of P_k.
  double P(int k, int d, int e) const {
    if (diagonal) return d == e ? precision[std::size_t(k) * T + d] : 0.0;
    return precision[(std::size_t(k) * T + d) * T + e];
  }

  // log alpha_k N(x | mu_k, Sigma_k) for every k into l, and g_k = P_k (mu_k - x)
  // into g (K x T); returns max_k l_k.
  double component_logs(const double* x, double* l, double* g) const {
    double top = -std::numeric_limits<double>::infinity();
    for (int k = 0; k < K; ++k) {
      const double* m = mu.data() + std::size_t(k) * T;
      double* gk = g + std::size_t(k) * T;
      double q = 0.0;
      if (diagonal) {
        const double* inv = inv_factor.data() + std::size_t(k) * T;
        for (int d = 0; d < T; ++d) {
          const double w = (x[d] - m[d]) * inv[d];
          q += w * w;
          gk[d] = -w * inv[d];
        }
      } else {
        const double* Lk = inv_factor.data() + std::size_t(k) * T * T;
        double w[detail::kMaxFullCovTargets];
        for (int i = 0; i < T; ++i) {  // w = L_k (x - mu_k)
          double v = 0.0;
          for (int j = 0; j <= i; ++j) v += Lk[i * T + j] * (x[j] - m[j]);
          w[i] = v;
          q += v * v;
        }
        for (int j = 0; j < T; ++j) {  // g = -L_k^T w
          double v = 0.0;
          for (int i = j; i < T; ++i) v -= Lk[i * T + j] * w[i];
          gk[j] = v;
        }
      }
      l[k] = log_norm[std::size_t(k)] - 0.5 * q;
      top = std::max(top, l[k]);
    }
    return top;
  }

  // log p(x); w (K) receives the posterior weights w_k = r_k / p, g as above.
  double log_density(const double* x, double* w, double* g) const {
    const double top = component_logs(x, w, g);
    double sum = 0.0;
    for (int k = 0; k < K; ++k) sum += (w[k] = std::exp(w[k] - top));
    for (int k = 0; k < K; ++k) w[k] /= sum;
    return top + std::log(sum);
  }
};

// Solves M x = b for a symmetric positive-definite M (T x T, overwritten by
// its Cholesky factor); false when M is not positive definite.
bool solve_positive_definite(std::vector<double>& M, const std::vector<double>& b, std::vector<double>& x, int T) {
  if (!detail::cholesky_lower(M.data(), T, T, M.data(), T)) return false;
  detail::forward_substitute(M.data(), T, T, b.data(), x.data());
  for (int i = T - 1; i >= 0; --i) {  // L^T x = y
    double s = x[std::size_t(i)];
    for (int k = i + 1; k < T; ++k) s -= M[std::size_t(k * T + i)] * x[std::size_t(k)];
    x[std::size_t(i)] = s / M[std::size_t(i * T + i)];
  }
  return true;
}

// grad (T) and minus the Hessian (T x T) of log p, given the posterior weights w and the g_k.
void gradient_and_neg_hessian(const RowMixture& m, const double* w, const double* g, std::vector<double>& grad,
                              std::vector<double>& neg_hess) {
  const int T = m.T;
  std::fill(grad.begin(), grad.end(), 0.0);
  std::fill(neg_hess.begin(), neg_hess.end(), 0.0);
  for (int k = 0; k < m.K; ++k) {
    const double* gk = g + std::size_t(k) * T;
    for (int d = 0; d < T; ++d) {
      grad[std::size_t(d)] += w[k] * gk[d];
      for (int e = 0; e < T; ++e) neg_hess[std::size_t(d * T + e)] += w[k] * (m.P(k, d, e) - gk[d] * gk[e]);
    }
  }
  for (int d = 0; d < T; ++d)
    for (int e = 0; e < T; ++e) neg_hess[std::size_t(d * T + e)] += grad[std::size_t(d)] * grad[std::size_t(e)];
}

// The fixed-point iteration from x (in place) until no coordinate moves by
// more than 1e-10 of its smallest sigma. Diagonal components: sum_k r_k P_k
// is diagonal and the step a division per dimension.
void mean_shift(const RowMixture& m, std::vector<double>& x) {
  const int T = m.T, K = m.K;
  std::vector<double> l(K), g(std::size_t(K) * T), M(std::size_t(T) * T), rhs(T), step(T);
  for (int it = 0; it < kFixedPointIterations; ++it) {
    const double top = m.component_logs(x.data(), l.data(), g.data());
    std::fill(M.begin(), M.end(), 0.0);
    std::fill(rhs.begin(), rhs.end(), 0.0);
    for (int k = 0; k < K; ++k) {
      const double r = std::exp(l[std::size_t(k)] - top);
      for (int d = 0; d < T; ++d) {
        rhs[std::size_t(d)] += r * g[std::size_t(k) * T + d];
        if (m.diagonal)
          M[std::size_t(d)] += r * m.P(k, d, d);
        else
          for (int e = 0; e < T; ++e) M[std::size_t(d * T + e)] += r * m.P(k, d, e);
      }
    }
    if (m.diagonal)
      for (int d = 0; d < T; ++d) step[std::size_t(d)] = rhs[std::size_t(d)] / M[std::size_t(d)];
    else if (!solve_positive_definite(M, rhs, step, T))
      return;
    double moved = 0.0;
    for (int d = 0; d < T; ++d) {
      x[std::size_t(d)] += step[std::size_t(d)];
      moved = std::max(moved, std::fabs(step[std::size_t(d)]) / m.min_sigma[std::size_t(d)]);
    }
    if (moved <= 1e-10) return;
  }
}

// Climbs from x (in place). Returns false when the end point is not a maximum.
bool climb(const RowMixture& m, std::vector<double>& x, double& log_p) {
  const int T = m.T, K = m.K;
  mean_shift(m, x);
  std::vector<double> w(K), g(std::size_t(K) * T), w_next(K), g_next(g.size()), next(T), grad(T),
      neg_hess(std::size_t(T) * T), step(T);
  // Newton polish on log p, accepted only while the density does not drop.
  log_p = m.log_density(x.data(), w.data(), g.data());
  for (int it = 0; it < kNewtonIterations; ++it) {
    gradient_and_neg_hessian(m, w.data(), g.data(), grad, neg_hess);
    if (!solve_positive_definite(neg_hess, grad, step, T)) break;
    double size = 0.0;
    for (int d = 0; d < T; ++d) {
      next[std::size_t(d)] = x[std::size_t(d)] + step[std::size_t(d)];
      size = std::max(size, std::fabs(step[std::size_t(d)]) / m.min_sigma[std::size_t(d)]);
    }
    const double log_p_next = m.log_density(next.data(), w_next.data(), g_next.data());
    if (!(log_p_next >= log_p - 1e-13 * std::max(1.0, std::fabs(log_p)))) break;
    x.swap(next);
    w.swap(w_next);
    g.swap(g_next);
    log_p = log_p_next;
    if (size <= 1e-15) break;
  }

  // A maximum has -H positive semidefinite: test -H + delta I with delta a
  // tiny fraction of the curvature scale, so flat tops pass and minima fail.
  gradient_and_neg_hessian(m, w.data(), g.data(), grad, neg_hess);
  for (int d = 0; d < T; ++d) neg_hess[std::size_t(d * T + d)] += 1e-9 * m.curvature;
  return detail::cholesky_lower(neg_hess.data(), T, T, neg_hess.data(), T);
}

}  // namespace
namespace {

// The modes of a recalibrated 1-D marginal g(F(y)) f(y) (g a step function
// of F, mdn/pit_map.hpp), from the mixture's own modes: each of them stays a
// local maximum (scaled by g), and a band edge q_j = F^-1(j / M) where the
// density jumps down while f rises into it (or jumps up while f falls away
// from it) is one too, with the higher side's density. Ranked by density,
// at most K (the prediction's mode columns).
std::vector<Mode> recalibrated_modes(const MixtureBatch& mix, int row, const PitMap& g, std::vector<Mode> modes) {
  const detail::RowMarginal f = detail::row_marginal(mix, row, 0);
  for (Mode& mode : modes) mode.density *= g.density(f.cdf(mode.location[0]));
  const std::vector<double> edges = detail::band_edges(f, g);
  for (int j = 1; j < g.bins(); ++j) {
    const double q = edges[std::size_t(j)];
    double slope = 0.0;  // f'(q)
    for (int k = 0; k < f.m.K; ++k) {
      const double s = f.m.sigma[k], u = (q - f.m.mu[k]) / s;
      slope -= f.m.alpha[k] / f.total * std::exp(-0.5 * u * u) * 0.3989422804014327 * u / (s * s);
    }
    const double left = g.height(j - 1), right = g.height(j);
    if ((slope > 0.0 && left > right) || (slope < 0.0 && right > left))
      modes.push_back({{q}, std::max(left, right) * f.pdf(q)});
  }
  std::stable_sort(modes.begin(), modes.end(), [](const Mode& a, const Mode& b) { return a.density > b.density; });
  if (int(modes.size()) > mix.K) modes.resize(std::size_t(mix.K));
  return modes;
}

}  // namespace
std::vector<Mode> mixture_modes(const MixtureBatch& mix, int row) {
  if (row < 0 || row >= mix.rows) throw Error("mixture_modes: row out of range");
  if (mix.transformed()) {
    // Maxima of the original-units density f_u(g(y)) g'(y) (not g^-1 of the
    // modes of u): src/math/transformed.hpp.
    if (mix.T != 1)
      throw UsageError("joint modes of several targets with a target transform are not supported yet; the "
                       "per-target outputs (mean, std, quantiles, HDR, correlation) are");
    return detail::transformed_modes(detail::transformed_marginal(mix, row, 0));
  }
  if (!mix.pit_maps.empty()) {
    if (mix.T != 1) throw Error("mixture_modes: a recalibrated mixture must have one target");
    if (const PitMap* g = mix.pit_map(0)) {
      MixtureBatch plain;  // the row without its map
      plain.rows = 1, plain.K = mix.K, plain.T = 1;
      plain.alpha.assign(mix.alpha.begin() + std::size_t(row) * mix.K, mix.alpha.begin() + std::size_t(row + 1) * mix.K);
      plain.mu.assign(mix.mu.begin() + std::size_t(row) * mix.K, mix.mu.begin() + std::size_t(row + 1) * mix.K);
      plain.sigma.assign(mix.sigma.begin() + std::size_t(row) * mix.K,
                         mix.sigma.begin() + std::size_t(row + 1) * mix.K);
      return recalibrated_modes(mix, row, *g, mixture_modes(plain, 0));
    }
  }
  const RowMixture m(mix, row);
  const int T = m.T;
  std::vector<Mode> found;
  for (int k = 0; k < m.K; ++k) {
    std::vector<double> x(m.mu.begin() + std::size_t(k) * T, m.mu.begin() + std::size_t(k + 1) * T);
    double log_p = 0.0;
    if (!climb(m, x, log_p)) continue;
    found.push_back({x, std::exp(log_p)});
  }
  std::stable_sort(found.begin(), found.end(), [](const Mode& a, const Mode& b) { return a.density > b.density; });
  std::vector<Mode> modes;
  for (auto& candidate : found) {
    bool duplicate = false;
    for (const auto& kept : modes) {
      double distance = 0.0;
      for (int d = 0; d < T; ++d)
        distance = std::max(distance, std::fabs(candidate.location[d] - kept.location[d]) / m.min_sigma[d]);
      if (distance <= kMergeTolerance) duplicate = true;
    }
    if (!duplicate) modes.push_back(std::move(candidate));
  }
  return modes;
}

std::vector<std::vector<Mode>> predictive_modes(const MixtureBatch& mix) {
  std::vector<std::vector<Mode>> out(mix.rows);
  detail::for_each_row(mix.rows, 16, [&](int r) { out[r] = mixture_modes(mix, r); });
  return out;
}

}  // namespace mdn
