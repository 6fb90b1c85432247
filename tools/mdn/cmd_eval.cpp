// mdn eval --model M --data FILE.csv [--json OUT.json] [--report DIR]
// Scores a model's predicted distributions on labelled data: a table on
// stdout, every number in the JSON, pictures in the report directory. Bad
// scores are results, not errors: the exit status is non-zero only when
// something could not be read, computed or written.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "commands.hpp"
#include "device_choice.hpp"
#include "eval_conformal.hpp"
#include "eval_grid.hpp"
#include "input_parts.hpp"
#include "report_sample.hpp"
#include "range_warning.hpp"
#include "mdn/atomic_file.hpp"
#include "mdn/calibration.hpp"
#include "mdn/communicator.hpp"
#include "mdn/csv.hpp"
#include "mdn/error.hpp"
#include "mdn/feature_encoding.hpp"
#include "mdn/eval_report.hpp"
#include "mdn/grid.hpp"
#include "mdn/metrics.hpp"
#include "mdn/inference.hpp"
#include "mdn/mixture.hpp"
#include "mdn/model_io.hpp"
#include "mdn/sharded_data.hpp"
#include "options.hpp"
#include "progress.hpp"
#include "weight_column.hpp"

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

// The joint calibration of several targets: coverage of the predicted
// highest-density regions (docs/EVAL.md), with the standard error a
// calibrated model's coverage would have on these rows.
void print_joint_calibration(const JointCalibration& j) {
  if (j.samples == 0) return;
  std::printf("%-34s  mean |gap| %s, max |gap| %s  (%d draws per row)\n", "joint calibration (HDR PIT)",
              format("%.4f", j.calibration_error_mean).c_str(), format("%.4f", j.calibration_error_max).c_str(),
              j.samples);
  for (std::size_t i = 0; i < j.levels.size(); ++i)
    std::printf("  %-32s  %s  (+- %s; draws alone +- %s)\n",
                (format("%.0f", 100.0 * j.levels[i]) + "% joint HDR: coverage").c_str(),
                format("%.3f", j.coverage[i]).c_str(), format("%.3f", j.standard_error[i]).c_str(),
                format("%.3f", j.mc_standard_error[i]).c_str());
}

void print_table(const EvalContext& ctx, const EvalMetrics& m, const EvalOptions& options) {
  const Model& model = *ctx.model;
  std::printf("mdn eval: %d rows of %s", m.rows, ctx.data_path.c_str());
  if (ctx.dropped_rows > 0) std::printf(" (%zu rows with invalid cells dropped)", ctx.dropped_rows);
  std::printf("\n  model %s: D = %d, T = %d, K = %d%s; run on %s\n\n", ctx.model_path.c_str(), model.spec.input_dim,
              model.spec.target_dim, model.spec.components,
              model.members > 1 ? (" per member, an ensemble of " + std::to_string(model.members)).c_str() : "",
              ctx.device.c_str());
  std::printf("%-34s  %s\n", "NLL per row (nats, original units)", format("%.5f", m.nll).c_str());
  if (m.nll_infinite > 0) std::printf("  (%lld rows have zero predicted density)\n", m.nll_infinite);
  if (m.energy_samples > 0)
    std::printf("%-34s  %s +- %s  (standard error; %d draws per row)\n", "energy score (joint)",
                format("%.5g", m.energy_score).c_str(), format("%.2g", m.energy_score_standard_error).c_str(),
                m.energy_samples);
  print_joint_calibration(m.joint);
  std::printf("\n");

  std::size_t width = 16;  // fits "0.901 / 1.234"
  for (const auto& n : model.target_names) width = std::max(width, n.size());
  row("", model.target_names, width);
  auto per_target = [&](const std::string& label, auto get, const char* f) {
    std::vector<std::string> cells;
    for (const TargetMetrics& t : m.targets) cells.push_back(format(f, get(t)));
    row(label, cells, width);
  };
  per_target(
      "RMSE of the mean", [](const TargetMetrics& t) { return t.rmse; }, "%.5g");
  per_target(
      "MAE of the mean", [](const TargetMetrics& t) { return t.mae; }, "%.5g");
  per_target(
      "R^2 of the mean", [](const TargetMetrics& t) { return t.r2; }, "%.5f");
  per_target(
      "MAE of the median", [](const TargetMetrics& t) { return t.median_mae; }, "%.5g");
  per_target(
      "CRPS", [](const TargetMetrics& t) { return t.crps; }, "%.5g");
  per_target(
      "mean predictive std", [](const TargetMetrics& t) { return t.mean_std; }, "%.5g");
  per_target(
      "calibration error, mean |gap|", [](const TargetMetrics& t) { return t.calibration_error_mean; }, "%.4f");
  per_target(
      "calibration error, max |gap|", [](const TargetMetrics& t) { return t.calibration_error_max; }, "%.4f");
  for (std::size_t i = 0; i < options.interval_levels.size(); ++i) {
    std::vector<std::string> cells;
    for (const TargetMetrics& t : m.targets)
      cells.push_back(format("%.3f", t.intervals[i].coverage) + " / " + format("%.4g", t.intervals[i].mean_width));
    row(format("%.0f", 100.0 * options.interval_levels[i]) + "% interval: coverage / width", cells, width);
  }
}

