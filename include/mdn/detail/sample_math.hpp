// One draw from one row's Gaussian mixture, written once for the CPU sampler
// (src/core/sampling.cpp) and the CUDA kernel (kernels/sample.cu).
//
// A draw is a pure function of (seed, row, sample) and the row's mixture.
// Philox4x32-10 gives four 32-bit words per (counter, key), with
//   counter = { c, row bits 0..31, row bits 32..63, block }, key = seed:
// T = 1 (the common case; two draws per Philox call):
//   c = sample / 2, block 0: word 0 -> component of draw 2c, word 3 ->
//   component of draw 2c+1 (inverse CDF over the tempered cumulative
//   weights), words 1,2 -> Box-Muller -> n for draw 2c and for draw 2c+1.
// T >= 2 (one draw per call, more blocks for more dimensions):
//   c = sample, block 0: word 0 -> component, words 1,2 -> n_0, n_1;
//   block b >= 1: words 0,1 and 2,3 -> n_{4b-2} .. n_{4b+1}.
// and t_d = mu_kd + sigma_kd * n_d (sigma already multiplied by the sigma
// scale). The words come from Philox4x32-10 (detail/philox.hpp on the host,
// cuRAND's curand_Philox4x32_10 on the device: the same function). Nothing
// depends on batch size, chunking or launch shape.
//
// Resolution: the component uniform has 2^-24 steps; the Box-Muller radius
// uses all 32 bits (u in [2^-33, 1]), so |n| <= 6.77: the normal's tails beyond
// 6.77 sigma (probability 1.3e-11) are never drawn. The device evaluates
// log / sin / cos with the fast hardware approximations (absolute error
// ~4e-7 in n), the host with libm: the two sides agree to ~1e-6, not bitwise.
#pragma once
#include <cmath>
#include <cstdint>

#include "mdn/detail/host_device.hpp"
#include "mdn/detail/philox.hpp"

