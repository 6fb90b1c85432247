#include "mdn/trainer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <string>

#include "mdn/error.hpp"

namespace mdn {
namespace {

// Uniform in [0, 1) from the top 53 bits: portable across standard libraries.
double uniform01(std::mt19937_64& rng) { return double(rng() >> 11) * (1.0 / 9007199254740992.0); }

std::vector<int> permutation(int n, std::uint64_t seed) {
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed);
  for (int i = n - 1; i > 0; --i) std::swap(order[i], order[int(rng() % std::uint64_t(i + 1))]);
  return order;
}

Matrix take_rows(const Matrix& m, const std::vector<int>& rows) {
  Matrix out(int(rows.size()), m.cols);
  for (std::size_t i = 0; i < rows.size(); ++i) std::copy_n(m.row(rows[i]), m.cols, out.row(int(i)));
  return out;
}

void check_options(const ModelSpec& spec, const Dataset& data, const TrainOptions& o) {
  spec.validate();
  if (o.epochs < 1) throw UsageError("--epochs must be at least 1 (got " + std::to_string(o.epochs) + ")");
  if (o.batch_size < 1) throw UsageError("--batch-size must be at least 1 (got " + std::to_string(o.batch_size) + ")");
  if (!(o.lr > 0.0f) || !std::isfinite(o.lr)) throw UsageError("--lr must be a positive number");
  if (!(o.val_fraction >= 0.0f && o.val_fraction < 1.0f))
    throw UsageError("--val-fraction must be in [0, 1) (got " + std::to_string(o.val_fraction) + ")");
  if (o.patience < 0) throw UsageError("--patience must be >= 0");
  if (!(o.clip_norm >= 0.0f)) throw UsageError("--clip-norm must be >= 0");
  if (data.x.cols != spec.input_dim || data.t.cols != spec.target_dim)
    throw Error("data has " + std::to_string(data.x.cols) + " features and " + std::to_string(data.t.cols) +
                " targets; the model spec says D = " + std::to_string(spec.input_dim) + ", T = " +
                std::to_string(spec.target_dim));
  if (data.x.rows < 2) throw Error("training needs at least 2 rows of data (got " + std::to_string(data.x.rows) + ")");
}

}  // namespace

std::vector<float> initial_parameters(const ModelSpec& spec, const Matrix& t_standardised, std::uint64_t seed) {
  const ParameterLayout layout(spec);
  std::vector<float> params(layout.total, 0.0f);
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + 1);

  for (std::size_t l = 0; l < layout.layers.size(); ++l) {
    const LayerSlice& layer = layout.layers[l];
    const bool head = l + 1 == layout.layers.size();
    // Glorot-uniform keeps tanh units out of saturation; the head starts 10x
    // smaller so the initial mixture is mostly its biases (set below).
    const double limit = std::sqrt(6.0 / (layer.in + layer.out)) * (head ? 0.1 : 1.0);
    for (std::size_t i = 0; i < std::size_t(layer.in) * layer.out; ++i)
      params[layer.weight_offset + i] = float((2.0 * uniform01(rng) - 1.0) * limit);
  }

  // Head biases: equal logits; sigma = 1/K (targets are standardised to unit
  // spread); means at the (k + 1/2)/K quantiles of each target dimension, so
  // the components start spread over the data instead of on one mode.
  const int K = spec.components, T = spec.target_dim;
  float* bias = params.data() + layout.head().bias_offset;
  const float log_sigma0 = std::clamp(-std::log(float(K)), spec.log_sigma_min, spec.log_sigma_max);
  for (int d = 0; d < T; ++d) {
    std::vector<float> column(t_standardised.rows);
    for (int r = 0; r < t_standardised.rows; ++r) column[r] = t_standardised(r, d);
    std::sort(column.begin(), column.end());
    for (int k = 0; k < K; ++k) {
      float mean = 0.0f;
      if (!column.empty()) {
        const std::size_t at = std::min(column.size() - 1, std::size_t((k + 0.5) / K * column.size()));
        mean = column[at];
      }
      bias[spec.mean_offset() + k * T + d] = mean;
      bias[spec.log_sigma_offset() + k * T + d] = log_sigma0;
    }
  }
  return params;
}

