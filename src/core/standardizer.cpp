#include "mdn/standardizer.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

namespace mdn {
namespace {

// Column means and population standard deviations, accumulated in double.
// `sum` adds a partial sum over the parts of a data set held by several
// processes (identity for one); `rows` counts the rows of all parts.
void column_stats(const Matrix& m, std::vector<float>& mean, std::vector<float>& scale,
                  const std::function<double(double)>& sum, long long rows) {
  mean.assign(m.cols, 0.0f);
  scale.assign(m.cols, 1.0f);
  for (int c = 0; c < m.cols; ++c) {
    double s = 0.0;
    for (int r = 0; r < m.rows; ++r) s += m(r, c);
    const double mu = rows > 0 ? sum(s) / double(rows) : 0.0;
    double ss = 0.0;
    for (int r = 0; r < m.rows; ++r) ss += (m(r, c) - mu) * (m(r, c) - mu);
    const double sd = rows > 0 ? std::sqrt(sum(ss) / double(rows)) : 0.0;
    mean[c] = float(mu);
    // A constant column (sd ~ 0 relative to its magnitude) keeps scale 1.
    scale[c] = (sd > 1e-12 * std::max(1.0, std::fabs(mu))) ? float(sd) : 1.0f;
  }
}

Matrix apply(const Matrix& m, const std::vector<float>& mean, const std::vector<float>& scale, bool forward) {
  Matrix out(m.rows, m.cols);
  for (int r = 0; r < m.rows; ++r)
    for (int c = 0; c < m.cols; ++c)
      out(r, c) = forward ? (m(r, c) - mean[c]) / scale[c] : m(r, c) * scale[c] + mean[c];
  return out;
}

}  // namespace

Standardizer Standardizer::fit(const Matrix& x, const Matrix& t) {
  return fit(
      x, t, [](double v) { return v; }, x.rows);
}

Standardizer Standardizer::fit(const Matrix& x, const Matrix& t, const std::function<double(double)>& sum,
                               long long rows) {
  Standardizer s;
  column_stats(x, s.x_mean, s.x_scale, sum, rows);
  column_stats(t, s.t_mean, s.t_scale, sum, rows);
  return s;
}

Matrix Standardizer::standardize_x(const Matrix& x) const { return apply(x, x_mean, x_scale, true); }
Matrix Standardizer::standardize_t(const Matrix& t) const { return apply(t, t_mean, t_scale, true); }
Matrix Standardizer::unstandardize_t(const Matrix& t) const { return apply(t, t_mean, t_scale, false); }

double Standardizer::log_jacobian() const {
  double s = 0.0;
  for (float v : t_scale) s += std::log(double(v));
  return s;
}

}  // namespace mdn