std::string pit_line(const std::vector<double>& density) {
  std::string out;
  for (double v : density) out += (out.empty() ? "" : " ") + format("%.2f", v);
  return out;
}

// A recalibrated model (Model::recalibration, or the older sigma scales of
// Model::calibration) is also scored without it, so the effect of the
// recalibration is visible on these rows.
void print_calibration_effect(const Model& model, const EvalMetrics& before, const EvalMetrics& after,
                              const EvalOptions& options) {
  if (model.recalibration.applied())
    std::printf("\nrecalibration (PIT map, fitted on %s): before -> after\n", model.recalibration.source.c_str());
  else
    std::printf("\nrecalibration (sigma scale per target, fitted on %lld validation rows): before -> after\n",
                model.calibration.rows);
  std::printf("  %-32s  %s -> %s\n", "NLL per row", format("%.5f", before.nll).c_str(),
              format("%.5f", after.nll).c_str());
  for (std::size_t d = 0; d < after.targets.size(); ++d) {
    const TargetMetrics& b = before.targets[d];
    const TargetMetrics& a = after.targets[d];
    if (model.recalibration.applied())
      std::printf("  %s: %d bins\n", model.target_names[d].c_str(), model.recalibration.maps[d].bins());
    else
      std::printf("  %s: sigma scale %.4f\n", model.target_names[d].c_str(),
                  std::exp(double(model.calibration.log_sigma_shift[d])));
    std::printf("    %-30s  %s -> %s\n", "calibration error, mean |gap|",
                format("%.4f", b.calibration_error_mean).c_str(), format("%.4f", a.calibration_error_mean).c_str());
    for (std::size_t i = 0; i < options.interval_levels.size(); ++i)
      std::printf("    %-30s  %s -> %s\n",
                  (format("%.0f", 100.0 * options.interval_levels[i]) + "% interval coverage").c_str(),
                  format("%.3f", b.intervals[i].coverage).c_str(), format("%.3f", a.intervals[i].coverage).c_str());
    std::printf("    PIT histogram before: %s\n", pit_line(b.pit_density).c_str());
    std::printf("    PIT histogram after:  %s\n", pit_line(a.pit_density).c_str());
  }
}

// Adds "key": value as the last member of the JSON object `text`.
void add_member(std::string& text, const std::string& key, std::string value) {
  text = text.substr(0, text.find_last_of('}'));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  while (!value.empty() && (value.back() == '\n' || value.back() == ' ')) value.pop_back();
  text += ",\n  \"" + key + "\": " + value + "\n}\n";
}

// What eval keeps while the rows stream past: the running sums of every
// score (the model as it is and, for a recalibrated model, without its
// recalibration), the conformal and grid-cell tallies, and the bounded
// sample of rows the report draws.
class EvalSums {
 public:
  EvalSums(const Model& model, const EvalRequest& request, Backend& backend)
      : model_(model),
        options_(request.options),
        backend_(backend),
        all_(request.options),
        before_(request.options),
        conformal_(model, request.options),
        grid_(model) {
    if (model.calibration.applied() || model.recalibration.applied()) {
      raw_ = std::make_unique<Model>(without_calibration(model));
      // A PIT map changes the distribution, not the network; sigma scales change the network's output.
      if (model.calibration.applied()) raw_backend_ = make_backend(request.device, *raw_);
    }
  }

