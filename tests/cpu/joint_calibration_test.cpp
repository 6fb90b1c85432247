// The joint calibration of several targets (mdn/metrics.hpp: joint_hdr_rank,
// JointCalibration; docs/EVAL.md "Joint calibration"): the HDR PIT estimated
// from draws against its closed form for one Gaussian (the chi-square CDF of
// the Mahalanobis distance) and against brute-force grid integration of a
// correlated mixture's density; coverage of the true model within its
// standard error of nominal, a too-narrow model under-covering, and the
// Monte-Carlo standard error against the spread over seeds.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "mdn/metrics.hpp"
#include "mdn/mixture.hpp"
#include "mdn/sampling.hpp"

namespace {

constexpr double kPi = 3.14159265358979323846;

// One 2-D full-covariance component: weight, mean, and factor A = [[a00, 0], [a10, a11]].
struct Component2 {
  double alpha, m0, m1, a00, a10, a11;
};

// Appends a row of 2-D full-covariance components to mix (rows, K, T = 2 set here).
void add_row(mdn::MixtureBatch& mix, const std::vector<Component2>& row) {
  mix.T = 2;
  mix.K = int(row.size());
  ++mix.rows;
  for (const Component2& c : row) {
    mix.alpha.push_back(c.alpha);
    mix.mu.insert(mix.mu.end(), {c.m0, c.m1});
    mix.sigma.insert(mix.sigma.end(), {c.a00, std::sqrt(c.a10 * c.a10 + c.a11 * c.a11)});
    mix.chol.insert(mix.chol.end(), {c.a00, c.a10, c.a11});
  }
}

// The test's own bivariate normal density: Sigma = A A^T, written out.
double density2(const std::vector<Component2>& row, double y0, double y1) {
  double p = 0.0;
  for (const Component2& c : row) {
    const double s00 = c.a00 * c.a00, s01 = c.a00 * c.a10, s11 = c.a10 * c.a10 + c.a11 * c.a11;
    const double det = s00 * s11 - s01 * s01;
    const double d0 = y0 - c.m0, d1 = y1 - c.m1;
    const double q = (s11 * d0 * d0 - 2.0 * s01 * d0 * d1 + s00 * d1 * d1) / det;
    p += c.alpha * std::exp(-0.5 * q) / (2.0 * kPi * std::sqrt(det));
  }
  return p;
}

// A random row of K correlated components (weights summing to 1).
std::vector<Component2> random_row(std::mt19937_64& rng, int K) {
  std::uniform_real_distribution<double> w(0.2, 1.0), m(-2.0, 2.0), s(0.2, 0.8), c(-0.6, 0.6);
  std::vector<Component2> row(static_cast<std::size_t>(K), Component2{});
  double total = 0.0;
  for (Component2& k : row) {
    k = {w(rng), m(rng), m(rng), s(rng), c(rng), s(rng)};
    total += k.alpha;
  }
  for (Component2& k : row) k.alpha /= total;
  return row;
}

// One draw of a row: the test's own sampler (categorical, then mean + A z).
void draw2(const std::vector<Component2>& row, std::mt19937_64& rng, double* y) {
  double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng), acc = 0.0;
  std::size_t k = row.size() - 1;
  for (std::size_t j = 0; j < row.size(); ++j)
    if (u < (acc += row[j].alpha)) {
      k = j;
      break;
    }
  std::normal_distribution<double> normal;
  const double z0 = normal(rng), z1 = normal(rng);
  y[0] = row[k].m0 + row[k].a00 * z0;
  y[1] = row[k].m1 + row[k].a10 * z0 + row[k].a11 * z1;
}

double rank_fraction(const mdn::MixtureBatch& mix, int row, const double* y, int S, std::uint64_t seed) {
  mdn::SampleOptions o;
  o.seed = seed;
  mdn::MixtureBatch one = mix;  // every row drawn; only `row`'s draws are used
  const std::vector<double> draws = mdn::sample_mixtures(one, S, o);
  return double(mdn::joint_hdr_rank(mix, row, draws.data() + std::size_t(row) * S * mix.T, S, y)) / S;
}

TEST(JointHdrRank, OneGaussianGivesTheChiSquareCdfOfTheMahalanobisDistance) {
  // One component: p(Y) >= p(y) exactly when the Mahalanobis distance of Y is
  // at most m(y), so u = P(chi^2_T <= m^2): 1 - exp(-m^2 / 2) for T = 2.
  const Component2 c{1.0, 0.5, -1.0, 0.7, 0.5, 0.2};
  mdn::MixtureBatch mix;
  add_row(mix, {c});
  const int S = 40000;
  for (const double m : {0.3, 1.0, 1.8, 2.6}) {
    // A point at Mahalanobis distance m: y = mu + A (m cos 1, m sin 1).
    const double z0 = m * std::cos(1.0), z1 = m * std::sin(1.0);
    const double y[2] = {c.m0 + c.a00 * z0, c.m1 + c.a10 * z0 + c.a11 * z1};
    const double want = 1.0 - std::exp(-0.5 * m * m);
    const double got = rank_fraction(mix, 0, y, S, 3);
    EXPECT_NEAR(got, want, 4.5 * std::sqrt(want * (1.0 - want) / S) + 1e-4) << "m = " << m;
  }
}

