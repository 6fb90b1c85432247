// The training recipe's rules (automatic sizes, the learning-rate schedule,
// initial weights) and train(), whose phases are detail::TrainingRun's
// (src/train/training_run.hpp).
#include "mdn/trainer.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>

#include "math/format_number.hpp"
#include "mdn/error.hpp"
#include "train/training_data.hpp"
#include "train/sample_weights.hpp"
#include "train/cross_fit.hpp"
#include "train/training_run.hpp"

namespace mdn {

std::uint64_t member_seed(std::uint64_t seed, int member) {
  return member == 0 ? seed : seed + 0x9E3779B97F4A7C15ull * std::uint64_t(member);
}

int auto_batch_size(long long train_rows) {
  // rows / 256 as a power of two in [32, 1024]: small data gets many small
  // (noisy, regularising) steps; large data gets batches big enough to keep
  // the GEMMs efficient (docs/TRAINING.md has the measurements).
  const double target = std::max(1.0, double(train_rows) / 256.0);
  const int p = int(std::lround(std::log2(target)));
  return std::clamp(1 << std::clamp(p, 0, 20), 32, 1024);
}

long long auto_step_budget(long long train_rows) {
  // Half a step per training row, at most 100,000 (10^7 rows: 10 epochs of
  // 1024), and at least `floor`: 10,000 for small data (more overfits 300
  // rows even with early stopping), 20,000 between 2,500 and 5,000 rows
  // (3,000-row sets: the best validation epoch of a 10,000-step run was its
  // last, under-trained), back to 10,000 from 10,000 rows (at 27,000 rows a
  // 20,000-step cosine run was stopped early while its rate was still high,
  // and lost to the 13,500-step one). docs/TRAINING.md has the numbers.
  const long long rows = std::max(1LL, train_rows);
  const long long floor = std::clamp<long long>(std::min(rows * 8, 100000000LL / rows), 10000, 20000);
  return std::clamp<long long>(rows / 2, floor, 100000);
}

float auto_input_noise(long long train_rows) {
  // Noise on the features smooths over x, which blurs targets that move fast
  // with x (ring2d 300: excess NLL 0.34 -> 0.47 at 0.1): off.
  (void)train_rows;
  return 0.0f;
}

float auto_target_noise(long long train_rows) {
  // 0.05 target standard deviations up to 500 training rows, falling
  // linearly in log(rows) to 0 at 2,000 rows and above: on 300-row sets it
  // cut the excess NLL (mean of 3 data seeds, docs/TRAINING.md), on 3,000
  // rows it hurt (ring2d 0.040 -> 0.065 at 0.01), and large data needs
  // sharp densities (the weather target equals a feature in most rows).
  const double kFull = 500.0, kNone = 2000.0, kLevel = 0.05;
  const double rows = double(std::max(1LL, train_rows));
  const double w = std::clamp(std::log(kNone / rows) / std::log(kNone / kFull), 0.0, 1.0);
  return float(kLevel * w);
}

float auto_weight_average(long long train_rows) {
  // 5 % of the planned epochs up to 30,000 training rows, falling linearly in
  // log(rows) to 0 at 60,000 rows and above. On the synthetic sets (300 to
  // 30,000 rows) it lowered the excess NLL or left it unchanged (ring2d 300,
  // 5 data seeds: 0.265 -> 0.181; 3,000: 0.033 -> 0.021); on the weather data
  // (62,000 rows, sharp densities, best epoch the last) it cost NLL and
  // calibration (random split: NLL -3.312 -> -3.297, gap 0.013 -> 0.019).
  const double kFull = 30000.0, kNone = 60000.0, kLevel = 0.05;
  const double rows = double(std::max(1LL, train_rows));
  const double w = std::clamp(std::log(kNone / rows) / std::log(kNone / kFull), 0.0, 1.0);
  return float(kLevel * w);
}

void update_weight_average(std::vector<float>& averaged, const std::vector<float>& params, int epoch,
                           int horizon_epochs) {
  if (epoch <= 1 || averaged.size() != params.size()) {
    averaged = params;
    return;
  }
  const float w = 1.0f / float(std::min(epoch, std::max(1, horizon_epochs)));
  for (std::size_t i = 0; i < params.size(); ++i) averaged[i] += (params[i] - averaged[i]) * w;
}

TrainPlan plan_training(const TrainOptions& o, long long train_rows) {
  if (o.epochs < 0)
    throw UsageError("TrainOptions::epochs must be at least 1, or 0 for automatic (got " + std::to_string(o.epochs) +
                     ")");
  if (o.steps < 0)
    throw UsageError("TrainOptions::steps must be at least 1, or 0 for automatic (got " + std::to_string(o.steps) +
                     ")");
  if (o.batch_size < 0)
    throw UsageError("TrainOptions::batch_size must be at least 1, or 0 for automatic (got " +
                     std::to_string(o.batch_size) + ")");
  if (!(o.lr > 0.0f) || !std::isfinite(o.lr))
    throw UsageError("TrainOptions::lr (the learning rate) must be a positive number");
  if (!(o.warmup_fraction >= 0.0f && o.warmup_fraction <= 0.5f))
    throw UsageError("TrainOptions::warmup_fraction must be in [0, 0.5] (got " +
                     detail::format_number(o.warmup_fraction) + ")");
  if (!(o.min_lr_fraction >= 0.0f && o.min_lr_fraction <= 1.0f))
    throw UsageError("TrainOptions::min_lr_fraction must be in [0, 1] (got " +
                     detail::format_number(o.min_lr_fraction) + ")");
  if (!(o.weight_decay >= 0.0f) || !std::isfinite(o.weight_decay))
    throw UsageError("TrainOptions::weight_decay must be >= 0 (got " + detail::format_number(o.weight_decay) + ")");
  if (!(o.val_fraction >= 0.0f && o.val_fraction < 1.0f))
    throw UsageError("TrainOptions::val_fraction must be in [0, 1) (got " + detail::format_number(o.val_fraction) +
                     ")");
  if (o.patience < -1) throw UsageError("TrainOptions::patience must be >= 0, or -1 for automatic");
  for (const float noise : {o.input_noise, o.target_noise})
    if (!(noise >= 0.0f || noise == -1.0f) || !std::isfinite(noise))
      throw UsageError(
          "TrainOptions::input_noise and TrainOptions::target_noise must be >= 0, or -1 for automatic (got " +
          detail::format_number(noise) + ")");
  if (!((o.weight_average >= 0.0f && o.weight_average <= 1.0f) || o.weight_average == -1.0f))
    throw UsageError("TrainOptions::weight_average must be in [0, 1], or -1 for automatic (got " +
                     detail::format_number(o.weight_average) + ")");
  if (!(o.clip_norm >= 0.0f)) throw UsageError("TrainOptions::clip_norm must be >= 0");
  if (o.checkpoint_every < 0) throw UsageError("TrainOptions::checkpoint_every must be >= 0");
  TrainPlan plan;
  const long long rows = std::max(1LL, train_rows);
  plan.batch_size = o.batch_size > 0 ? o.batch_size : auto_batch_size(rows);
  plan.steps_per_epoch = int((rows + plan.batch_size - 1) / plan.batch_size);
  if (o.epochs > 0) {
    plan.epochs = o.epochs;
  } else {
    const long long budget = o.steps > 0 ? o.steps : auto_step_budget(rows);
    const long long e = (budget + plan.steps_per_epoch - 1) / plan.steps_per_epoch;
    // An explicit budget is honoured (at least one epoch); the automatic one
    // keeps at least kMinAutoEpochs epochs, so the per-epoch schedule is smooth.
    plan.epochs = int(std::clamp<long long>(e, o.steps > 0 ? 1 : kMinAutoEpochs, kMaxAutoEpochs));
  }
  plan.total_steps = (long long)plan.epochs * plan.steps_per_epoch;
  plan.warmup_steps = std::llround(double(o.warmup_fraction) * double(plan.total_steps));
  // Automatic patience: half the planned epochs (a cosine run improves most
  // once its rate has come down; a quarter stopped 3,000-row runs while the
  // rate was still high), a quarter below 1,000 rows, where the model overfits
  // early and a longer search over a small validation set picks noise.
  plan.patience = o.patience >= 0 ? o.patience : std::max(10, plan.epochs / (rows < 1000 ? 4 : 2));
  plan.input_noise = o.input_noise >= 0.0f ? o.input_noise : auto_input_noise(rows);
  plan.target_noise = o.target_noise >= 0.0f ? o.target_noise : auto_target_noise(rows);
  const float average = o.weight_average >= 0.0f ? o.weight_average : auto_weight_average(rows);
  plan.average_epochs = int(std::lround(double(average) * plan.epochs));
  return plan;
}

float scheduled_lr(const TrainOptions& o, const TrainPlan& plan, float lr, long long step) {
  if (o.schedule == LrSchedule::Constant) return lr;
  const double peak = lr;
  if (step < plan.warmup_steps) return float(peak * double(step + 1) / double(plan.warmup_steps + 1));
  const double span = double(std::max(1LL, plan.total_steps - plan.warmup_steps - 1));
  const double progress = std::clamp(double(step - plan.warmup_steps) / span, 0.0, 1.0);
  const double floor = double(o.min_lr_fraction);
  const double kPi = 3.14159265358979323846;
  return float(peak * (floor + (1.0 - floor) * 0.5 * (1.0 + std::cos(kPi * progress))));
}

namespace {
// Sorts `column` and returns the running sum of the weights in that order
// (a weighted quantile is the first value whose running sum reaches p * total).
std::vector<float> sorted_weights(std::vector<float>& column, const std::vector<float>& weights) {
  std::vector<std::size_t> order(column.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return column[a] < column[b]; });
  std::vector<float> sorted(column.size()), cumulative(column.size());
  double sum = 0.0;
  for (std::size_t i = 0; i < order.size(); ++i) {
    sorted[i] = column[order[i]];
    sum += weights[order[i]];
    cumulative[i] = float(sum);
  }
  column = std::move(sorted);
  return cumulative;
}
}  // namespace

