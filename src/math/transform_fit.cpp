#include "mdn/transform_fit.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "math/format_number.hpp"
#include "mdn/error.hpp"
#include "mdn/spelling.hpp"

namespace mdn {

double gaussian_loglik_per_row(const TargetTransform& g, const std::vector<double>& y) {
  const double n = double(y.size());
  if (y.empty()) return -std::numeric_limits<double>::infinity();
  // Two passes, centred, in double: the variance keeps its digits at large offsets.
  double mean = 0.0, jac = 0.0;
  for (double v : y) {
    if (!g.in_domain(v)) return -std::numeric_limits<double>::infinity();
    mean += g.forward(v);
    jac += g.log_derivative(v);
  }
  mean /= n;
  double var = 0.0;
  for (double v : y) {
    const double d = g.forward(v) - mean;
    var += d * d;
  }
  var /= n;
  if (!(var > 0.0) || !std::isfinite(var)) return -std::numeric_limits<double>::infinity();
  const double two_pi_e = 2.0 * 3.14159265358979323846 * std::exp(1.0);
  return -0.5 * std::log(two_pi_e * var) + jac / n;
}

double fit_yeo_johnson(const std::vector<double>& y) {
  const auto score = [&](double lambda) {
    return gaussian_loglik_per_row(TargetTransform{TargetTransformKind::YeoJohnson, lambda}, y);
  };
  constexpr int kGrid = 40;
  const double lo = kYeoJohnsonMinLambda, hi = kYeoJohnsonMaxLambda, step = (hi - lo) / kGrid;
  int best = 0;
  double best_score = -std::numeric_limits<double>::infinity();
  for (int i = 0; i <= kGrid; ++i) {
    const double s = score(lo + step * i);
    if (s > best_score) best_score = s, best = i;
  }
  // Golden-section on the grid cell either side of the best point (the
  // likelihood is smooth and, on every set tried, unimodal in lambda).
  double a = std::max(lo, lo + step * (best - 1)), b = std::min(hi, lo + step * (best + 1));
  const double phi = 0.5 * (std::sqrt(5.0) - 1.0);
  double c = b - phi * (b - a), d = a + phi * (b - a), fc = score(c), fd = score(d);
  while (b - a > 1e-6) {
    if (fc >= fd) b = d, d = c, fd = fc, c = b - phi * (b - a), fc = score(c);
    else a = c, c = d, fc = fd, d = a + phi * (b - a), fd = score(d);
  }
  const double refined = 0.5 * (a + b);
  return score(refined) >= best_score ? refined : lo + step * best;
}

namespace {

double least(const std::vector<double>& y, double smallest) {
  double m = std::isnan(smallest) ? std::numeric_limits<double>::infinity() : smallest;
  for (double v : y) m = std::min(m, v);
  return m;
}

void check_log_domain(const std::vector<double>& y, const std::string& column, double smallest_given) {
  const double smallest = least(y, smallest_given);
  if (!(smallest > 0.0))
    throw UsageError("target transform log: target column '" + column + "' has values <= 0 (smallest " +
                     detail::format_number(smallest) +
                     "); log needs every value > 0: use yeo-johnson, or shift the column");
}

}  // namespace

TargetTransform choose_target_transform(TrainOptions::TargetTransformMode mode, const std::vector<double>& y,
                                        const std::string& column, double smallest) {
  using Mode = TrainOptions::TargetTransformMode;
  switch (mode) {
    case Mode::None: return {};
    case Mode::Log: check_log_domain(y, column, smallest); return {TargetTransformKind::Log, 1.0};
    case Mode::YeoJohnson: return {TargetTransformKind::YeoJohnson, fit_yeo_johnson(y)};
    case Mode::Auto: break;
  }
  const TargetTransform none{};
  TargetTransform best = none;
  const double base = gaussian_loglik_per_row(none, y);
  double best_score = base;
  const TargetTransform yj{TargetTransformKind::YeoJohnson, fit_yeo_johnson(y)};
  const double yj_score = gaussian_loglik_per_row(yj, y);
  if (yj_score > best_score) best = yj, best_score = yj_score;
  const TargetTransform log_g{TargetTransformKind::Log, 1.0};
  const double log_score = least(y, smallest) > 0.0 ? gaussian_loglik_per_row(log_g, y)
                                                    : -std::numeric_limits<double>::infinity();
  if (log_score > best_score) best = log_g, best_score = log_score;
  return best_score > base + kAutoTransformMinGain ? best : none;
}

namespace {
constexpr const char* kModeNames[] = {"none", "log", "yeo-johnson", "auto"};
}  // namespace

TrainOptions::TargetTransformMode parse_target_transform_mode(const std::string& name) {
  for (int i = 0; i < 4; ++i)
    if (name == kModeNames[i]) return TrainOptions::TargetTransformMode(i);
  const std::string near = closest_name(name, {kModeNames[0], kModeNames[1], kModeNames[2], kModeNames[3]});
  throw UsageError("target transform '" + name + "' is not one of none, log, yeo-johnson, auto" +
                   (near.empty() ? "" : "; did you mean " + near + "?"));
}

std::vector<TrainOptions::TargetTransformMode> parse_target_transform_modes(const std::string& list) {
  std::vector<TrainOptions::TargetTransformMode> out;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = list.find(',', start);
    out.push_back(parse_target_transform_mode(list.substr(start, comma == std::string::npos ? comma : comma - start)));
    if (comma == std::string::npos) return out;
    start = comma + 1;
  }
}

const char* target_transform_mode_name(TrainOptions::TargetTransformMode mode) { return kModeNames[int(mode)]; }

}  // namespace mdn
