#include "math/recalibrated.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "mdn/detail/marginal_math.hpp"
#include "mdn/detail/quantile_math.hpp"
#include "mdn/error.hpp"

namespace mdn::detail {

double RowMarginal::cdf(double y) const { return marginal_cdf(m.alpha, m.mu, m.sigma, m.K, m.T, d, y) / total; }
double RowMarginal::pdf(double y) const { return marginal_pdf(m.alpha, m.mu, m.sigma, m.K, m.T, d, y) / total; }

double RowMarginal::quantile(double level, double lower) const {
  double q = 0.0;
  if (mixture_quantile(m.alpha, m.mu, m.sigma, m.K, m.T, d, level, lower, q) != QuantileStatus::Ok)
    throw Error("quantile: the mixture has no component with positive weight");
  return q;
}

double RowMarginal::quantile_from(double level, double start) const {
  // Newton from `start` (a quantile of a lower level, so F(start) <= level):
  // from a close start it converges in a few steps; where it would leave
  // [start, inf) or stall (a flat stretch between components), the
  // bracketing solver takes over.
  const double tolerance = quantile_f_tolerance(level);
  double x = start;
  for (int it = 0; it < 8 && std::isfinite(x); ++it) {
    const double f = cdf(x) - level;
    if (std::fabs(f) <= tolerance) return x;
    const double p = pdf(x);
    const double next = x - f / p;
    if (!(p > 0.0) || !std::isfinite(next) || next < start) break;
    x = next;
  }
  return quantile(level, start);
}

RowMarginal row_marginal(const MixtureBatch& mix, int row, int d) {
  RowMarginal f{mixture_row(mix, row), d, 0.0};
  for (int k = 0; k < f.m.K; ++k) f.total += f.m.alpha[k];
  if (!(f.total > 0.0)) throw Error("the mixture of row " + std::to_string(row) + " has no positive weight");
  return f;
}

std::vector<double> band_edges(const RowMarginal& f, const PitMap& g) {
  const int M = g.bins();
  std::vector<double> edges(std::size_t(M) + 1);
  edges[0] = -std::numeric_limits<double>::infinity();
  edges[std::size_t(M)] = std::numeric_limits<double>::infinity();
  for (int j = 1; j < M; ++j)
    edges[std::size_t(j)] = j == 1 ? f.quantile(1.0 / M, edges[0]) : f.quantile_from(double(j) / M, edges[std::size_t(j) - 1]);
  return edges;
}

namespace {

// Integrals of 1, (y - c) and (y - c)^2 against the mixture density over [lo, hi].
void partial_moments(const RowMarginal& f, double c, double lo, double hi, double& p0, double& p1, double& p2) {
  p0 = p1 = p2 = 0.0;
  const auto phi_term = [](double z) { return std::isfinite(z) ? standard_normal_pdf(z) : 0.0; };
  const auto z_phi_term = [](double z) { return std::isfinite(z) ? z * standard_normal_pdf(z) : 0.0; };
  for (int k = 0; k < f.m.K; ++k) {
    const double a = f.m.alpha[k] / f.total;
    if (!(a > 0.0)) continue;
    const double mu = f.m.mu[k * f.m.T + f.d], s = f.m.sigma[k * f.m.T + f.d], dev = mu - c;
    const double za = (lo - mu) / s, zb = (hi - mu) / s;
    const double mass = standard_normal_mass(za, zb);
    const double dphi = phi_term(za) - phi_term(zb);  // integral of z phi(z) over [za, zb]
    const double z2 = mass - (z_phi_term(zb) - z_phi_term(za));  // integral of z^2 phi(z)
    p0 += a * mass;
    p1 += a * (dev * mass + s * dphi);
    p2 += a * (dev * dev * mass + 2.0 * dev * s * dphi + s * s * z2);
  }
}

// Gauss-Legendre nodes and weights on [-1, 1], 8 points.
constexpr double kNodes[8] = {-0.9602898564975363, -0.7966664774136267, -0.5255324099163290, -0.1834346424956498,
                              0.1834346424956498,  0.5255324099163290,  0.7966664774136267,  0.9602898564975363};
constexpr double kWeights[8] = {0.1012285362903763, 0.2223810344533745, 0.3137066458778873, 0.3626837833783620,
                                0.3626837833783620, 0.3137066458778873, 0.2223810344533745, 0.1012285362903763};

}  // namespace

void recalibrated_moments(const RowMarginal& f, const PitMap& g, double& mean, double& variance) {
  double c = 0.0, unused = 0.0;
  marginal_moments(f.m.alpha, f.m.mu, f.m.sigma, f.m.K, f.m.T, f.d, c, unused);
  const std::vector<double> edges = band_edges(f, g);
  double e1 = 0.0, e2 = 0.0;
  for (int j = 0; j < g.bins(); ++j) {
    double p0, p1, p2;
    partial_moments(f, c, edges[std::size_t(j)], edges[std::size_t(j) + 1], p0, p1, p2);
    e1 += g.height(j) * p1;
    e2 += g.height(j) * p2;
  }
  mean = c + e1;
  variance = std::fmax(0.0, e2 - e1 * e1);
}

namespace {

// The integral of (G(F(z)) - 1{z >= y})^2 over z in [a, b] inside band b of
// the map, where G(F(z)) = knots[b] + height(b) (F(z) - b / M): 8-point
// Gauss-Legendre in z, split at y.
double band_piece(const RowMarginal& f, const PitMap& g, int band, double a, double b, double y) {
  if (y > a && y < b) return band_piece(f, g, band, a, y, y) + band_piece(f, g, band, y, b, y);
  const double base = g.knots[std::size_t(band)] - g.height(band) * double(band) / g.bins();
  const double step = a >= y ? 1.0 : 0.0;
  const double half = 0.5 * (b - a), mid = 0.5 * (a + b);
  double total = 0.0;
  for (int n = 0; n < 8; ++n) {
    const double v = base + g.height(band) * f.cdf(mid + half * kNodes[n]) - step;
    total += kWeights[n] * v * v;
  }
  return half * total;
}

// The same over the part of a tail band beyond the tail's far end, in
// levels: z = Q(u) with Q the recalibrated quantile, dz = du / p(Q(u)), u
// over [u0, u1], with the step 1{z >= y} constant (`step`) on it. The
// integrand (u - step)^2 / p(Q(u)) vanishes at the open end (u -> 0 with
// step 0, u -> 1 with step 1). Two Gauss-Legendre pieces, the tenth at the
// open end on its own, where the integrand bends.
double tail_levels(const RowMarginal& f, const PitMap& g, double u0, double u1, double step, bool open_low,
                   double lower) {
  const double cut = open_low ? u0 + 0.1 * (u1 - u0) : u1 - 0.1 * (u1 - u0);
  double total = 0.0;
  for (const auto& [a, b] : {std::pair{u0, cut}, std::pair{cut, u1}}) {
    const double half = 0.5 * (b - a), mid = 0.5 * (a + b);
    for (int n = 0; n < 8; ++n) {
      const double u = mid + half * kNodes[n], v = g.inverse(u);
      const double z = std::isfinite(lower) ? f.quantile_from(v, lower) : f.quantile(v, lower);
      lower = z;
      const double density = g.density(v) * f.pdf(z);
      if (density > 0.0) total += half * kWeights[n] * (u - step) * (u - step) / density;
    }
  }
  return total;
}

}  // namespace

double recalibrated_crps(const RowMarginal& f, const PitMap& g, double y) {
  const int M = g.bins();
  const std::vector<double> edges = band_edges(f, g);
  const double u_star = g.forward(f.cdf(y));
  const double low = edges[1], high = edges[std::size_t(M) - 1];
  // Lower tail band (-inf, low]: in levels up to min(y, low), the rest in z.
  double total = y < low ? tail_levels(f, g, 0.0, u_star, 0.0, true, -std::numeric_limits<double>::infinity()) +
                               band_piece(f, g, 0, y, low, y)
                         : tail_levels(f, g, 0.0, g.knots[1], 0.0, true, -std::numeric_limits<double>::infinity());
  for (int b = 1; b + 1 < M; ++b)
    total += band_piece(f, g, b, edges[std::size_t(b)], edges[std::size_t(b) + 1], y);
  // Upper tail band [high, inf): in z up to max(y, high), the rest in levels.
  total += y > high ? band_piece(f, g, M - 1, high, y, y) + tail_levels(f, g, u_star, 1.0, 1.0, false, y)
                    : tail_levels(f, g, g.knots[std::size_t(M) - 1], 1.0, 1.0, false, high);
  return total;
}

}  // namespace mdn::detail
