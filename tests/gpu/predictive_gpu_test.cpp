// GPU predictive statistics (the CUDA backend's statistics, kernels/predictive.cu)
// against the CPU reference (mdn/predictive.hpp) on random mixtures,
// including components thousands of sigma apart: mean / std to 1e-12
// relative, quantiles within 1e-6 in probability (|F(q_gpu) - F(q_cpu)|,
// F the row's normalised marginal CDF), non-crossing, and the chunking of
// rows into launches not changing any bit (and each launch's rows matching
// the CPU). Skipped (GTEST_SKIP in SetUp) without a CUDA build or device;
// failed instead under MDN_REQUIRE_GPU.
#include <gtest/gtest.h>

#include "gpu/gpu_fixture.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <vector>

#include "common/standardised_reference.hpp"
#include "cpu/mixture_builders.hpp"
#include "mdn/backend.hpp"
#include "mdn/detail/marginal_math.hpp"
#include "mdn/error.hpp"
#include "mdn/mixture.hpp"
#include "mdn/predictive.hpp"
#include "mdn/standardizer.hpp"

namespace mdn {
namespace {

class GpuPredictive : public test::GpuTest {};

// The CUDA backend's statistics; they do not depend on the network's shape.
struct GpuStatistics {
  std::unique_ptr<Backend> backend = make_cuda_backend(ModelSpec{1, 1, 1, {1}});
  PredictiveStatistics compute(const MixtureBatch& mix, const std::vector<double>& levels) {
    return backend->statistics(mix, levels);
  }
};

double row_cdf(const MixtureBatch& mix, int r, int d, double y) {
  const double* a = mix.alpha.data() + std::size_t(r) * mix.K;
  const double* m = mix.mu.data() + std::size_t(r) * mix.K * mix.T;
  const double* s = mix.sigma.data() + std::size_t(r) * mix.K * mix.T;
  double total = 0.0;
  for (int k = 0; k < mix.K; ++k) total += a[k];
  return detail::marginal_cdf(a, m, s, mix.K, mix.T, d, y) / total;
}

void expect_matches_cpu(const MixtureBatch& mix, const std::vector<double>& levels) {
  GpuStatistics gpu;
  const PredictiveStatistics got = gpu.compute(mix, levels);
  const PredictiveMoments want = predictive_moments(mix);
  const std::vector<double> want_q = predictive_quantiles(mix, levels);
  ASSERT_EQ(got.moments.mean.size(), want.mean.size());
  ASSERT_EQ(got.quantiles.size(), want_q.size());
  for (std::size_t i = 0; i < want.mean.size(); ++i) {
    EXPECT_NEAR(got.moments.mean[i], want.mean[i], 1e-12 * (1.0 + std::fabs(want.mean[i]))) << i;
    EXPECT_NEAR(got.moments.stddev[i], want.stddev[i], 1e-12 * (1.0 + want.stddev[i]) + 1e-9 * std::fabs(want.mean[i]))
        << i;
  }
  const int L = int(levels.size());
  for (int r = 0; r < mix.rows; ++r)
    for (int d = 0; d < mix.T; ++d)
      for (int j = 0; j < L; ++j) {
        const std::size_t i = (std::size_t(r) * mix.T + d) * L + j;
        ASSERT_TRUE(std::isfinite(got.quantiles[i])) << "row " << r;
        EXPECT_NEAR(row_cdf(mix, r, d, got.quantiles[i]), row_cdf(mix, r, d, want_q[i]), 1e-6)
            << "row " << r << " d " << d << " level " << levels[j];
        EXPECT_NEAR(row_cdf(mix, r, d, got.quantiles[i]), levels[j], 1e-6);
        for (int j2 = 0; j2 < L; ++j2)
          if (levels[j2] < levels[j]) {
            EXPECT_LE(got.quantiles[(std::size_t(r) * mix.T + d) * L + j2], got.quantiles[i]);
          }
      }
}

TEST_F(GpuPredictive, MatchesCpuOnRandomMixtures) {
  std::mt19937_64 rng(7);
  expect_matches_cpu(testing::random_mixtures(rng, 3000, 5, 1, 3.0, 0.05, 5.0), {0.05, 0.5, 0.95});
  expect_matches_cpu(testing::random_mixtures(rng, 1000, 32, 8, 10.0, 0.01, 10.0), {0.999, 1e-6, 0.25, 0.5});
}

TEST_F(GpuPredictive, MatchesCpuWithFarApartComponents) {
  std::mt19937_64 rng(11);
  expect_matches_cpu(testing::random_mixtures(rng, 2000, 3, 2, 2000.0, 1e-3, 100.0), {0.01, 0.3, 0.5, 0.7, 0.99});
  // Levels exactly at the mass left of a gap (a flat stretch of F).
  expect_matches_cpu(testing::one_row({0.3f, 0.7f}, {-1000.0f, 1000.0f}, {1.0f, 2.0f}), {0.1, 0.3, 0.5});
}

// Targets far from 0 (means up to 1e9, spread 0.05): the GPU's moments and
// quantiles against test::StandardisedRow, an independent reference in
// standardised units (not the shared formula both backends use).
TEST_F(GpuPredictive, LargeOffsetsMatchTheStandardisedReference) {
  ModelSpec spec{1, 1, 4, {1}};
  std::mt19937_64 rng(19);
  std::uniform_real_distribution<float> u(-2.0f, 2.0f);
  Matrix z(500, spec.head_width());
  for (float& v : z.data) v = u(rng);
  const std::vector<double> levels{0.05, 0.5, 0.95};
  for (const double offset : {0.0, 1e4, 1e6, 1e9}) {
    Standardizer stats;
    stats.t_mean = {offset};
    stats.t_scale = {0.05};
    const MixtureBatch mix = mixtures_from_head(spec, stats, z);
    GpuStatistics gpu;
    const PredictiveStatistics got = gpu.compute(mix, levels);
    for (int r = 0; r < z.rows; ++r) {
      const test::StandardisedRow ref = test::StandardisedRow::from_head(spec, z.row(r), 0);
      const double sd = 0.05 * ref.stddev();
      EXPECT_NEAR(got.moments.stddev[r], sd, 1e-3 * sd) << "offset " << offset << " row " << r;
      EXPECT_NEAR(got.moments.mean[r], offset + 0.05 * ref.mean(), 1e-3 * sd) << "offset " << offset;
      for (std::size_t j = 0; j < levels.size(); ++j)
        EXPECT_NEAR(got.quantiles[r * levels.size() + j], offset + 0.05 * ref.quantile(levels[j]), 1e-3 * sd)
            << "offset " << offset << " row " << r << " level " << levels[j];
    }
  }
}

TEST_F(GpuPredictive, NoLevelsGivesMomentsOnly) {
  std::mt19937_64 rng(3);
  expect_matches_cpu(testing::random_mixtures(rng, 100, 4, 3, 1.0, 0.1, 1.0), {});
}

TEST_F(GpuPredictive, SameBitsWhateverTheBatching) {
  std::mt19937_64 rng(5);
  const MixtureBatch mix = testing::random_mixtures(rng, 500, 6, 2, 50.0, 0.01, 3.0);
  const std::vector<double> levels{0.9, 0.1, 0.5};
  GpuStatistics gpu;
  const PredictiveStatistics whole = gpu.compute(mix, levels);
  const int T = mix.T, K = mix.K, L = int(levels.size());
  for (int begin = 0; begin < mix.rows; begin += 137) {
    const int rows = std::min(137, mix.rows - begin);
    MixtureBatch part;
    part.rows = rows;
    part.K = K;
    part.T = T;
    part.alpha.assign(mix.alpha.begin() + std::size_t(begin) * K, mix.alpha.begin() + std::size_t(begin + rows) * K);
    part.mu.assign(mix.mu.begin() + std::size_t(begin) * K * T, mix.mu.begin() + std::size_t(begin + rows) * K * T);
    part.sigma.assign(mix.sigma.begin() + std::size_t(begin) * K * T,
                      mix.sigma.begin() + std::size_t(begin + rows) * K * T);
    const PredictiveStatistics got = gpu.compute(part, levels);
    for (std::size_t i = 0; i < got.moments.mean.size(); ++i) {
      EXPECT_EQ(got.moments.mean[i], whole.moments.mean[std::size_t(begin) * T + i]);
      EXPECT_EQ(got.moments.stddev[i], whole.moments.stddev[std::size_t(begin) * T + i]);
    }
    for (std::size_t i = 0; i < got.quantiles.size(); ++i)
      EXPECT_EQ(got.quantiles[i], whole.quantiles[std::size_t(begin) * T * L + i]);
    // The same bits whatever the batching is repeatability; each batch is
    // also the CPU reference's answer for its rows.
    expect_matches_cpu(part, levels);
  }
}

TEST_F(GpuPredictive, RejectsBadInput) {
  GpuStatistics gpu;
  const MixtureBatch one = testing::one_row({1.0f}, {0.0f}, {1.0f});
  EXPECT_THROW(gpu.compute(one, {0.5, 0.5}), UsageError);
  EXPECT_THROW(gpu.compute(one, {1.0}), UsageError);
  EXPECT_THROW(gpu.compute(testing::one_row({0.0f}, {0.0f}, {1.0f}), {0.5}), Error);
}

}  // namespace
}  // namespace mdn
