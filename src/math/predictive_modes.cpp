// Modes of a diagonal-covariance Gaussian mixture in T dimensions.
//
// Fixed point (Carreira-Perpinan 2000): grad p(x) = 0 is, per dimension,
//   x_d = sum_k r_k mu_kd / sigma_kd^2  /  sum_k r_k / sigma_kd^2,
//   r_k = alpha_k N(x | mu_k, sigma_k)  (computed in log space)
// Iterating it from a component mean climbs the density to a stationary point
// (it is an EM step). Convergence is linear, slow where components nearly
// merge, so a few Newton steps on log p finish the job:
//   grad log p = sum_k w_k g_k,   g_kd = (mu_kd - x_d) / sigma_kd^2,  w_k = r_k / p
//   hess log p = sum_k w_k (g_k g_k^T - diag(1/sigma_k^2)) - grad grad^T
// A point whose Hessian is not negative (semi)definite is a saddle or a
// minimum reached from a symmetric start and is dropped.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "math/parallel_rows.hpp"
#include "math/mixture_row.hpp"
#include "math/recalibrated.hpp"
#include "math/transformed.hpp"
#include "mdn/error.hpp"
#include "mdn/predictive.hpp"

namespace mdn {
namespace {

constexpr double kHalfLog2Pi = 0.91893853320467274178;
constexpr int kFixedPointIterations = 1000;
constexpr int kNewtonIterations = 50;
constexpr double kMergeTolerance = 1e-3;  // in units of the smallest sigma of each dimension

// One row in double precision, positive-weight components only.
struct RowMixture {
  int K = 0, T = 0;
  std::vector<double> log_norm;   // K: log alpha_k - sum_d log sigma_kd - T/2 log 2 pi
  std::vector<double> mu;         // K x T
  std::vector<double> inv_var;    // K x T
  std::vector<double> min_sigma;  // T

  RowMixture(const detail::MixtureRow& m) : T(m.T), min_sigma(m.T, std::numeric_limits<double>::infinity()) {
    for (int k = 0; k < m.K; ++k) {
      if (!(m.alpha[k] > 0.0f)) continue;
      double ln = std::log(double(m.alpha[k])) - T * kHalfLog2Pi;
      for (int d = 0; d < T; ++d) {
        const double s = m.sigma[k * T + d];
        ln -= std::log(s);
        mu.push_back(m.mu[k * T + d]);
        inv_var.push_back(1.0 / (s * s));
        min_sigma[d] = std::min(min_sigma[d], s);
      }
      log_norm.push_back(ln);
      ++K;
    }
  }

  // log alpha_k N(x | mu_k, sigma_k) for every k into l; returns max_k l_k.
  double component_logs(const double* x, double* l) const {
    double top = -std::numeric_limits<double>::infinity();
    for (int k = 0; k < K; ++k) {
      double q = 0.0;
      for (int d = 0; d < T; ++d) {
        const double u = x[d] - mu[k * T + d];
        q += u * u * inv_var[k * T + d];
      }
      l[k] = log_norm[k] - 0.5 * q;
      top = std::max(top, l[k]);
    }
    return top;
  }

