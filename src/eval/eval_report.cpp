// write_report: the data files of every picture, one gnuplot script that
// draws them all (one gnuplot process, not one per picture), index.html.
#include <sys/stat.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "mdn/atomic_file.hpp"
#include "mdn/error.hpp"
#include "report_parts.hpp"

namespace mdn::report {

void write_text_file(const std::string& dir, const std::string& name, const std::string& text) {
  AtomicFile file(dir + "/" + name);
  file.stream() << text;
  file.commit();
}

std::string gp_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

std::string num(double v) {
  if (!std::isfinite(v)) return "NaN";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.7g", v);
  return buf;
}

namespace {

std::string gnuplot_script(const std::vector<Picture>& pictures) {
  // Shared look, re-applied after each `reset` (which clears everything but
  // the terminal and the output).
  const std::string style =
      "set grid lc rgb '#e0e0e0'\n"
      "set border lc rgb '#404040'\n"
      "set key samplen 2\n";
  std::string g =
      "# Written with mdn's evaluation report: draws the report's pictures from the *.dat\n"
      "# files beside it. To redraw by hand: cd into this directory, gnuplot report.gp\n"
      "set encoding utf8\n"
      // noenhanced: column names like 'Wind_Speed^2' are printed as written.
      "set terminal pngcairo size 960,680 noenhanced font 'sans,12' linewidth 1.2\n";
  for (const Picture& p : pictures) {
    g += "\n# ---- " + p.title + "\nreset\n" + style + "set output " + gp_quote(p.file) + "\n" + p.gnuplot;
  }
  g += "\nunset output\n";
  return g;
}

}  // namespace
}  // namespace mdn::report

namespace mdn {

ReportOutcome write_report(const std::string& dir, const ReportInput& in) {
  using namespace report;
  if (!in.context.model || !in.data || !in.mix || !in.evaluation || !in.backend)
    throw Error("write_report: incomplete input");
  make_directories(dir);
  write_eval_json(dir + "/metrics.json", in.context, in.evaluation->metrics, in.options);

  std::vector<Picture> pictures = history_picture(dir, in);
  const int T = in.data->t.cols;
  for (int d = 0; d < T; ++d) {
    for (Picture& p : density_picture(dir, in, d)) pictures.push_back(std::move(p));
    pictures.push_back(scatter_picture(dir, in, d));
    pictures.push_back(histogram_picture(dir, in, d));
    pictures.push_back(pit_picture(dir, in, d));
    pictures.push_back(reliability_picture(dir, in, d));
  }
  for (Picture& p : joint_density_picture(dir, in)) pictures.push_back(std::move(p));
  for (Picture& p : joint_pit_pictures(dir, in)) pictures.push_back(std::move(p));
  write_text_file(dir, "report.gp", gnuplot_script(pictures));

  ReportOutcome outcome;
  for (const Picture& p : pictures) {
    outcome.pictures.push_back(p.file);
    // A picture left from an earlier run must not pass for a new one.
    std::remove((dir + "/" + p.file).c_str());
  }
  outcome.status = run_gnuplot(dir, outcome.problem);
  for (const Picture& p : pictures) {
    struct stat st {};
    if (outcome.status == PlotStatus::Rendered && (::stat((dir + "/" + p.file).c_str(), &st) != 0 || st.st_size == 0)) {
      outcome.status = PlotStatus::GnuplotFailed;
      outcome.problem = "gnuplot exited normally but did not draw " + dir + "/" + p.file;
    }
  }
  if (outcome.status != PlotStatus::Rendered) {
    for (const Picture& p : pictures) std::remove((dir + "/" + p.file).c_str());  // no half-drawn set
  }
  write_text_file(dir, "index.html", index_html(in, pictures, outcome));
  return outcome;
}

}  // namespace mdn
