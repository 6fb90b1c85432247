// The report's pictures of the joint distribution of several targets
// (docs/EVAL.md): the HDR-PIT histogram and reliability of the joint
// calibration (T >= 2), and for T = 2 the predicted joint density of a few
// rows with its highest-density regions and the measured point.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <numeric>
#include <string>
#include <vector>

#include "report_parts.hpp"

namespace mdn::report {
namespace {

constexpr int kJointGrid = 120;  // cells per axis of a joint-density panel
constexpr double kJointRegions[] = {0.5, 0.9};
constexpr double kPanelQuantiles[] = {0.1, 0.5, 0.9};

std::string fmt(const char* format, double a) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, a);
  return buf;
}

// The range of target d drawn for row r: the span of its components (those
// of at least 1 % of the largest weight) to 4 standard deviations, in the
// target's units (through a target transform's inverse), and the measured y.
void panel_range(const MixtureBatch& mix, int r, int d, double y, double& lo, double& hi) {
  double top = 0.0;
  for (int k = 0; k < mix.K; ++k) top = std::max(top, mix.weight(r, k));
  lo = hi = y;
  const TargetTransform* g = mix.transform(d);
  for (int k = 0; k < mix.K; ++k) {
    if (!(mix.weight(r, k) >= 0.01 * top)) continue;
    double a = mix.mean(r, k, d) - 4.0 * mix.stddev(r, k, d), b = mix.mean(r, k, d) + 4.0 * mix.stddev(r, k, d);
    if (g != nullptr) a = g->inverse(a), b = g->inverse(b);
    if (std::isfinite(a)) lo = std::min(lo, a);
    if (std::isfinite(b)) hi = std::max(hi, b);
  }
  const double pad = 0.05 * (hi - lo) + 1e-9 * (1.0 + std::fabs(y));
  lo -= pad;
  hi += pad;
}

// The density level of the c highest-density region on a grid: the density
// at which the cells of highest density, taken in turn, reach mass c of the
// grid's total.
double region_level(std::vector<double> p, double c) {
  std::sort(p.begin(), p.end(), std::greater<double>());
  const double total = std::accumulate(p.begin(), p.end(), 0.0);
  double mass = 0.0;
  for (double v : p) {
    mass += v;
    if (mass >= c * total) return v;
  }
  return p.empty() ? 0.0 : p.back();
}

}  // namespace

std::vector<int> joint_density_rows(const DataMatrix& x) {
  if (x.rows == 0 || x.cols == 0) return {};
  std::vector<int> order(std::size_t(x.rows));
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return x(a, 0) < x(b, 0); });
  std::vector<int> rows;
  for (double q : kPanelQuantiles) {
    const int r = order[std::size_t(std::floor(q * (x.rows - 1)))];
    if (std::find(rows.begin(), rows.end(), r) == rows.end()) rows.push_back(r);
  }
  return rows;
}

