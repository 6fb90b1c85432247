// Evaluation metrics: the closed-form CRPS against numeric integration and the
// single-Gaussian formula; NLL in original units against the backend's
// standardised NLL plus the log-Jacobian; and on data drawn from a known
// mixture model, scored with that same model, the calibration metrics are
// close to ideal and the NLL close to the model's entropy.
#include <gtest/gtest.h>

#include "cpu/numeric_integration.hpp"

#include <cmath>
#include <random>
#include <vector>

#include "mdn/backend.hpp"
#include "mdn/error.hpp"
#include "mdn/metrics.hpp"
#include "mdn/inference.hpp"
#include "mdn/mixture.hpp"
#include "mdn/model.hpp"
#include "mdn/standardizer.hpp"
#include "mdn/trainer.hpp"

namespace {

constexpr double kPi = 3.14159265358979323846;

double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }
double normal_pdf(double z) { return std::exp(-0.5 * z * z) / std::sqrt(2.0 * kPi); }

// `rows` random mixtures of K components over T dimensions.
mdn::MixtureBatch random_batch(std::mt19937_64& rng, int rows, int K, int T) {
  mdn::MixtureBatch mix;
  mix.rows = rows;
  mix.K = K;
  mix.T = T;
  std::uniform_real_distribution<double> weight(0.05, 1.0), mean(-3.0, 3.0), scale(0.15, 1.5);
  for (int r = 0; r < rows; ++r) {
    std::vector<double> a(K);
    double total = 0.0;
    for (double& v : a) total += (v = weight(rng));
    for (double v : a) mix.alpha.push_back(float(v / total));
    for (int i = 0; i < K * T; ++i) {
      mix.mu.push_back(float(mean(rng)));
      mix.sigma.push_back(float(scale(rng)));
    }
  }
  return mix;
}

double marginal_cdf(const mdn::MixtureBatch& mix, int r, int d, double y) {
  double f = 0.0;
  for (int k = 0; k < mix.K; ++k) f += mix.weight(r, k) * normal_cdf((y - mix.mean(r, k, d)) / mix.stddev(r, k, d));
  return f;
}

double marginal_pdf(const mdn::MixtureBatch& mix, int r, int d, double y) {
  double p = 0.0;
  for (int k = 0; k < mix.K; ++k) {
    const double s = mix.stddev(r, k, d);
    p += mix.weight(r, k) * normal_pdf((y - mix.mean(r, k, d)) / s) / s;
  }
  return p;
}

using mdn::test::simpson;

// One draw from row r's mixture: the test's own sampler (categorical, then
// Gaussian), independent of the library's.
std::vector<double> draw(const mdn::MixtureBatch& mix, int r, std::mt19937_64& rng) {
  double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng), acc = 0.0;
  int k = mix.K - 1;
  for (int j = 0; j < mix.K; ++j)
    if (u < (acc += mix.weight(r, j))) {
      k = j;
      break;
    }
  std::normal_distribution<double> normal;
  std::vector<double> t(mix.T);
  for (int d = 0; d < mix.T; ++d) t[d] = float(mix.mean(r, k, d) + mix.stddev(r, k, d) * normal(rng));
  return t;
}

TEST(Crps, ClosedFormMatchesNumericIntegration) {
  std::mt19937_64 rng(11);
  const mdn::MixtureBatch mix = random_batch(rng, 12, 4, 2);
  for (int r = 0; r < mix.rows; ++r)
    for (int d = 0; d < mix.T; ++d)
      for (double y : {-4.0, -0.7, 0.0, 1.9, 5.5}) {
        // int (F(z) - 1{z >= y})^2 dz, split at the jump; beyond +-25 every
        // component (|mu| <= 3, sigma <= 1.5) has less than 1e-40 mass left.
        auto below = [&](double z) { return std::pow(marginal_cdf(mix, r, d, z), 2); };
        auto above = [&](double z) { return std::pow(1.0 - marginal_cdf(mix, r, d, z), 2); };
        const double reference = simpson(below, -25.0, y, 20000) + simpson(above, y, 25.0, 20000);
        // The closed form assumes sum_k alpha_k = 1; float weights sum to 1
        // only within ~1e-7, which moves the score by ~1e-7 relative.
        EXPECT_NEAR(mdn::mixture_crps(mix, r, d, y), reference, 1e-9 + 5e-7 * reference)
            << "row " << r << " d " << d << " y " << y;
      }
}

