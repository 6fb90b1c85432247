// index.html of the report: what was evaluated, the headline metrics, and
// every picture with a caption that says what to look for. Self-contained
// (inline CSS, relative links), so the directory can be copied anywhere.
#include <cmath>
#include <cstdio>
#include <string>

#include "report_parts.hpp"

namespace mdn::report {
namespace {

std::string escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string cell(double v, const char* format = "%.4g") {
  if (!std::isfinite(v)) return "<td>n/a</td>";
  char buf[48];
  std::snprintf(buf, sizeof buf, format, v);
  return std::string("<td>") + buf + "</td>";
}

std::string metrics_table(const ReportInput& in) {
  const EvalMetrics& m = in.evaluation->metrics;
  const Model& model = *in.context.model;
  std::string h =
      "<table>\n<tr><th>target</th><th>RMSE</th><th>MAE</th><th>R&sup2;</th><th>median MAE</th>"
      "<th>CRPS</th><th>mean pred. std</th><th>calibration |gap| mean / max</th>";
  for (double c : in.options.interval_levels) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "<th>%.0f %% coverage / width</th>", 100.0 * c);
    h += buf;
  }
  h += "</tr>\n";
  for (std::size_t d = 0; d < m.targets.size(); ++d) {
    const TargetMetrics& t = m.targets[d];
    h += "<tr><td>" + escape(model.target_names[d]) + "</td>" + cell(t.rmse) + cell(t.mae) + cell(t.r2, "%.5f") +
         cell(t.median_mae) + cell(t.crps) + cell(t.mean_std);
    char buf[96];
    std::snprintf(buf, sizeof buf, "<td>%.4f / %.4f</td>", t.calibration_error_mean, t.calibration_error_max);
    h += buf;
    for (const IntervalCoverage& c : t.intervals) {
      std::snprintf(buf, sizeof buf, "<td>%.3f / %.4g</td>", c.coverage, c.mean_width);
      h += buf;
    }
    h += "</tr>\n";
  }
  h += "</table>\n";
  return h;
}

}  // namespace

std::string index_html(const ReportInput& in, const std::vector<Picture>& pictures, const ReportOutcome& outcome) {
  const EvalMetrics& m = in.evaluation->metrics;
  const Model& model = *in.context.model;
  char buf[256];
  std::string h =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>mdn eval report</title>\n"
      "<style>\nbody{font-family:sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222}\n"
      "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}\n"
      "th{background:#f4f4f4}td:first-child{text-align:left}img{max-width:100%;border:1px solid #ddd}\n"
      ".problem{background:#fff3cd;border:1px solid #e0c060;padding:0.8em}figure{margin:2em 0}\n"
      "figcaption{color:#444;margin-top:0.4em}code{background:#f4f4f4;padding:1px 4px}\n</style>\n</head>\n<body>\n"
      "<h1>mdn eval report</h1>\n<p>Model <code>" +
      escape(in.context.model_path) + "</code> (" + std::to_string(model.spec.input_dim) + " inputs, " +
      std::to_string(model.spec.target_dim) + " target(s), " + std::to_string(model.spec.components) +
      " components) on <code>" + escape(in.context.data_path) + "</code>: " + std::to_string(m.rows) + " rows";
  if (in.context.dropped_rows > 0)
    h += " (" + std::to_string(in.context.dropped_rows) + " rows with invalid cells dropped)";
  h += ", computed on " + escape(in.context.device) +
       ". Every number is in the original units of the data; all of "
       "them are in <a href=\"metrics.json\">metrics.json</a>.</p>\n";
  std::snprintf(buf, sizeof buf, "%.5g", m.nll);
  h += "<p>Mean negative log-likelihood per row: <b>" + std::string(std::isfinite(m.nll) ? buf : "infinite") +
       "</b> nats (lower is better; it rewards a sharp <em>and</em> honest distribution).";
  if (std::isfinite(m.energy_score)) {
    std::snprintf(buf, sizeof buf, "%.5g", m.energy_score);
    h += " Energy score of the joint prediction: <b>" + std::string(buf) + "</b> (" + std::to_string(m.energy_samples) +
         " draws per row).";
  }
  if (m.joint.samples > 0) {
    // "50 / 80 / 90 / 95", the coverages and their standard errors in the same order.
    std::string levels, coverage, errors;
    for (std::size_t i = 0; i < m.joint.levels.size(); ++i) {
      const char* sep = i == 0 ? "" : " / ";
      std::snprintf(buf, sizeof buf, "%s%.0f", sep, 100.0 * m.joint.levels[i]);
      levels += buf;
      std::snprintf(buf, sizeof buf, "%s%.1f", sep, 100.0 * m.joint.coverage[i]);
      coverage += buf;
      std::snprintf(buf, sizeof buf, "%s%.1f", sep, 100.0 * m.joint.standard_error[i]);
      errors += buf;
    }
    h += " Joint calibration of the targets together: the measured targets lie inside the predicted " + levels +
         " % highest-density regions in <b>" + coverage + " %</b> of the rows (calibrated: each equals its level, "
         "give or take two standard errors, here " + errors + " points).";
  }
  h += "</p>\n" + metrics_table(in);
  if (outcome.status != PlotStatus::Rendered)
    h += "<p class=\"problem\">No pictures: " + escape(outcome.problem) +
         ". The data behind them (<code>*.dat</code>) "
         "and the gnuplot script (<code>report.gp</code>) are in this directory.</p>\n";
  for (const Picture& p : pictures) {
    h += "<figure>\n<h2>" + escape(p.title) + "</h2>\n";
    if (outcome.status == PlotStatus::Rendered)
      h += "<img src=\"" + escape(p.file) + "\" alt=\"" + escape(p.title) + "\">\n";
    h += "<figcaption>" + escape(p.caption) + "</figcaption>\n</figure>\n";
  }
  h += "</body>\n</html>\n";
  return h;
}

}  // namespace mdn::report
