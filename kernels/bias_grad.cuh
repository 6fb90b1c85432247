// Bias gradients: dL_db[j] = sum over the batch rows i of dL_dy[i, j], for a
// row-major dL_dy (n x width) = dL/d(pre-activation) of a layer (already
// carrying the 1/n of the batch mean, from the head kernel's grad_scale).
//
// Deterministic, no atomics: two passes with a grouping fixed by n alone.
//   Pass 1: grid (ceil(width / 32), chunks), block (32, 8). The batch is cut
//     into `chunks` = bias_grad_chunks(n) consecutive row ranges; thread
//     (x, y) of block (bx, c) sums, in double and in row order, column
//     j = 32 bx + x over rows y, y + 8, ... of range c (the 32 x-threads of a
//     warp read 32 consecutive floats of a row: coalesced). The 8 y-sums are
//     then added in y order -> partials[c * width + j].
//   Pass 2: one thread per column (128 per block) adds partials[c, j] in c
//     order and writes dL_db[j] = float(sum).
// Semantics: dL_db written with `=`; partials is scratch of
// bias_grad_partials_count(n, width) doubles.
#pragma once
#include <cuda_runtime.h>

#include <cstddef>

namespace mdn::cuda {

// Row ranges of pass 1: ceil(n / 256) clamped to [1, 1024].
int bias_grad_chunks(int n);
std::size_t bias_grad_partials_count(int n, int width);

void launch_bias_grad(const float* dL_dy, int n, int width, double* partials, float* dL_db, cudaStream_t stream);

}  // namespace mdn::cuda