std::vector<Picture> joint_pit_pictures(const std::string& dir, const ReportInput& in) {
  const JointCalibration& j = in.evaluation->metrics.joint;
  if (j.samples == 0) return {};
  const int bins = int(j.pit_density.size()), n = in.evaluation->metrics.rows;
  std::string data =
      "# bin_center  density   (joint HDR PIT, " + std::to_string(j.samples) + " draws per row; 1 = uniform)\n";
  for (int b = 0; b < bins; ++b) data += num((b + 0.5) / bins) + " " + num(j.pit_density[std::size_t(b)]) + "\n";
  write_text_file(dir, "joint_pit.dat", data);
  std::string rel =
      "# level  observed_fraction_inside_the_HDR  lower_2se  upper_2se   (calibrated: on the level)\n0 0 0 0\n";
  for (std::size_t i = 0; i < j.calibration_levels.size(); ++i) {
    const double c = j.calibration_levels[i], se = std::sqrt(c * (1.0 - c) / n);
    rel += num(c) + " " + num(j.calibration_observed[i]) + " " + num(c - 2 * se) + " " + num(c + 2 * se) + "\n";
  }
  write_text_file(dir, "joint_reliability.dat", rel + "1 1 1 1\n");
  const double se = std::sqrt(bins * (1.0 - 1.0 / bins) / n);  // a flat histogram's bin, as for the PIT

  Picture pit;
  pit.file = "joint_pit.png";
  pit.title = "Joint calibration: HDR PIT histogram";
  pit.caption =
      "For each row, the predicted probability of the targets' highest-density region that just reaches the "
      "measured point (the HDR PIT, estimated from " +
      std::to_string(j.samples) +
      " draws per row). Flat at 1 when the joint distribution is calibrated (dashed: +/- 2 standard errors); "
      "mass piled at the right means the measured points fall outside regions that should hold them (too "
      "narrow, or the wrong shape or correlation), mass at the left regions too wide.";
  pit.gnuplot =
      "set title 'Joint HDR PIT histogram (all targets)'\nset xlabel 'HDR PIT u = P(p(Y | x) >= p(y | x))'\n"
      "set ylabel 'density (1 = calibrated)'\nset xrange [0:1]\nset yrange [0:*]\nset key top center\n"
      "set style fill solid 0.5 border lc rgb '#2ca02c'\nset boxwidth " +
      num(1.0 / bins) +
      " absolute\n"
      "plot 'joint_pit.dat' using 1:2 with boxes lc rgb '#2ca02c' title 'observed', 1 with lines lw 2 "
      "lc rgb '#d62728' title 'uniform', " +
      num(1 + 2 * se) + " with lines dt 2 lc rgb '#555555' title '+/- 2 s.e.', " + num(std::max(0.0, 1 - 2 * se)) +
      " with lines dt 2 lc rgb '#555555' notitle\nset style fill empty\nset xrange [*:*]\nset yrange [*:*]\n";
  Picture reliability;
  reliability.file = "joint_reliability.png";
  reliability.title = "Joint calibration: coverage of the highest-density regions";
  reliability.caption =
      "For each level c, the fraction of rows whose measured targets lie inside the predicted "
      "c highest-density region of their joint distribution. On the diagonal when calibrated "
      "(dashed: +/- 2 standard errors of a calibrated model on " +
      std::to_string(n) + " rows); below it, regions too small. Mean |gap| " + fmt("%.4f", j.calibration_error_mean) +
      ", max |gap| " + fmt("%.4f", j.calibration_error_max) + ".";
  reliability.gnuplot =
      "set title " +
      gp_quote("Joint HDR coverage  (mean |gap| " + fmt("%.4f", j.calibration_error_mean) + ", max " +
               fmt("%.4f", j.calibration_error_max) + ")") +
      "\nset xlabel 'nominal level c of the highest-density region'\nset ylabel 'observed fraction of rows inside'\n"
      "set xrange [0:1]\nset yrange [0:1]\nset size ratio -1\nset key top left\n"
      "plot x with lines lw 1.5 lc rgb '#555555' title 'ideal', 'joint_reliability.dat' using 1:3 with lines dt 2 "
      "lc rgb '#888888' title '+/- 2 s.e.', '' using 1:4 with lines dt 2 lc rgb '#888888' notitle, '' using 1:2 "
      "with linespoints pt 7 ps 0.8 lw 2 lc rgb '#2ca02c' title 'observed'\n"
      "set size noratio\nset xrange [*:*]\nset yrange [*:*]\n";
  return {pit, reliability};
}