TEST(Crps, SingleGaussianClosedForm) {
  mdn::MixtureBatch mix;
  mix.rows = 1;
  mix.K = 1;
  mix.T = 1;
  for (double sigma : {0.01, 0.5, 2.0, 40.0})
    for (double y : {-3.0, 0.0, 0.25, 7.0}) {
      const double mu = 0.5;
      mix.alpha = {1.0f};
      mix.mu = {float(mu)};
      mix.sigma = {float(sigma)};
      // Gneiting et al. (2005): sigma [z (2 Phi(z) - 1) + 2 phi(z) - 1/sqrt(pi)].
      const double z = (y - double(mix.mu[0])) / double(mix.sigma[0]);
      const double expected =
          double(mix.sigma[0]) * (z * (2.0 * normal_cdf(z) - 1.0) + 2.0 * normal_pdf(z) - 1.0 / std::sqrt(kPi));
      EXPECT_NEAR(mdn::mixture_crps(mix, 0, 0, y), expected, 1e-12 * (1.0 + std::fabs(expected)));
    }
}

TEST(Crps, IsZeroOnlyForAPointMassAtTheObservation) {
  mdn::MixtureBatch mix;
  mix.rows = 1;
  mix.K = 2;
  mix.T = 1;
  mix.alpha = {0.5f, 0.5f};
  mix.mu = {1.0f, 1.0f};
  mix.sigma = {1e-6f, 1e-6f};
  EXPECT_NEAR(mdn::mixture_crps(mix, 0, 0, 1.0), 0.0, 1e-6);
  // Far from the observation the CRPS is the absolute error.
  EXPECT_NEAR(mdn::mixture_crps(mix, 0, 0, 4.0), 3.0, 1e-6);
}

TEST(EnergyScore, EstimatesTheCrpsInOneDimension) {
  std::mt19937_64 rng(3);
  const mdn::MixtureBatch mix = random_batch(rng, 1, 3, 1);
  const int S = 4000;
  std::vector<double> draws;
  for (int s = 0; s < S; ++s) draws.push_back(draw(mix, 0, rng)[0]);
  for (double y : {-2.0, 0.3, 2.5}) {
    // Both terms are means of |differences| of order the mixture's spread
    // (< 7 here); their estimator's standard deviation is about 3/sqrt(S) ~ 0.05
    // at worst, so 0.15 is three of them.
    EXPECT_NEAR(mdn::energy_score(draws.data(), S, 1, &y), mdn::mixture_crps(mix, 0, 0, y), 0.15);
  }
}

TEST(EnergyScore, PairEstimatorOnAKnownSet) {
  // Draws (0,0), (3,4): mean distance to y = (0,0) is (0 + 5)/2; the one pair
  // is 5 apart, so the second term is 5 / (2 * 1) = 2.5.
  const std::vector<double> draws{0.0f, 0.0f, 3.0f, 4.0f};
  const std::vector<double> y{0.0f, 0.0f};
  EXPECT_DOUBLE_EQ(mdn::energy_score(draws.data(), 2, 2, y.data()), 2.5 - 2.5);
}

TEST(Nll, MatchesTheDensityProduct) {
  std::mt19937_64 rng(5);
  const mdn::MixtureBatch mix = random_batch(rng, 20, 3, 2);
  for (int r = 0; r < mix.rows; ++r) {
    const std::vector<double> t = draw(mix, r, rng);
    // The weights are float-rounded (their sum is 1 only to ~1e-7): the
    // density is that of the normalised mixture.
    double p = 0.0, w = 0.0;
    for (int k = 0; k < mix.K; ++k) {
      double component = mix.weight(r, k);
      w += mix.weight(r, k);
      for (int d = 0; d < mix.T; ++d)
        component *= normal_pdf((t[d] - mix.mean(r, k, d)) / mix.stddev(r, k, d)) / mix.stddev(r, k, d);
      p += component;
    }
    EXPECT_NEAR(mdn::mixture_nll(mix, r, t.data()), -std::log(p / w), 1e-10);
  }
}

TEST(Nll, FarTailStaysFiniteInLogSpace) {
  mdn::MixtureBatch mix;
  mix.rows = 1;
  mix.K = 2;
  mix.T = 1;
  mix.alpha = {0.5f, 0.5f};
  mix.mu = {0.0f, 1.0f};
  mix.sigma = {0.01f, 0.01f};
  // 100 sigma away, every density underflows in linear space (exp(-5000)).
  const double t = 2.0;
  const double nll = mdn::mixture_nll(mix, 0, &t);
  EXPECT_TRUE(std::isfinite(nll));
  EXPECT_NEAR(nll,
              0.5 * 100.0 * 100.0 + std::log(0.01) + 0.5 * std::log(2 * kPi) + std::log(2.0) -
                  std::log(1.0 + std::exp(-0.5 * (200.0 * 200.0 - 100.0 * 100.0))),
              1e-6 * nll);
}

