// The model search (mdn/tuner.hpp): candidates from the space and the
// sampler, trainings of (trial, split) on budgets set by successive halving,
// side by side where the backend gains from it; each scored by its held-out
// rows' NLL in original units.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <exception>
#include <limits>
#include <memory>
#include <thread>

#include "mdn/error.hpp"
#include "mdn/grid.hpp"
#include "mdn/inference.hpp"
#include "mdn/metrics.hpp"
#include "mdn/trainer.hpp"
#include "mdn/tuner.hpp"
#include "train/training_data.hpp"

namespace mdn {
namespace {

using Clock = std::chrono::steady_clock;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The rows of `data` in `rows` (ascending), or all rows but them.
Dataset subset(const Dataset& data, const std::vector<long long>& rows, bool complement) {
  std::vector<int> pick;
  std::size_t next = 0;
  for (long long r = 0; r < data.x.rows; ++r) {
    const bool in = next < rows.size() && rows[next] == r;
    if (in) ++next;
    if (in != complement) pick.push_back(int(r));
  }
  Dataset out;
  out.x = detail::take_rows(data.x, pick);
  out.t = detail::take_rows(data.t, pick);
  out.feature_names = data.feature_names;
  out.target_names = data.target_names;
  if (!data.weights.empty())
    for (int r : pick) out.weights.push_back(data.weights[std::size_t(r)]);
  return out;
}

// A candidate on a fraction of its optimizer steps (1: unchanged): the
// schedule, patience and averaging follow from the shorter plan.
TrainOptions on_budget(const TrainOptions& options, double budget, long long train_rows) {
  TrainOptions o = options;
  if (budget >= 1.0) return o;
  if (o.epochs > 0) {
    o.epochs = std::max(1, int(std::lround(o.epochs * budget)));
  } else {
    const long long steps = o.steps > 0 ? o.steps : auto_step_budget(train_rows);
    o.steps = std::max(1LL, (long long)std::llround(double(steps) * budget));
  }
  return o;
}

// How the splits were made, in words (TuneResult::validation).
std::string validation_words(long long rows, int splits, bool ordered) {
  const std::string percent = std::to_string(int(kTuneHoldoutFraction * 100)) + "%";
  if (rows > kTuneHoldoutRows)
    return ordered ? std::to_string(splits) + " hold-outs of consecutive " + percent + " blocks (the last rows)"
                   : std::to_string(splits) + " random hold-outs of " + percent + " of the rows";
  return std::to_string(splits) + "-fold" + (ordered ? " blocked (consecutive rows)" : "") + " cross-validation";
}

// The held-out score: the mean NLL per row in original units (weighted by
// the rows' weights, if any); for a model trained on grid cells (`steps`,
// TrainOptions::grid_steps, one per target, 0 = continuous) the cells'
// -log P(cell), the score `mdn eval` gives it (mdn/grid.hpp), as a density
// over gridded targets can peak on the grid points.
double heldout_nll(const Model& model, const Dataset& rows, const TuneOptions& tune, const std::vector<float>& steps) {
  auto backend = make_backend(tune.device, model, tune.cuda);
  const MixtureBatch mix = predict_mixtures(*backend, model, rows.x.to_double());
  double sum = 0.0, weight = 0.0;
  for (int r = 0; r < rows.x.rows; ++r) {
    const double w = rows.weights.empty() ? 1.0 : rows.weights[std::size_t(r)];
    if (w == 0.0) continue;
    sum += w * (steps.empty() ? mixture_nll(mix, r, rows.t.row(r)) : -cell_log_mass(mix, r, rows.t.row(r), steps));
    weight += w;
  }
  return weight > 0.0 ? sum / weight : kNaN;
}

struct Job {
  int trial = 0, split = 0;
  double score = kNaN;
  double seconds = 0.0;
  bool ran = false;
  std::string error;
};

// The results of the jobs this rank ran (indices `mine`), as bytes: per job
// its index, score, seconds, ran and error.
std::string job_results(const std::vector<Job>& jobs, const std::vector<std::size_t>& mine) {
  std::string out;
  const auto put = [&out](const void* p, std::size_t n) { out.append(static_cast<const char*>(p), n); };
  for (const std::size_t j : mine) {
    const Job& job = jobs[j];
    const std::uint64_t index = j, length = job.error.size();
    const char ran = job.ran ? 1 : 0;
    put(&index, sizeof index);
    put(&job.score, sizeof job.score);
    put(&job.seconds, sizeof job.seconds);
    put(&ran, 1);
    put(&length, sizeof length);
    put(job.error.data(), job.error.size());
  }
  return out;
}

// Every rank's job_results into `jobs`.
void take_job_results(const std::vector<std::string>& parts, std::vector<Job>& jobs) {
  for (const std::string& part : parts) {
    const char* p = part.data();
    const char* end = p + part.size();
    const auto get = [&p](void* to, std::size_t n) {
      std::memcpy(to, p, n);
      p += n;
    };
    while (p < end) {
      std::uint64_t index = 0, length = 0;
      char ran = 0;
      get(&index, sizeof index);
      Job& job = jobs.at(std::size_t(index));
      get(&job.score, sizeof job.score);
      get(&job.seconds, sizeof job.seconds);
      get(&ran, 1);
      get(&length, sizeof length);
      job.ran = ran != 0;
      job.error.assign(p, std::size_t(length));
      p += length;
    }
  }
}

class Search {
 public:
  Search(const ModelSpec& spec, const Dataset& data, const TrainOptions& options, const TuneOptions& tune,
         const TuneHooks& hooks)
      : tune_(tune), hooks_(hooks), started_(Clock::now()) {
    const auto held_out = tune_splits(data.x.rows, tune.folds, options.seed, tune.ordered_folds);
    for (const auto& rows : held_out) {
      train_parts_.push_back(subset(data, rows, true));
      test_parts_.push_back(subset(data, rows, false));
    }
    const long long train_rows = train_parts_.front().x.rows;
    auto space = default_search_space(train_rows);
    // Full covariance and gridded targets take no target transform
    // (src/train/target_transforms.cpp): that dimension leaves the search.
    const bool gridded =
        std::any_of(options.grid_steps.begin(), options.grid_steps.end(), [](float h) { return h > 0; });
    // Trained on grid cells (TrainOptions::grid_steps): scored by them. Targets that
    // merely sit on a grid keep the density's NLL: every rounded column
    // (0.01 MPa, 0.1 k$) sits on one, and there the cells' NLL is the
    // density's plus about log(1/h), a shift that would only confuse the log.
    if (gridded && !(spec.covariance == Covariance::Full && spec.target_dim > 2)) score_steps_ = options.grid_steps;
    result_.score = score_steps_.empty()
                        ? "mean held-out NLL per row, original units (lower is better)"
                        : "mean held-out NLL of the grid cells per row, minus log P(cell) (lower is better)";
    if (spec.covariance == Covariance::Full || gridded)
      space.erase(std::remove_if(space.begin(), space.end(),
                                 [](const TuneDimension& d) { return d.name == "target_transform"; }),
                  space.end());
    TuneCandidate recipe{spec, options};
    recipe.options.ensemble = 1;
    recipe.options.checkpoint_every = 0;
    const auto points = tune_points(tune.sampler, tune.trials - 1, int(space.size()), options.seed);
    result_.rungs = plan_rungs(tune.trials, int(held_out.size()), tune.eta);
    result_.splits = int(held_out.size());
    result_.validation = validation_words(data.x.rows, int(held_out.size()), tune.ordered_folds);
    for (const auto& d : space) result_.dimensions.push_back(d.name), result_.choices.push_back(d.choices);
    for (int t = 0; t < tune.trials; ++t) {
      TuneCandidate c = recipe;
      if (t > 0)
        for (std::size_t j = 0; j < space.size(); ++j) space[j].apply(space[j].value(points[std::size_t(t - 1)][j]), c);
      TuneTrial trial;
      trial.id = t;
      for (const auto& d : space) trial.values.push_back(d.read(c));
      candidates_.push_back(c);
      result_.trials.push_back(trial);
    }
    for (const TuneRung& r : result_.rungs) work_total_ += r.budget * r.trials * r.splits;
    for (const TuneRung& r : result_.rungs) jobs_total_ += r.trials * r.splits;
  }

