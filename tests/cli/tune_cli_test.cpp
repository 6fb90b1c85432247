// mdn train --tune: bad input refused before any work (exit 2, no model),
// the search log's JSON, the tuned model's record in `mdn info`, and Ctrl-C
// during the search (exit 130 with the log written).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "cli_harness.hpp"
#include "flag_words.hpp"
#include "mdn/error.hpp"
#include "mdn/tuner.hpp"

namespace {

using mdn::test::run_mdn;
using mdn::test::RunResult;
using mdn::test::TempDir;
using Json = nlohmann::json;

class TuneCli : public testing::Test {
 protected:
  void SetUp() override {
    ::setenv("OMP_NUM_THREADS", "1", 1);
    ASSERT_EQ(run_mdn(dir_, "data hetero --rows 200 --seed 1 --out d.csv").status, 0);
  }
  // A refused run: exit 2, the message, and no model file.
  void expect_refused(const std::string& flags, const std::string& words, int status = 2) {
    const RunResult r = run_mdn(dir_, "train --data d.csv --target y --model m.safetensors " + flags);
    EXPECT_EQ(r.status, status) << flags << "\n" << r.err;
    EXPECT_NE(r.err.find(words), std::string::npos) << flags << "\n" << r.err;
    EXPECT_FALSE(dir_.exists("m.safetensors")) << flags;
    EXPECT_EQ(r.err.find("model search:"), std::string::npos) << "the search started: " << r.err;
  }
  TempDir dir_;
};

TEST_F(TuneCli, BadInputIsRefusedBeforeAnyWork) {
  expect_refused("--tune 0", "--tune");
  expect_refused("--tune -3", "--tune");
  expect_refused("--tune x", "--tune");
  expect_refused("--tune-time 5", "--tune-time needs --tune");
  expect_refused("--tune-log l.json", "--tune-log needs --tune");
  expect_refused("--tune 5 --tune-time 0", "--tune-time");
  expect_refused("--tune-folds ordered", "--tune-folds needs --tune");
  expect_refused("--tune 5 --tune-folds sorted", "--tune-folds must be 'random' or 'ordered'");
  expect_refused("--tune 5 --resume c.ckpt", "--tune cannot be used with --resume");
  expect_refused("--tune 5 --init other.safetensors", "--tune cannot be used with --init");
  expect_refused("--tune 5 --tune-log no/such/dir/l.json", "no/such/dir/l.json", 1);
  EXPECT_FALSE(dir_.exists("l.json"));
}

TEST_F(TuneCli, TooFewRowsForTheFoldsIsAUsageError) {
  ASSERT_EQ(run_mdn(dir_, "data hetero --rows 9 --seed 1 --out small.csv").status, 0);
  const RunResult r =
      run_mdn(dir_, "train --data small.csv --target y --model m.safetensors --tune 3 --tune-log l.json");
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_NE(r.err.find("fewer than 2 per fold"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("9 rows"), std::string::npos) << r.err;
  EXPECT_FALSE(dir_.exists("m.safetensors"));
  EXPECT_FALSE(dir_.exists("l.json"));
}

TEST_F(TuneCli, TheLogHoldsEveryTrialAndTheModelRecordsTheChoice) {
  const RunResult r = run_mdn(dir_,
                              "train --data d.csv --target y --model m.safetensors --epochs 10 --tune 5 "
                              "--tune-log l.json --progress lines --seed 3");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("model search: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("trials done"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("best trial"), std::string::npos) << r.err;
  const Json log = Json::parse(dir_.read("l.json"));
  EXPECT_EQ(log["validation"], "5-fold cross-validation");
  EXPECT_EQ(log["ended"], "complete");
  ASSERT_EQ(log["trials"].size(), 5u);
  const Json& recipe = log["trials"][0];
  EXPECT_EQ(recipe["config"]["components"], 5);
  EXPECT_EQ(recipe["config"]["depth"], 2);
  EXPECT_EQ(recipe["config"]["width"], 50);
  EXPECT_EQ(recipe["config"]["target_transform"], "none");  // a categorical dimension: its choice's name
  EXPECT_TRUE(recipe["eliminated_after_rung"].is_null());  // the recipe runs every rung
  int finalists = 0;
  for (const Json& t : log["trials"]) {
    ASSERT_GE(t["rungs"].size(), 1u);
    for (const char* key : {"components", "depth", "width", "lr", "weight_decay", "target_noise", "input_noise",
                            "batch_size", "target_transform"})
      EXPECT_TRUE(t["config"].contains(key)) << key;
    const std::string transform = t["config"]["target_transform"].get<std::string>();
    EXPECT_TRUE(transform == "none" || transform == "auto" || transform == "yeo-johnson") << transform;
    EXPECT_GT(t["seconds"].get<double>(), 0.0);
    const Json& last = t["rungs"].back();
    double mean = 0.0;
    for (const Json& s : last["split_scores"]) mean += s.get<double>();
    mean /= double(last["split_scores"].size());
    EXPECT_NEAR(last["mean_score"].get<double>(), mean, 1e-9);
    if (t["eliminated_after_rung"].is_null()) ++finalists;
  }
  EXPECT_GE(finalists, 2);
  const int best = log["best"]["trial"];
  EXPECT_EQ(log["best"]["config"], log["trials"][best]["config"]);
  // The finalists ran all 5 folds; the best is the lowest of them.
  for (const Json& t : log["trials"])
    if (t["eliminated_after_rung"].is_null()) {
      EXPECT_EQ(t["rungs"].back()["split_scores"].size(), 5u);
      EXPECT_LE(log["best"]["mean_score"].get<double>(), t["mean_score"].get<double>());
    }
  const RunResult info = run_mdn(dir_, "info m.safetensors --json");
  ASSERT_EQ(info.status, 0) << info.err;
  const Json j = Json::parse(info.out);
  EXPECT_EQ(j["tuning"]["best_trial"], best);
  EXPECT_EQ(j["tuning"]["config"], log["best"]["config"]);
  EXPECT_EQ(j["components"], log["best"]["config"]["components"]) << info.out;
  EXPECT_EQ(j["network"]["hidden"].size(), log["best"]["config"]["depth"].get<std::size_t>()) << info.out;
  // An untuned model says so.
  ASSERT_EQ(run_mdn(dir_, "train --data d.csv --target y --model u.safetensors --epochs 5 --quiet").status, 0);
  EXPECT_TRUE(Json::parse(run_mdn(dir_, "info u.safetensors --json").out)["tuning"].is_null());
  EXPECT_EQ(dir_.read("u.safetensors").find("mdn.tuning"), std::string::npos);
}

TEST_F(TuneCli, SameSeedSameModelBytes) {
  const std::string args = "--data d.csv --target y --epochs 10 --tune 4 --seed 9 --quiet";
  ASSERT_EQ(run_mdn(dir_, "train " + args + " --model a.safetensors").status, 0);
  ASSERT_EQ(run_mdn(dir_, "train " + args + " --model b.safetensors").status, 0);
  EXPECT_EQ(dir_.read("a.safetensors"), dir_.read("b.safetensors"));
}

TEST_F(TuneCli, ATimeCapBelowOneTrialWarnsAndRunsOne) {
  const RunResult r = run_mdn(dir_,
                              "train --data d.csv --target y --model m.safetensors --epochs 10 --tune 20 "
                              "--tune-time 0.000001 --tune-log l.json");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("below the cost of one trial"), std::string::npos) << r.err;
  const Json log = Json::parse(dir_.read("l.json"));
  EXPECT_EQ(log["ended"], "time limit");
  EXPECT_EQ(log["trainings"], 1);
  EXPECT_EQ(log["best"]["trial"], 0);
  EXPECT_TRUE(dir_.exists("m.safetensors"));
}

// The library names TuneOptions' fields, never a flag; the program says the flag.
TEST(TuneFlagWords, TheLibraryNamesFieldsAndTheProgramFlags) {
  mdn::Dataset data;
  data.x = mdn::MatrixD(20, 1);
  data.t = mdn::MatrixD(20, 1);
  mdn::ModelSpec spec;
  spec.input_dim = spec.target_dim = 1;
  mdn::TuneOptions settings;
  for (int field = 0; field < 2; ++field) {
    settings.trials = field == 0 ? 0 : 5;
    settings.time_limit = field == 0 ? 0.0 : -1.0;
    try {
      (void)mdn::tune(spec, data, mdn::TrainOptions{}, settings);
      FAIL() << "field " << field << " was accepted";
    } catch (const mdn::UsageError& e) {
      const std::string what = e.what();
      EXPECT_EQ(what.find("--"), std::string::npos) << what;
      const std::string flag = field == 0 ? "--tune must be at least 1" : "--tune-time must be 0";
      EXPECT_NE(mdn::cli::in_flag_words(what).find(flag), std::string::npos) << mdn::cli::in_flag_words(what);
    }
  }
}

// Ctrl-C during the search: the log so far, with the best configuration,
// and exit 130; no model.
TEST_F(TuneCli, InterruptWritesTheLogAndExits130) {
  ASSERT_EQ(run_mdn(dir_, "data hetero --rows 3000 --seed 1 --out big.csv").status, 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    if (::chdir(dir_.path().c_str()) != 0) ::_exit(126);
    const int err = ::open("run.err", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(err, STDERR_FILENO);
    ::execl(MDN_EXE, MDN_EXE, "train", "--data", "big.csv", "--target", "y", "--model", "m.safetensors", "--tune",
            "50", "--tune-log", "l.json", "--progress", "lines", static_cast<char*>(nullptr));
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (dir_.read("run.err").find("model search:") == std::string::npos &&
         std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_NE(dir_.read("run.err").find("model search:"), std::string::npos) << dir_.read("run.err");
  ::kill(pid, SIGINT);
  int raw = 0;
  while (::waitpid(pid, &raw, 0) < 0 && errno == EINTR) {
  }
  ASSERT_TRUE(WIFEXITED(raw)) << dir_.read("run.err");
  EXPECT_EQ(WEXITSTATUS(raw), 130) << dir_.read("run.err");
  EXPECT_NE(dir_.read("run.err").find("interrupted during the model search"), std::string::npos)
      << dir_.read("run.err");
  EXPECT_FALSE(dir_.exists("m.safetensors"));
  ASSERT_TRUE(dir_.exists("l.json"));
  const Json log = Json::parse(dir_.read("l.json"));
  EXPECT_EQ(log["ended"], "interrupted");
  EXPECT_GE(log["trainings"].get<int>(), 1);
  EXPECT_TRUE(log["best"]["config"].is_object());
  EXPECT_TRUE(log["best"]["mean_score"].is_number());
}

}  // namespace
