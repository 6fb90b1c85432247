// Sampling and predictive statistics: CPU throughput (draws/s, rows/s) and
// the GPU sampling kernel on 10^6 rows x 100 samples (K = 5, T = 1), timed
// with CUDA events around the kernel alone (UseManualTime), with the bytes/s
// of its output to compare against the device's write bandwidth. GPU cases
// SkipWithError("no CUDA device") without one.
//
//   build/bench/mdn_bench --benchmark_filter='Sample|Quantiles|Modes|Hdr'
#include <benchmark/benchmark.h>

#include <chrono>
#include <random>

#include "mdn/backend.hpp"
#include "mdn/mixture.hpp"
#include "mdn/predictive.hpp"
#include "mdn/sampling.hpp"
#if defined(MDN_WITH_CUDA)
#include "cuda/cuda_sampling.hpp"
#include "mdn/cuda_sampling.hpp"
#endif

namespace {

// rows random mixtures (K x T) in original units.
mdn::MixtureBatch random_batch(int rows, int K, int T, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  mdn::MixtureBatch m;
  m.rows = rows;
  m.K = K;
  m.T = T;
  m.alpha.resize(std::size_t(rows) * K);
  m.mu.resize(std::size_t(rows) * K * T);
  m.sigma.resize(m.mu.size());
  for (int r = 0; r < rows; ++r) {
    float total = 0.0f;
    for (int k = 0; k < K; ++k) total += (m.alpha[std::size_t(r) * K + k] = 0.1f + u(rng));
    for (int k = 0; k < K; ++k) m.alpha[std::size_t(r) * K + k] /= total;
  }
  for (auto& v : m.mu) v = 4.0f * u(rng) - 2.0f;
  for (auto& v : m.sigma) v = 0.1f + 0.5f * u(rng);
  return m;
}

// Head pre-activations for a K-component, T-dim model (rows x K(1+2T)).
mdn::Matrix random_heads(int rows, const mdn::ModelSpec& spec, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  mdn::Matrix z(rows, spec.head_width());
  for (auto& v : z.data) v = u(rng);
  return z;
}

// ---- sampling: 10^6 rows x 100 draws, K = 5, T = 1 (draws/s as items/s) ------------
// Names follow bench/peer_pytorch.py's OUR_NAMES: BM_Sample/{cpu,cuda}/K5_T1/ROWS.
constexpr int kSamplesPerRow = 100;

void cpu_sample(benchmark::State& state) {
  const int rows = int(state.range(0));
  const mdn::MixtureBatch m = random_batch(rows, 5, 1, 1);
  std::vector<float> out(std::size_t(rows) * kSamplesPerRow);
  mdn::SampleOptions options{1};
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    mdn::sample_mixtures(m, kSamplesPerRow, options, 0, out.data());
    benchmark::DoNotOptimize(out.data());
    state.SetIterationTime(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    ++options.seed;
  }
  state.SetItemsProcessed(state.iterations() * rows * kSamplesPerRow);
  state.SetBytesProcessed(state.iterations() * rows * kSamplesPerRow * int64_t(sizeof(float)));
}

// The kernel alone (z already on the device, output left there), timed with
// CUDA events; bytes/s is the output written, to compare with the device's
// write bandwidth.
void gpu_sample_kernel(benchmark::State& state) {
  if (!mdn::cuda_available()) {
    state.SkipWithError("no CUDA device");
    return;
  }
#if defined(MDN_WITH_CUDA)
  const int rows = int(state.range(0));
  mdn::Model model;
  model.spec.components = 5;
  model.spec.target_dim = 1;
  model.stats.t_mean = {0.0f};
  model.stats.t_scale = {1.0f};
  try {
    mdn::cuda::DeviceSampling run(model, random_heads(rows, model.spec, 5), kSamplesPerRow);
    mdn::SampleOptions options{1};
    run.run_ms(options);  // warm-up
    for (auto _ : state) {
      ++options.seed;
      state.SetIterationTime(run.run_ms(options) / 1000.0);
    }
    state.SetItemsProcessed(state.iterations() * int64_t(rows) * kSamplesPerRow);
    state.SetBytesProcessed(state.iterations() * int64_t(run.output_bytes()));
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
#endif
}

// End to end through CudaSampler (upload z, kernel, download to pageable host
// memory): what `mdn sample --device cuda` pays per chunk.
void gpu_sample_with_transfers(benchmark::State& state) {
  if (!mdn::cuda_available()) {
    state.SkipWithError("no CUDA device");
    return;
  }
#if defined(MDN_WITH_CUDA)
  const int rows = int(state.range(0));
  mdn::Model model;
  model.spec.components = 5;
  model.spec.target_dim = 1;
  model.stats.t_mean = {0.0f};
  model.stats.t_scale = {1.0f};
  try {
    const mdn::Matrix z = random_heads(rows, model.spec, 6);
    std::vector<float> out(std::size_t(rows) * kSamplesPerRow);
    mdn::CudaSampler sampler(model);
    for (auto _ : state) sampler.sample(z, kSamplesPerRow, mdn::SampleOptions{1}, 0, out.data());
    state.SetItemsProcessed(state.iterations() * int64_t(rows) * kSamplesPerRow);
    state.SetBytesProcessed(state.iterations() * int64_t(out.size() * sizeof(float)));
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
#endif
}

// ---- predictive statistics (rows/s as items/s) ------------------------------------
void cpu_quantiles(benchmark::State& state) {
  const int rows = int(state.range(0));
  const mdn::MixtureBatch m = random_batch(rows, 5, 1, 2);
  for (auto _ : state) benchmark::DoNotOptimize(mdn::predictive_quantiles(m, {0.05, 0.5, 0.95}));
  state.SetItemsProcessed(state.iterations() * rows);
}

void cpu_modes(benchmark::State& state) {
  const int rows = int(state.range(0));
  const mdn::MixtureBatch m = random_batch(rows, 5, 1, 3);
  for (auto _ : state) benchmark::DoNotOptimize(mdn::predictive_modes(m));
  state.SetItemsProcessed(state.iterations() * rows);
}

void cpu_hdr(benchmark::State& state) {
  const int rows = int(state.range(0));
  const mdn::MixtureBatch m = random_batch(rows, 5, 1, 4);
  for (auto _ : state) benchmark::DoNotOptimize(mdn::predictive_hdr(m, 0, 0.9));
  state.SetItemsProcessed(state.iterations() * rows);
}

const bool registered = [] {
  using benchmark::RegisterBenchmark;
  RegisterBenchmark("BM_Sample/cpu/K5_T1", cpu_sample)->Arg(100000)->Arg(1000000)->UseManualTime()->Unit(
      benchmark::kMillisecond);
  RegisterBenchmark("BM_Sample/cuda/K5_T1", gpu_sample_kernel)->Arg(1000000)->UseManualTime()->Unit(
      benchmark::kMillisecond);
  RegisterBenchmark("BM_SampleWithTransfers/cuda/K5_T1", gpu_sample_with_transfers)
      ->Arg(65536)
      ->UseRealTime()
      ->Unit(benchmark::kMillisecond);
  RegisterBenchmark("BM_Quantiles/cpu/K5_T1_L3", cpu_quantiles)->Arg(10000)->UseRealTime()->Unit(
      benchmark::kMillisecond);
  RegisterBenchmark("BM_Modes/cpu/K5_T1", cpu_modes)->Arg(10000)->UseRealTime()->Unit(benchmark::kMillisecond);
  RegisterBenchmark("BM_Hdr/cpu/K5_T1_C0.9", cpu_hdr)->Arg(1000)->UseRealTime()->Unit(benchmark::kMillisecond);
  return true;
}();

}  // namespace