  TuneResult run() {
    // Between rungs every rank takes the same decision (agreed_stop, set at
    // the end of each rung); one process decides as it goes.
    const HalvingOutcome outcome = successive_halving(
        tune_.trials, result_.rungs, [this](int rung, const std::vector<int>& trials) { return run_rung(rung, trials); },
        [this] { return comm().size() > 1 ? agreed_stop_ : stopping(); });
    for (std::size_t t = 0; t < result_.trials.size(); ++t)
      result_.trials[t].eliminated_after = outcome.eliminated_after[t];
    result_.best_rung = std::max(0, outcome.deepest_rung);
    result_.lowest = result_.best = outcome.best;
    const auto& recipe = result_.trials[0].split_scores;
    const auto& lowest = result_.trials[std::size_t(outcome.best)].split_scores;
    const std::size_t rung = std::size_t(result_.best_rung);
    if (outcome.best != 0 && recipe.size() > rung && lowest.size() > rung &&
        !beats_recipe_clearly(recipe[rung], lowest[rung]))
      result_.best = 0;
    result_.best_score = outcome.deepest_rung < 0 ? kNaN : outcome.scores[std::size_t(result_.best)][rung];
    result_.best_candidate = candidates_[std::size_t(result_.best)];
    result_.best_candidate.options.ensemble = original_.ensemble;
    result_.best_candidate.options.checkpoint_every = original_.checkpoint_every;
    result_.seconds = elapsed();
    return result_;
  }

