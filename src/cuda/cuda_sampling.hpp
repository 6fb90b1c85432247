// Internal: sampling on the GPU, behind the CUDA backend's Backend::sample.
// Same recipe as mdn/sampling.hpp, run by a Philox kernel (kernels/sample.cu)
// that reads the network's head pre-activations directly. A draw depends only
// on (seed, row, sample), so the GPU's samples do not depend on chunking
// either; they match the CPU sampler's up to float rounding of the mixture
// parameters, and only each side's own reproducibility is promised.
// Also the kernel's arguments (shared with the benchmark's kernel timer).
// Needs the CUDA runtime headers; not part of the public API.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

#include "cuda/device_buffer.cuh"
#include "cuda/handles.cuh"
#include "mdn/model.hpp"
#include "mdn/sampling.hpp"
#include "sample.cuh"

namespace mdn {

class CudaSampler {
 public:
  // Owns a stream and device buffers on `device` (grown on demand, reused
  // across calls). Throws mdn::Error for a spec the kernel cannot take.
  CudaSampler(const ModelSpec& spec, int device);
  ~CudaSampler();
  CudaSampler(const CudaSampler&) = delete;
  CudaSampler& operator=(const CudaSampler&) = delete;

  // Backend::sample: z (host, rows x head_width) of the data rows first_row ..
  // first_row + z.rows - 1; out (host) z.rows x samples x T doubles in the
  // units of `stats`; components optional. Large requests run in several
  // launches of bounded device memory. Throws mdn::Error / UsageError.
  void sample(const Matrix& z, const Standardizer& stats, int samples, const SampleOptions& options,
              std::int64_t first_row, double* out, int* components = nullptr);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mdn

namespace mdn::cuda {

// The kernel arguments shared by every launch for this model and these options
// (z, out, rows, first_row are filled per launch).
// Throws UsageError for bad options, Error for a model the kernel cannot take.
SampleLaunch make_sample_launch(const ModelSpec& spec, const Standardizer& stats, int samples,
                                const SampleOptions& options);

}  // namespace mdn::cuda
