// The shared per-sample math (detail/mixture_math.hpp) against independent
// references: a direct sum of densities, the Gaussian closed form, and
// central finite differences.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "mdn/detail/mixture_math.hpp"

namespace {

using mdn::detail::mixture_nll;
using mdn::detail::mixture_nll_and_grad;

constexpr double kLo = -6.907755, kHi = 6.907755;
const double kPi = std::acos(-1.0);

// Straightforward implementation written separately from the header: softmax,
// product of 1-D normal pdfs, sum, -log. Only valid on well-scaled inputs.
double direct_nll(const std::vector<double>& z, const std::vector<double>& t, int K, int T) {
  double denom = 0.0;
  for (int k = 0; k < K; ++k) denom += std::exp(z[k]);
  double p = 0.0;
  for (int k = 0; k < K; ++k) {
    double density = 1.0;
    for (int d = 0; d < T; ++d) {
      const double sigma = std::exp(z[K + k * T + d]);
      const double mu = z[K + K * T + k * T + d];
      const double u = (t[d] - mu) / sigma;
      density *= std::exp(-0.5 * u * u) / (sigma * std::sqrt(2.0 * kPi));
    }
    p += std::exp(z[k]) / denom * density;
  }
  return -std::log(p);
}

std::vector<double> random_head(std::mt19937_64& rng, int K, int T, double spread) {
  std::uniform_real_distribution<double> u(-spread, spread);
  std::vector<double> z(K * (1 + 2 * T));
  for (auto& v : z) v = u(rng);
  return z;
}

TEST(MixtureMath, LossMatchesDirectSumOfDensities) {
  std::mt19937_64 rng(1);
  for (int K : {1, 2, 5, 13}) {
    for (int T : {1, 2, 4}) {
      for (int rep = 0; rep < 20; ++rep) {
        const auto z = random_head(rng, K, T, 1.5);
        std::vector<double> t(T);
        for (auto& v : t) v = std::uniform_real_distribution<double>(-2, 2)(rng);
        const double ref = direct_nll(z, t, K, T);
        EXPECT_NEAR(mixture_nll(z.data(), t.data(), K, T, kLo, kHi), ref, 1e-10 + 1e-10 * std::fabs(ref))
            << "K=" << K << " T=" << T;
        std::vector<float> zf(z.begin(), z.end()), tf(t.begin(), t.end());
        EXPECT_NEAR(mixture_nll(zf.data(), tf.data(), K, T, float(kLo), float(kHi)), ref, 1e-4 + 1e-5 * std::fabs(ref));
      }
    }
  }
}

TEST(MixtureMath, SingleComponentIsGaussianNll) {
  // K = 1: loss = 0.5 u^2 + log sigma + 0.5 log(2 pi), whatever the logit.
  const double mu = 0.7, log_sigma = -0.4, t = 1.9, logit = 3.0;
  const std::vector<double> z{logit, log_sigma, mu};
  const double sigma = std::exp(log_sigma);
  const double u = (t - mu) / sigma;
  const double closed = 0.5 * u * u + std::log(sigma) + 0.5 * std::log(2.0 * kPi);
  EXPECT_NEAR(mixture_nll(z.data(), &t, 1, 1, kLo, kHi), closed, 1e-12);
}

// Central differences of the header's loss, in double.
void expect_gradient_matches_fd(const std::vector<double>& z0, const std::vector<double>& t, int K, int T) {
  std::vector<double> z = z0, grad(z.size());
  mixture_nll_and_grad(z.data(), t.data(), K, T, kLo, kHi, 1.0, grad.data());
  for (std::size_t i = 0; i < z.size(); ++i) {
    const double h = 1e-6;
    z[i] = z0[i] + h;
    const double up = mixture_nll(z.data(), t.data(), K, T, kLo, kHi);
    z[i] = z0[i] - h;
    const double down = mixture_nll(z.data(), t.data(), K, T, kLo, kHi);
    z[i] = z0[i];
    const double fd = (up - down) / (2 * h);
    EXPECT_NEAR(grad[i], fd, 1e-6 + 1e-6 * std::fabs(fd)) << "entry " << i << " K=" << K << " T=" << T;
  }
}

TEST(MixtureMath, GradientMatchesFiniteDifferences) {
  std::mt19937_64 rng(2);
  for (int K : {1, 3, 8}) {
    for (int T : {1, 3}) {
      for (int rep = 0; rep < 5; ++rep) {
        const auto z = random_head(rng, K, T, 2.0);
        std::vector<double> t(T);
        for (auto& v : t) v = std::uniform_real_distribution<double>(-3, 3)(rng);
        expect_gradient_matches_fd(z, t, K, T);
      }
    }
  }
}

TEST(MixtureMath, GradScaleMultipliesEveryEntry) {
  std::mt19937_64 rng(3);
  const int K = 4, T = 2;
  const auto z = random_head(rng, K, T, 1.0);
  const std::vector<double> t{0.3, -0.8};
  std::vector<double> g1(z.size()), g4(z.size());
  mixture_nll_and_grad(z.data(), t.data(), K, T, kLo, kHi, 1.0, g1.data());
  mixture_nll_and_grad(z.data(), t.data(), K, T, kLo, kHi, 0.25, g4.data());
  for (std::size_t i = 0; i < z.size(); ++i) EXPECT_DOUBLE_EQ(g4[i], 0.25 * g1[i]);
}

TEST(MixtureMath, ClampedLogSigmaHasZeroGradientOutsideBounds) {
  // Component 0's log-sigma far below the floor, component 1's far above the
  // ceiling: both get zero gradient, and the loss uses the clamped values.
  const int K = 2, T = 1;
  std::vector<double> z{0.1, -0.2, /*s*/ -20.0, 20.0, /*m*/ 0.5, -0.5};
  const double t = 0.4;
  std::vector<double> grad(z.size());
  const double loss = mixture_nll_and_grad(z.data(), &t, K, T, kLo, kHi, 1.0, grad.data());
  EXPECT_TRUE(std::isfinite(loss));
  EXPECT_EQ(grad[2], 0.0);
  EXPECT_EQ(grad[3], 0.0);
  std::vector<double> clamped{0.1, -0.2, kLo, kHi, 0.5, -0.5};
  EXPECT_DOUBLE_EQ(loss, mixture_nll(clamped.data(), &t, K, T, kLo, kHi));
  for (double g : grad) EXPECT_TRUE(std::isfinite(g));
  // Inside the bounds the gradient is not zeroed.
  std::vector<double> inside{0.1, -0.2, -1.0, 1.0, 0.5, -0.5};
  mixture_nll_and_grad(inside.data(), &t, K, T, kLo, kHi, 1.0, grad.data());
  EXPECT_NE(grad[2], 0.0);
}

TEST(MixtureMath, FiniteForFarTargetsAndExtremeLogits) {
  // Float, as the kernels run it: logits +-80 would overflow a naive softmax
  // and a target 1e4 sigmas away underflows every density to 0.
  const int K = 3, T = 2;
  // a (3) | s (3x2) | m (3x2)
  std::vector<float> z{80.0f, -80.0f, 0.0f, -6.0f, -6.0f, 0.0f, 0.0f, 2.0f, 2.0f, 0.0f, 0.0f, 0.0f, 0.0f, 5.0f, 5.0f};
  std::vector<float> t{100.0f, -100.0f};
  std::vector<float> grad(z.size());
  const float loss = mixture_nll_and_grad(z.data(), t.data(), K, T, float(kLo), float(kHi), 1.0f, grad.data());
  EXPECT_TRUE(std::isfinite(loss));
  // The best component (k = 2, sigma = e^2) is ~13 and ~14 sigmas away on
  // the two axes and has log-weight -80: the loss is well above 100.
  EXPECT_GT(loss, 100.0f);
  for (float g : grad) EXPECT_TRUE(std::isfinite(g));
  // Responsibilities sum to 1 and alpha sums to 1, so dL/da sums to 0.
  EXPECT_NEAR(grad[0] + grad[1] + grad[2], 0.0f, 1e-5f);
}

TEST(MixtureMath, LogitGradientIsAlphaMinusResponsibility) {
  // dL/da_k summed over k is 0, and each entry lies in [-1, 1].
  std::mt19937_64 rng(4);
  for (int rep = 0; rep < 50; ++rep) {
    const int K = 6, T = 2;
    const auto z = random_head(rng, K, T, 3.0);
    const std::vector<double> t{0.0, 1.0};
    std::vector<double> grad(z.size());
    mixture_nll_and_grad(z.data(), t.data(), K, T, kLo, kHi, 1.0, grad.data());
    double sum = 0.0;
    for (int k = 0; k < K; ++k) {
      EXPECT_LE(std::fabs(grad[k]), 1.0);
      sum += grad[k];
    }
    EXPECT_NEAR(sum, 0.0, 1e-12);
  }
}

// ---------------------------------------------------------------------------
// The responsibilities gamma_k at extreme regimes, in float as the kernels run
// them, against a reference written separately in long double from the same
// float inputs: alpha_k, each component's log-density, l_k, their
// log-sum-exp, gamma_k = exp(l_k - lse), then the gradient of DESIGN.md.

struct LongDoubleReference {
  long double loss = 0;
  std::vector<long double> gamma, dz;
};

LongDoubleReference long_double_reference(const std::vector<float>& zf, const std::vector<float>& tf, int K, int T) {
  const long double lo = (long double)float(kLo), hi = (long double)float(kHi);
  std::vector<long double> z(zf.begin(), zf.end()), t(tf.begin(), tf.end());
  long double amax = z[0];
  for (int k = 1; k < K; ++k) amax = std::max(amax, z[k]);
  long double asum = 0;
  for (int k = 0; k < K; ++k) asum += std::exp(z[k] - amax);
  const long double lse_a = amax + std::log(asum);
  std::vector<long double> l(K);
  for (int k = 0; k < K; ++k) {
    long double dens = 0;
    for (int d = 0; d < T; ++d) {
      const long double s = std::min(hi, std::max(lo, z[K + k * T + d]));
      const long double u = (t[d] - z[K + K * T + k * T + d]) / std::exp(s);
      dens += -0.5L * u * u - s - 0.5L * std::log(2.0L * 3.14159265358979323846264338327950288L);
    }
    l[k] = (z[k] - lse_a) + dens;
  }
  const long double lmax = *std::max_element(l.begin(), l.end());
  long double lsum = 0;
  for (int k = 0; k < K; ++k) lsum += std::exp(l[k] - lmax);
  const long double lse = lmax + std::log(lsum);
  LongDoubleReference ref;
  ref.loss = -lse;
  ref.gamma.resize(K);
  ref.dz.assign(zf.size(), 0);
  for (int k = 0; k < K; ++k) {
    ref.gamma[k] = std::exp(l[k] - lse);
    ref.dz[k] = std::exp(z[k] - lse_a) - ref.gamma[k];
    for (int d = 0; d < T; ++d) {
      const int i = k * T + d;
      const long double s = z[K + i];
      const long double sc = std::min(hi, std::max(lo, s));
      const long double u = (t[d] - z[K + K * T + i]) / std::exp(sc);
      ref.dz[K + K * T + i] = -ref.gamma[k] * u / std::exp(sc);
      ref.dz[K + i] = (s > lo && s < hi) ? ref.gamma[k] * (1 - u * u) : 0;
    }
  }
  return ref;
}

// The float loss and gradient against the reference: the loss to 1e-6
// relative, the logit gradients (alpha - gamma, in [-1, 1]) to 1e-5 absolute,
// the others to 1e-4 relative of their block's largest entry.
void expect_float_gradient_matches_reference(const std::vector<float>& z, const std::vector<float>& t, int K, int T,
                                             const char* what) {
  SCOPED_TRACE(what);
  std::vector<float> dz(z.size(), std::nanf(""));
  const float loss = mixture_nll_and_grad(z.data(), t.data(), K, T, float(kLo), float(kHi), 1.0f, dz.data());
  const LongDoubleReference ref = long_double_reference(z, t, K, T);
  ASSERT_TRUE(std::isfinite(loss));
  EXPECT_NEAR(double(loss), double(ref.loss), 1e-6 * std::fabs(double(ref.loss)) + 1e-6);
  EXPECT_NEAR(double(mixture_nll(z.data(), t.data(), K, T, float(kLo), float(kHi))), double(loss),
              1e-6 * std::fabs(double(loss)) + 1e-6)
      << "mixture_nll and mixture_nll_and_grad disagree on the loss";
  double gamma_sum = 0.0;
  for (int k = 0; k < K; ++k) {
    EXPECT_NEAR(double(dz[k]), double(ref.dz[k]), 1e-5) << "dL/da_" << k << " (gamma " << double(ref.gamma[k]) << ")";
    gamma_sum += double(ref.dz[k]) - double(dz[k]) + double(ref.gamma[k]);  // float gamma, from alpha - dz
  }
  EXPECT_NEAR(gamma_sum, 1.0, 1e-5) << "the float responsibilities do not sum to 1";
  for (const int begin : {K, K + K * T}) {
    long double scale = 0;
    for (int i = begin; i < begin + K * T; ++i) scale = std::max(scale, std::fabs(ref.dz[i]));
    for (int i = begin; i < begin + K * T; ++i)
      EXPECT_NEAR(double(dz[i]), double(ref.dz[i]), 1e-4 * double(scale) + 1e-30) << "dz[" << i << "]";
  }
}

TEST(MixtureMathResponsibilities, FarTargetsOneComponentTakesEverything) {
  // t = (1e4, -1e4) with sigmas near 1: every log-density is about -1e8
  // (float ulp 8), the components' differ by ~1e4, so gamma is 1 for the
  // nearest (k = 1) and 0 for the others. Two evaluations of l_k that
  // differed by an ulp would make gamma_1 e^+-8 instead of 1.
  const int K = 3, T = 2;
  // a (3) | s (3x2) | m (3x2)
  const std::vector<float> z{0.3f,  -0.2f, 0.1f,  0.0f, 0.1f,  0.05f, 0.0f, -0.1f,
                             0.02f, 0.5f,  -0.5f, 1.5f, -1.5f, -2.0f, 2.0f};
  expect_float_gradient_matches_reference(z, {1e4f, -1e4f}, K, T, "far targets");
}

TEST(MixtureMathResponsibilities, FarTargetsTiedComponentsSplitByTheirWeights) {
  // Components 0 and 2 have the same sigma and mean, so the same log-density
  // (~-5e7), and differ only in their logits (log-weights differ by 1.1): the
  // exact responsibilities are their weights renormalised, 0.25 / 0.75. In
  // float, log_alpha_k + dens_k rounds to a multiple of 4 at 5e7 and would
  // lose that difference; the shifted single evaluation keeps it.
  const int K = 3, T = 1;
  const std::vector<float> z{0.0f, 5.0f, 1.0986123f, 0.2f, -0.3f, 0.2f, 1.0f, -30.0f, 1.0f};
  expect_float_gradient_matches_reference(z, {1e4f}, K, T, "tied far targets");
  std::vector<float> dz(z.size());
  mixture_nll_and_grad(z.data(), std::vector<float>{1e4f}.data(), K, T, float(kLo), float(kHi), 1.0f, dz.data());
  const float lse = std::log(std::exp(0.0f) + std::exp(5.0f) + std::exp(1.0986123f));
  const float alpha0 = std::exp(0.0f - lse), alpha2 = std::exp(1.0986123f - lse);
  EXPECT_NEAR(alpha0 - dz[0], 0.25f, 1e-5f);
  EXPECT_NEAR(alpha2 - dz[2], 0.75f, 1e-5f);
}

TEST(MixtureMathResponsibilities, ExtremeLogitsAndClampedTinySigmas) {
  // Logits +-80 (alpha spans e^-160, below float's smallest number) and
  // sigmas at the lower clamp with targets 1e3 away (u ~ 1e6, log-densities
  // ~ -5e11): the posterior still sums to 1 and matches the reference.
  const int K = 4, T = 2;
  const std::vector<float> z{80.0f, -80.0f, 0.0f,  79.0f,                              // a
                             -7.5f, -7.5f,  -6.0f, -6.5f, 0.0f, 0.5f,  -7.0f, -8.0f,   // s (some clamped)
                             0.0f,  0.1f,   -0.2f, 0.3f,  1.0f, -1.0f, 0.05f, 0.05f};  // m
  expect_float_gradient_matches_reference(z, {1e3f, -1e3f}, K, T, "extreme logits, tiny sigmas");
  expect_float_gradient_matches_reference(z, {0.01f, 0.02f}, K, T, "extreme logits, near targets");
}

TEST(MixtureMathResponsibilities, TypicalInputsMatchTheReference) {
  std::mt19937_64 rng(12);
  for (int rep = 0; rep < 30; ++rep) {
    const int K = 1 + rep % 8, T = 1 + rep % 3;
    const auto zd = random_head(rng, K, T, 2.0);
    const std::vector<float> z(zd.begin(), zd.end());
    std::vector<float> t(T);
    for (auto& v : t) v = float(std::uniform_real_distribution<double>(-3, 3)(rng));
    expect_float_gradient_matches_reference(z, t, K, T, "typical");
  }
}

}  // namespace
