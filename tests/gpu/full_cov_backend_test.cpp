// The CUDA backend with full-covariance components (issue 30) against the
// CPU backend and against independent references:
//   - forward, loss, every parameter gradient (the head's off-diagonal rows
//     a block of their own), weighted loss and gradient and mean_nll equal
//     the CPU backend's on the same parameters and batch (T = 2, 3;
//     K = 1, 3), and mean_nll equals the mean of mdn::mixture_nll over the
//     rows (the math layer's dense Gaussian with the covariance factor A,
//     not the head's precision-factor formula);
//   - the captured (graph) training step equals the un-captured one bit for
//     bit and follows the CPU's steps; full-batch epochs follow the CPU's
//     epochs; minibatch epochs lower the loss and learn the correlation (the
//     full model ends clearly below the diagonal one on correlated targets);
//   - sampling (the host sampler behind the CUDA backend: docs/CUDA.md) gives
//     the CPU backend's draws and the mixture's mean, covariance and weights;
//     the device statistics of a full batch are the per-target marginals.
// Every suite derives from GpuTest: skipped without a device (GTEST_SKIP in
// SetUp), failed instead under MDN_REQUIRE_GPU.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <ostream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "cuda/cuda_backend_internal.hpp"
#include "gpu/cuda_parity.hpp"
#include "gpu/gpu_fixture.hpp"
#include "mdn/backend.hpp"
#include "mdn/metrics.hpp"
#include "mdn/mixture.hpp"
#include "mdn/predictive.hpp"
#include "mdn/sampling.hpp"
#include "mdn/spec.hpp"
#include "mdn/standardizer.hpp"
#include "mdn/trainer.hpp"

