#include "arrays.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdint>
#include <string>

#include "mdn/error.hpp"

namespace mdn_python {

namespace {

// The largest magnitude an input may hold (the CSV reader's limit too: a
// column's sums of squares must not overflow).
constexpr double kLargestValue = 3.4028234663852886e38;

void check_shape(const InArray& a, const char* what, int expected_cols) {
  const std::size_t rows = a.shape(0), cols = a.shape(1);
  if (rows > std::size_t(INT_MAX) || cols > std::size_t(INT_MAX) || (cols > 0 && rows > std::size_t(INT_MAX) / cols))
    throw mdn::UsageError(std::string(what) + " has " + std::to_string(rows) + " x " + std::to_string(cols) +
                          " values; at most 2^31 - 1 are supported");
  if (expected_cols >= 0 && int(cols) != expected_cols)
    throw mdn::UsageError(std::string(what) + " has " + std::to_string(cols) + " columns; the model expects " +
                          std::to_string(expected_cols));
}

// Copies src (strides rs, cs in elements) into m; returns the flat index
// (row * cols + column) of the first value beyond +-kLargestValue or NaN,
// LLONG_MAX when there is none.
template <class T>
long long copy_checked(const T* src, std::int64_t rs, std::int64_t cs, mdn::MatrixD& m) {
  const int n = m.rows, c = m.cols;
  long long bad = LLONG_MAX;
#pragma omp parallel for schedule(static) reduction(min : bad) if (std::size_t(n) * c > 65536)
  for (int r = 0; r < n; ++r) {
    double* out = m.row(r);
    const T* in = src + std::int64_t(r) * rs;
    for (int j = 0; j < c; ++j) out[j] = double(in[std::int64_t(j) * cs]);
    for (int j = 0; j < c; ++j)
      if (!(std::fabs(out[j]) <= kLargestValue)) {  // also NaN
        bad = std::min(bad, (long long)r * c + j);
        break;
      }
  }
  return bad;
}

}  // namespace

mdn::MatrixD to_matrix(const InArray& a, const char* what, int expected_cols) {
  check_shape(a, what, expected_cols);
  const bool f32 = a.dtype() == nb::dtype<float>();
  const bool f64 = a.dtype() == nb::dtype<double>();
  if (!f32 && !f64) throw mdn::UsageError(std::string(what) + " must be float32 or float64");
  mdn::MatrixD m{int(a.shape(0)), int(a.shape(1))};
  const std::int64_t rs = a.stride(0), cs = a.stride(1);  // in elements
  const long long first_bad = f32 ? copy_checked(static_cast<const float*>(a.data()), rs, cs, m)
                                  : copy_checked(static_cast<const double*>(a.data()), rs, cs, m);
  if (first_bad != LLONG_MAX)
    throw mdn::UsageError(std::string(what) + " contains NaN, infinity or a value beyond +-3.4e38" + " at row " +
                          std::to_string(first_bad / m.cols) + ", column " + std::to_string(first_bad % m.cols));
  return m;
}

}  // namespace mdn_python
