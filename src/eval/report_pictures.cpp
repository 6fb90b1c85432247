// The pictures of the report: for each, a data file in plain columns and the
// gnuplot commands that draw it. Axis labels carry the column names, which
// carry their units when the CSV header does (e.g. "Apparent Temperature (C)").
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "mdn/detail/marginal_math.hpp"
#include "mdn/inference.hpp"
#include "mdn/predictive.hpp"
#include "mdn/sampling.hpp"
#include "report_parts.hpp"

namespace mdn::report {
namespace {

constexpr int kMaxScatterPoints = 3000;  // error bars beyond this only darken the plot
constexpr int kMaxDensityPoints = 2000;
constexpr int kHistogramBins = 50;
constexpr int kMinHistogramDraws = 100000;  // enough draws for a smooth sampled histogram
constexpr int kDensityGrid = 200;           // x and t grid of the heat map

std::string suffix(int d) { return "_t" + std::to_string(d); }

const std::string& target_name(const ReportInput& in, int d) { return in.context.model->target_names[d]; }

// Evenly spaced rows, at most `limit`: deterministic and spread over the file.
std::vector<int> spread_rows(int n, int limit) {
  std::vector<int> rows;
  const int m = std::min(n, limit);
  for (int i = 0; i < m; ++i) rows.push_back(int((long long)i * n / m));
  return rows;
}

std::string fmt(const char* format, double a) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, a);
  return buf;
}

// Modes drawn in the density picture: those of at least this fraction of the
// highest mode's density. A component with a weight of 1e-4 far from the data
// is a mode of the mixture too, but drawing it would suggest a branch that
// carries no probability.
constexpr double kDrawnModeFraction = 0.01;

// The modes of the 1-D marginal of dimension d: predictive.hpp's mode search
// on that marginal as a one-dimensional mixture (for T = 1 it is the mixture),
// without the negligible ones.
std::vector<double> marginal_modes(const MixtureBatch& mix, int row, int d) {
  MixtureBatch one;
  one.rows = 1;
  one.K = mix.K;
  one.T = 1;
  for (int k = 0; k < mix.K; ++k) {
    one.alpha.push_back(mix.weight(row, k));
    one.mu.push_back(mix.mean(row, k, d));
    one.sigma.push_back(mix.stddev(row, k, d));
  }
  if (mix.pit_map(d) != nullptr) one.pit_maps = {mix.pit_maps[std::size_t(d)]};
  if (mix.transform(d) != nullptr) one.transforms = {mix.transforms[std::size_t(d)]};
  const std::vector<Mode> modes = mixture_modes(one, 0);  // highest density first
  std::vector<double> out;
  for (const Mode& m : modes)
    if (m.density >= kDrawnModeFraction * modes.front().density) out.push_back(m.location[0]);
  return out;
}

}  // namespace

std::vector<Picture> history_picture(const std::string& dir, const ReportInput& in) {
  const Model& model = *in.context.model;
  const TrainingHistory& h = model.history;
  if (h.train_nll.empty()) return {};
  const double jac = model.stats.log_jacobian();
  std::string data = "# epoch  train_nll  val_nll   (NLL per row, original target units)\n";
  for (std::size_t e = 0; e < h.train_nll.size(); ++e) {
    const double val = e < h.val_nll.size() ? double(h.val_nll[e]) + jac : NAN;
    data += std::to_string(e + 1) + " " + num(double(h.train_nll[e]) + jac) + " " + num(val) + "\n";
  }
  write_text_file(dir, "history.dat", data);

  Picture p;
  p.file = "history.png";
  p.title = "Training history";
  p.caption =
      "Mean negative log-likelihood per row (nats, in the original units of the targets) after each "
      "epoch, on the training rows and on the held-out validation rows; the dashed line marks the "
      "epoch whose weights were kept. Validation far above training means overfitting.";
  std::string g;
  g += "set title 'Training history: NLL per epoch'\n";
  g += "set xlabel 'epoch'\n";
  g += "set ylabel 'NLL per row (nats, original units)'\n";
  g += "set key top right\n";
  if (h.best_epoch > 0)
    g += "set arrow 1 from " + std::to_string(h.best_epoch) + ", graph 0 to " + std::to_string(h.best_epoch) +
         ", graph 1 nohead dt 2 lc rgb '#555555'\n";
  g += "plot 'history.dat' using 1:2 with lines lw 2 lc rgb '#1f77b4' title 'training'";
  if (!h.val_nll.empty()) g += ", '' using 1:3 with lines lw 2 lc rgb '#d62728' title 'validation'";
  if (h.best_epoch > 0)
    g += ", NaN with lines dt 2 lc rgb '#555555' title 'kept (epoch " + std::to_string(h.best_epoch) + ")'";
  g += "\nunset arrow 1\n";
  p.gnuplot = g;
  return {p};
}