TEST(Nll, OriginalUnitsEqualStandardisedPlusLogJacobian) {
  // A small untrained network and a standardiser with scales far from 1: the
  // NLL of the original-unit mixtures equals the backend's standardised NLL
  // plus sum_d log(t_scale_d).
  mdn::ModelSpec spec;
  spec.input_dim = 2;
  spec.target_dim = 2;
  spec.components = 3;
  spec.hidden = {8};
  std::mt19937_64 rng(9);
  std::normal_distribution<double> normal;
  const int n = 500;
  mdn::MatrixD x(n, 2), t(n, 2);
  for (int r = 0; r < n; ++r) {
    x(r, 0) = float(normal(rng));
    x(r, 1) = float(10.0 + 4.0 * normal(rng));
    t(r, 0) = float(100.0 + 25.0 * (x(r, 0) + normal(rng)));  // scale ~ 35
    t(r, 1) = float(0.01 * normal(rng));                      // scale ~ 0.01
  }
  mdn::Model model;
  model.spec = spec;
  model.stats = mdn::Standardizer::fit(x, t);
  const mdn::Matrix t_std = model.stats.standardize_t(t);
  model.params = mdn::initial_parameters(spec, t_std, 4);
  auto backend = mdn::make_cpu_backend(spec);
  backend->set_parameters(model.params);

  const mdn::MixtureBatch mix = mdn::predict_mixtures(*backend, model, x);
  double original = 0.0;
  for (int r = 0; r < n; ++r) original += mdn::mixture_nll(mix, r, t.row(r));
  original /= n;
  const double standardised = backend->mean_nll(model.stats.standardize_x(x), t_std);
  ASSERT_GT(std::fabs(model.stats.log_jacobian()), 0.5);  // the check is not vacuous
  // The two paths round differently in float (mu and sigma are rescaled
  // before the mixture is scored); per-row NLLs here are O(10).
  EXPECT_NEAR(original, standardised + model.stats.log_jacobian(), 1e-4 * (1.0 + std::fabs(original)));
  EXPECT_NEAR(mdn::evaluate(mix, t).metrics.nll, original, 1e-12 * (1.0 + std::fabs(original)));
}

// Data drawn from a known model and scored with that same model.
class KnownModel : public ::testing::Test {
 protected:
  static constexpr int kDistinct = 100;  // distinct mixtures (entropy by quadrature for each)
  static constexpr int kRows = 20000;    // row r uses mixture r % kDistinct

  void SetUp() override {
    std::mt19937_64 rng(21);
    const mdn::MixtureBatch base = random_batch(rng, kDistinct, 3, 1);
    mix.rows = kRows;
    mix.K = base.K;
    mix.T = 1;
    t = mdn::MatrixD(kRows, 1);
    for (int r = 0; r < kRows; ++r) {
      const int b = r % kDistinct;
      for (int k = 0; k < base.K; ++k) {
        mix.alpha.push_back(base.weight(b, k));
        mix.mu.push_back(base.mean(b, k, 0));
        mix.sigma.push_back(base.stddev(b, k, 0));
      }
      t(r, 0) = draw(base, b, rng)[0];
    }
    for (int b = 0; b < kDistinct; ++b) {
      auto integrand = [&](double y) {
        const double p = marginal_pdf(base, b, 0, y);
        return p > 0.0 ? -p * std::log(p) : 0.0;
      };
      entropy.push_back(simpson(integrand, -15.0, 15.0, 6000));
    }
  }

  mdn::MixtureBatch mix;
  mdn::MatrixD t;
  std::vector<double> entropy;  // per distinct mixture
};

