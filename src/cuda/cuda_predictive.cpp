// Host side of the GPU predictive statistics: uploads a MixtureBatch in
// chunks of rows, launches kernels/predictive.cu, downloads mean / std /
// quantiles in the CPU functions' layouts.
#include "cuda/cuda_predictive.hpp"

#include <algorithm>
#include <numeric>
#include <string>

#include "cuda/cuda_backend.hpp"  // device_count
#include "cuda_check.cuh"
#include "cuda/device_buffer.cuh"
#include "cuda/handles.cuh"
#include "mdn/error.hpp"
#include "mdn/spec.hpp"
#include "predictive.cuh"

namespace mdn {
namespace {

// At most this many rows per launch: bounds the device buffers at
// ~(8 (K + 2KT) + 8 T (2 + L) + 4 T) bytes x 2^20 (about 4.4 GiB at K = 32,
// T = 8 without levels; a few hundred MiB for common models).
constexpr std::int64_t kMaxRowsPerLaunch = std::int64_t(1) << 20;
constexpr const char kAdvice[] = "try fewer rows per chunk";

}  // namespace

struct CudaPredictive::Impl {
  explicit Impl(int device_id) : device(device_id) {}  // the device is current: the stream is created on it
  int device;
  cuda::Stream stream;
  cuda::DeviceBuffer<double> alpha, mu, sigma, levels, mean, stddev, quantiles;
  cuda::DeviceBuffer<int> slots, status;
};

CudaPredictive::CudaPredictive(int device) { impl_ = std::make_unique<Impl>(cuda::select_device(device)); }
CudaPredictive::~CudaPredictive() = default;

PredictiveStatistics CudaPredictive::compute(const MixtureBatch& mix, const std::vector<double>& levels) {
  validate_quantile_levels(levels);
  const int K = mix.K, T = mix.T, L = int(levels.size());
  check_kernel_limits(K, T, "GPU predictive statistics");
  const std::size_t KT = std::size_t(K) * T;
  if (mix.rows < 0 || mix.alpha.size() != std::size_t(mix.rows) * K || mix.mu.size() != std::size_t(mix.rows) * KT ||
      mix.sigma.size() != mix.mu.size())
    throw Error("GPU predictive statistics: the mixture batch's arrays do not match rows, K and T");

  PredictiveStatistics out;
  out.moments.rows = mix.rows;
  out.moments.T = T;
  out.moments.mean.resize(std::size_t(mix.rows) * T);
  out.moments.stddev.resize(out.moments.mean.size());
  out.quantiles.resize(std::size_t(mix.rows) * T * L);
  if (mix.rows == 0) return out;

  // Levels in increasing order, each with its output column (as the CPU).
  std::vector<int> slot(L);
  std::iota(slot.begin(), slot.end(), 0);
  std::sort(slot.begin(), slot.end(), [&](int a, int b) { return levels[a] < levels[b]; });
  std::vector<double> sorted(L);
  for (int j = 0; j < L; ++j) sorted[j] = levels[slot[j]];

  Impl& s = *impl_;
  MDN_CUDA_CHECK(cudaSetDevice(s.device));
  const cudaStream_t stream = s.stream.get();
  const std::int64_t chunk = std::min<std::int64_t>(mix.rows, kMaxRowsPerLaunch);
  s.alpha.grow(std::size_t(chunk) * K, "GPU predictive weights", kAdvice);
  s.mu.grow(std::size_t(chunk) * KT, "GPU predictive means", kAdvice);
  s.sigma.grow(std::size_t(chunk) * KT, "GPU predictive sigmas", kAdvice);
  s.mean.grow(std::size_t(chunk) * T, "GPU predictive mean", kAdvice);
  s.stddev.grow(std::size_t(chunk) * T, "GPU predictive std", kAdvice);
  s.status.grow(std::size_t(chunk) * T, "GPU predictive status", kAdvice);
  if (L > 0) {
    s.quantiles.grow(std::size_t(chunk) * T * L, "GPU predictive quantiles", kAdvice);
    s.levels.grow(std::size_t(L), "GPU predictive levels", kAdvice);
    s.slots.grow(std::size_t(L), "GPU predictive level columns", kAdvice);
    s.levels.upload(sorted.data(), std::size_t(L), stream);
    s.slots.upload(slot.data(), std::size_t(L), stream);
  }

  std::vector<int> status(std::size_t(chunk) * T);
  for (std::int64_t begin = 0; begin < mix.rows; begin += chunk) {
    const std::int64_t rows = std::min<std::int64_t>(chunk, mix.rows - begin);
    s.alpha.upload(mix.alpha.data() + std::size_t(begin) * K, std::size_t(rows) * K, stream);
    s.mu.upload(mix.mu.data() + std::size_t(begin) * KT, std::size_t(rows) * KT, stream);
    s.sigma.upload(mix.sigma.data() + std::size_t(begin) * KT, std::size_t(rows) * KT, stream);
    cuda::PredictiveLaunch a;
    a.alpha = s.alpha.data();
    a.mu = s.mu.data();
    a.sigma = s.sigma.data();
    a.levels_sorted = L > 0 ? s.levels.data() : nullptr;
    a.level_slot = L > 0 ? s.slots.data() : nullptr;
    a.mean = s.mean.data();
    a.stddev = s.stddev.data();
    a.quantiles = L > 0 ? s.quantiles.data() : nullptr;
    a.status = s.status.data();
    a.rows = rows;
    a.K = K;
    a.T = T;
    a.L = L;
    cuda::launch_predictive(a, stream);
    const std::size_t items = std::size_t(rows) * T;
    s.mean.download(out.moments.mean.data() + std::size_t(begin) * T, items, stream);
    s.stddev.download(out.moments.stddev.data() + std::size_t(begin) * T, items, stream);
    if (L > 0) s.quantiles.download(out.quantiles.data() + std::size_t(begin) * T * L, items * L, stream);
    s.status.download(status.data(), items, stream);
    s.stream.synchronize();  // also surfaces asynchronous faults of the kernel
    if (std::any_of(status.begin(), status.begin() + std::ptrdiff_t(items), [](int v) { return v != 0; }))
      throw Error("quantile: the mixture has no component with positive weight");
  }
  return out;
}

}  // namespace mdn
