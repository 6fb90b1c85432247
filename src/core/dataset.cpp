#include "mdn/dataset.hpp"

#include <algorithm>
#include <cmath>

#include "mdn/error.hpp"

namespace mdn {

std::vector<double> first_row_reference(const MatrixD& m, const std::vector<double>& weights) {
  std::vector<double> ref(std::size_t(m.cols), 0.0);
  int r = 0;
  while (r < m.rows && r < int(weights.size()) && !(weights[std::size_t(r)] > 0.0)) ++r;
  if (r < m.rows)
    for (int c = 0; c < m.cols; ++c) ref[std::size_t(c)] = std::isfinite(m(r, c)) ? m(r, c) : 0.0;
  return ref;
}

DataMatrix::DataMatrix(MatrixD exact) : rows(exact.rows), cols(exact.cols), exact_(std::move(exact)) {}

DataMatrix DataMatrix::compact(const MatrixD& m, std::vector<double> reference) {
  if (reference.empty() && m.rows > 0) reference = first_row_reference(m);
  if (!reference.empty() && reference.size() != std::size_t(m.cols))
    throw Error("internal error: DataMatrix::compact: " + std::to_string(reference.size()) +
                " reference values for " + std::to_string(m.cols) + " columns");
  DataMatrix out;
  out.compact_ = true;
  out.cols = m.cols;
  out.ref_ = std::move(reference);
  out.append(m);
  return out;
}

void DataMatrix::set(int r, int c, double v) {
  const std::size_t i = std::size_t(r) * std::size_t(cols) + std::size_t(c);
  if (compact_)
    offset_[i] = float(v - ref_[std::size_t(c)]);
  else
    exact_.data[i] = v;
}

void DataMatrix::append(const MatrixD& m) {
  if (cols == 0 && rows == 0) exact_.cols = cols = m.cols;
  if (compact_ && ref_.empty() && m.rows > 0) ref_ = first_row_reference(m);
  if (m.cols != cols)
    throw Error("internal error: DataMatrix::append: " + std::to_string(m.cols) + " columns onto " +
                std::to_string(cols));
  if (!compact_) {
    exact_.data.insert(exact_.data.end(), m.data.begin(), m.data.end());
    exact_.rows += m.rows;
  } else {
    const std::size_t start = offset_.size();
    offset_.resize(start + m.size());
    for (std::size_t i = 0; i < m.size(); ++i) offset_[start + i] = float(m.data[i] - ref_[i % std::size_t(cols)]);
  }
  rows += m.rows;
}

void DataMatrix::reserve(int rows_in_all) {
  const std::size_t n = std::size_t(rows_in_all) * std::size_t(cols);
  if (compact_)
    offset_.reserve(n);
  else
    exact_.data.reserve(n);
}

DataMatrix DataMatrix::take_rows(const std::vector<int>& rows_wanted) const {
  DataMatrix out;
  out.compact_ = compact_;
  out.ref_ = ref_;
  out.cols = cols;
  out.rows = int(rows_wanted.size());
  const std::size_t n = std::size_t(cols);
  const auto pick = [&](const auto& from, auto& to) {
    to.resize(rows_wanted.size() * n);
    for (std::size_t i = 0; i < rows_wanted.size(); ++i)
      std::copy_n(from.begin() + std::ptrdiff_t(std::size_t(rows_wanted[i]) * n), n, to.begin() + std::ptrdiff_t(i * n));
  };
  if (compact_) {
    pick(offset_, out.offset_);
  } else {
    out.exact_ = MatrixD(out.rows, cols);
    pick(exact_.data, out.exact_.data);
  }
  return out;
}

MatrixD DataMatrix::to_double() const {
  if (!compact_) return exact_;
  MatrixD out(rows, cols);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) out(r, c) = (*this)(r, c);
  return out;
}

const MatrixD& DataMatrix::exact() const {
  if (compact_) throw Error("internal error: the values of a compact DataMatrix were asked for as doubles");
  return exact_;
}

MatrixD DataMatrix::release_exact() {
  (void)exact();
  MatrixD out = std::move(exact_);
  *this = DataMatrix();
  return out;
}

std::vector<float> DataMatrix::release_offsets(std::vector<double>& reference) {
  if (!compact_) throw Error("internal error: the offsets of an exact DataMatrix were asked for");
  std::vector<float> out = std::move(offset_);
  reference = std::move(ref_);
  *this = DataMatrix();
  return out;
}

void check_weights(const std::vector<double>& weights, long long rows, const std::string& what, bool require_positive) {
  if (weights.empty()) return;
  if ((long long)weights.size() != rows)
    throw UsageError(what + " has " + std::to_string(weights.size()) + " weights for " + std::to_string(rows) +
                     " rows; give one weight per row");
  bool any_positive = false;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    const double w = weights[i];
    if (!std::isfinite(w) || w < 0.0)
      throw UsageError(what + ": the weight of row " + std::to_string(i + 1) + " is " + std::to_string(w) +
                       "; weights must be finite and >= 0");
    any_positive = any_positive || w > 0.0;
  }
  if (require_positive && !any_positive)
    throw UsageError(what + ": every weight is 0; at least one row must have a positive weight");
}

}  // namespace mdn
