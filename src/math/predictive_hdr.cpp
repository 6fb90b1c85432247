// Highest-density regions of a 1-D mixture marginal.
//
// For a threshold c the region {y : p(y) > c} is a union of intervals whose
// ends are the crossings p(y) = c, and its mass m(c) = sum F(hi) - F(lo)
// falls continuously from 1 (c = 0) to 0 (c = max p). The threshold with
// m(c) = coverage is found by safeguarded Newton on c, using
//   dm/dc = -c * sum_crossings 1 / |p'(y)|        (coarea formula)
// with bisection as the fallback. Crossings are located on a grid of each
// component's own scale (mu_k + sigma_k * [-8, 8] in steps of 1/4, merged)
// plus every critical point of p found between its points, where p - c
// changes sign, then refined by safeguarded Newton on p - c.
// Far from every component (> 8 sigma_k) the density is below the thresholds
// of any coverage up to 1 - 1e-14, so no crossing lies outside the grid.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

#include "math/parallel_rows.hpp"
#include "math/mixture_row.hpp"
#include "math/recalibrated.hpp"
#include "math/transformed.hpp"
#include "mdn/detail/root_finding.hpp"
#include "mdn/detail/marginal_math.hpp"
#include "math/format_number.hpp"
#include "mdn/error.hpp"
#include "mdn/predictive.hpp"

namespace mdn {
namespace {
using detail::format_number;
}  // namespace

namespace {

constexpr double kGridHalfWidth = 8.0;  // in sigmas of each component
constexpr int kGridStepsPerSigma = 4;

struct Marginal {
  detail::MixtureRow m;
  int d;
  double total;  // sum of the weights (1 up to float rounding)
  // Recalibrated: p(y) = g(F(y)) f(y), g a step function of F with a jump
  // at each band edge (mdn/pit_map.hpp). Null: p = f.
  const PitMap* map = nullptr;
  // The band whose height scales pdf(): -1 = the band of y itself. Set to a
  // segment's band while solving inside it, so its ends (band edges, where
  // F(y) may round to either side) keep that band's height.
  int band = -1;

