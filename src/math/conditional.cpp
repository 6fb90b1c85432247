#include "mdn/conditional.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "mdn/detail/full_cov_gaussian.hpp"
#include "mdn/error.hpp"

namespace mdn {
namespace {

void check_observations(const MixtureBatch& mix, const TargetObservations& given) {
  const int n = int(given.observed.size());
  if (n == 0) throw UsageError("conditioning needs at least one observed target");
  if (n >= mix.T)
    throw UsageError("conditioning on every target leaves nothing to predict (the model has " +
                     std::to_string(mix.T) + " target" + (mix.T == 1 ? "" : "s") + ")");
  for (int i = 0; i < n; ++i) {
    const int d = given.observed[std::size_t(i)];
    if (d < 0 || d >= mix.T) throw UsageError("observed target index " + std::to_string(d) + " is out of range");
    if (i > 0 && d <= given.observed[std::size_t(i) - 1])
      throw UsageError("observed targets must be listed once each, in increasing order");
  }
  if (given.values.cols != n || (given.values.rows != 1 && given.values.rows != mix.rows))
    throw UsageError("observed values: " + std::to_string(given.values.rows) + " x " +
                     std::to_string(given.values.cols) + " given, expected 1 or " + std::to_string(mix.rows) +
                     " rows of " + std::to_string(n));
  for (std::size_t i = 0; i < given.values.data.size(); ++i)
    if (!std::isfinite(given.values.data[i]))
      throw UsageError("observed value in row " + std::to_string(i / std::size_t(n) + 1) + " is not a finite number");
  if (!mix.pit_maps.empty()) throw Error("conditioning a recalibrated (PIT-mapped) mixture is not supported");
}

// One diagonal row: log N(y_O) per component added to the log weights; the
// unobserved targets' means and sigmas copied.
bool condition_diagonal_row(const MixtureBatch& mix, int r, const std::vector<int>& observed, const double* y,
                            const std::vector<int>& unobserved, MixtureBatch& out) {
  double* logw = out.alpha.data() + std::size_t(r) * mix.K;  // log weights, then the weights
  double top = -INFINITY;
  for (int k = 0; k < mix.K; ++k) {
    double l = mix.weight(r, k) > 0.0 ? std::log(mix.weight(r, k)) : -INFINITY;
    for (std::size_t i = 0; i < observed.size(); ++i) {
      const int d = observed[i];
      const double s = mix.stddev(r, k, d), u = (y[i] - mix.mean(r, k, d)) / s;
      l += -0.5 * u * u - std::log(s) - detail::kHalfLog2Pi;
    }
    logw[k] = l;
    top = std::max(top, l);
  }
  if (!(top > -INFINITY) || !std::isfinite(top)) return false;
  double total = 0.0;
  for (int k = 0; k < mix.K; ++k) total += (logw[k] = std::exp(logw[k] - top));
  const int Tu = int(unobserved.size());
  for (int k = 0; k < mix.K; ++k) {
    logw[k] /= total;
    for (int a = 0; a < Tu; ++a) {
      out.mu[(std::size_t(r) * mix.K + k) * Tu + a] = mix.mean(r, k, unobserved[std::size_t(a)]);
      out.sigma[(std::size_t(r) * mix.K + k) * Tu + a] = mix.stddev(r, k, unobserved[std::size_t(a)]);
    }
  }
  return true;
}

// Per-component scratch of condition_full_row, allocated once per batch.
struct FullScratch {
  std::vector<detail::DenseGaussian> comps, cond;
};

// One full-covariance row through dense_mixture_condition.
bool condition_full_row(const MixtureBatch& mix, int r, const std::vector<int>& observed, const double* y,
                        FullScratch& scratch, MixtureBatch& out) {
  const int T = mix.T, K = mix.K, Tu = out.T;
  std::vector<detail::DenseGaussian>& comps = scratch.comps;
  std::vector<detail::DenseGaussian>& cond = scratch.cond;
  int flags[detail::kMaxFullCovTargets] = {};
  double full_y[detail::kMaxFullCovTargets] = {};
  for (std::size_t i = 0; i < observed.size(); ++i) flags[observed[i]] = 1, full_y[observed[i]] = y[i];
  for (int k = 0; k < K; ++k) {
    detail::DenseGaussian& g = comps[std::size_t(k)];
    g.n = T;
    const double* A = mix.factor(r, k);
    for (int i = 0; i < T; ++i) {
      g.mean[i] = mix.mean(r, k, i);
      for (int j = 0; j <= i; ++j) g.a(i, j) = A[i * (i + 1) / 2 + j];
    }
  }
  if (!detail::dense_mixture_condition(mix.alpha.data() + std::size_t(r) * K, comps.data(), K, flags, full_y,
                                       out.alpha.data() + std::size_t(r) * K, cond.data()))
    return false;
  for (int k = 0; k < K; ++k) {
    const detail::DenseGaussian& c = cond[std::size_t(k)];
    for (int a = 0; a < Tu; ++a) {
      out.mu[(std::size_t(r) * K + k) * Tu + a] = c.mean[a];
      out.sigma[(std::size_t(r) * K + k) * Tu + a] = detail::dense_gaussian_marginal_sigma(c, a);
      if (out.chol.empty()) continue;
      double* A = out.chol.data() + (std::size_t(r) * K + k) * out.chol_size();
      for (int b = 0; b <= a; ++b) A[a * (a + 1) / 2 + b] = c.a(a, b);
    }
  }
  return true;
}

}  // namespace

MixtureBatch condition_mixtures(const MixtureBatch& mix, const TargetObservations& given) {
  check_observations(mix, given);
  std::vector<int> unobserved;
  for (int d = 0, i = 0; d < mix.T; ++d)
    if (i < int(given.observed.size()) && given.observed[std::size_t(i)] == d)
      ++i;
    else
      unobserved.push_back(d);
  MixtureBatch out;
  out.rows = mix.rows;
  out.K = mix.K;
  out.T = int(unobserved.size());
  out.alpha.resize(std::size_t(mix.rows) * mix.K);
  out.mu.resize(std::size_t(mix.rows) * mix.K * out.T);
  out.sigma.resize(out.mu.size());
  // One target left: its sigma is the whole story, the batch diagonal.
  if (mix.full_covariance() && out.T >= 2) out.chol.resize(std::size_t(mix.rows) * mix.K * out.chol_size());
  // Target transforms (diagonal batches only): the observed values enter as
  // u = g(y) (their Jacobian is the same for every component, so it leaves
  // the weights alone); the targets left keep theirs.
  if (!mix.transforms.empty())
    for (const int d : unobserved) out.transforms.push_back(mix.transforms[std::size_t(d)]);
  MatrixD observed_u = given.values;
  for (int r = 0; r < observed_u.rows; ++r)
    for (int i = 0; i < observed_u.cols; ++i)
      if (const TargetTransform* g = mix.transform(given.observed[std::size_t(i)])) {
        if (!g->in_domain(observed_u(r, i)))
          throw UsageError("observed value " + std::to_string(observed_u(r, i)) +
                           " is outside the target's transform (log needs values > 0)");
        observed_u(r, i) = g->forward(observed_u(r, i));
      }
  const int n = int(given.observed.size());
  FullScratch scratch;
  if (mix.full_covariance()) scratch.comps.resize(std::size_t(mix.K)), scratch.cond.resize(std::size_t(mix.K));
  for (int r = 0; r < mix.rows; ++r) {
    const double* y = observed_u.row(observed_u.rows == 1 ? 0 : r);
    const bool ok = mix.full_covariance() ? condition_full_row(mix, r, given.observed, y, scratch, out)
                                          : condition_diagonal_row(mix, r, given.observed, y, unobserved, out);
    if (!ok)
      throw Error("row " + std::to_string(r + 1) + ": the observed target value" + (n == 1 ? " has" : "s have") +
                  " zero density under every component of the model, so the conditional is undefined");
  }
  return out;
}

std::vector<std::string> unobserved_names(const std::vector<std::string>& target_names,
                                          const std::vector<int>& observed) {
  std::vector<std::string> names;
  for (int d = 0, i = 0; d < int(target_names.size()); ++d)
    if (i < int(observed.size()) && observed[std::size_t(i)] == d)
      ++i;
    else
      names.push_back(target_names[std::size_t(d)]);
  return names;
}

}  // namespace mdn
