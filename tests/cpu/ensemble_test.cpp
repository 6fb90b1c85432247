// Deep ensembles: the combined head is the equal-weight mixture of the
// members' mixtures, an ensemble model round-trips through its file, member 0
// is the single model of the same seed, resuming mid-ensemble gives the
// uninterrupted model, and members trained side by side give the same bits.
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <string>

#include "mdn/backend.hpp"
#include "mdn/checkpoint.hpp"
#include "mdn/error.hpp"
#include "mdn/inference.hpp"
#include "mdn/mixture.hpp"
#include "mdn/model_io.hpp"
#include "mdn/synthetic.hpp"
#include "mdn/trainer.hpp"

#include "common/synthetic_dataset.hpp"

namespace {

mdn::Dataset bishop(int rows) { return mdn::test::synthetic_dataset("bishop", rows, 8); }

mdn::ModelSpec spec() {
  mdn::ModelSpec s;
  s.input_dim = 1;
  s.target_dim = 1;
  s.components = 3;
  s.hidden = {8};
  return s;
}

mdn::TrainOptions options(int members) {
  mdn::TrainOptions o;
  o.steps = 100;
  o.ensemble = members;
  o.seed = 4;
  return o;
}

double mixture_pdf(const mdn::MixtureBatch& mix, int r, double y) {
  double p = 0.0;
  for (int k = 0; k < mix.K; ++k) {
    const double s = mix.stddev(r, k, 0), u = (y - mix.mean(r, k, 0)) / s;
    p += mix.weight(r, k) * std::exp(-0.5 * u * u) / (s * std::sqrt(2.0 * 3.14159265358979323846));
  }
  return p;
}

TEST(Ensemble, MixtureIsTheAverageOfTheMembersMixtures) {
  const mdn::Dataset data = bishop(300);
  mdn::TrainOptions o = options(3);
  o.calibrate = mdn::TrainOptions::CalibrateMode::Off;
  auto backend = mdn::make_cpu_backend(spec());
  const mdn::Model ens = mdn::train(*backend, spec(), data, o);
  ASSERT_EQ(ens.members, 3);
  const std::size_t total = mdn::ParameterLayout(spec()).total;
  ASSERT_EQ(ens.params.size(), 3 * total);

  mdn::MatrixD x(4, 1);
  for (int r = 0; r < 4; ++r) x(r, 0) = -0.1f + 0.35f * r;
  auto eb = mdn::make_backend(mdn::DeviceKind::Cpu, ens);
  const mdn::MixtureBatch mix = mdn::predict_mixtures(*eb, ens, x);
  ASSERT_EQ(mix.K, 9);
  std::vector<mdn::MixtureBatch> parts;
  for (int m = 0; m < 3; ++m) {
    mdn::Model one = ens;
    one.members = 1;
    one.params.assign(ens.params.begin() + std::ptrdiff_t(m * total),
                      ens.params.begin() + std::ptrdiff_t((m + 1) * total));
    auto b = mdn::make_backend(mdn::DeviceKind::Cpu, one);
    parts.push_back(mdn::predict_mixtures(*b, one, x));
  }
  for (int r = 0; r < 4; ++r) {
    double wsum = 0.0;
    for (int k = 0; k < 9; ++k) wsum += mix.weight(r, k);
    EXPECT_NEAR(wsum, 1.0, 1e-5);
    for (int m = 0; m < 3; ++m)
      for (int k = 0; k < 3; ++k) {
        EXPECT_NEAR(mix.weight(r, m * 3 + k), parts[m].weight(r, k) / 3.0, 1e-6);
        EXPECT_EQ(mix.mean(r, m * 3 + k, 0), parts[m].mean(r, k, 0));
        EXPECT_EQ(mix.stddev(r, m * 3 + k, 0), parts[m].stddev(r, k, 0));
      }
    for (double y : {-0.2, 0.1, 0.5, 0.8, 1.1}) {
      const double avg = (mixture_pdf(parts[0], r, y) + mixture_pdf(parts[1], r, y) + mixture_pdf(parts[2], r, y)) / 3;
      EXPECT_NEAR(mixture_pdf(mix, r, y), avg, 1e-5 * (1.0 + avg));
    }
  }
  // Member 0 is the single model of the same seed and options.
  auto sb = mdn::make_cpu_backend(spec());
  mdn::TrainOptions single = o;
  single.ensemble = 1;
  const mdn::Model one = mdn::train(*sb, spec(), data, single);
  EXPECT_TRUE(std::equal(one.params.begin(), one.params.end(), ens.params.begin()));

  // The file keeps every member; a single-member file keeps the seed's names.
  const std::string path = ::testing::TempDir() + "ensemble.safetensors";
  mdn::save_model(ens, path);
  const mdn::Model loaded = mdn::load_model(path);
  EXPECT_EQ(loaded.members, 3);
  EXPECT_EQ(loaded.params, ens.params);
  std::remove(path.c_str());
}

TEST(Ensemble, ResumingMidEnsembleGivesTheUninterruptedModel) {
  const mdn::Dataset data = bishop(300);
  mdn::TrainOptions o = options(2);
  o.weight_average = 0.5f;  // 12 epochs: a 6-epoch average, which the checkpoint file must carry
  auto full_backend = mdn::make_cpu_backend(spec());
  const mdn::Model full = mdn::train(*full_backend, spec(), data, o);

  // Stop in member 2's 3rd epoch: the checkpoint holds member 1 and member 2's state.
  mdn::TrainOptions with_ckpt = o;
  with_ckpt.checkpoint_every = 3;
  const std::string path = ::testing::TempDir() + "ensemble.ckpt";
  mdn::TrainHooks hooks;
  bool saved = false;
  hooks.on_checkpoint = [&](const mdn::Model& m, const mdn::TrainingState& s) {
    if (s.member == 1 && s.epoch == 3 && !saved) {
      mdn::save_checkpoint(mdn::Checkpoint{m, s, with_ckpt}, path);
      saved = true;
    }
  };
  auto first = mdn::make_cpu_backend(spec());
  (void)mdn::train(*first, spec(), data, with_ckpt, hooks);
  ASSERT_TRUE(saved);
  const mdn::Checkpoint c = mdn::load_checkpoint(path);
  EXPECT_EQ(c.state.member, 1);
  EXPECT_EQ(c.options.ensemble, 2);
  EXPECT_EQ(c.options.weight_average, 0.5f);
  EXPECT_EQ(c.options.calibrate, o.calibrate);
  EXPECT_EQ(c.state.averaged_params.size(), mdn::ParameterLayout(spec()).total);
  // Every recalibration mode survives the file ("auto", true, false).
  for (const auto mode : {mdn::TrainOptions::CalibrateMode::Auto, mdn::TrainOptions::CalibrateMode::On,
                          mdn::TrainOptions::CalibrateMode::Off}) {
    mdn::TrainOptions m = c.options;
    m.calibrate = mode;
    const std::string p2 = path + ".mode";
    mdn::save_checkpoint(mdn::Checkpoint{c.model, c.state, m}, p2);
    EXPECT_EQ(mdn::load_checkpoint(p2).options.calibrate, mode);
  }
  mdn::TrainHooks resume;
  resume.resume_model = &c.model;
  resume.resume_state = &c.state;
  auto second = mdn::make_cpu_backend(spec());
  const mdn::Model resumed = mdn::train(*second, spec(), data, c.options, resume);
  EXPECT_EQ(resumed.members, 2);
  EXPECT_EQ(resumed.params, full.params);
  std::remove(path.c_str());
}

// Side by side on the CPU: with 2 threads and minibatches of 32 rows (one
// thread's work) the members train two at a time, each on its own backend and
// thread, and the model is bit for bit the one of members one after another.
class ConcurrentMembers : public ::testing::Test {
 protected:
  void SetUp() override {
    saved_ = omp_get_max_threads();
    omp_set_num_threads(2);
  }
  void TearDown() override { omp_set_num_threads(saved_); }
  static mdn::TrainOptions side_by_side(int members) {
    mdn::TrainOptions o = options(members);
    o.batch_size = 32;
    o.weight_average = 0.3f;
    return o;
  }
  int saved_ = 1;
};

TEST_F(ConcurrentMembers, GiveTheBitsOfMembersOneAfterAnother) {
  const mdn::Dataset data = bishop(300);
  mdn::TrainOptions o = side_by_side(3);  // members 1 and 2 together, then 3 alone
  auto backend = mdn::make_cpu_backend(spec());
  ASSERT_EQ(backend->member_concurrency(32, 3), 2);
  EXPECT_EQ(backend->member_concurrency(1024, 3), 1);  // a large minibatch wants both threads
  std::atomic<int> reports{0};
  mdn::TrainHooks hooks;
  hooks.on_epoch = [&](const mdn::EpochReport& r) {
    EXPECT_GE(r.member, 1);
    EXPECT_LE(r.member, 3);
    ++reports;
  };
  const mdn::Model side_by_side = mdn::train(*backend, spec(), data, o, hooks);
  o.concurrent_members = false;
  auto one_by_one = mdn::make_cpu_backend(spec());
  const mdn::Model sequential = mdn::train(*one_by_one, spec(), data, o);
  ASSERT_EQ(side_by_side.members, 3);
  EXPECT_EQ(side_by_side.params, sequential.params);
  EXPECT_EQ(side_by_side.history.val_nll, sequential.history.val_nll);  // the last member's
  EXPECT_EQ(reports.load(), 3 * int(sequential.history.train_nll.size()));
}

// A stop while members train side by side: the checkpoint keeps the members
// finished before the first unfinished one, and resuming gives the model of
// an uninterrupted run.
TEST_F(ConcurrentMembers, AStopKeepsTheFinishedMembersAndResumesToTheSameModel) {
  const mdn::Dataset data = bishop(300);
  const mdn::TrainOptions o = side_by_side(4);  // two waves of two
  auto full_backend = mdn::make_cpu_backend(spec());
  const mdn::Model full = mdn::train(*full_backend, spec(), data, o);

  std::atomic<bool> stop{false};
  mdn::Model saved_model;
  mdn::TrainingState saved_state;
  int checkpoints = 0;
  mdn::TrainHooks hooks;
  hooks.stop_requested = &stop;
  hooks.on_epoch = [&](const mdn::EpochReport& r) {
    if (r.member == 4 && r.epoch == 2) stop.store(true);  // in the second wave
  };
  hooks.on_checkpoint = [&](const mdn::Model& m, const mdn::TrainingState& s) {
    saved_model = m;
    saved_state = s;
    ++checkpoints;
  };
  auto first = mdn::make_cpu_backend(spec());
  EXPECT_THROW(mdn::train(*first, spec(), data, o, hooks), mdn::Interrupted);
  ASSERT_EQ(checkpoints, 1);
  // Member 3 may have finished before it saw the stop (the threads race);
  // member 4 cannot have.
  EXPECT_TRUE(saved_state.member == 2 || saved_state.member == 3) << saved_state.member;
  EXPECT_EQ(saved_state.epoch, 0);
  const std::size_t n = mdn::ParameterLayout(spec()).total;
  ASSERT_EQ(saved_state.finished_members.size(), std::size_t(saved_state.member) * n);
  EXPECT_TRUE(
      std::equal(saved_state.finished_members.begin(), saved_state.finished_members.end(), full.params.begin()));

  mdn::TrainHooks resume;
  resume.resume_model = &saved_model;
  resume.resume_state = &saved_state;
  auto second = mdn::make_cpu_backend(spec());
  const mdn::Model resumed = mdn::train(*second, spec(), data, o, resume);
  EXPECT_EQ(resumed.params, full.params);
}

// A checkpoint whose averaged weights do not match the model is refused,
// naming the tensor (the averaged weights are optional, so this is the only
// check that reads them).
TEST(Ensemble, CheckpointWithAveragedWeightsOfTheWrongSizeIsRefused) {
  const mdn::Dataset data = bishop(300);
  mdn::TrainOptions o = options(1);
  o.weight_average = 0.5f;
  o.checkpoint_every = 2;
  mdn::Model model;
  mdn::TrainingState state;
  mdn::TrainHooks hooks;
  hooks.on_checkpoint = [&](const mdn::Model& m, const mdn::TrainingState& s) {
    model = m;
    state = s;
  };
  auto backend = mdn::make_cpu_backend(spec());
  (void)mdn::train(*backend, spec(), data, o, hooks);
  ASSERT_FALSE(state.averaged_params.empty());
  state.averaged_params.pop_back();
  const std::string path = ::testing::TempDir() + "bad_average.ckpt";
  mdn::save_checkpoint(mdn::Checkpoint{model, state, o}, path);
  try {
    (void)mdn::load_checkpoint(path);
    ADD_FAILURE() << "a short averaged-weights tensor was accepted";
  } catch (const mdn::Error& e) {
    EXPECT_NE(std::string(e.what()).find("mdn.checkpoint.averaged_params"), std::string::npos) << e.what();
  }
  std::remove(path.c_str());
}

TEST(Ensemble, SizeOutOfRangeIsAUsageError) {
  const mdn::Dataset data = bishop(100);
  auto backend = mdn::make_cpu_backend(spec());
  mdn::TrainOptions o = options(0);
  EXPECT_THROW(mdn::train(*backend, spec(), data, o), mdn::UsageError);
  o.ensemble = mdn::kMaxMembers + 1;
  EXPECT_THROW(mdn::train(*backend, spec(), data, o), mdn::UsageError);
}

}  // namespace
