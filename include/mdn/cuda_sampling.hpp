// Sampling on the GPU (builds with the CUDA backend only: MDN_WITH_CUDA is
// defined for code that links it). Same recipe as mdn/sampling.hpp, run by a
// cuRAND Philox kernel (kernels/sample.cu) that reads the network's head
// pre-activations directly. A draw depends only on (seed, row, sample), so
// the GPU's samples do not depend on chunking either; they match the CPU
// sampler's up to float rounding of the mixture parameters, and only each
// side's own reproducibility is promised.
#pragma once
#if defined(MDN_WITH_CUDA)
#include <cstdint>
#include <memory>

#include "mdn/matrix.hpp"
#include "mdn/model.hpp"
#include "mdn/sampling.hpp"

namespace mdn {

class CudaSampler {
 public:
  // Keeps the model's spec and target statistics and owns a stream and
  // device buffers (grown on demand, reused across calls). Throws mdn::Error
  // when no CUDA device is present.
  explicit CudaSampler(const Model& model, int device = 0);
  ~CudaSampler();
  CudaSampler(const CudaSampler&) = delete;
  CudaSampler& operator=(const CudaSampler&) = delete;

  // z: head pre-activations (rows x K(1+2T), standardised units, what
  // Backend::forward returns) of the data rows first_row .. first_row +
  // z.rows - 1. Writes out (host, z.rows x samples x T floats, original
  // units, index (r * samples + s) * T + d) and, when not null, components
  // (z.rows x samples). Large requests run in several launches of bounded
  // device memory. Throws mdn::Error / UsageError.
  void sample(const Matrix& z, int samples, const SampleOptions& options, std::int64_t first_row, float* out,
              int* components = nullptr);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mdn
#endif  // MDN_WITH_CUDA
