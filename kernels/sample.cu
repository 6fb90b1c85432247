// Sampling kernel: for each (row, sample) one draw from the row's mixture,
// written straight from the head pre-activations z to original units.
//
// What it computes: the recipe of mdn/detail/sample_math.hpp, the same as the
// CPU sampler: the component by inverse CDF over the tempered cumulative
// weights softmax(a / tau), then
//   t_d = t_mean_d + t_scale_d * (m_kd + exp(clamp(s_kd)) * sigma_scale * n_d)
// (the draw in standardised units in float, its map to original units in
// double: a target mean of 1e9 keeps a spread of 0.05)
// with the Philox words from cuRAND's curand_Philox4x32_10 (counter-based
// Philox4x32-10: counter (c, row, block), key the seed). Nothing else is
// materialised: no alpha / mu / sigma tensors in device memory.
//
// Launch shape: 1-D grid of ceil(rows / R) blocks of kSampleThreads threads;
// block b owns rows b*R .. b*R+R-1, R = sample_rows_per_block(S, K, T).
// The body is kernels/sample_tile.hpp, in three phases split by barriers:
//   1. the tile's R head rows (contiguous in z) -> shared memory, coalesced;
//   2. one thread per row turns its row, in place, into [cum | sigma | mu] in
//      original units: each row's mixture is read and transformed once, then
//      shared by its S draws (kept in shared memory, not registers, because
//      a row's draws are spread over the block so that stores coalesce);
//   3. the block's draws in output order (an item is a pair of draws for
//      T = 1, one draw for T >= 2), so a warp's stores cover consecutive
//      doubles of out (rows x S x T).
// Limits: K <= 32, T <= 8 (kMaxComponents, kMaxTargetDim); shared memory
// R * K(1+2T) floats <= 32 KiB; fewer than 2^31 blocks per launch.
// Determinism: a draw is a pure function of (seed, first_row + row, sample)
// and the row's z: independent of R, the grid, the chunking of rows into
// launches and the GPU model. Output written with `=`.
#include <curand_philox4x32_x.h>  // curand_Philox4x32_10 only (curand_kernel.h adds ~200 KB of generator tables)

#include <string>

#include "cuda_check.cuh"
#include "mdn/error.hpp"
#include "sample.cuh"

namespace mdn::cuda {
namespace {

// The device's words: cuRAND's Philox4x32-10 of (seed, row, c, block), with
// the counter laid out as detail::draw_counter.
struct DeviceDrawWords {
  uint2 key;
  std::uint64_t row;
  std::uint32_t c;
  __device__ detail::Philox4x32 operator()(std::uint32_t block) const {
    const uint4 counter = make_uint4(c, std::uint32_t(row), std::uint32_t(row >> 32), block);
    const uint4 r = curand_Philox4x32_10(counter, key);
    return detail::Philox4x32{{r.x, r.y, r.z, r.w}};
  }
};

struct DeviceWordsFactory {
  uint2 key;
  __device__ DeviceDrawWords operator()(std::uint64_t row, std::uint32_t c) const { return {key, row, c}; }
};

__global__ void __launch_bounds__(kSampleThreads) sample_kernel(const SampleLaunch a, const int rows_per_block) {
  extern __shared__ float tile[];
  const std::int64_t first = std::int64_t(blockIdx.x) * rows_per_block;
  const int R = int(min(std::int64_t(rows_per_block), a.rows - first));
  stage_tile(a, tile, first, R, threadIdx.x, blockDim.x);
  __syncthreads();
  prepare_rows(a, tile, R, threadIdx.x, blockDim.x);
  __syncthreads();
  const DeviceWordsFactory words{make_uint2(detail::seed_key_lo(a.seed), detail::seed_key_hi(a.seed))};
  draw_items(a, tile, first, R, threadIdx.x, blockDim.x, words);
}

}  // namespace

void launch_sample(const SampleLaunch& a, cudaStream_t stream) {
  check_kernel_limits(a.K, a.T, "the sampling kernel");
  if (a.samples < 1) throw Error("sampling kernel: samples must be >= 1");
  if (a.rows <= 0) return;
  const int rows_per_block = sample_rows_per_block(a.samples, a.K, a.T, a.full_covariance);
  const std::int64_t blocks = ceil_div(a.rows, rows_per_block);
  if (blocks > 2147483647LL) throw Error("sampling kernel: too many rows for one launch");
  const std::size_t shared = std::size_t(rows_per_block) * std::size_t(a.width()) * sizeof(float);
  sample_kernel<<<unsigned(blocks), kSampleThreads, shared, stream>>>(a, rows_per_block);
  MDN_CUDA_CHECK(cudaGetLastError());
}

}  // namespace mdn::cuda
