// The full-covariance Gaussian math (detail/full_cov_gaussian.hpp) run on the
// device, for full_cov_gpu_test.cpp: full_cov_device.cu is compiled by nvcc
// (only in a CUDA build), so the header's device side is compiled too.
#pragma once

namespace mdn::test {

inline constexpr int kFullCovDeviceMaxK = 8;

// For each of `rows` heads z (rows x K(1 + 2T + T(T-1)/2), double, host
// memory), on the device: the mixture's components, a draw of component 0
// from normals (rows x T) into draws (rows x T), and the conditional given
// the targets with observed[d] != 0 at the values y (rows x T): its weights
// (rows x K) and means (rows x K x T, the first |U| of each component's T),
// ok (rows) = whether it could be conditioned. K <= kFullCovDeviceMaxK.
void full_cov_gaussian_on_device(const double* z, int rows, int K, int T, double lo, double hi, const int* observed,
                                 const double* y, const double* normals, double* draws, double* weights,
                                 double* means, int* ok);

}  // namespace mdn::test
