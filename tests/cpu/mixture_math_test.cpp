// The shared per-sample math (detail/mixture_math.hpp) against independent
// references: a direct sum of densities, the Gaussian closed form, and
// central finite differences.
#include <gtest/gtest.h>

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

}  // namespace