TEST(JointHdrRank, DiagonalComponentsInThreeDimensions) {
  // One diagonal component over T = 3: u = P(chi^2_3 <= m^2)
  //   = erf(m / sqrt 2) - sqrt(2 / pi) m exp(-m^2 / 2).
  mdn::MixtureBatch mix;
  mix.rows = 1, mix.K = 1, mix.T = 3;
  mix.alpha = {1.0};
  mix.mu = {1.0, -2.0, 0.5};
  mix.sigma = {0.3, 2.0, 1.1};
  const int S = 40000;
  for (const double m : {0.8, 1.6, 2.4}) {
    const double y[3] = {1.0 + 0.3 * m / std::sqrt(3.0), -2.0 - 2.0 * m / std::sqrt(3.0),
                         0.5 + 1.1 * m / std::sqrt(3.0)};
    const double want = std::erf(m / std::sqrt(2.0)) - std::sqrt(2.0 / kPi) * m * std::exp(-0.5 * m * m);
    EXPECT_NEAR(rank_fraction(mix, 0, y, S, 8), want, 4.5 * std::sqrt(want * (1.0 - want) / S) + 1e-4) << m;
  }
}

TEST(JointHdrRank, MatchesGridIntegrationOfTheDensity) {
  // Three correlated components, the HDR PIT u(y) = integral of p(z)
  // 1[p(z) >= p(y)] dz by the midpoint rule on a 0.01 grid over [-6, 6]^2
  // (every component within it to more than 5 standard deviations).
  const std::vector<Component2> row = {
      {0.5, -1.0, 0.0, 0.6, 0.45, 0.25}, {0.3, 1.2, 1.0, 0.4, -0.3, 0.3}, {0.2, 0.5, -1.5, 0.3, 0.0, 0.5}};
  mdn::MixtureBatch mix;
  add_row(mix, row);
  const double h = 0.01;
  const int n = int(12.0 / h);
  std::vector<double> cells;
  cells.reserve(std::size_t(n) * n);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) cells.push_back(density2(row, -6.0 + (i + 0.5) * h, -6.0 + (j + 0.5) * h));
  const int S = 100000;
  for (const auto& y : std::vector<std::vector<double>>{{-1.0, 0.1}, {0.0, 0.0}, {1.3, 0.7}, {0.5, -2.4}, {2.5, 2.5}}) {
    const double level = density2(row, y[0], y[1]);
    double inside = 0.0;
    for (double p : cells) inside += p >= level ? p : 0.0;
    const double want = inside * h * h;
    const double got = rank_fraction(mix, 0, y.data(), S, 21);
    EXPECT_NEAR(got, want, 4.5 * std::sqrt(want * (1.0 - want) / S) + 2e-3) << y[0] << ", " << y[1];
  }
}

// rows rows of random 2-component correlated mixtures and targets drawn from them.
struct Case {
  mdn::MixtureBatch mix;
  mdn::MatrixD t;
};
Case known_model(int rows, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Case c;
  c.t = mdn::MatrixD(rows, 2);
  for (int r = 0; r < rows; ++r) {
    const std::vector<Component2> row = random_row(rng, 2);
    add_row(c.mix, row);
    draw2(row, rng, c.t.row(r));
  }
  return c;
}

// The same mixtures with every covariance factor scaled by f (f < 1: too narrow).
mdn::MixtureBatch scaled(mdn::MixtureBatch mix, double f) {
  for (double& v : mix.chol) v *= f;
  for (double& v : mix.sigma) v *= f;
  return mix;
}

