#include "train/training_run.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <exception>
#include <limits>
#include <memory>
#include <thread>

#include "mdn/calibration.hpp"
#include "mdn/conformal.hpp"
#include "mdn/metrics.hpp"
#include "mdn/recalibration.hpp"
#include "mdn/mixture.hpp"
#include "mdn/error.hpp"
#include "mdn/sharded_data.hpp"
#include "train/data_parallel.hpp"
#include "train/sample_weights.hpp"
#include "train/target_transforms.hpp"
#include "train/training_warnings.hpp"

namespace mdn::detail {
namespace {

std::string float_bytes(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

std::vector<float> floats_of(const char* bytes, std::size_t count) {
  std::vector<float> v(count);
  std::memcpy(v.data(), bytes, count * sizeof(float));
  return v;
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) out += (i ? "," : "") + names[i];
  return out;
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

void check_options(const ModelSpec& spec, const Dataset& data, const TrainOptions& o) {
  spec.validate();
  if (data.x.cols != spec.input_dim || data.t.cols != spec.target_dim)
    throw Error("data has " + std::to_string(data.x.cols) + " features and " + std::to_string(data.t.cols) +
                " targets; the model spec says D = " + std::to_string(spec.input_dim) +
                ", T = " + std::to_string(spec.target_dim));
  (void)plan_training(o, data.x.rows);  // range checks of every option
  if (o.max_rollbacks < 0) throw UsageError("TrainOptions::max_rollbacks must be >= 0");
  if (o.ensemble < 1 || o.ensemble > kMaxMembers)
    throw UsageError("TrainOptions::ensemble (the ensemble size) must be 1 to " + std::to_string(kMaxMembers) +
                     " (got " + std::to_string(o.ensemble) + ")");
}

}  // namespace

// ---- plan ----------------------------------------------------------------------

TrainingRun::TrainingRun(Backend& backend, const ModelSpec& spec, const Dataset& data, const TrainOptions& options,
                         const TrainHooks& hooks, Dataset* consumable)
    : backend_(backend),
      spec_(spec),
      options_(options),
      hooks_(hooks),
      comm_(hooks.ranks != nullptr ? *hooks.ranks : single_process()),
      layout_(spec),
      members_(options.ensemble) {
  check_options(spec, data, options);
  check_ranks(data);
  check_init(data);
  // Validation rows of the user's own replace the random split.
  TrainOptions split_options = options;
  if (hooks.validation != nullptr) split_options.val_fraction = 0.0f;
  split_ = split_rows(all_rows_, first_row_, data.x.rows, split_options);
  model_.spec = spec;
  model_.feature_names = data.feature_names;
  model_.target_names = data.target_names;
  if (consumable != nullptr) consumable->lines = {};  // not needed to train: its memory goes first
  standardise(data, consumable);
  take_validation(data);
  check_resume();
  take_grid_steps();
  // The plan follows all training rows (local_row has one entry per row).
  plan_ = plan_training(options, (long long)split_.local_row.size());
  if (consumable != nullptr) x_train_ = standardise_in_place(consumable->x, split_.train_idx, model_.stats);
  epoch_data_.emplace(x_train_, t_train_, w_train_, split_.local_row, options, plan_, model_.stats, cells_in_loss_);
  // Data-parallel epochs read the rows from epoch_data_; the others hand them
  // to the backend (once, or every epoch when they vary).
  join_collective();
  if (!epoch_data_->varies() && !data_parallel_) hand_rows(backend, x_train_, t_train_, w_train_);
}

// Several ranks (docs/DISTRIBUTED.md): one network over all of them
// (data-parallel: `data` is this rank's part of the rows), or an ensemble
// whose members are spread over them (`data` is every row).
void TrainingRun::check_ranks(const Dataset& data) {
  data_parallel_ = comm_.size() > 1 && options_.ensemble == 1;
  members_over_ranks_ = comm_.size() > 1 && options_.ensemble > 1;
  first_row_ = data_parallel_ ? hooks_.first_row : 0;
  all_rows_ = data_parallel_ ? hooks_.total_rows : data.x.rows;
  if (data_parallel_ && (first_row_ < 0 || first_row_ + data.x.rows > all_rows_))
    throw Error("internal error: this rank's rows do not lie within the data set's rows");
  if (members_over_ranks_ && (options_.checkpoint_every > 0 || hooks_.resume_state != nullptr))
    throw UsageError(
        "an ensemble trained over several ranks keeps no checkpoints: TrainOptions::checkpoint_every must be 0 and "
        "there must be no TrainHooks::resume_state, or train it with one rank");
  if (all_rows_ < 2) throw Error("training needs at least 2 rows of data (got " + std::to_string(all_rows_) + ")");
}

// The training split's statistics (over every rank's rows; weighted by the
// sample weights; an initial model's own when starting from one), then the
// standardised rows (straight from the data set's features: no copy of them
// in double; with a consumable data set, its targets go once taken, and the
// training rows are made later, in place); every
// training target for the initial component means.
void TrainingRun::standardise(const Dataset& data, Dataset* consumable) {
  // Target transforms (src/train/target_transforms.hpp): fitted on the
  // training rows, applied beneath the statistics.
  model_.target_transforms = hooks_.init_model != nullptr
                                 ? hooks_.init_model->target_transforms
                                 : detail::fit_target_transforms(options_, spec_, data, split_.train_idx,
                                                                 hooks_.validation, data_parallel_);
  MatrixD t_train_raw = take_rows(data.t, split_.train_idx);
  MatrixD t_val_raw = take_rows(data.t, split_.val_idx);
  if (consumable != nullptr) consumable->t = MatrixD(0, data.t.cols);  // taken: its memory goes (the width stays)
  const long long train_rows = all_rows_ - split_.val_rows;
  const auto sum = [&](double v) { return data_parallel_ ? comm_.sum(v) : v; };
  std::vector<double> w_raw;
  if (!data.weights.empty())
    for (int r : split_.train_idx) w_raw.push_back(data.weights[std::size_t(r)]);
  if (!model_.target_transforms.empty()) {
    std::vector<double> w_val;
    if (!data.weights.empty())
      for (int r : split_.val_idx) w_val.push_back(data.weights[std::size_t(r)]);
    model_.transform_train_jacobian = detail::mean_transform_jacobian(model_.target_transforms, t_train_raw, w_raw);
    model_.transform_val_jacobian = detail::mean_transform_jacobian(model_.target_transforms, t_val_raw, w_val);
    detail::apply_target_transforms(model_.target_transforms, t_train_raw);
    detail::apply_target_transforms(model_.target_transforms, t_val_raw);
  }
  if (hooks_.init_model != nullptr)
    model_.stats = hooks_.init_model->stats;
  else
    model_.stats = Standardizer::fit(data.x, split_.train_idx, t_train_raw, w_raw, sum, train_rows);
  if (!w_raw.empty()) {
    double total = 0.0;
    for (double w : w_raw) total += w;
    w_train_ = unit_mean_weights(data.weights, split_.train_idx, sum(total) / double(train_rows));
  }
  take_feature_ranges(data.x, split_.train_idx);
  if (consumable == nullptr) x_train_ = model_.stats.standardize_x(data.x, split_.train_idx);
  t_train_ = model_.stats.standardize_t(t_train_raw);
  x_val_ = model_.stats.standardize_x(data.x, split_.val_idx);
  t_val_ = model_.stats.standardize_t(t_val_raw);
  if (!data.weights.empty()) {
    w_val_ = unit_mean_weights(data.weights, split_.val_idx, 1.0);
    double local = 0.0;
    for (float w : w_val_) local += w;
    val_weight_sum_ = sum(local);
  }
  if (data_parallel_) t_train_all_ = all_gather_rows(comm_, t_train_);  // (one process: t_train_ itself)
  w_train_all_ = w_train_;
  if (data_parallel_ && !w_train_.empty()) {
    Matrix w(int(w_train_.size()), 1);
    w.data = w_train_;
    w_train_all_ = all_gather_rows(comm_, w).data;
  }
}

// The training rows' smallest and largest value per feature (over every
// rank's rows), kept in the model so predictions can say when an input lies
// far outside them.
void TrainingRun::take_feature_ranges(const DataMatrix& x, const std::vector<int>& rows) {
  const std::size_t D = std::size_t(x.cols);
  std::vector<double> bounds(2 * D);  // -min and max, so one maximum over the ranks gives both
  for (std::size_t c = 0; c < D; ++c) bounds[c] = bounds[D + c] = -std::numeric_limits<double>::infinity();
  for (int r : rows)
    for (std::size_t c = 0; c < D; ++c) {
      bounds[c] = std::max(bounds[c], -x(r, int(c)));
      bounds[D + c] = std::max(bounds[D + c], x(r, int(c)));
    }
  if (data_parallel_)
    for (const std::string& part :
         comm_.all_gather(std::string(reinterpret_cast<const char*>(bounds.data()), bounds.size() * sizeof(double)))) {
      std::vector<double> other(bounds.size());
      std::memcpy(other.data(), part.data(), part.size());
      for (std::size_t i = 0; i < bounds.size(); ++i) bounds[i] = std::max(bounds[i], other[i]);
    }
  model_.x_min.resize(D);
  model_.x_max.resize(D);
  for (std::size_t c = 0; c < D; ++c) {
    model_.x_min[c] = -bounds[c];
    model_.x_max[c] = bounds[D + c];
  }
}

// Validation rows of the user's own (TrainHooks::validation): the same
// columns, standardised with the training statistics; data-parallel ranks
// each keep every ranks-th row of them.
void TrainingRun::take_validation(const Dataset& data) {
  const Dataset* v = hooks_.validation;
  if (v == nullptr) return;
  if (v->feature_names != data.feature_names || v->target_names != data.target_names || v->x.cols != data.x.cols ||
      v->t.cols != data.t.cols)
    throw UsageError(
        "the validation data (TrainHooks::validation) must have the training data's features and "
        "targets, in the same order");
  if (v->x.rows < 1) throw UsageError("the validation data (TrainHooks::validation) has no rows");
  check_weights(v->weights, v->x.rows, "the validation data's weights");
  std::vector<int> mine;
  for (int r = 0; r < v->x.rows; ++r)
    if (!data_parallel_ || r % comm_.size() == comm_.rank()) mine.push_back(r);
  x_val_ = model_.stats.standardize_x(v->x, mine);
  MatrixD t_raw = take_rows(v->t, mine);
  if (!model_.target_transforms.empty()) {
    model_.transform_val_jacobian = detail::mean_transform_jacobian(model_.target_transforms, t_raw, v->weights);
    detail::apply_target_transforms(model_.target_transforms, t_raw);
  }
  t_val_ = model_.stats.standardize_t(t_raw);
  w_val_.clear();
  val_weight_sum_ = 0.0;
  if (!v->weights.empty()) {
    w_val_ = unit_mean_weights(v->weights, mine, 1.0);
    for (double w : v->weights) val_weight_sum_ += w;
  }
  split_.val_rows = v->x.rows;
}

// Starting from a model (TrainHooks::init_model): it must be the same
// network for the same columns; its weights become each member's first.
void TrainingRun::check_init(const Dataset& data) {
  const Model* init = hooks_.init_model;
  if (init == nullptr) return;
  if (hooks_.resume_state != nullptr)
    throw UsageError(
        "TrainHooks::init_model and TrainHooks::resume_state cannot be given together: a checkpoint "
        "already holds the weights to continue from");
  const std::string diff = spec_difference(init->spec, spec_);
  if (!diff.empty()) throw UsageError("the initial model's architecture differs from this run's: " + diff);
  if (init->feature_names != data.feature_names || init->target_names != data.target_names)
    throw UsageError("the initial model was trained on other columns (features " + join_names(init->feature_names) +
                     "; targets " + join_names(init->target_names) + "), not on these (features " +
                     join_names(data.feature_names) + "; targets " + join_names(data.target_names) + ")");
  if (init->members != members_)
    throw UsageError("the initial model has " + std::to_string(init->members) +
                     " ensemble members; TrainOptions::ensemble is " + std::to_string(members_));
  if (init->params.size() != std::size_t(members_) * layout_.total)
    throw Error("the initial model's weights do not match its spec");
}

// A checkpoint to continue: the split and statistics are recomputed from
// (data, seed); a checkpoint made on other data would silently train on a
// different problem.
void TrainingRun::check_resume() {
  if (hooks_.resume_state == nullptr || hooks_.resume_model == nullptr) return;
  const Standardizer& saved = hooks_.resume_model->stats;
  if (saved.x_mean != model_.stats.x_mean || saved.t_mean != model_.stats.t_mean ||
      saved.x_scale != model_.stats.x_scale || saved.t_scale != model_.stats.t_scale)
    fail_on_every_rank(
        "cannot resume: the checkpoint was made on different data or with another seed or validation fraction"
        " (or with another number of ranks)");
  state_ = *hooks_.resume_state;
  if (state_.member >= members_ || state_.finished_members.size() != std::size_t(state_.member) * layout_.total)
    fail_on_every_rank("cannot resume: the checkpoint's ensemble members do not match the ensemble size");
  model_.history = hooks_.resume_model->history;
  resuming_ = true;
}

void TrainingRun::take_grid_steps() {
  backend_.set_target_cells({});  // a backend shared between runs keeps nothing of the last one
  if (options_.grid_steps.empty()) return;
  if (int(options_.grid_steps.size()) != spec_.target_dim)
    throw UsageError("TrainOptions::grid_steps needs one step per target (" + std::to_string(spec_.target_dim) + ")");
  for (float h : options_.grid_steps)
    if (!(h >= 0.0f) || !std::isfinite(h)) throw UsageError("a grid step (TrainOptions::grid_steps) must be >= 0");
  model_.grid_step = options_.grid_steps;
  // The exact cell likelihood where the backend has it; the half cells in
  // the standardised units the network sees.
  std::vector<double> half(options_.grid_steps.size());
  for (std::size_t d = 0; d < half.size(); ++d)
    half[d] = 0.5 * double(options_.grid_steps[d]) / model_.stats.t_scale[d];
  cells_in_loss_ = backend_.set_target_cells(half);
}

// Data-parallel on a backend with a device collective (NCCL on CUDA): rank
// 0's id is shared over the communicator and every rank joins; otherwise the
// gradients are summed on the host (Communicator::sum).
void TrainingRun::join_collective() {
  if (!data_parallel_) return;
  const std::string id = comm_.broadcast(comm_.root() ? backend_.new_collective_id() : std::string());
  if (!id.empty() && comm_.sum((long long)backend_.join_collective(id, comm_.rank(), comm_.size())) != comm_.size())
    throw RankError("not every rank could join the device collective (NCCL)", comm_.root(), false);
}

void TrainingRun::fail_on_every_rank(const std::string& message) const {
  if (data_parallel_) throw RankError(message, comm_.root(), false);
  throw Error(message);
}

// ---- members -------------------------------------------------------------------

Model TrainingRun::run() {
  start_ = std::chrono::steady_clock::now();
  // Members over ranks: this rank's members are rank, rank + N, ...
  const int my_members_left =
      members_over_ranks_ ? (members_ - comm_.rank() + comm_.size() - 1) / comm_.size() : members_ - state_.member;
  epochs_left_at_start_ = (long long)my_members_left * plan_.epochs - state_.epoch;
  train_members();
  if (members_over_ranks_)
    gather_members(comm_, members_, layout_.total, my_members_, ensemble_params_, model_.history);
  model_.members = members_;
  model_.params = std::move(ensemble_params_);
  release_training_rows();
  // A scale fitted on a handful of rows follows their noise (22 rows of
  // faithful: coverage 0.91 -> 0.80): below kMinCalibrationRows, none.
  // Several targets (full covariance too) get the per-target sigma scale;
  // conformal scores are per target, from the exact marginals.
  if (recalibrates(options_) && split_.val_rows >= kMinCalibrationRows) calibrate();
  if (split_.val_rows >= kMinConformalRows) fit_conformal();
  model_.history.warnings = warnings();
  return std::move(model_);
}

// The members are trained: what follows (calibration, conformal scores)
// reads the validation rows only, so the training rows' memory goes first
// (the backend may point at them).
void TrainingRun::release_training_rows() {
  backend_.release_training_rows();
  backend_.set_target_cells({});
  epoch_data_.reset();
  x_train_ = Matrix();
  t_train_ = Matrix();
  t_train_all_ = Matrix();
}

// Members one after another on the backend, or, where the backend gains from
// it (Backend::member_concurrency), several at once, each on a backend of its
// own in a thread of its own; either way the same bits. Periodic checkpoints
// and ranks keep them one after another.
void TrainingRun::train_members() {
  ensemble_params_ = state_.finished_members;
  const int concurrency =
      !data_parallel_ && !members_over_ranks_ && options_.checkpoint_every == 0 && options_.concurrent_members
          ? backend_.member_concurrency(plan_.batch_size, members_)
          : 1;
  int member = state_.member;
  while (member < members_) {
    const int wave = resuming_ ? 1 : std::min(concurrency, members_ - member);
    if (wave <= 1) {
      train_alone(member);
      ++member;
    } else {
      member += train_wave(member, wave);
    }
  }
}

// One member on the run's backend (fresh, or the checkpoint's).
void TrainingRun::train_alone(int member) {
  if (members_over_ranks_ && member % comm_.size() != comm_.rank()) return;
  if (!resuming_) {
    state_ = fresh_state(member, state_.finished_members);
    model_.history = TrainingHistory{};
  }
  resuming_ = false;
  (void)train_member(backend_, *epoch_data_, state_, model_.history, false);
  if (members_over_ranks_) {
    my_members_ += std::string(reinterpret_cast<const char*>(&member), sizeof member);
    my_members_ += std::string(reinterpret_cast<const char*>(state_.best_params.data()),
                               state_.best_params.size() * sizeof(float));
  } else {
    ensemble_params_.insert(ensemble_params_.end(), state_.best_params.begin(), state_.best_params.end());
    state_.finished_members = ensemble_params_;
    state_.member = member + 1;
    state_.epoch = 0;
  }
}

// Members member .. member + wave - 1 side by side; returns how many finished
// (all of them, or a stop request throws Interrupted after checkpointing the
// first unfinished one from its start).
int TrainingRun::train_wave(int member, int wave) {
  const std::size_t n = std::size_t(wave);
  std::vector<TrainingState> states;
  std::vector<TrainingHistory> histories(n);
  std::vector<std::unique_ptr<Backend>> backends;
  for (int i = 0; i < wave; ++i) {
    states.push_back(fresh_state(member + i, ensemble_params_));
    backends.push_back(backend_.concurrent_member_backend(wave));
    if (!backends.back()) throw Error("internal error: the backend offered concurrent members but made none");
    if (!epoch_data_->varies()) hand_rows(*backends.back(), x_train_, t_train_, w_train_);
  }
  std::vector<char> finished(n, 0);
  std::vector<std::exception_ptr> errors(n);
  {
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < n; ++i)
      threads.emplace_back([&, i] {
        try {
          EpochData member_data = *epoch_data_;
          finished[i] = train_member(*backends[i], member_data, states[i], histories[i], true);
        } catch (...) {
          errors[i] = std::current_exception();
          abandon_.store(true);
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
    ensemble_params_.insert(ensemble_params_.end(), best.begin(), best.end());
    model_.history = histories[std::size_t(done)];
    ++done;
  }
  state_.member = member + done;
  state_.finished_members = ensemble_params_;
  if (done < wave) {
    state_ = fresh_state(member + done, ensemble_params_);
    write_checkpoint(state_.params, model_.history, state_);
    throw Interrupted("interrupted while training members " + std::to_string(member + done + 1) + " to " +
                      std::to_string(member + wave) + " side by side (a resumed run trains them again)");
  }
  return done;
}

// A member's state before its first epoch.
TrainingState TrainingRun::fresh_state(int member, const std::vector<float>& finished) const {
  TrainingState s;
  s.member = member;
  s.finished_members = finished;
  s.lr = options_.lr;
  if (hooks_.init_model != nullptr)
    s.params.assign(hooks_.init_model->params.begin() + std::ptrdiff_t(std::size_t(member) * layout_.total),
                    hooks_.init_model->params.begin() + std::ptrdiff_t(std::size_t(member + 1) * layout_.total));
  else
    s.params = initial_parameters(spec_, data_parallel_ ? t_train_all_ : t_train_, member_seed(options_.seed, member),
                                  w_train_all_);
  s.optimizer = OptimizerState{std::vector<float>(layout_.total, 0.0f), std::vector<float>(layout_.total, 0.0f), 0};
  s.best_params = s.params;
  return s;
}

// One member's epochs on backend `b` from `st` (fresh or resumed), with its
// own copy of the epoch data. Returns false when it stopped early on a stop
// request or `abandon_` (`st` then holds its last finished epoch) while
// `concurrent`; otherwise a stop request writes a checkpoint and throws
// Interrupted.
bool TrainingRun::train_member(Backend& b, EpochData& data, TrainingState& st, TrainingHistory& history,
                               bool concurrent) {
  EpochConfig config;
  config.batch_size = plan_.batch_size;
  config.adam.clip_norm = options_.clip_norm;
  config.adam.weight_decay = options_.weight_decay;
  b.set_parameters(st.params);
  b.set_optimizer_state(st.optimizer);
  const int first_epoch = st.epoch + 1;
  const auto member_start = std::chrono::steady_clock::now();
  for (int epoch = first_epoch; epoch <= plan_.epochs; ++epoch) {
    EpochOutcome outcome = run_epoch(b, data, st, epoch, config);
    if (!std::isfinite(outcome.val)) {
      roll_back(b, st, epoch);
      --epoch;  // repeat this epoch
      continue;
    }
    const bool improved = keep_epoch(b, st, history, epoch, outcome);
    if (hooks_.on_epoch) report_epoch(st, epoch, first_epoch, outcome, improved, config.adam.lr, member_start);
    if (stop_after(st, history, epoch, concurrent)) return false;
    // Early stopping on the validation NLL; the best weights are kept.
    if (split_.val_rows > 0 && plan_.patience > 0 && st.since_best >= plan_.patience) break;
  }
  note_member(st, history);
  return true;
}

// A finished member's part of the run's warnings.
void TrainingRun::note_member(const TrainingState& st, const TrainingHistory& history) {
  const std::lock_guard<std::mutex> lock(report_mutex_);
  rollbacks_ += st.rollbacks;
  worst_kept_nll_ = std::max(worst_kept_nll_, st.best_val);
  best_epoch_first_ = best_epoch_first_ || (split_.val_rows > 0 && history.best_epoch == 1 && st.epoch > 1);
}

// Draws the epoch's data, trains one epoch and validates. Member 0 uses the
// seed itself (a one-member run is the plain model), the others a seed
// derived from it; the permutation depends on (seed, epoch) alone, so a
// resumed run sees the same batches as an uninterrupted one.
TrainingRun::EpochOutcome TrainingRun::run_epoch(Backend& b, EpochData& data, const TrainingState& st, int epoch,
                                                 EpochConfig& config) {
  const std::uint64_t seed = member_seed(options_.seed, st.member);
  config.shuffle_seed = seed * 1000003ull + std::uint64_t(epoch);
  if (data.varies()) {
    data.draw(st.member, config.shuffle_seed ^ 0xD0E5ull);
    if (!data_parallel_) hand_rows(b, data.x(), data.t(), data.w());
  }
  // st.lr is the peak rate (halved by rollbacks); the schedule's position is
  // the epoch, so a resumed run continues on the same curve.
  config.adam.lr = scheduled_lr(options_, plan_, st.lr, (long long)(epoch - 1) * plan_.steps_per_epoch);
  EpochOutcome out;
  out.stats = data_parallel_ ? data_parallel_epoch(b, comm_, data.x(), data.t(), data.w(), split_.local_row, config)
                             : b.train_epoch(config);
  // Weight averaging: validation scores the moving average of the weights
  // (the backend holds it only for that), and the average is kept.
  const bool finite = out.stats.finite && std::isfinite(out.stats.mean_loss);
  const bool averaging = plan_.average_epochs > 1;
  const bool validate = split_.val_rows > 0;
  if (finite && averaging) {
    out.params = b.parameters();
    out.averaged = st.averaged_params;
    update_weight_average(out.averaged, out.params, epoch, plan_.average_epochs);
    if (validate) b.set_parameters(out.averaged);
  }
  out.val = !finite ? std::nan("") : validate ? validation_nll(b) : out.stats.mean_loss;
  if (finite && averaging && validate) b.set_parameters(out.params);
  return out;
}

// Back to the last good epoch with half the learning rate, at most
// TrainOptions::max_rollbacks times.
void TrainingRun::roll_back(Backend& b, TrainingState& st, int epoch) {
  if (st.rollbacks >= options_.max_rollbacks)
    fail_on_every_rank(
        "training diverged in epoch " + std::to_string(epoch) +
        (members_ > 1 ? " of member " + std::to_string(st.member + 1) : std::string()) +
        ": the loss or its gradient became NaN/Inf again after " + std::to_string(st.rollbacks) +
        " rollbacks with a halved learning rate (try a lower learning rate or a smaller gradient clipping norm); "
        "no model file was written");
  st.rollbacks += 1;
  st.lr *= 0.5f;
  b.set_parameters(st.params);
  b.set_optimizer_state(st.optimizer);
}

// The epoch becomes the member's state and history; returns whether it is
// the best so far (its weights, or their average, are then kept).
bool TrainingRun::keep_epoch(Backend& b, TrainingState& st, TrainingHistory& history, int epoch,
                             EpochOutcome& outcome) {
  const bool averaging = plan_.average_epochs > 1;
  st.epoch = epoch;
  st.params = averaging ? std::move(outcome.params) : b.parameters();
  if (averaging) st.averaged_params = std::move(outcome.averaged);
  st.optimizer = b.optimizer_state();
  history.train_nll.push_back(float(outcome.stats.mean_loss));
  if (split_.val_rows > 0) history.val_nll.push_back(float(outcome.val));
  if (!(outcome.val < st.best_val)) {
    ++st.since_best;
    return false;
  }
  st.best_val = outcome.val;
  st.since_best = 0;
  st.best_params = averaging ? st.averaged_params : st.params;
  history.best_epoch = epoch;
  return true;
}

void TrainingRun::report_epoch(const TrainingState& st, int epoch, int first_epoch, const EpochOutcome& outcome,
                               bool improved, float lr, std::chrono::steady_clock::time_point member_start) {
  const std::lock_guard<std::mutex> lock(report_mutex_);
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double member_elapsed = std::chrono::duration<double>(now - member_start).count();
  ++epochs_run_;
  EpochReport report;
  report.epoch = epoch;
  report.epochs = plan_.epochs;
  report.member = st.member + 1;
  report.members = members_;
  report.train_nll = outcome.stats.mean_loss;
  report.val_nll = split_.val_rows > 0 ? outcome.val : std::numeric_limits<double>::quiet_NaN();
  report.improved = improved;
  report.seconds_elapsed = elapsed;
  const int run_epochs = epoch - first_epoch + 1;
  report.samples_per_second = member_elapsed > 0 ? double(outcome.stats.samples) * run_epochs / member_elapsed : 0.0;
  report.seconds_left = elapsed / double(epochs_run_) * double(std::max(0LL, epochs_left_at_start_ - epochs_run_));
  report.log_jacobian = model_.train_log_jacobian();
  report.val_log_jacobian = model_.val_log_jacobian();
  report.lr = lr;
  report.rollbacks = st.rollbacks;
  hooks_.on_epoch(report);
}

// After an epoch: a member side by side returns true to stop (on a stop
// request or when another failed); one after another, a stop request (agreed
// by every data-parallel rank) writes a checkpoint and throws Interrupted,
// and every TrainOptions::checkpoint_every epochs a checkpoint is written.
bool TrainingRun::stop_after(const TrainingState& st, const TrainingHistory& history, int epoch, bool concurrent) {
  bool stop = hooks_.stop_requested != nullptr && hooks_.stop_requested->load();
  if (concurrent) return stop || abandon_.load();
  if (data_parallel_) stop = comm_.sum((long long)stop) > 0;  // all ranks stop after the same epoch
  if (stop && members_over_ranks_)
    throw Interrupted("interrupted after epoch " + std::to_string(epoch) + " of member " +
                      std::to_string(st.member + 1) + " (an ensemble over several ranks keeps no checkpoint)");
  if (stop || (options_.checkpoint_every > 0 && epoch % options_.checkpoint_every == 0))
    write_checkpoint(st.params, history, st);
  if (stop) throw Interrupted("interrupted after epoch " + std::to_string(epoch));
  return false;
}

void TrainingRun::write_checkpoint(const std::vector<float>& params, const TrainingHistory& history,
                                   const TrainingState& st) {
  if (!hooks_.on_checkpoint) return;
  Model snapshot = model_;
  snapshot.params = params;
  snapshot.history = history;
  hooks_.on_checkpoint(snapshot, st);
}

// Mean NLL of all validation rows on `b` (weighted by their sample weights):
// each rank's sum, added over the ranks.
double TrainingRun::validation_nll(Backend& b) {
  if (!w_val_.empty()) {
    const double local = x_val_.rows > 0 ? b.weighted_nll_sum(x_val_, t_val_, w_val_) : 0.0;
    return (data_parallel_ ? comm_.sum(local) : local) / val_weight_sum_;
  }
  if (!data_parallel_) return b.mean_nll(x_val_, t_val_);
  const double local = x_val_.rows > 0 ? b.mean_nll(x_val_, t_val_) * x_val_.rows : 0.0;
  return comm_.sum(local) / split_.val_rows;
}

// The rows (and their weights, when there are any) an epoch trains on.
void TrainingRun::hand_rows(Backend& b, const Matrix& x, const Matrix& t, const std::vector<float>& w) const {
  b.set_training_rows(x, t);  // kept by reference where the backend can: the rows live as long as the run
  if (!w.empty()) b.set_training_weights(w);
}

// ---- finish --------------------------------------------------------------------

// Recalibration on the validation rows (docs/TRAINING.md). One target: the
// PIT map of the whole distribution (mdn/recalibration.hpp), which also
// fixes over-dispersed ensembles. Several targets: one scale per target on
// every sigma, fitted by NLL of the (ensemble) mixture and folded into every
// member's head biases. Data-parallel: the validation rows of every rank are
// gathered.
void TrainingRun::calibrate() {
  if (spec_.target_dim == 1) return recalibrate();
  const Matrix z = validation_heads();
  const Matrix t_val_all = data_parallel_ ? all_gather_rows(comm_, t_val_) : t_val_;
  const std::vector<float> w_val_all = validation_weights();
  const ModelSpec mixture = model_.mixture_spec();
  Calibration c;
  c.log_sigma_shift = fit_log_sigma_shift(mixture, z, t_val_all, w_val_all);
  c.val_nll_before = shifted_nll(mixture, z, t_val_all, {}, w_val_all);
  c.val_nll_after = shifted_nll(mixture, z, t_val_all, c.log_sigma_shift, w_val_all);
  c.rows = split_.val_rows;
  shift_log_sigma_biases(spec_, model_.params, c.log_sigma_shift);
  model_.calibration = std::move(c);
}

void TrainingRun::recalibrate() {
  MatrixD t;
  MixtureBatch mix = validation_mixtures(t);
  std::vector<double> w;
  for (const float v : validation_weights()) w.push_back(double(v));
  model_.recalibration = fit_recalibration(mix, t, w, validation_source(), model_.val_log_jacobian());
  model_.recalibration.rows = split_.val_rows;
}

// The validation rows' sample weights, every rank's (empty: none).
std::vector<float> TrainingRun::validation_weights() {
  if (!data_parallel_ || w_val_.empty()) return w_val_;
  Matrix w(int(w_val_.size()), 1);
  w.data = w_val_;
  return all_gather_rows(comm_, w).data;
}

// In words, for the model file.
std::string TrainingRun::validation_source() const {
  return hooks_.validation != nullptr ? std::to_string(split_.val_rows) + " rows of the validation data"
                                      : std::to_string(split_.val_rows) + " validation rows of the training data";
}

// The head outputs of the kept model (every member, combined) on every
// validation row of every rank.
Matrix TrainingRun::validation_heads() {
  std::vector<Matrix> heads;
  for (int m = 0; m < members_; ++m) {
    backend_.set_parameters(std::vector<float>(model_.params.begin() + std::ptrdiff_t(m * layout_.total),
                                               model_.params.begin() + std::ptrdiff_t((m + 1) * layout_.total)));
    heads.push_back(x_val_.rows > 0 ? backend_.forward(x_val_) : Matrix(0, spec_.head_width()));
  }
  const Matrix local_z = combine_member_heads(spec_, heads);
  return data_parallel_ ? all_gather_rows(comm_, local_z) : local_z;
}

// The kept model's mixtures of every validation row (with its
// recalibration, once fitted) and their targets, in standardised units:
// the PIT, and so the recalibration and the conformal scores, do not change
// with an affine map of the target.
MixtureBatch TrainingRun::validation_mixtures(MatrixD& t) {
  const Matrix z = validation_heads();
  const Matrix t_val = data_parallel_ ? all_gather_rows(comm_, t_val_) : t_val_;
  Standardizer unit;
  unit.t_mean.assign(std::size_t(spec_.target_dim), 0.0);
  unit.t_scale.assign(std::size_t(spec_.target_dim), 1.0);
  t = MatrixD(t_val.rows, t_val.cols);
  for (std::size_t i = 0; i < t_val.data.size(); ++i) t.data[i] = double(t_val.data[i]);
  MixtureBatch mix = mixtures_from_head(model_.mixture_spec(), unit, z);
  mix.pit_maps = model_.recalibration.maps;
  return mix;
}

// Conformal interval scores (mdn/conformal.hpp) of the kept (and
// recalibrated) model on the validation rows. They chose the kept epoch
// and fitted the recalibration, so the guarantee is that of rows used once
// for model selection (docs/PREDICT.md); `mdn calibrate` on fresh rows gives
// the exact one.
void TrainingRun::fit_conformal() {
  MatrixD t;
  const MixtureBatch mix = validation_mixtures(t);
  model_.conformal = conformal_scores(mix, t, options_.seed);
  model_.conformal.source = validation_source();
}

// The run's warnings; members over ranks add up what each rank saw, so every
// rank returns the same model.
std::vector<std::string> TrainingRun::warnings() const {
  RunFacts f;
  f.train_rows = (long long)split_.local_row.size();
  f.val_rows = split_.val_rows;
  f.target_dim = spec_.target_dim;
  f.rollbacks = rollbacks_;
  f.worst_kept_nll = worst_kept_nll_;
  f.best_epoch_first = best_epoch_first_;
  f.log_jacobian = model_.val_log_jacobian();
  // Said when asked for (--calibrate); Auto stays quiet (cross-fitting may follow, src/train/cross_fit.hpp).
  f.calibration_skipped = options_.calibrate == TrainOptions::CalibrateMode::On && split_.val_rows > 0 &&
                          split_.val_rows < kMinCalibrationRows;
  if (members_over_ranks_) {
    const double mine[3] = {double(rollbacks_), worst_kept_nll_, best_epoch_first_ ? 1.0 : 0.0};
    f.rollbacks = 0;
    for (const std::string& part : comm_.all_gather(std::string(reinterpret_cast<const char*>(mine), sizeof mine))) {
      double v[3];
      std::memcpy(v, part.data(), sizeof v);
      f.rollbacks += int(v[0]);
      f.worst_kept_nll = std::max(f.worst_kept_nll, v[1]);
      f.best_epoch_first = f.best_epoch_first || v[2] > 0.0;
    }
  }
  return training_warnings(f);
}

}  // namespace mdn::detail
