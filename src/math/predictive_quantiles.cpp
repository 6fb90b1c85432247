// Marginal quantiles of a Gaussian mixture: F(q) = level solved inside the
// bracket of the component quantiles. The per-(row, dimension, level)
// routine is detail::mixture_quantile (mdn/detail/quantile_math.hpp), shared
// with the CUDA kernel (kernels/predictive.cu); this file validates levels,
// orders them and threads over rows.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <cstdio>
#include <limits>
#include <string>

#include "math/parallel_rows.hpp"
#include "math/mixture_row.hpp"
#include "mdn/detail/quantile_math.hpp"
#include "math/format_number.hpp"
#include "mdn/error.hpp"
#include "mdn/predictive.hpp"

namespace mdn {
namespace {

double solve_quantile(const detail::MixtureRow& m, int d, double level, double lower) {
  double q = 0.0;
  if (detail::mixture_quantile(m.alpha, m.mu, m.sigma, m.K, m.T, d, level, lower, q) != detail::QuantileStatus::Ok)
    throw Error("quantile: the mixture has no component with positive weight");
  return q;
}

}  // namespace

void validate_quantile_levels(const std::vector<double>& levels) {
  for (std::size_t i = 0; i < levels.size(); ++i) {
    const double p = levels[i];
    if (!(p > 0.0 && p < 1.0))
      throw UsageError("quantile level " + detail::format_number(p) + " is not strictly between 0 and 1");
    for (std::size_t j = 0; j < i; ++j)
      if (levels[j] == p) throw UsageError("quantile level " + detail::format_number(p) + " is given twice");
  }
}

double marginal_quantile(const MixtureBatch& mix, int row, int d, double level, double lower) {
  if (row < 0 || row >= mix.rows || d < 0 || d >= mix.T)
    throw Error("marginal_quantile: row or dimension out of range");
  if (!(level > 0.0 && level < 1.0))
    throw UsageError("quantile level must be strictly between 0 and 1, got " + detail::format_number(level));
  const PitMap* g = mix.pit_map(d);
  const TargetTransform* h = mix.transform(d);  // the quantile in u = h(y), mapped back: h is increasing
  if (h != nullptr) lower = h->in_domain(lower) ? h->forward(lower) : -std::numeric_limits<double>::infinity();
  const double q = solve_quantile(detail::mixture_row(mix, row), d, g != nullptr ? g->inverse(level) : level, lower);
  return h != nullptr ? h->inverse(q) : q;
}

std::vector<double> predictive_quantiles(const MixtureBatch& mix, const std::vector<double>& levels) {
  validate_quantile_levels(levels);
  const int L = int(levels.size()), T = mix.T;
  // Solve in increasing level order, each bounded below by the previous
  // answer: non-crossing by construction.
  std::vector<int> order(L);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](int a, int b) { return levels[a] < levels[b]; });
  std::vector<double> out(std::size_t(mix.rows) * T * L);
  detail::for_each_row(mix.rows, 64, [&](int r) {
    const detail::MixtureRow m = detail::mixture_row(mix, r);
    for (int d = 0; d < T; ++d) {
      double previous = -std::numeric_limits<double>::infinity();
      const PitMap* g = mix.pit_map(d);  // recalibrated: the mixture's quantile at G^-1(level)
      const TargetTransform* h = mix.transform(d);  // transformed: h^-1 of the quantile of u = h(y)
      for (const int j : order) {
        previous = solve_quantile(m, d, g != nullptr ? g->inverse(levels[j]) : levels[j], previous);
        out[(std::size_t(r) * T + d) * L + j] = h != nullptr ? h->inverse(previous) : previous;
      }
    }
  });
  return out;
}

}  // namespace mdn