Picture scatter_picture(const std::string& dir, const ReportInput& in, int d) {
  const Evaluation& e = *in.evaluation;
  const MatrixD& t = in.data->t;
  // The 90 % interval when it was computed, else the widest one there is.
  int level = -1;
  for (std::size_t i = 0; i < in.options.interval_levels.size(); ++i)
    if (level < 0 ||
        std::fabs(in.options.interval_levels[i] - 0.9) < std::fabs(in.options.interval_levels[level] - 0.9))
      level = int(i);
  std::string data = "# measured  predicted_mean  lower  upper   (central interval, level " +
                     (level >= 0 ? num(in.options.interval_levels[level]) : std::string("none")) + ")\n";
  double lo = 1e300, hi = -1e300;
  for (int r : spread_rows(t.rows, kMaxScatterPoints)) {
    const double l = level >= 0 ? double(e.rows.lower[level](r, d)) : NAN;
    const double u = level >= 0 ? double(e.rows.upper[level](r, d)) : NAN;
    data += num(t(r, d)) + " " + num(e.rows.mean(r, d)) + " " + num(l) + " " + num(u) + "\n";
    lo = std::min({lo, double(t(r, d)), double(e.rows.mean(r, d))});
    hi = std::max({hi, double(t(r, d)), double(e.rows.mean(r, d))});
  }
  write_text_file(dir, "scatter" + suffix(d) + ".dat", data);

  const std::string name = target_name(in, d);
  const TargetMetrics& m = e.metrics.targets[d];
  const std::string pct = level >= 0 ? fmt("%.0f", 100.0 * in.options.interval_levels[level]) : "";
  std::string coverage;
  if (level >= 0) coverage = ", " + pct + "% coverage " + fmt("%.3f", m.intervals[level].coverage);
  Picture p;
  p.file = "scatter" + suffix(d) + ".png";
  p.title = "Predicted against measured: " + name;
  p.caption = "Mixture mean (dot) with its central " + pct +
              " % prediction interval (bar) against the measured "
              "value, for up to " +
              std::to_string(kMaxScatterPoints) +
              " evenly spaced rows. Points on the "
              "diagonal are exact; about " +
              pct + " % of the bars should cross it.";
  const double pad = 0.03 * (hi - lo + 1e-12);
  std::string g;
  g += "set title " +
       gp_quote("Predicted vs measured: " + name + "  (R^2 " + fmt("%.4f", m.r2) + ", MAE " + fmt("%.4g", m.mae) +
                coverage + ")") +
       "\n";
  g += "set xlabel " + gp_quote("measured " + name) + "\n";
  g += "set ylabel " + gp_quote("predicted " + name) + "\n";
  g += "set xrange [" + num(lo - pad) + ":" + num(hi + pad) + "]\n";
  g += "set key top left\n";
  // Bars light and half transparent (gnuplot's #AARRGGBB: AA = transparency),
  // means dark on top of them, so that dense regions stay readable.
  g += "set errorbars 0\n";
  g += "plot 'scatter" + suffix(d) + ".dat' using 1:2:3:4 with yerrorbars pt -1 lc rgb '#906baed6' title " +
       gp_quote(pct + "% interval") + ", '' using 1:2 with points pt 7 ps 0.35 lc rgb '#2008306b' title 'mean', " +
       "x with lines lw 1.5 lc rgb '#d62728' title 'predicted = measured'\n";
  g += "set xrange [*:*]\nset errorbars small\n";
  p.gnuplot = g;
  return p;
}

