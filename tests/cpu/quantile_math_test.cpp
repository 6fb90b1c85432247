// The shared __host__ __device__ quantile code (mdn/detail/quantile_math.hpp,
// mdn/detail/root_finding.hpp) called directly, as the CUDA kernel calls it:
// the solver on simple functions, the bracket seed, and the per-(row,
// dimension, level) routine against the exact answer and against the CPU
// batch function built on it (which must give the same bits).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "mixture_builders.hpp"
#include "mdn/detail/marginal_math.hpp"
#include "mdn/detail/quantile_math.hpp"
#include "mdn/detail/root_finding.hpp"
#include "mdn/error.hpp"
#include "mdn/predictive.hpp"

namespace mdn {
namespace {

using testing::one_row;
using testing::random_mixtures;
using testing::reference_inverse_normal;

// A device-style functor (no lambda), as the kernel passes.
struct CubeMinusTwo {
  void operator()(double x, double& f, double& df) const {
    f = x * x * x - 2.0;
    df = 3.0 * x * x;
  }
};

TEST(QuantileMathSolver, FindsRootOfMonotoneFunction) {
  const double x = detail::safeguarded_newton(CubeMinusTwo{}, 0.0, 4.0, 1e-15);
  EXPECT_NEAR(x, std::cbrt(2.0), 1e-14);
}

TEST(QuantileMathSolver, ZeroDerivativeFallsBackToBisection) {
  // f' = 0 everywhere: every step must be a bisection, still converging.
  const auto step_fn = [](double x, double& f, double& df) {
    f = x < 0.3 ? -1.0 : 1.0;
    df = 0.0;
  };
  const double x = detail::safeguarded_newton(step_fn, 0.0, 1.0, 1e-15);
  EXPECT_NEAR(x, 0.3, 1e-12);
}

TEST(QuantileMathSolver, ConstantsMatchNumericLimits) {
  EXPECT_EQ(detail::kDoubleEpsilon, std::numeric_limits<double>::epsilon());
  EXPECT_EQ(detail::kDoubleMax, std::numeric_limits<double>::max());
  EXPECT_EQ(detail::kInfinity, std::numeric_limits<double>::infinity());
  EXPECT_TRUE(detail::is_finite_value(1e308));
  EXPECT_FALSE(detail::is_finite_value(detail::kInfinity));
  EXPECT_FALSE(detail::is_finite_value(-detail::kInfinity));
  EXPECT_FALSE(detail::is_finite_value(std::nan("")));
}

TEST(QuantileMathSeed, ApproximateInverseNormalWithinItsBound) {
  for (double p : {1e-12, 1e-6, 0.001, 0.02, 0.1, 0.3, 0.5, 0.7, 0.975, 0.999999})
    EXPECT_NEAR(detail::approx_inverse_normal(p), reference_inverse_normal(p), 4.5e-4) << p;
}

TEST(QuantileMath, SingleGaussianIsExact) {
  const float alpha[] = {1.0f}, mu[] = {2.5f}, sigma[] = {0.7f};
  for (double p : {1e-9, 0.05, 0.5, 0.95, 1.0 - 1e-9}) {
    double q = 0.0;
    ASSERT_EQ(detail::mixture_quantile(alpha, mu, sigma, 1, 1, 0, p, -detail::kInfinity, q),
              detail::QuantileStatus::Ok);
    EXPECT_NEAR(q, 2.5 + 0.7f * reference_inverse_normal(p), 1e-8) << p;
  }
}

TEST(QuantileMath, NoPositiveWeightIsReported) {
  const float alpha[] = {0.0f, 0.0f}, mu[] = {0.0f, 1.0f}, sigma[] = {1.0f, 1.0f};
  double q = 42.0;
  EXPECT_EQ(detail::mixture_quantile(alpha, mu, sigma, 2, 1, 0, 0.5, -detail::kInfinity, q),
            detail::QuantileStatus::NoPositiveWeight);
  EXPECT_EQ(q, 42.0);
  EXPECT_THROW(marginal_quantile(one_row({0.0f, 0.0f}, {0.0f, 1.0f}, {1.0f, 1.0f}), 0, 0, 0.5), Error);
}

TEST(QuantileMath, LowerBoundAlreadyPastLevelIsReturned) {
  const float alpha[] = {1.0f}, mu[] = {0.0f}, sigma[] = {1.0f};
  double q = 0.0;
  ASSERT_EQ(detail::mixture_quantile(alpha, mu, sigma, 1, 1, 0, 0.5, 3.0, q), detail::QuantileStatus::Ok);
  EXPECT_EQ(q, 3.0);
}

// Far-apart components and multi-dimensional rows: F(q) = p to the solver's
// tolerance, and the CPU batch function returns the same bits as the direct
// call (one implementation).
TEST(QuantileMath, RandomMixturesMatchLevelAndCpuBatch) {
  std::mt19937_64 rng(20240611);
  const std::vector<double> levels{0.9, 1e-6, 0.05, 0.5, 0.999};
  for (const double spread : {3.0, 2000.0}) {
    const MixtureBatch mix = random_mixtures(rng, 200, 5, 3, spread, 0.01, 10.0);
    const std::vector<double> batch = predictive_quantiles(mix, levels);
    const std::vector<int> order{1, 2, 3, 0, 4};  // levels ascending
    for (int r = 0; r < mix.rows; ++r) {
      const double* a = mix.alpha.data() + r * mix.K;
      const double* m = mix.mu.data() + r * mix.K * mix.T;
      const double* s = mix.sigma.data() + r * mix.K * mix.T;
      double total = 0.0;
      for (int k = 0; k < mix.K; ++k) total += a[k];
      for (int d = 0; d < mix.T; ++d) {
        double previous = -detail::kInfinity;
        for (int j : order) {
          double q = 0.0;
          ASSERT_EQ(detail::mixture_quantile(a, m, s, mix.K, mix.T, d, levels[j], previous, q),
                    detail::QuantileStatus::Ok);
          EXPECT_GE(q, previous);
          previous = q;
          const double F = detail::marginal_cdf(a, m, s, mix.K, mix.T, d, q) / total;
          EXPECT_NEAR(F, levels[j], 1e-9) << "row " << r << " d " << d << " level " << levels[j];
          EXPECT_EQ(q, batch[(std::size_t(r) * mix.T + d) * levels.size() + j]);
        }
      }
    }
  }
}

}  // namespace
}  // namespace mdn
