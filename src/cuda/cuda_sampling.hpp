// Internal: the host side of GPU sampling (device buffers, the kernel's
// arguments, a checked-call macro) and a device-resident runner for the
// benchmarks. Needs the CUDA runtime headers; not part of the public API.
#pragma once
#include <cuda_runtime.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "mdn/error.hpp"
#include "mdn/model.hpp"
#include "mdn/sampling.hpp"
#include "../../kernels/sample.cuh"

// Throws mdn::Error carrying the call, file, line and CUDA's error string.
// TODO(lead): fold into the CUDA backend's one checked-call macro when it lands.
#define MDN_SAMPLING_CUDA_CHECK(call) ::mdn::cuda::check_sampling_status((call), #call, __FILE__, __LINE__)

namespace mdn::cuda {

inline void check_sampling_status(cudaError_t status, const char* call, const char* file, int line) {
  if (status == cudaSuccess) return;
  std::string what = std::string(file) + ":" + std::to_string(line) + ": " + call + ": " + cudaGetErrorString(status);
  if (status == cudaErrorMemoryAllocation) what = "GPU out of memory while sampling (" + what + ")";
  throw Error(what);
}

// A move-only device array; grows (never shrinks) on reserve(). The
// destructor never throws.
template <class T>
class SamplingBuffer {
 public:
  SamplingBuffer() = default;
  ~SamplingBuffer() {
    if (data_) cudaFree(data_);
  }
  SamplingBuffer(const SamplingBuffer&) = delete;
  SamplingBuffer& operator=(const SamplingBuffer&) = delete;
  SamplingBuffer(SamplingBuffer&& o) noexcept : data_(o.data_), size_(o.size_) { o.data_ = nullptr, o.size_ = 0; }

  void reserve(std::size_t n) {
    if (n <= size_) return;
    if (data_) MDN_SAMPLING_CUDA_CHECK(cudaFree(data_));
    data_ = nullptr;
    size_ = 0;
    MDN_SAMPLING_CUDA_CHECK(cudaMalloc(reinterpret_cast<void**>(&data_), n * sizeof(T)));
    size_ = n;
  }
  T* get() const { return data_; }

 private:
  T* data_ = nullptr;
  std::size_t size_ = 0;
};

// The kernel arguments shared by every launch for this model and these options
// (z, out, rows, first_row are filled per launch).
// Throws UsageError for bad options, Error for a model the kernel cannot take.
SampleLaunch make_sample_launch(const ModelSpec& spec, const Standardizer& stats, int samples,
                                const SampleOptions& options);

// Benchmarks: z uploaded once, samples left on the device; one run() is one
// kernel launch timed with CUDA events.
class DeviceSampling {
 public:
  DeviceSampling(const Model& model, const Matrix& z, int samples, int device = 0);
  ~DeviceSampling();
  DeviceSampling(const DeviceSampling&) = delete;
  DeviceSampling& operator=(const DeviceSampling&) = delete;

  float run_ms(const SampleOptions& options);  // kernel time of one launch
  std::size_t output_bytes() const { return std::size_t(rows_) * samples_ * T_ * sizeof(float); }
  std::vector<float> download() const;

 private:
  ModelSpec spec_;
  Standardizer stats_;
  std::int64_t rows_;
  int samples_, T_;
  SamplingBuffer<float> z_, out_;
  cudaStream_t stream_ = nullptr;
  cudaEvent_t start_ = nullptr, stop_ = nullptr;
};

}  // namespace mdn::cuda
