#include "core/permutation.hpp"
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

Matrix take_rows(const Matrix& m, const std::vector<int>& rows) {
  Matrix out(int(rows.size()), m.cols);
  for (std::size_t i = 0; i < rows.size(); ++i) std::copy_n(m.row(rows[i]), m.cols, out.row(int(i)));
  return out;
}

void check_options(const ModelSpec& spec, const Dataset& data, const TrainOptions& o) {
  spec.validate();
  if (o.epochs < 1) throw UsageError("epochs must be at least 1 (got " + std::to_string(o.epochs) + ")");
  if (o.batch_size < 1) throw UsageError("batch size must be at least 1 (got " + std::to_string(o.batch_size) + ")");
  if (!(o.lr > 0.0f) || !std::isfinite(o.lr)) throw UsageError("learning rate must be a positive number");
  if (!(o.val_fraction >= 0.0f && o.val_fraction < 1.0f))
    throw UsageError("validation fraction must be in [0, 1) (got " + std::to_string(o.val_fraction) + ")");
  if (o.patience < 0) throw UsageError("patience must be >= 0");
  if (!(o.clip_norm >= 0.0f)) throw UsageError("gradient clipping norm must be >= 0");
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
            const TrainHooks& hooks) {
  check_options(spec, data, options);
  if (options.max_rollbacks < 0) throw UsageError("max_rollbacks must be >= 0");

  // Split: a seeded permutation; the last val_fraction of it is validation.
  const int rows = data.x.rows;
  int val_rows = int(std::lround(double(options.val_fraction) * rows));
  if (options.val_fraction > 0.0f) val_rows = std::clamp(val_rows, 1, rows - 1);
  const std::vector<int> order = detail::random_permutation(rows, options.seed ^ 0x5A17u);
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

  const ParameterLayout layout(spec);
  TrainingState state;
  if (hooks.resume_state != nullptr && hooks.resume_model != nullptr) {
    // The split and statistics are recomputed from (data, seed); a checkpoint
    // made on other data would silently train on a different problem.
    const Standardizer& saved = hooks.resume_model->stats;
    if (saved.x_mean != model.stats.x_mean || saved.t_mean != model.stats.t_mean ||
        saved.x_scale != model.stats.x_scale || saved.t_scale != model.stats.t_scale)
      throw Error("cannot resume: the checkpoint was made on different data or with another seed or validation fraction");
    state = *hooks.resume_state;
    model.history = hooks.resume_model->history;
  } else {
    state.lr = options.lr;
    state.params = initial_parameters(spec, t_train, options.seed);
    state.optimizer = OptimizerState{std::vector<float>(layout.total, 0.0f), std::vector<float>(layout.total, 0.0f), 0};
    state.best_params = state.params;
  }
  backend.set_parameters(state.params);
  backend.set_optimizer_state(state.optimizer);
  backend.set_training_data(x_train, t_train);

  EpochConfig config;
  config.batch_size = options.batch_size;
  config.adam.clip_norm = options.clip_norm;

  auto checkpoint = [&] {
    if (!hooks.on_checkpoint) return;
    Model snapshot = model;
    snapshot.params = state.params;
    hooks.on_checkpoint(snapshot, state);
  };

  const auto start = std::chrono::steady_clock::now();
  const int first_epoch = state.epoch + 1;
  for (int epoch = first_epoch; epoch <= options.epochs; ++epoch) {
    // The permutation depends on (seed, epoch) alone, so a resumed run sees the
    // same batches as an uninterrupted one.
    config.shuffle_seed = options.seed * 1000003ull + std::uint64_t(epoch);
    config.adam.lr = state.lr;
    const EpochStats stats = backend.train_epoch(config);
    const double val = !stats.finite || !std::isfinite(stats.mean_loss) ? std::nan("")
                       : val_rows > 0                                    ? backend.mean_nll(x_val, t_val)
                                                                         : stats.mean_loss;
    if (!std::isfinite(val)) {
      // Roll back to the last good epoch with half the learning rate.
      if (state.rollbacks >= options.max_rollbacks)
        throw Error("training diverged in epoch " + std::to_string(epoch) +
                    ": the loss or its gradient became NaN/Inf again after " + std::to_string(state.rollbacks) +
                    " rollbacks with a halved learning rate (try a lower learning rate or a smaller gradient clipping norm); "
                    "no model file was written");
      state.rollbacks += 1;
      state.lr *= 0.5f;
      backend.set_parameters(state.params);
      backend.set_optimizer_state(state.optimizer);
      --epoch;  // repeat this epoch
      continue;
    }
    state.epoch = epoch;
    state.params = backend.parameters();
    state.optimizer = backend.optimizer_state();

    model.history.train_nll.push_back(float(stats.mean_loss));
    if (val_rows > 0) model.history.val_nll.push_back(float(val));
    const bool improved = val < state.best_val;
    if (improved) {
      state.best_val = val;
      state.since_best = 0;
      state.best_params = state.params;
      model.history.best_epoch = epoch;
    } else {
      ++state.since_best;
    }

    if (hooks.on_epoch) {
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      const int done = epoch - first_epoch + 1;
      EpochReport report;
      report.epoch = epoch;
      report.epochs = options.epochs;
      report.train_nll = stats.mean_loss;
      report.val_nll = val_rows > 0 ? val : std::numeric_limits<double>::quiet_NaN();
      report.improved = improved;
      report.seconds_elapsed = elapsed;
      report.samples_per_second = elapsed > 0 ? double(stats.samples) * done / elapsed : 0.0;
      report.seconds_left = elapsed / done * (options.epochs - epoch);
      report.log_jacobian = model.stats.log_jacobian();
      report.lr = state.lr;
      report.rollbacks = state.rollbacks;
      hooks.on_epoch(report);
    }
    const bool stop = hooks.stop_requested != nullptr && hooks.stop_requested->load();
    if (stop || (options.checkpoint_every > 0 && epoch % options.checkpoint_every == 0)) checkpoint();
    if (stop) throw Interrupted("interrupted after epoch " + std::to_string(epoch));
    // Early stopping on the validation NLL; the best weights are kept.
    if (val_rows > 0 && options.patience > 0 && state.since_best >= options.patience) break;
  }
  model.params = state.best_params;
  return model;
}

}  // namespace mdn