Picture histogram_picture(const std::string& dir, const ReportInput& in, int d) {
  const MatrixD& t = in.data->t;
  const MixtureBatch& mix = *in.mix;
  // At least kMinHistogramDraws draws in all, one or more per row.
  const int per_row = std::max(1, (kMinHistogramDraws + t.rows - 1) / t.rows);
  SampleOptions sampling;
  sampling.seed = in.seed;
  const std::vector<double> draws = sample_mixtures(mix, per_row, sampling);  // (r * per_row + s) * T + d
  const long long n_draws = (long long)t.rows * per_row;
  double lo = 1e300, hi = -1e300;
  for (int r = 0; r < t.rows; ++r) lo = std::min(lo, double(t(r, d))), hi = std::max(hi, double(t(r, d)));
  // The range of the measured values, widened by 10 %: a sampled tail beyond
  // it is counted in the normalisation but not drawn.
  const double pad = 0.1 * (hi - lo) + 1e-9;
  lo -= pad;
  hi += pad;
  const double width = (hi - lo) / kHistogramBins;
  std::vector<double> measured(kHistogramBins, 0.0), sampled(kHistogramBins, 0.0);
  auto bin = [&](double v) { return int(std::floor((v - lo) / width)); };
  for (int r = 0; r < t.rows; ++r) {
    const int b = bin(t(r, d));
    if (b >= 0 && b < kHistogramBins) measured[b] += 1.0;
  }
  long long outside = 0;
  for (long long i = 0; i < n_draws; ++i) {
    const int b = bin(draws[std::size_t(i) * mix.T + d]);
    if (b >= 0 && b < kHistogramBins)
      sampled[b] += 1.0;
    else
      ++outside;
  }
  std::string data = "# bin_center  measured_density  sampled_density   (" + std::to_string(n_draws) + " draws, " +
                     std::to_string(outside) + " outside the drawn range)\n";
  for (int b = 0; b < kHistogramBins; ++b)
    data += num(lo + (b + 0.5) * width) + " " + num(measured[b] / (t.rows * width)) + " " +
            num(sampled[b] / (double(n_draws) * width)) + "\n";
  write_text_file(dir, "histogram" + suffix(d) + ".dat", data);

  const std::string name = target_name(in, d);
  Picture p;
  p.file = "histogram" + suffix(d) + ".png";
  p.title = "Measured and sampled distribution: " + name;
  p.caption = "Histogram of the measured targets (bars) and of " + std::to_string(n_draws) +
              " draws from the "
              "predicted mixtures, " +
              std::to_string(per_row) +
              " per row (line). A model that captures the "
              "data's distribution puts the line on the bars.";
  std::string g;
  g += "set title " + gp_quote("Measured vs sampled: " + name) + "\n";
  g += "set xlabel " + gp_quote(name) + "\n";
  g += "set ylabel 'density (per unit of the target)'\n";
  g += "set key top right\n";
  g += "set style fill transparent solid 0.45 noborder\n";
  g += "set boxwidth " + num(width) + " absolute\n";
  g += "plot 'histogram" + suffix(d) +
       ".dat' using 1:2 with boxes lc rgb '#1f77b4' title 'measured', '' using 1:3 "
       "with histeps lw 2 lc rgb '#d62728' title 'sampled from the model'\n";
  g += "set style fill empty\n";
  p.gnuplot = g;
  return p;
}

Picture pit_picture(const std::string& dir, const ReportInput& in, int d) {
  const TargetMetrics& m = in.evaluation->metrics.targets[d];
  const int bins = int(m.pit_density.size());
  const int n = in.evaluation->metrics.rows;
  std::string data = "# bin_center  density   (PIT u = F(t | x); 1 = uniform)\n";
  for (int b = 0; b < bins; ++b) data += num((b + 0.5) / bins) + " " + num(m.pit_density[b]) + "\n";
  write_text_file(dir, "pit" + suffix(d) + ".dat", data);
  // Under perfect calibration a bin's count is Binomial(n, 1/bins): its
  // density has standard error sqrt(bins (1 - 1/bins) / n).
  const double se = std::sqrt(bins * (1.0 - 1.0 / bins) / n);

  const std::string name = target_name(in, d);
  Picture p;
  p.file = "pit" + suffix(d) + ".png";
  p.title = "PIT histogram: " + name;
  p.caption =
      "Histogram of u = F(t | x), the predicted CDF at the measured value. Flat at 1 when calibrated "
      "(dashed: +/- 2 standard errors of a flat histogram of " +
      std::to_string(n) +
      " rows); a U shape "
      "means intervals too narrow, a hump too wide, a slope a biased centre.";
  std::string g;
  g += "set title " + gp_quote("PIT histogram: " + name) + "\n";
  g += "set xlabel 'PIT value u = F(measured | x)'\n";
  g += "set ylabel 'density (1 = calibrated)'\n";
  g += "set xrange [0:1]\nset yrange [0:*]\n";
  g += "set key top center\n";
  g += "set style fill solid 0.5 border lc rgb '#1f77b4'\n";
  g += "set boxwidth " + num(1.0 / bins) + " absolute\n";
  g += "plot 'pit" + suffix(d) +
       ".dat' using 1:2 with boxes lc rgb '#1f77b4' title 'observed', 1 with lines lw 2 "
       "lc rgb '#d62728' title 'uniform', " +
       num(1 + 2 * se) + " with lines dt 2 lc rgb '#555555' title '+/- 2 s.e.', " + num(std::max(0.0, 1 - 2 * se)) +
       " with lines dt 2 lc rgb '#555555' notitle\n";
  g += "set style fill empty\nset xrange [*:*]\nset yrange [*:*]\n";
  p.gnuplot = g;
  return p;
}

