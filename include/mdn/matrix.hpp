// A dense row-major float matrix: the one container the library passes around
// for batches (rows = samples, cols = features / targets / head outputs).
#pragma once
#include <cstddef>
#include <vector>

namespace mdn {

struct Matrix {
  int rows = 0;
  int cols = 0;
  std::vector<float> data;  // rows * cols, row-major

  Matrix() = default;
  Matrix(int r, int c, float fill = 0.0f) : rows(r), cols(c), data(std::size_t(r) * std::size_t(c), fill) {}

  float* row(int r) { return data.data() + std::size_t(r) * std::size_t(cols); }
  const float* row(int r) const { return data.data() + std::size_t(r) * std::size_t(cols); }
  float& operator()(int r, int c) { return data[std::size_t(r) * std::size_t(cols) + std::size_t(c)]; }
  float operator()(int r, int c) const { return data[std::size_t(r) * std::size_t(cols) + std::size_t(c)]; }
  std::size_t size() const { return data.size(); }
};

}  // namespace mdn
