// Split-conformal intervals (mdn/conformal.hpp): the finite-sample coverage
// guarantee shown by simulation with a deliberately wrong model, the radius
// rule against its definition, and the interval against the quantile
// function it is built from.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "mdn/conformal.hpp"
#include "mdn/error.hpp"
#include "mdn/metrics.hpp"
#include "mdn/model_io.hpp"
#include "mdn/predictive.hpp"

namespace {

using mdn::MatrixD;
using mdn::MixtureBatch;

// The "model": for input x, a two-component mixture that is too sharp and
// biased for the truth y ~ N(x, (1 + |x|)^2): components at 0.8x -/+ 0.2,
// sigma 0.5, equal weights.
MixtureBatch wrong_model(const std::vector<double>& xs) {
  MixtureBatch m;
  m.rows = int(xs.size());
  m.K = 2;
  m.T = 1;
  for (double x : xs) {
    m.alpha.insert(m.alpha.end(), {0.5, 0.5});
    m.mu.insert(m.mu.end(), {0.8 * x - 0.2, 0.8 * x + 0.2});
    m.sigma.insert(m.sigma.end(), {0.5, 0.5});
  }
  return m;
}

struct Draw {
  std::vector<double> x;
  MatrixD y;
};
Draw draw(int n, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(-2.0, 2.0);
  std::normal_distribution<double> z(0.0, 1.0);
  Draw d;
  d.y = MatrixD(n, 1);
  for (int i = 0; i < n; ++i) {
    d.x.push_back(u(rng));
    d.y(i, 0) = d.x.back() + (1.0 + std::fabs(d.x.back())) * z(rng);
  }
  return d;
}

TEST(Conformal, CoverageIsAtLeastTheLevelOverManyCalibrationSets) {
  // 1000 repeats of (200 calibration rows, 100 test rows). Conformal coverage
  // has expectation ceil(201 * 0.9) / 201 = 0.90050 exactly; its standard
  // error over the repeats is about 0.0012. The model's own 90 % interval
  // covers far less (it is too sharp), so the test can tell the two apart.
  constexpr int kRepeats = 1000, kCal = 200, kTest = 100;
  constexpr double kLevel = 0.9;
  std::mt19937_64 rng(2026);
  std::vector<double> coverage, naive;
  for (int rep = 0; rep < kRepeats; ++rep) {
    const Draw cal = draw(kCal, rng), test = draw(kTest, rng);
    const mdn::ConformalScores scores = mdn::conformal_scores(wrong_model(cal.x), cal.y);
    const MixtureBatch mix = wrong_model(test.x);
    std::vector<double> lo, hi;
    mdn::conformal_intervals(mix, scores, kLevel, lo, hi);
    const std::vector<double> q = mdn::predictive_quantiles(mix, {0.05, 0.95});
    int inside = 0, inside_naive = 0;
    for (int i = 0; i < kTest; ++i) {
      const double y = test.y(i, 0);
      inside += lo[std::size_t(i)] <= y && y <= hi[std::size_t(i)];
      inside_naive += q[2 * std::size_t(i)] <= y && y <= q[2 * std::size_t(i) + 1];
    }
    coverage.push_back(double(inside) / kTest);
    naive.push_back(double(inside_naive) / kTest);
  }
  double mean = 0.0, sq = 0.0, mean_naive = 0.0;
  for (std::size_t i = 0; i < coverage.size(); ++i) {
    mean += coverage[i];
    mean_naive += naive[i];
  }
  mean /= kRepeats;
  mean_naive /= kRepeats;
  for (double c : coverage) sq += (c - mean) * (c - mean);
  const double se = std::sqrt(sq / (kRepeats - 1) / kRepeats);
  const double expected = std::ceil((kCal + 1) * kLevel) / (kCal + 1);
  EXPECT_NEAR(mean, expected, 4.0 * se) << "standard error " << se;
  EXPECT_GE(mean, kLevel - 4.0 * se);
  EXPECT_LT(mean_naive, 0.7);  // the wrong model's own interval
}

TEST(Conformal, TheRadiusIsTheCeilNPlusOneTimesLevelSmallestScore) {
  const std::vector<double> s{0.01, 0.05, 0.1, 0.2, 0.3, 0.35, 0.4, 0.42, 0.45};  // n = 9
  EXPECT_DOUBLE_EQ(mdn::conformal_radius(s, 0.5), 0.3);                           // ceil(5) = 5th
  EXPECT_DOUBLE_EQ(mdn::conformal_radius(s, 0.55), 0.35);                         // ceil(5.5) = 6th
  EXPECT_DOUBLE_EQ(mdn::conformal_radius(s, 0.9), 0.45);                          // ceil(9) = 9th
  EXPECT_DOUBLE_EQ(mdn::conformal_radius(s, 0.91), 0.5);                          // ceil(9.1) = 10 > n: the whole line
  EXPECT_THROW(mdn::conformal_radius(s, 1.0), mdn::UsageError);
  EXPECT_THROW(mdn::conformal_radius(s, 0.0), mdn::UsageError);
}

TEST(Conformal, IntervalsAreTheQuantilesAtHalfPlusMinusTheRadius) {
  std::mt19937_64 rng(4);
  const Draw cal = draw(99, rng), test = draw(7, rng);
  const mdn::ConformalScores scores = mdn::conformal_scores(wrong_model(cal.x), cal.y);
  ASSERT_EQ(scores.scores.size(), 1u);
  ASSERT_EQ(scores.scores[0].size(), 99u);
  for (std::size_t i = 1; i < 99; ++i) ASSERT_LE(scores.scores[0][i - 1], scores.scores[0][i]);
  const MixtureBatch mix = wrong_model(test.x);
  std::vector<double> lo, hi;
  mdn::conformal_intervals(mix, scores, 0.8, lo, hi);
  const double r = scores.scores[0][79];  // ceil(100 * 0.8) = 80th
  for (int i = 0; i < mix.rows; ++i) {
    EXPECT_NEAR(mdn::mixture_pit(mix, i, 0, lo[std::size_t(i)]), 0.5 - r, 1e-9);
    EXPECT_NEAR(mdn::mixture_pit(mix, i, 0, hi[std::size_t(i)]), 0.5 + r, 1e-9);
  }
  // At a level the calibration set cannot support: the whole line.
  mdn::conformal_intervals(mix, scores, 0.995, lo, hi);
  EXPECT_TRUE(std::isinf(lo[0]) && lo[0] < 0);
  EXPECT_TRUE(std::isinf(hi[0]) && hi[0] > 0);
}

TEST(Conformal, ManyCalibrationRowsKeepARandomSubset) {
  std::mt19937_64 rng(5);
  const Draw cal = draw(mdn::kMaxConformalRows + 500, rng);
  const mdn::ConformalScores a = mdn::conformal_scores(wrong_model(cal.x), cal.y, 1);
  ASSERT_EQ(a.scores[0].size(), std::size_t(mdn::kMaxConformalRows));
  EXPECT_EQ(mdn::conformal_scores(wrong_model(cal.x), cal.y, 1).scores, a.scores);  // a function of the seed
  EXPECT_NE(mdn::conformal_scores(wrong_model(cal.x), cal.y, 2).scores, a.scores);
}

TEST(Conformal, TheScoresSurviveTheModelFile) {
  mdn::Model m;
  m.spec.input_dim = 1;
  m.spec.target_dim = 2;
  m.spec.components = 2;
  m.spec.hidden = {3};
  m.params.assign(mdn::ParameterLayout(m.spec).total, 0.1f);
  m.feature_names = {"x"};
  m.target_names = {"a", "b"};
  m.stats.x_mean = {0.0};
  m.stats.x_scale = {1.0};
  m.stats.t_mean = {0.0, 0.0};
  m.stats.t_scale = {1.0, 1.0};
  m.conformal.scores = {{0.0, 0.125, 0.25}, {0.1, 0.2, 0.5}};
  m.conformal.source = "3 rows of cal.csv";
  const std::string path = ::testing::TempDir() + "conformal.safetensors";
  mdn::save_model(m, path);
  const mdn::Model back = mdn::load_model(path);
  ASSERT_EQ(back.conformal.scores.size(), 2u);
  for (std::size_t d = 0; d < 2; ++d)
    for (std::size_t i = 0; i < 3; ++i)
      EXPECT_NEAR(back.conformal.scores[d][i], m.conformal.scores[d][i], 1e-7);  // stored as floats
  EXPECT_EQ(back.conformal.source, m.conformal.source);
  m.conformal = {};
  mdn::save_model(m, path);
  EXPECT_FALSE(mdn::load_model(path).conformal.available());
  std::remove(path.c_str());
}

}  // namespace
