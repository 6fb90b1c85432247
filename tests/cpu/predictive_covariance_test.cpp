// The predictive covariance and correlation of several targets
// (predictive_covariance / predictive_correlation): a two-component case by
// hand, Monte-Carlo moments of the library's own sampler (full covariance,
// diagonal, and through a log transform), the std column's variance on the
// diagonal, and targets far from 0.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "mixture_builders.hpp"
#include "mdn/error.hpp"
#include "mdn/predictive.hpp"
#include "mdn/sampling.hpp"

namespace {

using mdn::MixtureBatch;

TEST(PredictiveCovariance, TwoComponentsByHand) {
  // alpha = (0.3, 0.7), mu_1 = (0, 1), mu_2 = (2, -1),
  // A_1 = [[1, 0], [0.5, 0.5]]   -> Sigma_1 = [[1, 0.5], [0.5, 0.5]]
  // A_2 = [[0.5, 0], [-0.3, 0.4]] -> Sigma_2 = [[0.25, -0.15], [-0.15, 0.25]]
  // m = (1.4, -0.4); mu_1 - m = (-1.4, 1.4), mu_2 - m = (0.6, -0.6):
  // Cov_11 = 0.3 (1 + 1.96) + 0.7 (0.25 + 0.36)        = 1.315
  // Cov_22 = 0.3 (0.5 + 1.96) + 0.7 (0.25 + 0.36)      = 1.165
  // Cov_12 = 0.3 (0.5 - 1.96) + 0.7 (-0.15 - 0.36)     = -0.795
  MixtureBatch m = mdn::testing::one_row({0.3, 0.7}, {0, 1, 2, -1}, {1, std::sqrt(0.5), 0.5, 0.5}, 2);
  m.chol = {1, 0.5, 0.5, 0.5, -0.3, 0.4};
  const std::vector<double> cov = mdn::predictive_covariance(m), corr = mdn::predictive_correlation(m);
  ASSERT_EQ(cov.size(), 4u);
  EXPECT_NEAR(cov[0], 1.315, 1e-12);
  EXPECT_NEAR(cov[3], 1.165, 1e-12);
  EXPECT_NEAR(cov[1], -0.795, 1e-12);
  EXPECT_EQ(cov[1], cov[2]);
  EXPECT_NEAR(corr[1], -0.795 / std::sqrt(1.315 * 1.165), 1e-12);
  EXPECT_EQ(corr[0], 1.0);
  EXPECT_EQ(corr[3], 1.0);
  // The same means with diagonal components: only the spread of the means correlates.
  MixtureBatch d = m;
  d.chol.clear();
  d.sigma = {1, 1, 0.5, 0.5};
  EXPECT_NEAR(mdn::predictive_covariance(d)[1], 0.3 * -1.96 + 0.7 * -0.36, 1e-12);
}

// Sample covariance of S draws per row against the library's, within six
// standard errors (sqrt(2 var_i var_j / S), generous for mixtures' tails).
void expect_draws_agree(const MixtureBatch& mix, int S) {
  const int T = mix.T;
  mdn::SampleOptions o;
  o.seed = 17;
  const std::vector<double> draws = mdn::sample_mixtures(mix, S, o, 0);
  const std::vector<double> cov = mdn::predictive_covariance(mix), corr = mdn::predictive_correlation(mix);
  double strongest = 0.0;
  for (int r = 0; r < mix.rows; ++r) {
    std::vector<double> m(T, 0.0), c(std::size_t(T) * T, 0.0);
    const double* x = draws.data() + std::size_t(r) * S * T;
    for (int s = 0; s < S; ++s)
      for (int i = 0; i < T; ++i) m[i] += x[std::size_t(s) * T + i] / S;
    for (int s = 0; s < S; ++s)
      for (int i = 0; i < T; ++i)
        for (int j = 0; j < T; ++j)
          c[i * T + j] += (x[std::size_t(s) * T + i] - m[i]) * (x[std::size_t(s) * T + j] - m[j]) / (S - 1);
    const double* want = cov.data() + std::size_t(r) * T * T;
    for (int i = 0; i < T; ++i)
      for (int j = 0; j < T; ++j) {
        const double se = std::sqrt(2.0 * want[i * T + i] * want[j * T + j] / S);
        EXPECT_NEAR(c[i * T + j], want[i * T + j], 6.0 * se) << "row " << r << " (" << i << "," << j << ")";
        const double rho = c[i * T + j] / std::sqrt(c[i * T + i] * c[j * T + j]);
        EXPECT_NEAR(corr[(std::size_t(r) * T + i) * T + j], rho, 0.02) << "row " << r << " (" << i << "," << j << ")";
        if (i != j) strongest = std::max(strongest, std::fabs(rho));
      }
  }
  EXPECT_GT(strongest, 0.3) << "the test needs correlated targets";
}

TEST(PredictiveCovariance, FullMatchesDraws) {
  std::mt19937_64 rng(21);
  const MixtureBatch m = mdn::testing::random_full_mixtures(rng, 4, 3, 3, 2.0, 0.3, 1.0, 1.5);
  expect_draws_agree(m, 200000);
}

TEST(PredictiveCovariance, DiagonalMatchesDraws) {
  // Diagonal components correlate the targets only through their means.
  std::mt19937_64 rng(22);
  expect_draws_agree(mdn::testing::random_mixtures(rng, 4, 4, 3, 3.0, 0.2, 0.8), 200000);
}

TEST(PredictiveCovariance, LogTransformedTargetMatchesDraws) {
  // y_1 = exp(u_1): the components' means of y_1 are lognormal means, and
  // the covariance with y_0 comes from how they move with u_0's means.
  MixtureBatch m = mdn::testing::one_row({0.5, 0.3, 0.2}, {-1.0, -0.5, 0.0, 0.0, 1.5, 0.7},
                                         {0.4, 0.3, 0.5, 0.2, 0.6, 0.25}, 2);
  m.transforms.resize(2);
  m.transforms[1].kind = mdn::TargetTransformKind::Log;
  expect_draws_agree(m, 400000);
  // And the diagonal is exactly the std column's variance.
  const std::vector<double> cov = mdn::predictive_covariance(m);
  const mdn::PredictiveMoments mo = mdn::predictive_moments(m);
  EXPECT_EQ(cov[0], mo.stddev[0] * mo.stddev[0]);
  EXPECT_EQ(cov[3], mo.stddev[1] * mo.stddev[1]);
}

TEST(PredictiveCovariance, DiagonalIsTheStdSquaredAndCorrelationsAreValid) {
  std::mt19937_64 rng(23);
  const MixtureBatch m = mdn::testing::random_mixtures(rng, 50, 5, 4, 3.0, 0.1, 2.0);
  const std::vector<double> cov = mdn::predictive_covariance(m), corr = mdn::predictive_correlation(m);
  const mdn::PredictiveMoments mo = mdn::predictive_moments(m);
  for (int r = 0; r < m.rows; ++r)
    for (int i = 0; i < 4; ++i) {
      const double s = mo.stddev[std::size_t(r) * 4 + i];
      EXPECT_EQ(cov[(std::size_t(r) * 4 + i) * 4 + i], s * s);
      for (int j = 0; j < 4; ++j) {
        const double rho = corr[(std::size_t(r) * 4 + i) * 4 + j];
        EXPECT_EQ(rho, corr[(std::size_t(r) * 4 + j) * 4 + i]);
        EXPECT_LE(std::fabs(rho), 1.0);
        if (i == j) {
          EXPECT_EQ(rho, 1.0);
        }
      }
    }
}

TEST(PredictiveCovariance, FarFromZeroKeepsItsDigits) {
  // One component at (1e9, -1e9) with spreads 0.05, 0.02 and correlation
  // 0.8, and a second shifted by (0.125, 0.125) (exact in double): the
  // centred sums keep every digit that the textbook
  // sum alpha (S + mu mu^T) - m m^T would cancel. By the law of total
  // covariance: within = a00 a10 = 0.0008 (a00^2 = 0.0025 for Cov_00),
  // between = 0.5 * 0.5 * 0.125^2 = 0.00390625.
  const double a00 = 0.05, a10 = 0.8 * 0.02, a11 = 0.02 * 0.6;
  MixtureBatch m =
      mdn::testing::one_row({0.5, 0.5}, {1e9, -1e9, 1e9 + 0.125, -1e9 + 0.125}, {0.05, 0.02, 0.05, 0.02}, 2);
  m.chol = {a00, a10, a11, a00, a10, a11};
  const std::vector<double> cov = mdn::predictive_covariance(m);
  EXPECT_NEAR(cov[1], 0.0008 + 0.00390625, 1e-12);
  EXPECT_NEAR(cov[0], 0.0025 + 0.00390625, 1e-12);
  EXPECT_NEAR(mdn::predictive_correlation(m)[1], (0.0008 + 0.00390625) / std::sqrt(cov[0] * cov[3]), 1e-12);
}

TEST(PredictiveCovariance, OneTargetAndRecalibratedMixtures) {
  const MixtureBatch one = mdn::testing::one_row({0.5, 0.5}, {0, 3}, {1, 1});
  EXPECT_EQ(mdn::predictive_correlation(one), std::vector<double>{1.0});
  EXPECT_NEAR(mdn::predictive_covariance(one)[0], 1.0 + 2.25, 1e-12);
  // PIT maps are fitted for one target only: a batch with two is an error.
  MixtureBatch mapped = mdn::testing::one_row({0.5, 0.5}, {0, 0, 1, 1}, {1, 1, 1, 1}, 2);
  mapped.pit_maps.resize(2);
  EXPECT_THROW(mdn::predictive_covariance(mapped), mdn::Error);
}

}  // namespace
