// The outputs of `mdn eval`: every metric as JSON, and a report directory of
// pictures (drawn by gnuplot) tied together by an index.html.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "mdn/backend.hpp"
#include "mdn/dataset.hpp"
#include "mdn/metrics.hpp"
#include "mdn/mixture.hpp"
#include "mdn/model.hpp"

namespace mdn {

// What was evaluated, for the JSON and the report's captions.
struct EvalContext {
  const Model* model = nullptr;
  std::string model_path;
  std::string data_path;
  std::size_t dropped_rows = 0;  // rows left out for invalid cells (InvalidCells::DropRow)
  std::string device;            // the backend that ran the network
};

// The metrics JSON (UTF-8, indented): context, every metric of `metrics`
// (NaN/Inf as null), the options behind them and the model's training
// history in original units.
std::string eval_json(const EvalContext& context, const EvalMetrics& metrics, const EvalOptions& options);

// Writes eval_json() atomically (temporary file, then rename). Throws mdn::Error.
void write_eval_json(const std::string& path, const EvalContext& context, const EvalMetrics& metrics,
                     const EvalOptions& options);

struct ReportInput {
  EvalContext context;
  const Dataset* data = nullptr;      // the evaluated rows (x and t, original units)
  const MixtureBatch* mix = nullptr;  // their predicted mixtures
  const Evaluation* evaluation = nullptr;
  EvalOptions options;
  Backend* backend = nullptr;  // holds the model: the density picture predicts on an x grid
  std::uint64_t seed = 0;      // draws for the sampled-vs-measured histogram
};

enum class PlotStatus {
  Rendered,        // every picture is a PNG in the directory
  GnuplotMissing,  // no gnuplot to run: data, report.gp, JSON and index.html only
  GnuplotFailed,   // gnuplot ran and failed; no PNG is left behind
};

struct ReportOutcome {
  PlotStatus status = PlotStatus::Rendered;
  std::string problem;                // one line saying why there are no pictures; empty when rendered
  std::vector<std::string> pictures;  // PNG file names inside the directory (rendered or not)
};

// Fills `dir` (created if missing): metrics.json, the data files of every
// picture (*.dat, plain columns with a header comment), report.gp (the gnuplot
// script, re-runnable by hand), the PNGs, and index.html. When gnuplot is not
// installed or fails, the data, the JSON and index.html are still written and
// the outcome says why there are no pictures. gnuplot is looked up on PATH, or
// is the program named by the environment variable MDN_GNUPLOT. Throws
// mdn::Error for a directory or file that cannot be written.
ReportOutcome write_report(const std::string& dir, const ReportInput& input);

}  // namespace mdn
