// Sample weights (Dataset::weights), validation rows of one's own
// (TrainHooks::validation), starting from a model (TrainHooks::init_model)
// and the training warnings (TrainingHistory::warnings), on the CPU backend.
// The references are independent: a weight of 0 is the row left out, an
// integer weight is the row repeated, and the validation NLL is recomputed
// from the saved model.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "mdn/backend.hpp"
#include "mdn/calibration.hpp"
#include "mdn/error.hpp"
#include "mdn/inference.hpp"
#include "mdn/metrics.hpp"
#include "mdn/model_io.hpp"
#include "mdn/standardizer.hpp"
#include "mdn/trainer.hpp"
#include "train/training_warnings.hpp"

namespace {

using mdn::Dataset;
using mdn::MatrixD;

// y = sin(2x) + 0.1 noise on x in [-2, 2], plus `shifted` rows whose y is 5
// higher (a different problem, to make their influence visible).
Dataset sine(int rows, int shifted, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-2.0, 2.0);
  std::normal_distribution<double> n(0.0, 0.1);
  Dataset d;
  d.x = MatrixD(rows + shifted, 1);
  d.t = MatrixD(rows + shifted, 1);
  for (int r = 0; r < rows + shifted; ++r) {
    d.x.set(r, 0, u(rng));
    d.t(r, 0) = std::sin(2.0 * d.x(r, 0)) + n(rng) + (r >= rows ? 5.0 : 0.0);
  }
  d.feature_names = {"x"};
  d.target_names = {"y"};
  return d;
}

// The first `rows` rows of d.
Dataset head_rows(const Dataset& d, int rows) {
  Dataset out = d;
  out.x = MatrixD(rows, d.x.cols);
  out.t = MatrixD(rows, d.t.cols);
  for (int r = 0; r < rows; ++r) {
    out.x.set(r, 0, d.x(r, 0));
    out.t(r, 0) = d.t(r, 0);
  }
  out.weights.clear();
  return out;
}

mdn::ModelSpec small_spec(int K = 3) {
  mdn::ModelSpec s;
  s.input_dim = 1;
  s.target_dim = 1;
  s.components = K;
  s.hidden = {16};
  return s;
}

mdn::TrainOptions quick(int epochs = 15) {
  mdn::TrainOptions o;
  o.epochs = epochs;
  o.batch_size = 32;
  o.seed = 3;
  return o;
}

mdn::Model fit(const Dataset& d, const mdn::TrainOptions& o = quick(), const mdn::TrainHooks& hooks = {},
               const mdn::ModelSpec& spec = small_spec()) {
  auto backend = mdn::make_cpu_backend(spec);
  return mdn::train(*backend, spec, d, o, hooks);
}

double normal_cdf(double z) { return 0.5 * std::erfc(-z / std::sqrt(2.0)); }

// Mean over the rows of x of the predicted probability that y > cut.
double mean_tail_mass(const mdn::Model& m, const MatrixD& x, double cut) {
  auto backend = mdn::make_backend(mdn::DeviceKind::Cpu, m);
  const mdn::MixtureBatch mix = mdn::predict_mixtures(*backend, m, x);
  double p = 0.0;
  for (int r = 0; r < mix.rows; ++r)
    for (int k = 0; k < mix.K; ++k)
      p += mix.weight(r, k) * (1.0 - normal_cdf((cut - mix.mean(r, k, 0)) / mix.stddev(r, k, 0)));
  return p / mix.rows;
}

TEST(SampleWeights, RowsOfWeightZeroHaveNoInfluenceAtAll) {
  Dataset all = sine(300, 300, 1);
  all.weights.assign(600, 1.0);
  for (int r = 300; r < 600; ++r) all.weights[std::size_t(r)] = 0.0;
  const mdn::Model weighted = fit(all);
  const mdn::Model without = fit(head_rows(all, 300));
  EXPECT_EQ(weighted.params, without.params);
  EXPECT_EQ(weighted.stats.t_mean, without.stats.t_mean);
  // And the shifted rows would have mattered: unweighted, the model changes.
  all.weights.clear();
  EXPECT_NE(fit(all).params, without.params);
}

