// Predictive statistics against references written here, independently of
// the library's marginal_math.hpp (erfc, exp and Simpson's rule only):
//   - moments far from 0: a mixture shifted by 1e4 .. 1e9 has the unshifted
//     mixture's moments (shift invariance), those by numeric integration;
//   - the weights are normalised by their sum (mdn/mixture.hpp: they sum to
//     1 only up to float rounding): scaling every weight of a row by c
//     changes no moment, quantile, PIT, CRPS or NLL;
//   - quantiles meet their documented tolerance (mdn/predictive.hpp):
//     |F(q) - level| <= min(1e-13, 1e-9 min(level, 1 - level)), unless the
//     level is crossed within a few ulps of q.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "cpu/mixture_builders.hpp"
#include "cpu/numeric_integration.hpp"
#include "mdn/metrics.hpp"
#include "mdn/predictive.hpp"

namespace mdn {
namespace {

constexpr double kPi = 3.14159265358979323846;

// One row's 1-D mixture (dimension d of row r), weights normalised here.
struct Row1D {
  std::vector<double> a, m, s;

  static Row1D of(const MixtureBatch& mix, int r, int d) {
    Row1D row;
    double total = 0.0;
    for (int k = 0; k < mix.K; ++k) total += mix.alpha[std::size_t(r) * mix.K + k];
    for (int k = 0; k < mix.K; ++k) {
      const std::size_t i = (std::size_t(r) * mix.K + k) * mix.T + d;
      row.a.push_back(mix.alpha[std::size_t(r) * mix.K + k] / total);
      row.m.push_back(mix.mu[i]);
      row.s.push_back(mix.sigma[i]);
    }
    return row;
  }
  double pdf(double y) const {
    double p = 0.0;
    for (std::size_t k = 0; k < a.size(); ++k) {
      const double u = (y - m[k]) / s[k];
      p += a[k] * std::exp(-0.5 * u * u) / (s[k] * std::sqrt(2.0 * kPi));
    }
    return p;
  }
  double cdf(double y) const {
    double f = 0.0;
    for (std::size_t k = 0; k < a.size(); ++k) f += a[k] * 0.5 * std::erfc(-(y - m[k]) / (s[k] * std::sqrt(2.0)));
    return f;
  }
};

// ---- moments far from 0 ------------------------------------------------------------

TEST(PredictiveInvariance, MomentsFarFromZeroAreTheUnshiftedMomentsByIntegration) {
  // Three narrow components 0.1 apart (multi-modal: the spread of the means
  // is most of the variance), float-rounded weights as the softmax gives.
  const std::vector<double> base_mu{-0.1, 0.02, 0.12}, sigma{0.05, 0.02, 0.04};
  const std::vector<double> alpha{double(0.2f), double(0.5f), double(0.3f)};
  for (const double offset : {0.0, 1e4, 1e6, 1e9}) {
    std::vector<double> mu;
    for (double m : base_mu) mu.push_back(m + offset);
    const MixtureBatch mix = testing::one_row(alpha, mu, sigma);
    const PredictiveMoments mo = predictive_moments(mix);
    // The reference: the same mixture moved back to 0 (mu - offset is exact
    // in double), integrated over +-1 (20 sigma past every component).
    MixtureBatch back = mix;
    for (double& m : back.mu) m -= offset;
    const Row1D row = Row1D::of(back, 0, 0);
    const auto moment = [&](int power) {
      return test::simpson([&](double y) { return std::pow(y, power) * row.pdf(y); }, -1.0, 1.0, 20000);
    };
    const double m0 = moment(0), m1 = moment(1) / m0, var = moment(2) / m0 - m1 * m1;
    ASSERT_NEAR(m0, 1.0, 1e-12);
    const double ulp = offset * std::numeric_limits<double>::epsilon();
    EXPECT_NEAR(mo.mean[0] - offset, m1, 2.0 * ulp + 1e-12) << "offset " << offset;
    EXPECT_NEAR(mo.stddev[0], std::sqrt(var), 1e-9 * std::sqrt(var)) << "offset " << offset;
  }
}

// ---- the weights are normalised by their sum ----------------------------------

// Continuous ranked probability score by integration: int (F(z) - 1{z >= y})^2 dz.
double crps_by_integration(const Row1D& row, double y) {
  const double lo =
      *std::min_element(row.m.begin(), row.m.end()) - 12.0 * *std::max_element(row.s.begin(), row.s.end());
  const double hi =
      *std::max_element(row.m.begin(), row.m.end()) + 12.0 * *std::max_element(row.s.begin(), row.s.end());
  const auto below = [&](double z) { return row.cdf(z) * row.cdf(z); };
  const auto above = [&](double z) { return (1.0 - row.cdf(z)) * (1.0 - row.cdf(z)); };
  return test::simpson(below, lo, y, 20000) + test::simpson(above, y, hi, 20000);
}

TEST(PredictiveInvariance, EveryStatisticNormalisesTheWeights) {
  // A two-dimensional row with exactly normalised weights, then the same row
  // with every weight scaled by c (as if the softmax's sum were c): all the
  // answers are those of the normalised row.
  const std::vector<double> alpha{0.25, 0.5, 0.25};
  const std::vector<double> mu{-1.0, 4.0, 0.5, 3.0, 2.0, -2.0};  // K x T = 3 x 2
  const std::vector<double> sigma{0.6, 1.0, 0.8, 0.3, 1.5, 0.7};
  const MixtureBatch base = testing::one_row(alpha, mu, sigma, 2);
  const std::vector<double> levels{0.05, 0.5, 0.9};
  const double y[2] = {0.3, 2.5};
  for (const double c : {0.5, 0.8, 1.3, 1.0 - 6e-8}) {
    MixtureBatch scaled = base;
    for (double& a : scaled.alpha) a *= c;
    const PredictiveMoments mo = predictive_moments(scaled);
    const std::vector<double> q = predictive_quantiles(scaled, levels);
    for (int d = 0; d < 2; ++d) {
      const Row1D row = Row1D::of(base, 0, d);
      double mean = 0.0, var = 0.0;
      for (int k = 0; k < 3; ++k) mean += row.a[k] * row.m[k];
      for (int k = 0; k < 3; ++k) var += row.a[k] * (row.s[k] * row.s[k] + (row.m[k] - mean) * (row.m[k] - mean));
      EXPECT_NEAR(mo.mean[d], mean, 1e-12) << "c " << c << " d " << d;
      EXPECT_NEAR(mo.stddev[d], std::sqrt(var), 1e-12) << "c " << c << " d " << d;
      for (std::size_t j = 0; j < levels.size(); ++j)
        EXPECT_NEAR(row.cdf(q[d * levels.size() + j]), levels[j], 1e-12) << "c " << c << " level " << levels[j];
      EXPECT_NEAR(mixture_pit(scaled, 0, d, y[d]), row.cdf(y[d]), 1e-14) << "c " << c;
      EXPECT_NEAR(mixture_crps(scaled, 0, d, y[d]), crps_by_integration(row, y[d]), 1e-9) << "c " << c;
    }
    // The joint density of (y0, y1), written out.
    double p = 0.0;
    for (int k = 0; k < 3; ++k) {
      double dens = alpha[k];
      for (int d = 0; d < 2; ++d) {
        const double u = (y[d] - mu[k * 2 + d]) / sigma[k * 2 + d];
        dens *= std::exp(-0.5 * u * u) / (sigma[k * 2 + d] * std::sqrt(2.0 * kPi));
      }
      p += dens;
    }
    EXPECT_NEAR(mixture_nll(scaled, 0, y), -std::log(p), 1e-12) << "c " << c;
  }
}

// ---- quantiles to their documented tolerance -----------------------------------

TEST(PredictiveInvariance, QuantilesMeetTheirDocumentedTolerance) {
  std::mt19937_64 rng(33);
  const std::vector<double> levels{1e-10, 1e-6, 1e-3, 0.05, 0.3, 0.5, 0.7, 0.95, 0.999, 1.0 - 1e-6};
  const double eps = std::numeric_limits<double>::epsilon();
  int checked = 0, at_rounding = 0;
  for (int K : {1, 2, 5}) {
    const MixtureBatch mix = testing::random_mixtures(rng, 100, K, 1, 3.0, 0.05, 3.0);
    const std::vector<double> q = predictive_quantiles(mix, levels);
    for (int r = 0; r < mix.rows; ++r) {
      const Row1D row = Row1D::of(mix, r, 0);
      for (std::size_t j = 0; j < levels.size(); ++j) {
        const double p = levels[j], qj = q[r * levels.size() + j];
        // The documented tolerance, and where rounding stops the solver first:
        // F moves by pdf(q) * ulp(q) per ulp of q.
        const double tol = std::min(1e-13, 1e-9 * std::min(p, 1.0 - p));
        const double rounding = 8.0 * eps * std::max(std::fabs(qj), 1e-300) * row.pdf(qj) + 4.0 * eps * p;
        const double err = std::fabs(row.cdf(qj) - p);
        ASSERT_LE(err, std::max(tol, rounding)) << "K " << K << " row " << r << " level " << p << " q " << qj;
        ++checked;
        at_rounding += err > tol;
      }
    }
  }
  EXPECT_EQ(checked, 3 * 100 * int(levels.size()));
  // The rounding allowance is the exception, not the rule.
  EXPECT_LT(at_rounding, checked / 10);
}

}  // namespace
}  // namespace mdn