namespace {

using namespace mdn::test::parity;  // make_gpu, random_parameters, expect_close_per_slice, ...
using mdn::cuda::StepMode;

mdn::ModelSpec full_spec(int D, int T, int K, std::vector<int> hidden) {
  mdn::ModelSpec spec = make_spec(D, T, K, std::move(hidden));
  spec.covariance = mdn::Covariance::Full;
  return spec;
}

// Targets whose dimensions are correlated given x: t_0 = sin(2 x_0) + 0.5 n_0,
// then each t_j = 0.9 t_{j-1} + 0.2 n_j (t_0 and t_1 correlated 0.91 given
// x), so the off-diagonals carry information a diagonal model cannot express.
mdn::Matrix correlated_targets(const mdn::Matrix& x, int T, std::mt19937_64& rng) {
  std::normal_distribution<double> normal(0.0, 1.0);
  mdn::Matrix t(x.rows, T);
  for (int i = 0; i < x.rows; ++i) {
    t(i, 0) = float(std::sin(2.0 * x(i, 0)) + 0.5 * normal(rng));
    for (int j = 1; j < T; ++j) t(i, j) = float(0.9 * t(i, j - 1) + 0.2 * normal(rng));
  }
  return t;
}

// A standardizer that leaves the targets in the network's units (the
// sampling and statistics tests set their own target statistics).
mdn::Standardizer unit_stats(int D, int T) {
  mdn::Standardizer s;
  s.x_mean.assign(std::size_t(D), 0.0);
  s.x_scale.assign(std::size_t(D), 1.0);
  s.t_mean.assign(std::size_t(T), 0.0);
  s.t_scale.assign(std::size_t(T), 1.0);
  return s;
}

// ---------------------------------------------------------------------------
// Loss and gradient against the CPU backend.

struct FullCase {
  int K, T, n;
};

void PrintTo(const FullCase& c, std::ostream* os) { *os << "K=" << c.K << " T=" << c.T << " n=" << c.n; }

class CudaFullCovParity : public mdn::test::GpuTest, public ::testing::WithParamInterface<FullCase> {};

TEST_P(CudaFullCovParity, ForwardLossGradientAndMeanNllMatchTheCpu) {
  const FullCase c = GetParam();
  const mdn::ModelSpec spec = full_spec(5, c.T, c.K, {13, 7});
  std::mt19937_64 rng(7919ull * std::uint64_t(c.K) + 31ull * std::uint64_t(c.T) + std::uint64_t(c.n));
  // Every head row random, the off-diagonal ones included: c is O(1), so the
  // components are far from diagonal.
  const std::vector<float> params = random_parameters(spec, rng);
  const mdn::Matrix x = normal_matrix(c.n, spec.input_dim, 1.0, rng);
  const mdn::Matrix t = normal_matrix(c.n, spec.target_dim, 1.0, rng);
  auto cpu = mdn::make_cpu_backend(spec);
  auto gpu = make_gpu(spec);
  cpu->set_parameters(params);
  gpu->set_parameters(params);

  const mdn::Matrix z_gpu = gpu->forward(x);
  ASSERT_EQ(z_gpu.cols, c.K * (1 + 2 * c.T + c.T * (c.T - 1) / 2));
  expect_close_z_per_block(spec, z_gpu, cpu->forward(x), 1e-4, 1e-5);

  std::vector<float> grad_cpu;
  const double loss_cpu = expect_loss_and_gradient_match(*cpu, *gpu, x, t, grad_cpu);
  ASSERT_TRUE(std::isfinite(loss_cpu));
  // The off-diagonal head rows have a gradient of their own (not zero).
  const mdn::ParameterLayout layout(spec);
  const int offdiag = spec.offdiag_offset();
  double offdiag_grad = 0.0;
  for (int j = offdiag; j < spec.head_width(); ++j) offdiag_grad += std::fabs(grad_cpu[layout.head().bias_offset + j]);
  EXPECT_GT(offdiag_grad, 1e-6);

  // Sample weights (some zero): the weighted mean loss and its gradient.
  std::vector<float> weights(std::size_t(c.n));
  std::uniform_real_distribution<float> u(0.0f, 2.0f);
  for (std::size_t i = 0; i < weights.size(); ++i) weights[i] = i % 5 == 2 ? 0.0f : u(rng);
  std::vector<float> weighted_grad;
  expect_loss_and_gradient_match(*cpu, *gpu, x, t, weighted_grad, &weights);

  // mean_nll: the CPU's, and the math layer's joint NLL of the GPU's own
  // head outputs (mixtures_from_head: A = L^-1, a dense Gaussian).
  const double nll_gpu = gpu->mean_nll(x, t);
  expect_near_rel(nll_gpu, loss_cpu, 1e-5, 1e-5, "mean_nll");
  const mdn::MixtureBatch mix = mdn::mixtures_from_head(spec, unit_stats(spec.input_dim, c.T), z_gpu);
  double independent = 0.0;
  for (int i = 0; i < c.n; ++i) {
    std::vector<double> ti(t.row(i), t.row(i) + c.T);
    independent += mdn::mixture_nll(mix, i, ti.data());
  }
  expect_near_rel(nll_gpu, independent / c.n, 1e-4, 1e-4, "mean_nll vs mdn::mixture_nll");
}

std::vector<FullCase> full_cases() {
  std::vector<FullCase> cases;
  for (int T : {2, 3})
    for (int K : {1, 3})
      for (int n : {37, 1000}) cases.push_back({K, T, n});
  return cases;
}

INSTANTIATE_TEST_SUITE_P(KTBatch, CudaFullCovParity, ::testing::ValuesIn(full_cases()),
                         [](const ::testing::TestParamInfo<FullCase>& info) {
                           std::ostringstream name;
                           name << "K" << info.param.K << "_T" << info.param.T << "_n" << info.param.n;
                           return name.str();
                         });

// ---------------------------------------------------------------------------
// Training.

class CudaFullCovTraining : public mdn::test::GpuTest {};

TEST_F(CudaFullCovTraining, GraphReplayedStepsEqualTheUncapturedStepAndFollowTheCpu) {
  const mdn::ModelSpec spec = full_spec(3, 3, 3, {24, 16});
  std::mt19937_64 rng(101);
  std::vector<mdn::Matrix> xs, ts;
  for (int step = 0; step < 8; ++step) {
    xs.push_back(normal_matrix(257, spec.input_dim, 1.0, rng));
    ts.push_back(correlated_targets(xs.back(), spec.target_dim, rng));
  }
  const std::vector<float> init = mdn::initial_parameters(spec, ts[0], 3);
  mdn::AdamConfig adam;
  adam.lr = 3e-3f;
  adam.clip_norm = 1.0f;  // clipping active in some steps

  auto graph = make_gpu(spec);
  auto direct = make_gpu(spec);
  auto cpu = mdn::make_cpu_backend(spec);
  graph->set_parameters(init);
  direct->set_parameters(init);
  cpu->set_parameters(init);
  std::vector<float> grad;
  for (int step = 0; step < 8; ++step) {
    const double loss_graph = graph->train_step(xs[step], ts[step], adam, StepMode::Graph);
    const double loss_direct = direct->train_step(xs[step], ts[step], adam, StepMode::Direct);
    EXPECT_EQ(loss_graph, loss_direct) << "step " << step;
    const double loss_cpu = cpu->loss_and_gradient(xs[step], ts[step], grad);
    cpu->adam_step(grad, adam);
    expect_near_rel(loss_graph, loss_cpu, 1e-4, 1e-5, "graph-replayed loss vs the CPU at step " + std::to_string(step));
  }
  EXPECT_EQ(graph->parameters(), direct->parameters());
  EXPECT_EQ(graph->optimizer_state().step, 8);
  EXPECT_LT(mean_abs_difference(graph->parameters(), cpu->parameters()), 1e-5)
      << "mean |param difference| from the CPU after 8 graph-replayed steps";
}

TEST_F(CudaFullCovTraining, FullBatchEpochsFollowTheCpu) {
  const mdn::ModelSpec spec = full_spec(2, 2, 3, {20, 20});
  std::mt19937_64 rng(103);
  const mdn::Matrix x = normal_matrix(600, spec.input_dim, 1.0, rng);
  const mdn::Matrix t = correlated_targets(x, spec.target_dim, rng);
  auto gpu = make_gpu(spec);
  expect_full_batch_epochs_follow_the_cpu(*gpu, x, t, 5, 3e-3f, 1e-4);
}

// Minibatch epochs on correlated targets: the loss falls, the GPU model
// scores on the CPU as it does on the GPU, and the full model ends clearly
// below a diagonal model trained alike (it can express the correlation;
// between one Gaussian with it and one without, the gap is
// -0.5 log(1 - 0.91^2) ~ 0.9 nats).
TEST_F(CudaFullCovTraining, MinibatchEpochsLowerTheLossAndLearnTheCorrelation) {
  std::mt19937_64 rng(107);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  mdn::Matrix x(3000, 1);
  for (int i = 0; i < x.rows; ++i) x(i, 0) = float(u(rng));
  const mdn::Matrix t = correlated_targets(x, 2, rng);
  double final_nll[2] = {0.0, 0.0};
  for (const bool full : {false, true}) {
    mdn::ModelSpec spec = make_spec(1, 2, 2, {32, 32});
    if (full) spec.covariance = mdn::Covariance::Full;
    auto gpu = make_gpu(spec);
    const NllBeforeAfter nll = train_minibatch_epochs(*gpu, x, t, 30);
    EXPECT_LT(nll.after, nll.before - 0.5)
        << (full ? "full" : "diagonal") << ": NLL before " << nll.before << ", after " << nll.after;
    auto cpu = mdn::make_cpu_backend(spec);
    cpu->set_parameters(gpu->parameters());
    expect_near_rel(nll.after, cpu->mean_nll(x, t), 1e-5, 1e-5, "the trained model's NLL on the CPU");
    final_nll[full ? 1 : 0] = nll.after;
  }
  EXPECT_LT(final_nll[1], final_nll[0] - 0.3) << "full " << final_nll[1] << " vs diagonal " << final_nll[0];
}

// ---------------------------------------------------------------------------
// Sampling and statistics.

class CudaFullCovPrediction : public mdn::test::GpuTest {};

// Random full-covariance mixtures from a random network, in original units
// (target means and scales far from 0 and 1).
struct FullMixtures {
  mdn::ModelSpec spec;
  mdn::Standardizer stats;
  mdn::Matrix z;
  mdn::MixtureBatch mix;
};

FullMixtures full_mixtures(int rows, std::uint64_t seed) {
  FullMixtures m;
  m.spec = full_spec(4, 3, 3, {16});
  std::mt19937_64 rng(seed);
  auto gpu = make_gpu(m.spec);
  gpu->set_parameters(random_parameters(m.spec, rng));
  m.z = gpu->forward(normal_matrix(rows, m.spec.input_dim, 1.0, rng));
  m.stats = unit_stats(m.spec.input_dim, m.spec.target_dim);
  m.stats.t_mean = {1.0, -2.0, 100.0};
  m.stats.t_scale = {2.0, 0.5, 10.0};
  m.mix = mdn::mixtures_from_head(m.spec, m.stats, m.z);
  return m;
}

// Row r's weights normalised to sum to 1 (the network's sum to 1 only up to
// float rounding; every consumer normalises them).
std::vector<double> weights_of(const mdn::MixtureBatch& mix, int r) {
  std::vector<double> w(std::size_t(mix.K));
  double total = 0.0;
  for (int k = 0; k < mix.K; ++k) total += mix.weight(r, k);
  for (int k = 0; k < mix.K; ++k) w[std::size_t(k)] = mix.weight(r, k) / total;
  return w;
}

// Component k's covariance Sigma = A A^T, entry (d, e), from the factor.
double component_cov(const mdn::MixtureBatch& mix, int r, int k, int d, int e) {
  const double* A = mix.factor(r, k);
  double s = 0.0;
  for (int j = 0; j <= std::min(d, e); ++j) s += A[d * (d + 1) / 2 + j] * A[e * (e + 1) / 2 + j];
  return s;
}

TEST_F(CudaFullCovPrediction, SamplesAreTheCpuDrawsWithTheMixtureMoments) {
  constexpr int kRows = 4, kSamples = 40000;
  const FullMixtures m = full_mixtures(kRows, 211);
  const int K = m.spec.components, T = m.spec.target_dim;
  mdn::SampleOptions options;
  options.seed = 99;
  std::vector<double> draws(std::size_t(kRows) * kSamples * T), cpu_draws(draws.size());
  std::vector<int> comps(std::size_t(kRows) * kSamples), cpu_comps(comps.size());
  auto gpu = make_gpu(m.spec);
  gpu->sample(m.z, m.stats, kSamples, options, 5, draws.data(), comps.data());
  auto cpu = mdn::make_cpu_backend(m.spec);
  cpu->sample(m.z, m.stats, kSamples, options, 5, cpu_draws.data(), cpu_comps.data());
  // The kernel draws in float from the head (kernels/sample_tile.hpp), the
  // CPU in double from the mixtures: the same words, so the same components
  // but for a rare pick on a float boundary, and the same values to float
  // rounding.
  int mismatched = 0;
  for (std::size_t i = 0; i < comps.size(); ++i) {
    if (comps[i] != cpu_comps[i]) {
      ++mismatched;
      continue;
    }
    for (int d = 0; d < T; ++d)
      ASSERT_NEAR(draws[i * T + d], cpu_draws[i * T + d], 1e-5 * (1.0 + std::fabs(cpu_draws[i * T + d])))
          << "draw " << i << " dim " << d;
  }
  EXPECT_LE(mismatched, int(comps.size() / 1000) + 1);

  const mdn::MixtureBatch& mix = m.mix;
  for (int r = 0; r < kRows; ++r) {
    const std::vector<double> w = weights_of(mix, r);
    std::vector<double> mean(T, 0.0), cov(std::size_t(T) * T, 0.0), freq(K, 0.0);
    for (int k = 0; k < K; ++k)
      for (int d = 0; d < T; ++d) mean[d] += w[std::size_t(k)] * mix.mean(r, k, d);
    for (int k = 0; k < K; ++k)
      for (int d = 0; d < T; ++d)
        for (int e = 0; e < T; ++e)
          cov[d * T + e] += w[std::size_t(k)] * (component_cov(mix, r, k, d, e) +
                                                 (mix.mean(r, k, d) - mean[d]) * (mix.mean(r, k, e) - mean[e]));
    std::vector<double> smean(T, 0.0), scov(std::size_t(T) * T, 0.0);
    for (int s = 0; s < kSamples; ++s) {
      const double* x = draws.data() + (std::size_t(r) * kSamples + s) * T;
      for (int d = 0; d < T; ++d) smean[d] += x[d] / kSamples;
      freq[comps[std::size_t(r) * kSamples + s]] += 1.0 / kSamples;
    }
    for (int s = 0; s < kSamples; ++s) {
      const double* x = draws.data() + (std::size_t(r) * kSamples + s) * T;
      for (int d = 0; d < T; ++d)
        for (int e = 0; e < T; ++e) scov[d * T + e] += (x[d] - smean[d]) * (x[e] - smean[e]) / (kSamples - 1);
    }
    // Within 6 standard errors (the covariance's as for a Gaussian, times 2
    // for the mixture's heavier tails).
    for (int d = 0; d < T; ++d) {
      EXPECT_NEAR(smean[d], mean[d], 6.0 * std::sqrt(cov[d * T + d] / kSamples)) << "row " << r << " mean " << d;
      for (int e = 0; e < T; ++e) {
        const double se =
            2.0 * std::sqrt((cov[d * T + d] * cov[e * T + e] + cov[d * T + e] * cov[d * T + e]) / kSamples);
        EXPECT_NEAR(scov[d * T + e], cov[d * T + e], 6.0 * se) << "row " << r << " cov " << d << "," << e;
      }
    }
    for (int k = 0; k < K; ++k) {
      const double a = w[std::size_t(k)];
      EXPECT_NEAR(freq[k], a, 6.0 * std::sqrt(a * (1.0 - a) / kSamples) + 1e-12) << "row " << r << " component " << k;
    }
  }
}

TEST_F(CudaFullCovPrediction, StatisticsAreThePerTargetMarginals) {
  constexpr int kRows = 50;
  const FullMixtures m = full_mixtures(kRows, 223);
  const mdn::MixtureBatch& mix = m.mix;
  const int K = mix.K, T = mix.T;
  const std::vector<double> levels{0.05, 0.5, 0.95};
  auto gpu = make_gpu(m.spec);
  const mdn::PredictiveStatistics got = gpu->statistics(mix, levels);
  ASSERT_EQ(got.moments.mean.size(), std::size_t(kRows) * T);
  ASSERT_EQ(got.quantiles.size(), std::size_t(kRows) * T * levels.size());
  for (int r = 0; r < kRows; ++r) {
    const std::vector<double> w = weights_of(mix, r);
    for (int d = 0; d < T; ++d) {
      // Target d's marginal from the covariance factor: N(mu_kd, Sigma_dd) per component.
      double mean = 0.0, second = 0.0;
      for (int k = 0; k < K; ++k) {
        const double mu = mix.mean(r, k, d);
        mean += w[std::size_t(k)] * mu;
        second += w[std::size_t(k)] * (component_cov(mix, r, k, d, d) + mu * mu);
      }
      const double sd = std::sqrt(std::max(0.0, second - mean * mean));
      const std::size_t i = std::size_t(r) * T + d;
      EXPECT_NEAR(got.moments.mean[i], mean, 1e-9 * (1.0 + std::fabs(mean))) << "row " << r << " target " << d;
      EXPECT_NEAR(got.moments.stddev[i], sd, 1e-7 * sd + 1e-9 * std::fabs(mean)) << "row " << r << " target " << d;
      for (std::size_t j = 0; j < levels.size(); ++j) {
        const double q = got.quantiles[i * levels.size() + j];
        double cdf = 0.0;
        for (int k = 0; k < K; ++k)
          cdf += w[std::size_t(k)] * 0.5 *
                 std::erfc(-(q - mix.mean(r, k, d)) / std::sqrt(2.0 * component_cov(mix, r, k, d, d)));
        EXPECT_NEAR(cdf, levels[j], 1e-6) << "row " << r << " target " << d << " level " << levels[j];
      }
    }
  }
}

}  // namespace