TEST(SampleWeights, EqualWeightsAreNoWeights) {
  Dataset d = sine(200, 0, 2);
  const mdn::Model plain = fit(d);
  d.weights.assign(200, 2.5);
  EXPECT_EQ(fit(d).params, plain.params);
}

TEST(SampleWeights, IntegerWeightsBehaveLikeRepeatedRows) {
  // Two groups with the same x: y ~ N(0, 0.3) and N(3, 0.3). Weight 3 on the
  // second (or its rows three times over) puts 3/4 of the mass above 1.5;
  // without weights, half of it.
  const int n = 400;
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::normal_distribution<double> noise(0.0, 0.3);
  Dataset weighted, repeated;
  weighted.feature_names = repeated.feature_names = {"x"};
  weighted.target_names = repeated.target_names = {"y"};
  std::vector<double> xs, ys, ws, xr, yr;
  for (int r = 0; r < n; ++r) {
    const bool high = r % 2 == 1;
    const double x = u(rng), y = (high ? 3.0 : 0.0) + noise(rng);
    xs.push_back(x);
    ys.push_back(y);
    ws.push_back(high ? 3.0 : 1.0);
    for (int c = 0; c < (high ? 3 : 1); ++c) {
      xr.push_back(x);
      yr.push_back(y);
    }
  }
  const auto fill = [](Dataset& d, const std::vector<double>& x, const std::vector<double>& y) {
    MatrixD xs(int(x.size()), 1);
    xs.data = x;
    d.x = xs;
    d.t = MatrixD(int(y.size()), 1);
    d.t.data = y;
  };
  fill(weighted, xs, ys);
  fill(repeated, xr, yr);
  Dataset plain = weighted;
  weighted.weights = ws;
  MatrixD grid(21, 1);
  for (int i = 0; i < 21; ++i) grid(i, 0) = -1.0 + 0.1 * i;
  mdn::TrainOptions o = quick(40);
  o.val_fraction = 0.0f;
  const double p_weighted = mean_tail_mass(fit(weighted, o), grid, 1.5);
  const double p_repeated = mean_tail_mass(fit(repeated, o), grid, 1.5);
  const double p_plain = mean_tail_mass(fit(plain, o), grid, 1.5);
  EXPECT_NEAR(p_weighted, 0.75, 0.05);
  EXPECT_NEAR(p_repeated, 0.75, 0.05);
  EXPECT_NEAR(p_weighted, p_repeated, 0.05);
  EXPECT_NEAR(p_plain, 0.5, 0.05);
}

TEST(SampleWeights, BadWeightsAreUsageErrorsBeforeTraining) {
  Dataset d = sine(50, 0, 3);
  const auto fails_with = [&](std::vector<double> w, const std::string& words) {
    d.weights = std::move(w);
    try {
      fit(d);
      ADD_FAILURE() << "no error for " << words;
    } catch (const mdn::UsageError& e) {
      EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    }
  };
  std::vector<double> w(50, 1.0);
  w[7] = -1.0;
  fails_with(w, "row 8");
  w[7] = NAN;
  fails_with(w, "finite");
  fails_with(std::vector<double>(49, 1.0), "49 weights for 50 rows");
  fails_with(std::vector<double>(50, 0.0), "every weight is 0");
}

TEST(SampleWeights, TheStandardiserCountsAWeightOfTwoAsTwoRows) {
  MatrixD x(3, 1), t(3, 1), xr(5, 1), tr(5, 1);
  const double xs[3] = {1e9 + 1.0, 1e9 + 4.0, 1e9 + 10.0}, ts[3] = {-2.0, 0.5, 7.0};
  const int counts[3] = {2, 1, 2};
  int at = 0;
  for (int r = 0; r < 3; ++r) {
    x(r, 0) = xs[r];
    t(r, 0) = ts[r];
    for (int c = 0; c < counts[r]; ++c, ++at) {
      xr(at, 0) = xs[r];
      tr(at, 0) = ts[r];
    }
  }
  const mdn::Standardizer w = mdn::Standardizer::fit(
      x, t, std::vector<double>{2.0, 1.0, 2.0}, [](double v) { return v; }, 3);
  const mdn::Standardizer rep = mdn::Standardizer::fit(xr, tr);
  EXPECT_NEAR(w.x_mean[0], rep.x_mean[0], 1e-6);
  EXPECT_NEAR(w.x_scale[0], rep.x_scale[0], 1e-9);
  EXPECT_NEAR(w.t_mean[0], rep.t_mean[0], 1e-12);
  EXPECT_NEAR(w.t_scale[0], rep.t_scale[0], 1e-12);
}

