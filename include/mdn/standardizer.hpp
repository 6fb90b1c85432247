// z-score statistics from the training split. The model works in standardised
// units; every user-facing number is mapped back to original units.
//
// Everything here is double: data arrives in original units as MatrixD, is
// centred and scaled in double, and only the standardised values are rounded
// to float (Matrix) for the network. A feature such as a Unix timestamp
// (1.7e9 + a few hundred seconds) keeps its resolution that way; rounded to
// float first, it would keep two distinct values.
#pragma once
#include <functional>
#include <vector>

#include "mdn/dataset.hpp"
#include "mdn/matrix.hpp"

namespace mdn {

struct Standardizer {
  std::vector<double> x_mean, x_scale;  // D each
  std::vector<double> t_mean, t_scale;  // T each

  // Statistics of x and t (population std, two passes in double; a constant
  // column gets scale 1 so it standardises to 0 instead of dividing by zero).
  static Standardizer fit(const MatrixD& x, const MatrixD& t);
  // The same statistics of a data set held in parts by several processes:
  // x and t are this part, `rows` counts the rows of all parts, and `sum`
  // returns the sum over the parts of a partial sum (collective).
  static Standardizer fit(const MatrixD& x, const MatrixD& t, const std::function<double(double)>& sum, long long rows);
  // Weighted statistics (sample weights, one per row of this part; empty =
  // every row weight 1, the functions above): the weighted mean and the
  // weighted population std, so a row of weight 2 counts as two copies.
  // `sum` as above; the total weight is summed over the parts too.
  static Standardizer fit(const MatrixD& x, const MatrixD& t, const std::vector<double>& weights,
                          const std::function<double(double)>& sum, long long rows);
  // The same from the rows `rows` of a data set's features (exact or compact:
  // no copy of them is made) and t, those rows' targets: training's path,
  // which holds its data once (docs/DATA.md, "Memory").
  static Standardizer fit(const DataMatrix& x, const std::vector<int>& rows, const MatrixD& t,
                          const std::vector<double>& weights, const std::function<double(double)>& sum,
                          long long all_rows);
  Matrix standardize_x(const MatrixD& x) const;
  // The rows `rows` of x, standardised (float), in that order.
  Matrix standardize_x(const DataMatrix& x, const std::vector<int>& rows) const;
  Matrix standardize_t(const MatrixD& t) const;
  MatrixD unstandardize_t(const Matrix& t) const;
  // sum_d log(t_scale[d]): NLL in original units = NLL standardised + this.
  double log_jacobian() const;
};

}  // namespace mdn
