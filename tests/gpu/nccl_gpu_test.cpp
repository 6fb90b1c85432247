// The NCCL path of data-parallel training (docs/DISTRIBUTED.md) with one
// rank, on a real device: a group of one is joined, and data_parallel_step
// (gradient on the device, ncclAllReduce in place, the Adam kernels) must
// take the step the host path takes (loss_and_gradient, a host sum that
// adds nothing, adam_step) on a second CUDA backend with the same weights,
// and the CPU backend's step (the reference: two GPU paths agreeing could
// share a mistake). Skipped without a device (GpuTest) and when libnccl.so.2
// cannot be loaded; failed instead under MDN_REQUIRE_GPU (the GPU check
// leaves this test out, and says so, where no NCCL is installed).
#include <gtest/gtest.h>

#include <cmath>
#include <memory>
#include <random>
#include <vector>

#include "gpu/gpu_fixture.hpp"
#include "mdn/backend.hpp"
#include "mdn/spec.hpp"

namespace {

using NcclTest = mdn::test::GpuTest;

TEST_F(NcclTest, AOneRankGroupStepsLikeTheHostPath) {
  mdn::ModelSpec spec;
  spec.input_dim = 3;
  spec.target_dim = 1;
  spec.components = 4;
  spec.hidden = {16, 16};
  auto device_sum = mdn::make_cuda_backend(spec);
  auto host_sum = mdn::make_cuda_backend(spec);
  const std::string id = device_sum->new_collective_id();
  if (id.empty()) MDN_SKIP_OR_FAIL("NCCL (libnccl.so.2) could not be loaded (mdn --version says why)");
  ASSERT_TRUE(device_sum->join_collective(id, 0, 1));

  const mdn::ParameterLayout layout(spec);
  std::mt19937 rng(5);
  std::normal_distribution<float> normal(0.0f, 0.3f);
  std::vector<float> params(layout.total);
  for (float& p : params) p = normal(rng);
  auto cpu = mdn::make_cpu_backend(spec);
  device_sum->set_parameters(params);
  host_sum->set_parameters(params);
  cpu->set_parameters(params);
  mdn::Matrix x(96, 3), t(96, 1);
  for (float& v : x.data) v = normal(rng);
  for (float& v : t.data) v = normal(rng);

  // The rank holds 96 of a global batch of 128 rows (as one of several would).
  mdn::AdamConfig adam;
  adam.lr = 1e-2f;
  const mdn::Backend::HostSum nothing_to_add = [](float*, std::size_t) {};
  for (int step = 0; step < 3; ++step) {
    double norm_device = 0.0, norm_host = 0.0;
    const double loss_device = device_sum->data_parallel_step(x, t, {}, 128, adam, nothing_to_add, norm_device);
    // The Backend's host default, called on a backend that joined nothing.
    const double loss_host = host_sum->data_parallel_step(x, t, {}, 128, adam, nothing_to_add, norm_host);
    EXPECT_NEAR(loss_device, loss_host, 1e-5 * (1.0 + std::fabs(loss_host))) << "step " << step;
    EXPECT_NEAR(norm_device, norm_host, 1e-4 * (1.0 + norm_host)) << "step " << step;
    double norm_cpu = 0.0;
    const double loss_cpu = cpu->data_parallel_step(x, t, {}, 128, adam, nothing_to_add, norm_cpu);
    EXPECT_NEAR(loss_device, loss_cpu, 1e-4 * (1.0 + std::fabs(loss_cpu))) << "vs the CPU, step " << step;
    EXPECT_NEAR(norm_device, norm_cpu, 1e-4 * (1.0 + norm_cpu)) << "vs the CPU, step " << step;
  }
  const std::vector<float> a = device_sum->parameters(), b = host_sum->parameters();
  for (std::size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], 1e-5f * (1.0f + std::fabs(b[i]))) << i;
  // Against the CPU on the mean (a weight whose gradient is ~0 may round to
  // opposite signs and move by ~lr either way under Adam).
  const std::vector<float> c = cpu->parameters();
  double mean_diff = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) mean_diff += std::fabs(double(a[i]) - double(c[i]));
  EXPECT_LT(mean_diff / double(a.size()), 1e-4) << "mean |param difference| from the CPU after 3 steps";
  // And the step moved the weights (the comparison above is not of two no-ops).
  double moved = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) moved += std::fabs(a[i] - params[i]);
  EXPECT_GT(moved, 1e-3);
}

}  // namespace
