// The grid-cell probability of full-covariance components (mdn/grid.hpp's
// cell_log_mass for a batch with covariance factors), for T = 2.
#pragma once
#include <vector>

#include "mdn/mixture.hpp"

namespace mdn::detail {

// log of the mixture's mass of the cell around t: per target d with
// steps[d] > 0 the interval [t_d - h_d/2, t_d + h_d/2], else the density at
// t_d (the mixed case). For each component, with Y0 = m0 + a00 z0 and
// Y1 = m1 + a10 z0 + a11 z1 (z standard normal, A the covariance factor):
//   both gridded:  integral over the z0 of Y0's cell of
//                  phi(z0) [Phi((h1 - m1 - a10 z0) / a11) - Phi((l1 - m1 - a10 z0) / a11)]
//                  (composite 8-point Gauss-Legendre, split where the bracket
//                  turns on and off, so that a thin correlated ridge is resolved);
//   one gridded:   the other's density times the closed-form conditional mass;
//   neither:       the joint density.
// -infinity when the mass underflows. Throws mdn::Error for T != 2.
double full_covariance_cell_log_mass(const MixtureBatch& mix, int row, const double* t,
                                     const std::vector<float>& steps);

}  // namespace mdn::detail
