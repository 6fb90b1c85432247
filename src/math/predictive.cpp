// Predictive moments per row and dimension (the formulas of
// detail/marginal_math.hpp). Quantiles, modes and highest-density regions
// live in predictive_quantiles.cpp, predictive_modes.cpp, predictive_hdr.cpp.
#include "mdn/predictive.hpp"

#include <cmath>

#include "math/mixture_row.hpp"
#include "math/parallel_rows.hpp"
#include "math/recalibrated.hpp"
#include "math/transformed.hpp"
#include "mdn/detail/marginal_math.hpp"

namespace mdn {

PredictiveMoments predictive_moments(const MixtureBatch& mix) {
  PredictiveMoments out;
  out.rows = mix.rows;
  out.T = mix.T;
  out.mean.resize(std::size_t(mix.rows) * mix.T);
  out.stddev.resize(out.mean.size());
  // Recalibrated rows solve quantiles (which may throw): detail::for_each_row.
  detail::for_each_row(mix.rows, 64, [&](int r) {
    const detail::MixtureRow m = detail::mixture_row(mix, r);
    for (int d = 0; d < mix.T; ++d) {
      double mean = 0.0, variance = 0.0;
      if (mix.transform(d) != nullptr)
        detail::transformed_moments(detail::transformed_marginal(mix, r, d), mean, variance);
      else if (const PitMap* g = mix.pit_map(d))
        detail::recalibrated_moments(detail::row_marginal(mix, r, d), *g, mean, variance);
      else
        detail::marginal_moments(m.alpha, m.mu, m.sigma, m.K, m.T, d, mean, variance);
      out.mean[std::size_t(r) * mix.T + d] = mean;
      out.stddev[std::size_t(r) * mix.T + d] = std::sqrt(variance);
    }
  });
  return out;
}

}  // namespace mdn
