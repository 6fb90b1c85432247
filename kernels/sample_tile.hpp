// The body of the sampling kernel (kernels/sample.cu), written as three
// MDN_HD phases of one thread block so that it also compiles for the host:
// tests/cpu/sample_tile_test.cpp runs the very same code on the CPU by
// looping over the threads of each block, phase by phase (the kernel puts a
// __syncthreads() between phases). No CUDA headers here.
//
// A block owns rows [first, first + R) of z and a shared tile of R rows of
// the head's width floats (K(1+2T), and K T(T-1)/2 more with full covariance):
//   stage_tile    copies the R head rows (contiguous in z) into the tile;
//   prepare_rows  one thread per row turns its head row, in place, into
//                 [cum (K) | sigma (K*T) | mu (K*T)] in standardised units
//                 (float keeps the spread there); with full covariance the
//                 sigma and off-diagonal blocks become each component's
//                 covariance factor A (below);
//   draw_items    takes the block's draws in output order: item p is the pair
//                 of draws (2j, 2j+1) of row r for T = 1 (p = r*ceil(S/2) + j)
//                 and draw s of row r for T >= 2 (p = r*S + s); thread tid
//                 takes items tid, tid + nthreads, ...; each draw is mapped
//                 to original units in double as it is stored
//                 (t = t_mean + t_scale * t_std: in float, a target mean of
//                 1e9 would leave a resolution of 64).
#pragma once
#include <cstdint>

#include "mdn/detail/host_device.hpp"
#include "mdn/detail/mixture_math.hpp"
#include "mdn/detail/sample_math.hpp"
#include "mdn/spec.hpp"

