// The GPU sampler against the exact mixture (KS, chi-square) and against the
// CPU sampler, and its reproducibility across chunking and launch shapes
// (checked against the CPU sampler's draws too, not only against itself).
// Skipped (GTEST_SKIP in SetUp) without a CUDA build or device; failed
// instead under MDN_REQUIRE_GPU.
#include <gtest/gtest.h>

#include "gpu/gpu_fixture.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <vector>

#include "mdn/backend.hpp"
#include "mdn/detail/marginal_math.hpp"
#include "mdn/error.hpp"
#include "mdn/mixture.hpp"
#include "mdn/sampling.hpp"

namespace mdn {
namespace {

class GpuSampling : public test::GpuTest {};

// The CUDA backend's sampler for one model's spec and target statistics.
struct GpuSampler {
  explicit GpuSampler(const Model& m) : model(m), backend(make_cuda_backend(m.spec)) {}
  void sample(const Matrix& z, int samples, const SampleOptions& options, std::int64_t first_row, double* out,
              int* components = nullptr) {
    backend->sample(z, model.stats, samples, options, first_row, out, components);
  }
  Model model;
  std::unique_ptr<Backend> backend;
};

// A model shell (no network needed): the spec and target statistics the
// sampler uses, with head pre-activations z drawn at random.
struct HeadCase {
  Model model;
  Matrix z;
  MixtureBatch mix;  // the same mixtures on the host, for the references
};

HeadCase random_heads(int rows, int K, int T, std::uint64_t seed, double logit_spread = 2.0, double mean_spread = 3.0) {
  HeadCase c;
  c.model.spec.components = K;
  c.model.spec.target_dim = T;
  c.model.spec.input_dim = 1;
  for (int d = 0; d < T; ++d) {
    c.model.stats.t_mean.push_back(1.5f * d - 2.0f);
    c.model.stats.t_scale.push_back(0.5f + d);
  }
  c.model.target_names.assign(T, "y");
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  c.z = Matrix(rows, c.model.spec.head_width());
  for (int r = 0; r < rows; ++r) {
    float* z = c.z.row(r);
    for (int k = 0; k < K; ++k) z[k] = float(logit_spread) * u(rng);
    for (int i = 0; i < K * T; ++i) z[K + i] = -1.0f + 0.8f * u(rng);                // log sigma
    for (int i = 0; i < K * T; ++i) z[K + K * T + i] = float(mean_spread) * u(rng);  // means
  }
  c.mix = mixtures_from_head(c.model, c.z);
  return c;
}

double ks_statistic(std::vector<double> x, const MixtureBatch& m, int r, int d) {
  std::sort(x.begin(), x.end());
  const std::size_t kt = std::size_t(m.K) * m.T;
  double total = 0.0;
  for (int k = 0; k < m.K; ++k) total += m.weight(r, k);
  const double n = double(x.size());
  double D = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double F = detail::marginal_cdf(m.alpha.data() + r * m.K, m.mu.data() + r * kt, m.sigma.data() + r * kt, m.K,
                                          m.T, d, x[i]) /
                     total;
    D = std::max({D, (i + 1) / n - F, F - i / n});
  }
  return D;
}

TEST_F(GpuSampling, KolmogorovSmirnovAgainstTheExactCdf) {
  const int N = 100000;
  for (int c = 0; c < 4; ++c) {
    // c = 0..1: overlapping; c = 2..3: means 30 sigma apart (well separated).
    const HeadCase h = random_heads(1, 4, 2, 10 + c, 2.0, c < 2 ? 0.5 : 30.0);
    GpuSampler gpu(h.model);
    std::vector<double> x(std::size_t(N) * 2);
    gpu.sample(h.z, N, SampleOptions{std::uint64_t(c)}, 0, x.data());
    for (int d = 0; d < 2; ++d) {
      std::vector<double> xd(N);
      for (int i = 0; i < N; ++i) xd[i] = x[2 * i + d];
      EXPECT_LT(ks_statistic(xd, h.mix, 0, d), 1.9495 / std::sqrt(double(N))) << "case " << c << " dim " << d;
    }
  }
}

TEST_F(GpuSampling, ComponentFrequenciesMatchTemperedWeights) {
  const HeadCase h = random_heads(1, 5, 1, 3);
  GpuSampler gpu(h.model);
  const int N = 200000;
  for (double tau : {1.0, 0.5}) {
    SampleOptions options{5};
    options.temperature = tau;
    std::vector<double> x(N);
    std::vector<int> picks(N);
    gpu.sample(h.z, N, options, 0, x.data(), picks.data());
    std::vector<double> p(5);
    double total = 0.0;
    for (int k = 0; k < 5; ++k) total += (p[k] = std::pow(double(h.mix.weight(0, k)), 1.0 / tau));
    double chi2 = 0.0;
    for (int k = 0; k < 5; ++k) {
      const double e = N * p[k] / total, o = double(std::count(picks.begin(), picks.end(), k));
      chi2 += (o - e) * (o - e) / e;
    }
    EXPECT_LT(chi2, 18.467) << "temperature " << tau;  // df = 4, alpha = 0.001
  }
}

// Same recipe, same Philox words: GPU and CPU draws agree up to float
// rounding of the parameters (a uniform within ~1e-7 of a cumulative weight
// may pick the neighbouring component: allowed for a tiny fraction).
void expect_same_draws(const std::vector<double>& gpu_x, const std::vector<int>& gpu_k,
                       const std::vector<double>& cpu_x, const std::vector<int>& cpu_k, int T, const char* what) {
  ASSERT_EQ(gpu_k.size(), cpu_k.size()) << what;
  ASSERT_EQ(gpu_x.size(), cpu_x.size()) << what;
  int mismatched = 0;
  for (std::size_t i = 0; i < gpu_k.size(); ++i) {
    if (gpu_k[i] != cpu_k[i]) {
      ++mismatched;
      continue;
    }
    for (int d = 0; d < T; ++d) {
      const float a = gpu_x[i * T + d], b = cpu_x[i * T + d];
      ASSERT_NEAR(a, b, 1e-4f * (1.0f + std::fabs(b))) << what << ": draw " << i << " dim " << d;
    }
  }
  EXPECT_LE(mismatched, int(gpu_k.size() / 10000)) << what << ": " << mismatched << " component picks differ";
}

TEST_F(GpuSampling, AgreesWithTheCpuSamplerDrawForDraw) {
  const HeadCase h = random_heads(300, 5, 3, 8);
  const int S = 50;
  SampleOptions options{2024};
  options.temperature = 0.8;
  options.sigma_scale = 1.3;
  std::vector<double> gpu_x(std::size_t(h.z.rows) * S * 3), cpu_x(gpu_x.size());
  std::vector<int> gpu_k(std::size_t(h.z.rows) * S), cpu_k(gpu_k.size());
  GpuSampler gpu(h.model);
  gpu.sample(h.z, S, options, 1000, gpu_x.data(), gpu_k.data());
  sample_mixtures(h.mix, S, options, 1000, cpu_x.data(), cpu_k.data());
  expect_same_draws(gpu_x, gpu_k, cpu_x, cpu_k, 3, "GPU vs CPU");
}

TEST_F(GpuSampling, ReproducibleAcrossChunksAndLaunchShapes) {
  const HeadCase h = random_heads(1000, 3, 2, 4);
  const int S = 13;
  const SampleOptions options{7};
  GpuSampler gpu(h.model);
  std::vector<double> whole(std::size_t(h.z.rows) * S * 2);
  gpu.sample(h.z, S, options, 0, whole.data());
  for (int chunk : {7, 1000}) {
    std::vector<double> pieces(whole.size());
    std::vector<int> picks(std::size_t(h.z.rows) * S);
    for (int first = 0; first < h.z.rows; first += chunk) {
      const int rows = std::min(chunk, h.z.rows - first);
      Matrix zc(rows, h.z.cols);
      std::copy(h.z.row(first), h.z.row(first) + std::size_t(rows) * h.z.cols, zc.data.begin());
      gpu.sample(zc, S, options, first, pieces.data() + std::size_t(first) * S * 2,
                 picks.data() + std::size_t(first) * S);
    }
    EXPECT_EQ(pieces, whole) << "chunk " << chunk;
    // Equal to itself is not yet right: the chunked draws are the CPU
    // sampler's draws for those rows (a function of seed, row and index).
    std::vector<double> cpu_x(whole.size());
    std::vector<int> cpu_k(picks.size());
    sample_mixtures(h.mix, S, options, 0, cpu_x.data(), cpu_k.data());
    expect_same_draws(pieces, picks, cpu_x, cpu_k, 2, chunk == 7 ? "chunks of 7 rows vs CPU" : "chunks of 1000 vs CPU");
  }
  // More samples per row changes the rows per block: the first S draws stay.
  std::vector<double> more(std::size_t(h.z.rows) * 4 * S * 2);
  std::vector<int> more_picks(std::size_t(h.z.rows) * 4 * S);
  gpu.sample(h.z, 4 * S, options, 0, more.data(), more_picks.data());
  {
    std::vector<double> cpu_x(more.size());
    std::vector<int> cpu_k(more_picks.size());
    sample_mixtures(h.mix, 4 * S, options, 0, cpu_x.data(), cpu_k.data());
    expect_same_draws(more, more_picks, cpu_x, cpu_k, 2, "4S draws per row vs CPU");
  }
  for (int r = 0; r < h.z.rows; ++r)
    ASSERT_TRUE(std::equal(whole.begin() + std::size_t(r) * S * 2, whole.begin() + std::size_t(r + 1) * S * 2,
                           more.begin() + std::size_t(r) * 4 * S * 2))
        << "row " << r;
  // Same call twice: same samples.
  std::vector<double> again(whole.size());
  gpu.sample(h.z, S, options, 0, again.data());
  EXPECT_EQ(again, whole);
}

TEST_F(GpuSampling, TemperatureTowardsZeroPicksTheArgmaxAndSigmaScaleZeroTheMean) {
  const HeadCase h = random_heads(50, 4, 1, 6);
  SampleOptions options{1};
  options.temperature = 1e-30;
  options.sigma_scale = 0.0;
  const int S = 20;
  std::vector<double> x(std::size_t(50) * S);
  std::vector<int> picks(x.size());
  GpuSampler gpu(h.model);
  gpu.sample(h.z, S, options, 0, x.data(), picks.data());
  for (int r = 0; r < 50; ++r) {
    const int argmax = int(std::max_element(h.z.row(r), h.z.row(r) + 4) - h.z.row(r));
    for (int s = 0; s < S; ++s) {
      ASSERT_EQ(picks[r * S + s], argmax) << "row " << r;
      EXPECT_NEAR(x[r * S + s], h.mix.mean(r, argmax, 0), 1e-5f * (1.0f + std::fabs(h.mix.mean(r, argmax, 0))));
    }
  }
}

TEST_F(GpuSampling, RefusesBadInput) {
  const HeadCase h = random_heads(4, 2, 1, 1);
  GpuSampler gpu(h.model);
  std::vector<double> x(400);
  EXPECT_THROW(gpu.sample(Matrix(4, h.z.cols + 1), 10, SampleOptions{}, 0, x.data()), Error);
  SampleOptions bad;
  bad.temperature = 0.0;
  EXPECT_THROW(gpu.sample(h.z, 10, bad, 0, x.data()), UsageError);
  EXPECT_THROW(gpu.sample(h.z, 0, SampleOptions{}, 0, x.data()), UsageError);
}

}  // namespace
}  // namespace mdn
