// Every number a user sees when the target sits far from 0 (means of 0, 1e4,
// 1e6 and 1e9 with a spread of 0.05) and a feature is a Unix timestamp
// (1.7e9 + a few minutes): predictive mean and std, quantiles, CRPS, NLL and
// samples, against test::StandardisedRow (the row's mixture in standardised
// units, in double, by the plainest formulas, mapped to original units by
// hand). Before data entered in double and moments were centred, the std at
// a mean of 1e6 came out 2500 times too large and the timestamp kept two
// distinct values.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <set>
#include <vector>

#include "common/standardised_reference.hpp"
#include "mdn/backend.hpp"
#include "mdn/inference.hpp"
#include "mdn/metrics.hpp"
#include "mdn/predictive.hpp"
#include "mdn/sampling.hpp"
#include "mdn/standardizer.hpp"

namespace mdn {
namespace {

constexpr double kTimestamp = 1.7e9;
constexpr double kSpread = 0.05;

// A small network with deterministic weights whose mixtures are multi-modal,
// its feature 0 a timestamp (mean 1.7e9 + 50, scale ~29), its target at
// `offset` with scale kSpread.
Model offset_model(double offset) {
  Model model;
  model.spec.input_dim = 2;
  model.spec.target_dim = 1;
  model.spec.components = 3;
  model.spec.hidden = {8};
  const ParameterLayout layout(model.spec);
  model.params.resize(layout.total);
  for (std::size_t i = 0; i < model.params.size(); ++i) model.params[i] = float(0.4 * std::sin(1.3 * double(i) + 0.4));
  // Head biases: component means apart (-2, 0, 2 standardised units) with
  // sigmas near 0.25, so rows are multi-modal and the moments' centring matters.
  const int K = model.spec.components;
  const std::size_t bias = layout.head().bias_offset;
  for (int k = 0; k < K; ++k) {
    model.params[bias + std::size_t(K + k)] = -1.4f;                 // log sigma
    model.params[bias + std::size_t(2 * K + k)] = float(2 * k - 2);  // mean
  }
  model.stats.x_mean = {kTimestamp + 50.0, 0.0};
  model.stats.x_scale = {28.9, 1.0};
  model.stats.t_mean = {offset};
  model.stats.t_scale = {kSpread};
  model.feature_names = {"time", "u"};
  model.target_names = {"y"};
  return model;
}

// One forward block of inputs: timestamps 1.7e9 + U(0, 100) s and a plain feature.
MatrixD offset_inputs() {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> seconds(0.0, 100.0), plain(-1.0, 1.0);
  MatrixD x(kForwardBlock, 2);
  for (int r = 0; r < x.rows; ++r) {
    x(r, 0) = kTimestamp + seconds(rng);
    x(r, 1) = plain(rng);
  }
  return x;
}

// The head outputs of the same rows, standardised by hand (double, then float).
Matrix reference_heads(Backend& backend, const Model& model, const MatrixD& x) {
  Matrix xs(x.rows, x.cols);
  for (int r = 0; r < x.rows; ++r)
    for (int c = 0; c < x.cols; ++c) xs(r, c) = float((x(r, c) - model.stats.x_mean[c]) / model.stats.x_scale[c]);
  return backend.forward(xs);
}

class LargeOffset : public ::testing::TestWithParam<double> {};

TEST_P(LargeOffset, EveryOutputMatchesTheStandardisedReference) {
  const double offset = GetParam();
  const Model model = offset_model(offset);
  auto backend = make_backend(DeviceKind::Cpu, model);
  const MatrixD x = offset_inputs();
  const Matrix z = reference_heads(*backend, model, x);
  // The timestamps reach the network with their resolution (rounded to float
  // before standardising, 1.7e9 + U(0, 100) keeps a handful of values).
  ASSERT_EQ(head_outputs(*backend, model, x, 0, x.rows).data, z.data);

  const MixtureBatch mix = predict_mixtures(*backend, model, x);
  const PredictiveMoments moments = predictive_moments(mix);
  const std::vector<double> levels{0.05, 0.5, 0.95};
  const std::vector<double> q = predictive_quantiles(mix, levels);
  const double t_mean = model.stats.t_mean[0], t_scale = model.stats.t_scale[0];
  int multimodal = 0;
  for (int r = 0; r < x.rows; r += 37) {
    const test::StandardisedRow ref = test::StandardisedRow::from_head(model.spec, z.row(r), 0);
    const double want_sd = t_scale * ref.stddev();
    multimodal += ref.stddev() > 1.5 * *std::max_element(ref.s.begin(), ref.s.end());
    EXPECT_NEAR(moments.stddev[r], want_sd, 1e-3 * want_sd) << "offset " << offset << " row " << r;
    EXPECT_NEAR(moments.mean[r], t_mean + t_scale * ref.mean(), 1e-3 * want_sd) << "offset " << offset;
    for (std::size_t j = 0; j < levels.size(); ++j)
      EXPECT_NEAR(q[r * levels.size() + j], t_mean + t_scale * ref.quantile(levels[j]), 1e-3 * want_sd)
          << "offset " << offset << " row " << r << " level " << levels[j];

    // Scores at an observation about 0.7 std above the mean (u: the double y's
    // own standardised value; at 1e9 a double resolves 1.2e-7, 2.4e-6 of u).
    const double y = t_mean + t_scale * (ref.mean() + 0.7 * ref.stddev()), u = (y - t_mean) / t_scale;
    const double want_crps = t_scale * ref.crps(u);
    EXPECT_NEAR(mixture_crps(mix, r, 0, y), want_crps, 1e-3 * want_crps) << "offset " << offset << " row " << r;
    EXPECT_NEAR(mixture_nll(mix, r, &y), -std::log(ref.pdf(u) / t_scale), 1e-3) << "offset " << offset;
    EXPECT_NEAR(mixture_pit(mix, r, 0, y), ref.cdf(u), 1e-6) << "offset " << offset;
  }
  EXPECT_GT(multimodal, 0) << "no row spreads its components apart: the centring is not exercised";
}

TEST_P(LargeOffset, SamplesHaveTheMixturesMeanAndSpread) {
  const double offset = GetParam();
  const Model model = offset_model(offset);
  auto backend = make_backend(DeviceKind::Cpu, model);
  MatrixD x = offset_inputs();
  x.rows = 4;
  x.data.resize(std::size_t(4) * 2);
  const Matrix z = reference_heads(*backend, model, offset_inputs());
  const MixtureBatch mix = predict_mixtures(*backend, model, x);
  const int S = 20000;
  const std::vector<double> draws = sample_mixtures(mix, S, SampleOptions{7});
  for (int r = 0; r < x.rows; ++r) {
    const test::StandardisedRow ref = test::StandardisedRow::from_head(model.spec, z.row(r), 0);
    double sum = 0.0, squares = 0.0;
    for (int s = 0; s < S; ++s) sum += (draws[std::size_t(r) * S + s] - offset) / kSpread;
    const double mean = sum / S;
    for (int s = 0; s < S; ++s) {
      const double e = (draws[std::size_t(r) * S + s] - offset) / kSpread - mean;
      squares += e * e;
    }
    const double sd = std::sqrt(squares / (S - 1));
    // Five standard errors (the std's: sd / sqrt(2 S) for a near-normal shape,
    // doubled for a mixture's heavier kurtosis).
    EXPECT_NEAR(mean, ref.mean(), 5.0 * ref.stddev() / std::sqrt(double(S))) << "offset " << offset;
    EXPECT_NEAR(sd, ref.stddev(), 10.0 * ref.stddev() / std::sqrt(2.0 * S)) << "offset " << offset;
  }
}

INSTANTIATE_TEST_SUITE_P(TargetMeans, LargeOffset, ::testing::Values(0.0, 1e4, 1e6, 1e9));

// The standardiser against a straightforward two-pass computation in long
// double, on a timestamp column and a target at 1e9.
TEST(StandardizerOffsets, StatisticsAndValuesKeepTheirDigits) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> seconds(0.0, 100.0);
  std::normal_distribution<double> noise(0.0, kSpread);
  const int n = 5000;
  MatrixD x(n, 1), t(n, 1);
  for (int r = 0; r < n; ++r) {
    x(r, 0) = kTimestamp + seconds(rng);
    t(r, 0) = 1e9 + noise(rng);
  }
  const Standardizer s = Standardizer::fit(x, t);
  for (const auto& [m, mean, scale] :
       {std::tuple{&x, s.x_mean[0], s.x_scale[0]}, std::tuple{&t, s.t_mean[0], s.t_scale[0]}}) {
    long double sum = 0.0L;
    for (int r = 0; r < n; ++r) sum += (*m)(r, 0);
    const long double mu = sum / n;
    long double ss = 0.0L;
    for (int r = 0; r < n; ++r) ss += ((*m)(r, 0) - mu) * ((*m)(r, 0) - mu);
    const double sd = double(std::sqrt(ss / n));  // population std
    EXPECT_NEAR(mean, double(mu), 1e-5 * sd);
    EXPECT_NEAR(scale, sd, 1e-9 * sd);
  }
  const Matrix xs = s.standardize_x(x);
  std::set<float> distinct(xs.data.begin(), xs.data.end());
  EXPECT_GT(distinct.size(), std::size_t(n) * 9 / 10) << "the timestamps collapsed onto a few values";
  const Matrix ts = s.standardize_t(t);
  for (int r = 0; r < n; r += 97) EXPECT_NEAR(ts(r, 0), (t(r, 0) - s.t_mean[0]) / s.t_scale[0], 1e-6);
  const MatrixD back = s.unstandardize_t(ts);
  for (int r = 0; r < n; r += 97) EXPECT_NEAR(back(r, 0), t(r, 0), 1e-6 * kSpread);
}

}  // namespace
}  // namespace mdn
