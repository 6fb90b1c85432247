// mdn eval --model M --data FILE.csv [--json OUT.json] [--report DIR]
// Scores a model's predicted distributions on labelled data: a table on
// stdout, every number in the JSON, pictures in the report directory. Bad
// scores are results, not errors: the exit status is non-zero only when
// something could not be read, computed or written.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "device_choice.hpp"
#include "mdn/atomic_file.hpp"
#include "mdn/csv.hpp"
#include "mdn/error.hpp"
#include "mdn/eval_report.hpp"
#include "mdn/metrics.hpp"
#include "mdn/inference.hpp"
#include "mdn/mixture.hpp"
#include "mdn/model_io.hpp"
#include "options.hpp"

namespace mdn::cli {
namespace {

std::string format(const char* f, double v) {
  if (!std::isfinite(v)) return "n/a";
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// One line of the table: a label, then one column per target.
void row(const std::string& label, const std::vector<std::string>& cells, std::size_t width) {
  std::printf("%-34s", label.c_str());
  for (const auto& c : cells) std::printf("  %*s", int(width), c.c_str());
  std::printf("\n");
}

void print_table(const EvalContext& ctx, const EvalMetrics& m, const EvalOptions& options) {
  const Model& model = *ctx.model;
  std::printf("mdn eval: %d rows of %s", m.rows, ctx.data_path.c_str());
  if (ctx.dropped_rows > 0) std::printf(" (%zu rows with invalid cells dropped)", ctx.dropped_rows);
  std::printf("\n  model %s: D = %d, T = %d, K = %d; run on %s\n\n", ctx.model_path.c_str(), model.spec.input_dim,
              model.spec.target_dim, model.spec.components, ctx.device.c_str());
  std::printf("%-34s  %s\n", "NLL per row (nats, original units)", format("%.5f", m.nll).c_str());
  if (m.nll_infinite > 0) std::printf("  (%lld rows have zero predicted density)\n", m.nll_infinite);
  if (m.energy_samples > 0)
    std::printf("%-34s  %s  (%d draws per row)\n", "energy score (joint)", format("%.5g", m.energy_score).c_str(),
                m.energy_samples);
  std::printf("\n");

  std::size_t width = 16;  // fits "0.901 / 1.234"
  for (const auto& n : model.target_names) width = std::max(width, n.size());
  row("", model.target_names, width);
  auto per_target = [&](const std::string& label, auto get, const char* f) {
    std::vector<std::string> cells;
    for (const TargetMetrics& t : m.targets) cells.push_back(format(f, get(t)));
    row(label, cells, width);
  };
  per_target("RMSE of the mean", [](const TargetMetrics& t) { return t.rmse; }, "%.5g");
  per_target("MAE of the mean", [](const TargetMetrics& t) { return t.mae; }, "%.5g");
  per_target("R^2 of the mean", [](const TargetMetrics& t) { return t.r2; }, "%.5f");
  per_target("MAE of the median", [](const TargetMetrics& t) { return t.median_mae; }, "%.5g");
  per_target("CRPS", [](const TargetMetrics& t) { return t.crps; }, "%.5g");
  per_target("mean predictive std", [](const TargetMetrics& t) { return t.mean_std; }, "%.5g");
  per_target("calibration error, mean |gap|", [](const TargetMetrics& t) { return t.calibration_error_mean; }, "%.4f");
  per_target("calibration error, max |gap|", [](const TargetMetrics& t) { return t.calibration_error_max; }, "%.4f");
  for (std::size_t i = 0; i < options.interval_levels.size(); ++i) {
    std::vector<std::string> cells;
    for (const TargetMetrics& t : m.targets)
      cells.push_back(format("%.3f", t.intervals[i].coverage) + " / " + format("%.4g", t.intervals[i].mean_width));
    row(format("%.0f", 100.0 * options.interval_levels[i]) + "% interval: coverage / width", cells, width);
  }
}

}  // namespace

int evaluate_model(const Model& model, const EvalRequest& request) {
  const std::string& data_path = request.data_path;
  const std::string& json_path = request.json_path;
  const std::string& report_dir = request.report_dir;
  const EvalOptions& options = request.options;
  const Dataset data = load_dataset(data_path, model.target_names, model.feature_names,
                                    request.drop_invalid ? InvalidCells::DropRow : InvalidCells::Fail);
  if (data.dropped_rows > 0)
    std::fprintf(stderr, "%s: dropped %zu rows with missing or invalid cells\n", data_path.c_str(), data.dropped_rows);
  auto backend = open_backend(request.device, model, false);
  const MixtureBatch mix = predict_mixtures(*backend, model, data.x);
  // Mean, std and the quantiles behind the intervals on the backend's device.
  const Evaluation evaluation =
      evaluate(mix, data.t, options, backend->statistics(mix, evaluation_quantile_levels(options)));

  EvalContext ctx;
  ctx.model = &model;
  ctx.model_path = request.model_path;
  ctx.data_path = data_path;
  ctx.dropped_rows = data.dropped_rows;
  ctx.device = backend->name();

  // The JSON's temporary file is opened before the report is drawn, so a
  // path that cannot be written fails before any work lands on disk, and the
  // JSON appears (by rename) only once everything else has succeeded.
  std::unique_ptr<AtomicFile> json;
  if (!json_path.empty()) json = std::make_unique<AtomicFile>(json_path);

  print_table(ctx, evaluation.metrics, options);

  int status = 0;
  if (!report_dir.empty()) {
    ReportInput in;
    in.context = ctx;
    in.data = &data;
    in.mix = &mix;
    in.evaluation = &evaluation;
    in.options = options;
    in.backend = backend.get();
    in.seed = options.seed;
    const ReportOutcome outcome = write_report(report_dir, in);
    if (outcome.status == PlotStatus::Rendered) {
      std::fprintf(stderr, "report: %s/index.html (%zu pictures)\n", report_dir.c_str(), outcome.pictures.size());
    } else {
      std::fprintf(stderr, "mdn eval: warning: %s\nreport (data, metrics.json, index.html, no pictures): %s/index.html\n",
                   outcome.problem.c_str(), report_dir.c_str());
      // Missing gnuplot is a property of the machine (the data are all
      // there); a gnuplot that ran and failed is an error.
      if (outcome.status == PlotStatus::GnuplotFailed) status = 1;
    }
  }
  if (json) {
    json->stream() << eval_json(ctx, evaluation.metrics, options);
    json->commit();
  }
  return status;
}

namespace {

class EvalCommand : public Command {
 public:
  CLI::App* declare(CLI::App& mdn) override {
    CLI::App* app = mdn.add_subcommand(
        "eval",
        "score a model on labelled data: metrics, calibration, report\n\n"
        "Scores the model's predicted distributions against the data's targets, in original units:\n"
        "NLL, CRPS (closed form), RMSE / MAE / R^2 of the mean, MAE of the median, PIT calibration\n"
        "error, central-interval coverage and width (50/80/90/95 %), and for several targets the\n"
        "energy score. A table goes to stdout; --json writes every number; --report writes pictures\n"
        "(gnuplot, PNG) and an index.html. Poor scores do not change the exit status; errors do.");
    app->add_option("--model", r_.model_path, "model file (.safetensors) written by mdn train")->type_name("M")
        ->required();
    app->add_option("--data", r_.data_path, "labelled data with the model's feature and target columns")
        ->type_name("FILE.csv")->required();
    app->add_option("--json", r_.json_path, "write every metric as JSON (atomically)")->type_name("OUT.json");
    app->add_option("--report", r_.report_dir, "write a report directory: pictures, data files, metrics.json, index.html")
        ->type_name("DIR");
    add_device_option(*app, r_.device, "where to run the network");
    app->add_flag("--drop-invalid", r_.drop_invalid,
                  "drop rows with a missing/invalid cell instead of failing (count reported)");
    app->add_option("--energy-samples", r_.options.energy_samples,
                    "draws per row for the energy score (several targets only)")
        ->type_name("S")->check(between(2, 100000))->capture_default_str();
    add_seed_option(*app, r_.options.seed, "seed of the draws (energy score, sampled histogram)");
    return app;
  }

  void prepare() override {
    if (!r_.json_path.empty()) check_writable(r_.json_path);
    if (!r_.report_dir.empty()) check_writable_directory(r_.report_dir);
  }

  int run() override { return evaluate_model(load_model(r_.model_path), r_); }

 private:
  EvalRequest r_;
};

}  // namespace

std::unique_ptr<Command> make_eval_command() { return std::make_unique<EvalCommand>(); }

}  // namespace mdn::cli
