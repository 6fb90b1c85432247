// The model search (mdn/tuner.hpp): successive halving on a fake scorer (no
// training), the sampler, the space, the splits, trial 0 = the recipe, and a
// whole search that gives the same bits twice.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <numeric>
#include <random>
#include <set>

#include "common/synthetic_dataset.hpp"
#include "mdn/error.hpp"
#include "mdn/synthetic.hpp"
#include "mdn/trainer.hpp"
#include "mdn/tuner.hpp"

namespace mdn {
namespace {

TEST(TuneSchedule, RungsShrinkByEtaAndGrowTheBudgetToTheRecipe) {
  const auto rungs = plan_rungs(50, 5, 3);
  ASSERT_EQ(rungs.size(), 4u);
  const int sizes[] = {50, 17, 6, 2};
  const int splits[] = {1, 1, 2, 5};
  for (std::size_t r = 0; r < rungs.size(); ++r) {
    EXPECT_EQ(rungs[r].trials, sizes[r]) << r;
    EXPECT_EQ(rungs[r].splits, splits[r]) << r;
    EXPECT_NEAR(rungs[r].budget, std::pow(3.0, double(r) - 3.0), 1e-12) << r;
  }
  EXPECT_DOUBLE_EQ(rungs.back().budget, 1.0);
  const auto one = plan_rungs(1, 5, 3);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].splits, 5);
  EXPECT_DOUBLE_EQ(one[0].budget, 1.0);
  EXPECT_THROW(plan_rungs(0, 5, 3), UsageError);
}

// A fake scorer: trial t scores quality[t] + noise that shrinks with the
// rung, so the rules can be followed by hand.
struct FakeScores {
  std::vector<double> quality;
  std::vector<std::vector<int>> asked;  // the trials of each call, per rung
  std::vector<double> operator()(int rung, const std::vector<int>& trials) {
    if (int(asked.size()) <= rung) asked.resize(std::size_t(rung) + 1);
    asked[std::size_t(rung)] = trials;
    std::vector<double> out;
    for (int t : trials) out.push_back(quality[std::size_t(t)] + 0.01 * rung);
    return out;
  }
};

TEST(TuneSchedule, SuccessiveHalvingKeepsTheBestThirdAndTheRecipe) {
  FakeScores fake;
  fake.quality.resize(20);
  std::mt19937_64 rng(4);
  for (double& q : fake.quality) q = double(rng() % 1000) / 100.0;
  fake.quality[0] = 100.0;  // the recipe is the worst: it must still run every rung
  fake.quality[13] = -5.0;  // the best
  const auto rungs = plan_rungs(20, 5, 3);  // 20, 7, 3
  ASSERT_EQ(rungs.size(), 3u);
  const HalvingOutcome out = successive_halving(20, rungs, [&](int r, const std::vector<int>& t) { return fake(r, t); });
  ASSERT_EQ(fake.asked.size(), 3u);
  // Rung 1: the 7 best of rung 0 by quality, plus the recipe.
  std::vector<int> order(20);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return fake.quality[a] < fake.quality[b]; });
  std::vector<int> expect1(order.begin(), order.begin() + 7);
  expect1.push_back(0);
  std::sort(expect1.begin(), expect1.end());
  EXPECT_EQ(fake.asked[1], expect1);
  std::vector<int> expect2(order.begin(), order.begin() + 3);
  expect2.push_back(0);
  std::sort(expect2.begin(), expect2.end());
  EXPECT_EQ(fake.asked[2], expect2);
  EXPECT_EQ(out.best, 13);
  EXPECT_EQ(out.deepest_rung, 2);
  EXPECT_TRUE(out.complete);
  for (int t = 0; t < 20; ++t) {
    const auto& a1 = fake.asked[1];
    const auto& a2 = fake.asked[2];
    const bool in1 = std::count(a1.begin(), a1.end(), t) > 0, in2 = std::count(a2.begin(), a2.end(), t) > 0;
    EXPECT_EQ(out.eliminated_after[t], in2 ? -1 : in1 ? 1 : 0) << t;
    EXPECT_EQ(std::isnan(out.scores[t][1]), !in1) << t;
  }
  EXPECT_EQ(out.eliminated_after[0], -1);
}

