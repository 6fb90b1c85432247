// Minibatch gather; see gather.cuh.
#include <algorithm>
#include <cstddef>

#include "cuda_check.cuh"
#include "gather.cuh"

namespace mdn::cuda {
namespace {

constexpr int kThreads = 256;
constexpr int kElementsPerBlock = 2048;

__global__ void gather_rows_kernel(const float* __restrict__ x_all, const float* __restrict__ t_all,
                                   const float* __restrict__ w_all, const int* __restrict__ order,
                                   const StepState* __restrict__ state, int n, int D, int T, int rows_per_block,
                                   float* __restrict__ x, float* __restrict__ t, float* __restrict__ w) {
  const int row0 = blockIdx.x * rows_per_block;
  const int rows = min(rows_per_block, n - row0);
  if (rows <= 0) return;
  const int offset = state->offset;
  const int width = D + T;
  const int count = rows * width;  // <= max(2048, D + T)
  for (int e = threadIdx.x; e < count; e += kThreads) {
    const int i = row0 + e / width;  // batch row
    const int c = e % width;         // column within [x row | t row]
    const std::size_t src = std::size_t(order[offset + i]);
    if (c < D)
      x[std::size_t(i) * D + c] = x_all[src * D + c];
    else
      t[std::size_t(i) * T + (c - D)] = t_all[src * T + (c - D)];
    if (w_all != nullptr && c == 0) w[i] = w_all[src];
  }
}

}  // namespace

void launch_gather_rows(const float* x_all, const float* t_all, const float* w_all, const int* order,
                        const StepState* state, int n, int D, int T, float* x, float* t, float* w,
                        cudaStream_t stream) {
  if (n <= 0) return;
  const int rows_per_block = std::max(1, kElementsPerBlock / (D + T));
  const int blocks = ceil_div(n, rows_per_block);
  gather_rows_kernel<<<blocks, kThreads, 0, stream>>>(x_all, t_all, w_all, order, state, n, D, T, rows_per_block, x, t,
                                                      w);
  MDN_CUDA_CHECK(cudaGetLastError());
}

}  // namespace mdn::cuda
