#include "mdn/grid.hpp"

#include <algorithm>
#include <cmath>

#include "math/full_cov_cell.hpp"
#include "math/recalibrated.hpp"
#include "mdn/detail/marginal_math.hpp"
#include "mdn/error.hpp"

namespace mdn {

double detect_grid_step(const MatrixD& t, int col) {
  if (col < 0 || col >= t.cols) throw Error("detect_grid_step: no such column");
  if (t.rows < kMinGridRows) return 0.0;  // a handful of values always looks like a grid
  std::vector<double> v(t.rows);
  for (int r = 0; r < t.rows; ++r) v[r] = t(r, col);
  std::sort(v.begin(), v.end());
  v.erase(std::unique(v.begin(), v.end()), v.end());
  if (v.size() < 2) return 0.0;
  double h = INFINITY;
  for (std::size_t i = 1; i < v.size(); ++i) h = std::min(h, v[i] - v[i - 1]);
  // Values that went through a float (a float32 export) sit on the float
  // grid at their magnitude (0.0625 near 1e6): a step of one or two of its
  // units says nothing. A step below one unit cannot come from a float at
  // all (integers near 1e9 are exact only in double) and is the data's own,
  // as is a step of several units (integers near 1e6 are 16).
  const double magnitude = std::max(std::fabs(v.front()), std::fabs(v.back()));
  const double float_unit = std::ldexp(1.0, std::ilogb(magnitude) - 23);
  if (!(h > 0.0) || (h >= float_unit && h <= 2.0 * float_unit)) return 0.0;
  // The smallest difference carries the float rounding of two values; the
  // whole range over its number of steps is far more precise. (The smallest
  // difference is a multiple of the true step only when the data skip grid
  // points everywhere; it is the step the data show.)
  const double range = v.back() - v.front();
  h = range / std::round(range / h);
  for (double x : v) {
    const double n = (x - v.front()) / h;
    if (std::fabs(n - std::round(n)) > 0.01) return 0.0;
  }
  // Report a clean step when the float data blur one (0.0099999998 -> 0.01).
  const double p = std::pow(10.0, std::floor(std::log10(h)) - 3);
  return std::round(h / p) * p;
}

namespace {

// A recalibrated one-target row (mdn/pit_map.hpp): the cell's mass is
// G(F(b)) - G(F(a)); inside one band that is the band's height times the
// mixture's own mass of the cell, summed from each component's nearer tail.
double recalibrated_cell_log_mass(const MixtureBatch& mix, int row, double y, double step, const PitMap& g) {
  const detail::RowMarginal f = detail::row_marginal(mix, row, 0);
  if (!(step > 0.0)) return std::log(g.density(f.cdf(y)) * f.pdf(y));
  const double lo = y - 0.5 * step, hi = y + 0.5 * step;
  const double u_lo = f.cdf(lo), u_hi = f.cdf(hi);
  double mass = 0.0;
  if (g.bin(u_lo) == g.bin(u_hi)) {
    for (int k = 0; k < mix.K; ++k) {
      const double mu = mix.mean(row, k, 0), s = mix.stddev(row, k, 0);
      const double a = (lo - mu) / s, b = (hi - mu) / s;
      mass += mix.weight(row, k) / f.total * detail::standard_normal_mass(a, b);
    }
    mass *= g.height(g.bin(u_lo));
  } else {
    mass = g.forward(u_hi) - g.forward(u_lo);
  }
  return mass > 0.0 ? std::log(mass) : -INFINITY;
}

// A row with target transforms (mdn/target_transform.hpp): the cell
// [y - h/2, y + h/2] of target d is [g(y - h/2), g(y + h/2)] in u (its lower
// end -inf where it leaves a log's domain); a continuous target's density
// gains the log Jacobian log g'(y). Recalibrated (T = 1): G of the CDFs.
double transformed_cell_log_mass(const MixtureBatch& mix, int row, const double* t, const std::vector<float>& steps) {
  const auto to_u = [](const TargetTransform* g, double y) {
    if (g == nullptr) return y;
    return g->in_domain(y) ? g->forward(y) : -INFINITY;
  };
  const PitMap* map = mix.T == 1 ? mix.pit_map(0) : nullptr;
  double jacobian = 0.0;
  std::vector<double> lo(mix.T), hi(mix.T);
  for (int d = 0; d < mix.T; ++d) {
    const TargetTransform* g = mix.transform(d);
    if (steps[d] > 0.0f) {
      lo[d] = to_u(g, t[d] - 0.5 * steps[d]);
      hi[d] = to_u(g, t[d] + 0.5 * steps[d]);
    } else {
      if (g != nullptr && !g->in_domain(t[d])) return -INFINITY;
      lo[d] = hi[d] = to_u(g, t[d]);
      jacobian += g != nullptr ? g->log_derivative(t[d]) : 0.0;
    }
  }
  if (map != nullptr) {
    const detail::RowMarginal f = detail::row_marginal(mix, row, 0);
    const double mass = steps[0] > 0.0f ? map->forward(f.cdf(hi[0])) - map->forward(f.cdf(lo[0]))
                                        : map->density(f.cdf(lo[0])) * f.pdf(lo[0]);
    return (mass > 0.0 ? std::log(mass) : -INFINITY) + jacobian;
  }
  double total = 0.0, w = 0.0;
  for (int k = 0; k < mix.K; ++k) {
    double p = mix.weight(row, k);
    w += p;
    for (int d = 0; d < mix.T; ++d) {
      const double mu = mix.mean(row, k, d), s = mix.stddev(row, k, d);
      p *= steps[d] > 0.0f ? detail::standard_normal_mass((lo[d] - mu) / s, (hi[d] - mu) / s)
                           : detail::standard_normal_pdf((lo[d] - mu) / s) / s;
    }
    total += p;
  }
  return (total > 0.0 ? std::log(total / w) : -INFINITY) + jacobian;
}

}  // namespace

double cell_log_mass(const MixtureBatch& mix, int row, const double* t, const std::vector<float>& steps) {
  if (int(steps.size()) != mix.T) throw Error("cell_log_mass: one step per target is needed");
  if (mix.full_covariance()) return detail::full_covariance_cell_log_mass(mix, row, t, steps);
  if (!mix.pit_maps.empty() && mix.T != 1) throw Error("cell_log_mass: a recalibrated mixture must have one target");
  if (mix.transformed()) return transformed_cell_log_mass(mix, row, t, steps);
  if (!mix.pit_maps.empty()) {
    if (const PitMap* g = mix.pit_map(0)) return recalibrated_cell_log_mass(mix, row, t[0], steps[0], *g);
  }
  const double half_log_2pi = 0.5 * std::log(2.0 * 3.14159265358979323846);
  std::vector<double> l(mix.K);
  double lmax = -INFINITY;
  for (int k = 0; k < mix.K; ++k) {
    double lk = std::log(double(mix.weight(row, k)));
    for (int d = 0; d < mix.T; ++d) {
      const double mu = mix.mean(row, k, d), s = mix.stddev(row, k, d);
      if (steps[d] > 0.0f) {
        const double a = (t[d] - 0.5 * steps[d] - mu) / s, b = (t[d] + 0.5 * steps[d] - mu) / s;
        const double mass = detail::standard_normal_mass(a, b);
        lk += mass > 0.0 ? std::log(mass) : -INFINITY;
      } else {
        const double u = (t[d] - mu) / s;
        lk += -0.5 * u * u - std::log(s) - half_log_2pi;
      }
    }
    l[k] = lk;
    lmax = std::max(lmax, lk);
  }
  if (!std::isfinite(lmax)) return -INFINITY;
  double sum = 0.0;
  for (double v : l) sum += std::exp(v - lmax);
  return lmax + std::log(sum);
}

}  // namespace mdn