Picture reliability_picture(const std::string& dir, const ReportInput& in, int d) {
  const TargetMetrics& m = in.evaluation->metrics.targets[d];
  std::string data = "# level  observed_fraction_with_pit_below_level\n0 0\n";
  for (std::size_t i = 0; i < m.calibration_levels.size(); ++i)
    data += num(m.calibration_levels[i]) + " " + num(m.calibration_observed[i]) + "\n";
  data += "1 1\n";
  write_text_file(dir, "reliability" + suffix(d) + ".dat", data);

  const std::string name = target_name(in, d);
  Picture p;
  p.file = "reliability" + suffix(d) + ".png";
  p.title = "Reliability diagram: " + name;
  p.caption =
      "For each level tau, the fraction of rows whose measured value lies below the predicted "
      "tau-quantile. On the diagonal when calibrated; mean |gap| " +
      fmt("%.4f", m.calibration_error_mean) + ", max |gap| " + fmt("%.4f", m.calibration_error_max) + ".";
  std::string g;
  g += "set title " +
       gp_quote("Reliability: " + name + "  (mean |gap| " + fmt("%.4f", m.calibration_error_mean) + ", max " +
                fmt("%.4f", m.calibration_error_max) + ")") +
       "\n";
  g += "set xlabel 'nominal level tau (predicted quantile)'\n";
  g += "set ylabel 'observed fraction of rows with PIT <= tau'\n";
  g += "set xrange [0:1]\nset yrange [0:1]\nset size ratio -1\n";
  g += "set key top left\n";
  g += "plot x with lines dt 2 lw 1.5 lc rgb '#555555' title 'ideal', 'reliability" + suffix(d) +
       ".dat' using 1:2 with linespoints pt 7 ps 0.8 lw 2 lc rgb '#1f77b4' title 'observed'\n";
  g += "set size noratio\nset xrange [*:*]\nset yrange [*:*]\n";
  p.gnuplot = g;
  return p;
}

