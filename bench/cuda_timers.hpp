// Device-side timers behind the benchmark's CUDA rows: the fused head kernel
// alone, the sampling kernel alone, the captured training step, and a
// device-to-device copy for the bandwidth the kernels are compared against.
// All time with CUDA events. Plain C++: bench/cuda/cuda_timers.cu implements
// them in builds with the CUDA backend, cuda_timers_absent.cpp elsewhere
// (where every constructor throws; the rows are skipped before that).
#pragma once
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "mdn/matrix.hpp"
#include "mdn/model.hpp"
#include "mdn/sampling.hpp"
#include "mdn/spec.hpp"
#include "mdn/train_options.hpp"

namespace mdn_bench {

// The fused head kernel (kernels/mdn_head.cuh; the full-covariance kernel
// for a full spec) on `rows` samples of random head pre-activations and
// targets resident on the device.
class HeadKernelTimer {
 public:
  HeadKernelTimer(const mdn::ModelSpec& spec, int rows);
  ~HeadKernelTimer();
  double time(int launches);        // seconds for back-to-back launches
  double bytes_per_launch() const;  // z and t read, dz and the losses written
 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Device-to-device cudaMemcpyAsync of `bytes`.
class DeviceCopyTimer {
 public:
  explicit DeviceCopyTimer(std::size_t bytes);
  ~DeviceCopyTimer();
  double time(int copies);        // seconds for back-to-back copies
  double bytes_per_copy() const;  // `bytes` read plus `bytes` written
 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The sampling kernel alone: z uploaded once, the draws left on the device.
class SamplingKernelTimer {
 public:
  SamplingKernelTimer(const mdn::Model& model, const mdn::Matrix& z, int samples);
  ~SamplingKernelTimer();
  double time(const mdn::SampleOptions& options);  // seconds for one launch
 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The CUDA backend's captured training step: seconds for `steps` graph
// replays at batch size `batch` over (x, t), which hold batch * steps rows
// (the shuffle, the capture and one warm-up replay are not timed). Also
// returns the backend's name through `name`.
class TrainStepTimer {
 public:
  TrainStepTimer(const mdn::ModelSpec& spec, const std::vector<float>& params, const mdn::Matrix& x,
                 const mdn::Matrix& t);
  ~TrainStepTimer();
  double time(int batch, int steps, const mdn::AdamConfig& adam);
  std::string name() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mdn_bench
