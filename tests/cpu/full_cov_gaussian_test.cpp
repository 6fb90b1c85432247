// Covariance factor, draws, marginals and conditionals of full-covariance
// components (detail/full_cov_gaussian.hpp) against independent references:
// the dense inverse of the precision (full_cov_reference.hpp), the partitioned
// precision matrix, Monte-Carlo moments and brute-force numerical integration.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "full_cov_reference.hpp"
#include "mdn/detail/full_cov_gaussian.hpp"
#include "mdn/detail/marginal_math.hpp"
#include "numeric_integration.hpp"

namespace {

using mdn::detail::DenseGaussian;
using mdn::test::Dense;
using mdn::test::random_full_head;

constexpr double kLo = -9.2103404, kHi = 6.907755;

TEST(FullCovGaussian, CovarianceFactorIsTheCholeskyFactorOfTheInversePrecision) {
  std::mt19937_64 rng(21);
  for (int T : {2, 3, 5, 8}) {
    const int K = 2;
    const auto z = random_full_head(rng, K, T);
    for (int k = 0; k < K; ++k) {
      const DenseGaussian g = mdn::detail::full_component_gaussian(z.data(), k, K, T, kLo, kHi);
      const Dense ref = mdn::test::reference_covariance(z, K, T, k);
      std::vector<double> S(T * T);
      mdn::detail::dense_gaussian_covariance(g, S.data());
      for (int i = 0; i < T; ++i) {
        EXPECT_NEAR(g.a(i, i), std::exp(z[K + k * T + i]), 1e-12) << "diag A = sigma";
        for (int j = i + 1; j < T; ++j) EXPECT_EQ(g.a(i, j), 0.0) << "A is lower triangular";
        for (int j = 0; j < T; ++j)
          EXPECT_NEAR(S[i * T + j], ref[i * T + j], 1e-10 * (1 + std::fabs(ref[i * T + j])))
              << "T=" << T << " (" << i << "," << j << ")";
        EXPECT_NEAR(g.mean[i], z[K + K * T + k * T + i], 0.0);
      }
    }
  }
}

TEST(FullCovGaussian, DenseLogDensityEqualsTheHeadsLogDensity) {
  std::mt19937_64 rng(22);
  for (int T : {2, 4, 8}) {
    const int K = 3;
    const auto z = random_full_head(rng, K, T);
    std::uniform_real_distribution<double> u(-3, 3);
    for (int rep = 0; rep < 5; ++rep) {
      std::vector<double> y(T);
      for (auto& v : y) v = u(rng);
      for (int k = 0; k < K; ++k) {
        const DenseGaussian g = mdn::detail::full_component_gaussian(z.data(), k, K, T, kLo, kHi);
        const double head = mdn::detail::full_component_log_density(z.data(), y.data(), k, K, T, kLo, kHi);
        EXPECT_NEAR(mdn::detail::dense_gaussian_log_density(g, y.data()), head, 1e-10 * (1 + std::fabs(head)));
      }
    }
  }
}

// The marginal of each target is the 1-D Gaussian with variance
// ((L^T L)^-1)_dd, and the marginal of a subset has the subset's block.
TEST(FullCovGaussian, MarginalsMatchTheInverseOfThePrecision) {
  std::mt19937_64 rng(23);
  for (int T : {2, 3, 5, 8}) {
    const auto z = random_full_head(rng, 1, T);
    const DenseGaussian g = mdn::detail::full_component_gaussian(z.data(), 0, 1, T, kLo, kHi);
    const Dense ref = mdn::test::reference_covariance(z, 1, T, 0);
    for (int d = 0; d < T; ++d)
      EXPECT_NEAR(mdn::detail::dense_gaussian_marginal_sigma(g, d), std::sqrt(ref[d * T + d]), 1e-10);
    const int dims[2] = {T - 1, 0};
    DenseGaussian m;
    ASSERT_TRUE(mdn::detail::dense_gaussian_marginal(g, dims, 2, m));
    std::vector<double> S(4);
    mdn::detail::dense_gaussian_covariance(m, S.data());
    for (int i = 0; i < 2; ++i) {
      EXPECT_EQ(m.mean[i], g.mean[dims[i]]);
      for (int j = 0; j < 2; ++j)
        EXPECT_NEAR(S[i * 2 + j], ref[dims[i] * T + dims[j]], 1e-10 * (1 + std::fabs(ref[dims[i] * T + dims[j]])));
    }
  }
}

// In 2-D: integrating the joint mixture density over one target gives the
// 1-D mixture of the marginals that detail/marginal_math.hpp evaluates
// (weights alpha_k, means m_kd, sigmas from the covariance factor).
TEST(FullCovGaussian, MarginalMixtureIsTheIntegralOfTheJointDensity) {
  std::mt19937_64 rng(24);
  const int K = 3, T = 2;
  const auto z = random_full_head(rng, K, T, -0.5, 0.3, 2.0);
  double alpha[K];
  DenseGaussian comps[K];
  mdn::detail::full_mixture_gaussians(z.data(), K, T, kLo, kHi, alpha, comps);
  std::vector<double> mu(K * T), sigma(K * T);
  for (int k = 0; k < K; ++k)
    for (int d = 0; d < T; ++d) {
      mu[k * T + d] = comps[k].mean[d];
      sigma[k * T + d] = mdn::detail::dense_gaussian_marginal_sigma(comps[k], d);
    }
  for (int d = 0; d < T; ++d) {
    for (double y : {-2.0, -0.7, 0.0, 0.4, 1.3, 2.5}) {
      const double integral = mdn::test::simpson(
          [&](double other) {
            double pt[2];
            pt[d] = y;
            pt[1 - d] = other;
            return std::exp(-mdn::detail::full_mixture_nll(z.data(), pt, K, T, kLo, kHi));
          },
          -30.0, 30.0, 6000);
      EXPECT_NEAR(mdn::detail::marginal_pdf(alpha, mu.data(), sigma.data(), K, T, d, y), integral, 1e-8)
          << "d=" << d << " y=" << y;
    }
  }
}

TEST(FullCovGaussian, DrawFromTheHeadIsMeanPlusFactorTimesNormals) {
  std::mt19937_64 rng(25);
  std::normal_distribution<double> normal;
  for (int T : {2, 3, 5, 8}) {
    const int K = 2;
    const auto z = random_full_head(rng, K, T);
    for (int k = 0; k < K; ++k) {
      const DenseGaussian g = mdn::detail::full_component_gaussian(z.data(), k, K, T, kLo, kHi);
      std::vector<double> n(T), a(T), b(T);
      for (auto& v : n) v = normal(rng);
      mdn::detail::full_component_draw(z.data(), k, K, T, kLo, kHi, n.data(), a.data());
      mdn::detail::dense_gaussian_draw(g, n.data(), b.data());
      for (int d = 0; d < T; ++d) EXPECT_NEAR(a[d], b[d], 1e-12 * (1 + std::fabs(b[d]))) << "T=" << T;
    }
  }
}

// Draws (component from alpha, then full_component_draw) have the mixture's
// mean sum alpha m and covariance sum alpha (Sigma_k + (m_k - mean)(m_k -
// mean)^T), with Sigma_k the reference inverse of the precision: each entry
// within 5 Monte-Carlo standard errors.
TEST(FullCovGaussian, SampleMeanAndCovarianceMatchTheMixture) {
  std::mt19937_64 rng(26);
  const int K = 3, T = 3, N = 400000;
  const auto z = random_full_head(rng, K, T, -0.6, 0.4, 1.5);
  std::vector<double> w(K);
  for (int k = 0; k < K; ++k) w[k] = std::exp(z[k]);
  std::vector<double> mean(T, 0.0), cov(T * T, 0.0);
  double wsum = 0.0;
  for (double v : w) wsum += v;
  for (int k = 0; k < K; ++k)
    for (int d = 0; d < T; ++d) mean[d] += w[k] / wsum * z[K + K * T + k * T + d];
  for (int k = 0; k < K; ++k) {
    const Dense S = mdn::test::reference_covariance(z, K, T, k);
    for (int i = 0; i < T; ++i)
      for (int j = 0; j < T; ++j)
        cov[i * T + j] += w[k] / wsum *
                          (S[i * T + j] + (z[K + K * T + k * T + i] - mean[i]) * (z[K + K * T + k * T + j] - mean[j]));
  }
  std::discrete_distribution<int> pick(w.begin(), w.end());
  std::normal_distribution<double> normal;
  std::vector<double> draws(std::size_t(N) * T);
  for (int s = 0; s < N; ++s) {
    double n[T];
    for (auto& v : n) v = normal(rng);
    mdn::detail::full_component_draw(z.data(), pick(rng), K, T, kLo, kHi, n, draws.data() + std::size_t(s) * T);
  }
  std::vector<double> m(T, 0.0);
  for (int s = 0; s < N; ++s)
    for (int d = 0; d < T; ++d) m[d] += draws[std::size_t(s) * T + d] / N;
  for (int d = 0; d < T; ++d) EXPECT_NEAR(m[d], mean[d], 5 * std::sqrt(cov[d * T + d] / N)) << "mean " << d;
  for (int i = 0; i < T; ++i)
    for (int j = 0; j < T; ++j) {
      double c = 0.0, c2 = 0.0;
      for (int s = 0; s < N; ++s) {
        const double p = (draws[std::size_t(s) * T + i] - m[i]) * (draws[std::size_t(s) * T + j] - m[j]);
        c += p;
        c2 += p * p;
      }
      c /= N;
      const double se = std::sqrt((c2 / N - c * c) / N);
      EXPECT_NEAR(c, cov[i * T + j], 5 * se) << "cov " << i << "," << j;
    }
}

// One component's conditional against the precision-matrix route (written
// here): S_U|O = (Lambda_UU)^-1, mean_U|O = m_U - (Lambda_UU)^-1 Lambda_UO
// (y_O - m_O); and log N(y_O) against the dense reference density of S_OO.
TEST(FullCovGaussian, ComponentConditionalMatchesThePartitionedPrecision) {
  std::mt19937_64 rng(27);
  std::uniform_real_distribution<double> u(-2, 2);
  for (int T : {2, 3, 5, 8}) {
    for (int rep = 0; rep < 4; ++rep) {
      const auto z = random_full_head(rng, 1, T);
      std::vector<int> observed(T);
      int no = 0;
      for (int d = 0; d < T; ++d) no += observed[d] = (rng() % 2 == 0);
      if (no == T) observed[rng() % T] = 0, --no;
      std::vector<double> y(T);
      for (auto& v : y) v = u(rng);
      std::vector<int> O, U;
      for (int d = 0; d < T; ++d) (observed[d] ? O : U).push_back(d);
      const int nu = int(U.size());
      const Dense L = mdn::test::reference_precision_factor(z, 1, T, 0);
      const Dense lambda = mdn::test::multiply(L, L, T, true);
      Dense luu(nu * nu);
      for (int a = 0; a < nu; ++a)
        for (int b = 0; b < nu; ++b) luu[a * nu + b] = lambda[U[a] * T + U[b]];
      const Dense cond_cov = mdn::test::inverse(luu, nu);
      std::vector<double> cond_mean(nu);
      for (int a = 0; a < nu; ++a) {
        double v = z[1 + T + U[a]];
        for (int b = 0; b < nu; ++b)
          for (int o : O) v -= cond_cov[a * nu + b] * lambda[U[b] * T + o] * (y[o] - z[1 + T + o]);
        cond_mean[a] = v;
      }
      const DenseGaussian g = mdn::detail::full_component_gaussian(z.data(), 0, 1, T, kLo, kHi);
      DenseGaussian c;
      double log_obs = 0.0;
      ASSERT_TRUE(mdn::detail::dense_gaussian_condition(g, observed.data(), y.data(), c, log_obs));
      ASSERT_EQ(c.n, nu);
      std::vector<double> S(nu * nu);
      mdn::detail::dense_gaussian_covariance(c, S.data());
      for (int a = 0; a < nu; ++a) {
        EXPECT_NEAR(c.mean[a], cond_mean[a], 1e-9 * (1 + std::fabs(cond_mean[a]))) << "T=" << T;
        for (int b = 0; b < nu; ++b) EXPECT_NEAR(S[a * nu + b], cond_cov[a * nu + b], 1e-9) << "T=" << T;
      }
      const Dense full = mdn::test::reference_covariance(z, 1, T, 0);
      Dense soo(O.size() * O.size());
      std::vector<double> mo, yo;
      for (std::size_t a = 0; a < O.size(); ++a) {
        mo.push_back(z[1 + T + O[a]]);
        yo.push_back(y[O[a]]);
        for (std::size_t b = 0; b < O.size(); ++b) soo[a * O.size() + b] = full[O[a] * T + O[b]];
      }
      const double ref_log_obs = O.empty() ? 0.0 : mdn::test::gaussian_log_pdf(mo, soo, yo.data());
      EXPECT_NEAR(log_obs, ref_log_obs, 1e-9 * (1 + std::fabs(ref_log_obs)));
    }
  }
}

// The mixture's conditional p(y_u | y_o = v) in 2-D against brute force: the
// joint density along the line y_o = v, normalised by its Simpson integral;
// its pdf at several points, its mean and its variance.
TEST(FullCovGaussian, MixtureConditionalMatchesBruteForceIntegration) {
  std::mt19937_64 rng(28);
  const int K = 3, T = 2;
  for (int rep = 0; rep < 3; ++rep) {
    const auto z = random_full_head(rng, K, T, -0.5, 0.3, 2.5);
    double alpha[K];
    DenseGaussian comps[K], cond[K];
    mdn::detail::full_mixture_gaussians(z.data(), K, T, kLo, kHi, alpha, comps);
    for (int o = 0; o < T; ++o) {
      const int un = 1 - o;
      for (double v : {-1.5, 0.2, 1.1}) {
        int observed[2] = {0, 0};
        observed[o] = 1;
        double y[2] = {0.0, 0.0};
        y[o] = v;
        double beta[K];
        ASSERT_TRUE(mdn::detail::dense_mixture_condition(alpha, comps, K, observed, y, beta, cond));
        auto joint = [&](double x) {
          double pt[2];
          pt[o] = v;
          pt[un] = x;
          return std::exp(-mdn::detail::full_mixture_nll(z.data(), pt, K, T, kLo, kHi));
        };
        const double a = -40.0, b = 40.0;
        const int n = 8000;
        const double Z = mdn::test::simpson(joint, a, b, n);
        const double mean = mdn::test::simpson([&](double x) { return x * joint(x); }, a, b, n) / Z;
        const double var = mdn::test::simpson([&](double x) { return (x - mean) * (x - mean) * joint(x); }, a, b, n) / Z;
        double cm = 0.0, csum = 0.0;
        for (int k = 0; k < K; ++k) {
          csum += beta[k];
          cm += beta[k] * cond[k].mean[0];
        }
        EXPECT_NEAR(csum, 1.0, 1e-12);
        double cv = 0.0;
        for (int k = 0; k < K; ++k)
          cv += beta[k] * (cond[k].a(0, 0) * cond[k].a(0, 0) + (cond[k].mean[0] - cm) * (cond[k].mean[0] - cm));
        EXPECT_NEAR(cm, mean, 1e-8) << "observe " << o << " = " << v;
        EXPECT_NEAR(cv, var, 1e-8 * (1 + var));
        for (double x : {-2.0, -0.5, 0.0, 0.8, 2.2}) {
          double p = 0.0;
          for (int k = 0; k < K; ++k) {
            const double s = cond[k].a(0, 0), d = (x - cond[k].mean[0]) / s;
            p += beta[k] * std::exp(-0.5 * d * d) / (s * std::sqrt(2 * M_PI));
          }
          EXPECT_NEAR(p, joint(x) / Z, 1e-8 * (1 + p)) << "x=" << x;
        }
      }
    }
  }
}

TEST(FullCovGaussian, ConditioningOnNothingKeepsTheComponentAndOnEverythingIsRefused) {
  std::mt19937_64 rng(29);
  const int T = 4;
  const auto z = random_full_head(rng, 1, T);
  const DenseGaussian g = mdn::detail::full_component_gaussian(z.data(), 0, 1, T, kLo, kHi);
  const int none[T] = {0, 0, 0, 0}, all[T] = {1, 1, 1, 1};
  const double y[T] = {0.1, 0.2, 0.3, 0.4};
  DenseGaussian c;
  double log_obs = 1.0;
  ASSERT_TRUE(mdn::detail::dense_gaussian_condition(g, none, y, c, log_obs));
  EXPECT_EQ(log_obs, 0.0);
  ASSERT_EQ(c.n, T);
  for (int i = 0; i < T; ++i) {
    EXPECT_NEAR(c.mean[i], g.mean[i], 1e-15);
    for (int j = 0; j <= i; ++j) EXPECT_NEAR(c.a(i, j), g.a(i, j), 1e-12);
  }
  EXPECT_FALSE(mdn::detail::dense_gaussian_condition(g, all, y, c, log_obs));
}

}  // namespace
