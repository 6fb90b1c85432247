#include "core/permutation.hpp"
#include "mdn/trainer.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <numeric>
#include <random>
#include <string>
#include <thread>

#include "mdn/calibration.hpp"
#include "mdn/error.hpp"
#include "mdn/sharded_data.hpp"
#include "train/data_parallel.hpp"

namespace mdn {
namespace {

// Uniform in [0, 1) from the top 53 bits: portable across standard libraries.
double uniform01(std::mt19937_64& rng) { return double(rng() >> 11) * (1.0 / 9007199254740992.0); }

// Standard normal by Box-Muller from two uniforms (portable, unlike
// std::normal_distribution); 1 - u is in (0, 1], so the log is finite.
double standard_normal(std::mt19937_64& rng) {
  const double u1 = 1.0 - uniform01(rng);
  const double u2 = uniform01(rng);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

template <class M>
M take_rows(const M& m, const std::vector<int>& rows) {
  M out(int(rows.size()), m.cols);
  for (std::size_t i = 0; i < rows.size(); ++i) std::copy_n(m.row(rows[i]), m.cols, out.row(int(i)));
  return out;
}

void check_options(const ModelSpec& spec, const Dataset& data, const TrainOptions& o) {
  spec.validate();
  if (data.x.cols != spec.input_dim || data.t.cols != spec.target_dim)
    throw Error("data has " + std::to_string(data.x.cols) + " features and " + std::to_string(data.t.cols) +
                " targets; the model spec says D = " + std::to_string(spec.input_dim) +
                ", T = " + std::to_string(spec.target_dim));
  (void)plan_training(o, data.x.rows);  // range checks of every option
}

std::string float_bytes(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

std::vector<float> floats_of(const char* bytes, std::size_t count) {
  std::vector<float> v(count);
  std::memcpy(v.data(), bytes, count * sizeof(float));
  return v;
}

// An ensemble trained over ranks: `mine` holds (member index, best weights)
// records of the members this rank trained. Every rank gets all weights in
// member order, and the history of the last member (its trainer's).
void gather_members(Communicator& comm, int members, std::size_t per_member, const std::string& mine,
                    std::vector<float>& params, TrainingHistory& history) {
  params.assign(std::size_t(members) * per_member, 0.0f);
  const std::size_t record = sizeof(int) + per_member * sizeof(float);
  for (const std::string& part : comm.all_gather(mine)) {
    for (std::size_t at = 0; at + record <= part.size(); at += record) {
      int m = 0;
      std::memcpy(&m, part.data() + at, sizeof m);
      std::memcpy(params.data() + std::size_t(m) * per_member, part.data() + at + sizeof m, per_member * sizeof(float));
    }
  }
  const bool owner = (members - 1) % comm.size() == comm.rank();
  std::string h;
  if (owner) {
    const std::int64_t sizes[3] = {std::int64_t(history.train_nll.size()), std::int64_t(history.val_nll.size()),
                                   history.best_epoch};
    h = std::string(reinterpret_cast<const char*>(sizes), sizeof sizes) + float_bytes(history.train_nll) +
        float_bytes(history.val_nll);
  }
  for (const std::string& part : comm.all_gather(h)) {
    if (part.empty()) continue;
    std::int64_t sizes[3];
    std::memcpy(sizes, part.data(), sizeof sizes);
    history.train_nll = floats_of(part.data() + sizeof sizes, std::size_t(sizes[0]));
    history.val_nll = floats_of(part.data() + sizeof sizes + sizes[0] * sizeof(float), std::size_t(sizes[1]));
    history.best_epoch = int(sizes[2]);
  }
}

// The train/validation split: a seeded permutation of all rows; the last
// val_fraction of it is validation. A rank holding rows first_row ..
// first_row + local_rows - 1 keeps the training and validation rows it holds,
// in the permutation's order (indices into its rows); local_row maps a
// training row (0 .. G-1 of all of them) to this rank's training row, or -1
// (the identity for one rank).
struct Split {
  std::vector<int> train_idx, val_idx, local_row;
  int val_rows = 0;  // of all rows
};

Split split_rows(long long all_rows, long long first_row, int local_rows, const TrainOptions& options) {
  const int rows = int(all_rows);
  Split s;
  s.val_rows = int(std::lround(double(options.val_fraction) * rows));
  if (options.val_fraction > 0.0f) s.val_rows = std::clamp(s.val_rows, 1, rows - 1);
  const std::vector<int> order = detail::random_permutation(rows, options.seed ^ 0x5A17u);
  s.local_row.assign(std::size_t(rows - s.val_rows), -1);
  for (int i = 0; i < rows; ++i) {
    const long long g = order[i] - first_row;
    if (g < 0 || g >= local_rows) continue;
    if (i < rows - s.val_rows) {
      s.local_row[i] = int(s.train_idx.size());
      s.train_idx.push_back(int(g));
    } else {
      s.val_idx.push_back(int(g));
    }
  }
  return s;
}

// The training data of an epoch when it changes every epoch (a function of
// the seed alone): gridded targets spread over their cells, Gaussian noise on
// the standardised features and targets (noise regularisation), and an
// ensemble member's bootstrap resample. The draws run over all training rows
// in order and each rank applies those of its own rows, so every number of
// ranks draws the same noise per row.
class EpochData {
 public:
  EpochData(const Matrix& x_train, const Matrix& t_train, const std::vector<int>& local_row,
            const TrainOptions& options, const TrainPlan& plan, const Standardizer& stats)
      : x_train_(x_train),
        t_train_(t_train),
        local_row_(local_row),
        options_(options),
        plan_(plan),
        stats_(stats),
        x_(x_train),
        t_(t_train) {}

  // Whether the data change from epoch to epoch at all.
  bool varies() const {
    return !options_.grid_steps.empty() || plan_.input_noise > 0.0f || plan_.target_noise > 0.0f ||
           (options_.bootstrap && options_.ensemble > 1);
  }
  const Matrix& x() const { return x_; }
  const Matrix& t() const { return t_; }

  // Draws the data of an epoch of `member` from `seed`.
  void draw(int member, std::uint64_t seed) {
    x_ = x_train_;
    t_ = t_train_;
    std::vector<int> where = local_row_;  // training row i -> its row of (x_, t_), or -1
    if (options_.bootstrap && member > 0) {
      // The member's resample, the same every epoch. (Ensembles never run
      // data-parallel, so every row is local here.)
      std::mt19937_64 pick(member_seed(options_.seed, member) ^ 0xB0075742Aull);
      std::vector<int> rows(std::size_t(x_train_.rows));
      for (int& r : rows) r = std::min(x_train_.rows - 1, int(uniform01(pick) * x_train_.rows));
      x_ = take_rows(x_train_, rows);
      t_ = take_rows(t_train_, rows);
      std::iota(where.begin(), where.end(), 0);
    }
    std::mt19937_64 rng(seed);
    if (!options_.grid_steps.empty())
      for (int w : where)
        for (int d = 0; d < t_.cols; ++d)
          if (options_.grid_steps[d] > 0.0f) {
            const float cell = float((uniform01(rng) - 0.5) * options_.grid_steps[d] / stats_.t_scale[d]);
            if (w >= 0) t_(w, d) += cell;
          }
    const auto add_noise = [&](Matrix& m, float sd) {
      if (!(sd > 0.0f)) return;
      for (int w : where)
        for (int c = 0; c < m.cols; ++c) {
          const float noise = float(sd * standard_normal(rng));
          if (w >= 0) m(w, c) += noise;
        }
    };
    add_noise(x_, plan_.input_noise);
    add_noise(t_, plan_.target_noise);
  }

 private:
  const Matrix& x_train_;
  const Matrix& t_train_;
  const std::vector<int>& local_row_;
  const TrainOptions& options_;
  const TrainPlan& plan_;
  const Standardizer& stats_;
  Matrix x_, t_;
};

std::string number_text(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace

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
    throw UsageError("epochs must be at least 1, or 0 for automatic (got " + std::to_string(o.epochs) + ")");
  if (o.steps < 0)
    throw UsageError("steps must be at least 1, or 0 for automatic (got " + std::to_string(o.steps) + ")");
  if (o.batch_size < 0)
    throw UsageError("the batch size must be at least 1, or 0 for automatic (got " + std::to_string(o.batch_size) +
                     ")");
  if (!(o.lr > 0.0f) || !std::isfinite(o.lr)) throw UsageError("the learning rate must be a positive number");
  if (!(o.warmup_fraction >= 0.0f && o.warmup_fraction <= 0.5f))
    throw UsageError("the warm-up fraction must be in [0, 0.5] (got " + number_text(o.warmup_fraction) + ")");
  if (!(o.min_lr_fraction >= 0.0f && o.min_lr_fraction <= 1.0f))
    throw UsageError("the final learning-rate fraction must be in [0, 1] (got " + number_text(o.min_lr_fraction) + ")");
  if (!(o.weight_decay >= 0.0f) || !std::isfinite(o.weight_decay))
    throw UsageError("the weight decay must be >= 0 (got " + number_text(o.weight_decay) + ")");
  if (!(o.val_fraction >= 0.0f && o.val_fraction < 1.0f))
    throw UsageError("the validation fraction must be in [0, 1) (got " + number_text(o.val_fraction) + ")");
  if (o.patience < -1) throw UsageError("patience must be >= 0, or -1 for automatic");
  for (const float noise : {o.input_noise, o.target_noise})
    if (!(noise >= 0.0f || noise == -1.0f) || !std::isfinite(noise))
      throw UsageError("the noise level must be >= 0, or -1 for automatic (got " + number_text(noise) + ")");
  if (!((o.weight_average >= 0.0f && o.weight_average <= 1.0f) || o.weight_average == -1.0f))
    throw UsageError("the weight-average fraction must be in [0, 1], or -1 for automatic (got " +
                     number_text(o.weight_average) + ")");
  if (!(o.clip_norm >= 0.0f)) throw UsageError("gradient clipping norm must be >= 0");
  if (o.checkpoint_every < 0) throw UsageError("checkpoint_every must be >= 0");
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
  if (options.ensemble < 1 || options.ensemble > kMaxMembers)
    throw UsageError("the ensemble size must be 1 to " + std::to_string(kMaxMembers) + " (got " +
                     std::to_string(options.ensemble) + ")");

  // Several ranks (docs/DISTRIBUTED.md): one network over all of them
  // (data-parallel: `data` is this rank's part of the rows), or an ensemble
  // whose members are spread over them (`data` is every row).
  Communicator& comm = hooks.ranks != nullptr ? *hooks.ranks : single_process();
  const bool data_parallel = comm.size() > 1 && options.ensemble == 1;
  const bool members_over_ranks = comm.size() > 1 && options.ensemble > 1;
  const long long first_row = data_parallel ? hooks.first_row : 0;
  const long long all_rows = data_parallel ? hooks.total_rows : data.x.rows;
  if (data_parallel && (first_row < 0 || first_row + data.x.rows > all_rows))
    throw Error("internal error: this rank's rows do not lie within the data set's rows");
  if (members_over_ranks && (options.checkpoint_every > 0 || hooks.resume_state != nullptr))
    throw UsageError(
        "an ensemble trained over several ranks keeps no checkpoints: drop --checkpoint-every and "
        "--resume, or train it with one rank");
  if (all_rows < 2) throw Error("training needs at least 2 rows of data (got " + std::to_string(all_rows) + ")");
  // An error every data-parallel rank meets at the same point (they hold the
  // same weights and scores): shown once, by rank 0 (RankError).
  auto fail_on_every_rank = [&](const std::string& message) {
    if (data_parallel) throw RankError(message, comm.root(), false);
    throw Error(message);
  };

  const Split split = split_rows(all_rows, first_row, data.x.rows, options);
  const std::vector<int>& train_idx = split.train_idx;
  const std::vector<int>& val_idx = split.val_idx;
  const std::vector<int>& local_row = split.local_row;
  const int rows = int(all_rows);
  const int val_rows = split.val_rows;

  Model model;
  model.spec = spec;
  model.feature_names = data.feature_names;
  model.target_names = data.target_names;
  const MatrixD x_train_raw = take_rows(data.x, train_idx);
  const MatrixD t_train_raw = take_rows(data.t, train_idx);
  model.stats = data_parallel ? Standardizer::fit(
                                    x_train_raw, t_train_raw, [&](double v) { return comm.sum(v); }, rows - val_rows)
                              : Standardizer::fit(x_train_raw, t_train_raw);
  const Matrix x_train = model.stats.standardize_x(x_train_raw);
  const Matrix t_train = model.stats.standardize_t(t_train_raw);
  const Matrix x_val = model.stats.standardize_x(take_rows(data.x, val_idx));
  const Matrix t_val = model.stats.standardize_t(take_rows(data.t, val_idx));
  // Every training target, for the initial component means (their quantiles).
  const Matrix t_train_all = data_parallel ? all_gather_rows(comm, t_train) : t_train;

  const ParameterLayout layout(spec);
  const int members = options.ensemble;
  TrainingState state;
  bool resuming = false;
  if (hooks.resume_state != nullptr && hooks.resume_model != nullptr) {
    // The split and statistics are recomputed from (data, seed); a checkpoint
    // made on other data would silently train on a different problem.
    const Standardizer& saved = hooks.resume_model->stats;
    if (saved.x_mean != model.stats.x_mean || saved.t_mean != model.stats.t_mean ||
        saved.x_scale != model.stats.x_scale || saved.t_scale != model.stats.t_scale)
      fail_on_every_rank(
          "cannot resume: the checkpoint was made on different data or with another seed or validation fraction"
          " (or with another number of ranks)");
    state = *hooks.resume_state;
    if (state.member >= members || state.finished_members.size() != std::size_t(state.member) * layout.total)
      fail_on_every_rank("cannot resume: the checkpoint's ensemble members do not match the ensemble size");
    model.history = hooks.resume_model->history;
    resuming = true;
  }

  if (!options.grid_steps.empty()) {
    if (int(options.grid_steps.size()) != spec.target_dim)
      throw UsageError("grid_steps needs one step per target (" + std::to_string(spec.target_dim) + ")");
    for (float h : options.grid_steps)
      if (!(h >= 0.0f) || !std::isfinite(h)) throw UsageError("a grid step must be >= 0");
    model.grid_step = options.grid_steps;
  }
  // The plan follows all training rows (local_row has one entry per row).
  const TrainPlan plan = plan_training(options, (long long)local_row.size());
  EpochData epoch_data(x_train, t_train, local_row, options, plan, model.stats);
  // Data-parallel epochs read the rows from epoch_data; the others hand them
  // to the backend (once, or every epoch when they vary).
  if (!epoch_data.varies() && !data_parallel) backend.set_training_data(x_train, t_train);

  // Data-parallel on a backend with a device collective (NCCL on CUDA): rank
  // 0's id is shared over the communicator and every rank joins; otherwise
  // the gradients are summed on the host (Communicator::sum).
  if (data_parallel) {
    const std::string id = comm.broadcast(comm.root() ? backend.new_collective_id() : std::string());
    if (!id.empty() && comm.sum((long long)backend.join_collective(id, comm.rank(), comm.size())) != comm.size())
      throw RankError("not every rank could join the device collective (NCCL)", comm.root(), false);
  }
  // Mean NLL of all validation rows on `b`: each rank's sum, added over the ranks.
  auto validation_nll = [&](Backend& b) {
    if (!data_parallel) return b.mean_nll(x_val, t_val);
    const double local = x_val.rows > 0 ? b.mean_nll(x_val, t_val) * x_val.rows : 0.0;
    return comm.sum(local) / val_rows;
  };
  // A member's state before its first epoch.
  auto fresh_state = [&](int member, const std::vector<float>& finished) {
    TrainingState s;
    s.member = member;
    s.finished_members = finished;
    s.lr = options.lr;
    s.params = initial_parameters(spec, t_train_all, member_seed(options.seed, member));
    s.optimizer = OptimizerState{std::vector<float>(layout.total, 0.0f), std::vector<float>(layout.total, 0.0f), 0};
    s.best_params = s.params;
    return s;
  };
  const auto start = std::chrono::steady_clock::now();
  // The time estimate: epochs this call has run (over every member, side by
  // side or not) against the planned epochs it had left when it started
  // (members over ranks: this rank's members, rank, rank + N, ...).
  const int my_members_left = members_over_ranks ? (members - comm.rank() + comm.size() - 1) / comm.size()
                                                 : members - state.member;
  const long long epochs_left_at_start = (long long)my_members_left * plan.epochs - state.epoch;
  long long epochs_run = 0;           // guarded by report_mutex
  std::mutex report_mutex;            // members side by side report from their own threads
  std::atomic<bool> abandon{false};  // a concurrent member failed: the others stop too

  // One member's epochs on backend `b` from `st` (fresh or resumed), with its
  // own copy of the epoch data. Returns false when it stopped early on a stop
  // request or `abandon` (`st` then holds its last finished epoch) while
  // `concurrent`; otherwise a stop request writes a checkpoint and throws
  // Interrupted.
  auto train_member = [&](Backend& b, EpochData& member_data, TrainingState& st, TrainingHistory& history,
                          bool concurrent) -> bool {
    const int member = st.member;
    // Member 0 uses the seed itself (a one-member run is the plain model); the
    // others a seed derived from it. All share the split and statistics.
    const std::uint64_t seed = member_seed(options.seed, member);
    EpochConfig config;
    config.batch_size = plan.batch_size;
    config.adam.clip_norm = options.clip_norm;
    config.adam.weight_decay = options.weight_decay;
    b.set_parameters(st.params);
    b.set_optimizer_state(st.optimizer);
    auto checkpoint = [&] {
      if (!hooks.on_checkpoint) return;
      Model snapshot = model;
      snapshot.params = st.params;
      snapshot.history = history;
      hooks.on_checkpoint(snapshot, st);
    };
    const int first_epoch = st.epoch + 1;
    const bool averaging = plan.average_epochs > 1;
    const auto member_start = std::chrono::steady_clock::now();
    for (int epoch = first_epoch; epoch <= plan.epochs; ++epoch) {
      // The permutation depends on (seed, epoch) alone, so a resumed run sees the
      // same batches as an uninterrupted one.
      config.shuffle_seed = seed * 1000003ull + std::uint64_t(epoch);
      if (member_data.varies()) {
        member_data.draw(member, config.shuffle_seed ^ 0xD0E5ull);
        if (!data_parallel) b.set_training_data(member_data.x(), member_data.t());
      }
      // st.lr is the peak rate (halved by rollbacks); the schedule's position
      // is the epoch, so a resumed run continues on the same curve.
      config.adam.lr = scheduled_lr(options, plan, st.lr, (long long)(epoch - 1) * plan.steps_per_epoch);
      const EpochStats stats =
          data_parallel ? detail::data_parallel_epoch(b, comm, member_data.x(), member_data.t(), local_row, config)
                        : b.train_epoch(config);
      // Weight averaging: validation scores the moving average of the
      // weights (the backend holds it only for that), and the average is kept.
      const bool finite = stats.finite && std::isfinite(stats.mean_loss);
      std::vector<float> params, averaged;
      if (finite && averaging) {
        params = b.parameters();
        averaged = st.averaged_params;
        update_weight_average(averaged, params, epoch, plan.average_epochs);
        if (val_rows > 0) b.set_parameters(averaged);
      }
      const double val = !finite ? std::nan("") : val_rows > 0 ? validation_nll(b) : stats.mean_loss;
      if (finite && averaging && val_rows > 0) b.set_parameters(params);
      if (!std::isfinite(val)) {
        // Roll back to the last good epoch with half the learning rate.
        if (st.rollbacks >= options.max_rollbacks)
          fail_on_every_rank(
              "training diverged in epoch " + std::to_string(epoch) +
              (members > 1 ? " of member " + std::to_string(member + 1) : std::string()) +
              ": the loss or its gradient became NaN/Inf again after " + std::to_string(st.rollbacks) +
              " rollbacks with a halved learning rate (try a lower learning rate or a smaller gradient clipping norm); "
              "no model file was written");
        st.rollbacks += 1;
        st.lr *= 0.5f;
        b.set_parameters(st.params);
        b.set_optimizer_state(st.optimizer);
        --epoch;  // repeat this epoch
        continue;
      }
      st.epoch = epoch;
      st.params = averaging ? std::move(params) : b.parameters();
      if (averaging) st.averaged_params = std::move(averaged);
      st.optimizer = b.optimizer_state();

      history.train_nll.push_back(float(stats.mean_loss));
      if (val_rows > 0) history.val_nll.push_back(float(val));
      const bool improved = val < st.best_val;
      if (improved) {
        st.best_val = val;
        st.since_best = 0;
        st.best_params = averaging ? st.averaged_params : st.params;
        history.best_epoch = epoch;
      } else {
        ++st.since_best;
      }

      if (hooks.on_epoch) {
        const std::lock_guard<std::mutex> lock(report_mutex);
        const auto now = std::chrono::steady_clock::now();
        const double elapsed = std::chrono::duration<double>(now - start).count();
        const double member_elapsed = std::chrono::duration<double>(now - member_start).count();
        ++epochs_run;
        EpochReport report;
        report.epoch = epoch;
        report.epochs = plan.epochs;
        report.member = member + 1;
        report.members = members;
        report.train_nll = stats.mean_loss;
        report.val_nll = val_rows > 0 ? val : std::numeric_limits<double>::quiet_NaN();
        report.improved = improved;
        report.seconds_elapsed = elapsed;
        const int run_epochs = epoch - first_epoch + 1;
        report.samples_per_second = member_elapsed > 0 ? double(stats.samples) * run_epochs / member_elapsed : 0.0;
        report.seconds_left =
            elapsed / double(epochs_run) * double(std::max(0LL, epochs_left_at_start - epochs_run));
        report.log_jacobian = model.stats.log_jacobian();
        report.lr = config.adam.lr;
        report.rollbacks = st.rollbacks;
        hooks.on_epoch(report);
      }
      bool stop = hooks.stop_requested != nullptr && hooks.stop_requested->load();
      if (concurrent) {
        if (stop || abandon.load()) return false;
      } else {
        if (data_parallel) stop = comm.sum((long long)stop) > 0;  // all ranks stop after the same epoch
        if (stop && members_over_ranks)
          throw Interrupted("interrupted after epoch " + std::to_string(epoch) + " of member " +
                            std::to_string(member + 1) + " (an ensemble over several ranks keeps no checkpoint)");
        if (stop || (options.checkpoint_every > 0 && epoch % options.checkpoint_every == 0)) checkpoint();
        if (stop) throw Interrupted("interrupted after epoch " + std::to_string(epoch));
      }
      // Early stopping on the validation NLL; the best weights are kept.
      if (val_rows > 0 && plan.patience > 0 && st.since_best >= plan.patience) break;
    }
    return true;
  };

  std::vector<float> ensemble_params = state.finished_members;
  std::string my_members;  // members over ranks: (index, best weights) of the members this rank trained
  // Members one after another on `backend`, or, where the backend gains from
  // it (Backend::member_concurrency), several at once, each on a backend of
  // its own in a thread of its own; either way the same bits. Periodic
  // checkpoints and ranks keep them one after another.
  const int concurrency = !data_parallel && !members_over_ranks && options.checkpoint_every == 0 &&
                                  options.concurrent_members
                              ? backend.member_concurrency(plan.batch_size, members)
                              : 1;
  int member = state.member;
  while (member < members) {
    const int wave = resuming ? 1 : std::min(concurrency, members - member);
    if (wave <= 1) {
      if (!members_over_ranks || member % comm.size() == comm.rank()) {
        if (!resuming) {
          state = fresh_state(member, state.finished_members);
          model.history = TrainingHistory{};
        }
        resuming = false;
        (void)train_member(backend, epoch_data, state, model.history, false);
        if (members_over_ranks) {
          my_members += std::string(reinterpret_cast<const char*>(&member), sizeof member);
          my_members += std::string(reinterpret_cast<const char*>(state.best_params.data()),
                                    state.best_params.size() * sizeof(float));
        } else {
          ensemble_params.insert(ensemble_params.end(), state.best_params.begin(), state.best_params.end());
          state.finished_members = ensemble_params;
          state.member = member + 1;
          state.epoch = 0;
        }
      }
      ++member;
      continue;
    }
    // A wave of members side by side.
    const std::size_t n = std::size_t(wave);
    std::vector<TrainingState> states;
    std::vector<TrainingHistory> histories(n);
    std::vector<std::unique_ptr<Backend>> backends;
    for (int i = 0; i < wave; ++i) {
      states.push_back(fresh_state(member + i, ensemble_params));
      backends.push_back(backend.concurrent_member_backend(wave));
      if (!backends.back()) throw Error("internal error: the backend offered concurrent members but made none");
      if (!epoch_data.varies()) backends.back()->set_training_data(x_train, t_train);
    }
    std::vector<char> finished(n, 0);
    std::vector<std::exception_ptr> errors(n);
    {
      std::vector<std::thread> threads;
      for (int i = 0; i < wave; ++i)
        threads.emplace_back([&, i] {
          try {
            EpochData member_data = epoch_data;
            finished[std::size_t(i)] = train_member(*backends[std::size_t(i)], member_data, states[std::size_t(i)],
                                                    histories[std::size_t(i)], true);
          } catch (...) {
            errors[std::size_t(i)] = std::current_exception();
            abandon.store(true);
          }
        });
      for (std::thread& t : threads) t.join();
    }
    for (const std::exception_ptr& e : errors)
      if (e) std::rethrow_exception(e);
    // The finished members in order; a stop keeps those before the first
    // unfinished one, and the checkpoint restarts that one from its start.
    int done = 0;
    while (done < wave && finished[std::size_t(done)]) {
      const std::vector<float>& best = states[std::size_t(done)].best_params;
      ensemble_params.insert(ensemble_params.end(), best.begin(), best.end());
      model.history = histories[std::size_t(done)];
      ++done;
    }
    member += done;
    state.member = member;
    state.finished_members = ensemble_params;
    if (done < wave) {
      state = fresh_state(member, ensemble_params);
      if (hooks.on_checkpoint) {
        Model snapshot = model;
        snapshot.params = state.params;
        hooks.on_checkpoint(snapshot, state);
      }
      throw Interrupted("interrupted while training members " + std::to_string(member + 1) + " to " +
                        std::to_string(member + wave - done) + " side by side (a resumed run trains them again)");
    }
  }
  if (members_over_ranks) gather_members(comm, members, layout.total, my_members, ensemble_params, model.history);
  model.members = members;
  model.params = std::move(ensemble_params);

  if (options.calibrate && val_rows > 0) {
    // Recalibration on the validation rows (docs/TRAINING.md): one scale per
    // target on every sigma, fitted by NLL of the (ensemble) mixture, folded
    // into every member's head biases.
    // Data-parallel: each rank has some validation rows; they are gathered.
    std::vector<Matrix> heads;
    for (int m = 0; m < members; ++m) {
      backend.set_parameters(std::vector<float>(model.params.begin() + std::ptrdiff_t(m * layout.total),
                                                model.params.begin() + std::ptrdiff_t((m + 1) * layout.total)));
      heads.push_back(x_val.rows > 0 ? backend.forward(x_val) : Matrix(0, spec.head_width()));
    }
    const Matrix local_z = combine_member_heads(spec, heads);
    const Matrix z = data_parallel ? all_gather_rows(comm, local_z) : local_z;
    const Matrix t_val_all = data_parallel ? all_gather_rows(comm, t_val) : t_val;
    const ModelSpec mixture = model.mixture_spec();
    Calibration c;
    c.log_sigma_shift = fit_log_sigma_shift(mixture, z, t_val_all);
    c.val_nll_before = shifted_nll(mixture, z, t_val_all, {});
    c.val_nll_after = shifted_nll(mixture, z, t_val_all, c.log_sigma_shift);
    c.rows = val_rows;
    shift_log_sigma_biases(spec, model.params, c.log_sigma_shift);
    model.calibration = std::move(c);
  }
  return model;
}

}  // namespace mdn
