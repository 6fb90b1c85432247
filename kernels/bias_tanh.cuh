// Elementwise kernels of the dense layers, fused around the cuBLAS GEMMs.
//
// launch_bias_activation: y[i, j] = act(y[i, j] + b[j]) in place, over an
//   (n x width) row-major y that holds the GEMM's x W^T; act = tanh for the
//   hidden layers, identity for the head. One read and one write per element
//   (the bias row stays in L1). Written with `=` (in place).
// launch_tanh_backward: dL_dpre[e] = dL_dh[e] * (1 - h[e]^2) in place over
//   `count` elements, where h = tanh(pre) is the layer's stored output; turns
//   dL/dh (from the input-gradient GEMM) into dL/d(pre-activation).
//
// Launch shapes: bias_activation gives each 256-thread block whole rows
// (about 2048 elements: rows_per_block = max(1, 2048 / width)), so the column
// index is a 32-bit modulo of the in-block offset; tanh_backward is a 1-D
// grid-stride loop (256 threads, at most 65535 * 16 blocks). No limits beyond
// memory; deterministic (no reductions).
#pragma once
#include <cuda_runtime.h>

#include <cstddef>

namespace mdn::cuda {

enum class Activation { Tanh, Identity };

void launch_bias_activation(float* y, const float* b, int n, int width, Activation activation, cudaStream_t stream);

void launch_tanh_backward(float* dL_dpre, const float* h, std::size_t count, cudaStream_t stream);

}  // namespace mdn::cuda