TEST(TuneSchedule, FailedTrialsRankLastAndAStopKeepsTheDeepestRungsBest) {
  FakeScores fake;
  fake.quality = {1.0, std::numeric_limits<double>::quiet_NaN(), 0.5, std::numeric_limits<double>::infinity(),
                  0.7, 2.0, 3.0, 0.2, 4.0};
  const auto rungs = plan_rungs(9, 3, 3);  // 9, 3
  // Rung 1 stops after its first trial (the recipe): the best is the best of
  // what rung 1 scored, not rung 0's best (0.2, trial 7).
  auto partial = [&](int r, const std::vector<int>& t) {
    auto s = fake(r, t);
    if (r == 1) s.resize(1);
    return s;
  };
  const HalvingOutcome out = successive_halving(9, rungs, partial);
  EXPECT_EQ(fake.asked[1], (std::vector<int>{0, 2, 4, 7}));  // NaN and Inf ranked last
  EXPECT_FALSE(out.complete);
  EXPECT_EQ(out.deepest_rung, 1);
  EXPECT_EQ(out.best, 0);
  // A stop before rung 1: rung 0's best.
  const HalvingOutcome stopped = successive_halving(
      9, rungs, [&](int r, const std::vector<int>& t) { return fake(r, t); }, [calls = 0]() mutable { return calls++ > 0; });
  EXPECT_FALSE(stopped.complete);
  EXPECT_EQ(stopped.deepest_rung, 0);
  EXPECT_EQ(stopped.best, 7);
}

// Centred L2 discrepancy (Hickernell 1998), closed form: lower = more even.
double centred_l2_discrepancy(const std::vector<std::vector<double>>& p) {
  const double n = double(p.size());
  const std::size_t d = p[0].size();
  double a = 1.0, b = 0.0, c = 0.0;
  for (std::size_t j = 0; j < d; ++j) a *= 13.0 / 12.0;
  for (const auto& x : p) {
    double prod = 1.0;
    for (double v : x) prod *= 1.0 + 0.5 * std::fabs(v - 0.5) - 0.5 * (v - 0.5) * (v - 0.5);
    b += prod;
  }
  for (const auto& x : p)
    for (const auto& y : p) {
      double prod = 1.0;
      for (std::size_t j = 0; j < d; ++j)
        prod *= 1.0 + 0.5 * std::fabs(x[j] - 0.5) + 0.5 * std::fabs(y[j] - 0.5) - 0.5 * std::fabs(x[j] - y[j]);
      c += prod;
    }
  return std::sqrt(a - 2.0 / n * b + c / (n * n));
}

TEST(TuneSampler, DeterministicInTheSeedAndCoversEveryDimension) {
  for (TuneSampler s : {TuneSampler::LowDiscrepancy, TuneSampler::Random}) {
    const auto a = tune_points(s, 49, 8, 11), b = tune_points(s, 49, 8, 11), c = tune_points(s, 49, 8, 12);
    EXPECT_EQ(a, b);
    EXPECT_NE(a, c);
    for (const auto& p : a)
      for (double v : p) {
        EXPECT_GE(v, 0.0);
        EXPECT_LT(v, 1.0);
      }
  }
  // The low-discrepancy points put at least one of 49 in every tenth of
  // every dimension.
  const auto p = tune_points(TuneSampler::LowDiscrepancy, 49, 8, 3);
  for (std::size_t j = 0; j < 8; ++j) {
    std::set<int> bins;
    for (const auto& x : p) bins.insert(int(x[j] * 10));
    EXPECT_EQ(bins.size(), 10u) << "dimension " << j;
  }
}

