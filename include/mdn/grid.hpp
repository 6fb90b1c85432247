// Targets on a grid (integers, values rounded to 0.001, ...): a density model
// can put spikes on the grid points and report an NLL far below anything
// meaningful. detect_grid_step finds such a column's step; the honest
// likelihood of a gridded observation is the probability mass of its cell,
// F(t + h/2) - F(t - h/2) (docs/TRAINING.md, "Quantised targets").
#pragma once
#include <vector>

#include "mdn/matrix.hpp"
#include "mdn/mixture.hpp"

namespace mdn {

// The step h > 0 when every value of column `col` of t is v0 + n * h for
// integers n (within 1 % of a step, after float rounding) and the column has
// at least 2 distinct values; 0 when it does not sit on a grid, or when t has
// fewer than kMinGridRows rows (a handful of values always looks like a grid).
inline constexpr int kMinGridRows = 20;
double detect_grid_step(const MatrixD& t, int col);

// log of the mixture's probability of the cell around t (T values): per
// target d with steps[d] > 0 the interval [t_d - h_d/2, t_d + h_d/2]; a
// target with steps[d] == 0 contributes its density (the mixed case). For T
// = 1 and h > 0 this is log(F(t + h/2) - F(t - h/2)); -infinity when the
// mass underflows. Full-covariance batches (MixtureBatch::chol): for T = 2
// (math/full_cov_cell.hpp, a 1-D integral for a 2-D box), refused above.
double cell_log_mass(const MixtureBatch& mix, int row, const double* t, const std::vector<float>& steps);

}  // namespace mdn