Model train(Backend& backend, const ModelSpec& spec, const Dataset& data, const TrainOptions& options,
            const EpochCallback& on_epoch) {
  check_options(spec, data, options);

  // Split: a seeded permutation; the last val_fraction of it is validation.
  const int rows = data.x.rows;
  int val_rows = int(std::lround(double(options.val_fraction) * rows));
  if (options.val_fraction > 0.0f) val_rows = std::clamp(val_rows, 1, rows - 1);
  const std::vector<int> order = permutation(rows, options.seed ^ 0x5A17u);
  const std::vector<int> train_idx(order.begin(), order.end() - val_rows);
  const std::vector<int> val_idx(order.end() - val_rows, order.end());

  Model model;
  model.spec = spec;
  model.feature_names = data.feature_names;
  model.target_names = data.target_names;
  const Matrix x_train_raw = take_rows(data.x, train_idx);
  const Matrix t_train_raw = take_rows(data.t, train_idx);
  model.stats = Standardizer::fit(x_train_raw, t_train_raw);
  const Matrix x_train = model.stats.standardize_x(x_train_raw);
  const Matrix t_train = model.stats.standardize_t(t_train_raw);
  const Matrix x_val = model.stats.standardize_x(take_rows(data.x, val_idx));
  const Matrix t_val = model.stats.standardize_t(take_rows(data.t, val_idx));

  backend.set_parameters(initial_parameters(spec, t_train, options.seed));
  const ParameterLayout layout(spec);
  backend.set_optimizer_state(OptimizerState{std::vector<float>(layout.total, 0.0f),
                                             std::vector<float>(layout.total, 0.0f), 0});
  backend.set_training_data(x_train, t_train);

  EpochConfig config;
  config.batch_size = options.batch_size;
  config.adam.lr = options.lr;
  config.adam.clip_norm = options.clip_norm;

  const auto start = std::chrono::steady_clock::now();
  double best = std::numeric_limits<double>::infinity();
  int since_best = 0;
  std::vector<float> best_params = backend.parameters();
  for (int epoch = 1; epoch <= options.epochs; ++epoch) {
    config.shuffle_seed = options.seed * 1000003ull + std::uint64_t(epoch);
    const EpochStats stats = backend.train_epoch(config);
    if (!stats.finite || !std::isfinite(stats.mean_loss))
      throw Error("training diverged in epoch " + std::to_string(epoch) +
                  ": the loss or its gradient became NaN/Inf (try a lower --lr or a smaller --clip-norm); "
                  "no model file was written");
    const double val = val_rows > 0 ? backend.mean_nll(x_val, t_val) : stats.mean_loss;
    if (!std::isfinite(val))
      throw Error("training diverged in epoch " + std::to_string(epoch) +
                  ": the validation NLL is NaN/Inf; no model file was written");

    model.history.train_nll.push_back(float(stats.mean_loss));
    if (val_rows > 0) model.history.val_nll.push_back(float(val));
    const bool improved = val < best;
    if (improved) {
      best = val;
      since_best = 0;
      best_params = backend.parameters();
      model.history.best_epoch = epoch;
    } else {
      ++since_best;
    }

    if (on_epoch) {
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      EpochReport report;
      report.epoch = epoch;
      report.epochs = options.epochs;
      report.train_nll = stats.mean_loss;
      report.val_nll = val_rows > 0 ? val : std::numeric_limits<double>::quiet_NaN();
      report.improved = improved;
      report.seconds_elapsed = elapsed;
      report.samples_per_second = elapsed > 0 ? double(stats.samples) * epoch / elapsed : 0.0;
      report.seconds_left = elapsed / epoch * (options.epochs - epoch);
      report.log_jacobian = model.stats.log_jacobian();
      on_epoch(report);
    }
    // Early stopping on the validation NLL; the best weights are kept.
    if (val_rows > 0 && options.patience > 0 && since_best >= options.patience) break;
  }
  model.params = best_params;
  return model;
}

}  // namespace mdn
