// The full-covariance loss and gradient (detail/full_cov_math.hpp) against
// independent references: the Gaussian density from a dense covariance
// (full_cov_reference.hpp), the diagonal model's own formula, central finite
// differences in double, and 2-D / 3-D quadrature of the density.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>
#include <vector>

#include "full_cov_reference.hpp"
#include "mdn/detail/full_cov_math.hpp"
#include "mdn/detail/mixture_math.hpp"
#include "mdn/spec.hpp"
#include "numeric_integration.hpp"

namespace {

using mdn::detail::full_component_log_density;
using mdn::detail::full_mixture_nll;
using mdn::detail::full_mixture_nll_and_grad;
using mdn::test::random_full_head;

constexpr double kLo = -9.2103404, kHi = 6.907755;

static_assert(mdn::detail::kMaxFullCovTargets == mdn::kMaxTargetDim, "full covariance covers every T the model allows");

std::vector<double> random_target(std::mt19937_64& rng, int T, double spread) {
  std::uniform_real_distribution<double> u(-spread, spread);
  std::vector<double> t(T);
  for (auto& v : t) v = u(rng);
  return t;
}

TEST(FullCovMath, LayoutHasTheIssuesWidthAndEveryPairOnce) {
  for (int T = 1; T <= mdn::kMaxTargetDim; ++T) {
    for (int K : {1, 4}) EXPECT_EQ(mdn::detail::full_cov_head_width(K, T), K * (1 + T + T * (T + 1) / 2));
    std::set<int> seen;
    for (int j = 0; j < T; ++j)
      for (int i = 0; i < j; ++i) seen.insert(mdn::detail::full_cov_pair_index(j, i));
    EXPECT_EQ(int(seen.size()), mdn::detail::full_cov_pairs(T));
    if (!seen.empty()) {
      EXPECT_EQ(*seen.begin(), 0);
      EXPECT_EQ(*seen.rbegin(), mdn::detail::full_cov_pairs(T) - 1);
    }
  }
}

TEST(FullCovMath, LogDensityMatchesDenseCovarianceReference) {
  std::mt19937_64 rng(11);
  for (int T : {2, 3, 5, 8}) {
    for (int K : {1, 3, 6}) {
      for (int rep = 0; rep < 5; ++rep) {
        const auto z = random_full_head(rng, K, T);
        const auto t = random_target(rng, T, 2.5);
        for (int k = 0; k < K; ++k) {
          const double ref = mdn::test::gaussian_log_pdf(mdn::test::reference_mean(z, K, T, k),
                                                         mdn::test::reference_covariance(z, K, T, k), t.data());
          EXPECT_NEAR(full_component_log_density(z.data(), t.data(), k, K, T, kLo, kHi), ref, 1e-9 * (1 + std::fabs(ref)))
              << "T=" << T << " K=" << K << " k=" << k;
        }
        const double ref_nll = -std::log(mdn::test::reference_mixture_pdf(z, K, T, t.data()));
        EXPECT_NEAR(full_mixture_nll(z.data(), t.data(), K, T, kLo, kHi), ref_nll, 1e-9 * (1 + std::fabs(ref_nll)));
        std::vector<double> grad(z.size());
        EXPECT_NEAR(full_mixture_nll_and_grad(z.data(), t.data(), K, T, kLo, kHi, 1.0, grad.data()), ref_nll,
                    1e-9 * (1 + std::fabs(ref_nll)));
        // The float instantiation (the kernels' type) agrees to float rounding.
        std::vector<float> zf(z.begin(), z.end()), tf(t.begin(), t.end()), gf(z.size());
        const float lf = full_mixture_nll_and_grad(zf.data(), tf.data(), K, T, float(kLo), float(kHi), 1.0f, gf.data());
        EXPECT_NEAR(lf, ref_nll, 1e-4 * (1 + std::fabs(ref_nll)));
        EXPECT_NEAR(full_mixture_nll(zf.data(), tf.data(), K, T, float(kLo), float(kHi)), ref_nll,
                    1e-4 * (1 + std::fabs(ref_nll)));
      }
    }
  }
}

// With every off-diagonal 0 the full model is the diagonal one: the same
// log-densities, loss, and logit / log-sigma / mean gradients.
TEST(FullCovMath, ZeroOffDiagonalsGiveTheDiagonalModel) {
  std::mt19937_64 rng(12);
  for (int T : {1, 2, 3, 5, 8}) {
    for (int K : {1, 2, 5}) {
      auto z = random_full_head(rng, K, T);
      std::fill(z.begin() + 2 * K * T + K, z.end(), 0.0);
      const std::vector<double> diag(z.begin(), z.begin() + K * (1 + 2 * T));
      const auto t = random_target(rng, T, 3.0);
      for (int k = 0; k < K; ++k) {
        const double d = mdn::detail::component_log_density(diag.data(), t.data(), k, K, T, kLo, kHi);
        EXPECT_NEAR(full_component_log_density(z.data(), t.data(), k, K, T, kLo, kHi), d, 1e-13 * (1 + std::fabs(d)));
      }
      std::vector<double> g_full(z.size()), g_diag(diag.size());
      const double l_full = full_mixture_nll_and_grad(z.data(), t.data(), K, T, kLo, kHi, 1.0, g_full.data());
      const double l_diag = mdn::detail::mixture_nll_and_grad(diag.data(), t.data(), K, T, kLo, kHi, 1.0, g_diag.data());
      EXPECT_NEAR(l_full, l_diag, 1e-13 * (1 + std::fabs(l_diag)));
      for (std::size_t i = 0; i < diag.size(); ++i)
        EXPECT_NEAR(g_full[i], g_diag[i], 1e-13 * (1 + std::fabs(g_diag[i]))) << "entry " << i << " T=" << T;
    }
  }
}

void expect_gradient_matches_fd(const std::vector<double>& z0, const std::vector<double>& t, int K, int T) {
  std::vector<double> z = z0, grad(z.size());
  full_mixture_nll_and_grad(z.data(), t.data(), K, T, kLo, kHi, 1.0, grad.data());
  for (std::size_t i = 0; i < z.size(); ++i) {
    const double h = 1e-6;
    z[i] = z0[i] + h;
    const double up = full_mixture_nll(z.data(), t.data(), K, T, kLo, kHi);
    z[i] = z0[i] - h;
    const double down = full_mixture_nll(z.data(), t.data(), K, T, kLo, kHi);
    z[i] = z0[i];
    const double fd = (up - down) / (2 * h);
    EXPECT_NEAR(grad[i], fd, 2e-6 * (1 + std::fabs(fd))) << "entry " << i << " K=" << K << " T=" << T;
  }
}

TEST(FullCovMath, GradientMatchesCentralFiniteDifferences) {
  std::mt19937_64 rng(13);
  for (int T : {2, 3, 5}) {
    for (int K : {1, 2, 4, 7}) {
      for (int rep = 0; rep < 4; ++rep) {
        const auto z = random_full_head(rng, K, T, -0.8, 0.8, 1.5);
        expect_gradient_matches_fd(z, random_target(rng, T, 2.5), K, T);
      }
    }
  }
}

TEST(FullCovMath, GradScaleMultipliesEveryEntry) {
  std::mt19937_64 rng(14);
  const int K = 3, T = 3;
  const auto z = random_full_head(rng, K, T);
  const auto t = random_target(rng, T, 1.0);
  std::vector<double> g1(z.size()), g4(z.size());
  full_mixture_nll_and_grad(z.data(), t.data(), K, T, kLo, kHi, 1.0, g1.data());
  full_mixture_nll_and_grad(z.data(), t.data(), K, T, kLo, kHi, 0.25, g4.data());
  for (std::size_t i = 0; i < z.size(); ++i) EXPECT_DOUBLE_EQ(g4[i], 0.25 * g1[i]) << i;
}

TEST(FullCovMath, ClampedLogSigmaHasZeroGradientAndTheBoundIsUsed) {
  // Component 0's s_1 far below the floor, component 1's s_0 far above the
  // ceiling: zero gradient there, and the loss equals the loss at the bounds.
  std::mt19937_64 rng(15);
  const int K = 2, T = 2;
  auto z = random_full_head(rng, K, T);
  const double lo = -2.0, hi = 2.0;
  z[K + 0 * T + 1] = -30.0;
  z[K + 1 * T + 0] = 30.0;
  const std::vector<double> t{0.1, -0.3};
  std::vector<double> grad(z.size());
  const double loss = full_mixture_nll_and_grad(z.data(), t.data(), K, T, lo, hi, 1.0, grad.data());
  EXPECT_EQ(grad[K + 1], 0.0);
  EXPECT_EQ(grad[K + 2], 0.0);
  EXPECT_NE(grad[K + 0], 0.0);
  EXPECT_NE(grad[K + 3], 0.0);
  auto at_bounds = z;
  at_bounds[K + 1] = lo;
  at_bounds[K + 2] = hi;
  EXPECT_NEAR(loss, full_mixture_nll(at_bounds.data(), t.data(), K, T, lo, hi), 1e-12);
  for (double g : grad) EXPECT_TRUE(std::isfinite(g));
}

// p integrates to 1 over the plane (Simpson on a grid wide enough for every
// component), with strongly correlated components.
TEST(FullCovMath, DensityIntegratesToOneIn2D) {
  std::mt19937_64 rng(16);
  const int K = 3, T = 2;
  for (int rep = 0; rep < 3; ++rep) {
    const auto z = random_full_head(rng, K, T, -0.5, 0.3, 2.5);
    double lo0 = 1e300, hi0 = -1e300, lo1 = 1e300, hi1 = -1e300;
    for (int k = 0; k < K; ++k) {
      const auto S = mdn::test::reference_covariance(z, K, T, k);
      const auto m = mdn::test::reference_mean(z, K, T, k);
      lo0 = std::min(lo0, m[0] - 10 * std::sqrt(S[0]));
      hi0 = std::max(hi0, m[0] + 10 * std::sqrt(S[0]));
      lo1 = std::min(lo1, m[1] - 10 * std::sqrt(S[3]));
      hi1 = std::max(hi1, m[1] + 10 * std::sqrt(S[3]));
    }
    const double integral = mdn::test::simpson(
        [&](double y0) {
          return mdn::test::simpson(
              [&](double y1) {
                const double y[2] = {y0, y1};
                return std::exp(-full_mixture_nll(z.data(), y, K, T, kLo, kHi));
              },
              lo1, hi1, 800);
        },
        lo0, hi0, 800);
    EXPECT_NEAR(integral, 1.0, 1e-6) << "rep " << rep;
  }
}

TEST(FullCovMath, DensityIntegratesToOneIn3D) {
  std::mt19937_64 rng(17);
  const int K = 2, T = 3;
  const auto z = random_full_head(rng, K, T, -0.3, 0.3, 1.0);
  double lo = 1e300, hi = -1e300;
  for (int k = 0; k < K; ++k) {
    const auto S = mdn::test::reference_covariance(z, K, T, k);
    const auto m = mdn::test::reference_mean(z, K, T, k);
    for (int d = 0; d < T; ++d) {
      lo = std::min(lo, m[d] - 9 * std::sqrt(S[d * T + d]));
      hi = std::max(hi, m[d] + 9 * std::sqrt(S[d * T + d]));
    }
  }
  const int n = 120;
  const double integral = mdn::test::simpson(
      [&](double y0) {
        return mdn::test::simpson(
            [&](double y1) {
              return mdn::test::simpson(
                  [&](double y2) {
                    const double y[3] = {y0, y1, y2};
                    return std::exp(-full_mixture_nll(z.data(), y, K, T, kLo, kHi));
                  },
                  lo, hi, n);
            },
            lo, hi, n);
      },
      lo, hi, n);
  EXPECT_NEAR(integral, 1.0, 1e-4);
}

// Float, as the kernels run it: a target ~1e4 sigmas away and logits +-60.
// The loss stays finite and matches the double evaluation of the same float
// inputs; the gradient is finite and its logit part sums to 0.
TEST(FullCovMath, FloatStaysFiniteForFarTargetsAndExtremeLogits) {
  std::mt19937_64 rng(18);
  const int K = 3, T = 3;
  auto zd = random_full_head(rng, K, T, -6.0, -4.0, 2.0);
  zd[0] = 60.0;
  zd[1] = -60.0;
  const std::vector<double> td{40.0, -35.0, 20.0};
  std::vector<float> z(zd.begin(), zd.end()), t(td.begin(), td.end()), grad(z.size());
  const std::vector<double> z_back(z.begin(), z.end()), t_back(t.begin(), t.end());
  const double ref = full_mixture_nll(z_back.data(), t_back.data(), K, T, double(float(kLo)), double(float(kHi)));
  ASSERT_GT(ref, 1e6);
  const float loss = full_mixture_nll_and_grad(z.data(), t.data(), K, T, float(kLo), float(kHi), 1.0f, grad.data());
  EXPECT_TRUE(std::isfinite(loss));
  EXPECT_NEAR(loss, ref, 1e-5 * ref);
  for (float g : grad) EXPECT_TRUE(std::isfinite(g));
  EXPECT_NEAR(grad[0] + grad[1] + grad[2], 0.0f, 1e-5f);
}

}  // namespace