// The measurement behind the default sampler (docs/TRAINING.md, "Model
// search"): over 20 seeds, 49 points in the 8-D space.
TEST(TuneSampler, LowDiscrepancyIsMoreEvenThanRandom) {
  double rd = 0.0, random = 0.0;
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    rd += centred_l2_discrepancy(tune_points(TuneSampler::LowDiscrepancy, 49, 8, seed)) / 20;
    random += centred_l2_discrepancy(tune_points(TuneSampler::Random, 49, 8, seed)) / 20;
  }
  std::printf("centred L2 discrepancy, 49 points in 8-D, mean of 20 seeds: scrambled Halton %.4f, random %.4f\n", rd, random);
  EXPECT_LT(rd, 0.8 * random);
}

TEST(TuneSpace, ValuesStayInTheirRangesAndApplyToTheCandidate) {
  const auto space = default_search_space(900);
  ASSERT_EQ(space.size(), 9u);
  for (double u = 0.0; u < 1.0; u += 0.01) {
    TuneCandidate c;
    for (const auto& d : space) d.apply(d.value(u), c);
    for (const auto& d : space) EXPECT_EQ(d.read(c), d.value(u)) << d.name << " at " << u;
    EXPECT_GE(c.spec.components, 1);
    EXPECT_LE(c.spec.components, 10);
    EXPECT_GE(c.spec.hidden.size(), 1u);
    EXPECT_LE(c.spec.hidden.size(), 3u);
    for (int w : c.spec.hidden) {
      EXPECT_GE(w, 16);
      EXPECT_LE(w, 256);
    }
    EXPECT_GE(c.options.lr, 3e-4f * 0.999f);
    EXPECT_LE(c.options.lr, 1e-2f * 1.001f);
    EXPECT_LE(c.options.weight_decay, 0.1f * 1.001f);
    EXPECT_LE(c.options.target_noise, 0.3f * 1.001f);
    EXPECT_LE(c.options.input_noise, 0.2f * 1.001f);
    EXPECT_GE(c.options.batch_size, 8);
    EXPECT_LE(c.options.batch_size, 128);  // 4 x the auto batch (32) of 900 rows
  }
  // Both ends of every range are reached.
  TuneCandidate lo, hi;
  for (const auto& d : space) {
    d.apply(d.value(0.0), lo);
    d.apply(d.value(0.9999), hi);
  }
  EXPECT_EQ(lo.spec.components, 1);
  EXPECT_EQ(hi.spec.components, 10);
  EXPECT_EQ(lo.spec.hidden, std::vector<int>{16});
  EXPECT_EQ(hi.spec.hidden, (std::vector<int>{256, 256, 256}));
  EXPECT_EQ(lo.options.weight_decay, 0.0f);
  EXPECT_EQ(lo.options.batch_size, 8);
  using Mode = TrainOptions::TargetTransformMode;
  EXPECT_EQ(lo.options.target_transform, std::vector<Mode>{Mode::None});
  EXPECT_EQ(hi.options.target_transform, std::vector<Mode>{Mode::YeoJohnson});
  TuneCandidate middle;
  space.back().apply(space.back().value(0.5), middle);
  EXPECT_EQ(middle.options.target_transform, std::vector<Mode>{Mode::Auto});
}

TEST(TuneSplits, KFoldIsDisjointAndCompleteAndHoldoutIsForLargeData) {
  const auto folds = tune_splits(103, 5, 9);
  ASSERT_EQ(folds.size(), 5u);
  std::vector<int> seen(103, 0);
  for (const auto& f : folds) {
    EXPECT_GE(f.size(), 20u);
    EXPECT_LE(f.size(), 21u);
    for (long long r : f) ++seen[std::size_t(r)];
  }
  for (int n : seen) EXPECT_EQ(n, 1);
  EXPECT_EQ(tune_splits(103, 5, 9), folds);
  EXPECT_NE(tune_splits(103, 5, 10), folds);
  const auto holdout = tune_splits(kTuneHoldoutRows + 1000, 5, 9);
  ASSERT_EQ(holdout.size(), std::size_t(kTuneHoldoutSplits));
  for (const auto& h : holdout) EXPECT_EQ(h.size(), std::size_t(std::llround((kTuneHoldoutRows + 1000) * 0.2)));
  EXPECT_NE(holdout[0], holdout[1]);
  EXPECT_NO_THROW(tune_splits(10, 5, 0));
  try {
    tune_splits(9, 5, 0);
    FAIL() << "9 rows in 5 folds";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("fewer than 2 per fold"), std::string::npos) << e.what();
  }
}

