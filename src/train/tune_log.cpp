// The model search as JSON (mdn/tuner.hpp): the search log file, and the
// brief summary a tuned model keeps (docs/MODEL_FORMAT.md, "mdn.tuning").
#include <cmath>
#include <cstdint>
#include <cstdio>

#include "io/strict_json.hpp"
#include "mdn/tuner.hpp"

namespace mdn {
namespace {

using io::Json;

// JSON has no NaN or Inf: a score that is not a number is null.
Json number(double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); }

// A configuration's value: integers as integers, the rest as the float
// every field holds (shortest decimal).
Json value(double v) {
  if (!std::isfinite(v)) return Json(nullptr);
  if (v == std::floor(v) && std::fabs(v) < 1e9) return Json(std::int64_t(v));
  return io::json_float(float(v));
}

Json numbers(const std::vector<double>& values) {
  Json out = Json::array();
  for (double v : values) out.push_back(number(v));
  return out;
}

// The name of a categorical dimension's value, or null.
const std::string* choice(const TuneResult& result, std::size_t j, double v) {
  if (j >= result.choices.size() || !(v >= 0.0) || v != std::floor(v)) return nullptr;
  const auto& names = result.choices[j];
  return std::size_t(v) < names.size() ? &names[std::size_t(v)] : nullptr;
}

Json config(const TuneResult& result, const TuneTrial& trial) {
  Json c = Json::object();
  for (std::size_t j = 0; j < result.dimensions.size() && j < trial.values.size(); ++j) {
    const std::string* name = choice(result, j, trial.values[j]);
    c[result.dimensions[j]] = name != nullptr ? Json(*name) : value(trial.values[j]);
  }
  return c;
}

Json rungs(const TuneResult& result) {
  Json out = Json::array();
  for (const TuneRung& r : result.rungs) {
    Json j = Json::object();
    j["budget"] = r.budget;
    j["splits"] = r.splits;
    j["trials"] = r.trials;
    out.push_back(j);
  }
  return out;
}

// What ended the search.
const char* ending(const TuneResult& result) {
  if (result.stopped) return "interrupted";
  if (result.time_capped) return "time limit";
  return "complete";
}

}  // namespace

std::string tune_log_json(const TuneResult& result) {
  Json trials = Json::array();
  for (const TuneTrial& t : result.trials) {
    Json j = Json::object();
    j["trial"] = t.id;
    j["config"] = config(result, t);
    Json ran = Json::array();
    for (std::size_t r = 0; r < t.scores.size(); ++r) {
      Json rung = Json::object();
      rung["rung"] = int(r);
      rung["budget"] = result.rungs[r].budget;
      rung["split_scores"] = numbers(t.split_scores[r]);
      rung["mean_score"] = number(t.scores[r]);
      ran.push_back(rung);
    }
    j["rungs"] = ran;
    j["mean_score"] = t.scores.empty() ? Json(nullptr) : number(t.scores.back());
    j["eliminated_after_rung"] = t.eliminated_after < 0 ? Json(nullptr) : Json(t.eliminated_after);
    j["seconds"] = t.seconds;
    if (!t.error.empty()) j["error"] = t.error;
    trials.push_back(j);
  }
  Json out = Json::object();
  out["score"] = result.score;
  out["validation"] = result.validation;
  out["splits"] = result.splits;
  out["rungs"] = rungs(result);
  out["ended"] = ending(result);
  out["seconds"] = result.seconds;
  out["trainings"] = result.jobs_run;
  out["best"] = Json::object();
  out["best"]["trial"] = result.best;
  out["best"]["rung"] = result.best_rung;
  out["best"]["mean_score"] = number(result.best_score);
  if (!result.trials.empty()) out["best"]["config"] = config(result, result.trials[std::size_t(result.best)]);
  // The lowest-scoring trial when the recipe was kept over it (beats_recipe_clearly).
  if (result.lowest != result.best) out["best"]["recipe_kept_over_trial"] = result.lowest;
  out["trials"] = trials;
  return io::dump_json(out);
}

std::string tune_value_text(const TuneResult& result, std::size_t j, double v) {
  if (const std::string* name = choice(result, j, v)) return *name;
  char text[32];
  std::snprintf(text, sizeof text, "%g", v);
  return text;
}

std::string tune_summary_json(const TuneResult& result) {
  Json out = Json::object();
  out["trials"] = int(result.trials.size());
  out["validation"] = result.validation;
  out["best_trial"] = result.best;
  out["cv_nll"] = number(result.best_score);
  out["ended"] = ending(result);
  if (!result.trials.empty()) out["config"] = config(result, result.trials[std::size_t(result.best)]);
  return io::dump_json(out);
}

}  // namespace mdn
