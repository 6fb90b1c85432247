// Internal: predictive statistics on the GPU, behind the CUDA backend's
// Backend::statistics. Per row of a MixtureBatch the marginal mean, standard deviation and quantiles, by the
// kernel of kernels/predictive.cu. The formulas are the CPU's
// (mdn/predictive.hpp), from the same __host__ __device__ code
// (mdn/detail/marginal_math.hpp, quantile_math.hpp, root_finding.hpp), so the
// two agree up to the last bits of erfc/exp: the quantiles to within 1e-12 in
// probability. Modes and highest-density regions stay on the host.
#pragma once
#include <memory>
#include <vector>

#include "mdn/mixture.hpp"
#include "mdn/predictive.hpp"

namespace mdn {

class CudaPredictive {
 public:
  // Owns a stream and device buffers on `device` (grown on demand, reused
  // across calls). Throws mdn::Error when no CUDA device is present.
  explicit CudaPredictive(int device = 0);
  ~CudaPredictive();
  CudaPredictive(const CudaPredictive&) = delete;
  CudaPredictive& operator=(const CudaPredictive&) = delete;

  // predictive_moments(mix) and predictive_quantiles(mix, levels) computed on
  // the GPU: uploads the mixture, runs the kernel (several launches of
  // bounded memory for large batches), downloads the results. Throws
  // UsageError for invalid levels (validate_quantile_levels), Error for a
  // mixture with K > 32 or T > 8 or a row without a positive weight.
  PredictiveStatistics compute(const MixtureBatch& mix, const std::vector<double>& levels);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mdn