// Ordered (blocked) splits: each fold a run of consecutive rows, every row
// once; above kTuneHoldoutRows the hold-outs are the last blocks of a fifth.
TEST(TuneSplits, OrderedFoldsAreBlocksOfConsecutiveRows) {
  const auto folds = tune_splits(103, 5, 9, true);
  ASSERT_EQ(folds.size(), 5u);
  long long next = 0;
  for (const auto& f : folds) {
    ASSERT_FALSE(f.empty());
    for (long long r : f) EXPECT_EQ(r, next++);  // consecutive, in order, no gaps
    EXPECT_GE(f.size(), 20u);
    EXPECT_LE(f.size(), 21u);
  }
  EXPECT_EQ(next, 103);
  EXPECT_EQ(tune_splits(103, 5, 10, true), folds);  // no randomness
  const long long rows = kTuneHoldoutRows + 1000, block = std::llround(rows * 0.2);
  const auto holdout = tune_splits(rows, 5, 9, true);
  ASSERT_EQ(holdout.size(), std::size_t(kTuneHoldoutSplits));
  for (std::size_t i = 0; i < holdout.size(); ++i) {
    ASSERT_EQ(holdout[i].size(), std::size_t(block));
    EXPECT_EQ(holdout[i].front(), rows - (long long)(holdout.size() - i) * block);
    EXPECT_EQ(holdout[i].back(), holdout[i].front() + block - 1);
  }
  EXPECT_THROW(tune_splits(9, 5, 0, true), UsageError);
}

// A small, quick search: 6 trials of 20 epochs on 200 rows.
TuneResult small_search(int trials, std::uint64_t seed) {
  const Dataset data = test::synthetic_dataset("bishop", 200, 1);
  ModelSpec spec;
  spec.input_dim = 1;
  spec.target_dim = 1;
  TrainOptions options;
  options.epochs = 20;
  options.seed = seed;
  TuneOptions tune;
  tune.trials = trials;
  return mdn::tune(spec, data, options, tune);
}

TEST(Tune, TrialZeroIsTheRecipe) {
  const TuneResult one = small_search(1, 3);
  ASSERT_EQ(one.trials.size(), 1u);
  EXPECT_EQ(one.best, 0);
  ModelSpec spec;
  EXPECT_EQ(one.best_candidate.spec.components, spec.components);
  EXPECT_EQ(one.best_candidate.spec.hidden, spec.hidden);
  TrainOptions recipe;
  EXPECT_EQ(one.best_candidate.options.lr, recipe.lr);
  EXPECT_EQ(one.best_candidate.options.batch_size, recipe.batch_size);
  EXPECT_EQ(one.best_candidate.options.target_noise, recipe.target_noise);
  const std::vector<double> values{5, 2, 50, double(recipe.lr), 0, -1, -1, 0, 0};
  EXPECT_EQ(one.trials[0].values, values);
  ASSERT_EQ(one.trials[0].split_scores.size(), 1u);
  EXPECT_EQ(one.trials[0].split_scores[0].size(), 5u);
  EXPECT_TRUE(std::isfinite(one.best_score));
}