TEST_F(KnownModel, CalibrationIsCloseToIdeal) {
  const mdn::EvalMetrics m = mdn::evaluate(mix, t).metrics;
  ASSERT_EQ(m.targets.size(), 1u);
  const mdn::TargetMetrics& target = m.targets[0];
  // The loops below check every level: there must be levels to check (the
  // defaults: 19 calibration levels, intervals 0.5, 0.8, 0.9, 0.95).
  ASSERT_EQ(target.calibration_observed.size(), mdn::EvalOptions{}.calibration_levels.size());
  ASSERT_EQ(target.intervals.size(), 4u);
  // Under the true model PIT ~ U(0,1), so the fraction below tau is a
  // Binomial(n, tau)/n with standard deviation sqrt(tau (1 - tau) / n) <=
  // 0.5/sqrt(n) = 0.0035 at n = 20000. 4.5 of them (p ~ 7e-6 per level,
  // 1e-4 over the 19 levels) bound the largest gap.
  const double sd_max = 0.5 / std::sqrt(double(kRows));
  EXPECT_LT(target.calibration_error_max, 4.5 * sd_max);
  EXPECT_LT(target.calibration_error_mean, 4.5 * sd_max);
  for (const mdn::IntervalCoverage& c : target.intervals) {
    // Coverage of a central c-interval is Binomial(n, c)/n as well.
    const double sd = std::sqrt(c.level * (1.0 - c.level) / kRows);
    EXPECT_NEAR(c.coverage, c.level, 4.5 * sd) << "interval " << c.level;
    EXPECT_GT(c.mean_width, 0.0);
  }
  // PIT histogram: 20 bins, each count Binomial(n, 1/20); density sd =
  // 20 * sqrt(0.05 * 0.95 / n) = 0.031. 4.5 sd per bin.
  ASSERT_EQ(target.pit_density.size(), 20u);
  const double bin_sd = 20.0 * std::sqrt(0.05 * 0.95 / kRows);
  for (double v : target.pit_density) EXPECT_NEAR(v, 1.0, 4.5 * bin_sd);
}

TEST_F(KnownModel, NllIsCloseToTheEntropy) {
  const mdn::Evaluation e = mdn::evaluate(mix, t);
  // E[-log p(t)] under p is the entropy H(p); the mean over n rows deviates
  // from the mean entropy by about sd(-log p)/sqrt(n). The sd comes from the
  // rows themselves; 4.5 of them bound the gap (p ~ 7e-6).
  double h = 0.0, sum = 0.0, sum2 = 0.0;
  for (int r = 0; r < kRows; ++r) {
    h += entropy[r % kDistinct];
    const double l = mdn::mixture_nll(mix, r, t.row(r));
    sum += l;
    sum2 += l * l;
  }
  h /= kRows;
  const double mean = sum / kRows;
  const double sd = std::sqrt(sum2 / kRows - mean * mean);
  EXPECT_NEAR(e.metrics.nll, h, 4.5 * sd / std::sqrt(double(kRows)));
  EXPECT_EQ(e.metrics.nll_infinite, 0);
}

TEST_F(KnownModel, TheTrueModelScoresBetterThanAShiftedOne) {
  // Proper scores: the true distribution has the lowest expected NLL and CRPS.
  mdn::MixtureBatch shifted = mix;
  for (double& m : shifted.mu) m += 0.5;
  const mdn::EvalMetrics truth = mdn::evaluate(mix, t).metrics;
  const mdn::EvalMetrics wrong = mdn::evaluate(shifted, t).metrics;
  ASSERT_EQ(truth.targets.size(), 1u);
  ASSERT_EQ(wrong.targets.size(), 1u);
  EXPECT_LT(truth.nll, wrong.nll);
  EXPECT_LT(truth.targets[0].crps, wrong.targets[0].crps);
  EXPECT_GT(wrong.targets[0].calibration_error_max, truth.targets[0].calibration_error_max);
}

TEST(Evaluate, PointErrorsOfNearlyDeterministicPredictions) {
  // K = 1 with tiny sigma at t + offset: mean and median both miss by offset.
  const int n = 4;
  mdn::MixtureBatch mix;
  mix.rows = n;
  mix.K = 1;
  mix.T = 1;
  mdn::MatrixD t(n, 1);
  const float values[n] = {1.0f, 2.0f, 3.0f, 6.0f};
  const float offsets[n] = {0.5f, -0.5f, 1.0f, -1.0f};
  for (int r = 0; r < n; ++r) {
    t(r, 0) = values[r];
    mix.alpha.push_back(1.0f);
    mix.mu.push_back(values[r] + offsets[r]);
    mix.sigma.push_back(1e-4f);
  }
  const mdn::TargetMetrics m = mdn::evaluate(mix, t).metrics.targets[0];
  EXPECT_NEAR(m.mae, 0.75, 1e-6);
  EXPECT_NEAR(m.median_mae, 0.75, 1e-4);
  EXPECT_NEAR(m.rmse, std::sqrt((0.25 + 0.25 + 1 + 1) / 4.0), 1e-6);
  // Targets 1, 2, 3, 6: mean 3, total sum of squares 4 + 1 + 0 + 9 = 14.
  EXPECT_NEAR(m.r2, 1.0 - 2.5 / 14.0, 1e-6);
  // CRPS of a near point mass is the absolute error.
  EXPECT_NEAR(m.crps, 0.75, 1e-4);
  // Every PIT is 0 or 1: nothing is inside any central interval.
  ASSERT_EQ(m.intervals.size(), 4u);  // the default intervals: 0.5, 0.8, 0.9, 0.95
  for (const auto& c : m.intervals) EXPECT_EQ(c.coverage, 0.0);
}

