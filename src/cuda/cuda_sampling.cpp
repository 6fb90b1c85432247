// Host side of GPU sampling: the kernel's arguments from the model, device
// buffers, and chunking of large requests into launches of bounded memory.
#include "mdn/cuda_sampling.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "cuda/cuda_sampling.hpp"
#include "mdn/detail/sample_math.hpp"

namespace mdn {
namespace cuda {

namespace {
// At most this many output floats (256 MiB) per launch.
constexpr std::size_t kMaxLaunchOutputFloats = std::size_t(1) << 26;

void select_device(int device) {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess || count == 0) {
    cudaGetLastError();  // clear the sticky "no device" status
    throw Error("GPU sampling: no CUDA device is present (use --device cpu)");
  }
  if (device < 0 || device >= count)
    throw Error("GPU sampling: device " + std::to_string(device) + " does not exist (" + std::to_string(count) +
                " present)");
  MDN_SAMPLING_CUDA_CHECK(cudaSetDevice(device));
}
}  // namespace

SampleLaunch make_sample_launch(const ModelSpec& spec, const Standardizer& stats, int samples,
                                const SampleOptions& options) {
  options.validate();
  if (samples < 1) throw UsageError("--samples must be at least 1");
  const int K = spec.components, T = spec.target_dim;
  if (K < 1 || K > kMaxComponents || T < 1 || T > kMaxTargetDim)
    throw Error("GPU sampling supports K <= " + std::to_string(kMaxComponents) + " and T <= " +
                std::to_string(kMaxTargetDim) + "; the model has K = " + std::to_string(K) + ", T = " + std::to_string(T));
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
  return a;
}

DeviceSampling::DeviceSampling(const Model& model, const Matrix& z, int samples, int device)
    : spec_(model.spec), stats_(model.stats), rows_(z.rows), samples_(samples), T_(model.spec.target_dim) {
  select_device(device);
  if (z.cols != spec_.head_width()) throw Error("GPU sampling: z has the wrong width for the model");
  if (samples < 1) throw UsageError("--samples must be at least 1");
  z_.reserve(z.size());
  out_.reserve(output_bytes() / sizeof(float));
  MDN_SAMPLING_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
  MDN_SAMPLING_CUDA_CHECK(cudaEventCreate(&start_));
  MDN_SAMPLING_CUDA_CHECK(cudaEventCreate(&stop_));
  MDN_SAMPLING_CUDA_CHECK(cudaMemcpyAsync(z_.get(), z.data.data(), z.size() * sizeof(float), cudaMemcpyHostToDevice, stream_));
  MDN_SAMPLING_CUDA_CHECK(cudaStreamSynchronize(stream_));
}

DeviceSampling::~DeviceSampling() {
  if (start_) cudaEventDestroy(start_);
  if (stop_) cudaEventDestroy(stop_);
  if (stream_) cudaStreamDestroy(stream_);
}

float DeviceSampling::run_ms(const SampleOptions& options) {
  SampleLaunch a = make_sample_launch(spec_, stats_, samples_, options);
  a.z = z_.get();
  a.out = out_.get();
  a.rows = rows_;
  a.first_row = 0;
  MDN_SAMPLING_CUDA_CHECK(cudaEventRecord(start_, stream_));
  launch_sample(a, stream_);
  MDN_SAMPLING_CUDA_CHECK(cudaEventRecord(stop_, stream_));
  MDN_SAMPLING_CUDA_CHECK(cudaEventSynchronize(stop_));
  float ms = 0.0f;
  MDN_SAMPLING_CUDA_CHECK(cudaEventElapsedTime(&ms, start_, stop_));
  return ms;
}

std::vector<float> DeviceSampling::download() const {
  std::vector<float> out(output_bytes() / sizeof(float));
  MDN_SAMPLING_CUDA_CHECK(cudaMemcpyAsync(out.data(), out_.get(), output_bytes(), cudaMemcpyDeviceToHost, stream_));
  MDN_SAMPLING_CUDA_CHECK(cudaStreamSynchronize(stream_));
  return out;
}

}  // namespace cuda

