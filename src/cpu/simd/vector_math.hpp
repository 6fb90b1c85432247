// Branch-free float tanh, exp and log, written as plain scalar code that GCC's
// loop vectoriser turns into SIMD (every branch is a select, every bit trick a
// same-width integer op). Included only by the per-ISA kernel files
// (kernels_impl.inc): each copy is compiled for one instruction set, so the
// functions live in an anonymous namespace (internal linkage) and never meet
// their other-ISA twins at link time.
//
// No implicit fma: the kernel files are compiled with -ffp-contract=off, so the
// portable, AVX2 and AVX-512 copies perform the same IEEE operations in the
// same order and give the same bits (tests/cpu/vector_math_test.cpp checks).
// tanh (the hottest: 128 per sample at the reference shape) uses explicit
// fused multiply-adds (madd<true>, one rounding each): a vfmadd instruction on
// the AVX2 and AVX-512 paths, the C library's correctly rounded fmaf on the
// portable path (slower, the same bits). exp and log have none.
//
// Algorithms (Cephes single-precision, made branch-free):
//   exp(x): n = round(x / ln2), r = x - n ln2 (ln2 in two parts), degree-7
//           polynomial for e^r, times 2^n applied as 2^(n/2) 2^(n - n/2) so
//           that results down to the smallest subnormal and up to FLT_MAX
//           are formed without overflow of the exponent field.
//   tanh(x): |x| < 0.625: x + x^3 P(x^2) (Cephes tanhf); otherwise
//           sign(x) (1 - 2 / (exp(2|x|) + 1)), |x| clamped to 20 (tanh(20)
//           rounds to 1).
//   log(x): x = m 2^e with m in [sqrt(1/2), sqrt(2)), log(m) = f - f^2/2 +
//           f^3 P(f) with f = m - 1, plus e ln2 in two parts; subnormals
//           scaled by 2^23 first.
// Special values follow the C library: NaN in -> NaN out; exp(+-inf) = inf, 0;
// tanh(+-inf) = +-1; log(0) = -inf, log(x < 0) = NaN, log(inf) = inf.
#pragma once
#include <cstdint>

