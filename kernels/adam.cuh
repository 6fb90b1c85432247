// One Adam update over the single flat parameter buffer, with the global
// gradient-norm clipping already decided on the device.
//
// For every i: detail::adam_update(params[i], m[i], v[i],
//   grad[i] * state->clip_scale, lr, beta1, beta2, eps, state->bias1,
//   state->bias2) -- the function the CPU backend calls
//   (include/mdn/detail/adam_math.hpp). The norm, the clip scale, the step
//   count and the bias corrections come from launch_finish_step
//   (step_state.cuh), computed from deterministic partial sums of grad^2
//   (reduce.cuh) -- no host synchronisation between the backward pass and
//   the update. When state->skip_update is set (a NaN/Inf loss or gradient
//   this epoch) nothing is written.
//
// Launch: 1-D grid-stride, 256 threads per block, at most 4096 blocks.
// Semantics: params, m, v updated in place; grad is read only.
// Determinism: elementwise, no reductions.
#pragma once
#include <cuda_runtime.h>

#include <cstddef>

#include "step_state.cuh"

namespace mdn::cuda {

void launch_adam_update(float* params, float* m, float* v, const float* grad, std::size_t count,
                        const AdamConfig* hyper, const StepState* state, cudaStream_t stream);

}  // namespace mdn::cuda