  void set_original(const TrainOptions& o) { original_ = o; }

 private:
  double elapsed() const { return std::chrono::duration<double>(Clock::now() - started_).count(); }
  Communicator& comm() const { return hooks_.ranks != nullptr ? *hooks_.ranks : single_process(); }
  void run_waves(const std::vector<std::size_t>& mine, std::vector<Job>& jobs, int rung);
  void share_results(const std::vector<std::size_t>& mine, std::vector<Job>& jobs);
  bool stop_requested() const { return hooks_.stop_requested && hooks_.stop_requested->load(); }
  // No new work once stopped or past the time limit; the first training
  // always runs, so a limit below one trial's cost still gives one.
  bool stopping() {
    if (stop_requested()) result_.stopped = true;
    if (tune_.time_limit > 0.0 && elapsed() >= tune_.time_limit && result_.jobs_run > 0) result_.time_capped = true;
    return result_.stopped || result_.time_capped;
  }

  // How many trainings run at once: as many members as the backend would
  // train side by side with small minibatches (a function of the device and
  // thread count alone, so the bits do not depend on timing).
  int concurrency(int jobs) const {
    if (!tune_.concurrent || jobs <= 1) return 1;
    auto probe = make_backend(tune_.device, candidates_.front().spec, tune_.cuda);
    return std::clamp(probe->member_concurrency(32, jobs), 1, jobs);
  }

  void run_job(Job& job, int rung, int wave) const {
    const auto t0 = Clock::now();
    const TuneCandidate& c = candidates_[std::size_t(job.trial)];
    const Dataset& train_rows = train_parts_[std::size_t(job.split)];
    TrainOptions o = on_budget(c.options, result_.rungs[std::size_t(rung)].budget, train_rows.x.rows);
    o.cross_fit = false;  // a trial is scored by its NLL; intervals are the final model's
    ModelSpec spec = c.spec;
    auto full = make_backend(tune_.device, spec, tune_.cuda);
    std::unique_ptr<Backend> shared = wave > 1 ? full->concurrent_member_backend(wave) : nullptr;
    Backend& backend = shared ? *shared : *full;
    TrainHooks hooks;
    hooks.stop_requested = hooks_.stop_requested;
    try {
      const Model model = train(backend, spec, train_rows, o, hooks);
      job.score = heldout_nll(model, test_parts_[std::size_t(job.split)], tune_, score_steps_);
      job.ran = true;
    } catch (const Interrupted&) {
      job.ran = false;
    } catch (const Error& e) {  // diverged, or a candidate the data cannot take: ranks last
      job.score = std::numeric_limits<double>::infinity();
      job.error = e.what();
      job.ran = true;
    }
    job.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  }

