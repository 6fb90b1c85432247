// Adam over the flat parameter buffer; see adam.cuh.
#include <algorithm>

#include "adam.cuh"
#include "cuda_check.cuh"
#include "mdn/detail/adam_math.hpp"

namespace mdn::cuda {
namespace {

constexpr int kThreads = 256;
constexpr std::size_t kMaxBlocks = 4096;

__global__ void adam_update_kernel(float* __restrict__ params, float* __restrict__ m, float* __restrict__ v,
                                   const float* __restrict__ grad, std::size_t count,
                                   const AdamConfig* __restrict__ hyper, const StepState* __restrict__ state) {
  if (state->skip_update != 0) return;
  const float scale = state->clip_scale;
  const float bias1 = state->bias1;
  const float bias2 = state->bias2;
  const AdamConfig h = *hyper;
  const std::size_t stride = std::size_t(gridDim.x) * kThreads;
  for (std::size_t i = std::size_t(blockIdx.x) * kThreads + threadIdx.x; i < count; i += stride) {
    float p = params[i], mi = m[i], vi = v[i];
    detail::adam_update(p, mi, vi, grad[i] * scale, h.lr, h.beta1, h.beta2, h.eps, bias1, bias2, h.weight_decay);
    params[i] = p;
    m[i] = mi;
    v[i] = vi;
  }
}

}  // namespace

void launch_adam_update(float* params, float* m, float* v, const float* grad, std::size_t count,
                        const AdamConfig* hyper, const StepState* state, cudaStream_t stream) {
  if (count == 0) return;
  const std::size_t blocks = std::min<std::size_t>(ceil_div(count, kThreads), kMaxBlocks);
  adam_update_kernel<<<unsigned(blocks), kThreads, 0, stream>>>(params, m, v, grad, count, hyper, state);
  MDN_CUDA_CHECK(cudaGetLastError());
}

}  // namespace mdn::cuda
