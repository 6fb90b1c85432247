// The CPU backend's GEMM (cpu/blas.hpp: libxsmm's JIT kernels where it takes
// the call, OpenBLAS otherwise) against a plain triple loop in long double,
// for every transpose combination, beta 0 and 1, float and double, on the
// network's shapes and odd ones; and small_gemm itself where libxsmm is built
// in: it takes the no-transpose and transposed-A products and declines a
// transposed B (which the network never asks of it).
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <random>
#include <vector>

#include "cpu/blas.hpp"
#include "cpu/small_gemm.hpp"

namespace {

using mdn::cpu::Transpose;

template <class R>
struct Case {
  Transpose ta, tb;
  int m, n, k;
  std::vector<R> a, b, c;
  int lda, ldb, ldc;
};

template <class R>
Case<R> make_case(Transpose ta, Transpose tb, int m, int n, int k, unsigned seed) {
  Case<R> c{ta, tb, m, n, k, {}, {}, {}, 0, 0, 0};
  // Row strides with padding, as a strided view would have.
  c.lda = (ta == Transpose::No ? k : m) + 1;
  c.ldb = (tb == Transpose::No ? n : k) + 2;
  c.ldc = n + 3;
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal;
  c.a.resize(std::size_t(ta == Transpose::No ? m : k) * c.lda);
  c.b.resize(std::size_t(tb == Transpose::No ? k : n) * c.ldb);
  c.c.resize(std::size_t(m) * c.ldc);
  for (auto& v : c.a) v = R(normal(rng));
  for (auto& v : c.b) v = R(normal(rng));
  for (auto& v : c.c) v = R(normal(rng));
  return c;
}

// C = op(A) op(B) + beta C in long double; also the sum of |terms| per entry
// for the tolerance.
template <class R>
void reference(const Case<R>& c, R beta, std::vector<long double>& want, std::vector<long double>& magnitude) {
  want.assign(c.c.size(), 0);
  magnitude.assign(c.c.size(), 0);
  for (int i = 0; i < c.m; ++i)
    for (int j = 0; j < c.n; ++j) {
      long double sum = beta * (long double)c.c[std::size_t(i) * c.ldc + j], mag = std::fabs(sum);
      for (int p = 0; p < c.k; ++p) {
        const long double a = c.ta == Transpose::No ? c.a[std::size_t(i) * c.lda + p] : c.a[std::size_t(p) * c.lda + i];
        const long double b = c.tb == Transpose::No ? c.b[std::size_t(p) * c.ldb + j] : c.b[std::size_t(j) * c.ldb + p];
        sum += a * b;
        mag += std::fabs(a * b);
      }
      want[std::size_t(i) * c.ldc + j] = sum;
      magnitude[std::size_t(i) * c.ldc + j] = mag;
    }
}

template <class R>
void check_gemm(R eps) {
  int seed = 0;
  for (Transpose ta : {Transpose::No, Transpose::Yes})
    for (Transpose tb : {Transpose::No, Transpose::Yes})
      for (R beta : {R(0), R(1)})
        for (auto [m, n, k] : {std::array<int, 3>{256, 64, 8},
                               {256, 64, 64},
                               {64, 64, 256},
                               {256, 15, 64},
                               {15, 64, 256},
                               {17, 5, 3},
                               {1, 1, 1}}) {
          Case<R> c = make_case<R>(ta, tb, m, n, k, unsigned(++seed));
          std::vector<long double> want, magnitude;
          reference(c, beta, want, magnitude);
          mdn::cpu::gemm(ta, tb, m, n, k, R(1), c.a.data(), c.lda, c.b.data(), c.ldb, beta, c.c.data(), c.ldc);
          for (int i = 0; i < m; ++i)
            for (int j = 0; j < n; ++j) {
              const std::size_t e = std::size_t(i) * c.ldc + j;
              ASSERT_NEAR(double(c.c[e]), double(want[e]), double(eps * (k + 1) * magnitude[e]) + 1e-30)
                  << "ta " << int(ta) << " tb " << int(tb) << " beta " << double(beta) << " m n k " << m << " " << n
                  << " " << k << " at " << i << "," << j;
            }
          // The padding between rows of C is never written.
          Case<R> fresh = make_case<R>(ta, tb, m, n, k, unsigned(seed));
          for (int i = 0; i < m; ++i)
            for (int j = n; j < c.ldc; ++j)
              ASSERT_EQ(c.c[std::size_t(i) * c.ldc + j], fresh.c[std::size_t(i) * c.ldc + j]);
        }
}

TEST(Gemm, FloatMatchesTheLongDoubleProduct) { check_gemm<float>(6e-8f); }
TEST(Gemm, DoubleMatchesTheLongDoubleProduct) { check_gemm<double>(1.2e-16); }

TEST(SmallGemm, TakesNoTransposeAndTransposedAAndDeclinesTransposedB) {
  if (!mdn::cpu::have_small_gemm()) GTEST_SKIP() << "built without libxsmm: every GEMM goes to OpenBLAS";
  std::vector<float> a(64 * 64, 1.0f), b(64 * 64, 1.0f), c(64 * 64, 0.0f);
  EXPECT_TRUE(
      mdn::cpu::small_gemm(Transpose::No, Transpose::No, 32, 64, 16, a.data(), 16, b.data(), 64, 0.0f, c.data(), 64));
  EXPECT_EQ(c[0], 16.0f);
  EXPECT_TRUE(
      mdn::cpu::small_gemm(Transpose::Yes, Transpose::No, 32, 64, 16, a.data(), 32, b.data(), 64, 1.0f, c.data(), 64));
  EXPECT_EQ(c[0], 32.0f);
  EXPECT_FALSE(
      mdn::cpu::small_gemm(Transpose::No, Transpose::Yes, 32, 64, 16, a.data(), 16, b.data(), 16, 0.0f, c.data(), 64));
  EXPECT_EQ(c[0], 32.0f);
  EXPECT_FALSE(
      mdn::cpu::small_gemm(Transpose::No, Transpose::No, 32, 64, 16, a.data(), 16, b.data(), 64, 0.5f, c.data(), 64));
  std::vector<double> ad(64 * 64, 1.0), bd(64 * 64, 1.0), cd(64 * 64, 0.0);
  EXPECT_TRUE(
      mdn::cpu::small_gemm(Transpose::No, Transpose::No, 8, 8, 8, ad.data(), 8, bd.data(), 8, 0.0, cd.data(), 8));
  EXPECT_EQ(cd[0], 8.0);
}

}  // namespace
