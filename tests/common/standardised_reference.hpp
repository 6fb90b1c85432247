// An independent reference for predictions far from 0: one row's mixture
// read straight from the head outputs in standardised units (where every
// number is O(1) and double is exact enough), its statistics computed there
// by the plainest formulas, then mapped to original units by hand
// (t = t_mean + t_scale * u). Written separately from the library's shared
// math (no detail/ headers), so a cancellation or a float rounding in the
// library's original-unit path cannot hide in the reference too.
#pragma once
#include <algorithm>
#include <cmath>
#include <vector>

#include "mdn/matrix.hpp"
#include "mdn/spec.hpp"

namespace mdn::test {

struct StandardisedRow {
  std::vector<double> w, m, s;  // normalised weights, means, sigmas (one target dimension)

  // From one head row z = [a (K) | log sigma (K x T) | mean (K x T)], dimension d.
  static StandardisedRow from_head(const ModelSpec& spec, const float* z, int d) {
    const int K = spec.components, T = spec.target_dim;
    StandardisedRow row;
    double top = z[0];
    for (int k = 1; k < K; ++k) top = std::max(top, double(z[k]));
    double total = 0.0;
    for (int k = 0; k < K; ++k) total += std::exp(double(z[k]) - top);
    for (int k = 0; k < K; ++k) {
      const double log_sigma =
          std::min(std::max(double(z[K + k * T + d]), double(spec.log_sigma_min)), double(spec.log_sigma_max));
      row.w.push_back(std::exp(double(z[k]) - top) / total);
      row.s.push_back(std::exp(log_sigma));
      row.m.push_back(double(z[K + K * T + k * T + d]));
    }
    return row;
  }

  double mean() const {
    double a = 0.0;
    for (std::size_t k = 0; k < w.size(); ++k) a += w[k] * m[k];
    return a;
  }
  double stddev() const {
    const double c = mean();
    double v = 0.0;
    for (std::size_t k = 0; k < w.size(); ++k) v += w[k] * (s[k] * s[k] + (m[k] - c) * (m[k] - c));
    return std::sqrt(v);
  }
  double cdf(double u) const {
    double f = 0.0;
    for (std::size_t k = 0; k < w.size(); ++k) f += w[k] * 0.5 * std::erfc(-(u - m[k]) / (s[k] * std::sqrt(2.0)));
    return f;
  }
  double pdf(double u) const {
    double p = 0.0;
    for (std::size_t k = 0; k < w.size(); ++k) {
      const double e = (u - m[k]) / s[k];
      p += w[k] * std::exp(-0.5 * e * e) / (s[k] * std::sqrt(2.0 * M_PI));
    }
    return p;
  }
  double lowest() const {
    double a = m[0] - 12.0 * s[0];
    for (std::size_t k = 1; k < w.size(); ++k) a = std::min(a, m[k] - 12.0 * s[k]);
    return a;
  }
  double highest() const {
    double b = m[0] + 12.0 * s[0];
    for (std::size_t k = 1; k < w.size(); ++k) b = std::max(b, m[k] + 12.0 * s[k]);
    return b;
  }
  // The level-quantile by plain bisection.
  double quantile(double level) const {
    double a = lowest(), b = highest();
    for (int i = 0; i < 200; ++i) {
      const double c = 0.5 * (a + b);
      (cdf(c) < level ? a : b) = c;
    }
    return 0.5 * (a + b);
  }
  // CRPS = int (F(u) - 1{u >= y})^2 du by the composite Simpson rule.
  double crps(double y) const {
    const double a = std::min(lowest(), y - 1.0), b = std::max(highest(), y + 1.0);
    const auto f = [&](double u) {
      const double g = cdf(u) - (u >= y ? 1.0 : 0.0);
      return g * g;
    };
    // Two pieces meeting at y, where the integrand jumps.
    double total = 0.0;
    for (const auto& [lo, hi] : {std::pair{a, y}, std::pair{y, b}}) {
      const int n = 20000;  // even
      const double h = (hi - lo) / n;
      double sum = f(lo + 1e-12 * h) + f(hi - 1e-12 * h);
      for (int i = 1; i < n; ++i) sum += (i % 2 ? 4.0 : 2.0) * f(lo + i * h);
      total += sum * h / 3.0;
    }
    return total;
  }
};

}  // namespace mdn::test
