// The CPU backend's vectorised tanh, exp and log (src/cpu/simd) on every
// dispatch path this machine can run (portable, AVX2, AVX-512), each called
// explicitly: accuracy in ulps against the double-precision C library, the
// same bits on every path, special values, and the small row kernels.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "cpu/simd/kernels.hpp"

namespace {

using mdn::cpu::simd::Isa;
using mdn::cpu::simd::Kernels;

float float_of(std::uint32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}
std::uint32_t bits_of(float f) {
  std::uint32_t b;
  std::memcpy(&b, &f, sizeof b);
  return b;
}

// |got - want| in units of the float ulp at want (want exact, in double).
double ulp_error(float got, double want) {
  if (std::isnan(want)) return std::isnan(got) ? 0.0 : 1e30;
  if (std::isinf(want) || std::isinf(got)) return double(got) == want ? 0.0 : 1e30;
  const double a = std::fabs(want);
  int exponent = 0;
  std::frexp(a < double(std::numeric_limits<float>::min()) ? double(std::numeric_limits<float>::min()) : a, &exponent);
  const double ulp = std::ldexp(1.0, exponent - 24);  // float: 24-bit significand
  return std::fabs(double(got) - want) / ulp;
}

// Every float whose bit pattern is first + k * stride, up to last (inclusive).
std::vector<float> floats_between(float first, float last, std::uint32_t stride) {
  std::vector<float> out;
  const auto walk = [&](std::uint32_t lo, std::uint32_t hi, bool negative) {
    for (std::uint64_t b = lo; b <= hi; b += stride)
      out.push_back(negative ? -float_of(std::uint32_t(b)) : float_of(std::uint32_t(b)));
  };
  // Walk magnitudes for each sign separately (bit patterns are monotone in |x|).
  if (first < 0.0f) walk(last < 0.0f ? bits_of(-last) : 0, bits_of(-first), true);
  if (last >= 0.0f) walk(first > 0.0f ? bits_of(first) : 0, bits_of(last), false);
  return out;
}

struct Accuracy {
  double max_ulp = 0.0;
  float worst = 0.0f;
};

// Max ulp error of f over every float of [first, last] whose bit pattern is a
// multiple of stride away from the range's start, in chunks (the exhaustive
// sweeps cover billions of floats).
template <class Reference>
Accuracy measure(void (*f)(const float*, float*, std::size_t), float first, float last, std::uint32_t stride,
                 Reference reference) {
  Accuracy acc;
  std::vector<float> x, y;
  const auto flush = [&] {
    y.resize(x.size());
    f(x.data(), y.data(), x.size());
    for (std::size_t i = 0; i < x.size(); ++i) {
      const double e = ulp_error(y[i], reference(double(x[i])));
      if (e > acc.max_ulp) {
        acc.max_ulp = e;
        acc.worst = x[i];
      }
    }
    x.clear();
  };
  const auto walk = [&](std::uint32_t lo, std::uint32_t hi, bool negative) {
    for (std::uint64_t b = lo; b <= hi; b += stride) {
      x.push_back(negative ? -float_of(std::uint32_t(b)) : float_of(std::uint32_t(b)));
      if (x.size() == (1u << 20)) flush();
    }
  };
  if (first < 0.0f) walk(last < 0.0f ? bits_of(-last) : 0, bits_of(-first), true);
  if (last >= 0.0f) walk(first > 0.0f ? bits_of(first) : 0, bits_of(last), false);
  flush();
  return acc;
}

class VectorMath : public ::testing::TestWithParam<Isa> {
 protected:
  void SetUp() override {
    if (!mdn::cpu::simd::supported(GetParam())) GTEST_SKIP() << "this CPU cannot run this path";
    k_ = &mdn::cpu::simd::kernels(GetParam());
  }
  const Kernels* k_ = nullptr;
};

// Bounds. Measured over every float of each range by the disabled
// exhaustive test below (AVX-512 path; all paths give the same bits):
//   tanh on [-20, 20]:     max 1.330 ulp (at -0.6283, just past the switch
//                          from the polynomial to the exp form at 0.625);
//   exp on [-87.3, 88.7]:  max 0.990 ulp;
//   log on (0, FLT_MAX]:   max 0.829 ulp, subnormals included.
// The tests assert tanh <= 2 ulp (exactly +-1 beyond |x| = 20, as rounding
// tanh gives), exp <= 1 ulp for normal results and within one subnormal step
// (2^-149) below, log <= 1 ulp, over strided sweeps of every range.
constexpr double kTanhUlp = 2.0, kExpUlp = 1.0, kLogUlp = 1.0;

TEST_P(VectorMath, TanhWithinBound) {
  const Accuracy acc = measure(k_->tanh, -25.0f, 25.0f, 211, [](double x) { return std::tanh(x); });
  EXPECT_LE(acc.max_ulp, kTanhUlp) << "worst at x = " << acc.worst;
}

TEST_P(VectorMath, ExpWithinBound) {
  const Accuracy acc = measure(k_->exp, -87.3f, 88.7f, 211, [](double x) { return std::exp(x); });
  EXPECT_LE(acc.max_ulp, kExpUlp) << "worst at x = " << acc.worst;
  // Subnormal results: within one subnormal step.
  const std::vector<float> x = floats_between(-103.9f, -87.4f, 7);
  std::vector<float> y(x.size());
  k_->exp(x.data(), y.data(), x.size());
  for (std::size_t i = 0; i < x.size(); ++i)
    ASSERT_LE(std::fabs(double(y[i]) - std::exp(double(x[i]))), std::ldexp(1.0, -149)) << "x = " << x[i];
}

TEST_P(VectorMath, LogWithinBound) {
  const Accuracy acc =
      measure(k_->log, float_of(1), std::numeric_limits<float>::max(), 211, [](double x) { return std::log(x); });
  EXPECT_LE(acc.max_ulp, kLogUlp) << "worst at x = " << acc.worst;
}

TEST_P(VectorMath, SpecialValues) {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> x{nan, inf, -inf, 0.0f, -0.0f, 1e-45f, 100.0f, -100.0f, 89.0f, -200.0f, -1.0f};
  std::vector<float> t(x.size()), e(x.size()), l(x.size());
  k_->tanh(x.data(), t.data(), x.size());
  k_->exp(x.data(), e.data(), x.size());
  k_->log(x.data(), l.data(), x.size());
  EXPECT_TRUE(std::isnan(t[0]) && std::isnan(e[0]) && std::isnan(l[0]));
  EXPECT_EQ(t[1], 1.0f);
  EXPECT_EQ(t[2], -1.0f);
  EXPECT_EQ(bits_of(t[3]), bits_of(0.0f));
  EXPECT_EQ(bits_of(t[4]), bits_of(-0.0f));
  EXPECT_EQ(t[5], 1e-45f);
  EXPECT_EQ(t[6], 1.0f);
  EXPECT_EQ(t[7], -1.0f);
  EXPECT_EQ(e[1], inf);
  EXPECT_EQ(e[2], 0.0f);
  EXPECT_EQ(e[3], 1.0f);
  EXPECT_EQ(e[4], 1.0f);
  EXPECT_EQ(e[8], inf);
  EXPECT_EQ(e[9], 0.0f);
  EXPECT_EQ(l[1], inf);
  EXPECT_TRUE(std::isnan(l[2]));
  EXPECT_EQ(l[3], -inf);
  EXPECT_EQ(l[4], -inf);
  EXPECT_NEAR(l[5], std::log(double(1e-45f)), 1e-5);
  EXPECT_TRUE(std::isnan(l[10]));
  // tanh is odd to the bit.
  const std::vector<float> pos = floats_between(0.0f, 25.0f, 1009);
  std::vector<float> neg(pos.size()), tp(pos.size()), tn(pos.size());
  for (std::size_t i = 0; i < pos.size(); ++i) neg[i] = -pos[i];
  k_->tanh(pos.data(), tp.data(), pos.size());
  k_->tanh(neg.data(), tn.data(), neg.size());
  for (std::size_t i = 0; i < pos.size(); ++i) ASSERT_EQ(tn[i], -tp[i]) << "x = " << pos[i];
}

// Every path computes the same IEEE operations in the same order: same bits.
TEST_P(VectorMath, SameBitsAsPortablePath) {
  const Kernels& portable = mdn::cpu::simd::kernels(Isa::Portable);
  const std::vector<float> x =
      floats_between(-std::numeric_limits<float>::max(), std::numeric_limits<float>::max(), 4099);
  std::vector<float> a(x.size()), b(x.size());
  for (auto f : {&Kernels::tanh, &Kernels::exp, &Kernels::log}) {
    (k_->*f)(x.data(), a.data(), x.size());
    (portable.*f)(x.data(), b.data(), x.size());
    ASSERT_EQ(0, std::memcmp(a.data(), b.data(), a.size() * sizeof(float)));
  }
  // The in-place tanh is the same function.
  std::vector<float> c = x;
  k_->tanh(x.data(), a.data(), x.size());
  k_->tanh_inplace(c.data(), c.size());
  ASSERT_EQ(0, std::memcmp(a.data(), c.data(), a.size() * sizeof(float)));
}

TEST_P(VectorMath, RowKernels) {
  const int rows = 37, cols = 23;  // odd sizes: vector bodies and remainders
  std::vector<float> b(cols), y(std::size_t(rows) * cols, -1.0f), h(y.size()), d(y.size()), sums(cols, 0.5f);
  for (int j = 0; j < cols; ++j) b[j] = 0.25f * float(j) - 2.0f;
  k_->fill_rows(y.data(), b.data(), rows, cols);
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) ASSERT_EQ(y[std::size_t(i) * cols + j], b[j]);
  for (std::size_t i = 0; i < y.size(); ++i) {
    h[i] = std::sin(float(i));
    d[i] = std::cos(float(i));
  }
  std::vector<float> want = d;
  for (std::size_t i = 0; i < y.size(); ++i) want[i] = want[i] * (1.0f - h[i] * h[i]);
  k_->tanh_backward(d.data(), h.data(), d.size());
  EXPECT_EQ(0, std::memcmp(want.data(), d.data(), d.size() * sizeof(float)));
  std::vector<float> want_sums = sums;
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) want_sums[j] += h[std::size_t(i) * cols + j];
  k_->add_column_sums(sums.data(), h.data(), rows, cols);
  EXPECT_EQ(0, std::memcmp(want_sums.data(), sums.data(), sums.size() * sizeof(float)));
}

