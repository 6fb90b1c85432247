// Internal: one row's 1-D marginal under a PIT map (mdn/pit_map.hpp) — the
// recalibrated distribution G(F(y)) of docs/PREDICT.md. What has no closed
// form elsewhere lives here: exact moments from partial moments of the
// mixture over its quantile bands, the CRPS by quadrature over levels, and
// draws by inversion.
#pragma once
#include <vector>

#include "math/mixture_row.hpp"
#include "mdn/mixture.hpp"
#include "mdn/pit_map.hpp"

namespace mdn::detail {

// The mixture's own (unmapped) marginal of dimension d of one row, weights
// normalised by their sum.
struct RowMarginal {
  MixtureRow m;
  int d = 0;
  double total = 0.0;

  double cdf(double y) const;
  double pdf(double y) const;
  // The level-quantile of the mixture itself, at least `lower`.
  double quantile(double level, double lower) const;
  // The same from a finite `start` with F(start) <= level (a lower level's
  // quantile): Newton from there, the bracketing solver where that fails.
  double quantile_from(double level, double start) const;
};
RowMarginal row_marginal(const MixtureBatch& mix, int row, int d);

// The mixture's quantiles at the map's knots j / M, j = 0..M: -inf first,
// +inf last. Band j of the recalibrated distribution is [edges[j], edges[j+1]].
std::vector<double> band_edges(const RowMarginal& f, const PitMap& g);

// Mean and variance of G(F): sum over bands of g_j times the mixture's
// partial moments over the band (closed form per Gaussian component),
// centred on the mixture's mean so that large offsets keep their digits.
void recalibrated_moments(const RowMarginal& f, const PitMap& g, double& mean, double& variance);

// CRPS of G(F) at y: the integral of (G(F(z)) - 1{z >= y})^2 over z, by
// Gauss-Legendre on each inner band [F^-1((j-1)/M), F^-1(j/M)] (where
// G(F(z)) is smooth) and, for the two tail bands, over levels u with
// z = Q(u) (tests/cpu/recalibration_test.cpp checks it against dense
// quadrature). An identity map has no bands to speak of: use the closed form.
double recalibrated_crps(const RowMarginal& f, const PitMap& g, double y);

}  // namespace mdn::detail
