// The training step's bookkeeping, kept in device memory so that a captured
// CUDA graph can replay the same step for every minibatch with no host round
// trip: the row offset of the next minibatch, the Adam step count, the
// clipping scale and bias corrections of the current step, and the epoch's
// loss sum and non-finite flag (read back once per epoch).
//
// Per step, in stream order (all of it inside the captured graph):
//   gather (reads offset) -> forward -> head -> backward (writes grad)
//   -> partial sums of the losses and of grad^2 (kernels/reduce.cuh)
//   -> launch_finish_step: batch loss, gradient norm, the decision to update,
//      step += 1, clip scale, bias corrections, epoch sums, offset += n
//   -> launch_adam_update (kernels/adam.cuh): skipped when skip_update is set.
//
// A non-finite loss or gradient norm sets `failed` and the update is skipped,
// for that step and every later step of the epoch (so the parameters keep the
// last finite values; the CPU backend stops the epoch at the same batch).
#pragma once
#include <cuda_runtime.h>

#include "mdn/train_options.hpp"  // AdamConfig: kept in device memory, so graphs survive a change of lr

namespace mdn::cuda {

struct StepState {
  long long step = 0;       // Adam step count (persists across epochs; bias corrections)
  long long batches = 0;    // minibatches applied this epoch
  long long samples = 0;    // samples in those minibatches
  double loss_sum = 0.0;    // sum of their mean losses
  double batch_loss = 0.0;  // mean loss of the last minibatch (even when non-finite)
  double grad_norm = 0.0;   // global L2 norm of the last gradient, before clipping
  float clip_scale = 1.0f;  // the factor the last update applied to the gradient
  float bias1 = 1.0f;       // 1 - beta1^step of the last update
  float bias2 = 1.0f;       // 1 - beta2^step of the last update
  int offset = 0;           // row offset of the next minibatch in the epoch's order
  int failed = 0;           // 1 once a loss or gradient norm was NaN/Inf this epoch
  int skip_update = 0;      // 1 when the last step's Adam update is skipped
};

// Starts an epoch: offset, batches, samples, loss_sum, failed, skip_update = 0
// (step is kept). One thread.
void launch_reset_epoch(StepState* state, cudaStream_t stream);

// Finishes a step after its gradient is complete: sums the `loss_count`
// partial sums of the per-sample losses (mean over n) and the `sq_count`
// partial sums of grad^2 (norm = sqrt), each in a fixed order in double; then
// decides the update as described above and writes the fields of `state`.
// n = 0 with loss_count = 0 serves a bare Adam step (loss 0). One thread.
void launch_finish_step(const double* loss_partials, int loss_count, int n, const double* sq_partials, int sq_count,
                        const AdamConfig* hyper, StepState* state, cudaStream_t stream);

}  // namespace mdn::cuda