// A mixture batch of `rows` rows with different shapes, for the metrics.
mdn::MixtureBatch some_mixtures(const std::vector<int>& rows_of) {
  mdn::MixtureBatch m;
  m.rows = int(rows_of.size());
  m.K = 2;
  m.T = 1;
  for (int r : rows_of) {
    m.alpha.insert(m.alpha.end(), {0.3 + 0.05 * r, 0.7 - 0.05 * r});
    m.mu.insert(m.mu.end(), {-1.0 + 0.2 * r, 1.5 - 0.1 * r});
    m.sigma.insert(m.sigma.end(), {0.5 + 0.1 * r, 0.8});
  }
  return m;
}

TEST(SampleWeights, WeightedScoresAreTheScoresOfRepeatedRows) {
  const std::vector<double> w = {2.0, 0.0, 1.0, 3.0, 1.0};
  const double ys[5] = {0.1, 9.0, -1.2, 1.4, 0.7};
  std::vector<int> rows, repeated;
  MatrixD t(5, 1);
  std::vector<double> t_rep;
  for (int r = 0; r < 5; ++r) {
    rows.push_back(r);
    t(r, 0) = ys[r];
    for (int c = 0; c < int(w[std::size_t(r)]); ++c) {
      repeated.push_back(r);
      t_rep.push_back(ys[r]);
    }
  }
  mdn::EvalOptions o;
  o.weights = w;
  const mdn::EvalMetrics a = mdn::evaluate(some_mixtures(rows), t, o).metrics;
  MatrixD tr(int(t_rep.size()), 1);
  tr.data = t_rep;
  const mdn::EvalMetrics b = mdn::evaluate(some_mixtures(repeated), tr).metrics;
  EXPECT_NEAR(a.nll, b.nll, 1e-12);
  const mdn::TargetMetrics &ta = a.targets[0], &tb = b.targets[0];
  EXPECT_NEAR(ta.rmse, tb.rmse, 1e-12);
  EXPECT_NEAR(ta.mae, tb.mae, 1e-12);
  EXPECT_NEAR(ta.r2, tb.r2, 1e-12);
  EXPECT_NEAR(ta.crps, tb.crps, 1e-12);
  EXPECT_NEAR(ta.mean_std, tb.mean_std, 1e-12);
  EXPECT_NEAR(ta.calibration_error_mean, tb.calibration_error_mean, 1e-12);
  for (std::size_t i = 0; i < ta.intervals.size(); ++i)
    EXPECT_NEAR(ta.intervals[i].coverage, tb.intervals[i].coverage, 1e-12);
  for (std::size_t i = 0; i < ta.pit_density.size(); ++i) EXPECT_NEAR(ta.pit_density[i], tb.pit_density[i], 1e-9);
  // The row of weight 0 sits far out (y = 9): it does not count.
  o.weights = {2.0, 1.0, 1.0, 3.0, 1.0};
  EXPECT_GT(mdn::evaluate(some_mixtures(rows), t, o).metrics.nll, a.nll + 0.5);
}

