// The Backend's host implementations of predictive statistics and sampling:
// what the CPU backend uses, and what a backend without its own kernels gets.
#include "mdn/backend.hpp"

#include <algorithm>
#include <cmath>

#include "mdn/detail/cell_math.hpp"
#include "mdn/detail/full_cov_math.hpp"
#include "mdn/detail/mixture_math.hpp"

namespace mdn {

PredictiveStatistics Backend::statistics(const MixtureBatch& mix, const std::vector<double>& levels) {
  validate_quantile_levels(levels);
  PredictiveStatistics out;
  out.moments = predictive_moments(mix);
  out.quantiles = predictive_quantiles(mix, levels);
  return out;
}

bool Backend::join_collective(const std::string&, int, int) { return false; }

void Backend::set_training_weights(const std::vector<float>& weights) {
  if (!weights.empty()) throw Error("the " + name() + " backend cannot train with sample weights");
}

double Backend::weighted_loss_and_gradient(const Matrix&, const Matrix&, const std::vector<float>&,
                                           std::vector<float>&) {
  throw Error("the " + name() + " backend cannot train with sample weights");
}

bool Backend::set_target_cells(const std::vector<double>& half_widths) { return half_widths.empty(); }

double Backend::weighted_nll_sum(const Matrix& x, const Matrix& t, const std::vector<float>& weights) {
  const ModelSpec& s = spec();
  if (t.rows != x.rows || t.cols != s.target_dim || (!weights.empty() && weights.size() != std::size_t(x.rows)))
    throw Error("weighted_nll_sum: x, t and the weights do not have the same rows");
  constexpr int kChunk = 8192;  // rows of head outputs held at once
  double sum = 0.0;
  for (int begin = 0; begin < x.rows; begin += kChunk) {
    const int n = std::min(kChunk, x.rows - begin);
    Matrix part(n, x.cols);
    std::copy_n(x.row(begin), std::size_t(n) * x.cols, part.data.data());
    const Matrix z = forward(part);
    for (int i = 0; i < n; ++i) {
      const double w = weights.empty() ? 1.0 : double(weights[std::size_t(begin + i)]);
      if (w == 0.0) continue;  // no influence, even where the density underflows
      const float lo = float(s.log_sigma_min), hi = float(s.log_sigma_max);
      if (!target_cells_.empty()) {
        sum += w * detail::mixture_cell_nll(z.row(i), t.row(begin + i), target_cells_.data(), s.components,
                                            s.target_dim, lo, hi);
        continue;
      }
      sum += w * (s.covariance == Covariance::Full
                      ? detail::full_mixture_nll(z.row(i), t.row(begin + i), s.components, s.target_dim, lo, hi)
                      : detail::mixture_nll(z.row(i), t.row(begin + i), s.components, s.target_dim, lo, hi));
    }
  }
  return sum;
}

double Backend::data_parallel_step(const Matrix& x, const Matrix& t, const std::vector<float>& weights, int batch_rows,
                                   const AdamConfig& adam, const HostSum& host_sum, double& grad_norm) {
  const std::size_t params = ParameterLayout(spec()).total;  // not parameters(): a copy (a download on a GPU)
  // The gradient with the loss appended: one exchange per step.
  std::vector<float> grad(params + 1, 0.0f);
  if (x.rows > 0) {
    // The backend gives the mean over this rank's rows; weighted by their
    // share of the batch, the ranks' terms add up to the batch mean.
    std::vector<float> local;
    const double loss =
        weights.empty() ? loss_and_gradient(x, t, local) : weighted_loss_and_gradient(x, t, weights, local);
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
