// The training recipe of issue 14: the automatic batch size and step budget,
// the learning-rate schedule in closed form, AdamW's decay, weight averaging,
// resuming a scheduled run, and the exact log-densities of the built-in data
// sets.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "mdn/backend.hpp"
#include "mdn/detail/adam_math.hpp"
#include "mdn/error.hpp"
#include "mdn/synthetic.hpp"
#include "mdn/trainer.hpp"
#include "numeric_integration.hpp"

#include "common/synthetic_dataset.hpp"

namespace {

constexpr double kPi = 3.14159265358979323846;

TEST(Recipe, AutoBatchSizeGrowsWithRowsBetween32And1024) {
  EXPECT_EQ(mdn::auto_batch_size(1), 32);
  EXPECT_EQ(mdn::auto_batch_size(270), 32);
  EXPECT_EQ(mdn::auto_batch_size(2700), 32);
  EXPECT_EQ(mdn::auto_batch_size(27000), 128);  // 105 -> 2^7
  EXPECT_EQ(mdn::auto_batch_size(69000), 256);  // 270 -> 2^8
  EXPECT_EQ(mdn::auto_batch_size(400000), 1024);
  EXPECT_EQ(mdn::auto_batch_size(10000000), 1024);
  for (long long rows = 1; rows < 100000000; rows = rows * 3 / 2 + 1) {
    const int b = mdn::auto_batch_size(rows);
    EXPECT_GE(b, 32);
    EXPECT_LE(b, 1024);
    EXPECT_EQ(b & (b - 1), 0) << "not a power of two: " << b;
  }
}

TEST(Recipe, PlanGivesSmallDataEnoughStepsAndLargeDataAtLeastTenEpochs) {
  const mdn::TrainOptions o;  // the defaults
  const mdn::TrainPlan small = mdn::plan_training(o, 270);
  EXPECT_EQ(small.batch_size, 32);
  EXPECT_EQ(small.steps_per_epoch, 9);
  EXPECT_EQ(small.epochs, (10000 + 8) / 9);
  EXPECT_GE(small.total_steps, 10000);
  EXPECT_EQ(small.patience, small.epochs / 4);

  const mdn::TrainPlan mid_small = mdn::plan_training(o, 2700);
  EXPECT_EQ(mid_small.patience, mid_small.epochs / 2);

  EXPECT_EQ(mdn::auto_step_budget(270), 10000);
  EXPECT_EQ(mdn::auto_step_budget(69000), 34500);
  EXPECT_EQ(mdn::auto_step_budget(10000000), 100000);
  const mdn::TrainPlan mid = mdn::plan_training(o, 69000);
  EXPECT_EQ(mid.batch_size, 256);
  EXPECT_EQ(mid.steps_per_epoch, 270);
  EXPECT_EQ(mid.epochs, (34500 + 269) / 270);

  const mdn::TrainPlan big = mdn::plan_training(o, 10000000);
  EXPECT_EQ(big.batch_size, 1024);
  EXPECT_EQ(big.epochs, 11);  // 100,000 steps of 9,766 per epoch
  EXPECT_EQ(big.patience, 10);
  EXPECT_EQ(mdn::plan_training(o, 100000000).epochs, mdn::kMinAutoEpochs);

  mdn::TrainOptions fixed;
  fixed.epochs = 7;
  fixed.batch_size = 100;
  fixed.patience = 3;
  const mdn::TrainPlan f = mdn::plan_training(fixed, 1050);
  EXPECT_EQ(f.epochs, 7);
  EXPECT_EQ(f.steps_per_epoch, 11);
  EXPECT_EQ(f.total_steps, 77);
  EXPECT_EQ(f.patience, 3);

  mdn::TrainOptions budget;
  budget.steps = 50;
  budget.batch_size = 10;
  EXPECT_EQ(mdn::plan_training(budget, 100).epochs, 5);
  budget.steps = 5;  // an explicit budget is honoured, down to one epoch
  EXPECT_EQ(mdn::plan_training(budget, 100).epochs, 1);
}

TEST(Recipe, CosineScheduleMatchesItsClosedForm) {
  mdn::TrainOptions o;
  o.warmup_fraction = 0.1f;
  o.min_lr_fraction = 0.05f;
  mdn::TrainPlan plan;
  plan.total_steps = 1001;
  plan.warmup_steps = 100;
  const float lr = 0.004f;
  // Warm-up: linear, (step + 1) / (warmup + 1) of the peak.
  EXPECT_FLOAT_EQ(mdn::scheduled_lr(o, plan, lr, 0), lr / 101.0f);
  EXPECT_FLOAT_EQ(mdn::scheduled_lr(o, plan, lr, 49), lr * 50.0f / 101.0f);
  // Then lr (f + (1 - f) (1 + cos(pi p)) / 2) with p = (step - warmup) / (total - warmup - 1).
  for (long long step : {100LL, 325LL, 550LL, 775LL, 1000LL}) {
    const double p = double(step - 100) / 900.0;
    const double expected = 0.004 * (0.05 + 0.95 * 0.5 * (1.0 + std::cos(kPi * p)));
    EXPECT_NEAR(mdn::scheduled_lr(o, plan, lr, step), expected, 1e-9) << "step " << step;
  }
  EXPECT_FLOAT_EQ(mdn::scheduled_lr(o, plan, lr, 100), lr);
  EXPECT_NEAR(mdn::scheduled_lr(o, plan, lr, 1000), 0.05 * 0.004, 1e-9);
  EXPECT_NEAR(mdn::scheduled_lr(o, plan, lr, 550), 0.004 * (0.05 + 0.95 * 0.5), 1e-9);
  o.schedule = mdn::LrSchedule::Constant;
  EXPECT_EQ(mdn::scheduled_lr(o, plan, lr, 0), lr);
  EXPECT_EQ(mdn::scheduled_lr(o, plan, lr, 1000), lr);
}

TEST(Recipe, WeightDecayIsDecoupledAndZeroDecayIsPlainAdam) {
  float p1 = 0.5f, m1 = 0.0f, v1 = 0.0f, p2 = 0.5f, m2 = 0.0f, v2 = 0.0f;
  mdn::detail::adam_update(p1, m1, v1, 0.2f, 0.01f, 0.9f, 0.999f, 1e-8f, 0.1f, 0.001f);
  mdn::detail::adam_update(p2, m2, v2, 0.2f, 0.01f, 0.9f, 0.999f, 1e-8f, 0.1f, 0.001f, 0.0f);
  EXPECT_EQ(p1, p2);
  float p3 = 0.5f, m3 = 0.0f, v3 = 0.0f;
  mdn::detail::adam_update(p3, m3, v3, 0.2f, 0.01f, 0.9f, 0.999f, 1e-8f, 0.1f, 0.001f, 0.1f);
  EXPECT_NEAR(p3, p1 - 0.01f * 0.1f * 0.5f, 1e-7);
}

mdn::Dataset hetero(int rows) { return mdn::test::synthetic_dataset("hetero", rows, 4); }

TEST(Recipe, ResumingAScheduledRunGivesTheUninterruptedModel) {
  mdn::ModelSpec spec;
  spec.input_dim = 1;
  spec.target_dim = 1;
  spec.components = 2;
  spec.hidden = {8};
  const mdn::Dataset data = hetero(300);
  mdn::TrainOptions o;
  o.steps = 120;  // 270 training rows, batch 32: 9 steps per epoch, 14 epochs
  o.weight_decay = 1e-3f;
  o.weight_average = 0.5f;  // a 7-epoch average, carried over the interruption
  o.seed = 3;
  auto full_backend = mdn::make_cpu_backend(spec);
  const mdn::Model full = mdn::train(*full_backend, spec, data, o);

  mdn::Model saved_model;
  mdn::TrainingState saved_state;
  mdn::TrainHooks hooks;
  o.checkpoint_every = 5;
  hooks.on_checkpoint = [&](const mdn::Model& m, const mdn::TrainingState& s) {
    if (s.epoch == 5) {
      saved_model = m;
      saved_state = s;
    }
  };
  auto first = mdn::make_cpu_backend(spec);
  (void)mdn::train(*first, spec, data, o, hooks);
  ASSERT_EQ(saved_state.epoch, 5);
  mdn::TrainHooks resume;
  resume.resume_model = &saved_model;
  resume.resume_state = &saved_state;
  auto second = mdn::make_cpu_backend(spec);
  const mdn::Model resumed = mdn::train(*second, spec, data, o, resume);
  EXPECT_EQ(resumed.params, full.params);
  EXPECT_EQ(resumed.history.val_nll, full.history.val_nll);
}

TEST(Recipe, StepBudgetHasAMidSizeBumpAndHalfAStepPerRowForLargeData) {
  EXPECT_EQ(mdn::auto_step_budget(1), 10000);
  EXPECT_EQ(mdn::auto_step_budget(270), 10000);
  EXPECT_EQ(mdn::auto_step_budget(1250), 10000);
  EXPECT_EQ(mdn::auto_step_budget(2700), 20000);
  EXPECT_EQ(mdn::auto_step_budget(5000), 20000);
  EXPECT_EQ(mdn::auto_step_budget(10000), 10000);
  EXPECT_EQ(mdn::auto_step_budget(27000), 13500);
  for (long long rows = 1; rows < 100000000; rows = rows * 5 / 4 + 1) {
    const long long b = mdn::auto_step_budget(rows);
    EXPECT_GE(b, 10000);
    EXPECT_LE(b, 100000);
    if (rows >= 40000) {
      EXPECT_EQ(b, std::min(100000LL, rows / 2)) << rows;
    }
  }
}

TEST(Recipe, AutomaticNoiseIsForSmallDataOnlyAndExplicitNoiseIsHonoured) {
  EXPECT_EQ(mdn::auto_input_noise(100), 0.0f);
  EXPECT_FLOAT_EQ(mdn::auto_target_noise(100), 0.05f);
  EXPECT_FLOAT_EQ(mdn::auto_target_noise(500), 0.05f);
  EXPECT_EQ(mdn::auto_target_noise(2000), 0.0f);
  EXPECT_EQ(mdn::auto_target_noise(69000), 0.0f);
  float last = 1.0f;
  for (long long rows = 1; rows < 10000; rows += 37) {
    const float h = mdn::auto_target_noise(rows);
    EXPECT_LE(h, last) << rows;
    EXPECT_GE(h, 0.0f);
    last = h;
  }
  mdn::TrainOptions o;
  EXPECT_FLOAT_EQ(mdn::plan_training(o, 270).target_noise, mdn::auto_target_noise(270));
  EXPECT_EQ(mdn::plan_training(o, 69000).target_noise, 0.0f);
  o.input_noise = 0.2f;
  o.target_noise = 0.0f;
  EXPECT_EQ(mdn::plan_training(o, 270).input_noise, 0.2f);
  EXPECT_EQ(mdn::plan_training(o, 270).target_noise, 0.0f);
  o.target_noise = -0.5f;
  EXPECT_THROW(mdn::plan_training(o, 270), mdn::UsageError);
}

TEST(Recipe, AutomaticWeightAverageIsForUpToMidSizeDataAndOptionsAreChecked) {
  EXPECT_FLOAT_EQ(mdn::auto_weight_average(270), 0.05f);
  EXPECT_FLOAT_EQ(mdn::auto_weight_average(30000), 0.05f);
  EXPECT_EQ(mdn::auto_weight_average(60000), 0.0f);
  EXPECT_EQ(mdn::auto_weight_average(10000000), 0.0f);
  float last = 1.0f;
  for (long long rows = 1; rows < 100000; rows = rows * 9 / 8 + 1) {
    const float a = mdn::auto_weight_average(rows);
    EXPECT_LE(a, last) << rows;
    EXPECT_GE(a, 0.0f);
    last = a;
  }
  mdn::TrainOptions o;
  const mdn::TrainPlan small = mdn::plan_training(o, 270);  // 1,112 epochs: a 56-epoch average
  EXPECT_EQ(small.average_epochs, int(std::lround(0.05 * small.epochs)));
  EXPECT_LE(mdn::plan_training(o, 62000).average_epochs, 1);
  o.weight_average = 0.0f;
  EXPECT_EQ(mdn::plan_training(o, 270).average_epochs, 0);
  o.weight_average = 0.25f;
  o.epochs = 40;
  EXPECT_EQ(mdn::plan_training(o, 62000).average_epochs, 10);
  for (float bad : {-0.5f, 1.5f, NAN}) {
    o.weight_average = bad;
    EXPECT_THROW(mdn::plan_training(o, 270), mdn::UsageError) << bad;
  }
}

// The running mean up to the horizon, then an exponential average with
// weight 1 / horizon, written out separately.
TEST(Recipe, WeightAverageUpdateIsTheRunningMeanThenAnExponentialAverage) {
  const std::vector<double> p = {1.0, 4.0, -2.0, 8.0, 0.5, 3.0};
  std::vector<float> averaged;
  double expected = 0.0;
  for (int epoch = 1; epoch <= int(p.size()); ++epoch) {
    mdn::update_weight_average(averaged, {float(p[epoch - 1]), 2.0f}, epoch, 3);
    if (epoch <= 3) {
      double sum = 0.0;
      for (int i = 0; i < epoch; ++i) sum += p[i];
      expected = sum / epoch;
    } else {
      expected = (2.0 / 3.0) * expected + (1.0 / 3.0) * p[epoch - 1];
    }
    ASSERT_EQ(averaged.size(), 2u);
    EXPECT_NEAR(averaged[0], expected, 1e-6) << "epoch " << epoch;
    EXPECT_EQ(averaged[1], 2.0f);
  }
}

mdn::ModelSpec small_spec() {
  mdn::ModelSpec spec;
  spec.input_dim = 1;
  spec.target_dim = 1;
  spec.components = 2;
  spec.hidden = {8};
  return spec;
}

TEST(Recipe, NoiseRegularisationIsDeterministicAndChangesTheModel) {
  const mdn::ModelSpec spec = small_spec();
  const mdn::Dataset data = hetero(300);
  mdn::TrainOptions o;
  o.steps = 90;
  o.seed = 5;
  o.target_noise = 0.05f;
  o.input_noise = 0.05f;
  auto b1 = mdn::make_cpu_backend(spec);
  auto b2 = mdn::make_cpu_backend(spec);
  const mdn::Model a = mdn::train(*b1, spec, data, o);
  const mdn::Model b = mdn::train(*b2, spec, data, o);
  EXPECT_EQ(a.params, b.params);
  o.target_noise = 0.0f;
  o.input_noise = 0.0f;
  auto b3 = mdn::make_cpu_backend(spec);
  const mdn::Model plain = mdn::train(*b3, spec, data, o);
  EXPECT_NE(a.params, plain.params);
  for (float v : a.params) ASSERT_TRUE(std::isfinite(v));
}

// Training keeps the average: every epoch's average follows the update from
// that epoch's raw weights, and the model is the average of the best epoch.
TEST(Recipe, TrainingKeepsTheAveragedWeightsOfTheBestEpoch) {
  const mdn::ModelSpec spec = small_spec();
  const mdn::Dataset data = hetero(300);
  mdn::TrainOptions o;
  o.epochs = 12;
  o.patience = 0;
  o.seed = 8;
  o.weight_average = 0.25f;  // a 3-epoch average
  o.checkpoint_every = 1;
  std::vector<std::vector<float>> raw, averaged;
  mdn::TrainHooks hooks;
  hooks.on_checkpoint = [&](const mdn::Model&, const mdn::TrainingState& s) {
    raw.push_back(s.params);
    averaged.push_back(s.averaged_params);
  };
  auto backend = mdn::make_cpu_backend(spec);
  const mdn::Model model = mdn::train(*backend, spec, data, o, hooks);
  ASSERT_EQ(raw.size(), 12u);
  std::vector<float> expected;
  for (int e = 1; e <= 12; ++e) {
    mdn::update_weight_average(expected, raw[e - 1], e, 3);
    EXPECT_EQ(averaged[e - 1], expected) << "epoch " << e;
  }
  EXPECT_NE(averaged.back(), raw.back());
  const int best = model.history.best_epoch;
  ASSERT_GE(best, 1);
  EXPECT_EQ(model.params, averaged[best - 1]);
}

TEST(Recipe, BootstrapKeepsMemberZeroAndResamplesTheOthers) {
  const mdn::ModelSpec spec = small_spec();
  const mdn::Dataset data = hetero(300);
  mdn::TrainOptions o;
  o.steps = 60;
  o.seed = 6;
  o.ensemble = 2;
  o.target_noise = 0.0f;
  auto b1 = mdn::make_cpu_backend(spec);
  const mdn::Model plain = mdn::train(*b1, spec, data, o);
  o.bootstrap = true;
  auto b2 = mdn::make_cpu_backend(spec);
  const mdn::Model boot = mdn::train(*b2, spec, data, o);
  auto b3 = mdn::make_cpu_backend(spec);
  const mdn::Model boot_again = mdn::train(*b3, spec, data, o);
  const std::size_t n = mdn::ParameterLayout(spec).total;
  ASSERT_EQ(boot.params.size(), 2 * n);
  EXPECT_TRUE(std::equal(boot.params.begin(), boot.params.begin() + n, plain.params.begin()));
  EXPECT_FALSE(std::equal(boot.params.begin() + n, boot.params.end(), plain.params.begin() + n));
  EXPECT_EQ(boot.params, boot_again.params);
}

// Each built-in set's exact conditional density integrates to 1 over t.
TEST(SyntheticDensity, IntegratesToOne) {
  for (double x : {0.05, 0.3, 0.5, 0.62, 0.95}) {
    const double xs[1] = {x};
    const double hetero_mass = mdn::test::simpson(
        [&](double y) {
          const double t[1] = {y};
          return std::exp(mdn::synthetic_log_density("hetero", xs, t));
        },
        -3.0, 5.0, 20000);
    EXPECT_NEAR(hetero_mass, 1.0, 1e-6) << "hetero at x = " << x;
    // bishop: uniform on a union of intervals (an indicator: midpoint rule).
    const int n = 200000;
    double bishop_mass = 0.0;
    for (int i = 0; i < n; ++i) {
      const double t[1] = {(i + 0.5) / n};
      bishop_mass += std::exp(mdn::synthetic_log_density("bishop", xs, t)) / n;
    }
    EXPECT_NEAR(bishop_mass, 1.0, 2e-3) << "bishop at x = " << x;
    // ring2d: a 2-D density; Simpson in y2 inside Simpson in y1.
    const double ring_mass = mdn::test::simpson(
        [&](double y1) {
          return mdn::test::simpson(
              [&](double y2) {
                const double t[2] = {y1, y2};
                return std::exp(mdn::synthetic_log_density("ring2d", xs, t));
              },
              -1.4, 1.4, 600);
        },
        -1.4, 1.4, 600);
    EXPECT_NEAR(ring_mass, 1.0, 1e-4) << "ring2d at x = " << x;
    // spiral2d: a thin tilted Gaussian (sd 0.02 across, 0.15 along) around
    // (0.2 + x)(cos, sin)(4 pi x); a box of +-1 (6.7 sd) around that mean.
    if (x != 0.3 && x != 0.95) continue;  // two positions keep the grid affordable
    const double m1 = (0.2 + x) * std::cos(4.0 * kPi * x), m2 = (0.2 + x) * std::sin(4.0 * kPi * x);
    const double spiral_mass = mdn::test::simpson(
        [&](double y1) {
          return mdn::test::simpson(
              [&](double y2) {
                const double t[2] = {y1, y2};
                return std::exp(mdn::synthetic_log_density("spiral2d", xs, t));
              },
              m2 - 1.0, m2 + 1.0, 800);
        },
        m1 - 1.0, m1 + 1.0, 800);
    EXPECT_NEAR(spiral_mass, 1.0, 1e-4) << "spiral2d at x = " << x;
  }
}

TEST(SyntheticDensity, MatchesTheGeneratingFormulas) {
  const double x[1] = {0.4};
  const double y[1] = {0.9};
  const double mean = 0.8 + 0.3 * std::sin(4.0 * kPi * 0.4), sd = 0.05 + 0.45 * 0.4;
  EXPECT_NEAR(mdn::synthetic_log_density("hetero", x, y),
              -0.5 * std::pow((0.9 - mean) / sd, 2) - std::log(sd) - 0.5 * std::log(2 * kPi), 1e-12);
  // bishop at x = 0.1: only the lowest branch; outside |x - g(y)| <= 0.1 the density is 0.
  const double xb[1] = {0.1};
  const double far[1] = {0.9};
  EXPECT_EQ(mdn::synthetic_log_density("bishop", xb, far), -INFINITY);
  EXPECT_THROW(mdn::synthetic_log_density("nope", x, y), mdn::UsageError);
}

}  // namespace
