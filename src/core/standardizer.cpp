#include "mdn/standardizer.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

namespace mdn {
namespace {

// A sum in double with Neumaier's compensation: 10^6 values near 1e9 keep
// the digits a plain running sum would lose (the mean of a column far from 0
// is what everything is centred on).
class CompensatedSum {
 public:
  void add(double v) {
    const double t = sum_ + v;
    carry_ += std::fabs(sum_) >= std::fabs(v) ? (sum_ - t) + v : (v - t) + sum_;
    sum_ = t;
  }
  double value() const { return sum_ + carry_; }

 private:
  double sum_ = 0.0, carry_ = 0.0;
};

// Column means and population standard deviations (two passes, compensated
// sums in double) of `rows` rows of `cols` columns whose value (r, c) is
// at(r, c), weighted when `w` is not empty. `sum` adds a partial sum over
// the parts of a data set held by several processes (identity for one);
// `total` is the total weight (the row count of all parts when unweighted).
template <class At>
void column_stats(int rows, int cols, const At& at, const std::vector<double>& w, std::vector<double>& mean,
                  std::vector<double>& scale, const std::function<double(double)>& sum, double total) {
  mean.assign(cols, 0.0);
  scale.assign(cols, 1.0);
  const auto weight = [&](int r) { return w.empty() ? 1.0 : w[std::size_t(r)]; };
  for (int c = 0; c < cols; ++c) {
    CompensatedSum s;
    for (int r = 0; r < rows; ++r) s.add(weight(r) * at(r, c));
    const double mu = total > 0 ? sum(s.value()) / total : 0.0;
    CompensatedSum squares;
    for (int r = 0; r < rows; ++r) squares.add(weight(r) * (at(r, c) - mu) * (at(r, c) - mu));
    const double ss = squares.value();
    const double sd = total > 0 ? std::sqrt(sum(ss) / total) : 0.0;
    mean[c] = mu;
    // A constant column (sd ~ 0 relative to its magnitude) keeps scale 1.
    scale[c] = (sd > 1e-12 * std::max(1.0, std::fabs(mu))) ? sd : 1.0;
  }
}

void column_stats(const MatrixD& m, const std::vector<double>& w, std::vector<double>& mean, std::vector<double>& scale,
                  const std::function<double(double)>& sum, double total) {
  column_stats(m.rows, m.cols, m, w, mean, scale, sum, total);
}

double total_weight(const std::vector<double>& weights, const std::function<double(double)>& sum, long long rows) {
  if (weights.empty()) return double(rows);
  CompensatedSum w;
  for (double v : weights) w.add(v);
  return sum(w.value());
}

// (m - mean) / scale in double, rounded to float once at the end.
Matrix standardize(const MatrixD& m, const std::vector<double>& mean, const std::vector<double>& scale) {
  Matrix out(m.rows, m.cols);
  for (int r = 0; r < m.rows; ++r)
    for (int c = 0; c < m.cols; ++c) out(r, c) = float((m(r, c) - mean[c]) / scale[c]);
  return out;
}

}  // namespace

Standardizer Standardizer::fit(const MatrixD& x, const MatrixD& t) {
  return fit(
      x, t, [](double v) { return v; }, x.rows);
}

Standardizer Standardizer::fit(const MatrixD& x, const MatrixD& t, const std::function<double(double)>& sum,
                               long long rows) {
  return fit(x, t, {}, sum, rows);
}

Standardizer Standardizer::fit(const MatrixD& x, const MatrixD& t, const std::vector<double>& weights,
                               const std::function<double(double)>& sum, long long rows) {
  const double total = total_weight(weights, sum, rows);
  Standardizer s;
  column_stats(x, weights, s.x_mean, s.x_scale, sum, total);
  column_stats(t, weights, s.t_mean, s.t_scale, sum, total);
  return s;
}

Standardizer Standardizer::fit(const DataMatrix& x, const std::vector<int>& rows, const MatrixD& t,
                               const std::vector<double>& weights, const std::function<double(double)>& sum,
                               long long all_rows) {
  const double total = total_weight(weights, sum, all_rows);
  Standardizer s;
  const auto at = [&](int r, int c) { return x(rows[std::size_t(r)], c); };
  column_stats(int(rows.size()), x.cols, at, weights, s.x_mean, s.x_scale, sum, total);
  column_stats(t, weights, s.t_mean, s.t_scale, sum, total);
  return s;
}

Matrix Standardizer::standardize_x(const MatrixD& x) const { return standardize(x, x_mean, x_scale); }
Matrix Standardizer::standardize_x(const DataMatrix& x, const std::vector<int>& rows) const {
  Matrix out(int(rows.size()), x.cols);
  for (std::size_t i = 0; i < rows.size(); ++i)
    for (int c = 0; c < x.cols; ++c) out(int(i), c) = float((x(rows[i], c) - x_mean[c]) / x_scale[c]);
  return out;
}
Matrix Standardizer::standardize_t(const MatrixD& t) const { return standardize(t, t_mean, t_scale); }
MatrixD Standardizer::unstandardize_t(const Matrix& t) const {
  MatrixD out(t.rows, t.cols);
  for (int r = 0; r < t.rows; ++r)
    for (int c = 0; c < t.cols; ++c) out(r, c) = double(t(r, c)) * t_scale[c] + t_mean[c];
  return out;
}

double Standardizer::log_jacobian() const {
  double s = 0.0;
  for (double v : t_scale) s += std::log(v);
  return s;
}

}  // namespace mdn
