// What a trained model answers, on the CPU and on CUDA, side by side:
//
//   BM_Sample/<dev>/K<K>_T<T>/<rows>   100 draws per row from the mixtures
//       encoded by head pre-activations z (rows x K(1+2T), already in
//       memory), in original units. CPU: mixtures_from_head + sample_mixtures
//       (OpenMP over rows), wall clock; CUDA: the Philox sampling kernel
//       alone (SamplingKernelTimer: z on the device, draws left there), CUDA
//       events. items_per_second = draws/s; bytes_per_second = z read + draws
//       written; CUDA adds copy_bytes_per_second and fraction_of_copy.
//   BM_SampleWithTransfers/cuda/K5_T1/<rows>   Backend::sample on CUDA end to end: upload
//       z, kernel, download to pageable host memory (what `mdn sample
//       --device cuda` pays per chunk); host clock. No CPU row: on the CPU
//       this is BM_Sample/cpu.
//   BM_Quantiles/<dev>/K<K>_T<T>/<rows>   every row's marginal mean, std and
//       0.05, 0.5, 0.95 quantiles from precomputed mixtures (CPU:
//       predictive_moments + predictive_quantiles; CUDA: Backend::statistics,
//       uploading the mixtures and downloading the results, host clock);
//       items = rows.
//   BM_Modes/<dev>/K<K>_T<T>/<rows>       every row's modes (mean-shift from
//       each component mean, predictive_modes); items = rows.
//   BM_Hdr/<dev>/K5_T1/<rows>             the 90% highest-density region of
//       dimension 0 (predictive_hdr); items = rows.
//   BM_QuantilesRecalibrated/<dev>/K5_T1/<rows>, BM_SampleRecalibrated/...
//       BM_Quantiles and BM_Sample's work on a recalibrated batch (a 20-bin
//       PIT map): exact moments over the quantile bands, mapped levels, draws
//       by inversion. Host only; compare with the plain rows of the same run.
//   BM_QuantilesYeoJohnson/<dev>/K5_T1/<rows>, BM_Crps/..., BM_CrpsYeoJohnson/...
//       BM_Quantiles' work, and each row's CRPS at its first component's
//       mean, through a Yeo-Johnson target transform (lambda 0.5: moments
//       and CRPS by piecewise Gauss-Legendre in v, as `mdn eval` of a model
//       trained with --target-transform) against the plain closed-form CRPS.
//       Host only.
// Modes and HDRs have no CUDA implementation (`mdn predict --device cuda`
// computes them on the host): their CUDA rows are listed and skipped with
// that reason.
//
// Trimmed sweep: K = 5, T = 1 over the whole batch sweep; K in {1, 20} with
// T = 1 / 4 at 4,096 and 65,536 rows; the HDR at 1,024 and 16,384 rows.
//
//   build/bench/mdn_bench --benchmark_filter='Sample|Quantiles|Modes|Hdr'
#include <cmath>
#include <cstdint>
#include <exception>
#include <random>
#include <utility>
#include <vector>

#include "bench_common.hpp"
#include "mdn/metrics.hpp"
#include "mdn/mixture.hpp"
#include "mdn/model.hpp"
#include "mdn/predictive.hpp"
#include "mdn/sampling.hpp"

