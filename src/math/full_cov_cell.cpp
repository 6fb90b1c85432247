// Box probabilities of correlated 2-D Gaussians for the grid-cell NLL
// (math/full_cov_cell.hpp). A T = 2 box has no closed form, but conditioning
// on the first target leaves a 1-D integral of a normal CDF difference, which
// is smooth except where the second target's interval edges sweep past the
// conditional mean: those stretches are integrated in short pieces.
#include "math/full_cov_cell.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "mdn/detail/marginal_math.hpp"
#include "mdn/error.hpp"

namespace mdn::detail {
namespace {

constexpr double kHalfLog2Pi = 0.91893853320467274178;  // 0.5 log(2 pi)
constexpr double kTail = 40.0;                          // |z| beyond which phi(z) < 1e-300: no mass
constexpr double kEdge = 8.0;                           // a Phi argument beyond +-8 is 0 or 1 to 1e-15
constexpr double kPiece = 0.25;                         // longest piece, in units of the integrand's scale
constexpr int kMaxPieces = 4096;                        // per stretch

// 8-point Gauss-Legendre on [-1, 1].
constexpr double kNode[4] = {0.1834346424956498, 0.5255324099163290, 0.7966664774136267, 0.9602898564975363};
constexpr double kWeight[4] = {0.3626837833783620, 0.3137066458778873, 0.2223810344533745, 0.1012285362903763};

double log_or_minus_infinity(double mass) { return mass > 0.0 ? std::log(mass) : -INFINITY; }

// P(l0 <= Y0 <= h0, l1 <= Y1 <= h1) for one component (both targets gridded).
double box_mass(double m0, double m1, double a00, double a10, double a11, double l0, double h0, double l1, double h1) {
  const auto inner = [&](double z0) {
    const double c = m1 + a10 * z0;
    return standard_normal_pdf(z0) * standard_normal_mass((l1 - c) / a11, (h1 - c) / a11);
  };
  double lo = std::max(-kTail, (l0 - m0) / a00), hi = std::min(kTail, (h0 - m0) / a00);
  if (!(hi > lo)) return 0.0;
  // Where the bracket is not 0 or 1 to rounding: z0 with an edge within
  // kEdge a11 of the conditional mean. Elsewhere the integrand is phi(z0)
  // times a constant and pieces of kPiece in z0 suffice.
  std::vector<double> cuts{lo, hi};
  double slope = 0.0;  // d(bracket argument)/dz0 = a10 / a11
  if (a10 != 0.0) {
    slope = std::fabs(a10) / a11;
    for (double edge : {l1, h1})
      for (double s : {-kEdge, kEdge}) {
        const double z = (edge - m1 - s * a11) / a10;
        if (z > lo && z < hi) cuts.push_back(z);
      }
  }
  std::sort(cuts.begin(), cuts.end());
  double mass = 0.0;
  for (std::size_t i = 0; i + 1 < cuts.size(); ++i) {
    const double a = cuts[i], b = cuts[i + 1];
    if (!(b > a)) continue;
    // A stretch where an edge sweeps past: pieces of kPiece in the bracket's argument.
    const double mid = 0.5 * (a + b), c = m1 + a10 * mid;
    const bool sweeping = slope > 0.0 && (std::fabs((l1 - c) / a11) < kEdge || std::fabs((h1 - c) / a11) < kEdge);
    const double piece = sweeping ? std::min(kPiece, kPiece / slope) : kPiece;
    const int n = std::clamp(int(std::ceil((b - a) / piece)), 1, kMaxPieces);
    const double w = (b - a) / n;
    for (int p = 0; p < n; ++p) {
      const double centre = a + (p + 0.5) * w, half = 0.5 * w;
      for (int j = 0; j < 4; ++j)
        mass += half * kWeight[j] * (inner(centre - half * kNode[j]) + inner(centre + half * kNode[j]));
    }
  }
  return mass;
}

// log of one component's mass of the cell (T = 2), or its density where a
// target is not gridded.
double component_log_mass(const MixtureBatch& mix, int row, int k, const double* t, const std::vector<float>& steps) {
  const double* A = mix.factor(row, k);
  const double a00 = A[0], a10 = A[1], a11 = A[2];
  const double m0 = mix.mean(row, k, 0), m1 = mix.mean(row, k, 1);
  const bool g0 = steps[0] > 0.0f, g1 = steps[1] > 0.0f;
  const double l0 = t[0] - 0.5 * steps[0], h0 = t[0] + 0.5 * steps[0];
  const double l1 = t[1] - 0.5 * steps[1], h1 = t[1] + 0.5 * steps[1];
  if (g0 && g1) return log_or_minus_infinity(box_mass(m0, m1, a00, a10, a11, l0, h0, l1, h1));
  if (!g0) {  // the density of Y0 at t0, then Y1 | Y0 ~ N(m1 + a10 z0, a11^2)
    const double z0 = (t[0] - m0) / a00, c = m1 + a10 * z0;
    const double l = -0.5 * z0 * z0 - std::log(a00) - kHalfLog2Pi;
    if (g1) return l + log_or_minus_infinity(standard_normal_mass((l1 - c) / a11, (h1 - c) / a11));
    const double z1 = (t[1] - c) / a11;
    return l - 0.5 * z1 * z1 - std::log(a11) - kHalfLog2Pi;
  }
  // Y0 gridded, Y1 a density: Y1 ~ N(m1, s1^2) with s1^2 = a10^2 + a11^2, and
  // Y0 | Y1 ~ N(m0 + a00 a10 (y1 - m1) / s1^2, (a00 a11 / s1)^2).
  const double s1 = std::hypot(a10, a11), z1 = (t[1] - m1) / s1;
  const double c = m0 + a00 * a10 * (t[1] - m1) / (s1 * s1), sd = a00 * a11 / s1;
  return -0.5 * z1 * z1 - std::log(s1) - kHalfLog2Pi +
         log_or_minus_infinity(standard_normal_mass((l0 - c) / sd, (h0 - c) / sd));
}

}  // namespace

double full_covariance_cell_log_mass(const MixtureBatch& mix, int row, const double* t,
                                     const std::vector<float>& steps) {
  // Full covariance needs T >= 2 (ModelSpec); beyond 2 the box is a
  // (T-1)-dimensional integral per component, not computed.
  if (mix.T != 2)
    throw Error("the grid-cell probability of full-covariance components is computed for 2 targets (this model has " +
                std::to_string(mix.T) + ")");
  double lmax = -INFINITY, w = 0.0;
  std::vector<double> l(std::size_t(mix.K), -INFINITY);
  for (int k = 0; k < mix.K; ++k) {
    const double a = mix.weight(row, k);
    w += a;
    if (!(a > 0.0)) continue;
    const double lk = component_log_mass(mix, row, k, t, steps);
    l[std::size_t(k)] = std::log(a) + lk;
    lmax = std::max(lmax, l[std::size_t(k)]);
  }
  if (!std::isfinite(lmax)) return -INFINITY;
  double sum = 0.0;
  for (double v : l) sum += std::exp(v - lmax);
  return lmax + std::log(sum) - std::log(w);
}

}  // namespace mdn::detail
