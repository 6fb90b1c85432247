// The metrics JSON of `mdn eval`. Layout (see docs/EVAL.md):
//   { "format": "mdn-eval", "version": 1, "model": ..., "data": ..., "rows": ...,
//     "nll": ..., "energy_score": ..., "joint_calibration": ..., "targets": [ {per-target metrics} ],
//     "options": {...}, "history": {...} }
#include <charconv>
#include <cmath>

#include <nlohmann/json.hpp>

#include "mdn/atomic_file.hpp"
#include "mdn/eval_report.hpp"

namespace mdn {
namespace {

// ordered_json: the keys come out in the order the layout above lists them.
using Json = nlohmann::ordered_json;

// A metric: null when it is undefined for the data (NaN or an infinity, e.g.
// R^2 of a constant target; JSON has no such numbers), else rounded to 10
// significant digits, more than any metric here is accurate to and short
// enough for a person to read.
Json metric(double v) {
  if (!std::isfinite(v)) return nullptr;
  char text[32];
  const char* end = std::to_chars(text, text + sizeof text, v, std::chars_format::general, 10).ptr;
  double rounded = v;
  std::from_chars(text, end, rounded);
  return rounded;
}

Json metric_list(const std::vector<double>& values) {
  Json a = Json::array();
  for (const double v : values) a.push_back(metric(v));
  return a;
}

Json target_json(const std::string& name, const TargetMetrics& m) {
  Json intervals = Json::array();
  for (const IntervalCoverage& c : m.intervals)
    intervals.push_back(
        {{"level", metric(c.level)}, {"coverage", metric(c.coverage)}, {"mean_width", metric(c.mean_width)}});
  Json t;
  t["name"] = name;
  t["rmse"] = metric(m.rmse);
  t["mae"] = metric(m.mae);
  t["r2"] = metric(m.r2);
  t["median_mae"] = metric(m.median_mae);
  t["crps"] = metric(m.crps);
  t["mean_predictive_std"] = metric(m.mean_std);
  t["calibration"] = {{"mean_abs_error", metric(m.calibration_error_mean)},
                      {"max_abs_error", metric(m.calibration_error_max)},
                      {"levels", metric_list(m.calibration_levels)},
                      {"observed", metric_list(m.calibration_observed)}};
  t["intervals"] = std::move(intervals);
  t["pit_histogram_density"] = metric_list(m.pit_density);
  return t;
}

// The joint calibration of several targets (docs/EVAL.md); null for T = 1.
Json joint_json(const JointCalibration& j) {
  if (j.samples == 0) return nullptr;
  Json regions = Json::array();
  for (std::size_t i = 0; i < j.levels.size(); ++i)
    regions.push_back({{"level", metric(j.levels[i])},
                       {"coverage", metric(j.coverage[i])},
                       {"standard_error", metric(j.standard_error[i])},
                       {"mc_standard_error", metric(j.mc_standard_error[i])}});
  return {{"method", "hdr_pit"},
          {"samples", j.samples},
          {"regions", std::move(regions)},
          {"calibration",
           {{"mean_abs_error", metric(j.calibration_error_mean)},
            {"max_abs_error", metric(j.calibration_error_max)},
            {"levels", metric_list(j.calibration_levels)},
            {"observed", metric_list(j.calibration_observed)}}},
          {"pit_histogram_density", metric_list(j.pit_density)}};
}

Json history_json(const Model& model) {
  // The trainer records standardised NLLs; a user compares against the
  // original-unit NLL above, so shift by the log-Jacobian.
  const double jac = model.stats.log_jacobian();
  auto shifted = [jac](const std::vector<float>& v) {
    std::vector<double> out;
    for (float x : v) out.push_back(double(x) + jac);
    return metric_list(out);
  };
  return {{"units", "NLL per row, original target units"},
          {"train_nll", shifted(model.history.train_nll)},
          {"val_nll", shifted(model.history.val_nll)},
          {"best_epoch", model.history.best_epoch}};
}

}  // namespace

std::string eval_json(const EvalContext& context, const EvalMetrics& metrics, const EvalOptions& options) {
  const Model& model = *context.model;
  Json j;
  j["format"] = "mdn-eval";
  j["version"] = 1;
  j["model"] = context.model_path;
  j["data"] = context.data_path;
  j["device"] = context.device;
  j["rows"] = metrics.rows;
  j["dropped_rows"] = static_cast<long long>(context.dropped_rows);
  j["input_dim"] = model.spec.input_dim;
  j["target_dim"] = model.spec.target_dim;
  j["components"] = model.spec.components;
  j["nll"] = metric(metrics.nll);
  j["nll_standardised"] = metric(metrics.nll - model.stats.log_jacobian());
  j["log_jacobian"] = metric(model.stats.log_jacobian());
  j["nll_infinite_rows"] = metrics.nll_infinite;
  j["energy_score"] = metric(metrics.energy_score);
  j["energy_score_samples"] = metrics.energy_samples;
  j["energy_score_standard_error"] = metric(metrics.energy_score_standard_error);
  j["joint_calibration"] = joint_json(metrics.joint);
  Json& targets = j["targets"] = Json::array();
  for (std::size_t d = 0; d < metrics.targets.size(); ++d)
    targets.push_back(target_json(d < model.target_names.size() ? model.target_names[d] : "t" + std::to_string(d),
                                  metrics.targets[d]));
  j["options"] = {{"calibration_levels", metric_list(options.calibration_levels)},
                  {"interval_levels", metric_list(options.interval_levels)},
                  {"pit_bins", options.pit_bins},
                  {"energy_samples", options.energy_samples},
                  {"seed", static_cast<long long>(options.seed)}};
  j["history"] = history_json(model);
  // Paths and column names are bytes from the command line and the CSV: a
  // byte that is not UTF-8 is written as U+FFFD rather than failing the run.
  return j.dump(2, ' ', /*ensure_ascii=*/false, Json::error_handler_t::replace) + "\n";
}

void write_eval_json(const std::string& path, const EvalContext& context, const EvalMetrics& metrics,
                     const EvalOptions& options) {
  const std::string text = eval_json(context, metrics, options);
  AtomicFile file(path);
  file.stream() << text;
  file.commit();
}

}  // namespace mdn
