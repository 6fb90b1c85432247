#include "math/transformed.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "mdn/error.hpp"

namespace mdn::detail {

double TransformedMarginal::cdf(double y) const {
  if (!g.in_domain(y)) return 0.0;
  const double u = f.cdf(g.forward(y));
  return map != nullptr ? map->forward(u) : u;
}

double TransformedMarginal::pdf_at_v(double v) const {
  double p = f.pdf(v);
  if (map != nullptr) p *= map->density(f.cdf(v));
  const double y = g.inverse(v);
  return std::isfinite(y) ? p * std::exp(g.log_derivative(y)) : 0.0;
}

double TransformedMarginal::pdf(double y) const { return g.in_domain(y) ? pdf_at_v(g.forward(y)) : 0.0; }

TransformedMarginal transformed_marginal(const MixtureBatch& mix, int row, int d) {
  TransformedMarginal m{row_marginal(mix, row, d), mix.transforms[std::size_t(d)], mix.pit_map(d)};
  return m;
}

namespace {

constexpr double kNodes[8] = {-0.9602898564975363, -0.7966664774136267, -0.5255324099163290, -0.1834346424956498,
                              0.1834346424956498,  0.5255324099163290,  0.7966664774136267,  0.9602898564975363};
constexpr double kWeights[8] = {0.1012285362903763, 0.2223810344533745, 0.3137066458778873, 0.3626837833783620,
                                0.3626837833783620, 0.3137066458778873, 0.2223810344533745, 0.1012285362903763};

// Where the integrands of this file change character, in v (see the header).
// `moments` adds each component's far right (mu + 2 s^2 + 8 s, where e^{2v}
// times its density peaks for a log transform). Points of the mixture closer
// than half the smallest sigma to the one before are dropped (they
// come from components on top of each other, and a piece that short adds
// nodes, not accuracy); the map's band edges, where G' jumps, all stay.
std::vector<double> breakpoints(const TransformedMarginal& m, bool moments) {
  static constexpr double kSteps[] = {-10, -6, -4, -3, -2, -1, 0, 1, 2, 3, 4, 6, 10};
  std::vector<double> pts;
  const RowMarginal& f = m.f;
  double smallest = std::numeric_limits<double>::infinity();
  for (int k = 0; k < f.m.K; ++k) {
    if (!(f.m.alpha[k] > 0.0)) continue;
    const double mu = f.m.mu[k * f.m.T + f.d], s = f.m.sigma[k * f.m.T + f.d];
    smallest = std::fmin(smallest, s);
    for (double c : kSteps) pts.push_back(mu + c * s);
    if (moments && m.g.kind != TargetTransformKind::None) {
      pts.push_back(mu + s * s);
      pts.push_back(mu + 2 * s * s);
      pts.push_back(mu + 2 * s * s + 8 * s);
    }
  }
  std::sort(pts.begin(), pts.end());
  std::size_t kept = 0;
  for (std::size_t i = 0; i < pts.size(); ++i)
    if (kept == 0 || pts[i] - pts[kept - 1] >= 0.5 * smallest) pts[kept++] = pts[i];
  if (kept > 0) pts[kept - 1] = pts.back();  // the far right end stays where it was
  pts.resize(kept);
  if (m.map != nullptr)
    for (double e : band_edges(f, *m.map))
      if (std::isfinite(e)) pts.push_back(e);
  std::sort(pts.begin(), pts.end());
  pts.erase(std::unique(pts.begin(), pts.end()), pts.end());
  return pts;
}

// Calls visit(v, w) at the nodes v and weights w of one 8-point
// Gauss-Legendre piece between each pair of neighbouring points: the sum of
// w h(v) is the integral of h over [pts.front(), pts.back()].
template <class Visit>
void for_each_node(const std::vector<double>& pts, Visit visit) {
  for (std::size_t i = 0; i + 1 < pts.size(); ++i) {
    const double half = 0.5 * (pts[i + 1] - pts[i]), centre = 0.5 * (pts[i] + pts[i + 1]);
    for (int n = 0; n < 8; ++n) visit(centre + half * kNodes[n], half * kWeights[n]);
  }
}

template <class H>
double integrate(const std::vector<double>& pts, H h) {
  double total = 0.0;
  for_each_node(pts, [&](double v, double w) { total += w * h(v); });
  return total;
}

// The mixture's density in v under the map (no Jacobian): the weight of v.
double v_density(const TransformedMarginal& m, double v) {
  const double p = m.f.pdf(v);
  return m.map != nullptr ? p * m.map->density(m.f.cdf(v)) : p;
}

}  // namespace

void transformed_moments(const TransformedMarginal& m, double& mean, double& variance) {
  const RowMarginal& f = m.f;
  if (m.g.kind == TargetTransformKind::Log && m.map == nullptr) {
    // A lognormal mixture: component means m_k = exp(mu + s^2 / 2), variances
    // m_k^2 (e^{s^2} - 1); overflow gives inf, never NaN from inf - inf.
    mean = 0.0;
    for (int k = 0; k < f.m.K; ++k)
      if (f.m.alpha[k] > 0.0) {
        const double mu = f.m.mu[k * f.m.T + f.d], s = f.m.sigma[k * f.m.T + f.d];
        mean += f.m.alpha[k] / f.total * std::exp(mu + 0.5 * s * s);
      }
    variance = 0.0;
    for (int k = 0; k < f.m.K; ++k)
      if (f.m.alpha[k] > 0.0) {
        const double mu = f.m.mu[k * f.m.T + f.d], s = f.m.sigma[k * f.m.T + f.d];
        const double mk = std::exp(mu + 0.5 * s * s);
        variance += f.m.alpha[k] / f.total * (mk * mk * std::expm1(s * s) + (mk - mean) * (mk - mean));
      }
    if (!std::isfinite(variance)) variance = std::numeric_limits<double>::infinity();
    return;
  }
  // One pass: the mass and the first two moments about c0 = g^-1 of the
  // mixture's mean in v, near the mean in y, so that the variance
  // E[(y - c0)^2] - (mean - c0)^2 loses no digits to a large offset.
  double v_mean = 0.0;
  for (int k = 0; k < f.m.K; ++k)
    if (f.m.alpha[k] > 0.0) v_mean += f.m.alpha[k] / f.total * f.m.mu[k * f.m.T + f.d];
  double c0 = m.g.inverse(v_mean);
  if (!std::isfinite(c0)) c0 = 0.0;
  double mass = 0.0, first = 0.0, second = 0.0;
  for_each_node(breakpoints(m, true), [&](double v, double w) {
    const double p = w * v_density(m, v), x = m.g.inverse(v) - c0;
    mass += p;
    first += p * x;
    second += p * x * x;
  });
  const double shift = first / mass;
  mean = c0 + shift;
  variance = std::fmax(0.0, second / mass - shift * shift);
}

double transformed_crps(const TransformedMarginal& m, double y) {
  std::vector<double> pts = breakpoints(m, false);
  const double lo = pts.front(), hi = pts.back();
  const double vy = m.g.in_domain(y) ? m.g.forward(y) : -std::numeric_limits<double>::infinity();
  double total = 0.0;
  // Beyond [lo, hi] the CDF is 0 (below) or 1 (above) to within the
  // mixture's mass past 10 sigmas: only where the step differs does
  // (F - 1{x >= y})^2 count, as the length of that stretch in x.
  if (vy < lo) total += m.g.inverse(lo) - y;
  if (vy > hi) total += y - m.g.inverse(hi);
  if (vy > lo && vy < hi) {
    pts.insert(std::upper_bound(pts.begin(), pts.end(), vy), vy);
  }
  total += integrate(pts, [&](double v) {
    const double u = m.f.cdf(v);
    const double F = m.map != nullptr ? m.map->forward(u) : u;
    const double step = v >= vy ? 1.0 : 0.0;
    const double x = m.g.inverse(v);
    const double dx_dv = std::isfinite(x) ? std::exp(-m.g.log_derivative(x)) : 0.0;
    return (F - step) * (F - step) * dx_dv;
  });
  return total;
}

namespace {

// The v grid of the modes and the HDR: each component's mean +- 8 sigmas in
// sixteenths of a sigma, and the map's band edges (just either side).
std::vector<double> density_grid(const TransformedMarginal& m) {
  std::vector<double> grid;
  const RowMarginal& f = m.f;
  for (int k = 0; k < f.m.K; ++k) {
    if (!(f.m.alpha[k] > 0.0)) continue;
    const double mu = f.m.mu[k * f.m.T + f.d], s = f.m.sigma[k * f.m.T + f.d];
    for (int i = -128; i <= 128; ++i) grid.push_back(mu + s * (i / 16.0));
  }
  if (m.map != nullptr)
    for (double e : band_edges(f, *m.map))
      if (std::isfinite(e)) {
        const double eps = 1e-9 * std::fmax(1.0, std::fabs(e));
        grid.push_back(e - eps);
        grid.push_back(e + eps);
      }
  std::sort(grid.begin(), grid.end());
  grid.erase(std::unique(grid.begin(), grid.end()), grid.end());
  return grid;
}

// The v of the maximum of p on [a, b] (golden section; p unimodal there).
template <class P>
double golden_max(P p, double a, double b) {
  const double r = 0.5 * (std::sqrt(5.0) - 1.0);
  double c = b - r * (b - a), d = a + r * (b - a), pc = p(c), pd = p(d);
  for (int it = 0; it < 100 && b - a > 1e-13 * std::fmax(1.0, std::fabs(a)); ++it) {
    if (pc >= pd) b = d, d = c, pd = pc, c = b - r * (b - a), pc = p(c);
    else a = c, c = d, pc = pd, d = a + r * (b - a), pd = p(d);
  }
  return 0.5 * (a + b);
}

}  // namespace

std::vector<Mode> transformed_modes(const TransformedMarginal& m) {
  const std::vector<double> grid = density_grid(m);
  std::vector<double> p(grid.size());
  for (std::size_t i = 0; i < grid.size(); ++i) p[i] = m.pdf_at_v(grid[i]);
  std::vector<Mode> modes;
  const auto density = [&](double v) { return m.pdf_at_v(v); };
  for (std::size_t i = 0; i < grid.size(); ++i) {
    const double left = i > 0 ? p[i - 1] : 0.0, right = i + 1 < grid.size() ? p[i + 1] : 0.0;
    if (!(p[i] > 0.0 && p[i] >= left && p[i] > right)) continue;
    const double v = golden_max(density, grid[i > 0 ? i - 1 : i], grid[i + 1 < grid.size() ? i + 1 : i]);
    const double best_v = m.pdf_at_v(v) >= p[i] ? v : grid[i];
    modes.push_back({{m.g.inverse(best_v)}, m.pdf_at_v(best_v)});
  }
  std::stable_sort(modes.begin(), modes.end(), [](const Mode& a, const Mode& b) { return a.density > b.density; });
  if (int(modes.size()) > m.f.m.K) modes.resize(std::size_t(m.f.m.K));
  return modes;
}

namespace {

// The mixture's probability of v in [a, b], under the map.
double v_mass(const TransformedMarginal& m, double a, double b) {
  const auto F = [&](double v) {
    const double u = m.f.cdf(v);
    return m.map != nullptr ? m.map->forward(u) : u;
  };
  return F(b) - F(a);
}

// {v : p(v) > c} on the grid, its ends by linear interpolation (refine:
// bisection on p - c instead), as intervals in v.
std::vector<Interval> above(const TransformedMarginal& m, const std::vector<double>& grid,
                            const std::vector<double>& p, double c, bool refine) {
  std::vector<Interval> out;
  const auto crossing = [&](std::size_t i) {
    double a = grid[i], b = grid[i + 1];
    if (!refine) return a + (c - p[i]) / (p[i + 1] - p[i]) * (b - a);
    const bool rising = p[i] < p[i + 1];
    for (int it = 0; it < 60; ++it) {
      const double mid = 0.5 * (a + b);
      ((m.pdf_at_v(mid) > c) == rising ? b : a) = mid;
    }
    return 0.5 * (a + b);
  };
  bool inside = p[0] > c;
  double start = grid[0];
  for (std::size_t i = 0; i + 1 < grid.size(); ++i) {
    const bool next = p[i + 1] > c;
    if (next == inside) continue;
    const double x = crossing(i);
    if (next) start = x;
    else out.push_back({start, x});
    inside = next;
  }
  if (inside) out.push_back({start, grid.back()});
  return out;
}

}  // namespace

DensityRegion transformed_hdr(const TransformedMarginal& m, double coverage) {
  const std::vector<double> grid = density_grid(m);
  std::vector<double> p(grid.size());
  double c_hi = 0.0;
  for (std::size_t i = 0; i < grid.size(); ++i) c_hi = std::max(c_hi, p[i] = m.pdf_at_v(grid[i]));
  const auto mass_of = [&](const std::vector<Interval>& iv) {
    double s = 0.0;
    for (const Interval& i : iv) s += v_mass(m, i.lo, i.hi);
    return s;
  };
  // The mass above c falls as c rises: bisection for mass = coverage, first
  // with interpolated ends (cheap), then with exact ends from a bracket
  // around that answer (widened until it brackets).
  double c_lo = 0.0;
  for (int it = 0; it < 60 && c_hi - c_lo > 1e-12 * c_hi; ++it) {
    const double c = 0.5 * (c_lo + c_hi);
    (mass_of(above(m, grid, p, c, false)) > coverage ? c_lo : c_hi) = c;
  }
  const double top = c_hi;
  const auto exact_mass = [&](double c) { return mass_of(above(m, grid, p, c, true)); };
  double m_lo = 0.0, m_hi = 0.0;
  for (double widen = 1e-3; widen < 1.0; widen *= 8) {
    const double a = c_lo * (1.0 - widen), b = std::min(top * (1.0 + widen), *std::max_element(p.begin(), p.end()));
    m_lo = exact_mass(a), m_hi = exact_mass(b);
    if (m_lo >= coverage && m_hi <= coverage) {
      c_lo = a, c_hi = b;
      break;
    }
  }
  // Exact ends: the mass is smooth in c inside the bracket, so regula falsi
  // (Illinois) needs a handful of evaluations where bisection needs 50;
  // bisection steps keep it safe.
  double c = 0.5 * (c_lo + c_hi);
  int stale = 0;  // the side that moved last time (-1 low, +1 high): twice in a row halves the other's value
  for (int it = 0; it < 60 && c_hi - c_lo > 1e-15 * c_hi; ++it) {
    const double denom = m_lo - m_hi;
    c = denom > 0.0 ? c_lo + (m_lo - coverage) / denom * (c_hi - c_lo) : 0.5 * (c_lo + c_hi);
    if (!(c > c_lo && c < c_hi) || it % 8 == 7) c = 0.5 * (c_lo + c_hi);
    const double mc = exact_mass(c);
    if (std::fabs(mc - coverage) <= 1e-13) break;
    if (mc > coverage) {
      c_lo = c, m_lo = mc;
      if (stale == -1) m_hi = coverage + 0.5 * (m_hi - coverage);
      stale = -1;
    } else {
      c_hi = c, m_hi = mc;
      if (stale == 1) m_lo = coverage + 0.5 * (m_lo - coverage);
      stale = 1;
    }
  }
  std::vector<Interval> iv = above(m, grid, p, c, true);
  // At most K intervals (the prediction's columns): close the narrowest gaps.
  while (int(iv.size()) > m.f.m.K) {
    std::size_t best = 1;
    for (std::size_t i = 2; i < iv.size(); ++i)
      if (iv[i].lo - iv[i - 1].hi < iv[best].lo - iv[best - 1].hi) best = i;
    iv[best - 1].hi = iv[best].hi;
    iv.erase(iv.begin() + std::ptrdiff_t(best));
  }
  DensityRegion out;
  out.mass = mass_of(iv);
  out.threshold = c;
  for (const Interval& i : iv) out.intervals.push_back({m.g.inverse(i.lo), m.g.inverse(i.hi)});
  return out;
}

}  // namespace mdn::detail
