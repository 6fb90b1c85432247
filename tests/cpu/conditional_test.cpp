// Conditionals of predictive mixtures (mdn/conditional.hpp, issue 30):
// p(y_U | y_O) from condition_mixtures against the joint density divided by
// the observed targets' marginal density, both summed directly from dense
// covariances (full_cov_reference.hpp: explicit inverse and determinant), and
// against numeric integration of the joint over the unobserved target.
#include "mdn/conditional.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "full_cov_reference.hpp"
#include "mdn/error.hpp"
#include "mdn/metrics.hpp"
#include "mdn/predictive.hpp"
#include "mixture_builders.hpp"
#include "numeric_integration.hpp"

namespace {

using mdn::test::Dense;

// A batch of `rows` random full-covariance components: A lower triangular
// with a positive diagonal, stored as MixtureBatch::chol, sigma its row norms.
mdn::MixtureBatch random_full_batch(std::mt19937_64& rng, int rows, int K, int T) {
  mdn::MixtureBatch m = mdn::testing::random_mixtures(rng, rows, K, T, 2.0, 0.5, 1.5);
  std::uniform_real_distribution<double> u(-0.8, 0.8);
  m.chol.resize(std::size_t(rows) * K * m.chol_size());
  for (int r = 0; r < rows; ++r)
    for (int k = 0; k < K; ++k) {
      double* A = m.chol.data() + (std::size_t(r) * K + k) * m.chol_size();
      for (int i = 0; i < T; ++i) {
        double norm2 = 0.0;
        for (int j = 0; j <= i; ++j) {
          A[i * (i + 1) / 2 + j] = j == i ? m.sigma[(std::size_t(r) * K + k) * T + i] : u(rng);
          norm2 += A[i * (i + 1) / 2 + j] * A[i * (i + 1) / 2 + j];
        }
        m.sigma[(std::size_t(r) * K + k) * T + i] = std::sqrt(norm2);
      }
    }
  return m;
}

// Component k's covariance (full: A A^T; diagonal: sigma^2) as a dense matrix.
Dense covariance(const mdn::MixtureBatch& m, int r, int k) {
  const int T = m.T;
  Dense S(std::size_t(T) * T, 0.0);
  for (int i = 0; i < T; ++i)
    for (int j = 0; j < T; ++j) {
      if (!m.full_covariance()) {
        S[i * T + j] = i == j ? m.stddev(r, k, i) * m.stddev(r, k, i) : 0.0;
        continue;
      }
      const double* A = m.factor(r, k);
      for (int l = 0; l <= std::min(i, j); ++l) S[i * T + j] += A[i * (i + 1) / 2 + l] * A[j * (j + 1) / 2 + l];
    }
  return S;
}

// The mixture density of the targets in `dims` at y (values for those dims).
double reference_pdf(const mdn::MixtureBatch& m, int r, const std::vector<int>& dims, const double* y) {
  double total = 0.0, p = 0.0;
  const int n = int(dims.size());
  for (int k = 0; k < m.K; ++k) total += m.weight(r, k);
  for (int k = 0; k < m.K; ++k) {
    const Dense S = covariance(m, r, k);
    Dense B(std::size_t(n) * n);
    std::vector<double> mean(n);
    for (int a = 0; a < n; ++a) {
      mean[a] = m.mean(r, k, dims[a]);
      for (int b = 0; b < n; ++b) B[a * n + b] = S[dims[a] * m.T + dims[b]];
    }
    p += m.weight(r, k) / total * std::exp(mdn::test::gaussian_log_pdf(mean, B, y));
  }
  return p;
}

// The conditional batch's density at the unobserved values yu, against
// p(y) / p(y_O) for T = 3 conditioned on target `o`.
void expect_conditional_density(const mdn::MixtureBatch& mix, int o) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(-1.5, 1.5);
  mdn::TargetObservations given;
  given.observed = {o};
  given.values = mdn::MatrixD(mix.rows, 1);
  for (int r = 0; r < mix.rows; ++r) given.values(r, 0) = mix.mean(r, 0, o) + u(rng);
  const mdn::MixtureBatch c = mdn::condition_mixtures(mix, given);
  ASSERT_EQ(c.T, 2);
  EXPECT_EQ(c.full_covariance(), mix.full_covariance());
  std::vector<int> rest;
  for (int d = 0; d < 3; ++d)
    if (d != o) rest.push_back(d);
  for (int r = 0; r < mix.rows; ++r)
    for (int trial = 0; trial < 4; ++trial) {
      const double yu[2] = {mix.mean(r, 1, rest[0]) + u(rng), mix.mean(r, 1, rest[1]) + u(rng)};
      double y[3];
      y[o] = given.values(r, 0);
      y[rest[0]] = yu[0];
      y[rest[1]] = yu[1];
      const double expected = reference_pdf(mix, r, {0, 1, 2}, y) / reference_pdf(mix, r, {o}, &y[o]);
      EXPECT_NEAR(std::exp(-mdn::mixture_nll(c, r, yu)), expected, 1e-9 * (1.0 + expected))
          << "row " << r << " observed " << o;
    }
}

TEST(Conditional, FullCovarianceMatchesJointOverMarginal) {
  std::mt19937_64 rng(3);
  const mdn::MixtureBatch mix = random_full_batch(rng, 5, 3, 3);
  for (int o = 0; o < 3; ++o) expect_conditional_density(mix, o);
}

