// The Backend's host implementations of predictive statistics and sampling:
// what the CPU backend uses, and what a backend without its own kernels gets.
#include "mdn/backend.hpp"

namespace mdn {

PredictiveStatistics Backend::statistics(const MixtureBatch& mix, const std::vector<double>& levels) {
  validate_quantile_levels(levels);
  PredictiveStatistics out;
  out.moments = predictive_moments(mix);
  out.quantiles = predictive_quantiles(mix, levels);
  return out;
}

void Backend::sample(const Matrix& z, const Standardizer& stats, int samples, const SampleOptions& options,
                     std::int64_t first_row, float* out, int* components) {
  sample_mixtures(mixtures_from_head(spec(), stats, z), samples, options, first_row, out, components);
}

}  // namespace mdn