  // log p(x); w (K) receives the posterior weights w_k = r_k / p.
  double log_density(const double* x, double* w) const {
    const double top = component_logs(x, w);
    double sum = 0.0;
    for (int k = 0; k < K; ++k) sum += (w[k] = std::exp(w[k] - top));
    for (int k = 0; k < K; ++k) w[k] /= sum;
    return top + std::log(sum);
  }
};

// Cholesky of the T x T matrix a (in place, lower); false when not positive definite.
bool cholesky(std::vector<double>& a, int T) {
  for (int j = 0; j < T; ++j) {
    double s = a[j * T + j];
    for (int k = 0; k < j; ++k) s -= a[j * T + k] * a[j * T + k];
    if (!(s > 0.0)) return false;
    a[j * T + j] = std::sqrt(s);
    for (int i = j + 1; i < T; ++i) {
      double t = a[i * T + j];
      for (int k = 0; k < j; ++k) t -= a[i * T + k] * a[j * T + k];
      a[i * T + j] = t / a[j * T + j];
    }
  }
  return true;
}

// grad (T) and minus the Hessian (T x T) of log p at x, given the posterior weights w.
void gradient_and_neg_hessian(const RowMixture& m, const double* x, const double* w, std::vector<double>& grad,
                              std::vector<double>& neg_hess) {
  const int T = m.T;
  std::fill(grad.begin(), grad.end(), 0.0);
  std::fill(neg_hess.begin(), neg_hess.end(), 0.0);
  std::vector<double> g(T);
  for (int k = 0; k < m.K; ++k) {
    for (int d = 0; d < T; ++d) g[d] = (m.mu[k * T + d] - x[d]) * m.inv_var[k * T + d];
    for (int d = 0; d < T; ++d) {
      grad[d] += w[k] * g[d];
      neg_hess[d * T + d] += w[k] * m.inv_var[k * T + d];
      for (int e = 0; e < T; ++e) neg_hess[d * T + e] -= w[k] * g[d] * g[e];
    }
  }
  for (int d = 0; d < T; ++d)
    for (int e = 0; e < T; ++e) neg_hess[d * T + e] += grad[d] * grad[e];
}

// Climbs from x (in place). Returns false when the end point is not a maximum.
bool climb(const RowMixture& m, std::vector<double>& x, double& log_p) {
  const int T = m.T, K = m.K;
  std::vector<double> l(K), w_next(K), next(T), grad(T), neg_hess(T * T), chol(T * T), step(T), num(T), den(T);
  for (int it = 0; it < kFixedPointIterations; ++it) {
    const double top = m.component_logs(x.data(), l.data());
    std::fill(num.begin(), num.end(), 0.0);
    std::fill(den.begin(), den.end(), 0.0);
    for (int k = 0; k < K; ++k) {
      const double r = std::exp(l[k] - top);
      for (int d = 0; d < T; ++d) {
        num[d] += r * m.inv_var[k * T + d] * m.mu[k * T + d];
        den[d] += r * m.inv_var[k * T + d];
      }
    }
    double moved = 0.0;
    for (int d = 0; d < T; ++d) {
      next[d] = num[d] / den[d];
      moved = std::max(moved, std::fabs(next[d] - x[d]) / m.min_sigma[d]);
    }
    x = next;
    if (moved <= 1e-10) break;
  }

  // Newton polish on log p, accepted only while the density does not drop.
  log_p = m.log_density(x.data(), l.data());
  for (int it = 0; it < kNewtonIterations; ++it) {
    gradient_and_neg_hessian(m, x.data(), l.data(), grad, neg_hess);
    chol = neg_hess;
    if (!cholesky(chol, T)) break;
    // Solve (L L^T) step = grad.
    for (int i = 0; i < T; ++i) {
      double s = grad[i];
      for (int k = 0; k < i; ++k) s -= chol[i * T + k] * step[k];
      step[i] = s / chol[i * T + i];
    }
    for (int i = T - 1; i >= 0; --i) {
      double s = step[i];
      for (int k = i + 1; k < T; ++k) s -= chol[k * T + i] * step[k];
      step[i] = s / chol[i * T + i];
    }
    double size = 0.0;
    for (int d = 0; d < T; ++d) {
      next[d] = x[d] + step[d];
      size = std::max(size, std::fabs(step[d]) / m.min_sigma[d]);
    }
    const double log_p_next = m.log_density(next.data(), w_next.data());
    if (!(log_p_next >= log_p - 1e-13 * std::max(1.0, std::fabs(log_p)))) break;
    x = next;
    log_p = log_p_next;
    l = w_next;
    if (size <= 1e-15) break;
  }

  // A maximum has -H positive semidefinite: test -H + delta I with delta a
  // tiny fraction of the curvature scale, so flat tops pass and minima fail.
  gradient_and_neg_hessian(m, x.data(), l.data(), grad, neg_hess);
  double scale = 0.0;
  for (int k = 0; k < K; ++k)
    for (int d = 0; d < T; ++d) scale = std::max(scale, m.inv_var[k * T + d]);
  for (int d = 0; d < T; ++d) neg_hess[d * T + d] += 1e-9 * scale;
  return cholesky(neg_hess, T);
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
  if (mix.full_covariance())
    throw UsageError("joint modes of full-covariance components are not supported yet; the per-target "
                     "outputs (mean, std, quantiles, HDR) are");
  if (mix.transformed()) {
    // Maxima of the original-units density f_u(g(y)) g'(y) (not g^-1 of the
    // modes of u): src/math/transformed.hpp.
    if (mix.T != 1)
      throw UsageError("joint modes of several targets with a target transform are not supported yet; the "
                       "per-target outputs (mean, std, quantiles, HDR) are");
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
  const RowMixture m(detail::mixture_row(mix, row));
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
