// Training through a target transform (src/train/target_transforms.hpp):
// without one the model is the same bits as before (an empty option, an
// explicit none, and auto choosing none give identical weights); with one the
// reported NLLs are in original units (the history plus the per-split
// Jacobian equals mixture_nll on the same validation rows); a
// mismatched list of modes is refused (full covariance: the CLI test).
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "mdn/backend.hpp"
#include "mdn/error.hpp"
#include "mdn/inference.hpp"
#include "mdn/metrics.hpp"
#include "mdn/trainer.hpp"

namespace {

using Mode = mdn::TrainOptions::TargetTransformMode;

// y = exp(0.5 + x + 0.4 e) (lognormal) or its log (Gaussian): `gaussian`.
mdn::Dataset data_set(int rows, bool gaussian, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> ux(-1.0, 1.0);
  std::normal_distribution<double> e(0.0, 1.0);
  mdn::Dataset d;
  d.x = mdn::MatrixD(rows, 1);
  d.t = mdn::MatrixD(rows, 1);
  for (int r = 0; r < rows; ++r) {
    d.x.set(r, 0, ux(rng));
    const double u = 0.5 + d.x(r, 0) + 0.4 * e(rng);
    d.t(r, 0) = gaussian ? u : std::exp(u);
  }
  d.feature_names = {"x"};
  d.target_names = {"y"};
  return d;
}

mdn::ModelSpec spec() {
  mdn::ModelSpec s;
  s.input_dim = 1, s.target_dim = 1, s.components = 3, s.hidden = {16};
  return s;
}

mdn::Model fit(const mdn::Dataset& data, std::vector<Mode> modes) {
  mdn::TrainOptions o;
  o.epochs = 8;
  o.seed = 5;
  o.target_transform = std::move(modes);
  auto backend = mdn::make_cpu_backend(spec());
  return mdn::train(*backend, spec(), data, o);
}

TEST(TransformTraining, NoTransformIsTheSameModelBitForBit) {
  const mdn::Dataset data = data_set(600, true, 1);
  const mdn::Model plain = fit(data, {});
  const mdn::Model none = fit(data, {Mode::None});
  const mdn::Model auto_none = fit(data, {Mode::Auto});  // Gaussian target: auto keeps none
  EXPECT_FALSE(auto_none.has_target_transform());
  EXPECT_EQ(plain.params, none.params);
  EXPECT_EQ(plain.params, auto_none.params);
  EXPECT_EQ(plain.stats.t_mean, auto_none.stats.t_mean);
  // And a transform does change the model.
  EXPECT_NE(plain.params, fit(data, {Mode::YeoJohnson}).params);
}

TEST(TransformTraining, ReportedValidationNllIsInOriginalUnits) {
  const mdn::Dataset data = data_set(800, false, 2);
  mdn::TrainOptions o;
  o.epochs = 10;
  o.seed = 3;
  o.patience = 0;
  o.calibrate = mdn::TrainOptions::CalibrateMode::Off;
  o.target_transform = {Mode::Log};
  mdn::Dataset val = data_set(300, false, 9);
  mdn::TrainHooks hooks;
  hooks.validation = &val;
  auto backend = mdn::make_cpu_backend(spec());
  const mdn::Model m = mdn::train(*backend, spec(), data, o, hooks);
  ASSERT_TRUE(m.has_target_transform());
  const mdn::MixtureBatch mix = mdn::predict_mixtures(*backend, m, val.x.to_double());
  double nll = 0.0;
  for (int r = 0; r < val.x.rows; ++r) nll += mdn::mixture_nll(mix, r, val.t.row(r));
  nll /= val.x.rows;
  const double reported = m.history.val_nll[std::size_t(m.history.best_epoch) - 1] + m.val_log_jacobian();
  EXPECT_NEAR(reported, nll, 2e-4);  // the history is float
}

TEST(TransformTraining, RefusesAMismatchedList) {
  mdn::Dataset data = data_set(100, false, 3);
  mdn::ModelSpec s = spec();
  mdn::TrainOptions o;
  o.epochs = 1;
  o.target_transform = {Mode::Log, Mode::None};
  auto backend = mdn::make_cpu_backend(s);
  EXPECT_THROW(mdn::train(*backend, s, data, o), mdn::UsageError);
}

}  // namespace