// The fused kernels of the tiles (bias + tanh; tanh backward + the column
// sums, whose sums are kept in registers by groups of 16 columns) against
// plain loops doing the same operations in the same order: the same bits, for
// widths below, at and between multiples of 16, sums written (=) or added to.
TEST_P(VectorMath, FusedRowKernelsEqualPlainLoops) {
  for (int cols : {1, 15, 16, 17, 40, 64, 70, 130}) {
    for (bool accumulate : {false, true}) {
      const int rows = 33;
      std::vector<float> h(std::size_t(rows) * cols), d(h.size()), sums(cols), b(cols);
      for (std::size_t i = 0; i < h.size(); ++i) {
        h[i] = std::sin(0.7f * float(i));
        d[i] = std::cos(1.3f * float(i));
      }
      for (int j = 0; j < cols; ++j) sums[j] = b[j] = 0.1f * float(j) - 1.0f;
      std::vector<float> want_d = d, want_sums = sums;
      for (int i = 0; i < rows; ++i)
        for (int j = 0; j < cols; ++j) {
          const std::size_t e = std::size_t(i) * cols + j;
          want_d[e] = want_d[e] * (1.0f - h[e] * h[e]);
          want_sums[j] = (i == 0 && !accumulate) ? want_d[e] : want_sums[j] + want_d[e];
        }
      k_->tanh_backward_sums(d.data(), h.data(), rows, cols, sums.data(), accumulate);
      EXPECT_EQ(0, std::memcmp(want_d.data(), d.data(), d.size() * sizeof(float))) << cols;
      EXPECT_EQ(0, std::memcmp(want_sums.data(), sums.data(), sums.size() * sizeof(float)))
          << cols << (accumulate ? " +=" : " =");
      std::vector<float> y = d, want_y = d;
      for (int i = 0; i < rows; ++i)
        for (int j = 0; j < cols; ++j) want_y[std::size_t(i) * cols + j] += b[j];
      k_->tanh_inplace(want_y.data(), want_y.size());
      k_->bias_tanh(y.data(), b.data(), rows, cols);
      EXPECT_EQ(0, std::memcmp(want_y.data(), y.data(), y.size() * sizeof(float))) << cols;
    }
  }
}

