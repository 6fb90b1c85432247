// Recalibration: the per-target sigma shift fitted by NLL (against a brute-force
// search), folding it into the head biases scales every sigma, and it
// survives a save/load round trip.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>

#include "mdn/backend.hpp"
#include "mdn/calibration.hpp"
#include "mdn/conformal.hpp"
#include "mdn/inference.hpp"
#include "mdn/metrics.hpp"
#include "mdn/mixture.hpp"
#include "mdn/model_io.hpp"
#include "mdn/synthetic.hpp"
#include "mdn/trainer.hpp"

#include "common/synthetic_dataset.hpp"

namespace {

mdn::ModelSpec spec(int T, int K) {
  mdn::ModelSpec s;
  s.input_dim = 1;
  s.target_dim = T;
  s.components = K;
  s.hidden = {4};
  return s;
}

// Head outputs whose sigmas are too small by a factor ~2 for the targets drawn.
void overconfident(const mdn::ModelSpec& s, int rows, mdn::Matrix& z, mdn::Matrix& t) {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> n01;
  z = mdn::Matrix(rows, s.head_width());
  t = mdn::Matrix(rows, s.target_dim);
  for (int r = 0; r < rows; ++r) {
    for (int k = 0; k < s.components; ++k) {
      z(r, k) = float(0.3 * n01(rng));
      for (int d = 0; d < s.target_dim; ++d) {
        z(r, s.log_sigma_offset() + k * s.target_dim + d) = float(std::log(0.5) + 0.1 * n01(rng) - 0.3 * d);
        z(r, s.mean_offset() + k * s.target_dim + d) = float(k - 0.5 * s.components + 0.2 * n01(rng));
      }
    }
    const int k = int(rng() % std::uint64_t(s.components));
    for (int d = 0; d < s.target_dim; ++d) t(r, d) = z(r, s.mean_offset() + k * s.target_dim + d) + float(n01(rng));
  }
}

TEST(Calibration, OneTargetShiftMatchesABruteForceSearch) {
  const mdn::ModelSpec s = spec(1, 3);
  mdn::Matrix z, t;
  overconfident(s, 400, z, t);
  const std::vector<float> fitted = mdn::fit_log_sigma_shift(s, z, t);
  double best = 0.0, best_nll = INFINITY;
  for (int i = -3000; i <= 3000; ++i) {
    const double v = i * 1e-3;
    const double nll = mdn::shifted_nll(s, z, t, {float(v)});
    if (nll < best_nll) {
      best_nll = nll;
      best = v;
    }
  }
  EXPECT_NEAR(fitted[0], best, 1.5e-3);
  EXPECT_GT(fitted[0], 0.3);  // the sigmas were too small
  EXPECT_LE(mdn::shifted_nll(s, z, t, fitted), best_nll + 1e-9);
  EXPECT_LT(mdn::shifted_nll(s, z, t, fitted), mdn::shifted_nll(s, z, t, {}));
}

TEST(Calibration, TwoTargetsEachGetTheirOwnShift) {
  const mdn::ModelSpec s = spec(2, 2);
  mdn::Matrix z, t;
  overconfident(s, 400, z, t);
  const std::vector<float> fitted = mdn::fit_log_sigma_shift(s, z, t);
  ASSERT_EQ(fitted.size(), 2u);
  const double at = mdn::shifted_nll(s, z, t, fitted);
  for (int d = 0; d < 2; ++d)
    for (float step : {-0.01f, 0.01f}) {
      std::vector<float> moved = fitted;
      moved[d] += step;
      EXPECT_GE(mdn::shifted_nll(s, z, t, moved), at - 1e-9) << "target " << d;
    }
  EXPECT_GT(fitted[1], fitted[0]);  // target 1's sigmas were smaller still
}

TEST(Calibration, FoldingScalesEverySigmaAndCanBeUndone) {
  const mdn::ModelSpec s = spec(2, 3);
  mdn::Model m;
  m.spec = s;
  m.stats.x_mean = {0.0f};
  m.stats.x_scale = {1.0f};
  m.stats.t_mean = {1.0f, 2.0f};
  m.stats.t_scale = {2.0f, 0.5f};
  m.feature_names = {"x"};
  m.target_names = {"a", "b"};
  mdn::Matrix t0(1, 2);
  m.params = mdn::initial_parameters(s, t0, 1);
  auto backend = mdn::make_cpu_backend(s);
  backend->set_parameters(m.params);
  mdn::Matrix x(3, 1);
  x(1, 0) = 0.5f;
  x(2, 0) = -1.0f;
  const mdn::MixtureBatch before = mdn::mixtures_from_head(m, backend->forward(x));

  mdn::Model c = m;
  c.calibration.log_sigma_shift = {0.25f, -0.5f};
  mdn::shift_log_sigma_biases(s, c.params, c.calibration.log_sigma_shift);
  backend->set_parameters(c.params);
  const mdn::MixtureBatch after = mdn::mixtures_from_head(c, backend->forward(x));
  for (int r = 0; r < 3; ++r)
    for (int k = 0; k < 3; ++k)
      for (int d = 0; d < 2; ++d) {
        EXPECT_NEAR(after.stddev(r, k, d), before.stddev(r, k, d) * std::exp(d == 0 ? 0.25 : -0.5),
                    1e-5 * before.stddev(r, k, d));
        EXPECT_EQ(after.mean(r, k, d), before.mean(r, k, d));
        EXPECT_EQ(after.weight(r, k), before.weight(r, k));
      }
  const mdn::Model undone = mdn::without_calibration(c);
  EXPECT_FALSE(undone.calibration.applied());
  for (std::size_t i = 0; i < m.params.size(); ++i) EXPECT_NEAR(undone.params[i], m.params[i], 1e-6);

  // The record travels in the model file.
  c.calibration.val_nll_before = 1.5;
  c.calibration.val_nll_after = 1.25;
  c.calibration.rows = 42;
  const std::string path = ::testing::TempDir() + "calibrated.safetensors";
  mdn::save_model(c, path);
  const mdn::Model loaded = mdn::load_model(path);
  EXPECT_EQ(loaded.calibration.log_sigma_shift, c.calibration.log_sigma_shift);
  EXPECT_EQ(loaded.calibration.rows, 42);
  EXPECT_DOUBLE_EQ(loaded.calibration.val_nll_after, 1.25);
  EXPECT_EQ(loaded.params, c.params);
  std::remove(path.c_str());
}

TEST(Calibration, TrainingFitsItOnTheValidationRowsOrSkipsWithoutEnoughOfThem) {
  const mdn::Dataset data = mdn::test::synthetic_dataset("hetero", 600, 2);
  const mdn::ModelSpec s = spec(1, 2);
  mdn::TrainOptions o;
  o.epochs = 5;
  o.calibrate = mdn::TrainOptions::CalibrateMode::On;  // one network: opt-in (docs/TRAINING.md)
  auto backend = mdn::make_cpu_backend(s);
  const mdn::Model m = mdn::train(*backend, s, data, o);
  // One target: the PIT map (mdn/recalibration.hpp), not the sigma scale.
  EXPECT_FALSE(m.calibration.applied());
  ASSERT_TRUE(m.recalibration.applied());
  EXPECT_EQ(m.recalibration.rows, 60);
  EXPECT_LE(m.recalibration.nll_after, m.recalibration.nll_before + 1e-12);
  EXPECT_NE(m.recalibration.source.find("60 validation rows"), std::string::npos) << m.recalibration.source;
  EXPECT_TRUE(m.history.warnings.empty());
  // 49 validation rows (kMinCalibrationRows - 1): cross-fitting gives every
  // row as a calibration row once (src/train/cross_fit.hpp), and no warning.
  o.val_fraction = float(mdn::kMinCalibrationRows - 1) / 600.0f;
  const mdn::Model few = mdn::train(*backend, s, data, o);
  ASSERT_TRUE(few.recalibration.applied());
  EXPECT_EQ(few.recalibration.rows, 600);
  EXPECT_NE(few.recalibration.source.find("5-fold cross-fitting (600 training rows)"), std::string::npos)
      << few.recalibration.source;
  // The conformal scores too: one per row, not the 49 validation rows'.
  ASSERT_TRUE(few.conformal.available());
  EXPECT_EQ(few.conformal.scores[0].size(), 600u);
  EXPECT_NE(few.conformal.source.find("cross-fitting"), std::string::npos) << few.conformal.source;
  EXPECT_TRUE(few.history.warnings.empty()) << few.history.warnings.front();
  // The same seed gives the same map; the network is the one trained without cross-fitting.
  const mdn::Model again = mdn::train(*backend, s, data, o);
  EXPECT_EQ(again.recalibration.maps[0].knots, few.recalibration.maps[0].knots);
  o.calibrate = mdn::TrainOptions::CalibrateMode::Off;
  EXPECT_EQ(mdn::train(*backend, s, data, o).params, few.params);
  o.calibrate = mdn::TrainOptions::CalibrateMode::On;
  // Fewer than kMinCalibrationRows rows in all: nothing to fit on, and said.
  const mdn::Dataset tiny = mdn::test::synthetic_dataset("hetero", 45, 2);
  o.val_fraction = 0.2f;
  const mdn::Model none = mdn::train(*backend, s, tiny, o);
  EXPECT_FALSE(none.recalibration.applied());
  ASSERT_FALSE(none.history.warnings.empty());
  EXPECT_NE(none.history.warnings.back().find("not recalibrated: 9 validation rows"), std::string::npos)
      << none.history.warnings.back();
}

TEST(Calibration, ByDefaultEnsemblesAreRecalibratedAndOneNetworkIsNot) {
  const mdn::Dataset data = mdn::test::synthetic_dataset("hetero", 600, 2);
  const mdn::ModelSpec s = spec(1, 2);
  mdn::TrainOptions o;  // calibrate: Auto
  o.epochs = 5;
  auto backend = mdn::make_cpu_backend(s);
  EXPECT_FALSE(mdn::train(*backend, s, data, o).recalibration.applied());
  o.ensemble = 2;
  const mdn::Model ensemble = mdn::train(*backend, s, data, o);
  EXPECT_TRUE(ensemble.recalibration.applied());
  EXPECT_EQ(ensemble.recalibration.rows, 60);
  o.calibrate = mdn::TrainOptions::CalibrateMode::Off;
  const mdn::Model off = mdn::train(*backend, s, data, o);
  EXPECT_FALSE(off.recalibration.applied());
  EXPECT_EQ(off.params, ensemble.params);  // the networks are the same either way
}

TEST(Calibration, CrossFittingSeesAnOverDispersedModel) {
  // Heavy target noise in training makes the model wider than the data:
  // held-out PITs pile up in the middle. 200 rows, 20 validation rows, so
  // the map comes from cross-fitting; it must raise the middle, and on new
  // rows the recalibrated central 50 % interval covers close to 50 %.
  const mdn::Dataset data = mdn::test::synthetic_dataset("hetero", 200, 4);
  const mdn::Dataset test = mdn::test::synthetic_dataset("hetero", 4000, 5);
  const mdn::ModelSpec s = spec(1, 2);
  mdn::TrainOptions o;
  o.epochs = 60;
  o.target_noise = 1.0f;
  o.calibrate = mdn::TrainOptions::CalibrateMode::On;
  auto backend = mdn::make_cpu_backend(s);
  const mdn::Model m = mdn::train(*backend, s, data, o);
  ASSERT_TRUE(m.recalibration.applied());
  const mdn::PitMap& g = m.recalibration.maps[0];
  EXPECT_GT(g.density(0.5), 1.3);
  const auto inside_half = [&](const mdn::MixtureBatch& mix) {
    int inside = 0;
    for (int r = 0; r < mix.rows; ++r) {
      const double u = mdn::mixture_pit(mix, r, 0, test.t(r, 0));
      inside += u > 0.25 && u < 0.75;
    }
    return double(inside) / mix.rows;
  };
  auto b = mdn::make_backend(mdn::DeviceKind::Cpu, m);
  mdn::MixtureBatch mix = mdn::predict_mixtures(*b, m, test.x.to_double());
  const double after = inside_half(mix);
  mix.pit_maps.clear();
  const double before = inside_half(mix);
  EXPECT_GT(before, 0.6);
  EXPECT_LT(std::fabs(after - 0.5), std::fabs(before - 0.5) / 2);
}

TEST(Calibration, CrossFittingGivesConformalScoresWhenTheValidationRowsAreTooFew) {
  // 10 validation rows: too few for conformal scores of their own
  // (kMinConformalRows); cross-fitting's out-of-fold PITs give one score per
  // training row instead, also to a network that is not recalibrated, and on
  // new rows the conformal 90 % interval covers at least about 90 % (the
  // fold models are no sharper than the final one). The network itself is
  // the same bits with or without it.
  const mdn::Dataset data = mdn::test::synthetic_dataset("bishop", 300, 6);
  const mdn::Dataset test = mdn::test::synthetic_dataset("bishop", 4000, 7);
  const mdn::ModelSpec s = spec(1, 3);
  mdn::TrainOptions o;
  o.epochs = 40;
  o.val_fraction = 10.0f / 300.0f;
  o.calibrate = mdn::TrainOptions::CalibrateMode::Off;
  o.cross_fit = false;
  auto backend = mdn::make_cpu_backend(s);
  const mdn::Model plain = mdn::train(*backend, s, data, o);
  EXPECT_FALSE(plain.conformal.available());
  o.cross_fit = true;
  const mdn::Model m = mdn::train(*backend, s, data, o);
  EXPECT_FALSE(m.recalibration.applied());
  EXPECT_EQ(m.params, plain.params);
  ASSERT_TRUE(m.conformal.available());
  ASSERT_EQ(m.conformal.scores.size(), 1u);
  EXPECT_EQ(m.conformal.scores[0].size(), 300u);  // every row, validation rows included
  EXPECT_TRUE(std::is_sorted(m.conformal.scores[0].begin(), m.conformal.scores[0].end()));
  EXPECT_NE(m.conformal.source.find("cross-fitting"), std::string::npos) << m.conformal.source;
  auto b = mdn::make_backend(mdn::DeviceKind::Cpu, m);
  const mdn::MixtureBatch mix = mdn::predict_mixtures(*b, m, test.x.to_double());
  std::vector<double> lo, hi;
  mdn::conformal_intervals(mix, m.conformal, 0.9, lo, hi);
  int inside = 0;
  for (int r = 0; r < mix.rows; ++r) inside += test.t(r, 0) >= lo[std::size_t(r)] && test.t(r, 0) <= hi[std::size_t(r)];
  EXPECT_GT(double(inside) / mix.rows, 0.88);
  EXPECT_LT(double(inside) / mix.rows, 0.97);
}

TEST(Calibration, CrossFittingGivesEachTargetItsConformalScores) {
  // ring2d, 200 rows (20 validation rows): per target the out-of-fold
  // scores of every row, which on new rows cover about 90 %. The coverage
  // of one model on new rows varies with its training rows (0.84-0.96 over
  // six seeds here, mean 0.90; as much with the validation rows' scores),
  // so the bounds are loose: a broken score (e.g. |u| for |u - 1/2|) gives
  // the whole line, coverage 1.
  const auto rows = [](int n, std::uint64_t seed) {
    const mdn::SyntheticSet set = mdn::make_synthetic("ring2d", n, seed);
    mdn::Dataset data;
    data.x = mdn::MatrixD(n, 1);
    data.t = mdn::MatrixD(n, 2);
    for (int r = 0; r < n; ++r) {
      data.x.set(r, 0, set.values(r, 0));
      data.t(r, 0) = set.values(r, 1);
      data.t(r, 1) = set.values(r, 2);
    }
    data.feature_names = {"x"};
    data.target_names = {"y1", "y2"};
    return data;
  };
  const mdn::Dataset data = rows(200, 3), test = rows(4000, 4);
  const mdn::ModelSpec s = spec(2, 3);
  mdn::TrainOptions o;
  o.epochs = 30;
  auto backend = mdn::make_cpu_backend(s);
  const mdn::Model m = mdn::train(*backend, s, data, o);
  ASSERT_EQ(m.conformal.scores.size(), 2u);
  auto b = mdn::make_backend(mdn::DeviceKind::Cpu, m);
  const mdn::MixtureBatch mix = mdn::predict_mixtures(*b, m, test.x.to_double());
  std::vector<double> lo, hi;
  mdn::conformal_intervals(mix, m.conformal, 0.9, lo, hi);
  double mean = 0.0;
  for (int d = 0; d < 2; ++d) {
    EXPECT_EQ(m.conformal.scores[std::size_t(d)].size(), 200u) << "target " << d;
    int inside = 0;
    for (int r = 0; r < mix.rows; ++r) {
      const std::size_t i = std::size_t(r) * 2 + std::size_t(d);
      inside += test.t(r, d) >= lo[i] && test.t(r, d) <= hi[i];
    }
    const double coverage = double(inside) / mix.rows;
    EXPECT_GT(coverage, 0.78) << "target " << d;
    EXPECT_LT(coverage, 0.99) << "target " << d;
    mean += coverage / 2;
  }
  EXPECT_GT(mean, 0.85);
}

TEST(Calibration, SeveralTargetsKeepTheSigmaScale) {
  // ring2d: one feature, two targets (columns x, y1, y2).
  const mdn::SyntheticSet set = mdn::make_synthetic("ring2d", 600, 2);
  mdn::Dataset data;
  data.x = mdn::MatrixD(600, 1);
  data.t = mdn::MatrixD(600, 2);
  for (int r = 0; r < 600; ++r) {
    data.x.set(r, 0, set.values(r, 0));
    data.t(r, 0) = set.values(r, 1);
    data.t(r, 1) = set.values(r, 2);
  }
  data.feature_names = {"x"};
  data.target_names = {"y1", "y2"};
  const mdn::ModelSpec s = spec(2, 3);
  mdn::TrainOptions o;
  o.epochs = 5;
  o.calibrate = mdn::TrainOptions::CalibrateMode::On;
  auto backend = mdn::make_cpu_backend(s);
  const mdn::Model m = mdn::train(*backend, s, data, o);
  EXPECT_FALSE(m.recalibration.applied());
  ASSERT_TRUE(m.calibration.applied());
  EXPECT_EQ(m.calibration.log_sigma_shift.size(), 2u);
  EXPECT_LE(m.calibration.val_nll_after, m.calibration.val_nll_before + 1e-12);
}

}  // namespace
