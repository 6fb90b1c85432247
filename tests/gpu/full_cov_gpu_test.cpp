// The full-covariance math on the device against the same header on the
// host: the fused loss + gradient kernel (launch_full_mixture_loss_and_grad,
// float) and the dense Gaussian math (draw, conditional mixture; double, run
// by tests/gpu/full_cov_device.cu). Skipped (GTEST_SKIP in SetUp) without a
// CUDA build or device; failed instead under MDN_REQUIRE_GPU.
#include <gtest/gtest.h>

#include "gpu/gpu_fixture.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <random>
#include <vector>

#include "mdn/detail/full_cov_gaussian.hpp"
#include "mdn/detail/full_cov_math.hpp"

#if defined(MDN_WITH_CUDA)
#include <cuda_runtime.h>

#include "gpu/full_cov_device.hpp"
#include "mdn_head.cuh"
#endif

namespace {

constexpr float kLo = -9.2103404f, kHi = 6.907755f;

class FullCovGpu : public mdn::test::GpuTest {};

std::vector<float> random_heads(std::mt19937_64& rng, int rows, int K, int T) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> z(std::size_t(rows) * mdn::detail::full_cov_head_width(K, T));
  for (auto& v : z) v = 1.5f * u(rng);
  return z;
}

TEST_F(FullCovGpu, LossAndGradientKernelMatchesTheHost) {
#if defined(MDN_WITH_CUDA)
  std::mt19937_64 rng(31);
  for (int T : {2, 3, 5, 8}) {
    for (int K : {1, 4, 32}) {
      const int n = 300, width = mdn::detail::full_cov_head_width(K, T);
      const auto z = random_heads(rng, n, K, T);
      std::vector<float> t(std::size_t(n) * T);
      std::uniform_real_distribution<float> u(-3.0f, 3.0f);
      for (auto& v : t) v = u(rng);
      float *dz = nullptr, *dt = nullptr, *dloss = nullptr, *dgrad = nullptr;
      ASSERT_EQ(cudaMalloc(&dz, z.size() * sizeof(float)), cudaSuccess);
      ASSERT_EQ(cudaMalloc(&dt, t.size() * sizeof(float)), cudaSuccess);
      ASSERT_EQ(cudaMalloc(&dloss, n * sizeof(float)), cudaSuccess);
      ASSERT_EQ(cudaMalloc(&dgrad, z.size() * sizeof(float)), cudaSuccess);
      cudaMemcpy(dz, z.data(), z.size() * sizeof(float), cudaMemcpyHostToDevice);
      cudaMemcpy(dt, t.data(), t.size() * sizeof(float), cudaMemcpyHostToDevice);
      const mdn::cuda::HeadShape shape{K, T, kLo, kHi};
      mdn::cuda::launch_full_mixture_loss_and_grad(dz, dt, nullptr, n, shape, 0.5f, dloss, dgrad, nullptr);
      std::vector<float> loss(n), grad(z.size()), eval(n);
      cudaMemcpy(loss.data(), dloss, n * sizeof(float), cudaMemcpyDeviceToHost);
      cudaMemcpy(grad.data(), dgrad, grad.size() * sizeof(float), cudaMemcpyDeviceToHost);
      mdn::cuda::launch_full_mixture_loss(dz, dt, n, shape, dloss, nullptr);
      cudaMemcpy(eval.data(), dloss, n * sizeof(float), cudaMemcpyDeviceToHost);
      ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
      cudaFree(dz);
      cudaFree(dt);
      cudaFree(dloss);
      cudaFree(dgrad);
      std::vector<float> g(width);
      for (int r = 0; r < n; ++r) {
        const float* zr = z.data() + std::size_t(r) * width;
        const float* tr = t.data() + std::size_t(r) * T;
        const float ref = mdn::detail::full_mixture_nll_and_grad(zr, tr, K, T, kLo, kHi, 0.5f, g.data());
        EXPECT_NEAR(loss[r], ref, 1e-5f * (1 + std::fabs(ref))) << "T=" << T << " K=" << K << " row " << r;
        EXPECT_NEAR(eval[r], ref, 1e-4f * (1 + std::fabs(ref)));
        float top = 0.0f;
        for (float v : g) top = std::max(top, std::fabs(v));
        for (int j = 0; j < width; ++j)
          EXPECT_NEAR(grad[std::size_t(r) * width + j], g[j], 1e-5f * (1 + top)) << "entry " << j << " row " << r;
      }
    }
  }
#endif
}

TEST_F(FullCovGpu, DrawsAndConditionalsMatchTheHost) {
#if defined(MDN_WITH_CUDA)
  std::mt19937_64 rng(32);
  const int K = 4, n = 64;
  for (int T : {2, 3, 8}) {
    const int width = mdn::detail::full_cov_head_width(K, T);
    std::vector<double> z(std::size_t(n) * width), y(std::size_t(n) * T), normals(std::size_t(n) * T);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    std::normal_distribution<double> normal;
    for (auto& v : z) v = u(rng);
    for (auto& v : y) v = 2 * u(rng);
    for (auto& v : normals) v = normal(rng);
    std::vector<int> observed(T, 0);
    for (int d = 0; d < T; d += 2) observed[d] = 1;
    std::vector<double> draws(std::size_t(n) * T), weights(std::size_t(n) * K), means(std::size_t(n) * K * T, 0.0);
    std::vector<int> ok(n);
    mdn::test::full_cov_gaussian_on_device(z.data(), n, K, T, kLo, kHi, observed.data(), y.data(), normals.data(),
                                           draws.data(), weights.data(), means.data(), ok.data());
    for (int r = 0; r < n; ++r) {
      const double* zr = z.data() + std::size_t(r) * width;
      double alpha[8], beta[8], x[8];
      mdn::detail::DenseGaussian comps[8], cond[8];
      mdn::detail::full_mixture_gaussians(zr, K, T, kLo, kHi, alpha, comps);
      mdn::detail::full_component_draw(zr, 0, K, T, kLo, kHi, normals.data() + std::size_t(r) * T, x);
      for (int d = 0; d < T; ++d) EXPECT_NEAR(draws[std::size_t(r) * T + d], x[d], 1e-12 * (1 + std::fabs(x[d])));
      const bool host_ok = mdn::detail::dense_mixture_condition(alpha, comps, K, observed.data(),
                                                                y.data() + std::size_t(r) * T, beta, cond);
      ASSERT_EQ(ok[r], host_ok ? 1 : 0);
      for (int k = 0; k < K; ++k) {
        EXPECT_NEAR(weights[std::size_t(r) * K + k], beta[k], 1e-10);
        for (int j = 0; j < cond[k].n; ++j)
          EXPECT_NEAR(means[(std::size_t(r) * K + k) * T + j], cond[k].mean[j], 1e-10 * (1 + std::fabs(cond[k].mean[j])));
      }
    }
  }
#endif
}

}  // namespace