TEST(Conditional, DiagonalMatchesJointOverMarginal) {
  std::mt19937_64 rng(4);
  const mdn::MixtureBatch mix = mdn::testing::random_mixtures(rng, 5, 4, 3, 2.0, 0.4, 1.2);
  for (int o = 0; o < 3; ++o) expect_conditional_density(mix, o);
}

// One target left: the batch is diagonal, its weights moved towards the
// components that explain the observation, and its mean is the integral
// of y p(y_1 | y_0) dy_1 by Simpson over the joint.
TEST(Conditional, OneTargetLeftHasTheIntegratedMean) {
  std::mt19937_64 rng(5);
  const mdn::MixtureBatch mix = random_full_batch(rng, 3, 3, 2);
  mdn::TargetObservations given;
  given.observed = {0};
  given.values = mdn::MatrixD(1, 1);
  given.values(0, 0) = 0.7;  // one value for every row
  const mdn::MixtureBatch c = mdn::condition_mixtures(mix, given);
  ASSERT_EQ(c.T, 1);
  EXPECT_FALSE(c.full_covariance());
  const mdn::PredictiveMoments mo = mdn::predictive_moments(c);
  for (int r = 0; r < mix.rows; ++r) {
    const auto p = [&](double y1) {
      const double y[2] = {0.7, y1};
      return reference_pdf(mix, r, {0, 1}, y);
    };
    const double mass = mdn::test::simpson(p, -25.0, 25.0, 20000);
    const double first = mdn::test::simpson([&](double y1) { return y1 * p(y1); }, -25.0, 25.0, 20000);
    EXPECT_NEAR(mo.mean[std::size_t(r)], first / mass, 1e-8) << "row " << r;
  }
}

// Target transforms: the joint density in y carries each target's Jacobian;
// the conditional of y1 given y0 is the joint over the marginal of y0.
TEST(Conditional, TransformedTargetsConditionInOriginalUnits) {
  std::mt19937_64 rng(8);
  mdn::MixtureBatch mix = mdn::testing::random_mixtures(rng, 3, 3, 2, 1.0, 0.3, 0.8);
  mdn::TargetTransform log_g, yj;
  log_g.kind = mdn::TargetTransformKind::Log;
  yj.kind = mdn::TargetTransformKind::YeoJohnson;
  yj.lambda = 0.4;
  mix.transforms = {log_g, yj};
  const double y0 = 1.7;
  mdn::TargetObservations given;
  given.observed = {0};
  given.values = mdn::MatrixD(1, 1);
  given.values(0, 0) = y0;
  const mdn::MixtureBatch c = mdn::condition_mixtures(mix, given);
  ASSERT_EQ(c.transforms.size(), 1u);
  EXPECT_EQ(c.transforms[0].kind, mdn::TargetTransformKind::YeoJohnson);
  const auto normal = [](double v, double m, double s) {
    return std::exp(-0.5 * (v - m) * (v - m) / (s * s)) / (s * std::sqrt(2 * M_PI));
  };
  for (int r = 0; r < mix.rows; ++r)
    for (const double y1 : {-1.0, 0.3, 2.5}) {
      double joint = 0.0, marginal = 0.0, total = 0.0;
      for (int k = 0; k < mix.K; ++k) total += mix.weight(r, k);
      const double u0 = std::log(y0), j0 = 1.0 / y0;
      const double u1 = yj.forward(y1), j1 = std::exp(yj.log_derivative(y1));
      for (int k = 0; k < mix.K; ++k) {
        const double w = mix.weight(r, k) / total;
        const double p0 = normal(u0, mix.mean(r, k, 0), mix.stddev(r, k, 0)) * j0;
        joint += w * p0 * normal(u1, mix.mean(r, k, 1), mix.stddev(r, k, 1)) * j1;
        marginal += w * p0;
      }
      const double t[1] = {y1};
      EXPECT_NEAR(std::exp(-mdn::mixture_nll(c, r, t)), joint / marginal, 1e-10 * (1.0 + joint / marginal))
          << "row " << r << " y1 " << y1;
    }
  given.values(0, 0) = -1.0;  // outside log's domain
  EXPECT_THROW(mdn::condition_mixtures(mix, given), mdn::UsageError);
}

TEST(Conditional, BadObservationsAreUsageErrors) {
  std::mt19937_64 rng(6);
  const mdn::MixtureBatch mix = mdn::testing::random_mixtures(rng, 2, 2, 2, 1.0, 0.5, 1.0);
  mdn::TargetObservations given;
  given.values = mdn::MatrixD(1, 0);
  EXPECT_THROW(mdn::condition_mixtures(mix, given), mdn::UsageError);  // nothing observed
  given.observed = {0, 1};
  given.values = mdn::MatrixD(1, 2);
  try {
    mdn::condition_mixtures(mix, given);
    ADD_FAILURE() << "conditioning on every target must throw";
  } catch (const mdn::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("every target"), std::string::npos) << e.what();
  }
  given.observed = {1};
  given.values = mdn::MatrixD(3, 1);  // neither 1 nor 2 rows
  EXPECT_THROW(mdn::condition_mixtures(mix, given), mdn::UsageError);
  given.values = mdn::MatrixD(1, 1);
  given.values(0, 0) = std::nan("");
  EXPECT_THROW(mdn::condition_mixtures(mix, given), mdn::UsageError);
  EXPECT_EQ(mdn::unobserved_names({"a", "b", "c"}, {0, 2}), (std::vector<std::string>{"b"}));
}

}  // namespace
