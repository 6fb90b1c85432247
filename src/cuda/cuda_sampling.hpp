// Internal: the host side of GPU sampling (the kernel's arguments) and a
// device-resident runner for the benchmarks. Needs the CUDA runtime headers;
// not part of the public API.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "cuda/device_buffer.cuh"
#include "cuda/handles.cuh"
#include "mdn/model.hpp"
#include "mdn/sampling.hpp"
#include "sample.cuh"

namespace mdn::cuda {

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
  DeviceSampling(const DeviceSampling&) = delete;
  DeviceSampling& operator=(const DeviceSampling&) = delete;

  float run_ms(const SampleOptions& options);  // kernel time of one launch
  std::size_t output_bytes() const { return std::size_t(rows_) * samples_ * T_ * sizeof(float); }
  std::vector<float> download() const;

 private:
  // Declaration order is construction order: the device is selected before
  // the stream and events are created on it.
  int device_;
  ModelSpec spec_;
  Standardizer stats_;
  std::int64_t rows_;
  int samples_, T_;
  Stream stream_;
  Event start_, stop_;
  DeviceBuffer<float> z_, out_;
};

}  // namespace mdn::cuda
