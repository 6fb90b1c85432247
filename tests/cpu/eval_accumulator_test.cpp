// EvalAccumulator (mdn/metrics.hpp) against evaluate(), the whole-batch
// reference written first: the same rows given in one part or in many
// (uneven parts, weights, several targets for the energy score) give
// evaluate()'s metrics, every sum but the R^2's bit for bit; and the R^2's
// running sums stay exact for targets far from zero (a Unix time), checked
// against the definition computed around a known offset.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "mdn/error.hpp"
#include "mdn/metrics.hpp"
#include "mdn/mixture.hpp"
#include "mdn/predictive.hpp"

namespace {

mdn::MixtureBatch random_batch(std::mt19937_64& rng, int rows, int K, int T, double offset) {
  mdn::MixtureBatch mix;
  mix.rows = rows;
  mix.K = K;
  mix.T = T;
  std::uniform_real_distribution<double> weight(0.05, 1.0), mean(-3.0, 3.0), scale(0.15, 1.5);
  for (int r = 0; r < rows; ++r) {
    std::vector<double> a(K);
    double total = 0.0;
    for (double& v : a) total += (v = weight(rng));
    for (double v : a) mix.alpha.push_back(v / total);
    for (int i = 0; i < K * T; ++i) {
      mix.mu.push_back(offset + mean(rng));
      mix.sigma.push_back(scale(rng));
    }
  }
  return mix;
}

mdn::MixtureBatch rows_of(const mdn::MixtureBatch& mix, int begin, int end) {
  mdn::MixtureBatch out;
  out.rows = end - begin;
  out.K = mix.K;
  out.T = mix.T;
  const std::size_t kt = std::size_t(mix.K) * mix.T;
  out.alpha.assign(mix.alpha.begin() + begin * mix.K, mix.alpha.begin() + end * mix.K);
  out.mu.assign(mix.mu.begin() + begin * kt, mix.mu.begin() + end * kt);
  out.sigma.assign(mix.sigma.begin() + begin * kt, mix.sigma.begin() + end * kt);
  return out;
}

mdn::MatrixD rows_of(const mdn::MatrixD& m, int begin, int end) {
  mdn::MatrixD out(end - begin, m.cols);
  for (int r = begin; r < end; ++r)
    for (int c = 0; c < m.cols; ++c) out(r - begin, c) = m(r, c);
  return out;
}

struct Case {
  mdn::MixtureBatch mix;
  mdn::MatrixD t;
  std::vector<double> weights;
};

Case make_case(int rows, int T, bool weighted, double offset, unsigned seed) {
  std::mt19937_64 rng(seed);
  Case c;
  c.mix = random_batch(rng, rows, 3, T, offset);
  c.t = mdn::MatrixD(rows, T);
  std::normal_distribution<double> noise(0.0, 2.0);
  for (double& v : c.t.data) v = offset + noise(rng);
  if (weighted) {
    std::uniform_real_distribution<double> w(0.0, 3.0);
    for (int r = 0; r < rows; ++r) c.weights.push_back(r % 11 == 0 ? 0.0 : w(rng));
  }
  return c;
}

// The case's rows fed to an accumulator in parts cut at `cuts`.
mdn::EvalMetrics in_parts(const Case& c, const mdn::EvalOptions& options, const std::vector<int>& cuts) {
  mdn::EvalAccumulator acc(options);
  const std::vector<double> levels = mdn::evaluation_quantile_levels(options);
  for (std::size_t i = 0; i + 1 < cuts.size(); ++i) {
    const int b = cuts[i], e = cuts[i + 1];
    const mdn::MixtureBatch mix = rows_of(c.mix, b, e);
    mdn::PredictiveStatistics stats;
    stats.quantiles = mdn::predictive_quantiles(mix, levels);
    stats.moments = mdn::predictive_moments(mix);
    const std::vector<double> w =
        c.weights.empty() ? std::vector<double>{} : std::vector<double>(c.weights.begin() + b, c.weights.begin() + e);
    const mdn::RowStatistics rows = acc.add(mix, rows_of(c.t, b, e), stats, w, b);
    EXPECT_EQ(rows.mean.rows, e - b);
  }
  EXPECT_EQ(acc.rows(), cuts.back());
  return acc.metrics();
}

void expect_near_relative(double a, double b, double tolerance, const char* what) {
  if (std::isnan(a) && std::isnan(b)) return;
  EXPECT_LE(std::fabs(a - b), tolerance * std::max(1.0, std::fabs(b))) << what << ": " << a << " vs " << b;
}

void expect_same(const mdn::EvalMetrics& got, const mdn::EvalMetrics& want, double r2_tolerance) {
  EXPECT_EQ(got.rows, want.rows);
  EXPECT_EQ(got.nll, want.nll);
  EXPECT_EQ(got.nll_infinite, want.nll_infinite);
  EXPECT_EQ(got.energy_samples, want.energy_samples);
  if (!std::isnan(want.energy_score)) {
    EXPECT_EQ(got.energy_score, want.energy_score);
    // evaluate() sums w e^2 in one pass; the accumulator part by part.
    EXPECT_NEAR(got.energy_score_standard_error, want.energy_score_standard_error,
                1e-9 * want.energy_score_standard_error);
    EXPECT_GT(got.energy_score_standard_error, 0.0);
  }
  // The joint calibration: the same ranks, summed in the same row order.
  EXPECT_EQ(got.joint.samples, want.joint.samples);
  EXPECT_EQ(got.joint.coverage, want.joint.coverage);
  EXPECT_EQ(got.joint.standard_error, want.joint.standard_error);
  EXPECT_EQ(got.joint.mc_standard_error, want.joint.mc_standard_error);
  EXPECT_EQ(got.joint.calibration_observed, want.joint.calibration_observed);
  EXPECT_EQ(got.joint.pit_density, want.joint.pit_density);
  EXPECT_EQ(got.joint.samples > 0, got.targets.size() > 1);
  ASSERT_EQ(got.targets.size(), want.targets.size());
  for (std::size_t d = 0; d < want.targets.size(); ++d) {
    const mdn::TargetMetrics& g = got.targets[d];
    const mdn::TargetMetrics& w = want.targets[d];
    EXPECT_EQ(g.rmse, w.rmse);
    EXPECT_EQ(g.mae, w.mae);
    EXPECT_EQ(g.median_mae, w.median_mae);
    EXPECT_EQ(g.crps, w.crps);
    EXPECT_EQ(g.mean_std, w.mean_std);
    expect_near_relative(g.r2, w.r2, r2_tolerance, "R^2");
    EXPECT_EQ(g.calibration_observed, w.calibration_observed);
    EXPECT_EQ(g.calibration_error_mean, w.calibration_error_mean);
    EXPECT_EQ(g.calibration_error_max, w.calibration_error_max);
    EXPECT_EQ(g.pit_density, w.pit_density);
    ASSERT_EQ(g.intervals.size(), w.intervals.size());
    for (std::size_t i = 0; i < w.intervals.size(); ++i) {
      EXPECT_EQ(g.intervals[i].coverage, w.intervals[i].coverage);
      EXPECT_EQ(g.intervals[i].mean_width, w.intervals[i].mean_width);
    }
  }
}

TEST(EvalAccumulator, OnePartOrManyGiveEvaluatesMetrics) {
  mdn::EvalOptions options;
  options.energy_samples = 20;
  options.seed = 5;
  for (const bool weighted : {false, true})
    for (const int T : {1, 2}) {
      const Case c = make_case(5000, T, weighted, 0.0, 11u + unsigned(T));
      mdn::EvalOptions whole = options;
      whole.weights = c.weights;
      const mdn::EvalMetrics want = mdn::evaluate(c.mix, c.t, whole).metrics;
      expect_same(in_parts(c, options, {0, 5000}), want, 1e-12);
      // Uneven parts, one of a single row, some crossing the energy score's chunks of 2048 rows.
      expect_same(in_parts(c, options, {0, 1, 700, 2100, 2101, 4999, 5000}), want, 1e-12);
    }
}

TEST(EvalAccumulator, RSquaredStaysExactFarFromZero) {
  // Targets at 1.7e9 (a Unix time) with a spread of 2: the two-pass sum
  // around the mean and the running one agree to rounding.
  mdn::EvalOptions options;
  const Case c = make_case(3000, 1, false, 1.7e9, 3u);
  const mdn::EvalMetrics want = mdn::evaluate(c.mix, c.t, options).metrics;
  const mdn::EvalMetrics got = in_parts(c, options, {0, 1000, 2000, 3000});
  ASSERT_TRUE(std::isfinite(want.targets[0].r2));
  // evaluate()'s mean of values near 1.7e9 carries their rounding: 1e-12 off.
  expect_near_relative(got.targets[0].r2, want.targets[0].r2, 1e-10, "R^2 at 1.7e9");
  // Independent check of the reference: R^2 = 1 - SSE / SST from its definition, around the exact mean.
  double mean = 0.0;
  for (int r = 0; r < c.t.rows; ++r) mean += (c.t(r, 0) - 1.7e9) / c.t.rows;
  double sst = 0.0;
  for (int r = 0; r < c.t.rows; ++r) sst += (c.t(r, 0) - 1.7e9 - mean) * (c.t(r, 0) - 1.7e9 - mean);
  const double sse = want.targets[0].rmse * want.targets[0].rmse * c.t.rows;
  expect_near_relative(got.targets[0].r2, 1.0 - sse / sst, 1e-12, "R^2 by definition");
}

TEST(EvalAccumulator, RefusesNoRowsAndMismatchedParts) {
  mdn::EvalOptions options;
  mdn::EvalAccumulator empty(options);
  EXPECT_THROW(empty.metrics(), mdn::Error);
  const Case one = make_case(10, 1, false, 0.0, 1u), two = make_case(10, 2, false, 0.0, 2u);
  mdn::EvalAccumulator acc(options);
  const std::vector<double> levels = mdn::evaluation_quantile_levels(options);
  mdn::PredictiveStatistics s1{mdn::predictive_moments(one.mix), mdn::predictive_quantiles(one.mix, levels)};
  acc.add(one.mix, one.t, s1, {}, 0);
  mdn::PredictiveStatistics s2{mdn::predictive_moments(two.mix), mdn::predictive_quantiles(two.mix, levels)};
  EXPECT_THROW(acc.add(two.mix, two.t, s2, {}, 10), mdn::Error);
  EXPECT_THROW(acc.add(one.mix, one.t, s1, {1.0, -1.0, 1, 1, 1, 1, 1, 1, 1, 1}, 10), mdn::Error);
}

}  // namespace