namespace mdn::detail {

// Largest 1/temperature used: past it every weight but the largest is 0.
inline constexpr float kMaxInverseTemperature = 1e30f;

// c: the sample index (T >= 2) or the pair index sample / 2 (T = 1).
MDN_HD Philox4x32 draw_counter(std::uint64_t row, std::uint32_t c, std::uint32_t block) {
  return Philox4x32{{c, std::uint32_t(row), std::uint32_t(row >> 32), block}};
}
MDN_HD std::uint32_t seed_key_lo(std::uint64_t seed) { return std::uint32_t(seed); }
MDN_HD std::uint32_t seed_key_hi(std::uint64_t seed) { return std::uint32_t(seed >> 32); }

// [0, 1) in steps of 2^-24 (exact in float).
MDN_HD float pick_uniform(std::uint32_t w) { return float(w >> 8) * 5.9604644775390625e-8f; }
// (0, 1]: w * 2^-32 + 2^-33; never 0, so log() is finite.
MDN_HD float radius_uniform(std::uint32_t w) { return float(w) * 2.3283064365386963e-10f + 1.1641532182693481e-10f; }

// Two independent standard normals from two words (Box-Muller), with the
// angle in [-pi, pi) where the device's __sincosf is most accurate.
MDN_HD void box_muller(std::uint32_t a, std::uint32_t b, float& n0, float& n1) {
  const float theta = 6.28318530717958648f * (pick_uniform(b) - 0.5f);
  float r, s, c;
#if defined(__CUDA_ARCH__)
  // __logf may return a tiny positive value just below 1: clamp before sqrt.
  r = sqrtf(fmaxf(0.0f, -2.0f * __logf(radius_uniform(a))));
  __sincosf(theta, &s, &c);
#else
  r = sqrtf(-2.0f * logf(radius_uniform(a)));
  s = sinf(theta);
  c = cosf(theta);
#endif
  n0 = r * c;
  n1 = r * s;
}

// cum[0..K) = cumulative normalised weights w_k ~ exp((lw_k - max lw) / tau)
// from log-weights lw (log alpha, or the logits: any additive constant). The
// entry of the last positive weight and every later one are set to exactly 1,
// so a zero-weight component can never be picked, even through rounding.
// inv_tau = 1/tau, at most kMaxInverseTemperature. cum may alias lw.
MDN_HD void tempered_cumulative(const float* lw, int K, float inv_tau, float* cum) {
  float m = lw[0];
  for (int k = 1; k < K; ++k) m = lw[k] > m ? lw[k] : m;
  float total = 0.0f;
  int last = 0;
  for (int k = 0; k < K; ++k) {
    const float w = lw[k] == m ? 1.0f : expf((lw[k] - m) * inv_tau);  // (x - x) * inf would be NaN
    total += w;
    cum[k] = total;
    if (w > 0.0f) last = k;
  }
  const float inv_total = 1.0f / total;
  for (int k = 0; k < K; ++k) cum[k] = k >= last ? 1.0f : cum[k] * inv_total;
}

// Inverse CDF over cumulative weights: the first k with u < cum[k].
MDN_HD int pick_component(const float* cum, int K, float u) {
  for (int k = 0; k < K - 1; ++k)
    if (u < cum[k]) return k;
  return K - 1;
}

// T = 1: draws 2c and 2c+1 (the second only when `both`) from one Philox
// call; words(0) is block 0 of counter c. cum (K), mu (K), sigma (K, scaled)
// describe the row. Writes out[0], out[1] (=) and the components k[0], k[1].
// R: float for the device's standardised tile, double for the host's
// original-unit mixtures (mu ~ 1e9 with sigma ~ 0.05 needs double).
#if defined(__CUDACC__)
#pragma nv_exec_check_disable  // Words is host-only on the CPU path, device-only in the kernel
#endif
template <class Words, class R>
MDN_HD void draw_pair_1d(const Words& words, const float* cum, const R* mu, const R* sigma, int K, bool both, R* out,
                         int* k) {
  const Philox4x32 w = words(0u);
  float n0, n1;
  box_muller(w.v[1], w.v[2], n0, n1);
  k[0] = pick_component(cum, K, pick_uniform(w.v[0]));
  out[0] = mu[k[0]] + sigma[k[0]] * R(n0);
  if (both) {
    k[1] = pick_component(cum, K, pick_uniform(w.v[3]));
    out[1] = mu[k[1]] + sigma[k[1]] * R(n1);
  }
}

// The most targets of one draw (mdn::kMaxTargetDim).
inline constexpr int kMaxDrawTargets = 8;

// T >= 2: the component of one draw and its T standard normals n[0..T) (n
// has room for T + 3: the last block's spare normals land there):
// words(b) returns block b's four Philox words for this (row, sample), cum
// the row's cumulative weights. draw_sample below and the full-covariance
// draws (mu_k + A_k n) share it, so both take the same words.
#if defined(__CUDACC__)
#pragma nv_exec_check_disable  // Words is host-only on the CPU path, device-only in the kernel
#endif
template <class Words>
MDN_HD int draw_standard_normals(const Words& words, const float* cum, int K, int T, float* n) {
  Philox4x32 w = words(0u);
  const int k = pick_component(cum, K, pick_uniform(w.v[0]));
  box_muller(w.v[1], w.v[2], n[0], n[1]);
  std::uint32_t block = 1;
  for (int d = 2; d < T; d += 4, ++block) {
    w = words(block);
    box_muller(w.v[0], w.v[1], n[d], n[d + 1]);
    box_muller(w.v[2], w.v[3], n[d + 2], n[d + 3]);
  }
  return k;
}

// T >= 2: one draw. cum, mu (K x T, [k*T+d]) and sigma (K x T, scaled)
// describe the row. Writes out[0..T) (=) and returns the component drawn.
#if defined(__CUDACC__)
#pragma nv_exec_check_disable  // Words is host-only on the CPU path, device-only in the kernel
#endif
template <class Words, class R>
MDN_HD int draw_sample(const Words& words, const float* cum, const R* mu, const R* sigma, int K, int T, R* out) {
  float n[kMaxDrawTargets + 3];  // room for the last block's spare normals
  const int k = draw_standard_normals(words, cum, K, T, n);
  const R* m = mu + k * T;
  const R* s = sigma + k * T;
  for (int d = 0; d < T; ++d) out[d] = m[d] + s[d] * R(n[d]);
  return k;
}

// The host's words: Philox4x32-10 of (seed, row, c, block).
struct HostDrawWords {
  std::uint64_t seed;
  std::uint64_t row;
  std::uint32_t c;  // see draw_counter
  Philox4x32 operator()(std::uint32_t block) const {
    return philox4x32_10(draw_counter(row, c, block), seed_key_lo(seed), seed_key_hi(seed));
  }
};

}  // namespace mdn::detail
