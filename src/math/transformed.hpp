// Internal: one row's 1-D marginal through a target transform g
// (mdn/target_transform.hpp), with an optional PIT map G on top
// (mdn/pit_map.hpp): CDF G(F_u(g(y))), density G'(F_u(g(y))) f_u(g(y)) g'(y).
// The mixture lives in v = g(y); everything without a closed form is
// integrated in v, piecewise Gauss-Legendre between breakpoints at each
// component's mean +- {1, 2, 3, 4, 6, 10} sigmas (where the mixture changes),
// the map's band edges (where G' jumps) and g(y) (where a CRPS integrand
// kinks), so every piece is smooth.
#pragma once
#include <vector>

#include "math/recalibrated.hpp"
#include "mdn/pit_map.hpp"
#include "mdn/predictive.hpp"
#include "mdn/target_transform.hpp"

namespace mdn::detail {

struct TransformedMarginal {
  RowMarginal f;         // the mixture in v = g(y)
  TargetTransform g;
  const PitMap* map = nullptr;  // null: none

  double cdf(double y) const;
  // The original-units density at y (0 outside g's domain).
  double pdf(double y) const;
  // The density in original units as a function of v = g(y).
  double pdf_at_v(double v) const;
};
TransformedMarginal transformed_marginal(const MixtureBatch& mix, int row, int d);

// Mean and variance in original units (log without a map: the lognormal
// mixture's closed form, centred).
void transformed_moments(const TransformedMarginal& m, double& mean, double& variance);

// CRPS at y: the integral over x of (F(x) - 1{x >= y})^2, as an integral in
// v with dx = dv / g'(g^-1(v)).
double transformed_crps(const TransformedMarginal& m, double y);

// Modes of the original-units density (one target): local maxima of
// pdf_at_v on a grid of a sixteenth of a sigma per component, refined by
// golden-section search; ranked by density, at most K.
std::vector<Mode> transformed_modes(const TransformedMarginal& m);

// The highest-density region of the original-units density at `coverage`.
DensityRegion transformed_hdr(const TransformedMarginal& m, double coverage);

}  // namespace mdn::detail
