// Predictive moments per row and dimension (the formulas of
// detail/marginal_math.hpp). Quantiles, modes and highest-density regions
// live in predictive_quantiles.cpp, predictive_modes.cpp, predictive_hdr.cpp.
#include "mdn/predictive.hpp"

#include <cmath>

#include "math/mixture_row.hpp"
#include "mdn/detail/marginal_math.hpp"

namespace mdn {

PredictiveMoments predictive_moments(const MixtureBatch& mix) {
  PredictiveMoments out;
  out.rows = mix.rows;
  out.T = mix.T;
  out.mean.resize(std::size_t(mix.rows) * mix.T);
  out.stddev.resize(out.mean.size());
#pragma omp parallel for schedule(static)
  for (int r = 0; r < mix.rows; ++r) {
    const detail::MixtureRow m = detail::mixture_row(mix, r);
    for (int d = 0; d < mix.T; ++d) {
      double mean = 0.0, variance = 0.0;
      detail::marginal_moments(m.alpha, m.mu, m.sigma, m.K, m.T, d, mean, variance);
      out.mean[std::size_t(r) * mix.T + d] = mean;
      out.stddev[std::size_t(r) * mix.T + d] = std::sqrt(variance);
    }
  }
  return out;
}

}  // namespace mdn
