// Deterministic bias gradients; see bias_grad.cuh.
#include <algorithm>

#include "bias_grad.cuh"
#include "cuda_check.cuh"

namespace mdn::cuda {
namespace {

constexpr int kTileColumns = 32;  // blockDim.x of pass 1 (one warp across columns)
constexpr int kTileRows = 8;      // blockDim.y of pass 1
constexpr int kRowsPerChunk = 256;
constexpr int kMaxChunks = 1024;
constexpr int kColumnThreads = 128;  // pass 2

__global__ void bias_grad_partials_kernel(const float* __restrict__ dL_dy, int n, int width, int rows_per_chunk,
                                          double* __restrict__ partials) {
  __shared__ double sums[kTileRows][kTileColumns];
  const int j = blockIdx.x * kTileColumns + threadIdx.x;
  const int chunk = blockIdx.y;
  const int begin = chunk * rows_per_chunk;
  const int end = min(n, begin + rows_per_chunk);
  double acc = 0.0;
  if (j < width)
    for (int i = begin + int(threadIdx.y); i < end; i += kTileRows) acc += double(dL_dy[std::size_t(i) * width + j]);
  sums[threadIdx.y][threadIdx.x] = acc;
  __syncthreads();
  if (threadIdx.y == 0 && j < width) {
    double total = 0.0;
    for (int y = 0; y < kTileRows; ++y) total += sums[y][threadIdx.x];
    partials[std::size_t(chunk) * width + j] = total;
  }
}

__global__ void bias_grad_columns_kernel(const double* __restrict__ partials, int chunks, int width,
                                         float* __restrict__ dL_db) {
  const int j = blockIdx.x * kColumnThreads + threadIdx.x;
  if (j >= width) return;
  double total = 0.0;
  for (int c = 0; c < chunks; ++c) total += partials[std::size_t(c) * width + j];
  dL_db[j] = float(total);
}

}  // namespace

int bias_grad_chunks(int n) { return std::clamp(ceil_div(n, kRowsPerChunk), 1, kMaxChunks); }

std::size_t bias_grad_partials_count(int n, int width) {
  return std::size_t(bias_grad_chunks(n)) * std::size_t(std::max(width, 0));
}

void launch_bias_grad(const float* dL_dy, int n, int width, double* partials, float* dL_db, cudaStream_t stream) {
  if (width <= 0) return;
  const int chunks = bias_grad_chunks(n);
  const int rows_per_chunk = std::max(1, ceil_div(n, chunks));
  const dim3 grid1(ceil_div(width, kTileColumns), chunks);
  const dim3 block1(kTileColumns, kTileRows);
  bias_grad_partials_kernel<<<grid1, block1, 0, stream>>>(dL_dy, n, width, rows_per_chunk, partials);
  MDN_CUDA_CHECK(cudaGetLastError());
  bias_grad_columns_kernel<<<ceil_div(width, kColumnThreads), kColumnThreads, 0, stream>>>(partials, chunks, width,
                                                                                           dL_db);
  MDN_CUDA_CHECK(cudaGetLastError());
}

}  // namespace mdn::cuda
