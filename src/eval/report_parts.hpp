// Pieces of the evaluation report directory, shared by report*.cpp:
// each picture writes its own data file and says how gnuplot draws it;
// report.cpp runs gnuplot once over all of them and writes index.html.
#pragma once
#include <string>
#include <vector>

#include "mdn/eval_report.hpp"

namespace mdn::report {

struct Picture {
  std::string file;     // PNG name inside the report directory, e.g. "scatter_t0.png"
  std::string title;    // heading in index.html
  std::string caption;  // what it shows and what to look for
  std::string gnuplot;  // commands that draw it, after `set output`
};

// Writes `text` to dir/name atomically. Throws mdn::Error.
void write_text_file(const std::string& dir, const std::string& name, const std::string& text);

// A gnuplot single-quoted string literal ('' escapes a quote).
std::string gp_quote(const std::string& s);

// "%.7g" of a number, "NaN" for a missing one (gnuplot skips NaN points).
std::string num(double v);

// Each writes its data file(s) into dir and returns its picture, or nothing
// when it does not apply (no history; more than one input for the density).
std::vector<Picture> history_picture(const std::string& dir, const ReportInput& in);
Picture scatter_picture(const std::string& dir, const ReportInput& in, int d);
Picture histogram_picture(const std::string& dir, const ReportInput& in, int d);
Picture pit_picture(const std::string& dir, const ReportInput& in, int d);
Picture reliability_picture(const std::string& dir, const ReportInput& in, int d);
std::vector<Picture> density_picture(const std::string& dir, const ReportInput& in, int d);
// Several targets (report_joint.cpp): the HDR-PIT histogram and the joint
// reliability (none for T = 1), and for T = 2 the joint density of a few rows.
std::vector<Picture> joint_pit_pictures(const std::string& dir, const ReportInput& in);
std::vector<Picture> joint_density_picture(const std::string& dir, const ReportInput& in);
// The rows (of in.data) the joint density shows: at the 10, 50 and 90 %
// quantiles of the first feature (stable order, duplicates once).
std::vector<int> joint_density_rows(const DataMatrix& x);

// Runs gnuplot on dir/report.gp (working directory dir). When it is not
// Rendered, `problem` gets a one-line reason.
PlotStatus run_gnuplot(const std::string& dir, std::string& problem);

// The index.html text.
std::string index_html(const ReportInput& in, const std::vector<Picture>& pictures, const ReportOutcome& outcome);

}  // namespace mdn::report
