// The benchmark's CUDA timers (bench/cuda_timers.hpp), on device 0, over the
// library's internals (src/cuda/, kernels/). Not part of the library.
#include <cstdint>
#include <random>
#include <vector>

#include "cuda/cuda_backend.hpp"
#include "cuda/cuda_backend_internal.hpp"
#include "cuda/cuda_sampling.hpp"
#include "cuda_timers.hpp"
#include "cuda_check.cuh"
#include "cuda/device_buffer.cuh"
#include "cuda/handles.cuh"
#include "mdn/error.hpp"
#include "mdn_head.cuh"

namespace mdn_bench {
namespace {

using namespace mdn;
using namespace mdn::cuda;

constexpr int kDevice = 0;

std::vector<float> uniform(std::size_t count, float lo, float hi, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> values(count);
  for (float& v : values) v = dist(rng);
  return values;
}

}  // namespace

struct HeadKernelTimer::Impl {
  Impl(const ModelSpec& spec, int rows)
      : device(select_device(kDevice)),
        n(rows),
        shape{spec.components, spec.target_dim, spec.log_sigma_min, spec.log_sigma_max,
              spec.covariance == Covariance::Full},
        width(std::size_t(spec.head_width())),
        z(std::size_t(rows) * width, "benchmark head pre-activations"),
        t(std::size_t(rows) * std::size_t(spec.target_dim), "benchmark targets"),
        dL_dz(std::size_t(rows) * width, "benchmark head gradient"),
        loss(std::size_t(rows), "benchmark losses") {
    const std::vector<float> z_host = uniform(z.size(), -2.0f, 2.0f, 1);
    const std::vector<float> t_host = uniform(t.size(), -3.0f, 3.0f, 2);
    z.upload(z_host.data(), z_host.size(), stream.get());
    t.upload(t_host.data(), t_host.size(), stream.get());
    stream.synchronize();
  }

  int device;
  int n;
  HeadShape shape;
  std::size_t width;
  Stream stream;
  DeviceBuffer<float> z, t, dL_dz, loss;
};

HeadKernelTimer::HeadKernelTimer(const ModelSpec& spec, int rows) : impl_(std::make_unique<Impl>(spec, rows)) {}
HeadKernelTimer::~HeadKernelTimer() = default;

double HeadKernelTimer::time(int launches) {
  Impl& s = *impl_;
  MDN_CUDA_CHECK(cudaSetDevice(s.device));
  Event start, stop;
  start.record(s.stream.get());
  for (int i = 0; i < launches; ++i)
    launch_mixture_loss_and_grad(s.z.data(), s.t.data(), nullptr, s.n, s.shape, 1.0f / float(s.n), s.loss.data(),
                                 s.dL_dz.data(), s.stream.get());
  stop.record(s.stream.get());
  stop.synchronize();
  return double(stop.elapsed_ms_since(start)) * 1e-3;
}

double HeadKernelTimer::bytes_per_launch() const {
  const Impl& s = *impl_;
  // read z and t, write dz and the loss, once each
  return double(sizeof(float)) * (2.0 * double(s.z.size()) + double(s.t.size()) + double(s.loss.size()));
}

struct DeviceCopyTimer::Impl {
  explicit Impl(std::size_t bytes)
      : device(select_device(kDevice)), src(bytes, "benchmark copy source"), dst(bytes, "benchmark copy destination") {
    MDN_CUDA_CHECK(cudaMemsetAsync(src.data(), 1, bytes, stream.get()));
    stream.synchronize();
  }

  int device;
  Stream stream;
  DeviceBuffer<unsigned char> src, dst;
};

DeviceCopyTimer::DeviceCopyTimer(std::size_t bytes) : impl_(std::make_unique<Impl>(bytes)) {}
DeviceCopyTimer::~DeviceCopyTimer() = default;

double DeviceCopyTimer::time(int copies) {
  Impl& s = *impl_;
  MDN_CUDA_CHECK(cudaSetDevice(s.device));
  Event start, stop;
  start.record(s.stream.get());
  for (int i = 0; i < copies; ++i) copy_device_to_device(s.dst.data(), s.src.data(), s.src.size(), s.stream.get());
  stop.record(s.stream.get());
  stop.synchronize();
  return double(stop.elapsed_ms_since(start)) * 1e-3;
}

double DeviceCopyTimer::bytes_per_copy() const { return 2.0 * double(impl_->src.size()); }

struct SamplingKernelTimer::Impl {
  Impl(const Model& model, const Matrix& z_host, int samples_per_row)
      : device(select_device(kDevice)),
        spec(model.spec),
        stats(model.stats),
        rows(z_host.rows),
        samples(samples_per_row),
        z(z_host.size(), "the sampling benchmark's head pre-activations"),
        out(std::size_t(z_host.rows) * std::size_t(samples_per_row) * std::size_t(model.spec.target_dim),
            "the sampling benchmark's draws") {
    if (z_host.cols != spec.head_width()) throw Error("sampling benchmark: z has the wrong width for the model");
    z.upload(z_host.data.data(), z_host.size(), stream.get());
    stream.synchronize();
  }

  int device;
  ModelSpec spec;
  Standardizer stats;
  std::int64_t rows;
  int samples;
  Stream stream;
  DeviceBuffer<float> z;
  DeviceBuffer<double> out;
};

SamplingKernelTimer::SamplingKernelTimer(const Model& model, const Matrix& z, int samples)
    : impl_(std::make_unique<Impl>(model, z, samples)) {}
SamplingKernelTimer::~SamplingKernelTimer() = default;

double SamplingKernelTimer::time(const SampleOptions& options) {
  Impl& s = *impl_;
  MDN_CUDA_CHECK(cudaSetDevice(s.device));
  SampleLaunch a = make_sample_launch(s.spec, s.stats, s.samples, options);
  a.z = s.z.data();
  a.out = s.out.data();
  a.rows = s.rows;
  a.first_row = 0;
  Event start, stop;
  start.record(s.stream.get());
  launch_sample(a, s.stream.get());
  stop.record(s.stream.get());
  stop.synchronize();
  return double(stop.elapsed_ms_since(start)) * 1e-3;
}

struct TrainStepTimer::Impl {
  std::unique_ptr<BackendWithTestHooks> backend;
};

TrainStepTimer::TrainStepTimer(const ModelSpec& spec, const std::vector<float>& params, const Matrix& x,
                               const Matrix& t)
    : impl_(std::make_unique<Impl>()) {
  impl_->backend = make_backend_with_test_hooks(spec, CudaOptions{});
  impl_->backend->set_parameters(params);
  impl_->backend->set_training_data(x, t);
}
TrainStepTimer::~TrainStepTimer() = default;

double TrainStepTimer::time(int batch, int steps, const AdamConfig& adam) {
  return impl_->backend->time_train_steps(batch, steps, adam);
}

std::string TrainStepTimer::name() const { return impl_->backend->name(); }

}  // namespace mdn_bench
