// The lane type of the vectorised mixture head: 16 samples side by side, one
// per SIMD lane (GCC vector extensions: one zmm register with AVX-512, two ymm
// with AVX2, four xmm with SSE2). detail::mixture_nll_and_grad<Lanes> is the
// same template the CUDA kernel and the double network instantiate with a
// scalar; this header supplies what it needs for Lanes: arithmetic,
// comparisons that give a LaneMask, and select, max_of, fexp, flog (found by
// argument-dependent lookup). fexp and flog are the vectorised vexp and vlog
// of vector_math.hpp. Included only by kernels_impl.inc (internal linkage,
// like vector_math.hpp: each instruction set's copy stays its own).
#pragma once
#include <cstdint>

#include "cpu/simd/vector_math.hpp"

namespace mdn::cpu::simd {
namespace {

constexpr int kLanes = 16;
typedef float LaneFloats __attribute__((vector_size(kLanes * sizeof(float))));
typedef std::int32_t LaneInts __attribute__((vector_size(kLanes * sizeof(std::int32_t))));

// Per lane: all ones (true) or zero.
struct LaneMask {
  LaneInts m;
};
inline LaneMask operator&(LaneMask a, LaneMask b) { return {a.m & b.m}; }

struct Lanes {
  LaneFloats v;
  Lanes() = default;
  explicit Lanes(double x) : v(LaneFloats{} + float(x)) {}  // the same float in every lane
  static Lanes of(LaneFloats v) {
    Lanes r;
    r.v = v;
    return r;
  }
  Lanes& operator+=(Lanes b) {
    v += b.v;
    return *this;
  }
};

inline Lanes operator+(Lanes a, Lanes b) { return Lanes::of(a.v + b.v); }
inline Lanes operator-(Lanes a, Lanes b) { return Lanes::of(a.v - b.v); }
inline Lanes operator*(Lanes a, Lanes b) { return Lanes::of(a.v * b.v); }
inline Lanes operator/(Lanes a, Lanes b) { return Lanes::of(a.v / b.v); }
inline Lanes operator-(Lanes a) { return Lanes::of(-a.v); }
inline LaneMask operator<(Lanes a, Lanes b) { return {a.v < b.v}; }
inline LaneMask operator>(Lanes a, Lanes b) { return {a.v > b.v}; }

inline Lanes select(LaneMask c, Lanes a, Lanes b) { return Lanes::of(c.m ? a.v : b.v); }
inline Lanes max_of(Lanes a, Lanes b) { return select(a > b, a, b); }  // as the scalar a > b ? a : b

inline Lanes fexp(Lanes x) {
  float in[kLanes], out[kLanes];
  __builtin_memcpy(in, &x.v, sizeof in);
  for (int l = 0; l < kLanes; ++l) out[l] = vexp(in[l]);
  Lanes r;
  __builtin_memcpy(&r.v, out, sizeof out);
  return r;
}
inline Lanes flog(Lanes x) {
  float in[kLanes], out[kLanes];
  __builtin_memcpy(in, &x.v, sizeof in);
  for (int l = 0; l < kLanes; ++l) out[l] = vlog(in[l]);
  Lanes r;
  __builtin_memcpy(&r.v, out, sizeof out);
  return r;
}

}  // namespace
}  // namespace mdn::cpu::simd
