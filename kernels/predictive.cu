// Predictive-statistics kernel: per (row, dimension) of a mixture batch, the
// marginal mean and standard deviation and the marginal quantiles at L levels.
//
// What it computes: exactly the CPU's formulas, from the same shared
// __host__ __device__ code: detail::marginal_moments (mdn/detail/
// marginal_math.hpp) for mean and variance (std = sqrt(variance)), and
// detail::mixture_quantile (mdn/detail/quantile_math.hpp: bracket from the
// component quantiles, safeguarded Newton of mdn/detail/root_finding.hpp) for
// each level. The levels are solved in increasing order, each bounded below
// by the previous answer, as predictive_quantiles does on the CPU: the
// quantiles of a (row, dimension) never cross.
//
// Launch shape: 1-D grid, kPredictiveThreads threads per block, one thread
// per (row, dimension) item r * T + d; the thread reads its row's mixture
// (alpha K doubles, mu / sigma K strided doubles: original units, where a
// target mean of 1e9 needs double) straight from global memory.
// The work per thread is an iterative solve (tens of CDF evaluations of K
// erfc each per level), so the kernel is compute-bound on double-precision
// erfc/exp; no shared memory.
// Limits: K <= kMaxComponents (32), T <= kMaxTargetDim (8), the same as the
// model (checked at launch); rows * T < 2^31 * kPredictiveThreads.
// Determinism: each output is a pure function of its row's parameters and the
// levels: independent of the grid, the chunking into launches and the order
// of threads. It matches the CPU up to the last bits of the device's
// erfc/exp and FMA contraction: in probability, well inside 1e-12.
// Outputs written with `=`.
#include <string>

#include "cuda_check.cuh"
#include "mdn/detail/marginal_math.hpp"
#include "mdn/detail/quantile_math.hpp"
#include "mdn/error.hpp"
#include "mdn/spec.hpp"
#include "predictive.cuh"

namespace mdn::cuda {
namespace {

constexpr int kPredictiveThreads = 128;

__global__ void __launch_bounds__(kPredictiveThreads) predictive_kernel(const PredictiveLaunch a) {
  const std::int64_t item = std::int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (item >= a.rows * a.T) return;
  const std::int64_t r = item / a.T;
  const int d = int(item - r * a.T);
  const double* alpha = a.alpha + r * a.K;
  const double* mu = a.mu + r * a.K * a.T;
  const double* sigma = a.sigma + r * a.K * a.T;

  double mean = 0.0, variance = 0.0;
  detail::marginal_moments(alpha, mu, sigma, a.K, a.T, d, mean, variance);
  a.mean[item] = mean;
  a.stddev[item] = sqrt(variance);

  int status = 0;
  double previous = -detail::kInfinity;
  for (int j = 0; j < a.L; ++j) {
    double q = 0.0;
    if (detail::mixture_quantile(alpha, mu, sigma, a.K, a.T, d, a.levels_sorted[j], previous, q) !=
        detail::QuantileStatus::Ok) {
      status = 1;
      q = __longlong_as_double(0x7ff8000000000000LL);  // NaN; the host reports the row
    }
    previous = q;
    a.quantiles[item * a.L + a.level_slot[j]] = q;
  }
  a.status[item] = status;
}

}  // namespace

void launch_predictive(const PredictiveLaunch& a, cudaStream_t stream) {
  check_kernel_limits(a.K, a.T, "the predictive kernel");
  if (a.L < 0) throw Error("predictive kernel: negative level count");
  if (a.rows <= 0) return;
  const std::int64_t items = a.rows * a.T;
  const std::int64_t blocks = ceil_div(items, kPredictiveThreads);
  if (blocks > 2147483647LL) throw Error("predictive kernel: too many rows for one launch");
  predictive_kernel<<<unsigned(blocks), kPredictiveThreads, 0, stream>>>(a);
  MDN_CUDA_CHECK(cudaGetLastError());
}

}  // namespace mdn::cuda
