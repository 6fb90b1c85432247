// numpy arrays in and out of the library's matrices.
#pragma once
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>

#include <cstddef>
#include <initializer_list>
#include <utility>
#include <vector>

#include "mdn/matrix.hpp"

namespace mdn_python {

namespace nb = nanobind;

// Any 2-D array on the CPU, read-only is fine, any dtype (to_matrix checks
// it), any strides (C or Fortran order, slices).
using InArray = nb::ndarray<nb::ro, nb::ndim<2>, nb::device::cpu>;

// numpy array that owns `values` (moved, not copied).
template <class T>
nb::ndarray<nb::numpy, T> to_numpy(std::vector<T>&& values, std::initializer_list<std::size_t> shape) {
  auto* owned = new std::vector<T>(std::move(values));
  nb::capsule owner(owned, [](void* p) noexcept { delete static_cast<std::vector<T>*>(p); });
  return nb::ndarray<nb::numpy, T>(owned->data(), shape, owner);
}

// Copies a float32 or float64 array (any strides) into a row-major double
// MatrixD (original units; the library standardises in double before it
// rounds to float). Refuses NaN/Inf and magnitudes beyond 3.4e38 (as the CSV
// reader does), naming the first bad cell, a wrong column count
// (expected_cols >= 0) and more than 2^31 - 1 values, each with
// mdn::UsageError. `what` names the array in messages ("X", "y"). Call
// without the GIL.
mdn::MatrixD to_matrix(const InArray& a, const char* what, int expected_cols = -1);

}  // namespace mdn_python