std::vector<Picture> joint_density_picture(const std::string& dir, const ReportInput& in) {
  const MixtureBatch& mix = *in.mix;
  const DataMatrix& x = in.data->x;
  const MatrixD& t = in.data->t;
  if (mix.T != 2 || t.rows == 0) return {};
  const Model& model = *in.context.model;
  const std::vector<int> rows = joint_density_rows(x);
  const std::string n0 = model.target_names[0], n1 = model.target_names[1], xname = model.feature_names[0];
  std::string density = "# y1  y2  p(y1, y2 | x)   (one block per panel, separated by two blank lines; " +
                        std::to_string(kJointGrid) + " x " + std::to_string(kJointGrid) +
                        " grid, blank line "
                        "between y1 scans)\n";
  std::string points = "# panel  row_of_the_sample  " + xname +
                       "  measured_y1  measured_y2  level_50  level_90   "
                       "(levels: density at the edge of the 50 % and 90 % highest-density regions on the grid)\n";
  std::string g = "set view map\nset contour base\nunset surface\n";
  std::string plots;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const int r = rows[i];
    double lo[2], hi[2];
    for (int d = 0; d < 2; ++d) panel_range(mix, r, d, t(r, d), lo[d], hi[d]);
    std::vector<double> p;
    if (i > 0) density += "\n\n";
    for (int a = 0; a < kJointGrid; ++a) {
      for (int b = 0; b < kJointGrid; ++b) {
        const double y[2] = {lo[0] + (hi[0] - lo[0]) * a / (kJointGrid - 1),
                             lo[1] + (hi[1] - lo[1]) * b / (kJointGrid - 1)};
        p.push_back(std::exp(-mixture_nll(mix, r, y)));  // the same density as the NLL
        density += num(y[0]) + " " + num(y[1]) + " " + num(p.back()) + "\n";
      }
      density += "\n";
    }
    const double l50 = region_level(p, kJointRegions[0]), l90 = region_level(p, kJointRegions[1]);
    points += std::to_string(i) + " " + std::to_string(r) + " " + num(x(r, 0)) + " " + num(t(r, 0)) + " " +
              num(t(r, 1)) + " " + num(l50) + " " + num(l90) + "\n";
    const std::string contours = "joint_contours_" + std::to_string(i) + ".dat";
    g += "set cntrparam levels discrete " + num(l90) + ", " + num(l50) + "\nset table " + gp_quote(contours) +
         "\nsplot 'joint_density.dat' index " + std::to_string(i) + " using 1:2:3 with lines notitle\nunset table\n";
    plots += "set title " + gp_quote(xname + " = " + fmt("%.4g", x(r, 0))) + "\nset xrange [" + num(lo[0]) + ":" +
             num(hi[0]) + "]\nset yrange [" + num(lo[1]) + ":" + num(hi[1]) + "]\n" +
             "plot 'joint_density.dat' index " + std::to_string(i) + " using 1:2:3 with image notitle, " +
             gp_quote(contours) + " using 1:2 with lines lw 1.5 lc rgb '#000000' title '50 / 90 % HDR', " +
             "'joint_density_points.dat' every ::" + std::to_string(i) + "::" + std::to_string(i) +
             " using 4:5 with points pt 7 ps 1.2 lc rgb '#e31a1c' title 'measured'\n";
  }
  write_text_file(dir, "joint_density.dat", density);
  write_text_file(dir, "joint_density_points.dat", points);
  g += "unset contour\nset surface\nunset view\n";
  g += "set palette defined (0 '#ffffff', 1 '#c6dbef', 2 '#6baed6', 3 '#2171b5', 4 '#08306b')\nunset colorbox\n";
  // Narrow panels: slanted, smaller tick labels on x so that they do not run together.
  g += "set xlabel " + gp_quote(n0) + "\nset ylabel " + gp_quote(n1) + "\nset key bottom right opaque box font ',9'\n";
  g += "set xtics rotate by 45 right font ',10'\nset ytics font ',10'\n";
  g += "set multiplot layout 1," + std::to_string(rows.size()) + " title " +
       gp_quote("Joint predictive density p(" + n0 + ", " + n1 + " | x) at three inputs") + "\n" + plots;
  g += "unset multiplot\nset xrange [*:*]\nset yrange [*:*]\nset key noopaque nobox\nset xtics norotate\n";

  Picture pic;
  pic.file = "joint_density.png";
  pic.title = "Joint predictive density of " + n0 + " and " + n1;
  pic.caption = "For the rows at the 10 %, 50 % and 90 % quantiles of " + xname +
                " (among the report's rows): the predicted joint density of the two targets (colour, darker is "
                "higher), the edges of its 50 % and 90 % highest-density regions (black) and the measured point "
                "(red). A calibrated model puts the measured point inside the 90 % region in nine rows of ten; "
                "tilted regions are a correlation the model predicts.";
  pic.gnuplot = g;
  return {pic};
}

}  // namespace mdn::report