TEST(JointCalibration, TrueModelCoversNominalAndANarrowOneUnderCovers) {
  const Case c = known_model(4000, 7);
  mdn::EvalOptions options;
  options.energy_samples = 40;
  const mdn::JointCalibration truth = mdn::evaluate(c.mix, c.t, options).metrics.joint;
  ASSERT_EQ(truth.samples, 40);
  ASSERT_EQ(truth.levels, options.interval_levels);
  for (std::size_t i = 0; i < truth.levels.size(); ++i) {
    const double c_ = truth.levels[i];
    // A calibrated model on n rows: s.e. a little under sqrt(c (1 - c) / n).
    EXPECT_NEAR(truth.standard_error[i], std::sqrt(c_ * (1 - c_) / 4000.0), 0.1 * std::sqrt(c_ * (1 - c_) / 4000.0));
    EXPECT_NEAR(truth.coverage[i], c_, 3.5 * truth.standard_error[i]) << "level " << c_;
    EXPECT_GT(truth.mc_standard_error[i], 0.0);
    EXPECT_LT(truth.mc_standard_error[i], truth.standard_error[i]);
  }
  for (double v : truth.pit_density) EXPECT_NEAR(v, 1.0, 0.3);
  EXPECT_LT(truth.calibration_error_max, 0.03);

  // Factors at 0.7: the 90 % region holds well under 90 % of the rows
  // (a single Gaussian's would hold 1 - exp(-0.5 * 0.49 * 4.6) = 67 %).
  const mdn::JointCalibration narrow = mdn::evaluate(scaled(c.mix, 0.7), c.t, options).metrics.joint;
  for (std::size_t i = 0; i < narrow.levels.size(); ++i)
    EXPECT_LT(narrow.coverage[i], truth.levels[i] - 8.0 * truth.standard_error[i]) << truth.levels[i];
  EXPECT_GT(narrow.pit_density.back(), 2.0);  // observations beyond the regions: the right end piles up
  const mdn::JointCalibration wide = mdn::evaluate(scaled(c.mix, 1.4), c.t, options).metrics.joint;
  EXPECT_GT(wide.coverage[0], 0.5 + 8.0 * truth.standard_error[0]);
}

TEST(JointCalibration, UniformForAnyNumberOfDraws) {
  // N is uniform on {0..S} for the true model and each row is spread over
  // its 1 / (S + 1) of (0, 1): nominal coverage even from 2 draws per row.
  const Case c = known_model(6000, 9);
  mdn::EvalOptions options;
  options.energy_samples = 2;
  const mdn::JointCalibration j = mdn::evaluate(c.mix, c.t, options).metrics.joint;
  for (std::size_t i = 0; i < j.levels.size(); ++i) EXPECT_NEAR(j.coverage[i], j.levels[i], 3.5 * j.standard_error[i]);
  for (std::size_t k = 0; k < j.calibration_levels.size(); ++k)
    EXPECT_NEAR(j.calibration_observed[k], j.calibration_levels[k], 0.025);
}

TEST(JointCalibration, MonteCarloErrorMatchesTheSpreadOverSeeds) {
  // The same rows scored with 24 seeds: the coverages' standard deviation
  // over seeds is what mc_standard_error estimates.
  const Case c = known_model(1500, 13);
  mdn::EvalOptions options;
  options.energy_samples = 20;
  const int seeds = 24;
  std::vector<double> sum(4, 0.0), sum2(4, 0.0), predicted(4, 0.0);
  for (int s = 0; s < seeds; ++s) {
    options.seed = std::uint64_t(100 + s);
    const mdn::JointCalibration j = mdn::evaluate(c.mix, c.t, options).metrics.joint;
    for (std::size_t i = 0; i < 4; ++i) {
      sum[i] += j.coverage[i];
      sum2[i] += j.coverage[i] * j.coverage[i];
      predicted[i] += j.mc_standard_error[i] / seeds;
    }
  }
  for (std::size_t i = 0; i < 4; ++i) {
    const double mean = sum[i] / seeds, sd = std::sqrt((sum2[i] - seeds * mean * mean) / (seeds - 1));
    // 24 seeds: the sample s.d. is within some +-30 % of the truth (2 s.e.).
    EXPECT_GT(sd, 0.55 * predicted[i]) << i;
    EXPECT_LT(sd, 1.6 * predicted[i]) << i;
  }
}

TEST(JointCalibration, OnlyForSeveralTargets) {
  mdn::MixtureBatch mix;
  mix.rows = 2, mix.K = 1, mix.T = 1;
  mix.alpha = {1.0, 1.0};
  mix.mu = {0.0, 1.0};
  mix.sigma = {1.0, 1.0};
  mdn::MatrixD t(2, 1);
  t(0, 0) = 0.1;
  t(1, 0) = 0.4;
  const mdn::JointCalibration j = mdn::evaluate(mix, t).metrics.joint;
  EXPECT_EQ(j.samples, 0);
  EXPECT_TRUE(j.coverage.empty());
}

TEST(JointHdrRank, AnObservationOfDensityZeroIsOutsideEveryRegion) {
  mdn::MixtureBatch mix;
  add_row(mix, {{1.0, 0.0, 0.0, 0.01, 0.0, 0.01}});
  const double far[2] = {1e6, -1e6};
  const std::vector<double> draws = mdn::sample_mixtures(mix, 50, mdn::SampleOptions{});
  EXPECT_EQ(mdn::joint_hdr_rank(mix, 0, draws.data(), 50, far), 50);
  const double centre[2] = {0.0, 0.0};
  EXPECT_EQ(mdn::joint_hdr_rank(mix, 0, draws.data(), 50, centre), 0);
}

}  // namespace