namespace mdn_bench {
namespace {

constexpr int kSamplesPerRow = 100;

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

// A model of this mixture shape with identity target statistics.
mdn::Model mixture_model(const Shape& shape) {
  mdn::Model model;
  model.spec = shape.spec();
  model.stats.t_mean.assign(std::size_t(shape.T), 0.0f);
  model.stats.t_scale.assign(std::size_t(shape.T), 1.0f);
  return model;
}

// ---- sampling ---------------------------------------------------------------------
void sample(benchmark::State& state, Device device, const Shape& shape) {
  if (device == Device::Cuda && skip_without_cuda(state)) return;
  const int rows = int(state.range(0));
  const mdn::Model model = mixture_model(shape);
  const mdn::Matrix z = uniform_matrix(rows, shape.head_width(), -1.0f, 1.0f, 5);
  const double draws = double(rows) * kSamplesPerRow;
  const double bytes = 8.0 * draws * shape.T + 4.0 * double(z.size());  // draws written (double), z read
  mdn::SampleOptions options{1};
  ManualClock clock(state);
  if (device == Device::Cpu) {
    std::vector<double> out(std::size_t(draws) * std::size_t(shape.T));
    for (auto _ : state) {
      ++options.seed;
      clock.record(wall_seconds([&] {
        mdn::sample_mixtures(mdn::mixtures_from_head(model, z), kSamplesPerRow, options, 0, out.data());
        benchmark::DoNotOptimize(out.data());
      }));
    }
  } else {
    SamplingKernelTimer run(model, z, kSamplesPerRow);
    run.time(options);  // warm-up
    for (auto _ : state) {
      ++options.seed;
      clock.record(run.time(options));
    }
    add_copy_counters(state, bytes * double(state.iterations()) / clock.total(), bytes);
  }
  set_rates(state, draws, bytes);
}

void sample_with_transfers(benchmark::State& state) {
  if (skip_without_cuda(state)) return;
  try {
    const int rows = int(state.range(0));
    const Shape shape = kReference;
    const mdn::Matrix z = uniform_matrix(rows, shape.head_width(), -1.0f, 1.0f, 6);
    std::vector<double> out(std::size_t(rows) * kSamplesPerRow);
    const mdn::Model model = mixture_model(shape);
    auto backend = mdn::make_cuda_backend(model.spec);
    const auto run = [&] { backend->sample(z, model.stats, kSamplesPerRow, mdn::SampleOptions{1}, 0, out.data()); };
    run();  // warm-up
    ManualClock clock(state);
    for (auto _ : state) clock.record(wall_seconds(run));
    set_rates(state, double(rows) * kSamplesPerRow, 4.0 * (double(out.size()) + double(z.size())));
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}

// ---- predictive statistics from precomputed mixtures (items = rows) ------------------------
template <class Statistic>
void time_statistic(benchmark::State& state, const mdn::MixtureBatch& mix, Statistic&& statistic) {
  ManualClock clock(state);
  for (auto _ : state) clock.record(wall_seconds([&] { benchmark::DoNotOptimize(statistic(mix)); }));
  set_rates(state, mix.rows);
}

// A statistic with no CUDA implementation: its CUDA row says so.
template <class Statistic>
void host_statistic(benchmark::State& state, Device device, const Shape& shape, std::uint64_t seed,
                    Statistic&& statistic) {
  if (device == Device::Cuda) {
    if (!skip_without_cuda(state)) state.SkipWithError("no CUDA implementation: computed on the host");
    return;
  }
  time_statistic(state, random_batch(int(state.range(0)), shape.K, shape.T, seed), statistic);
}

// What `mdn predict --quantiles 0.05,0.5,0.95` computes per row: the marginal
// mean, std and quantiles (CPU: predictive_moments + predictive_quantiles;
// CUDA: Backend::statistics, with the mixture's upload and the results'
// download).
void quantiles(benchmark::State& state, Device device, const Shape& shape) {
  if (device == Device::Cuda && skip_without_cuda(state)) return;
  const std::vector<double> levels{0.05, 0.5, 0.95};
  const mdn::MixtureBatch mix = random_batch(int(state.range(0)), shape.K, shape.T, 2);
  if (device == Device::Cpu) {
    time_statistic(state, mix, [&](const mdn::MixtureBatch& m) {
      return std::make_pair(mdn::predictive_moments(m), mdn::predictive_quantiles(m, levels));
    });
  } else {
    auto gpu = mdn::make_cuda_backend(shape.spec());
    gpu->statistics(mix, levels);  // warm-up: buffers, module load
    time_statistic(state, mix, [&](const mdn::MixtureBatch& m) { return gpu->statistics(m, levels); });
    state.SetLabel("with the mixture upload + results download");
  }
}

void modes(benchmark::State& state, Device device, const Shape& shape) {
  host_statistic(state, device, shape, 3, [](const mdn::MixtureBatch& m) { return mdn::predictive_modes(m); });
}

void hdr(benchmark::State& state, Device device, const Shape& shape) {
  host_statistic(state, device, shape, 4, [](const mdn::MixtureBatch& m) { return mdn::predictive_hdr(m, 0, 0.9); });
}

// ---- recalibrated (a PIT map, mdn/pit_map.hpp) against the plain rows above -------------
// The map of an over-dispersed model: 20 bins, heights from 0.25 at the ends
// to 1.75 in the middle (knots normalised to end at 1).
mdn::PitMap peaked_map() {
  mdn::PitMap g;
  g.knots.push_back(0.0);
  double total = 0.0;
  for (int j = 0; j < 20; ++j) g.knots.push_back(total += 0.25 + 1.5 * (1.0 - std::abs(j - 9.5) / 9.5));
  for (double& k : g.knots) k /= total;
  g.knots.back() = 1.0;
  return g;
}

// As `quantiles` (mean, std, 3 quantiles per row), with the map: host only
// (the CUDA backend hands a recalibrated batch to the host code).
void recalibrated_quantiles(benchmark::State& state, Device device, const Shape& shape) {
  const std::vector<double> levels{0.05, 0.5, 0.95};
  host_statistic(state, device, shape, 2, [&](mdn::MixtureBatch m) {
    m.pit_maps = {peaked_map()};
    return std::make_pair(mdn::predictive_moments(m), mdn::predictive_quantiles(m, levels));
  });
}

// 100 draws per row by inversion (sample_mixtures with a map), host only.
void recalibrated_sample(benchmark::State& state, Device device, const Shape& shape) {
  host_statistic(state, device, shape, 1, [&](mdn::MixtureBatch m) {
    m.pit_maps = {peaked_map()};
    return mdn::sample_mixtures(m, kSamplesPerRow, mdn::SampleOptions{}, 0);
  });
}

// ---- through a target transform (mdn/target_transform.hpp) against the plain rows -----------
const mdn::TargetTransform kYeoJohnson{mdn::TargetTransformKind::YeoJohnson, 0.5};

void transformed_quantiles(benchmark::State& state, Device device, const Shape& shape) {
  const std::vector<double> levels{0.05, 0.5, 0.95};
  host_statistic(state, device, shape, 2, [&](mdn::MixtureBatch m) {
    m.transforms = {kYeoJohnson};
    return std::make_pair(mdn::predictive_moments(m), mdn::predictive_quantiles(m, levels));
  });
}

// Each row's CRPS at its first component's mean (in original units).
double crps_sum(const mdn::MixtureBatch& m) {
  double total = 0.0;
  for (int r = 0; r < m.rows; ++r) {
    const double v = m.mu[std::size_t(r) * std::size_t(m.K * m.T)];
    total += mdn::mixture_crps(m, r, 0, m.transforms.empty() ? v : m.transforms[0].inverse(v));
  }
  return total;
}

void crps(benchmark::State& state, Device device, const Shape& shape) {
  host_statistic(state, device, shape, 5, [](const mdn::MixtureBatch& m) { return crps_sum(m); });
}

void transformed_crps(benchmark::State& state, Device device, const Shape& shape) {
  host_statistic(state, device, shape, 5, [](mdn::MixtureBatch m) {
    m.transforms = {kYeoJohnson};
    return crps_sum(m);
  });
}

const bool registered = [] {
  const std::vector<std::int64_t> corner_batches{1 << 12, 1 << 16};
  const std::vector<Shape> corners{{8, 64, 1, 1}, {8, 64, 20, 4}};
  const struct {
    const char* name;
    CaseFn fn;
  } cases[] = {{"Sample", sample}, {"Quantiles", quantiles}, {"Modes", modes}};
  for (const auto& c : cases) {
    register_case(c.name, kReference.mixture_name(), c.fn, kReference, kBatchSweep);
    for (const Shape& shape : corners) register_case(c.name, shape.mixture_name(), c.fn, shape, corner_batches);
  }
  register_case("Hdr", kReference.mixture_name(), hdr, kReference, {1 << 10, 1 << 14});
  register_case("QuantilesRecalibrated", kReference.mixture_name(), recalibrated_quantiles, kReference,
                {1 << 12, 1 << 16});
  register_case("SampleRecalibrated", kReference.mixture_name(), recalibrated_sample, kReference, {1 << 10, 1 << 12});
  register_case("QuantilesYeoJohnson", kReference.mixture_name(), transformed_quantiles, kReference, {1 << 12});
  register_case("Crps", kReference.mixture_name(), crps, kReference, {1 << 12});
  register_case("CrpsYeoJohnson", kReference.mixture_name(), transformed_crps, kReference, {1 << 12});
  benchmark::RegisterBenchmark("BM_SampleWithTransfers/cuda/K5_T1", sample_with_transfers)
      ->Arg(1 << 16)
      ->Arg(1 << 20)
      ->UseManualTime()
      ->Unit(benchmark::kMicrosecond);
  return true;
}();

}  // namespace
}  // namespace mdn_bench