TEST(Tune, SameSeedSameSearchAndSameModel) {
  const TuneResult a = small_search(6, 5), b = small_search(6, 5);
  ASSERT_EQ(a.trials.size(), b.trials.size());
  for (std::size_t t = 0; t < a.trials.size(); ++t) {
    EXPECT_EQ(a.trials[t].values, b.trials[t].values);
    EXPECT_EQ(a.trials[t].split_scores, b.trials[t].split_scores);  // bit for bit
    EXPECT_EQ(a.trials[t].eliminated_after, b.trials[t].eliminated_after);
  }
  EXPECT_EQ(a.best, b.best);
  EXPECT_EQ(tune_log_json(a).size() > 0, true);
  const Dataset data = test::synthetic_dataset("bishop", 200, 1);
  ModelSpec spec = a.best_candidate.spec;
  auto train_best = [&](const TuneResult& r) {
    auto backend = make_backend(DeviceKind::Cpu, r.best_candidate.spec);
    return train(*backend, r.best_candidate.spec, data, r.best_candidate.options).params;
  };
  EXPECT_EQ(train_best(a), train_best(b));
  // Another seed searches other points.
  const TuneResult c = small_search(6, 6);
  EXPECT_NE(c.trials[1].values, a.trials[1].values);
  (void)spec;
}

TEST(Tune, NeverEndsWorseThanTheRecipeOnItsOwnScore) {
  // Several seeds, so that some searches keep the recipe over a lower score
  // (beats_recipe_clearly) and some do not.
  int kept = 0;
  for (std::uint64_t seed = 7; seed < 11; ++seed) {
    const TuneResult r = small_search(6, seed);
    const TuneTrial& recipe = r.trials[0];
    ASSERT_FALSE(recipe.scores.empty());
    EXPECT_EQ(int(recipe.scores.size()), r.best_rung + 1);  // the recipe ran every rung
    EXPECT_LE(r.best_score, recipe.scores.back());
    // The choice follows the rule: the lowest trial, unless its gain over the
    // recipe is within one standard error of the paired split differences.
    const std::size_t rung = std::size_t(r.best_rung);
    const bool clear =
        beats_recipe_clearly(recipe.split_scores[rung], r.trials[std::size_t(r.lowest)].split_scores[rung]);
    EXPECT_EQ(r.best, r.lowest == 0 || clear ? r.lowest : 0) << "seed " << seed;
    kept += r.best != r.lowest;
    // What the final run trains with is the chosen trial's configuration.
    const auto space = default_search_space(160);
    for (std::size_t j = 0; j < space.size(); ++j)
      EXPECT_EQ(space[j].read(r.best_candidate), r.trials[std::size_t(r.best)].values[j])
          << space[j].name << ", seed " << seed;
    std::printf("seed %llu: lowest trial %d, chosen %d\n", (unsigned long long)seed, r.lowest, r.best);
  }
  EXPECT_GT(kept, 0) << "no search kept the recipe over a lower score: the rule is not exercised";
}

// Differences recipe - best per split; the standard error of their mean is
// sd / sqrt(n), written out here for each case.
TEST(Tune, TheBestReplacesTheRecipeOnlyBeyondOneStandardError) {
  // Differences 0.10, 0.12, 0.08, 0.11, 0.09: mean 0.10, sd 0.0158, SE 0.0071.
  EXPECT_TRUE(beats_recipe_clearly({1.10, 1.12, 1.08, 1.11, 1.09}, {1.0, 1.0, 1.0, 1.0, 1.0}));
  // Differences 0.5, -0.4, 0.3, -0.3, 0.1: mean 0.04, sd 0.378, SE 0.169 > 0.04.
  EXPECT_FALSE(beats_recipe_clearly({1.5, 0.6, 1.3, 0.7, 1.1}, {1.0, 1.0, 1.0, 1.0, 1.0}));
  // Two splits: mean (a + b) / 2, SE |a - b| / 2, so beyond exactly when both
  // differences are positive. 0.2, 0.0: mean 0.1 = SE, not beyond; 0.21, 0.01:
  // mean 0.11 > SE 0.10.
  EXPECT_FALSE(beats_recipe_clearly({1.2, 1.0}, {1.0, 1.0}));
  EXPECT_TRUE(beats_recipe_clearly({1.21, 1.01}, {1.0, 1.0}));
  // A worse best never replaces it; one split: any gain counts.
  EXPECT_FALSE(beats_recipe_clearly({1.0, 1.0, 1.0}, {1.1, 1.2, 1.1}));
  EXPECT_TRUE(beats_recipe_clearly({1.0}, {0.99}));
  EXPECT_FALSE(beats_recipe_clearly({1.0}, {1.01}));
  EXPECT_FALSE(beats_recipe_clearly({}, {}));
}

}  // namespace
}  // namespace mdn

