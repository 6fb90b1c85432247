// The metrics JSON of `mdn eval`. Layout (see docs/EVAL.md):
//   { "format": "mdn-eval", "version": 1, "model": ..., "data": ..., "rows": ...,
//     "nll": ..., "energy_score": ..., "targets": [ {per-target metrics} ],
//     "options": {...}, "history": {...} }
#include <cmath>

#include "json_writer.hpp"
#include "mdn/atomic_file.hpp"
#include "mdn/eval_report.hpp"

namespace mdn {
namespace {

void write_target(report::JsonWriter& w, const std::string& name, const TargetMetrics& m) {
  w.begin_object();
  w.field("name", name);
  w.field("rmse", m.rmse);
  w.field("mae", m.mae);
  w.field("r2", m.r2);
  w.field("median_mae", m.median_mae);
  w.field("crps", m.crps);
  w.field("mean_predictive_std", m.mean_std);
  w.key("calibration");
  w.begin_object();
  w.field("mean_abs_error", m.calibration_error_mean);
  w.field("max_abs_error", m.calibration_error_max);
  w.field("levels", m.calibration_levels);
  w.field("observed", m.calibration_observed);
  w.end_object();
  w.key("intervals");
  w.begin_array();
  for (const IntervalCoverage& c : m.intervals) {
    w.begin_object();
    w.field("level", c.level);
    w.field("coverage", c.coverage);
    w.field("mean_width", c.mean_width);
    w.end_object();
  }
  w.end_array();
  w.field("pit_histogram_density", m.pit_density);
  w.end_object();
}

void write_history(report::JsonWriter& w, const Model& model) {
  // The trainer records standardised NLLs; a user compares against the
  // original-unit NLL above, so shift by the log-Jacobian.
  const double jac = model.stats.log_jacobian();
  auto shifted = [jac](const std::vector<float>& v) {
    std::vector<double> out;
    for (float x : v) out.push_back(double(x) + jac);
    return out;
  };
  w.key("history");
  w.begin_object();
  w.field("units", "NLL per row, original target units");
  w.field("train_nll", shifted(model.history.train_nll));
  w.field("val_nll", shifted(model.history.val_nll));
  w.field("best_epoch", model.history.best_epoch);
  w.end_object();
}

}  // namespace

std::string eval_json(const EvalContext& context, const EvalMetrics& metrics, const EvalOptions& options) {
  std::string out;
  report::JsonWriter w(out);
  const Model& model = *context.model;
  w.begin_object();
  w.field("format", "mdn-eval");
  w.field("version", 1);
  w.field("model", context.model_path);
  w.field("data", context.data_path);
  w.field("device", context.device);
  w.field("rows", metrics.rows);
  w.field("dropped_rows", static_cast<long long>(context.dropped_rows));
  w.field("input_dim", model.spec.input_dim);
  w.field("target_dim", model.spec.target_dim);
  w.field("components", model.spec.components);
  w.field("nll", metrics.nll);
  w.field("nll_standardised", metrics.nll - model.stats.log_jacobian());
  w.field("log_jacobian", model.stats.log_jacobian());
  w.field("nll_infinite_rows", metrics.nll_infinite);
  w.field("energy_score", metrics.energy_score);
  w.field("energy_score_samples", metrics.energy_samples);
  w.key("targets");
  w.begin_array();
  for (std::size_t d = 0; d < metrics.targets.size(); ++d)
    write_target(w, d < model.target_names.size() ? model.target_names[d] : "t" + std::to_string(d),
                 metrics.targets[d]);
  w.end_array();
  w.key("options");
  w.begin_object();
  w.field("calibration_levels", options.calibration_levels);
  w.field("interval_levels", options.interval_levels);
  w.field("pit_bins", options.pit_bins);
  w.field("energy_samples", options.energy_samples);
  w.field("seed", static_cast<long long>(options.seed));
  w.end_object();
  write_history(w, model);
  w.end_object();
  out += "\n";
  return out;
}

void write_eval_json(const std::string& path, const EvalContext& context, const EvalMetrics& metrics,
                     const EvalOptions& options) {
  const std::string text = eval_json(context, metrics, options);
  AtomicFile file(path);
  file.stream() << text;
  file.commit();
}

}  // namespace mdn