std::vector<Picture> density_picture(const std::string& dir, const ReportInput& in, int d) {
  const Model& model = *in.context.model;
  if (model.spec.input_dim != 1) return {};
  const DataMatrix& x = in.data->x;
  const MatrixD& t = in.data->t;
  double xlo = 1e300, xhi = -1e300, tlo = 1e300, thi = -1e300;
  for (int r = 0; r < x.rows; ++r) {
    xlo = std::min(xlo, double(x(r, 0))), xhi = std::max(xhi, double(x(r, 0)));
    tlo = std::min(tlo, double(t(r, d))), thi = std::max(thi, double(t(r, d)));
  }
  const double tpad = 0.08 * (thi - tlo) + 1e-9;
  tlo -= tpad;
  thi += tpad;
  if (!(xhi > xlo)) xhi = xlo + 1.0;  // a single input value: still a (thin) picture

  MatrixD grid(kDensityGrid, 1);
  for (int i = 0; i < kDensityGrid; ++i) grid(i, 0) = xlo + (xhi - xlo) * i / (kDensityGrid - 1);
  const MixtureBatch gm = predict_mixtures(*in.backend, model, grid);

  std::string density = "# x  t  p(t | x)   (" + std::to_string(kDensityGrid) + " x " + std::to_string(kDensityGrid) +
                        " grid; blank line between x scans)\n";
  std::vector<double> values;
  std::string curves = "# x  mixture_mean\n", modes = "# x  mode   (every local maximum of p(t | x))\n";
  const PredictiveMoments moments = predictive_moments(gm);  // with the recalibration, if any
  const PitMap* map = gm.pit_map(d);
  for (int i = 0; i < kDensityGrid; ++i) {
    const double* a = gm.alpha.data() + std::size_t(i) * gm.K;
    const double* mu = gm.mu.data() + std::size_t(i) * gm.K * gm.T;
    const double* sg = gm.sigma.data() + std::size_t(i) * gm.K * gm.T;
    double total = 0.0;
    for (int k = 0; k < gm.K; ++k) total += a[k];
    for (int j = 0; j < kDensityGrid; ++j) {
      const double tv = tlo + (thi - tlo) * j / (kDensityGrid - 1);
      // A transformed target's density is f_u(h(t)) h'(t) (mdn/target_transform.hpp),
      // 0 outside h's domain.
      const TargetTransform* h = gm.transform(d);
      const double uv = h == nullptr ? tv : h->in_domain(tv) ? h->forward(tv) : std::nan("");
      double p = std::isnan(uv) ? 0.0 : detail::marginal_pdf(a, mu, sg, gm.K, gm.T, d, uv) / total;
      // A recalibrated density is g(F(t)) f(t) (mdn/pit_map.hpp).
      if (map != nullptr && p > 0.0) p *= map->density(detail::marginal_cdf(a, mu, sg, gm.K, gm.T, d, uv) / total);
      if (h != nullptr && p > 0.0) p *= std::exp(h->log_derivative(tv));
      values.push_back(p);
      density += num(grid(i, 0)) + " " + num(tv) + " " + num(p) + "\n";
    }
    density += "\n";
    curves += num(grid(i, 0)) + " " + num(moments.mean[std::size_t(i) * gm.T + d]) + "\n";
    for (double mode : marginal_modes(gm, i, d)) modes += num(grid(i, 0)) + " " + num(mode) + "\n";
  }
  std::string points = "# x  measured t\n";
  for (int r : spread_rows(x.rows, kMaxDensityPoints)) points += num(x(r, 0)) + " " + num(t(r, d)) + "\n";
  write_text_file(dir, "density" + suffix(d) + ".dat", density);
  write_text_file(dir, "density_curves" + suffix(d) + ".dat", curves);
  write_text_file(dir, "density_modes" + suffix(d) + ".dat", modes);
  write_text_file(dir, "density_points" + suffix(d) + ".dat", points);
  // A very narrow component makes a few cells tower over the rest; saturate
  // the colour scale at the 99th percentile so that the body stays visible.
  std::sort(values.begin(), values.end());
  const double cap = values[std::size_t(0.99 * (values.size() - 1))];

  const std::string name = target_name(in, d), xname = model.feature_names[0];
  Picture p;
  p.file = "density" + suffix(d) + ".png";
  p.title = "Conditional density p(" + name + " | " + xname + ")";
  p.caption =
      "The predicted density of the target at each input (colour, saturating at the 99th percentile), "
      "the measured rows on top (black), the modes of p(t | x) (red; those below 1 % of the highest mode's "
      "density are left out) and the mixture mean (dashed). "
      "Where the data have several branches the mean falls between them; the modes follow them.";
  std::string g;
  g += "set title " + gp_quote("Conditional density p(" + name + " | " + xname + ")") + "\n";
  g += "set xlabel " + gp_quote(xname) + "\n";
  g += "set ylabel " + gp_quote(name) + "\n";
  g += "set cblabel 'p(t | x)'\n";
  g += "set xrange [" + num(xlo) + ":" + num(xhi) + "]\nset yrange [" + num(tlo) + ":" + num(thi) + "]\n";
  g += "set cbrange [0:" + num(cap > 0 ? cap : 1.0) + "]\n";
  g += "set palette defined (0 '#ffffff', 1 '#c6dbef', 2 '#6baed6', 3 '#2171b5', 4 '#08306b')\n";
  g += "set key top left opaque box width 1\n";
  g += "plot 'density" + suffix(d) +
       ".dat' using 1:2:3 with image notitle, "
       "'density_points" +
       suffix(d) +
       ".dat' using 1:2 with points pt 7 ps 0.25 lc rgb '#80000000' title 'data', "
       "'density_modes" +
       suffix(d) +
       ".dat' using 1:2 with points pt 7 ps 0.45 lc rgb '#e31a1c' title 'modes', "
       "'density_curves" +
       suffix(d) + ".dat' using 1:2 with lines dt 2 lw 2 lc rgb '#ff7f00' title 'mean'\n";
  g += "set xrange [*:*]\nset yrange [*:*]\nset cbrange [*:*]\nunset cblabel\nset key noopaque nobox\n";
  p.gnuplot = g;
  return {p};
}

}  // namespace mdn::report
