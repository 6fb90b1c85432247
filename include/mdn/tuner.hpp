// Model search (docs/TRAINING.md, "Model search"): N configurations of the
// recipe (trial 0 is the recipe itself), scored by held-out NLL per row in
// original units over K-fold cross-validation (repeated hold-out for large
// data), with successive halving: every trial trains on a small budget, the
// best 1/eta go on to a larger one, up to the full recipe budget on every
// split. The caller then trains the final model with the best candidate
// through train() (mdn/trainer.hpp), like any other run.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "mdn/dataset.hpp"
#include "mdn/backend.hpp"
#include "mdn/communicator.hpp"
#include "mdn/spec.hpp"
#include "mdn/train_options.hpp"

namespace mdn {

// What one trial trains with.
struct TuneCandidate {
  ModelSpec spec;
  TrainOptions options;
};

// One dimension of the search space: a unit coordinate u in [0, 1) maps to a
// value (value), which sets the candidate's field (apply); read gives the
// value a candidate has (trial 0 records the recipe's this way). A new
// dimension (a categorical one: the value is the index of the choice) is one
// more entry of default_search_space.
struct TuneDimension {
  std::string name;
  std::function<double(double u)> value;
  std::function<void(double value, TuneCandidate&)> apply;
  std::function<double(const TuneCandidate&)> read;
  std::vector<std::string> choices{};  // a categorical dimension: the name of each index (logs, messages)
};

// The search space for `train_rows` training rows per split (docs/TRAINING.md,
// "Model search", lists the ranges): components, depth, width, learning rate,
// weight decay, target noise, input noise, batch size.
std::vector<TuneDimension> default_search_space(long long train_rows);

// Points in the unit cube [0, 1)^dims, a function of the seed alone.
// LowDiscrepancy: the Halton sequence (prime bases 2, 3, 5, ...), every
// digit through a random permutation per dimension and level (a scrambled
// Halton sequence; at most 16 dimensions); Random: independent uniforms.
// docs/TRAINING.md has the measurement behind the default.
enum class TuneSampler { LowDiscrepancy, Random };
std::vector<std::vector<double>> tune_points(TuneSampler sampler, int count, int dims, std::uint64_t seed);

// The held-out rows of each split of `rows` rows (indices, ascending in each
// split), a function of the seed: K-fold cross-validation (disjoint folds
// covering every row) up to kTuneHoldoutRows rows, kTuneHoldoutSplits
// random hold-outs of kTuneHoldoutFraction of the rows above. `ordered`
// (rows in time order, TuneOptions::ordered_folds): the folds are
// contiguous blocks of the rows in their order, and above kTuneHoldoutRows
// the hold-outs are the last kTuneHoldoutSplits blocks of
// kTuneHoldoutFraction (blocked cross-validation: each split holds out a
// whole stretch of time, as a time-ordered test set does). Throws
// UsageError when a fold would hold fewer than 2 rows.
inline constexpr long long kTuneHoldoutRows = 20000;
inline constexpr int kTuneHoldoutSplits = 3;
inline constexpr double kTuneHoldoutFraction = 0.2;
std::vector<std::vector<long long>> tune_splits(long long rows, int folds, std::uint64_t seed, bool ordered = false);

// ---- successive halving, apart from training (so it can be tested alone) ----
// Rung r trains `trials` candidates on `budget` (a fraction of the recipe's
// optimizer steps; 1 = the recipe's own) and scores them on the first
// `splits` splits.
struct TuneRung {
  double budget = 1.0;
  int splits = 1;
  int trials = 1;
};
// Rungs for `trials` candidates and `splits` splits with reduction factor
// eta: sizes trials, trials/eta, ... down to eta or fewer; budgets eta^-r
// up to 1 at the last; splits grow with the budget to all at the last.
std::vector<TuneRung> plan_rungs(int trials, int splits, int eta);

// Scores `trials` (ids, ascending) at rung `rung`: returns their scores in
// that order (lower is better; NaN or Inf = failed), or fewer when it was
// stopped part-way (the ones returned ran).
using RungScorer = std::function<std::vector<double>(int rung, const std::vector<int>& trials)>;
struct HalvingOutcome {
  // Per trial: its score at each rung it ran (NaN where it did not).
  std::vector<std::vector<double>> scores;
  // Per trial: the rung after which it was eliminated, -1 if it ran the last
  // rung it reached without being eliminated (the finalists, and every trial
  // of a search that stopped early).
  std::vector<int> eliminated_after;
  int best = 0;               // the lowest score of the deepest rung with any score (ties: lower id)
  int deepest_rung = -1;      // that rung
  bool complete = true;       // false: stopped before the last rung finished
};
// Trial 0 (the recipe) is never eliminated, so the search never ends worse
// than the recipe on its own score; it runs first in every rung. `stop`
// (may be null) is asked before each rung.
HalvingOutcome successive_halving(int trials, const std::vector<TuneRung>& rungs, const RungScorer& score,
                                  const std::function<bool()>& stop = nullptr);

// ---- the search ----
struct TuneOptions {
  int trials = 50;           // configurations, the recipe included
  double time_limit = 0.0;   // seconds of wall time, 0 = none: no new work starts after it
  int folds = 5;             // K of K-fold cross-validation
  int eta = 3;               // successive halving keeps the best 1/eta of each rung
  TuneSampler sampler = TuneSampler::LowDiscrepancy;
  DeviceKind device = DeviceKind::Cpu;
  CudaOptions cuda;
  bool concurrent = true;  // trials and splits side by side where the backend gains from it
  // The rows are in time order (tune_splits' `ordered`): held-out blocks of
  // consecutive rows instead of random folds, so the search scores the
  // extrapolation to an unseen stretch of time rather than interpolation.
  bool ordered_folds = false;
};

struct TuneTrial {
  int id = 0;
  std::vector<double> values;                    // per dimension of TuneResult::dimensions
  std::vector<std::vector<double>> split_scores;  // per rung it ran: the NLL of each split
  std::vector<double> scores;                    // per rung it ran: their mean
  int eliminated_after = -1;                     // HalvingOutcome::eliminated_after
  double seconds = 0.0;                          // training and scoring time, all rungs (thread time)
  std::string error;                             // why a split failed (training diverged), or empty
};

struct TuneProgress {
  int rung = 0, rungs = 0;
  int jobs_done = 0, jobs_total = 0;  // (trial, split) trainings of the whole plan
  int trials_done = 0, trials = 0;    // trials whose last rung has finished
  double best_score = 0.0;            // NaN until one score is in
  double seconds_elapsed = 0.0;
  double seconds_left = 0.0;  // estimate from the budget done so far
};

struct TuneHooks {
  std::function<void(const TuneProgress&)> on_progress;
  // Checked between trainings and inside them (after every epoch): the search
  // returns what it has, TuneResult::stopped set.
  const std::atomic<bool>* stop_requested = nullptr;
  // Several processes (mdn/communicator.hpp; null: this one alone): each
  // rank holds every row and runs every size()-th training of a rung (job j
  // on rank j % size()), and the rung's results are shared before the
  // halving, so every rank ends with the same TuneResult. The stop and the
  // time limit are agreed between rungs.
  Communicator* ranks = nullptr;
};

struct TuneResult {
  std::vector<std::string> dimensions;
  std::vector<std::vector<std::string>> choices;  // per dimension: TuneDimension::choices
  std::vector<TuneRung> rungs;
  std::vector<TuneTrial> trials;
  std::string validation;  // how the splits were made, in words
  std::string score;       // what a trial's score is, in words (the grid cells' NLL for gridded targets)
  int splits = 0;
  int best = 0;             // the chosen trial: the lowest score, unless beats_recipe_clearly() says 0
  double best_score = 0.0;  // its mean held-out NLL at best_rung
  int lowest = 0;           // the trial with the lowest score (== best unless the recipe was kept)
  int best_rung = 0;
  TuneCandidate best_candidate;
  bool stopped = false;      // a stop request ended the search early
  bool time_capped = false;  // the time limit ended it early
  int jobs_run = 0;
  double seconds = 0.0;
};

// Whether the search's best trial replaces the recipe (trial 0), from their
// per-split held-out NLLs at the deepest rung (the same splits, so paired):
// only when the mean of the differences recipe - best exceeds one standard
// error of those differences (the one-standard-error rule of
// cross-validation). Ranking 50 configurations on small folds overfits the
// folds (wine, 28 rows a fold: the tuned model was 0.16 nats worse on new
// rows; docs/TRAINING.md, "Model search"); a gain within the noise of the
// folds keeps the recipe. With one split there is no noise estimate, and
// any gain counts.
bool beats_recipe_clearly(const std::vector<double>& recipe_splits, const std::vector<double>& best_splits);

// Searches over tune.trials candidates around (spec, options) on `data`
// (spec's input and target dims must fit it). Same seed (options.seed),
// thread count and data: the same search and result, however the trainings
// were scheduled. Throws UsageError for options out of range or too few rows.
TuneResult tune(const ModelSpec& spec, const Dataset& data, const TrainOptions& options, const TuneOptions& tune,
                const TuneHooks& hooks = {});

// Dimension j's value v as text: a categorical dimension's choice name
// ("yeo-johnson"), else the number as %g would print it.
std::string tune_value_text(const TuneResult& result, std::size_t j, double v);

// The search as JSON (every trial, the rungs, the best): what a search log
// file holds (docs/TRAINING.md, "Model search").
std::string tune_log_json(const TuneResult& result);
// The chosen configuration and the search in brief, for Model::tuning.
std::string tune_summary_json(const TuneResult& result);

}  // namespace mdn
