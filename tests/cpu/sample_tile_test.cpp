// The sampling kernel's body (kernels/sample_tile.hpp) run on the CPU: each
// launch emulated block by block, thread by thread, phase by phase, with the
// host Philox in place of cuRAND's (the same function, checked by the known-
// answer test). Checks the kernel's indexing and parameter mapping: every
// output written once, the draws of the CPU sampler reproduced, and no
// dependence on rows per block or on how rows are split into launches.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "../../kernels/sample_tile.hpp"
#include "mdn/mixture.hpp"
#include "mdn/model.hpp"
#include "mdn/sampling.hpp"

namespace mdn {
namespace {

struct HostWordsFactory {
  std::uint64_t seed;
  detail::HostDrawWords operator()(std::uint64_t row, std::uint32_t c) const { return {seed, row, c}; }
};

// One launch of the kernel, emulated. rows_per_block 0 = the kernel's choice.
void emulate_launch(const cuda::SampleLaunch& a, int rows_per_block = 0, int threads = cuda::kSampleThreads) {
  const int R =
      rows_per_block > 0 ? rows_per_block : cuda::sample_rows_per_block(a.samples, a.K, a.T, a.full_covariance);
  const int W = a.width();
  std::vector<float> tile(std::size_t(R) * W);
  const HostWordsFactory words{a.seed};
  for (std::int64_t first = 0; first < a.rows; first += R) {
    const int rows = int(std::min<std::int64_t>(R, a.rows - first));
    for (int t = 0; t < threads; ++t) cuda::stage_tile(a, tile.data(), first, rows, t, threads);
    for (int t = 0; t < threads; ++t) cuda::prepare_rows(a, tile.data(), rows, t, threads);
    for (int t = 0; t < threads; ++t) cuda::draw_items(a, tile.data(), first, rows, t, threads, words);
  }
}

struct Case {
  Model model;
  Matrix z;
};

Case random_case(int rows, int K, int T, std::uint64_t seed, bool full = false) {
  Case c;
  c.model.spec.components = K;
  c.model.spec.target_dim = T;
  if (full) c.model.spec.covariance = Covariance::Full;
  for (int d = 0; d < T; ++d) {
    c.model.stats.t_mean.push_back(0.5f * d - 1.0f);
    c.model.stats.t_scale.push_back(2.0f + d);
  }
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  c.z = Matrix(rows, c.model.spec.head_width());
  for (auto& v : c.z.data) v = 2.0f * u(rng);
  // A few log-sigmas beyond the clamp, to exercise it.
  c.z.row(0)[K] = 40.0f;
  if (rows > 1) c.z.row(1)[K] = -40.0f;
  return c;
}

cuda::SampleLaunch launch_for(const Case& c, int S, const SampleOptions& o, double* out, int* comps) {
  cuda::SampleLaunch a;
  a.z = c.z.data.data();
  a.out = out;
  a.components = comps;
  a.rows = c.z.rows;
  a.samples = S;
  a.K = c.model.spec.components;
  a.T = c.model.spec.target_dim;
  a.log_sigma_min = c.model.spec.log_sigma_min;
  a.log_sigma_max = c.model.spec.log_sigma_max;
  for (int d = 0; d < a.T; ++d) {
    a.t_mean[d] = c.model.stats.t_mean[d];
    a.t_scale[d] = c.model.stats.t_scale[d];
  }
  a.inverse_temperature = float(1.0 / o.temperature);
  a.sigma_scale = float(o.sigma_scale);
  a.seed = o.seed;
  a.full_covariance = c.model.spec.covariance == Covariance::Full;
  return a;
}

TEST(SampleKernelBody, ReproducesTheCpuSamplerForEveryShape) {
  // (rows, K, T, S): odd and even S, S larger than a block, T = 1, 2, 3, 8.
  const int shapes[][4] = {{37, 5, 1, 100}, {300, 3, 1, 1}, {50, 4, 1, 7}, {5, 2, 1, 601},
                           {41, 5, 2, 13},  {20, 3, 3, 9},  {9, 32, 8, 3}, {3, 1, 1, 5000}};
  for (const auto& shape : shapes) {
    const int rows = shape[0], K = shape[1], T = shape[2], S = shape[3];
    const Case c = random_case(rows, K, T, std::uint64_t(rows * 31 + S));
    SampleOptions o{std::uint64_t(S)};
    o.temperature = 0.7;
    o.sigma_scale = 1.25;
    // Sentinels after the end catch a write past the last draw.
    const std::size_t n = std::size_t(rows) * S;
    std::vector<double> out(n * T + 64, NAN), cpu(n * T);
    std::vector<int> comps(n + 64, -1), cpu_comps(n);
    emulate_launch(launch_for(c, S, o, out.data(), comps.data()));
    for (std::size_t i = n * T; i < out.size(); ++i) ASSERT_TRUE(std::isnan(out[i])) << "wrote past the end";
    for (std::size_t i = n; i < comps.size(); ++i) ASSERT_EQ(comps[i], -1) << "wrote past the end";
    comps.resize(n);
    sample_mixtures(mixtures_from_head(c.model, c.z), S, o, 0, cpu.data(), cpu_comps.data());
    // Every draw written; same components and values as the CPU sampler (up
    // to the float rounding of two routes to the weights: tempered logits
    // vs log of the softmax, which may move a rare pick across a boundary).
    int mismatched = 0;
    for (std::size_t i = 0; i < comps.size(); ++i) {
      ASSERT_GE(comps[i], 0) << "draw " << i << " not written";
      if (comps[i] != cpu_comps[i]) {
        ++mismatched;
        continue;
      }
      for (int d = 0; d < T; ++d) {
        const double g = out[i * T + d], h = cpu[i * T + d];
        ASSERT_TRUE(std::isfinite(g)) << "draw " << i;
        ASSERT_NEAR(g, h, 1e-5 * (1.0 + std::fabs(h)))
            << "shape " << rows << "," << K << "," << T << "," << S << " draw " << i << " dim " << d;
      }
    }
    EXPECT_LE(mismatched, int(comps.size() / 1000) + 1) << "shape " << rows << "," << K << "," << T << "," << S;
  }
}

TEST(SampleKernelBody, IndependentOfRowsPerBlockThreadsAndLaunchSplits) {
  const Case c = random_case(97, 4, 1, 5);
  const int S = 11;
  const SampleOptions o{3};
  std::vector<double> reference(std::size_t(c.z.rows) * S);
  emulate_launch(launch_for(c, S, o, reference.data(), nullptr));
  for (const auto& [R, threads] : {std::pair{1, 256}, std::pair{7, 32}, std::pair{64, 100}, std::pair{97, 1}}) {
    std::vector<double> out(reference.size(), NAN);
    emulate_launch(launch_for(c, S, o, out.data(), nullptr), R, threads);
    EXPECT_EQ(out, reference) << "rows per block " << R << ", threads " << threads;
  }
  // Rows split into launches of 10 with first_row offsets, as CudaSampler does.
  std::vector<double> split(reference.size(), NAN);
  for (int begin = 0; begin < c.z.rows; begin += 10) {
    Case part;
    part.model = c.model;
    const int rows = std::min(10, c.z.rows - begin);
    part.z = Matrix(rows, c.z.cols);
    std::copy(c.z.row(begin), c.z.row(begin) + std::size_t(rows) * c.z.cols, part.z.data.begin());
    cuda::SampleLaunch a = launch_for(part, S, o, split.data() + std::size_t(begin) * S, nullptr);
    a.first_row = begin;
    emulate_launch(a);
  }
  EXPECT_EQ(split, reference);
}

// The kernel draws in standardised units and maps each draw to original
// units in double: at a target mean of 1e9 with a scale of 0.05 the draws
// keep their spread (in float, 1e9 resolves 64) and match the CPU sampler's
// to float rounding in standardised units.
TEST(SampleKernelBody, DrawsKeepTheirSpreadAtLargeOffsets) {
  Case c = random_case(50, 3, 2, 23);
  c.model.stats.t_mean = {1e9, -1e6};
  c.model.stats.t_scale = {0.05, 0.05};
  const int S = 40, T = 2;
  const SampleOptions o{9};
  const std::size_t n = std::size_t(c.z.rows) * S;
  std::vector<double> out(n * T), cpu(n * T);
  std::vector<int> comps(n), cpu_comps(n);
  emulate_launch(launch_for(c, S, o, out.data(), comps.data()));
  sample_mixtures(mixtures_from_head(c.model, c.z), S, o, 0, cpu.data(), cpu_comps.data());
  int compared = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (comps[i] != cpu_comps[i]) continue;
    ++compared;
    for (int d = 0; d < T; ++d) {
      const double mean = c.model.stats.t_mean[d], scale = c.model.stats.t_scale[d];
      ASSERT_NEAR((out[i * T + d] - mean) / scale, (cpu[i * T + d] - mean) / scale, 1e-4) << "draw " << i;
    }
  }
  EXPECT_GT(compared, int(n) * 9 / 10);
}

// Full covariance: the kernel turns each component's s and c into its
// covariance factor in place and draws mu_k + A_k n; the CPU sampler builds
// A from the mixtures in double (MixtureBatch::chol) with the same words.
TEST(SampleKernelBody, FullCovarianceReproducesTheCpuSampler) {
  const int shapes[][4] = {{23, 3, 2, 17}, {11, 2, 3, 9}, {6, 4, 5, 7}, {4, 2, 8, 30}};  // rows, K, T, S
  for (const auto& shape : shapes) {
    const int rows = shape[0], K = shape[1], T = shape[2], S = shape[3];
    Case c = random_case(rows, K, T, std::uint64_t(rows * 7 + T), true);
    ASSERT_EQ(c.z.cols, K * (1 + 2 * T + T * (T - 1) / 2));
    for (int r = 0; r < rows; ++r)  // off-diagonals of size 1: strong correlations
      for (int i = K + 2 * K * T; i < c.z.cols; ++i) c.z(r, i) *= 0.5f;
    SampleOptions o{std::uint64_t(S + T)};
    o.temperature = 0.8;
    o.sigma_scale = 1.5;
    const std::size_t n = std::size_t(rows) * S;
    std::vector<double> out(n * T + 32, NAN), cpu(n * T);
    std::vector<int> comps(n, -1), cpu_comps(n);
    emulate_launch(launch_for(c, S, o, out.data(), comps.data()), 5, 64);
    for (std::size_t i = n * T; i < out.size(); ++i) ASSERT_TRUE(std::isnan(out[i])) << "wrote past the end";
    const MixtureBatch mix = mixtures_from_head(c.model, c.z);
    ASSERT_TRUE(mix.full_covariance());
    sample_mixtures(mix, S, o, 0, cpu.data(), cpu_comps.data());
    int mismatched = 0;
    for (std::size_t i = 0; i < n; ++i) {
      ASSERT_GE(comps[i], 0) << "draw " << i << " not written";
      if (comps[i] != cpu_comps[i]) {
        ++mismatched;
        continue;
      }
      for (int d = 0; d < T; ++d)
        ASSERT_NEAR(out[i * T + d], cpu[i * T + d], 2e-5 * (1.0 + std::fabs(cpu[i * T + d])))
            << "shape " << rows << "," << K << "," << T << "," << S << " draw " << i << " dim " << d;
    }
    EXPECT_LE(mismatched, int(n / 1000) + 1);
  }
}

TEST(SampleKernelBody, RowsPerBlockRespectsSharedMemoryAndThreads) {
  for (int K : {1, 5, 32})
    for (int T : {1, 4, 8})
      for (int S : {1, 3, 100, 100000}) {
        const int R = cuda::sample_rows_per_block(S, K, T);
        EXPECT_GE(R, 1);
        EXPECT_LE(R, cuda::kSampleThreads);
        EXPECT_LE(R * K * (1 + 2 * T), std::max(cuda::kSampleSharedFloats, K * (1 + 2 * T)));
        EXPECT_LE(std::int64_t(R) * S, std::max<std::int64_t>(cuda::kSampleDrawsPerBlock, S));
      }
}

}  // namespace
}  // namespace mdn