  // Rows [first_row, ...) of the file with their head outputs z.
  void add(const Dataset& data, const Matrix& z, long long first_row, bool keep_sample) {
    const MixtureBatch mix = mixtures_from_head(model_, z);
    // Mean, std and the quantiles behind the intervals on the backend's device.
    const RowStatistics rows = all_.add(mix, data.t, backend_.statistics(mix, evaluation_quantile_levels(options_)),
                                        data.weights, first_row);
    if (raw_) {
      MixtureBatch raw_mix = mix;
      raw_mix.pit_maps.clear();
      if (raw_backend_) raw_mix = predict_mixtures(*raw_backend_, *raw_, data.x.exact());
      Backend& stats_backend = raw_backend_ ? *raw_backend_ : backend_;
      before_.add(raw_mix, data.t, stats_backend.statistics(raw_mix, evaluation_quantile_levels(options_)),
                  data.weights, first_row);
    }
    conformal_.add(mix, data.t, data.weights);
    grid_.add(mix, data.t, data.weights);
    if (keep_sample) sample_.add(data.x.exact(), data.t, data.weights, mix, rows, first_row);
  }

  const Model& model_;
  const EvalOptions options_;
  Backend& backend_;
  EvalAccumulator all_, before_;
  ConformalTally conformal_;
  GridCellTally grid_;
  ReportSample sample_;
  std::unique_ptr<Model> raw_;
  std::unique_ptr<Backend> raw_backend_;
};

// One part's rows as a Dataset: features, targets, and the --weight column
// (the last column read) taken out of the targets.
Dataset part_dataset(InputPart& part, const Model& model, const EvalRequest& request) {
  Dataset data;
  data.x = std::move(part.x);
  data.t = std::move(part.t);
  data.lines = std::move(part.lines);
  data.target_names = model.target_names;
  if (!request.weight_column.empty()) data.target_names.push_back(request.weight_column);
  take_weight_column(data, request.weight_column, request.data_path);
  return data;
}

// Rows scored at once; a multiple of kForwardBlock.
constexpr int kEvalChunkRows = 4 * kForwardBlock;
static_assert(kEvalChunkRows % kForwardBlock == 0, "chunks must start on forward-block edges");

MatrixD rows_of(const MatrixD& m, int begin, int count) {
  MatrixD out(count, m.cols);
  std::copy(m.row(begin), m.row(begin + count), out.data.begin());
  return out;
}

// Rows [begin, begin + count) of a part: features, targets, weights.
Dataset rows_of(const Dataset& data, int begin, int count) {
  Dataset out;
  out.x = rows_of(data.x.exact(), begin, count);
  out.t = rows_of(data.t, begin, count);
  if (!data.weights.empty())
    out.weights.assign(data.weights.begin() + begin, data.weights.begin() + begin + count);
  return out;
}