namespace mdn::cuda {

struct SampleLaunch {
  const float* z = nullptr;    // rows x K(1+2T): [a (K) | s (K*T) | m (K*T)], standardised units
  double* out = nullptr;       // rows x samples x T, original units, written (=)
  int* components = nullptr;   // rows x samples component indices (=), or nullptr
  std::int64_t rows = 0;       // rows of z in this launch
  std::int64_t first_row = 0;  // global index of z's row 0: the draws are keyed on it
  int samples = 1;             // S >= 1
  int K = 1, T = 1;            // K <= kMaxComponents, T <= kMaxTargetDim
  float log_sigma_min = kDefaultLogSigmaMin, log_sigma_max = kDefaultLogSigmaMax;  // the model's clamp on s
  double t_mean[kMaxTargetDim] = {};  // target standardisation: t = t_std * t_scale + t_mean
  double t_scale[kMaxTargetDim] = {};
  float inverse_temperature = 1.0f;  // 1 / tau, at most detail::kMaxInverseTemperature
  float sigma_scale = 1.0f;          // >= 0
  std::uint64_t seed = 0;
  // Full covariance (detail/full_cov_math.hpp): z has the off-diagonals c
  // after the means, and each draw is mu_k + A_k n.
  bool full_covariance = false;
  MDN_HD int width() const { return K * (1 + 2 * T + (full_covariance ? T * (T - 1) / 2 : 0)); }
};

inline constexpr int kSampleThreads = 256;         // threads per block
inline constexpr int kSampleSharedFloats = 8192;   // 32 KiB of staged mixtures per block
inline constexpr int kSampleDrawsPerBlock = 4096;  // aim: ~16 draws per thread

// R, the rows per block: enough draws per block to keep the threads busy,
// within the shared tile. R * S fits an int (R * S <= max(4096, S)).
MDN_HD int sample_rows_per_block(int samples, int K, int T, bool full_covariance = false) {
  const int W = K * (1 + 2 * T + (full_covariance ? T * (T - 1) / 2 : 0));
  int r = kSampleDrawsPerBlock / samples;
  r = r < kSampleSharedFloats / W ? r : kSampleSharedFloats / W;
  r = r < kSampleThreads ? r : kSampleThreads;
  return r > 1 ? r : 1;
}

MDN_HD void stage_tile(const SampleLaunch& a, float* tile, std::int64_t first, int R, int tid, int nthreads) {
  const int W = a.width();
  const float* src = a.z + first * W;
  for (int i = tid; i < R * W; i += nthreads) tile[i] = src[i];
}

// Full covariance: component k's s (T, at row + K + k*T) and c (the strict
// lower triangle, at row + K + 2KT + k*P) become, in place, its covariance
// factor A = (I + C)^-1 D times sigma_scale (detail/full_cov_math.hpp:
// L = D^-1 (I + C), A = L^-1): the diagonal A_jj = exp(clamp(s_j)) where s
// was, the entries A_ji (j > i) where c_ji was. B = (I + C)^-1 is unit lower
// triangular, row by row: B_ji = -(c_ji + sum_{i<l<j} c_jl B_li), i
// ascending, so each c_jl it reads (l > i) is not yet overwritten.
MDN_HD void full_factor_in_place(const SampleLaunch& a, float* row, int k) {
  const int K = a.K, T = a.T, P = T * (T - 1) / 2;
  float* s = row + K + k * T;
  float* c = row + K + 2 * K * T + k * P;
  for (int j = 0; j < T; ++j) s[j] = expf(detail::clamp_log_sigma(s[j], a.log_sigma_min, a.log_sigma_max));
  for (int j = 1; j < T; ++j) {
    float* cj = c + j * (j - 1) / 2;
    for (int i = 0; i < j; ++i) {
      float b = cj[i];
      for (int l = i + 1; l < j; ++l) b += cj[l] * c[l * (l - 1) / 2 + i];
      cj[i] = -b;
    }
  }
  for (int j = 1; j < T; ++j)
    for (int i = 0; i < j; ++i) c[j * (j - 1) / 2 + i] *= s[i] * a.sigma_scale;
  for (int j = 0; j < T; ++j) s[j] *= a.sigma_scale;
}

MDN_HD void prepare_rows(const SampleLaunch& a, float* tile, int R, int tid, int nthreads) {
  const int K = a.K, T = a.T, W = a.width();
  for (int r = tid; r < R; r += nthreads) {
    float* row = tile + r * W;
    // Tempered weights from the logits: alpha_k^(1/tau) ~ exp(a_k / tau).
    detail::tempered_cumulative(row, K, a.inverse_temperature, row);
    if (a.full_covariance) {
      for (int k = 0; k < K; ++k) full_factor_in_place(a, row, k);
      continue;
    }
    for (int i = 0; i < K * T; ++i) {
      const float s = detail::clamp_log_sigma(row[K + i], a.log_sigma_min, a.log_sigma_max);
      row[K + i] = expf(s) * a.sigma_scale;
    }
  }
}

// One full-covariance draw of a prepared row: x = mu_k + A_k n, n the
// normals of detail::draw_standard_normals (the CPU sampler's words).
#if defined(__CUDACC__)
#pragma nv_exec_check_disable
#endif
template <class Words>
MDN_HD int draw_full(const SampleLaunch& a, const Words& words, const float* row, float* x) {
  const int K = a.K, T = a.T, P = T * (T - 1) / 2;
  float n[detail::kMaxDrawTargets + 3];
  const int k = detail::draw_standard_normals(words, row, K, T, n);
  const float* diag = row + K + k * T;
  const float* mu = row + K + K * T + k * T;
  const float* off = row + K + 2 * K * T + k * P;
  for (int j = 0; j < T; ++j) {
    float v = diag[j] * n[j];
    for (int i = 0; i < j; ++i) v += off[j * (j - 1) / 2 + i] * n[i];
    x[j] = mu[j] + v;
  }
  return k;
}

// make_words(global_row, c) returns the Words functor of detail::draw_sample
// for that row and counter c (cuRAND's Philox on the device, the host Philox
// in the CPU test: the same function).
#if defined(__CUDACC__)
#pragma nv_exec_check_disable
#endif
template <class MakeWords>
MDN_HD void draw_items(const SampleLaunch& a, const float* tile, std::int64_t first, int R, int tid, int nthreads,
                       const MakeWords& make_words) {
  const int K = a.K, T = a.T, S = a.samples, W = a.width();
  const int per_row = T == 1 ? (S + 1) / 2 : S;
  const int items = R * per_row;
  // (r, c) of item p kept incrementally: no division in the loop.
  const int step_r = nthreads / per_row, step_c = nthreads % per_row;
  int r = tid / per_row, c = tid % per_row;
  double* out = a.out + first * S * T;
  int* components = a.components ? a.components + first * S : nullptr;
  for (int p = tid; p < items; p += nthreads) {
    const float* row = tile + r * W;
    const auto words = make_words(std::uint64_t(a.first_row + first + r), std::uint32_t(c));
    if (T == 1) {
      const int s = 2 * c;
      const bool both = s + 1 < S;
      float x[2];
      int k[2];
      detail::draw_pair_1d(words, row, row + 2 * K, row + K, K, both, x, k);
      const std::int64_t draw = std::int64_t(r) * S + s;
      out[draw] = double(x[0]) * a.t_scale[0] + a.t_mean[0];
      if (both) out[draw + 1] = double(x[1]) * a.t_scale[0] + a.t_mean[0];
      if (components) {
        components[draw] = k[0];
        if (both) components[draw + 1] = k[1];
      }
    } else {
      const std::int64_t draw = std::int64_t(r) * S + c;
      float x[kMaxTargetDim];
      const int k = a.full_covariance ? draw_full(a, words, row, x)
                                      : detail::draw_sample(words, row, row + K + K * T, row + K, K, T, x);
      for (int d = 0; d < T; ++d) out[draw * T + d] = double(x[d]) * a.t_scale[d] + a.t_mean[d];
      if (components) components[draw] = k;
    }
    c += step_c;
    r += step_r;
    if (c >= per_row) {
      c -= per_row;
      ++r;
    }
  }
}

}  // namespace mdn::cuda
