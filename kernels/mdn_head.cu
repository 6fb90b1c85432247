// The fused mixture head; see mdn_head.cuh.
#include <cstddef>
#include <string>

#include "cuda_check.cuh"
#include "mdn/detail/cell_math.hpp"
#include "mdn/detail/full_cov_math.hpp"
#include "mdn/detail/mixture_math.hpp"
#include "mdn/error.hpp"
#include "mdn/spec.hpp"
#include "mdn_head.cuh"

namespace mdn::cuda {
namespace {

constexpr int kThreads = 128;

// z (n x width), t (n x T), loss (n), dL_dz (n x width); width = K(1+2T).
__global__ void mixture_loss_and_grad_kernel(const float* __restrict__ z, const float* __restrict__ t,
                                             const float* __restrict__ weights, int n, int K, int T, float lo, float hi,
                                             float grad_scale, float* __restrict__ loss, float* __restrict__ dL_dz) {
  const int i = blockIdx.x * kThreads + threadIdx.x;
  if (i >= n) return;
  const std::size_t width = std::size_t(K) * std::size_t(1 + 2 * T);
  const std::size_t row = std::size_t(i) * width;
  const float w = weights ? weights[i] : 1.0f;
  const float nll =
      detail::mixture_nll_and_grad(z + row, t + std::size_t(i) * T, K, T, lo, hi, grad_scale * w, dL_dz + row);
  loss[i] = w == 0.0f ? 0.0f : w * nll;
}

__global__ void mixture_loss_kernel(const float* __restrict__ z, const float* __restrict__ t, int n, int K, int T,
                                    float lo, float hi, float* __restrict__ loss) {
  const int i = blockIdx.x * kThreads + threadIdx.x;
  if (i >= n) return;
  const std::size_t width = std::size_t(K) * std::size_t(1 + 2 * T);
  loss[i] = detail::mixture_nll(z + std::size_t(i) * width, t + std::size_t(i) * T, K, T, lo, hi);
}

// The same two for gridded targets (detail/cell_math.hpp): half (T) the half
// cells, 0 for a continuous target.
__global__ void cell_mixture_loss_and_grad_kernel(const float* __restrict__ z, const float* __restrict__ t,
                                                  const double* __restrict__ half, const float* __restrict__ weights,
                                                  int n, int K, int T, float lo, float hi, float grad_scale,
                                                  float* __restrict__ loss, float* __restrict__ dL_dz) {
  const int i = blockIdx.x * kThreads + threadIdx.x;
  if (i >= n) return;
  const std::size_t row = std::size_t(i) * std::size_t(K) * std::size_t(1 + 2 * T);
  const float w = weights ? weights[i] : 1.0f;
  const double nll = detail::mixture_cell_nll_and_grad(z + row, t + std::size_t(i) * T, half, K, T, double(lo),
                                                       double(hi), double(grad_scale) * double(w), dL_dz + row);
  loss[i] = w == 0.0f ? 0.0f : float(double(w) * nll);
}

__global__ void cell_mixture_loss_kernel(const float* __restrict__ z, const float* __restrict__ t,
                                         const double* __restrict__ half, int n, int K, int T, float lo, float hi,
                                         float* __restrict__ loss) {
  const int i = blockIdx.x * kThreads + threadIdx.x;
  if (i >= n) return;
  const std::size_t width = std::size_t(K) * std::size_t(1 + 2 * T);
  loss[i] = float(
      detail::mixture_cell_nll(z + std::size_t(i) * width, t + std::size_t(i) * T, half, K, T, double(lo), double(hi)));
}

// The same two with full-covariance components (detail/full_cov_math.hpp):
// width = K(1 + 2T + T(T-1)/2).
__global__ void full_mixture_loss_and_grad_kernel(const float* __restrict__ z, const float* __restrict__ t,
                                                  const float* __restrict__ weights, int n, int K, int T, float lo,
                                                  float hi, float grad_scale, float* __restrict__ loss,
                                                  float* __restrict__ dL_dz) {
  const int i = blockIdx.x * kThreads + threadIdx.x;
  if (i >= n) return;
  const std::size_t row = std::size_t(i) * std::size_t(detail::full_cov_head_width(K, T));
  const float w = weights ? weights[i] : 1.0f;
  const float nll =
      detail::full_mixture_nll_and_grad(z + row, t + std::size_t(i) * T, K, T, lo, hi, grad_scale * w, dL_dz + row);
  loss[i] = w == 0.0f ? 0.0f : w * nll;
}

__global__ void full_mixture_loss_kernel(const float* __restrict__ z, const float* __restrict__ t, int n, int K, int T,
                                         float lo, float hi, float* __restrict__ loss) {
  const int i = blockIdx.x * kThreads + threadIdx.x;
  if (i >= n) return;
  const std::size_t row = std::size_t(i) * std::size_t(detail::full_cov_head_width(K, T));
  loss[i] = detail::full_mixture_nll(z + row, t + std::size_t(i) * T, K, T, lo, hi);
}

void check_shape(const HeadShape& shape) {
  check_kernel_limits(shape.components, shape.target_dim, "the CUDA mixture head");
}

int blocks_for(int n) { return ceil_div(n, kThreads); }

}  // namespace

void launch_mixture_loss_and_grad(const float* z, const float* t, const float* weights, int n, const HeadShape& shape,
                                  float grad_scale, float* loss, float* dL_dz, cudaStream_t stream) {
  if (shape.full_covariance) {
    launch_full_mixture_loss_and_grad(z, t, weights, n, shape, grad_scale, loss, dL_dz, stream);
    return;
  }
  check_shape(shape);
  if (n <= 0) return;
  if (shape.cell_half_width) {
    cell_mixture_loss_and_grad_kernel<<<blocks_for(n), kThreads, 0, stream>>>(
        z, t, shape.cell_half_width, weights, n, shape.components, shape.target_dim, shape.log_sigma_min,
        shape.log_sigma_max, grad_scale, loss, dL_dz);
    MDN_CUDA_CHECK(cudaGetLastError());
    return;
  }
  mixture_loss_and_grad_kernel<<<blocks_for(n), kThreads, 0, stream>>>(z, t, weights, n, shape.components,
                                                                       shape.target_dim, shape.log_sigma_min,
                                                                       shape.log_sigma_max, grad_scale, loss, dL_dz);
  MDN_CUDA_CHECK(cudaGetLastError());
}

void launch_mixture_loss(const float* z, const float* t, int n, const HeadShape& shape, float* loss,
                         cudaStream_t stream) {
  if (shape.full_covariance) {
    launch_full_mixture_loss(z, t, n, shape, loss, stream);
    return;
  }
  check_shape(shape);
  if (n <= 0) return;
  if (shape.cell_half_width) {
    cell_mixture_loss_kernel<<<blocks_for(n), kThreads, 0, stream>>>(z, t, shape.cell_half_width, n, shape.components,
                                                                     shape.target_dim, shape.log_sigma_min,
                                                                     shape.log_sigma_max, loss);
    MDN_CUDA_CHECK(cudaGetLastError());
    return;
  }
  mixture_loss_kernel<<<blocks_for(n), kThreads, 0, stream>>>(z, t, n, shape.components, shape.target_dim,
                                                              shape.log_sigma_min, shape.log_sigma_max, loss);
  MDN_CUDA_CHECK(cudaGetLastError());
}

void launch_full_mixture_loss_and_grad(const float* z, const float* t, const float* weights, int n,
                                       const HeadShape& shape, float grad_scale, float* loss, float* dL_dz,
                                       cudaStream_t stream) {
  check_shape(shape);
  if (n <= 0) return;
  full_mixture_loss_and_grad_kernel<<<blocks_for(n), kThreads, 0, stream>>>(
      z, t, weights, n, shape.components, shape.target_dim, shape.log_sigma_min, shape.log_sigma_max, grad_scale, loss,
      dL_dz);
  MDN_CUDA_CHECK(cudaGetLastError());
}

void launch_full_mixture_loss(const float* z, const float* t, int n, const HeadShape& shape, float* loss,
                              cudaStream_t stream) {
  check_shape(shape);
  if (n <= 0) return;
  full_mixture_loss_kernel<<<blocks_for(n), kThreads, 0, stream>>>(z, t, n, shape.components, shape.target_dim,
                                                                   shape.log_sigma_min, shape.log_sigma_max, loss);
  MDN_CUDA_CHECK(cudaGetLastError());
}

}  // namespace mdn::cuda