namespace mdn {
namespace {

// Full covariance takes no target transform, so the search leaves that
// dimension out rather than failing a third of its trials.
TEST(Tune, FullCovarianceSearchesNoTargetTransform) {
  const SyntheticSet set = make_synthetic("ring2d", 150, 3);
  Dataset data;
  data.x = MatrixD(150, 1);
  data.t = MatrixD(150, 2);
  for (int r = 0; r < 150; ++r) {
    data.x.set(r, 0, set.values(r, 0));
    for (int c = 1; c < 3; ++c) data.t(r, c - 1) = set.values(r, c);
  }
  data.feature_names = {"x"};
  data.target_names = {"y1", "y2"};
  ModelSpec spec;
  spec.input_dim = 1;
  spec.target_dim = 2;
  spec.covariance = Covariance::Full;
  TrainOptions options;
  options.epochs = 4;
  TuneOptions tune;
  tune.trials = 6;
  const TuneResult r = mdn::tune(spec, data, options, tune);
  EXPECT_EQ(std::count(r.dimensions.begin(), r.dimensions.end(), "target_transform"), 0);
  EXPECT_EQ(r.dimensions.size(), default_search_space(100).size() - 1);
  for (const TuneTrial& t : r.trials) EXPECT_TRUE(t.error.empty()) << t.error;
}

// Trained on grid cells (TrainOptions::grid_steps, --quantised), trials are
// scored by the cells' NLL, -log P(cell), as `mdn eval` scores such a model:
// targets on multiples of 10 with no noise put nearly all of a row's mass in
// its cell (a score near 0), while the density, trained on draws spread over
// each 10-wide cell, is about 1/10 there (its NLL near log 10 = 2.3).
// Trained as densities, the same targets keep the density's NLL.
TEST(Tune, GriddedTargetsAreScoredByTheirCells) {
  const int n = 200;
  Dataset data;
  data.x = MatrixD(n, 1);
  data.t = MatrixD(n, 1);
  std::mt19937_64 rng(4);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  for (int r = 0; r < n; ++r) {
    const double x = u(rng);
    data.x.set(r, 0, x);
    data.t(r, 0) = 10.0 * std::round(1.4 * x);  // -10, 0 or 10: cells [-15, -5], [-5, 5], [5, 15]
  }
  data.feature_names = {"x"};
  data.target_names = {"y"};
  ModelSpec spec;
  spec.input_dim = 1;
  spec.target_dim = 1;
  TrainOptions options;
  options.epochs = 400;
  options.grid_steps = {10.0f};
  TuneOptions tune;
  tune.trials = 1;
  const TuneResult cells = mdn::tune(spec, data, options, tune);
  EXPECT_NE(cells.score.find("grid cells"), std::string::npos) << cells.score;
  ASSERT_EQ(cells.trials[0].split_scores.size(), 1u);
  for (double s : cells.trials[0].split_scores[0]) {
    EXPECT_GE(s, 0.0);  // a probability's -log
    EXPECT_LT(s, 1.0);  // the density's NLL would be about 2.3
  }
  options.grid_steps.clear();
  options.epochs = 20;
  EXPECT_EQ(mdn::tune(spec, data, options, tune).score.find("grid cells"), std::string::npos);
}

}  // namespace
}  // namespace mdn
