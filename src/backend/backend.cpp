// The Backend's host implementations of predictive statistics and sampling:
// what the CPU backend uses, and what a backend without its own kernels gets.
#include "mdn/backend.hpp"

#include <cmath>

namespace mdn {

PredictiveStatistics Backend::statistics(const MixtureBatch& mix, const std::vector<double>& levels) {
  validate_quantile_levels(levels);
  PredictiveStatistics out;
  out.moments = predictive_moments(mix);
  out.quantiles = predictive_quantiles(mix, levels);
  return out;
}

bool Backend::join_collective(const std::string&, int, int) { return false; }

double Backend::data_parallel_step(const Matrix& x, const Matrix& t, int batch_rows, const AdamConfig& adam,
                                   const HostSum& host_sum, double& grad_norm) {
  const std::size_t params = ParameterLayout(spec()).total;  // not parameters(): a copy (a download on a GPU)
  // The gradient with the loss appended: one exchange per step.
  std::vector<float> grad(params + 1, 0.0f);
  if (x.rows > 0) {
    // The backend gives the mean over this rank's rows; weighted by their
    // share of the batch, the ranks' terms add up to the batch mean.
    std::vector<float> local;
    const double loss = loss_and_gradient(x, t, local);
    const float share = float(x.rows) / float(batch_rows);
    for (std::size_t i = 0; i < params; ++i) grad[i] = local[i] * share;
    grad[params] = float(loss * share);
  }
  host_sum(grad.data(), grad.size());
  const double loss = grad[params];
  grad.resize(params);
  grad_norm = std::isfinite(loss) ? adam_step(grad, adam) : loss;
  return loss;
}

void Backend::sample(const Matrix& z, const Standardizer& stats, int samples, const SampleOptions& options,
                     std::int64_t first_row, double* out, int* components) {
  sample_mixtures(mixtures_from_head(spec(), stats, z), samples, options, first_row, out, components);
}

}  // namespace mdn