struct CudaSampler::Impl {
  int device = 0;
  ModelSpec spec;
  Standardizer stats;
  cudaStream_t stream = nullptr;
  cuda::SamplingBuffer<float> z, out;
  cuda::SamplingBuffer<int> components;

  ~Impl() {
    if (stream) cudaStreamDestroy(stream);
  }
};

CudaSampler::CudaSampler(const Model& model, int device) : impl_(std::make_unique<Impl>()) {
  cuda::select_device(device);
  impl_->device = device;
  impl_->spec = model.spec;
  impl_->stats = model.stats;
  cuda::make_sample_launch(model.spec, model.stats, 1, SampleOptions{});  // refuses a model the kernel cannot take
  MDN_SAMPLING_CUDA_CHECK(cudaStreamCreateWithFlags(&impl_->stream, cudaStreamNonBlocking));
}

CudaSampler::~CudaSampler() = default;

void CudaSampler::sample(const Matrix& z, int samples, const SampleOptions& options, std::int64_t first_row,
                         float* out, int* components) {
  Impl& s = *impl_;
  cuda::SampleLaunch a = cuda::make_sample_launch(s.spec, s.stats, samples, options);
  const int W = s.spec.head_width(), T = s.spec.target_dim;
  if (z.cols != W)
    throw Error("GPU sampling: head output has " + std::to_string(z.cols) + " columns; the model needs " +
                std::to_string(W));
  if (first_row < 0) throw Error("GPU sampling: first_row must be >= 0");
  if (z.rows == 0) return;
  const std::size_t per_row = std::size_t(samples) * T;
  if (per_row > cuda::kMaxLaunchOutputFloats)
    throw UsageError("--samples " + std::to_string(samples) + " is too many for the GPU sampler (at most " +
                     std::to_string(cuda::kMaxLaunchOutputFloats / T) + " per row)");
  const std::int64_t chunk = std::min<std::int64_t>(z.rows, std::int64_t(cuda::kMaxLaunchOutputFloats / per_row));
  MDN_SAMPLING_CUDA_CHECK(cudaSetDevice(s.device));
  s.z.reserve(std::size_t(chunk) * W);
  s.out.reserve(std::size_t(chunk) * per_row);
  if (components) s.components.reserve(std::size_t(chunk) * samples);

  for (std::int64_t begin = 0; begin < z.rows; begin += chunk) {
    const std::int64_t rows = std::min<std::int64_t>(chunk, z.rows - begin);
    MDN_SAMPLING_CUDA_CHECK(cudaMemcpyAsync(s.z.get(), z.data.data() + std::size_t(begin) * W,
                                            std::size_t(rows) * W * sizeof(float), cudaMemcpyHostToDevice, s.stream));
    a.z = s.z.get();
    a.out = s.out.get();
    a.components = components ? s.components.get() : nullptr;
    a.rows = rows;
    a.first_row = first_row + begin;
    cuda::launch_sample(a, s.stream);
    MDN_SAMPLING_CUDA_CHECK(cudaMemcpyAsync(out + std::size_t(begin) * per_row, s.out.get(),
                                            std::size_t(rows) * per_row * sizeof(float), cudaMemcpyDeviceToHost,
                                            s.stream));
    if (components)
      MDN_SAMPLING_CUDA_CHECK(cudaMemcpyAsync(components + std::size_t(begin) * samples, s.components.get(),
                                              std::size_t(rows) * samples * sizeof(int), cudaMemcpyDeviceToHost,
                                              s.stream));
    // Also surfaces any error of the kernel itself (asynchronous faults).
    MDN_SAMPLING_CUDA_CHECK(cudaStreamSynchronize(s.stream));
  }
}

}  // namespace mdn
