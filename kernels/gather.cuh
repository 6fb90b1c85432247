// Minibatch gather from the device-resident training set through the
// epoch's shuffled row order.
//
// For i in [0, n):  r = order[state->offset + i]
//   x[i, :] = x_all[r, :]   (D floats)     t[i, :] = t_all[r, :]   (T floats)
// The offset is read from device memory (StepState, advanced by
// launch_finish_step), so one captured graph gathers every minibatch.
//
// Launch: each 256-thread block copies whole rows (rows_per_block =
// max(1, 2048 / (D + T))); thread e of a block handles element e of the
// block's rows laid out as [x row | t row]. Reads of x_all/t_all are
// row-scattered (a shuffled gather), writes contiguous.
// Sample weights (optional): w[i] = w_all[r] too, when w_all is not null.
// Semantics: x, t (w) written with `=`. The caller guarantees offset + n <= rows.
#pragma once
#include <cuda_runtime.h>

#include "step_state.cuh"

namespace mdn::cuda {

void launch_gather_rows(const float* x_all, const float* t_all, const float* w_all, const int* order,
                        const StepState* state, int n, int D, int T, float* x, float* t, float* w, cudaStream_t stream);

}  // namespace mdn::cuda
