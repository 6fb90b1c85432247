// Launcher of the predictive-statistics kernel (kernels/predictive.cu): per
// row of a mixture batch, the marginal mean and standard deviation of every
// dimension and its quantiles at L levels. Host code includes this; the
// kernel itself stays in the .cu file.
#pragma once
#include <cuda_runtime.h>

#include <cstdint>

namespace mdn::cuda {

// Device pointers and sizes of one launch. Inputs are one MixtureBatch's
// arrays (original units): alpha rows x K, mu and sigma rows x K x T
// (index (r * K + k) * T + d). levels_sorted[0..L) are the levels in
// increasing order and level_slot[j] the output column of levels_sorted[j].
struct PredictiveLaunch {
  const double* alpha = nullptr;
  const double* mu = nullptr;
  const double* sigma = nullptr;
  const double* levels_sorted = nullptr;
  const int* level_slot = nullptr;
  double* mean = nullptr;       // rows x T
  double* stddev = nullptr;     // rows x T
  double* quantiles = nullptr;  // rows x T x L, index (r * T + d) * L + slot; may be null when L = 0
  int* status = nullptr;        // rows x T: 0, or 1 where the row has no positive-weight component
  std::int64_t rows = 0;
  int K = 1, T = 1, L = 0;
};

// Enqueues the kernel on `stream` and checks the launch (cudaGetLastError);
// throws mdn::Error for K, T outside 1..kMaxComponents, 1..kMaxTargetDim.
// Asynchronous: the caller synchronises.
void launch_predictive(const PredictiveLaunch& launch, cudaStream_t stream);

}  // namespace mdn::cuda
