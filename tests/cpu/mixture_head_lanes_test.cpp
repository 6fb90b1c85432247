// The CPU backend's vectorised mixture head (simd::Kernels::mixture_head:
// detail::mixture_nll_and_grad instantiated on 16 lanes) on every dispatch
// path this machine can run, against a reference written separately in long
// double (softmax, log-densities, log-sum-exp, responsibilities, the
// gradient of DESIGN.md), and against itself: the same bits on every path, a
// row's results independent of the rows around it, the loss without the
// gradient equal to the loss with it.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "cpu/simd/kernels.hpp"

namespace {

using mdn::cpu::simd::Isa;

constexpr float kLo = -6.907755f, kHi = 6.907755f;

struct Reference {
  long double loss = 0;
  std::vector<long double> dz;
};

// One row, straight from the formulas.
Reference reference_row(const float* zf, const float* tf, int K, int T) {
  const int width = K * (1 + 2 * T);
  std::vector<long double> z(zf, zf + width), t(tf, tf + T);
  const long double lo = kLo, hi = kHi;
  const long double amax = *std::max_element(z.begin(), z.begin() + K);
  long double asum = 0;
  for (int k = 0; k < K; ++k) asum += std::exp(z[k] - amax);
  std::vector<long double> log_alpha(K), l(K);
  for (int k = 0; k < K; ++k) {
    log_alpha[k] = z[k] - amax - std::log(asum);
    long double dens = 0;
    for (int d = 0; d < T; ++d) {
      const long double s = std::min(hi, std::max(lo, z[K + k * T + d]));
      const long double u = (t[d] - z[K + K * T + k * T + d]) / std::exp(s);
      dens += -0.5L * u * u - s - 0.5L * std::log(2.0L * 3.14159265358979323846L);
    }
    l[k] = log_alpha[k] + dens;
  }
  const long double lmax = *std::max_element(l.begin(), l.end());
  long double lsum = 0;
  for (int k = 0; k < K; ++k) lsum += std::exp(l[k] - lmax);
  Reference r;
  r.loss = -(lmax + std::log(lsum));
  r.dz.assign(width, 0);
  for (int k = 0; k < K; ++k) {
    const long double gamma = std::exp(l[k] - lmax) / lsum;
    r.dz[k] = std::exp(log_alpha[k]) - gamma;
    for (int d = 0; d < T; ++d) {
      const int i = k * T + d;
      const long double s = z[K + i];
      const long double sigma = std::exp(std::min(hi, std::max(lo, s)));
      const long double u = (t[d] - z[K + K * T + i]) / sigma;
      r.dz[K + K * T + i] = -gamma * u / sigma;
      r.dz[K + i] = (s > lo && s < hi) ? gamma * (1 - u * u) : 0;
    }
  }
  return r;
}

struct Batch {
  int K, T, rows;
  std::vector<float> z, t;
};

// Typical rows, with every 7th row extreme (a target 1e4 away, sigmas at the
// clamp, logits +-60) so that lanes in one block see different regimes.
Batch make_batch(int K, int T, int rows, unsigned seed) {
  Batch b{K, T, rows, {}, {}};
  const int width = K * (1 + 2 * T);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(-2.0f, 2.0f);
  b.z.resize(std::size_t(rows) * width);
  b.t.resize(std::size_t(rows) * T);
  for (auto& v : b.z) v = u(rng);
  for (auto& v : b.t) v = 1.5f * u(rng);
  for (int i = 0; i < rows; i += 7) {
    float* z = b.z.data() + std::size_t(i) * width;
    for (int k = 0; k < K; ++k) z[k] = (k % 2 ? 60.0f : -60.0f) + float(k);
    for (int j = 0; j < K * T; j += 2) z[K + j] = -8.0f;  // below the clamp: zero s-gradient
    b.t[std::size_t(i) * T] = (i % 2 ? 1e4f : -3e3f);
  }
  return b;
}

struct HeadOut {
  std::vector<float> loss, dz;
};

HeadOut run_head(const mdn::cpu::simd::Kernels& k, const Batch& b, float scale, bool gradient) {
  HeadOut o;
  o.loss.assign(b.rows, std::nanf(""));
  if (gradient) o.dz.assign(std::size_t(b.rows) * b.K * (1 + 2 * b.T), std::nanf(""));
  k.mixture_head(b.z.data(), b.t.data(), b.rows, b.K, b.T, kLo, kHi, scale, o.loss.data(),
                 gradient ? o.dz.data() : nullptr);
  return o;
}

std::vector<Isa> paths() {
  std::vector<Isa> v;
  for (Isa isa : {Isa::Portable, Isa::Avx2, Isa::Avx512})
    if (mdn::cpu::simd::supported(isa)) v.push_back(isa);
  return v;
}

TEST(MixtureHeadLanes, MatchesTheLongDoubleReferenceOnEveryPath) {
  for (Isa isa : paths()) {
    const auto& kern = mdn::cpu::simd::kernels(isa);
    for (int K : {1, 3, 5, 20}) {
      for (int T : {1, 2, 4}) {
        const Batch b = make_batch(K, T, 37, unsigned(K * 10 + T));
        const float scale = 0.25f;
        const HeadOut o = run_head(kern, b, scale, true);
        const int width = K * (1 + 2 * T);
        for (int i = 0; i < b.rows; ++i) {
          SCOPED_TRACE(std::string(kern.name) + " K=" + std::to_string(K) + " T=" + std::to_string(T) + " row " +
                       std::to_string(i));
          const Reference r = reference_row(b.z.data() + std::size_t(i) * width, b.t.data() + std::size_t(i) * T, K, T);
          ASSERT_NEAR(double(o.loss[i]), double(r.loss), 1e-6 * std::fabs(double(r.loss)) + 2e-6);
          const float* dz = o.dz.data() + std::size_t(i) * width;
          for (int k = 0; k < K; ++k) ASSERT_NEAR(double(dz[k]), double(scale * r.dz[k]), 1e-5 * scale) << "da " << k;
          for (const int begin : {K, K + K * T}) {
            long double block = 0;
            for (int j = begin; j < begin + K * T; ++j) block = std::max(block, std::fabs(r.dz[j]));
            for (int j = begin; j < begin + K * T; ++j)
              ASSERT_NEAR(double(dz[j]), double(scale * r.dz[j]), 1e-4 * double(scale * block) + 1e-30) << "dz " << j;
          }
        }
      }
    }
  }
}

TEST(MixtureHeadLanes, EveryPathGivesTheSameBits) {
  const Batch b = make_batch(5, 2, 53, 7);
  const HeadOut want = run_head(mdn::cpu::simd::kernels(Isa::Portable), b, 1.0f / 53, true);
  for (Isa isa : paths()) {
    const HeadOut got = run_head(mdn::cpu::simd::kernels(isa), b, 1.0f / 53, true);
    EXPECT_EQ(got.loss, want.loss) << mdn::cpu::simd::kernels(isa).name;
    EXPECT_EQ(got.dz, want.dz) << mdn::cpu::simd::kernels(isa).name;
  }
}

// A row alone (lanes padded with copies of it) gives the bits it gives in a
// block of other rows; the loss without the gradient is the loss with it.
TEST(MixtureHeadLanes, RowsAreIndependentOfTheirBlock) {
  const Batch b = make_batch(4, 3, 40, 9);
  const int width = 4 * 7;
  for (Isa isa : paths()) {
    const auto& kern = mdn::cpu::simd::kernels(isa);
    const HeadOut all = run_head(kern, b, 0.5f, true);
    const HeadOut loss_only = run_head(kern, b, 0.5f, false);
    EXPECT_EQ(loss_only.loss, all.loss) << kern.name;
    for (int i = 0; i < b.rows; i += 3) {
      Batch one{b.K,
                b.T,
                1,
                {b.z.begin() + i * width, b.z.begin() + (i + 1) * width},
                {b.t.begin() + i * 3, b.t.begin() + (i + 1) * 3}};
      const HeadOut o = run_head(kern, one, 0.5f, true);
      EXPECT_EQ(o.loss[0], all.loss[std::size_t(i)]) << kern.name << " row " << i;
      EXPECT_TRUE(std::equal(o.dz.begin(), o.dz.end(), all.dz.begin() + std::size_t(i) * width))
          << kern.name << " row " << i;
    }
  }
}

}  // namespace
