// Host side of GPU sampling: the kernel's arguments from the model, device
// buffers, and chunking of large requests into launches of bounded memory.
#include "cuda/cuda_sampling.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "cuda/cuda_backend.hpp"  // device_count
#include "cuda_check.cuh"
#include "mdn/detail/sample_math.hpp"
#include "mdn/error.hpp"

namespace mdn {
namespace cuda {

namespace {
// At most this many output values (512 MiB of doubles) per launch.
constexpr std::size_t kMaxLaunchOutputFloats = std::size_t(1) << 26;

// What the sampler's out-of-memory errors suggest: the device buffers hold
// one chunk of rows (and its draws).
constexpr const char kSamplingAdvice[] = "try fewer rows per chunk (or fewer samples per row)";

}  // namespace

SampleLaunch make_sample_launch(const ModelSpec& spec, const Standardizer& stats, int samples,
                                const SampleOptions& options) {
  options.validate();
  if (samples < 1) throw UsageError("samples per row must be at least 1");
  const int K = spec.components, T = spec.target_dim;
  check_kernel_limits(K, T, "GPU sampling");
  if (int(stats.t_mean.size()) != T || int(stats.t_scale.size()) != T)
    throw Error("GPU sampling: the model's target statistics do not match T");
  SampleLaunch a;
  a.samples = samples;
  a.K = K;
  a.T = T;
  a.log_sigma_min = spec.log_sigma_min;
  a.log_sigma_max = spec.log_sigma_max;
  for (int d = 0; d < T; ++d) {
    a.t_mean[d] = stats.t_mean[d];
    a.t_scale[d] = stats.t_scale[d];
  }
  a.inverse_temperature = float(std::fmin(1.0 / options.temperature, double(detail::kMaxInverseTemperature)));
  a.sigma_scale = float(options.sigma_scale);
  a.seed = options.seed;
  a.full_covariance = spec.covariance == Covariance::Full;  // rows spec.head_width() wide, draws mu + A n
  return a;
}

}  // namespace cuda

struct CudaSampler::Impl {
  // The device must be current: the stream is created on it.
  Impl(const ModelSpec& model_spec, int device_id) : device(device_id), spec(model_spec) {}

  int device;
  ModelSpec spec;
  cuda::Stream stream;
  cuda::DeviceBuffer<float> z;  // grown on demand, reused across calls
  cuda::DeviceBuffer<double> out;
  cuda::DeviceBuffer<int> components;
};

CudaSampler::CudaSampler(const ModelSpec& spec, int device) {
  cuda::select_device(device);
  const int K = spec.components, T = spec.target_dim;
  check_kernel_limits(K, T, "GPU sampling");
  impl_ = std::make_unique<Impl>(spec, device);
}

CudaSampler::~CudaSampler() = default;

void CudaSampler::sample(const Matrix& z, const Standardizer& stats, int samples, const SampleOptions& options,
                         std::int64_t first_row, double* out, int* components) {
  Impl& s = *impl_;
  cuda::SampleLaunch a = cuda::make_sample_launch(s.spec, stats, samples, options);
  const int W = s.spec.head_width(), T = s.spec.target_dim;
  if (z.cols != W)
    throw Error("GPU sampling: head output has " + std::to_string(z.cols) + " columns; the model needs " +
                std::to_string(W));
  if (first_row < 0) throw Error("GPU sampling: first_row must be >= 0");
  if (z.rows == 0) return;
  const std::size_t per_row = std::size_t(samples) * T;
  if (per_row > cuda::kMaxLaunchOutputFloats)
    throw UsageError(std::to_string(samples) + " samples per row are too many for the GPU sampler (at most " +
                     std::to_string(cuda::kMaxLaunchOutputFloats / T) + " per row)");
  const std::int64_t chunk = std::min<std::int64_t>(z.rows, std::int64_t(cuda::kMaxLaunchOutputFloats / per_row));
  MDN_CUDA_CHECK(cudaSetDevice(s.device));
  s.z.grow(std::size_t(chunk) * W, "GPU sampling's head pre-activations", cuda::kSamplingAdvice);
  s.out.grow(std::size_t(chunk) * per_row, "GPU sampling's draws", cuda::kSamplingAdvice);
  if (components) s.components.grow(std::size_t(chunk) * samples, "GPU sampling's components", cuda::kSamplingAdvice);

  const cudaStream_t stream = s.stream.get();
  for (std::int64_t begin = 0; begin < z.rows; begin += chunk) {
    const std::int64_t rows = std::min<std::int64_t>(chunk, z.rows - begin);
    s.z.upload(z.data.data() + std::size_t(begin) * W, std::size_t(rows) * W, stream);
    a.z = s.z.data();
    a.out = s.out.data();
    a.components = components ? s.components.data() : nullptr;
    a.rows = rows;
    a.first_row = first_row + begin;
    cuda::launch_sample(a, stream);
    s.out.download(out + std::size_t(begin) * per_row, std::size_t(rows) * per_row, stream);
    if (components)
      s.components.download(components + std::size_t(begin) * samples, std::size_t(rows) * samples, stream);
    // Also surfaces any error of the kernel itself (asynchronous faults).
    s.stream.synchronize();
  }
}

}  // namespace mdn