TEST(SampleWeights, InitialMeansSitAtTheWeightedQuantilesAsForRepeatedRows) {
  const mdn::ModelSpec spec = small_spec(4);
  mdn::Matrix t(5, 1), tr(9, 1);
  const float values[5] = {0.5f, -1.0f, 2.0f, 0.0f, 1.0f};
  const int counts[5] = {1, 1, 1, 1, 5};
  int at = 0;
  std::vector<float> w;
  for (int r = 0; r < 5; ++r) {
    t(r, 0) = values[r];
    w.push_back(float(counts[r]));
    for (int c = 0; c < counts[r]; ++c) tr(at++, 0) = values[r];
  }
  const mdn::ParameterLayout layout(spec);
  const std::size_t means = layout.head().bias_offset + std::size_t(spec.mean_offset());
  const std::vector<float> a = mdn::initial_parameters(spec, t, 1, w), b = mdn::initial_parameters(spec, tr, 1);
  for (int k = 0; k < spec.components; ++k) EXPECT_EQ(a[means + k], b[means + k]) << "component " << k;
  // Unweighted, the heavy 1 would hold one quantile, not three.
  EXPECT_NE(mdn::initial_parameters(spec, t, 1)[means], a[means]);
}

TEST(SampleWeights, TheCalibrationNllIsWeighted) {
  mdn::ModelSpec spec = small_spec(2);
  mdn::Matrix z(3, spec.head_width()), zr(4, spec.head_width()), t(3, 1), tr(4, 1);
  for (int r = 0; r < 3; ++r) {
    for (int j = 0; j < z.cols; ++j) z(r, j) = 0.1f * float(r + 1) * float(j - 2);
    t(r, 0) = 0.3f * float(r) - 0.2f;
  }
  const int rep[4] = {0, 2, 2, 2};  // weights 1, 0, 3
  for (int i = 0; i < 4; ++i) {
    for (int j = 0; j < z.cols; ++j) zr(i, j) = z(rep[i], j);
    tr(i, 0) = t(rep[i], 0);
  }
  const std::vector<float> shift{0.2f};
  EXPECT_NEAR(mdn::shifted_nll(spec, z, t, shift, {1.0f, 0.0f, 3.0f}), mdn::shifted_nll(spec, zr, tr, shift), 1e-9);
}

TEST(ValidationData, ReplacesTheRandomSplitAndIsWhatTheHistoryScores) {
  const Dataset train_rows = sine(300, 0, 7), val_rows = sine(100, 0, 8);
  mdn::TrainHooks hooks;
  hooks.validation = &val_rows;
  mdn::TrainOptions o = quick();
  const mdn::Model a = fit(train_rows, o, hooks);
  o.val_fraction = 0.5f;  // not used: the rows are given
  const mdn::Model b = fit(train_rows, o, hooks);
  EXPECT_EQ(a.params, b.params);
  // The kept epoch's validation NLL is the kept model's NLL on those rows.
  auto backend = mdn::make_cpu_backend(a.spec);
  backend->set_parameters(a.params);
  const double nll = backend->mean_nll(a.stats.standardize_x(val_rows.x.to_double()), a.stats.standardize_t(val_rows.t));
  EXPECT_NEAR(a.history.val_nll[std::size_t(a.history.best_epoch - 1)], nll, 1e-5);
  // Other columns are refused.
  Dataset other = val_rows;
  other.feature_names = {"z"};
  hooks.validation = &other;
  EXPECT_THROW(fit(train_rows, o, hooks), mdn::UsageError);
}

TEST(InitModel, StartsFromTheModelsWeightsAndStatistics) {
  const mdn::Model first = fit(sine(300, 0, 9));
  const Dataset more = sine(200, 0, 10);  // other rows: other statistics if they were refitted
  mdn::TrainHooks hooks;
  hooks.init_model = &first;
  mdn::TrainOptions o = quick(1);
  o.lr = 1e-9f;  // one epoch that cannot move far
  const mdn::Model next = fit(more, o, hooks);
  EXPECT_EQ(next.stats.x_mean, first.stats.x_mean);
  EXPECT_EQ(next.stats.t_scale, first.stats.t_scale);
  ASSERT_EQ(next.params.size(), first.params.size());
  for (std::size_t i = 0; i < next.params.size(); ++i) ASSERT_NEAR(next.params[i], first.params[i], 1e-6) << i;
  // A fresh run from the same options lands elsewhere.
  EXPECT_GT(std::fabs(fit(more, o).params[0] - first.params[0]), 1e-4);
}