// The table, the before/after of a recalibration, the conformal intervals
// and the grid cells on stdout; the report; the JSON (opened before the
// report is drawn, so a path that cannot be written fails before any work
// lands on disk, and committed once everything else has succeeded).
int write_results(EvalSums& sums, const EvalContext& ctx, const EvalRequest& request, const InputParts& parts) {
  const Model& model = sums.model_;
  const EvalOptions& options = sums.options_;
  std::unique_ptr<AtomicFile> json;
  if (!request.json_path.empty()) json = std::make_unique<AtomicFile>(request.json_path);
  Evaluation evaluation;
  evaluation.metrics = sums.all_.metrics();
  print_table(ctx, evaluation.metrics, options);
  const double cell_nll = sums.grid_.finish(request.quiet);
  std::string before_json;
  if (sums.raw_) {
    const EvalMetrics before = sums.before_.metrics();
    print_calibration_effect(model, before, evaluation.metrics, options);
    EvalContext raw_ctx = ctx;
    raw_ctx.model = sums.raw_.get();
    before_json = eval_json(raw_ctx, before, options);
  }
  const std::vector<std::vector<IntervalCoverage>> conformal = sums.conformal_.result();
  print_conformal_coverage(model, evaluation.metrics, conformal);

  int status = 0;
  if (!request.report_dir.empty()) {
    evaluation.rows = sums.sample_.statistics();
    ReportInput in;
    in.context = ctx;
    const Dataset sample = sums.sample_.data();
    in.data = &sample;
    in.mix = &sums.sample_.mixtures();
    in.evaluation = &evaluation;
    in.options = options;
    in.backend = &sums.backend_;
    in.seed = options.seed;
    const ReportOutcome outcome = write_report(request.report_dir, in);
    // A gnuplot that ran and failed is an error, said even with --quiet.
    const bool failed = outcome.status == PlotStatus::GnuplotFailed;
    if (request.quiet && !failed) {
    } else if (outcome.status == PlotStatus::Rendered) {
      std::fprintf(stderr, "report: %s/index.html (%zu pictures)\n", request.report_dir.c_str(),
                   outcome.pictures.size());
    } else {
      std::fprintf(stderr,
                   "mdn eval: warning: %s\nreport (data, metrics.json, index.html, no pictures): %s/index.html\n",
                   outcome.problem.c_str(), request.report_dir.c_str());
      // Missing gnuplot is a property of the machine (the data are all
      // there); a gnuplot that ran and failed is an error.
      if (failed) status = 1;
    }
  }
  if (json) {
    std::string text = eval_json(ctx, evaluation.metrics, options);
    if (std::isfinite(cell_nll)) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.17g", cell_nll);
      add_member(text, "grid_cell_nll", buf);
    }
    // The same metrics of the model without its recalibration.
    if (!before_json.empty()) add_member(text, "before_calibration", before_json);
    if (!conformal.empty()) add_member(text, "conformal_intervals", conformal_coverage_json(model, conformal));
    if (!parts.outside().empty())
      add_member(text, "outside_training_range", outside_range_json(model, parts.outside()));
    if (model.encoding)
      add_member(text, "feature_encoding", encoding_counts_json(*model.encoding, parts.encoding_counts()));
    json->stream() << text;
    json->commit();
  }
  return status;
}

// A line on stderr after a part: rows scored, share of the file read, rate.
void show_progress(long long rows, double fraction, std::chrono::steady_clock::time_point start, bool& shown) {
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  char line[160];
  std::snprintf(line, sizeof line, "eval: %lld rows (%.0f%% of the input), %.0f rows/s", rows,
                100.0 * std::max(0.0, fraction), seconds > 0 ? double(rows) / seconds : 0.0);
  progress(line, false);
  shown = true;
}

// The warnings about the whole input, once every part is read.
void warn_about_input(const Model& model, const EvalRequest& request, const InputParts& parts, long long rows) {
  const std::string& path = request.data_path;
  if (model.encoding)
    for (const std::string& w : encoding_warnings(*model.encoding, parts.encoding_counts()))
      std::fprintf(stderr, "mdn eval: warning: %s: %s\n", path.c_str(), w.c_str());
  print_outside_training_range("mdn eval", model, parts.outside(), rows);
  if (parts.dropped() > 0)
    std::fprintf(stderr, "%s: dropped %lld rows with missing or invalid cells\n", path.c_str(), parts.dropped());
  if (!request.weight_column.empty())
    std::fprintf(stderr, "scores weighted by column '%s'\n", request.weight_column.c_str());
}

}  // namespace

