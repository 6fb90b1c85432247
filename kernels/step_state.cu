// Step bookkeeping kernels: one thread each; see step_state.cuh.
#include "cuda_check.cuh"
#include "step_state.cuh"

namespace mdn::cuda {
namespace {

__global__ void reset_epoch_kernel(StepState* state) {
  state->batches = 0;
  state->samples = 0;
  state->loss_sum = 0.0;
  state->offset = 0;
  state->failed = 0;
  state->skip_update = 0;
}

__global__ void finish_step_kernel(const double* __restrict__ loss_partials, int loss_count, int n,
                                   const double* __restrict__ sq_partials, int sq_count,
                                   const AdamConfig* __restrict__ hyper, StepState* __restrict__ state) {
  double loss_sum = 0.0;
  for (int i = 0; i < loss_count; ++i) loss_sum += loss_partials[i];
  double sq_sum = 0.0;
  for (int i = 0; i < sq_count; ++i) sq_sum += sq_partials[i];
  const double batch_loss = n > 0 ? loss_sum / double(n) : 0.0;
  const double norm = sqrt(sq_sum);

  state->batch_loss = batch_loss;
  state->grad_norm = norm;
  state->offset += n;
  if (state->failed != 0) {
    state->skip_update = 1;
    return;
  }
  if (!isfinite(batch_loss) || !isfinite(norm)) {
    state->failed = 1;
    state->skip_update = 1;
    return;
  }
  state->skip_update = 0;
  state->step += 1;
  // As the CPU backend: scale = clip / norm (in double, then float) when the
  // norm exceeds a positive clip; bias corrections in float.
  const float clip = hyper->clip_norm;
  state->clip_scale = (clip > 0.0f && norm > double(clip)) ? float(double(clip) / norm) : 1.0f;
  const float step = float(state->step);
  state->bias1 = 1.0f - powf(hyper->beta1, step);
  state->bias2 = 1.0f - powf(hyper->beta2, step);
  state->loss_sum += batch_loss;
  state->batches += 1;
  state->samples += n;
}

}  // namespace

void launch_reset_epoch(StepState* state, cudaStream_t stream) {
  reset_epoch_kernel<<<1, 1, 0, stream>>>(state);
  MDN_CUDA_CHECK(cudaGetLastError());
}

void launch_finish_step(const double* loss_partials, int loss_count, int n, const double* sq_partials, int sq_count,
                        const AdamConfig* hyper, StepState* state, cudaStream_t stream) {
  finish_step_kernel<<<1, 1, 0, stream>>>(loss_partials, loss_count, n, sq_partials, sq_count, hyper, state);
  MDN_CUDA_CHECK(cudaGetLastError());
}

}  // namespace mdn::cuda
