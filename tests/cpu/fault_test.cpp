// Faults during training and saving: a non-finite epoch rolls back and
// halves the learning rate; a write failure while saving leaves the previous
// model file intact.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "mdn/backend.hpp"
#include "mdn/error.hpp"
#include "mdn/model_io.hpp"
#include "mdn/synthetic.hpp"
#include "mdn/trainer.hpp"

#include "common/synthetic_dataset.hpp"

namespace {

// The CPU backend, except that chosen calls of train_epoch report a
// non-finite loss after having scribbled NaN over the weights (as a real
// blow-up would).
class FaultyBackend : public mdn::Backend {
 public:
  FaultyBackend(const mdn::ModelSpec& spec, std::vector<int> failing_calls)
      : inner_(mdn::make_cpu_backend(spec)), failing_(std::move(failing_calls)) {}

  std::string name() const override { return "faulty " + inner_->name(); }
  const mdn::ModelSpec& spec() const override { return inner_->spec(); }
  void set_parameters(const std::vector<float>& p) override { inner_->set_parameters(p); }
  std::vector<float> parameters() const override { return inner_->parameters(); }
  void set_optimizer_state(const mdn::OptimizerState& s) override { inner_->set_optimizer_state(s); }
  mdn::OptimizerState optimizer_state() const override { return inner_->optimizer_state(); }
  mdn::Matrix forward(const mdn::Matrix& x) override { return inner_->forward(x); }
  double loss_and_gradient(const mdn::Matrix& x, const mdn::Matrix& t, std::vector<float>& g) override {
    return inner_->loss_and_gradient(x, t, g);
  }
  double mean_nll(const mdn::Matrix& x, const mdn::Matrix& t) override { return inner_->mean_nll(x, t); }
  double adam_step(const std::vector<float>& g, const mdn::AdamConfig& a) override { return inner_->adam_step(g, a); }
  void set_training_data(const mdn::Matrix& x, const mdn::Matrix& t) override { inner_->set_training_data(x, t); }

  mdn::EpochStats train_epoch(const mdn::EpochConfig& config) override {
    ++calls_;
    lrs_.push_back(config.adam.lr);
    if (std::find(failing_.begin(), failing_.end(), calls_) != failing_.end()) {
      inner_->set_parameters(std::vector<float>(inner_->parameters().size(), NAN));
      mdn::EpochStats bad;
      bad.finite = false;
      bad.mean_loss = NAN;
      return bad;
    }
    return inner_->train_epoch(config);
  }

  const std::vector<float>& learning_rates() const { return lrs_; }

 private:
  std::unique_ptr<mdn::Backend> inner_;
  std::vector<int> failing_;
  int calls_ = 0;
  std::vector<float> lrs_;
};

mdn::Dataset hetero(int rows) { return mdn::test::synthetic_dataset("hetero", rows, 4); }

mdn::ModelSpec small_spec() {
  mdn::ModelSpec spec;
  spec.input_dim = 1;
  spec.components = 2;
  spec.hidden = {8};
  return spec;
}

TEST(Faults, NonFiniteEpochRollsBackAndHalvesTheLearningRate) {
  const mdn::Dataset data = hetero(300);
  mdn::TrainOptions o;
  o.epochs = 6;
  o.lr = 0.01f;
  o.schedule = mdn::LrSchedule::Constant;  // with a schedule, rollbacks halve its peak
  o.patience = 0;
  o.cross_fit = false;  // the backend's calls are counted: no fold models
  // Calls 3 and 4 fail: epoch 3 is tried three times (lr, lr/2, lr/4).
  FaultyBackend backend(small_spec(), {3, 4});
  std::vector<mdn::EpochReport> reports;
  mdn::TrainHooks hooks;
  hooks.on_epoch = [&](const mdn::EpochReport& r) { reports.push_back(r); };
  const mdn::Model m = mdn::train(backend, small_spec(), data, o, hooks);

  const std::vector<float> expected_lrs{0.01f, 0.01f, 0.01f, 0.005f, 0.0025f, 0.0025f, 0.0025f, 0.0025f};
  EXPECT_EQ(backend.learning_rates(), expected_lrs);
  ASSERT_EQ(reports.size(), 6u);
  EXPECT_EQ(reports.back().rollbacks, 2);
  EXPECT_FLOAT_EQ(reports.back().lr, 0.0025f);
  EXPECT_EQ(m.history.train_nll.size(), 6u);
  for (float p : m.params) ASSERT_TRUE(std::isfinite(p)) << "a NaN model came out of a rollback";
}

TEST(Faults, TooManyRollbacksStopWithAClearError) {
  const mdn::Dataset data = hetero(200);
  mdn::TrainOptions o;
  o.epochs = 5;
  o.max_rollbacks = 2;
  FaultyBackend backend(small_spec(), {2, 3, 4});
  try {
    mdn::train(backend, small_spec(), data, o);
    FAIL() << "three failures with max_rollbacks = 2 did not stop training";
  } catch (const mdn::Error& e) {
    EXPECT_NE(std::string(e.what()).find("after 2 rollbacks"), std::string::npos) << e.what();
  }
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(Faults, WriteFailureWhileSavingKeepsThePreviousModel) {
  const std::string path = testing::TempDir() + "mdn_fault_model.safetensors";
  mdn::Model small;
  small.spec = small_spec();
  small.params.assign(mdn::ParameterLayout(small.spec).total, 0.25f);
  small.feature_names = {"x"};
  small.target_names = {"y"};
  small.stats.x_mean = small.stats.t_mean = {0.0f};
  small.stats.x_scale = small.stats.t_scale = {1.0f};
  mdn::save_model(small, path);
  const std::string before = slurp(path);

  // A bigger model cannot be written: the file-size limit plays "disk full"
  // (writes past it fail with EFBIG; SIGXFSZ is ignored for the test).
  mdn::Model big = small;
  big.spec.hidden = {512, 512};
  big.params.assign(mdn::ParameterLayout(big.spec).total, 0.5f);
  rlimit saved{};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &saved), 0);
  auto previous_handler = std::signal(SIGXFSZ, SIG_IGN);
  rlimit limited = saved;
  limited.rlim_cur = 64 * 1024;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &limited), 0);
  bool threw = false;
  try {
    mdn::save_model(big, path);
  } catch (const mdn::Error& e) {
    threw = true;
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
  ::setrlimit(RLIMIT_FSIZE, &saved);
  std::signal(SIGXFSZ, previous_handler);
  EXPECT_TRUE(threw) << "saving past the file-size limit did not fail";
  EXPECT_EQ(slurp(path), before) << "the previous model file was changed";
  EXPECT_EQ(mdn::load_model(path).params, small.params);
  std::remove(path.c_str());
}

}  // namespace
