// Dense row-major matrices: the containers the library passes around for
// batches (rows = samples, cols = features / targets / head outputs).
//
// Two element types, one per side of standardisation:
//   Matrix  (float):  what the network sees and computes on — standardised
//                     inputs and targets, head outputs;
//   MatrixD (double): data in original units — raw features and targets as
//                     read from a file or an array, predictions mapped back.
// Data enters in double and becomes float only after standardisation, so a
// column far from 0 (timestamps, large target offsets) keeps its information.
// (Training features are held compactly as float32 offsets from a reference
// in double, which keeps that information too: DataMatrix, mdn/dataset.hpp.)
#pragma once
#include <cstddef>
#include <vector>

namespace mdn {

template <class Scalar>
struct BasicMatrix {
  using value_type = Scalar;
  int rows = 0;
  int cols = 0;
  std::vector<Scalar> data;  // rows * cols, row-major

  BasicMatrix() = default;
  BasicMatrix(int r, int c, Scalar fill = Scalar(0)) : rows(r), cols(c), data(std::size_t(r) * std::size_t(c), fill) {}

  Scalar* row(int r) { return data.data() + std::size_t(r) * std::size_t(cols); }
  const Scalar* row(int r) const { return data.data() + std::size_t(r) * std::size_t(cols); }
  Scalar& operator()(int r, int c) { return data[std::size_t(r) * std::size_t(cols) + std::size_t(c)]; }
  Scalar operator()(int r, int c) const { return data[std::size_t(r) * std::size_t(cols) + std::size_t(c)]; }
  std::size_t size() const { return data.size(); }
};

using Matrix = BasicMatrix<float>;
using MatrixD = BasicMatrix<double>;

}  // namespace mdn