namespace mdn::cpu::simd {
namespace {

inline std::int32_t bits_of(float x) {
  std::int32_t i;
  __builtin_memcpy(&i, &x, sizeof i);
  return i;
}
inline float float_of(std::int32_t i) {
  float x;
  __builtin_memcpy(&x, &i, sizeof x);
  return x;
}

// 2^n as a float for n in [-126, 127]. The shift is unsigned: for a NaN
// input n is garbage (the result is NaN anyway) and a signed shift would
// overflow.
inline float pow2i(std::int32_t n) { return float_of(std::int32_t(std::uint32_t(n + 127) << 23)); }

// a * b + c: rounded twice (kFused false) or once (a fused multiply-add).
template <bool kFused>
inline float madd(float a, float b, float c) {
  if constexpr (kFused)
    return __builtin_fmaf(a, b, c);
  else
    return a * b + c;
}

// e^r for r = x - n ln2 in [-ln2/2, ln2/2] (n = round(x / ln2), also
// returned as an integer), before the scaling by 2^n.
template <bool kFused>
inline float exp_reduced(float x, std::int32_t& ni) {
  // n = round(x log2(e)) by the 1.5 * 2^23 trick; its integer from the bits.
  const float magic = 12582912.0f;
  const float shifted = madd<kFused>(x, 1.44269504088896341f, magic);
  const float n = shifted - magic;
  ni = bits_of(shifted) - bits_of(magic);
  const float r = kFused ? madd<true>(n, 2.12194440e-4f, madd<true>(n, -0.693359375f, x))
                         : (x - n * 0.693359375f) - n * -2.12194440e-4f;
  const float r2 = r * r;
  float p = 1.9875691500e-4f;
  p = madd<kFused>(p, r, 1.3981999507e-3f);
  p = madd<kFused>(p, r, 8.3334519073e-3f);
  p = madd<kFused>(p, r, 4.1665795894e-2f);
  p = madd<kFused>(p, r, 1.6666665459e-1f);
  p = madd<kFused>(p, r, 5.0000001201e-1f);
  return madd<kFused>(p, r2, r) + 1.0f;
}

inline float vexp(float x) {
  // Clamp (NaN passes: both comparisons are false): below -104 the result
  // rounds to 0, above 89 it overflows to inf, and n stays in [-150, 129].
  x = x < -104.0f ? -104.0f : x;
  x = x > 89.0f ? 89.0f : x;
  std::int32_t ni;
  const float er = exp_reduced<false>(x, ni);
  const std::int32_t n1 = ni >> 1;
  return er * pow2i(n1) * pow2i(ni - n1);
}

inline float vtanh(float x) {
  // Computed on |x|; the sign of x is put back at the end (odd to the bit,
  // tanh(-0) = -0).
  const std::int32_t sign = bits_of(x) & std::int32_t(0x80000000u);
  const float a = float_of(bits_of(x) & 0x7fffffff);
  // Small |x|: odd polynomial a + a^3 P(a^2).
  const float z = a * a;
  float p = -5.70498872745e-3f;
  p = madd<true>(p, z, 2.06390887954e-2f);
  p = madd<true>(p, z, -5.37397155531e-2f);
  p = madd<true>(p, z, 1.33314422036e-1f);
  p = madd<true>(p, z, -3.33332819422e-1f);
  const float small = madd<true>(p * z, a, a);
  // Large |x|: 1 - 2 / (e^{2|x|} + 1).
  // e^{2|x|} with 2|x| in [1.25, 40]: n <= 58, one exact scaling by 2^n
  // gives the same bits as vexp's two.
  const float ac = a > 20.0f ? 20.0f : a;  // NaN passes
  std::int32_t ni;
  const float e = exp_reduced<true>(ac + ac, ni) * pow2i(ni);
  const float large = 1.0f - 2.0f / (e + 1.0f);
  const float magnitude = a < 0.625f ? small : large;  // NaN: large, which is NaN
  return float_of(bits_of(magnitude) | sign);
}

inline float vlog(float x) {
  // Subnormals: scale into the normal range, remember the exponent shift.
  const bool sub = x < 1.17549435e-38f;
  const float xs = sub ? x * 8388608.0f : x;
  const std::int32_t bx = bits_of(xs);
  std::int32_t e = ((bx >> 23) & 0xff) - 126 - (sub ? 23 : 0);
  float m = float_of((bx & 0x007fffff) | 0x3f000000);  // mantissa in [0.5, 1)
  const bool low = m < 0.707106781186547524f;
  e = low ? e - 1 : e;
  const float f = low ? (m + m) - 1.0f : m - 1.0f;
  const float ef = float(e);
  const float f2 = f * f;
  float p = 7.0376836292e-2f;
  p = p * f - 1.1514610310e-1f;
  p = p * f + 1.1676998740e-1f;
  p = p * f - 1.2420140846e-1f;
  p = p * f + 1.4249322787e-1f;
  p = p * f - 1.6668057665e-1f;
  p = p * f + 2.0000714765e-1f;
  p = p * f - 2.4999993993e-1f;
  p = p * f + 3.3333331174e-1f;
  float y = p * f * f2;
  y = y + ef * -2.12194440e-4f;
  y = y - 0.5f * f2;
  float result = (f + y) + ef * 0.693359375f;
  // Special values: log(0) = -inf, log(x < 0) = NaN, log(inf) = inf, NaN stays NaN.
  const float inf = float_of(0x7f800000);
  result = x == 0.0f ? -inf : result;
  result = x < 0.0f ? float_of(0x7fc00000) : result;
  result = x == inf ? inf : result;
  result = x != x ? x : result;
  return result;
}

}  // namespace
}  // namespace mdn::cpu::simd
