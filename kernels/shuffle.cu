// Device-side shuffle; see shuffle.cuh.
#include <cub/device/device_radix_sort.cuh>

#include "cuda_check.cuh"
#include "shuffle.cuh"

namespace mdn::cuda {
namespace {

constexpr int kThreads = 256;

__global__ void iota_kernel(int* __restrict__ iota, int rows) {
  const int i = blockIdx.x * kThreads + threadIdx.x;
  if (i < rows) iota[i] = i;
}

}  // namespace

std::size_t shuffle_temp_bytes(int rows) {
  std::size_t bytes = 0;
  MDN_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(nullptr, bytes, static_cast<const std::uint64_t*>(nullptr),
                                                 static_cast<std::uint64_t*>(nullptr), static_cast<const int*>(nullptr),
                                                 static_cast<int*>(nullptr), rows));
  return bytes;
}

void launch_iota(int* iota, int rows, cudaStream_t stream) {
  if (rows <= 0) return;
  iota_kernel<<<ceil_div(rows, kThreads), kThreads, 0, stream>>>(iota, rows);
  MDN_CUDA_CHECK(cudaGetLastError());
}

void launch_sort_rows_by_keys(const std::uint64_t* keys_in, std::uint64_t* keys_out, const int* iota, int* order,
                              int rows, void* temp, std::size_t temp_bytes, cudaStream_t stream) {
  if (rows <= 0) return;
  std::size_t bytes = temp_bytes;
  MDN_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(temp, bytes, keys_in, keys_out, iota, order, rows, 0,
                                                 int(sizeof(std::uint64_t) * 8), stream));
}

}  // namespace mdn::cuda