// The figures quoted in BENCHMARKS.md: every float of each range (minutes;
// run with --gtest_also_run_disabled_tests --gtest_filter='*Exhaustive*').
TEST_P(VectorMath, DISABLED_ExhaustiveUlp) {
  const auto report = [](const char* what, const Accuracy& acc) {
    std::printf("%s: max %.3f ulp at %.9g\n", what, acc.max_ulp, double(acc.worst));
  };
  report("tanh on [-20, 20]", measure(k_->tanh, -20.0f, 20.0f, 1, [](double x) { return std::tanh(x); }));
  report("exp on [-87.3, 88.7]", measure(k_->exp, -87.3f, 88.7f, 1, [](double x) { return std::exp(x); }));
  report("log on (0, FLT_MAX]",
         measure(k_->log, float_of(1), std::numeric_limits<float>::max(), 1, [](double x) { return std::log(x); }));
}

INSTANTIATE_TEST_SUITE_P(
    Paths, VectorMath, ::testing::Values(Isa::Portable, Isa::Avx2, Isa::Avx512), [](const auto& info) {
      return std::string(info.param == Isa::Avx512 ? "avx512" : info.param == Isa::Avx2 ? "avx2" : "portable");
    });

TEST(VectorMathDispatch, ChosenPathIsSupported) {
  const Kernels& chosen = mdn::cpu::simd::kernels();
  EXPECT_TRUE(mdn::cpu::simd::supported(chosen.isa)) << chosen.name;
  EXPECT_TRUE(mdn::cpu::simd::supported(Isa::Portable));
}

}  // namespace
