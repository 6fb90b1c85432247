#include "train_tune.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>

#include "mdn/atomic_file.hpp"
#include "mdn/error.hpp"
#include "mdn/trainer.hpp"
#include "mdn/tuner.hpp"
#include "options.hpp"
#include "progress.hpp"

namespace mdn::cli {
namespace {

// The search's progress on stderr: one updating line on a terminal (bar),
// else a line at most every few seconds and at the end of each rung.
class SearchProgress {
 public:
  explicit SearchProgress(ProgressStyle style) {
    if (style == ProgressStyle::Auto) style = ::isatty(STDERR_FILENO) ? ProgressStyle::Bar : ProgressStyle::Lines;
    style_ = style;
  }
  void show(const TuneProgress& p) {
    if (style_ == ProgressStyle::None) return;
    const bool rung_end = p.rung != last_rung_;
    if (style_ == ProgressStyle::Lines && !rung_end && p.seconds_elapsed - last_line_ < kLineSeconds &&
        p.jobs_done < p.jobs_total)
      return;
    last_rung_ = p.rung;
    last_line_ = p.seconds_elapsed;
    char best[48] = "best NLL -";
    if (std::isfinite(p.best_score)) std::snprintf(best, sizeof best, "best NLL %.4f", p.best_score);
    std::fprintf(stderr, "%smodel search: %d/%d trials done, rung %d/%d, %d/%d trainings, %s, elapsed %s, left ~%s%s",
                 style_ == ProgressStyle::Bar ? "\r" : "", p.trials_done, p.trials, p.rung, p.rungs, p.jobs_done,
                 p.jobs_total, best, format_duration(p.seconds_elapsed).c_str(),
                 std::isfinite(p.seconds_left) ? format_duration(p.seconds_left).c_str() : "?",
                 style_ == ProgressStyle::Bar ? "   " : "\n");
    open_ = style_ == ProgressStyle::Bar;
  }
  void finish() {
    if (open_) std::fputc('\n', stderr);
    open_ = false;
  }

 private:
  static constexpr double kLineSeconds = 5.0;
  ProgressStyle style_ = ProgressStyle::None;
  int last_rung_ = 0;
  double last_line_ = -1e9;
  bool open_ = false;
};

void write_log(const std::string& path, const TuneResult& result) {
  AtomicFile file(path);
  file.stream() << tune_log_json(result) << '\n';
  file.commit();
}

// The best configuration in words, for stderr.
std::string describe(const TuneResult& r) {
  std::string out;
  const TuneTrial& t = r.trials[std::size_t(r.best)];
  for (std::size_t j = 0; j < r.dimensions.size(); ++j)
    out += (out.empty() ? "" : ", ") + r.dimensions[j] + " " + tune_value_text(r, j, t.values[j]);
  return out;
}

}  // namespace

void add_tune_options(CLI::App& app, TrainRequest& request) {
  app.add_option("--tune", request.tune,
                 "model search first: N configurations (the default recipe is the first) scored by held-out NLL "
                 "with 5-fold cross-validation (3 random 20% hold-outs above 20,000 rows) and successive halving; "
                 "the final model (or --ensemble) trains on all rows with the best (docs/TRAINING.md)")
      ->type_name("N")
      ->check(at_least(1));
  app.add_option("--tune-time", request.tune_time,
                 "cap the model search's wall time: no new training starts after SECONDS (at least one runs)")
      ->type_name("SECONDS")
      ->check(positive_number());
  app.add_option("--tune-folds", request.tune_folds,
                 "how the search splits the rows: random folds (default), or ordered: blocks of consecutive rows "
                 "(rows in time order: each fold holds out a stretch of time, as a later test period would)")
      ->type_name("random|ordered");
  app.add_option("--tune-log", request.tune_log,
                 "write the model search as JSON: every trial's configuration, budgets, split scores, mean score, "
                 "the rung it was eliminated after, seconds; the best configuration")
      ->type_name("FILE.json");
}

void check_tune_request(const TrainRequest& r) {
  if (r.tune == 0) {
    if (r.tune_time > 0.0) throw UsageError("--tune-time needs --tune N (the model search it caps)");
    if (!r.tune_log.empty()) throw UsageError("--tune-log needs --tune N (the model search it logs)");
    if (r.tune_folds != "random")
      throw UsageError("--tune-folds needs --tune N (the model search whose folds it sets)");
    return;
  }
  if (!r.resume_path.empty())
    throw UsageError("--tune cannot be used with --resume: a checkpoint continues a run whose configuration is fixed");
  if (!r.init_path.empty())
    throw UsageError("--tune cannot be used with --init: the search chooses the architecture, and --init fixes it");
  if (r.tune_folds != "random" && r.tune_folds != "ordered")
    throw UsageError("--tune-folds must be 'random' or 'ordered', got '" + r.tune_folds + "'");
  if (!r.tune_log.empty()) check_writable(r.tune_log);
}

std::string search_before_training(Communicator& ranks, const TrainRequest& request, const Dataset& data,
                                   ModelSpec& spec, TrainOptions& options, const std::atomic<bool>* stop_requested) {
  TuneOptions settings;
  settings.trials = request.tune;
  settings.time_limit = request.tune_time;
  settings.ordered_folds = request.tune_folds == "ordered";
  settings.device = request.device;
  settings.cuda.tf32 = request.tf32;
  SearchProgress progress(request.quiet ? ProgressStyle::None : request.progress);
  TuneHooks hooks;
  hooks.on_progress = [&](const TuneProgress& p) { progress.show(p); };
  hooks.stop_requested = stop_requested;
  hooks.ranks = &ranks;
  const TuneResult result = mdn::tune(spec, data, options, settings, hooks);
  progress.finish();
  if (!request.tune_log.empty() && ranks.root()) write_log(request.tune_log, result);
  const std::string where = request.tune_log.empty() ? "" : "; the search log is in " + request.tune_log;
  if (result.stopped)
    throw Interrupted("interrupted during the model search after " + std::to_string(result.jobs_run) +
                      " trainings; the best configuration so far (trial " + std::to_string(result.best) +
                      "): " + describe(result) + where);
  if (result.time_capped && result.jobs_run <= 1 && ranks.root())
    std::fprintf(stderr,
                 "mdn train: warning: --tune-time %g s is below the cost of one trial (%.1f s): ran one trial, the "
                 "default recipe\n",
                 request.tune_time, result.seconds);
  else if (result.time_capped && !request.quiet)
    std::fprintf(stderr, "mdn train: --tune-time reached after %d trainings; taking the best so far\n",
                 result.jobs_run);
  if (!request.quiet && result.lowest != result.best)
    std::fprintf(stderr,
                 "model search: trial %d scored lower than the recipe, but not by more than one standard error of "
                 "their fold differences; the recipe is kept\n",
                 result.lowest);
  if (!request.quiet)
    std::fprintf(stderr, "model search (%s, %s): best trial %d, held-out NLL %.4f: %s%s\n", result.validation.c_str(),
                 format_duration(result.seconds).c_str(), result.best, result.best_score, describe(result).c_str(),
                 where.c_str());
  spec = result.best_candidate.spec;
  options = result.best_candidate.options;
  return tune_summary_json(result);
}

}  // namespace mdn::cli
