// Deterministic partial sums of a float array, accumulated in double: the
// first half of a fixed-order reduction (the second half, summing the
// partials in index order, is done by whoever consumes them: the step
// bookkeeping kernel on the device, or the host after a copy).
//
// Launch: partial_sum_count(n) blocks of 256 threads (at most 256 blocks,
// at least ~2048 elements per block). Thread t of block b accumulates
// x[i] (or x[i]^2) for i = b*256 + t + k*(blocks*256), k = 0, 1, ... in
// order; the block then combines its 256 values by a fixed shared-memory
// tree. The grouping depends on n alone, so the result is bit-for-bit the
// same on every run (no atomics). Writes (=) partials[0, partial_sum_count(n)).
#pragma once
#include <cuda_runtime.h>

#include <cstddef>

namespace mdn::cuda {

enum class SumOf { Value, Square };

inline constexpr int kMaxPartialSums = 256;

// Number of partial sums (= blocks) for n elements: 1 to kMaxPartialSums.
int partial_sum_count(std::size_t n);

void launch_partial_sums(const float* x, std::size_t n, SumOf what, double* partials, cudaStream_t stream);

}  // namespace mdn::cuda
