// The fused mixture-density head: the per-sample loss and, in the same pass,
// the gradient with respect to the head pre-activations.
//
// What it computes: for each sample i, with z_i the row i of z (the layout
// of ModelSpec: [a (K) | s (K*T) | m (K*T)]) and t_i the row i of t,
//   loss[i]     = -log p(t_i | z_i)                       (= mixture_nll)
//   dL_dz[i, :] = grad_scale * d loss[i] / d z_i         (= mixture_nll_and_grad)
// straight from include/mdn/detail/mixture_math.hpp, the header the CPU
// backend uses: log-softmax of the logits, the clamp and exp of the
// log-sigmas, the component log-densities, their log-sum-exp, the
// responsibilities and the gradient, all fused in registers. No alpha,
// sigma or log-probability tensor is ever written to device memory.
//
// Launch: one thread per sample, 128 threads per block, ceil(n / 128) blocks.
// Each thread reads its z row (K(1+2T) floats) and t row (T floats) and
// writes its loss and dz row; the math re-reads entries of the z row, which
// hit the L1 cache, so DRAM sees each byte once.
// Limits: K <= kMaxComponents (32), T <= kMaxTargetDim (8); larger is an
// mdn::Error. Each component's log-density is evaluated once and kept in the
// thread's own dz row (entries [0, K), overwritten by dL/da later in the same
// thread), so gamma_k never comes from a second evaluation that could differ
// by an ulp (see mixture_math.hpp); so are e^(a_k - max a) and 1/sigma, which
// the gradient reuses (entries of the s and m blocks, each read before it is
// overwritten). Registers do not grow with K, and the scratch stores/loads
// stay in L1/L2 (the row is written anyway).
// Semantics: loss and dL_dz are written with `=` (not accumulated);
// grad_scale = 1/n makes dL_dz the gradient of the batch mean.
// Sample weights (optional, n floats): loss[i] = w_i * nll_i (0 where
// w_i = 0, even if the density underflowed) and the gradient scale is
// grad_scale * w_i, so dL_dz is the gradient of (1/n) sum_i w_i nll_i.
// Determinism: no reductions across threads; the batch loss is summed later
// by a fixed-order reduction (reduce.cuh).
#pragma once
#include <cuda_runtime.h>

namespace mdn::cuda {

struct HeadShape {
  int components = 0;  // K
  int target_dim = 0;  // T
  float log_sigma_min = 0.0f;
  float log_sigma_max = 0.0f;
  // Full-covariance components (ModelSpec::covariance == Covariance::Full):
  // z and dL_dz rows are K(1 + 2T + T(T-1)/2) wide and launch_mixture_loss[_and_grad]
  // run the full kernels below.
  bool full_covariance = false;
  // Gridded targets (Backend::set_target_cells; detail/cell_math.hpp): T
  // half cells in standardised units on the device (0 = continuous), or
  // null. Set, the diagonal launchers below compute the cells' loss instead
  // of the density's (same layouts, same semantics, double inside).
  const double* cell_half_width = nullptr;
};

// loss (n) =, dL_dz (n x W, row-major) =, W = K(1+2T) (the full kernel's
// width with shape.full_covariance).
// weights: n per-sample weights, or null (every weight 1).
void launch_mixture_loss_and_grad(const float* z, const float* t, const float* weights, int n, const HeadShape& shape,
                                  float grad_scale, float* loss, float* dL_dz, cudaStream_t stream);

// loss (n) = only (evaluation: no gradient is computed or written); the
// full kernel with shape.full_covariance.
void launch_mixture_loss(const float* z, const float* t, int n, const HeadShape& shape, float* loss,
                         cudaStream_t stream);

// The same with full-covariance components whatever shape.full_covariance
// says (detail/full_cov_math.hpp; issue 30): z and dL_dz rows are
// K(1 + 2T + T(T-1)/2) wide, [a | s | m | c]. The backend reaches them
// through the two launchers above; tests/gpu/full_cov_gpu_test.cpp checks
// them against the host.
void launch_full_mixture_loss_and_grad(const float* z, const float* t, const float* weights, int n,
                                       const HeadShape& shape, float grad_scale, float* loss, float* dL_dz,
                                       cudaStream_t stream);
void launch_full_mixture_loss(const float* z, const float* t, int n, const HeadShape& shape, float* loss,
                              cudaStream_t stream);

}  // namespace mdn::cuda