  std::vector<double> run_rung(int rung, const std::vector<int>& trials);
  void report(int rung, double work_done);

  TuneOptions tune_;
  TuneHooks hooks_;
  Clock::time_point started_;
  std::vector<Dataset> train_parts_, test_parts_;
  std::vector<TuneCandidate> candidates_;
  std::vector<float> score_steps_;  // the grid of the cells scored; empty = densities
  TuneResult result_;
  double work_total_ = 0.0, work_done_ = 0.0;
  int jobs_total_ = 0, trials_done_ = 0, eliminated_ = 0;
  double best_ = kNaN;
  bool agreed_stop_ = false;
  TrainOptions original_;
};

// Every (trial, split) job of a rung, in waves of side-by-side trainings;
// the scores of the trials whose jobs all ran, in order.
std::vector<double> Search::run_rung(int rung, const std::vector<int>& trials) {
  const TuneRung& plan = result_.rungs[std::size_t(rung)];
  eliminated_ = tune_.trials - int(trials.size());
  // The plan counted plan.trials; the recipe kept on top of them adds some.
  jobs_total_ += (int(trials.size()) - plan.trials) * plan.splits;
  work_total_ += (int(trials.size()) - plan.trials) * plan.splits * plan.budget;
  std::vector<Job> jobs;
  for (int t : trials)
    for (int s = 0; s < plan.splits; ++s) {
      Job job;
      job.trial = t;
      job.split = s;
      jobs.push_back(job);
    }
  // This rank's share of the jobs (all of them in one process).
  std::vector<std::size_t> mine;
  for (std::size_t j = 0; j < jobs.size(); ++j)
    if (int(j % std::size_t(comm().size())) == comm().rank()) mine.push_back(j);
  const double work_before = work_done_;
  const int run_before = result_.jobs_run;
  // A failure on one rank ends every rank with its message (no rank waits
  // for another's results that will not come).
  collectively(comm(), [&] { run_waves(mine, jobs, rung); });
  if (comm().size() > 1) {
    share_results(mine, jobs);
    int ran = 0;
    for (const Job& j : jobs) ran += j.ran ? 1 : 0;
    result_.jobs_run = run_before + ran;
    work_done_ = work_before + double(ran) * plan.budget;
    report(rung, work_done_);
  }
  // Per trial: its split scores and their mean, if every split ran.
  std::vector<double> scores;
  for (std::size_t i = 0; i < trials.size(); ++i) {
    TuneTrial& trial = result_.trials[std::size_t(trials[i])];
    std::vector<double> split_scores;
    bool all = true;
    for (int s = 0; s < plan.splits; ++s) {
      const Job& j = jobs[i * std::size_t(plan.splits) + std::size_t(s)];
      trial.seconds += j.seconds;
      if (!j.error.empty() && trial.error.empty()) trial.error = j.error;
      all = all && j.ran;
      split_scores.push_back(j.score);
    }
    if (!all) break;
    double mean = 0.0;
    for (double v : split_scores) mean += v;
    mean /= double(split_scores.size());
    trial.split_scores.push_back(split_scores);
    trial.scores.push_back(mean);
    scores.push_back(mean);
    if (rung + 1 == int(result_.rungs.size())) ++trials_done_;
  }
  // The best so far: the deepest rung's best.
  double best = std::numeric_limits<double>::infinity();
  for (double s : scores)
    if (std::isfinite(s)) best = std::min(best, s);
  if (std::isfinite(best)) best_ = best;
  return scores;
}

// The jobs `mine` of a rung, in waves of side-by-side trainings.
void Search::run_waves(const std::vector<std::size_t>& mine, std::vector<Job>& jobs, int rung) {
  const TuneRung& plan = result_.rungs[std::size_t(rung)];
  const int wave = concurrency(int(mine.size()));
  for (std::size_t first = 0; first < mine.size(); first += std::size_t(wave)) {
    if (stopping()) break;
    const std::size_t n = std::min(mine.size() - first, std::size_t(wave));
    if (n == 1) {
      run_job(jobs[mine[first]], rung, 1);
    } else {
      std::vector<std::thread> threads;
      std::vector<std::exception_ptr> errors(n);
      for (std::size_t i = 0; i < n; ++i)
        threads.emplace_back([&, i] {
          try {
            run_job(jobs[mine[first + i]], rung, wave);
          } catch (...) {
            errors[i] = std::current_exception();
          }
        });
      for (std::thread& th : threads) th.join();
      for (const auto& e : errors)
        if (e) std::rethrow_exception(e);
    }
    for (std::size_t i = first; i < first + n; ++i)
      if (jobs[mine[i]].ran) {
        ++result_.jobs_run;
        work_done_ += plan.budget;
      }
    report(rung, work_done_);
  }
}

// Every rank's results on every rank, and one decision whether to go on:
// stopped or past the time limit on any rank stops them all.
void Search::share_results(const std::vector<std::size_t>& mine, std::vector<Job>& jobs) {
  take_job_results(comm().all_gather(job_results(jobs, mine)), jobs);
  (void)stopping();
  const std::string flags{char(result_.stopped ? 1 : 0), char(result_.time_capped ? 1 : 0)};
  for (const std::string& f : comm().all_gather(flags)) {
    result_.stopped = result_.stopped || f[0] != 0;
    result_.time_capped = result_.time_capped || f[1] != 0;
  }
  agreed_stop_ = result_.stopped || result_.time_capped;
}

void Search::report(int rung, double work_done) {
  if (!hooks_.on_progress) return;
  TuneProgress p;
  p.rung = rung + 1;
  p.rungs = int(result_.rungs.size());
  p.jobs_done = result_.jobs_run;
  p.jobs_total = jobs_total_;
  p.trials = tune_.trials;
  p.trials_done = trials_done_ + eliminated_;
  p.best_score = best_;
  p.seconds_elapsed = elapsed();
  p.seconds_left = work_done > 0.0 ? p.seconds_elapsed / work_done * std::max(0.0, work_total_ - work_done) : kNaN;
  if (tune_.time_limit > 0.0) p.seconds_left = std::min(p.seconds_left, std::max(0.0, tune_.time_limit - p.seconds_elapsed));
  hooks_.on_progress(p);
}

}  // namespace

bool beats_recipe_clearly(const std::vector<double>& recipe_splits, const std::vector<double>& best_splits) {
  const std::size_t n = std::min(recipe_splits.size(), best_splits.size());
  if (n == 0) return false;
  double mean = 0.0;
  for (std::size_t i = 0; i < n; ++i) mean += recipe_splits[i] - best_splits[i];
  mean /= double(n);
  if (n == 1) return mean > 0.0;
  double ss = 0.0;
  for (std::size_t i = 0; i < n; ++i) {
    const double d = recipe_splits[i] - best_splits[i] - mean;
    ss += d * d;
  }
  const double standard_error = std::sqrt(ss / double(n - 1) / double(n));
  return mean > standard_error;
}

TuneResult tune(const ModelSpec& spec, const Dataset& data, const TrainOptions& options, const TuneOptions& tune,
                const TuneHooks& hooks) {
  if (tune.trials < 1)
    throw UsageError("TuneOptions::trials must be at least 1 (got " + std::to_string(tune.trials) + ")");
  if (!(tune.time_limit >= 0.0))
    throw UsageError("TuneOptions::time_limit must be 0 (none) or a positive number of seconds");
  if (data.x.rows != data.t.rows || data.t.cols != spec.target_dim || data.x.cols != spec.input_dim)
    throw UsageError("the model search: the data's columns do not fit the model spec");
  Search search(spec, data, options, tune, hooks);
  search.set_original(options);
  return search.run();
}

}  // namespace mdn