  double base_cdf(double y) const { return detail::marginal_cdf(m.alpha, m.mu, m.sigma, m.K, m.T, d, y) / total; }
  double cdf(double y) const { return map != nullptr ? map->forward(base_cdf(y)) : base_cdf(y); }
  double height(double y) const {
    if (map == nullptr) return 1.0;
    return map->height(band >= 0 ? band : map->bin(base_cdf(y)));
  }
  // p(y) and p'(y).
  void pdf(double y, double& p, double& dp) const {
    base_pdf(y, p, dp);
    const double h = height(y);
    p *= h;
    dp *= h;
  }
  void base_pdf(double y, double& p, double& dp) const {
    p = dp = 0.0;
    for (int k = 0; k < m.K; ++k) {
      const double s = m.sigma[k * m.T + d], u = (y - double(m.mu[k * m.T + d])) / s;
      const double term = double(m.alpha[k]) * detail::standard_normal_pdf(u) / s;
      p += term;
      dp -= term * u / s;
    }
    p /= total;
    dp /= total;
  }
  double pdf(double y) const {
    double p, dp;
    pdf(y, p, dp);
    return p;
  }
  // p(y), p'(y) and p''(y).
  void derivatives(double y, double& p, double& dp, double& d2p) const {
    p = dp = d2p = 0.0;
    for (int k = 0; k < m.K; ++k) {
      const double s = m.sigma[k * m.T + d], u = (y - double(m.mu[k * m.T + d])) / s;
      const double term = double(m.alpha[k]) * detail::standard_normal_pdf(u) / s;
      p += term;
      dp -= term * u / s;
      d2p += term * (u * u - 1.0) / (s * s);
    }
    p /= total;
    dp /= total;
    d2p /= total;
  }
};

// The critical point of p between a and b where p' changes sign (p'(a) and
// p'(b) of opposite signs): safeguarded Newton on p' (or -p'), with p''.
double critical_point(const Marginal& g, double a, double b, bool maximum, double f_tol) {
  const double sign = maximum ? -1.0 : 1.0;  // make the function increasing
  const auto fdf = [&](double y, double& f, double& df) {
    double p, dp, d2p;
    g.derivatives(y, p, dp, d2p);
    f = sign * dp;
    df = sign * d2p;
  };
  return detail::safeguarded_newton(fdf, a, b, f_tol);
}

struct Crossings {
  std::vector<Interval> intervals;
  double mass = 0.0;
  double inverse_slopes = 0.0;  // sum over crossings of 1 / |p'|
};

// The region {p > c} from the precomputed grid values.
Crossings region_above(const Marginal& g, const std::vector<double>& grid, const std::vector<double>& p_grid,
                       double c) {
  Crossings out;
  // Crossing between grid[i] (one side) and grid[i + 1]; `rising` when p goes up through c.
  const auto crossing = [&](std::size_t i, bool rising) {
    if (grid[i] == grid[i + 1]) return grid[i];  // a jump of a recalibrated density at a band edge
    Marginal segment = g;
    if (g.map != nullptr) segment.band = g.map->bin(g.base_cdf(0.5 * (grid[i] + grid[i + 1])));
    const double sign = rising ? 1.0 : -1.0;
    const auto fdf = [&](double y, double& f, double& df) {
      segment.pdf(y, f, df);
      f = sign * (f - c);
      df = sign * df;
    };
    const double y = detail::safeguarded_newton(fdf, grid[i], grid[i + 1], 1e-14 * c);
    double p, dp;
    segment.pdf(y, p, dp);
    if (std::fabs(dp) > 0.0) out.inverse_slopes += 1.0 / std::fabs(dp);
    return y;
  };
  bool inside = p_grid[0] > c;
  double start = grid[0];
  for (std::size_t i = 0; i + 1 < grid.size(); ++i) {
    const bool next_inside = p_grid[i + 1] > c;
    if (next_inside == inside) continue;
    const double y = crossing(i, next_inside);
    if (next_inside) {
      start = y;
    } else {
      out.intervals.push_back({start, y});
    }
    inside = next_inside;
  }
  if (inside) out.intervals.push_back({start, grid.back()});
  for (const auto& iv : out.intervals) out.mass += g.cdf(iv.hi) - g.cdf(iv.lo);
  return out;
}

// A recalibrated density jumps at each band edge q_j = F^-1(j / M): the edge
// joins the grid twice, with the density's left and right limits, so every
// segment between grid points lies inside one band.
void add_band_edges(const Marginal& g, std::vector<double>& grid, std::vector<double>& p_grid) {
  const detail::RowMarginal f{g.m, g.d, g.total};
  const std::vector<double> edges = detail::band_edges(f, *g.map);
  for (int j = 1; j < g.map->bins(); ++j) {
    const double q = edges[std::size_t(j)], p = f.pdf(q);
    const std::size_t at = std::size_t(std::upper_bound(grid.begin(), grid.end(), q) - grid.begin());
    grid.insert(grid.begin() + std::ptrdiff_t(at), {q, q});
    p_grid.insert(p_grid.begin() + std::ptrdiff_t(at), {g.map->height(j - 1) * p, g.map->height(j) * p});
  }
}

}  // namespace

void validate_coverage(double coverage) {
  if (!(coverage > 0.0 && coverage < 1.0))
    throw UsageError("highest-density interval coverage must be strictly between 0 and 1, got " +
                     format_number(coverage));
}

DensityRegion highest_density_region(const MixtureBatch& mix, int row, int d, double coverage) {
  validate_coverage(coverage);
  if (row < 0 || row >= mix.rows || d < 0 || d >= mix.T)
    throw Error("highest_density_region: row or dimension out of range");
  if (mix.transform(d) != nullptr) return detail::transformed_hdr(detail::transformed_marginal(mix, row, d), coverage);
  Marginal g{detail::mixture_row(mix, row), d, 0.0, mix.pit_map(d)};
  for (int k = 0; k < g.m.K; ++k) g.total += double(g.m.alpha[k]);
  if (!(g.total > 0.0)) throw Error("highest_density_region: the mixture has no component with positive weight");

  std::vector<double> grid;
  const int half = int(kGridHalfWidth * kGridStepsPerSigma);
  for (int k = 0; k < g.m.K; ++k) {
    if (!(g.m.alpha[k] > 0.0f)) continue;
    const double mu = g.m.mu[k * g.m.T + d], s = g.m.sigma[k * g.m.T + d];
    for (int i = -half; i <= half; ++i) grid.push_back(mu + s * (double(i) / kGridStepsPerSigma));
  }
  // Every critical point of p joins the grid (located where p' changes sign
  // between grid points), so p is monotone between neighbouring grid points:
  // each crossing of a level is found, however narrow the interval above
  // (or the gap below) it, and the mass stays continuous in c.
  std::sort(grid.begin(), grid.end());
  grid.erase(std::unique(grid.begin(), grid.end()), grid.end());
  std::vector<double> p_grid(grid.size()), dp_grid(grid.size());
  for (std::size_t i = 0; i < grid.size(); ++i) g.pdf(grid[i], p_grid[i], dp_grid[i]);
  const std::size_t n = grid.size();
  for (std::size_t i = 0; i + 1 < n; ++i) {
    const bool peak = dp_grid[i] > 0.0 && dp_grid[i + 1] < 0.0, dip = dp_grid[i] < 0.0 && dp_grid[i + 1] > 0.0;
    if (!peak && !dip) continue;
    const double y = critical_point(g, grid[i], grid[i + 1], peak,
                                    1e-14 * std::max(std::fabs(dp_grid[i]), std::fabs(dp_grid[i + 1])));
    grid.push_back(y);
    p_grid.push_back(g.pdf(y));
  }
  // Sort the grid with its values, drop duplicates.
  std::vector<std::size_t> order(grid.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return grid[a] < grid[b]; });
  std::vector<double> sorted_grid, sorted_p;
  for (const std::size_t i : order) {
    if (!sorted_grid.empty() && sorted_grid.back() == grid[i]) continue;
    sorted_grid.push_back(grid[i]);
    sorted_p.push_back(p_grid[i]);
  }
  grid.swap(sorted_grid);
  p_grid.swap(sorted_p);
  if (g.map != nullptr) add_band_edges(g, grid, p_grid);
  double c_hi = 0.0;
  for (const double p : p_grid) c_hi = std::max(c_hi, p);

