// Deterministic partial sums; see reduce.cuh.
#include <algorithm>

#include "cuda_check.cuh"
#include "reduce.cuh"

namespace mdn::cuda {
namespace {

constexpr int kThreads = 256;               // power of two (the tree below halves it)
constexpr std::size_t kMinPerBlock = 2048;  // elements per block before another block is worth it

__global__ void partial_sums_kernel(const float* __restrict__ x, std::size_t n, int square,
                                    double* __restrict__ partials) {
  __shared__ double block_sums[kThreads];
  const std::size_t stride = std::size_t(gridDim.x) * kThreads;
  double acc = 0.0;
  for (std::size_t i = std::size_t(blockIdx.x) * kThreads + threadIdx.x; i < n; i += stride) {
    const double v = double(x[i]);
    acc += square ? v * v : v;
  }
  block_sums[threadIdx.x] = acc;
  __syncthreads();
  for (int half = kThreads / 2; half > 0; half /= 2) {
    if (int(threadIdx.x) < half) block_sums[threadIdx.x] += block_sums[threadIdx.x + half];
    __syncthreads();
  }
  if (threadIdx.x == 0) partials[blockIdx.x] = block_sums[0];
}

}  // namespace

int partial_sum_count(std::size_t n) {
  const std::size_t blocks = ceil_div(n, kMinPerBlock);
  return int(std::clamp<std::size_t>(blocks, 1, kMaxPartialSums));
}

void launch_partial_sums(const float* x, std::size_t n, SumOf what, double* partials, cudaStream_t stream) {
  const int blocks = partial_sum_count(n);
  partial_sums_kernel<<<blocks, kThreads, 0, stream>>>(x, n, what == SumOf::Square ? 1 : 0, partials);
  MDN_CUDA_CHECK(cudaGetLastError());
}

}  // namespace mdn::cuda