int evaluate_model(const Model& model, const EvalRequest& request) {
  // One process reads the file a part at a time (InputParts) and adds each
  // part's scores to running sums, so memory does not grow with the file.
  // Several ranks (mpirun): each reads its part of the rows and runs the
  // network on it; rank 0 gathers the head outputs and the rows and scores
  // them as one part (the scores, the table, the JSON and the report are
  // rank 0's alone).
  Communicator& ranks = world();
  InputRequest input{request.data_path, request.csv, request.drop_invalid, true, {}, "mdn eval",
                     columns_to_read(model.target_names, request.weight_column, model_input_names(model))};
  InputParts parts(ranks, model, input);
  InputPart part;
  parts.next(part);  // the first part before any work: a missing column fails here
  CudaOptions cuda;
  cuda.device = ranks.local_rank();
  auto backend =
      collectively(ranks, [&] { return open_backend(request.device, model, request.quiet || !ranks.root(), cuda); });
  EvalSums sums(model, request, *backend);
  long long rows = 0;
  bool shown = false;
  const auto start = std::chrono::steady_clock::now();
  do {
    Dataset data = part_dataset(part, model, request);
    if (ranks.size() == 1 && data.x.rows == 0) continue;  // every row of this part left out (--drop-invalid)
    const int part_rows = data.x.rows;
    if (ranks.size() == 1) {
      // A chunk at a time: what a row's scores take (mixture, statistics,
      // quantiles: some 60 doubles) is held for kEvalChunkRows rows, not the
      // part's 10^5. Chunks start on forward-block edges (mdn/inference.hpp).
      for (int begin = 0; begin < data.x.rows; begin += kEvalChunkRows) {
        const int count = std::min(kEvalChunkRows, data.x.rows - begin);
        const Matrix z = head_outputs(*backend, model, data.x.exact(), begin, count, part.first_row);
        sums.add(rows_of(data, begin, count), z, part.first_row + begin, !request.report_dir.empty());
      }
      rows += data.x.rows;
    } else {
      Matrix z = collectively(ranks, [&] { return head_outputs(*backend, model, data.x.exact(), 0, data.x.rows, part.first_row); });
      z = gather_rows_at_root(ranks, z);
      data.x = gather_rows_at_root(ranks, data.x.exact());
      data.t = gather_rows_at_root(ranks, data.t);
      if (!request.weight_column.empty()) {
        MatrixD w(int(data.weights.size()), 1);
        w.data = data.weights;
        data.weights = gather_rows_at_root(ranks, w).data;
      }
      if (!ranks.root()) return 0;
      rows += data.x.rows;
      sums.add(data, z, 0, !request.report_dir.empty());
    }
    // Only while the file is still being read: a file read whole into its
    // first part (some 4 MiB) says nothing.
    if (!parts.last() && parts.fraction(part_rows) < 1.0) show_progress(rows, parts.fraction(part_rows), start, shown);
  } while (parts.next(part));
  if (shown) progress("", true);
  parts.finish();
  if (!request.quiet) warn_about_input(model, request, parts, rows);
  if (!request.weight_column.empty() && !(sums.all_.total_weight() > 0.0))
    throw UsageError(request.data_path + ": the weights (--weight column '" + request.weight_column +
                     "'): every weight is 0; at least one row must have a positive weight");

  EvalContext ctx;
  ctx.model = &model;
  ctx.model_path = request.model_path;
  ctx.data_path = request.data_path;
  ctx.dropped_rows = std::size_t(parts.dropped());
  ctx.device = backend->name();
  return write_results(sums, ctx, request, parts);
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
        "energy score and the joint calibration (coverage of the joint highest-density regions).\n"
        "A table goes to stdout; --json writes every number; --report writes pictures\n"
        "(gnuplot, PNG) and an index.html. Poor scores do not change the exit status; errors do.");
    add_model_input_option(*app, r_.model_path);
    add_data_option(*app, r_.data_path, "labelled data with the model's feature and target columns");
    app->add_option("--json", r_.json_path, "write every metric as JSON (atomically)")->type_name("OUT.json");
    app->add_option("--report", r_.report_dir,
                    "write a report directory: pictures, data files, metrics.json, index.html")
        ->type_name("DIR");
    add_device_option(*app, r_.device, "where to run the network");
    app->add_flag("--quiet", r_.quiet,
                  "nothing on stderr but errors: no device note, no warnings or counts about the input, no report "
                  "line (the table on stdout, --json and --report as ever)");
    app->add_flag("--drop-invalid", r_.drop_invalid,
                  "drop rows with a missing/invalid cell instead of failing (count reported)");
    app->add_option("--weight", r_.weight_column,
                    "column of per-row sample weights (>= 0): every score is a weighted mean")
        ->type_name("COL");
    add_csv_options(*app, r_.csv);
    app->add_option("--energy-samples", r_.options.energy_samples,
                    "draws per row for the energy score and the joint calibration (several targets only)")
        ->type_name("S")
        ->check(between(2, 100000))
        ->capture_default_str();
    add_seed_option(*app, r_.options.seed, "seed of the draws (energy score, sampled histogram)");
    return app;
  }

  void prepare() override {
    if (!r_.json_path.empty()) check_writable(r_.json_path);
    if (!r_.report_dir.empty()) check_writable_directory(r_.report_dir);
  }

  int run() override {
    return evaluate_model(collectively(world(), [&] { return load_model(r_.model_path); }), r_);
  }

 private:
  EvalRequest r_;
};

}  // namespace

std::unique_ptr<Command> make_eval_command() { return std::make_unique<EvalCommand>(); }

}  // namespace mdn::cli
