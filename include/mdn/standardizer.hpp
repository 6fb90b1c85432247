// z-score statistics from the training split. The model works in standardised
// units; every user-facing number is mapped back to original units.
#pragma once
#include <functional>
#include <vector>

#include "mdn/matrix.hpp"

namespace mdn {

struct Standardizer {
  std::vector<float> x_mean, x_scale;  // D each
  std::vector<float> t_mean, t_scale;  // T each

  // Statistics of x and t (population std; a constant column gets scale 1 so
  // it standardises to 0 instead of dividing by zero).
  static Standardizer fit(const Matrix& x, const Matrix& t);
  // The same statistics of a data set held in parts by several processes:
  // x and t are this part, `rows` counts the rows of all parts, and `sum`
  // returns the sum over the parts of a partial sum (collective).
  static Standardizer fit(const Matrix& x, const Matrix& t, const std::function<double(double)>& sum, long long rows);
  Matrix standardize_x(const Matrix& x) const;
  Matrix standardize_t(const Matrix& t) const;
  Matrix unstandardize_t(const Matrix& t) const;
  // sum_d log(t_scale[d]): NLL in original units = NLL standardised + this.
  double log_jacobian() const;
};

}  // namespace mdn
