// Bias + activation forward and tanh backward; see bias_tanh.cuh.
#include <algorithm>

#include "bias_tanh.cuh"
#include "cuda_check.cuh"

namespace mdn::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kElementsPerBlock = 2048;
constexpr std::size_t kMaxBlocks = 65535u * 16u;  // grid-stride beyond this (gridDim.x allows 2^31 - 1)

// Block b owns rows [b * rows_per_block, min(n, (b+1) * rows_per_block)):
// a contiguous span of rows * width elements starting at row0 * width.
__global__ void bias_activation_kernel(float* __restrict__ y, const float* __restrict__ b, int n, int width,
                                       int rows_per_block, int apply_tanh) {
  const int row0 = blockIdx.x * rows_per_block;
  const int rows = min(rows_per_block, n - row0);
  if (rows <= 0) return;
  float* span = y + std::size_t(row0) * std::size_t(width);
  const int count = rows * width;  // <= max(2048, width): fits in int
  for (int e = threadIdx.x; e < count; e += kThreads) {
    const float v = span[e] + b[e % width];
    span[e] = apply_tanh ? tanhf(v) : v;
  }
}

__global__ void tanh_backward_kernel(float* __restrict__ dL_dpre, const float* __restrict__ h, std::size_t count) {
  const std::size_t stride = std::size_t(gridDim.x) * kThreads;
  for (std::size_t e = std::size_t(blockIdx.x) * kThreads + threadIdx.x; e < count; e += stride) {
    const float hv = h[e];
    dL_dpre[e] *= 1.0f - hv * hv;
  }
}

}  // namespace

void launch_bias_activation(float* y, const float* b, int n, int width, Activation activation, cudaStream_t stream) {
  if (n <= 0 || width <= 0) return;
  const int rows_per_block = std::max(1, kElementsPerBlock / width);
  const int blocks = ceil_div(n, rows_per_block);
  bias_activation_kernel<<<blocks, kThreads, 0, stream>>>(y, b, n, width, rows_per_block,
                                                          activation == Activation::Tanh ? 1 : 0);
  MDN_CUDA_CHECK(cudaGetLastError());
}

void launch_tanh_backward(float* dL_dpre, const float* h, std::size_t count, cudaStream_t stream) {
  if (count == 0) return;
  const std::size_t blocks = std::min<std::size_t>(ceil_div(count, kThreads), kMaxBlocks);
  tanh_backward_kernel<<<unsigned(blocks), kThreads, 0, stream>>>(dL_dpre, h, count);
  MDN_CUDA_CHECK(cudaGetLastError());
}

}  // namespace mdn::cuda