TEST(InitModel, AnotherArchitectureOrOtherColumnsAreNamed) {
  const mdn::Model first = fit(sine(100, 0, 11), quick(2));
  mdn::TrainHooks hooks;
  hooks.init_model = &first;
  const auto message = [&](const Dataset& d, const mdn::ModelSpec& spec, int ensemble) {
    mdn::TrainOptions o = quick(2);
    o.ensemble = ensemble;
    try {
      fit(d, o, hooks, spec);
    } catch (const mdn::UsageError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  const Dataset d = sine(100, 0, 12);
  EXPECT_NE(message(d, small_spec(5), 1).find("components (K): 3 vs 5"), std::string::npos);
  Dataset renamed = d;
  renamed.feature_names = {"u"};
  EXPECT_NE(message(renamed, small_spec(), 1).find("other columns"), std::string::npos);
  EXPECT_NE(message(d, small_spec(), 2).find("ensemble"), std::string::npos);
}

TEST(TrainingWarnings, SayWhatWentWrongAndNothingWhenNothingDid) {
  const Dataset d = sine(300, 0, 13);
  EXPECT_TRUE(fit(d).history.warnings.empty());

  mdn::TrainOptions wild = quick(10);
  wild.lr = 1e3f;
  const mdn::Model bad = fit(d, wild);
  ASSERT_FALSE(bad.history.warnings.empty());
  bool baseline = false;
  for (const std::string& w : bad.history.warnings)
    baseline = baseline || w.find("worse than the baseline") != std::string::npos;
  EXPECT_TRUE(baseline);

  mdn::TrainOptions tiny = quick(5);
  tiny.val_fraction = 0.95f;
  const mdn::Model small = fit(sine(60, 0, 14), tiny);
  ASSERT_FALSE(small.history.warnings.empty());
  EXPECT_NE(small.history.warnings.back().find("only 3 training rows"), std::string::npos)
      << small.history.warnings.back();

  // They are kept in the model file.
  const std::string path = ::testing::TempDir() + "warned.safetensors";
  mdn::save_model(small, path);
  EXPECT_EQ(mdn::load_model(path).history.warnings, small.history.warnings);
  std::remove(path.c_str());
}

TEST(TrainingWarnings, FollowTheDocumentedThresholds) {
  mdn::detail::RunFacts f;
  f.train_rows = mdn::kFewTrainingRows;
  f.val_rows = mdn::kFewValidationRows;
  f.target_dim = 2;
  f.worst_kept_nll = mdn::detail::baseline_nll(2) + 0.99 * mdn::kWorseThanBaselineNats;
  EXPECT_TRUE(mdn::detail::training_warnings(f).empty());
  EXPECT_NEAR(mdn::detail::baseline_nll(1), 0.5 * std::log(2.0 * M_PI) + 0.5, 1e-15);

  f.rollbacks = 2;
  f.worst_kept_nll = mdn::detail::baseline_nll(2) + 1.01 * mdn::kWorseThanBaselineNats;
  f.best_epoch_first = true;
  f.train_rows = mdn::kFewTrainingRows - 1;
  f.val_rows = mdn::kFewValidationRows - 1;
  const std::vector<std::string> w = mdn::detail::training_warnings(f);
  ASSERT_EQ(w.size(), 5u);
  EXPECT_NE(w[0].find("diverged 2 times"), std::string::npos) << w[0];
  EXPECT_NE(w[1].find("worse than the baseline"), std::string::npos) << w[1];
  EXPECT_NE(w[2].find("first epoch"), std::string::npos) << w[2];
  EXPECT_NE(w[3].find("training rows"), std::string::npos) << w[3];
  EXPECT_NE(w[4].find("validation rows"), std::string::npos) << w[4];
  f.val_rows = 0;  // no validation at all is not a tiny validation split
  EXPECT_EQ(mdn::detail::training_warnings(f).size(), 4u);
}

}  // namespace