  // m(c) - coverage is decreasing in c: bracket [c_lo, c_hi] with m(c_lo) >= coverage >= m(c_hi).
  double c_lo = 0.0;
  double c = 0.5 * c_hi;
  Crossings region;
  double c_region = c;  // the threshold `region` was computed at
  for (int it = 0; it < 200; ++it) {
    region = region_above(g, grid, p_grid, c);
    c_region = c;
    const double f = region.mass - coverage;
    if (std::fabs(f) <= 1e-13) break;
    if (f > 0.0)
      c_lo = c;
    else
      c_hi = c;
    const double slope = -c * region.inverse_slopes;  // dm/dc
    const double newton = slope < 0.0 ? c - f / slope : std::numeric_limits<double>::quiet_NaN();
    c = (newton > c_lo && newton < c_hi) ? newton : 0.5 * (c_lo + c_hi);
    if (!(c_hi - c_lo > 1e-15 * c_hi)) {
      region = region_above(g, grid, p_grid, c);
      c_region = c;
      break;
    }
  }
  // A recalibrated density's jumps can split the region into more pieces
  // than K (the prediction's interval columns): the narrowest gaps are
  // closed until K remain, which adds their (small) mass.
  if (g.map != nullptr && int(region.intervals.size()) > g.m.K) {
    auto& iv = region.intervals;
    while (int(iv.size()) > g.m.K) {
      std::size_t best = 1;
      for (std::size_t i = 2; i < iv.size(); ++i)
        if (iv[i].lo - iv[i - 1].hi < iv[best].lo - iv[best - 1].hi) best = i;
      iv[best - 1].hi = iv[best].hi;
      iv.erase(iv.begin() + std::ptrdiff_t(best));
    }
    region.mass = 0.0;
    for (const auto& i : iv) region.mass += g.cdf(i.hi) - g.cdf(i.lo);
  }
  DensityRegion out;
  out.intervals = std::move(region.intervals);
  out.threshold = c_region;
  out.mass = region.mass;
  return out;
}

std::vector<DensityRegion> predictive_hdr(const MixtureBatch& mix, int d, double coverage) {
  validate_coverage(coverage);
  if (d < 0 || d >= mix.T) throw Error("predictive_hdr: dimension out of range");
  std::vector<DensityRegion> out(mix.rows);
  detail::for_each_row(mix.rows, 16, [&](int r) { out[r] = highest_density_region(mix, r, d, coverage); });
  return out;
}

}  // namespace mdn