std::vector<float> initial_parameters(const ModelSpec& spec, const Matrix& t_standardised, std::uint64_t seed,
                                      const std::vector<float>& weights) {
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
      params[layer.weight_offset + i] = float((2.0 * detail::uniform01(rng) - 1.0) * limit);
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
    const std::vector<float> cumulative = weights.empty() ? std::vector<float>{} : sorted_weights(column, weights);
    if (weights.empty()) std::sort(column.begin(), column.end());
    for (int k = 0; k < K; ++k) {
      float mean = 0.0f;
      if (!column.empty()) {
        const double p = (k + 0.5) / K;
        const std::size_t at =
            weights.empty()
                ? std::min(column.size() - 1, std::size_t(p * column.size()))
                : std::size_t(std::lower_bound(cumulative.begin(), cumulative.end(), float(p * cumulative.back())) -
                              cumulative.begin());
        mean = column[std::min(at, column.size() - 1)];
      }
      bias[spec.mean_offset() + k * T + d] = mean;
      bias[spec.log_sigma_offset() + k * T + d] = log_sigma0;
    }
  }
  return params;
}

Model train(Backend& backend, const ModelSpec& spec, const Dataset& data, const TrainOptions& options,
            const TrainHooks& hooks) {
  // Sample weights first (src/train/sample_weights.hpp: rows of weight 0
  // leave), then the phases (plan, members, finish) of
  // src/train/training_run.hpp.
  const bool data_parallel = hooks.ranks != nullptr && hooks.ranks->size() > 1 && options.ensemble == 1;
  const detail::WeightedRows rows =
      detail::prepare_weighted_rows(data, hooks, data_parallel, data_parallel ? *hooks.ranks : single_process());
  detail::TrainingRun run(backend, spec, rows.rows(), options, rows.hooks);
  Model model = run.run();
  const detail::CrossFitPlan plan = detail::plan_cross_fitting(spec, rows.rows().x.rows, options, rows.hooks, model);
  detail::cross_fit(backend, spec, rows.rows(), options, rows.hooks, plan, model);
  return model;
}

Model train(Backend& backend, const ModelSpec& spec, Dataset&& data, const TrainOptions& options,
            const TrainHooks& hooks) {
  const bool one_process = hooks.ranks == nullptr || hooks.ranks->size() == 1;
  // Cross-fitting (fewer than kMinCalibrationRows validation rows split
  // off, plan_cross_fitting) trains again on the rows after the run: they
  // must stay.
  const bool may_cross_fit = options.cross_fit && hooks.validation == nullptr &&
                             double(options.val_fraction) * double(data.x.rows) < double(kMinCalibrationRows + 1);
  if (!data.x.is_compact() || !one_process || !data.weights.empty() || may_cross_fit)
    return train(backend, spec, static_cast<const Dataset&>(data), options, hooks);
  const long long rows = data.x.rows;
  Model model = detail::TrainingRun(backend, spec, data, options, hooks, &data).run();
  if (detail::plan_cross_fitting(spec, rows, options, hooks, model).any())
    throw Error("internal error: a run that gave up its rows needs them to cross-fit");
  return model;
}

}  // namespace mdn