TEST(Evaluate, EnergyScoreOnlyForSeveralTargets) {
  std::mt19937_64 rng(2);
  const mdn::MixtureBatch one = random_batch(rng, 50, 2, 1);
  const mdn::MixtureBatch two = random_batch(rng, 50, 2, 2);
  mdn::MatrixD t1(50, 1), t2(50, 2);
  for (int r = 0; r < 50; ++r) {
    t1(r, 0) = draw(one, r, rng)[0];
    const auto y = draw(two, r, rng);
    t2(r, 0) = y[0];
    t2(r, 1) = y[1];
  }
  const mdn::EvalMetrics m1 = mdn::evaluate(one, t1).metrics;
  EXPECT_TRUE(std::isnan(m1.energy_score));
  EXPECT_EQ(m1.energy_samples, 0);
  mdn::EvalOptions options;
  options.energy_samples = 64;
  options.seed = 5;
  const mdn::EvalMetrics m2 = mdn::evaluate(two, t2, options).metrics;
  EXPECT_TRUE(std::isfinite(m2.energy_score));
  EXPECT_GT(m2.energy_score, 0.0);
  EXPECT_EQ(m2.energy_samples, 64);
  EXPECT_EQ(mdn::evaluate(two, t2, options).metrics.energy_score, m2.energy_score);  // same seed, same score
  ASSERT_EQ(m2.targets.size(), 2u);
}

// The energy score's standard error is that of the mean over rows of their
// S-draw estimates: over repeats with fresh targets and fresh draws, the
// scores spread by about the reported standard error.
TEST(Evaluate, EnergyScoreStandardErrorIsTheSpreadOverRepeats) {
  std::mt19937_64 rng(9);
  const mdn::MixtureBatch mix = random_batch(rng, 200, 3, 2);
  std::vector<double> scores;
  double reported = 0.0;
  const int repeats = 40;
  for (int rep = 0; rep < repeats; ++rep) {
    mdn::MatrixD t(200, 2);
    for (int r = 0; r < 200; ++r) {
      const auto y = draw(mix, r, rng);
      t(r, 0) = y[0];
      t(r, 1) = y[1];
    }
    mdn::EvalOptions options;
    options.energy_samples = 16;
    options.seed = std::uint64_t(rep);
    const mdn::EvalMetrics m = mdn::evaluate(mix, t, options).metrics;
    scores.push_back(m.energy_score);
    reported += m.energy_score_standard_error / repeats;
  }
  double mean = 0.0, ss = 0.0;
  for (double s : scores) mean += s / repeats;
  for (double s : scores) ss += (s - mean) * (s - mean);
  const double spread = std::sqrt(ss / (repeats - 1));
  EXPECT_GT(reported, 0.7 * spread) << "reported " << reported << " spread " << spread;
  EXPECT_LT(reported, 1.4 * spread) << "reported " << reported << " spread " << spread;
  mdn::MatrixD t1(200, 1);
  EXPECT_TRUE(std::isnan(mdn::evaluate(random_batch(rng, 200, 2, 1), t1).metrics.energy_score_standard_error));
}

TEST(Evaluate, RejectsMismatchedShapes) {
  std::mt19937_64 rng(1);
  const mdn::MixtureBatch mix = random_batch(rng, 5, 2, 1);
  EXPECT_THROW(mdn::evaluate(mix, mdn::MatrixD(4, 1)), mdn::Error);
  EXPECT_THROW(mdn::evaluate(mix, mdn::MatrixD(5, 2)), mdn::Error);
  mdn::EvalOptions bad;
  bad.interval_levels = {1.2};
  EXPECT_THROW(mdn::evaluate(mix, mdn::MatrixD(5, 1), bad), mdn::UsageError);
}

}  // namespace
