// `mpirun --oversubscribe -np N mdn ...` end to end (docs/DISTRIBUTED.md):
// data-parallel training equals one process to float tolerance and repeats
// bit for bit; ensemble members over ranks, sharded predict, sample and eval
// equal the single-process outputs byte for byte; a file with text, date and
// filled-in features trains on 2 and 3 ranks with one process's encoding; a
// bad row in one rank's part, a killed rank and a usage error each end every
// rank with one message and no output; an interrupted run resumes with the
// same number of ranks.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "cli/cli_harness.hpp"
#include "mdn/feature_encoding.hpp"
#include "mdn/model_io.hpp"

namespace {

using mdn::test::run_mdn;
using mdn::test::RunResult;
using mdn::test::TempDir;

// mpirun as root (CI) needs these two; one thread per rank keeps the 2-core
// machine responsive and the bits a function of the seed and rank count.
const std::string kEnv =
    "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1 "
    "OMP_NUM_THREADS=1 OMP_WAIT_POLICY=passive ";

RunResult run_ranks(const TempDir& dir, int ranks, const std::string& args) {
  const std::string out = dir.file(".stdout"), err = dir.file(".stderr");
  const std::string command = "cd '" + dir.path() + "' && " + kEnv + "'" MDN_MPIEXEC "' --oversubscribe -np " +
                              std::to_string(ranks) + " '" MDN_EXE "' " + args + " > '" + out + "' 2> '" + err + "'";
  const int raw = std::system(command.c_str());
  RunResult r;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  r.out = dir.read(".stdout");
  r.err = dir.read(".stderr");
  return r;
}

RunResult run_one(const TempDir& dir, const std::string& args) {
  ::setenv("OMP_NUM_THREADS", "1", 1);
  ::setenv("OMP_WAIT_POLICY", "passive", 1);
  return run_mdn(dir, args);
}

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Data-parallel against one process: the same batches and standardisation,
// sums that differ only in the order of their terms.
void expect_same_parameters(const mdn::Model& one, const mdn::Model& dp) {
  ASSERT_EQ(one.params.size(), dp.params.size());
  for (std::size_t i = 0; i < one.params.size(); ++i)
    ASSERT_NEAR(one.params[i], dp.params[i], 1e-4f * (1.0f + std::fabs(one.params[i]))) << "parameter " << i;
}

class MpiCli : public testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(run_one(dir_, "data bishop --rows 3000 --seed 4 --out b.csv").status, 0); }
  TempDir dir_;
};

constexpr const char* kTrain = "train --data b.csv --target y --epochs 4 --batch-size 64 --seed 7 --device cpu --quiet";

TEST_F(MpiCli, DataParallelTwoRanksMatchOneRankAndRepeat) {
  ASSERT_EQ(run_one(dir_, std::string(kTrain) + " --model one.safetensors").status, 0);
  const RunResult two = run_ranks(dir_, 2, std::string(kTrain) + " --model two.safetensors");
  ASSERT_EQ(two.status, 0) << two.err;
  ASSERT_EQ(run_ranks(dir_, 2, std::string(kTrain) + " --model again.safetensors").status, 0);
  // The same seed and number of ranks: the same bits.
  EXPECT_EQ(dir_.read("two.safetensors"), dir_.read("again.safetensors"));
  // One rank vs two: the same batches and standardisation; the sums differ
  // only in the order of their terms.
  const mdn::Model one = mdn::load_model(dir_.file("one.safetensors"));
  const mdn::Model dp = mdn::load_model(dir_.file("two.safetensors"));
  EXPECT_NE(dir_.read("one.safetensors"), dir_.read("two.safetensors"));  // really computed apart
  expect_same_parameters(one, dp);
  for (std::size_t d = 0; d < one.stats.t_mean.size(); ++d) {
    EXPECT_FLOAT_EQ(one.stats.t_mean[d], dp.stats.t_mean[d]);
    EXPECT_FLOAT_EQ(one.stats.t_scale[d], dp.stats.t_scale[d]);
  }
  ASSERT_EQ(one.history.val_nll.size(), dp.history.val_nll.size());
  for (std::size_t e = 0; e < one.history.val_nll.size(); ++e)
    EXPECT_NEAR(one.history.val_nll[e], dp.history.val_nll[e], 1e-4);
}

TEST_F(MpiCli, WeightedDataParallelMatchesOneRank) {
  // b.csv with a weight column 0, 1, 2, 3, 0, ...: rows of weight 0 leave
  // before the split on every rank, so the ranks' row offsets must be
  // recounted for the two runs to see the same batches.
  std::istringstream in(dir_.read("b.csv"));
  std::string line, out;
  std::getline(in, line);
  out = line + ",w\n";
  for (int i = 0; std::getline(in, line); ++i) out += line + "," + std::to_string(i % 4) + "\n";
  dir_.write("bw.csv", out);
  const std::string train = "train --data bw.csv --target y --features x --weight w --epochs 3 --batch-size 64 "
                            "--seed 7 --device cpu --quiet";
  ASSERT_EQ(run_one(dir_, train + " --model one.safetensors").status, 0);
  const RunResult two = run_ranks(dir_, 2, train + " --model two.safetensors");
  ASSERT_EQ(two.status, 0) << two.err;
  const mdn::Model one = mdn::load_model(dir_.file("one.safetensors"));
  const mdn::Model dp = mdn::load_model(dir_.file("two.safetensors"));
  expect_same_parameters(one, dp);
  EXPECT_FLOAT_EQ(one.stats.t_mean[0], dp.stats.t_mean[0]);
  ASSERT_EQ(one.history.val_nll.size(), dp.history.val_nll.size());
  for (std::size_t e = 0; e < one.history.val_nll.size(); ++e)
    EXPECT_NEAR(one.history.val_nll[e], dp.history.val_nll[e], 1e-4);
}

TEST_F(MpiCli, EnsembleMembersOverRanksEqualTheSequentialEnsemble) {
  const std::string train = std::string(kTrain) + " --ensemble 3";
  ASSERT_EQ(run_one(dir_, train + " --model seq.safetensors").status, 0);
  const RunResult two = run_ranks(dir_, 2, train + " --model ranks.safetensors");
  ASSERT_EQ(two.status, 0) << two.err;
  EXPECT_EQ(mdn::load_model(dir_.file("ranks.safetensors")).members, 3);
  EXPECT_EQ(dir_.read("seq.safetensors"), dir_.read("ranks.safetensors"));
}

TEST_F(MpiCli, ShardedPredictSampleAndEvalEqualOneProcess) {
  ASSERT_EQ(run_one(dir_, std::string(kTrain) + " --model m.safetensors").status, 0);
  // 9,000 rows: the ranks' parts start inside the 4,096-row forward blocks.
  ASSERT_EQ(run_one(dir_, "data bishop --rows 9000 --seed 5 --out big.csv").status, 0);
  const std::string predict = "predict --model m.safetensors --data big.csv --params --modes --quiet --out ";
  ASSERT_EQ(run_one(dir_, predict + "p1.csv").status, 0);
  for (int ranks : {2, 3}) {
    const RunResult r = run_ranks(dir_, ranks, predict + "p" + std::to_string(ranks) + "0.csv");
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(dir_.read("p1.csv"), dir_.read("p" + std::to_string(ranks) + "0.csv")) << ranks << " ranks";
  }
  const std::string sample = "sample --model m.safetensors --data big.csv --samples 5 --seed 9 --quiet --out ";
  ASSERT_EQ(run_one(dir_, sample + "s1.csv").status, 0);
  ASSERT_EQ(run_ranks(dir_, 3, sample + "s3.csv").status, 0);
  EXPECT_EQ(dir_.read("s1.csv"), dir_.read("s3.csv"));
  EXPECT_GT(dir_.read("s1.csv").size(), 9000u * 5u * 10u);
  const std::string eval = "eval --model m.safetensors --data big.csv --json ";
  const RunResult e1 = run_one(dir_, eval + "e1.json");
  ASSERT_EQ(e1.status, 0) << e1.err;
  const RunResult e2 = run_ranks(dir_, 2, eval + "e2.json");
  ASSERT_EQ(e2.status, 0) << e2.err;
  EXPECT_EQ(dir_.read("e1.json"), dir_.read("e2.json"));
  EXPECT_EQ(e1.out, e2.out);  // the table, printed once
}

TEST_F(MpiCli, ABadRowInOneRanksPartStopsEveryRankWithOneMessage) {
  // Line 2,900 of 3,001 lies in rank 1's part; its number is the file's line.
  std::string text = dir_.read("b.csv");
  std::size_t at = 0;
  for (int line = 1; line < 2900; ++line) at = text.find('\n', at) + 1;
  text.replace(at, text.find('\n', at) - at, "0.5,abc");
  dir_.write("bad.csv", text);
  const RunResult r =
      run_ranks(dir_, 2, "train --data bad.csv --target y --epochs 2 --device cpu --model bad.safetensors");
  EXPECT_NE(r.status, 0);
  EXPECT_EQ(count(r.err, "error:"), 1) << r.err;
  EXPECT_NE(r.err.find("rank 1: bad.csv: line 2900, column 'y': 'abc' is not a number"), std::string::npos) << r.err;
  EXPECT_FALSE(dir_.exists("bad.safetensors"));
}

TEST_F(MpiCli, AUsageErrorIsShownOnceAndEndsEveryRank) {
  const RunResult r = run_ranks(dir_, 2, "train --data b.csv --target y --model u.safetensors --ensemble 0");
  EXPECT_EQ(r.status, 2);
  EXPECT_EQ(count(r.err, "--ensemble"), 1) << r.err;
  const RunResult v = run_ranks(dir_, 2, "--version");
  EXPECT_EQ(v.status, 0);
  EXPECT_EQ(count(v.out, "MPI: compiled in"), 1) << v.out;
  EXPECT_NE(run_one(dir_, "--version").out.find("MPI: compiled in"), std::string::npos);
}

// The library says TrainOptions::checkpoint_every; the program shows its flag.
TEST_F(MpiCli, ALibraryErrorNamesTheFlagNotTheField) {
  const RunResult r =
      run_ranks(dir_, 2, std::string(kTrain) + " --model e.safetensors --ensemble 2 --checkpoint-every 1");
  EXPECT_EQ(r.status, 2) << r.err;
  EXPECT_EQ(count(r.err, "--checkpoint-every"), 1) << r.err;
  EXPECT_EQ(r.err.find("TrainOptions::"), std::string::npos) << r.err;
  EXPECT_FALSE(dir_.exists("e.safetensors"));
}

// The rank processes of a run: the `mdn` processes whose command line names
// `model` and whose environment says which rank they are.
std::vector<std::pair<pid_t, int>> rank_processes(const std::string& model) {
  std::vector<std::pair<pid_t, int>> found;
  FILE* list = ::popen(("pgrep -f -- '" MDN_EXE " train.*" + model + "'").c_str(), "r");
  for (int pid = 0; list && std::fscanf(list, "%d", &pid) == 1;) {
    std::ifstream env("/proc/" + std::to_string(pid) + "/environ", std::ios::binary);
    std::stringstream ss;
    ss << env.rdbuf();
    const std::string all = ss.str();
    const std::size_t at = all.find("OMPI_COMM_WORLD_RANK=");
    if (at != std::string::npos) found.emplace_back(pid, std::atoi(all.c_str() + at + 21));
  }
  if (list) ::pclose(list);
  return found;
}

// Starts a 2-rank training in the background; returns once rank 0 has
// reported epoch `epoch` (progress lines in NAME.err).
pid_t start_training(const TempDir& dir, const std::string& model, int epoch) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const std::string command = "cd '" + dir.path() + "' && " + kEnv +
                                "exec '" MDN_MPIEXEC "' --oversubscribe -np 2 '" + MDN_EXE +
                                "' train --data b.csv --target y --epochs 400 --seed 2 --device cpu " +
                                "--progress lines --model '" + dir.file(model) + "' > run.out 2> run.err";
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  const std::string mark = "epoch " + std::to_string(epoch) + "/";
  for (int i = 0; i < 1200 && dir.read("run.err").find(mark) == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  return pid;
}

int wait_status(pid_t pid) {
  int raw = 0;
  ::waitpid(pid, &raw, 0);
  return WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
}

TEST_F(MpiCli, AKilledRankEndsEveryRankAndLeavesNoModel) {
  const pid_t run = start_training(dir_, "k.safetensors", 2);
  int killed = 0;
  for (const auto& [pid, rank] : rank_processes(dir_.file("k.safetensors")))
    if (rank == 1) killed += ::kill(pid, SIGKILL) == 0;
  ASSERT_EQ(killed, 1) << dir_.read("run.err");
  EXPECT_NE(wait_status(run), 0);
  EXPECT_TRUE(rank_processes(dir_.file("k.safetensors")).empty());
  EXPECT_FALSE(dir_.exists("k.safetensors"));
}

TEST_F(MpiCli, AnInterruptedRunResumesWithTheSameRanksToTheSameModel) {
  const std::string args = "train --data b.csv --target y --epochs 30 --seed 2 --device cpu";
  ASSERT_EQ(run_ranks(dir_, 2, args + " --quiet --model full.safetensors").status, 0);
  // SIGINT to both ranks once rank 0 has reported epoch 3 (their signal
  // handlers are in place): they agree to stop after the same epoch, and
  // rank 0 writes the checkpoint.
  const pid_t pid = ::fork();
  if (pid == 0) {
    const std::string command = "cd '" + dir_.path() + "' && " + kEnv +
                                "exec '" MDN_MPIEXEC "' --oversubscribe -np 2 '" MDN_EXE "' " + args +
                                " --progress lines --model '" + dir_.file("r.safetensors") + "' 2> run.err";
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  for (int i = 0; i < 1200 && dir_.read("run.err").find("epoch 3/") == std::string::npos; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const auto ranks = rank_processes(dir_.file("r.safetensors"));
  ASSERT_EQ(ranks.size(), 2u) << dir_.read("run.err");
  for (const auto& [p, rank] : ranks) ::kill(p, SIGINT);
  wait_status(pid);
  ASSERT_TRUE(dir_.exists("r.safetensors.ckpt")) << dir_.read("run.err");
  EXPECT_NE(dir_.read("run.err").find("interrupted after epoch"), std::string::npos);
  EXPECT_FALSE(dir_.exists("r.safetensors"));
  const RunResult resumed =
      run_ranks(dir_, 2,
                "train --data b.csv --target y --device cpu --quiet --resume r.safetensors.ckpt --model '" +
                    dir_.file("r.safetensors") + "'");
  ASSERT_EQ(resumed.status, 0) << resumed.err;
  EXPECT_EQ(dir_.read("r.safetensors"), dir_.read("full.safetensors"));
}


// Full covariance over ranks: data-parallel training equals one process to
// float tolerance, and an ensemble's members over ranks equal the
// sequential ensemble byte for byte (the off-diagonal head outputs travel
// like the rest of the parameters).
TEST(MpiFullCovariance, DataParallelAndMembersOverRanksMatchOneProcess) {
  TempDir dir;
  ASSERT_EQ(run_one(dir, "data spiral2d --rows 2000 --seed 3 --out s.csv").status, 0);
  const std::string train =
      "train --data s.csv --target y1,y2 --features x --covariance full --epochs 3 --batch-size 64 --seed 5 "
      "--device cpu --quiet";
  ASSERT_EQ(run_one(dir, train + " --model one.safetensors").status, 0);
  const RunResult two = run_ranks(dir, 2, train + " --model two.safetensors");
  ASSERT_EQ(two.status, 0) << two.err;
  const mdn::Model one = mdn::load_model(dir.file("one.safetensors"));
  const mdn::Model dp = mdn::load_model(dir.file("two.safetensors"));
  ASSERT_EQ(dp.spec.covariance, mdn::Covariance::Full);
  expect_same_parameters(one, dp);
  ASSERT_EQ(run_one(dir, train + " --ensemble 3 --model seq.safetensors").status, 0);
  const RunResult members = run_ranks(dir, 2, train + " --ensemble 3 --model ranks.safetensors");
  ASSERT_EQ(members.status, 0) << members.err;
  EXPECT_EQ(dir.read("seq.safetensors"), dir.read("ranks.safetensors"));
}


// --tune on 2 ranks: the trainings of each rung are shared out and their
// scores gathered; the search log (but its timings) and the model equal one
// process's, byte for byte.
TEST(MpiCliTune, TuneOverRanksGivesTheOneProcessSearchAndModel) {
  TempDir dir;
  ASSERT_EQ(run_one(dir, "data bishop --rows 400 --seed 2 --out b.csv").status, 0);
  const std::string train = "train --data b.csv --target y --tune 4 --epochs 15 --seed 3 --device cpu --quiet";
  ASSERT_EQ(run_one(dir, train + " --tune-log one.json --model one.safetensors").status, 0);
  const RunResult two = run_ranks(dir, 2, train + " --tune-log two.json --model two.safetensors");
  ASSERT_EQ(two.status, 0) << two.err;
  EXPECT_EQ(dir.read("one.safetensors"), dir.read("two.safetensors"));
  auto scores = [&](const std::string& name) {
    nlohmann::json log = nlohmann::json::parse(dir.read(name));
    for (auto& t : log["trials"]) t.erase("seconds");
    return log["trials"].dump() + log["best"].dump() + log["trainings"].dump();
  };
  EXPECT_EQ(scores("one.json"), scores("two.json"));
}


// A model with a category feature (mdn/feature_encoding.hpp) predicts and
// samples on 3 ranks byte for byte as in one process, each rank encoding its
// part of the rows; the unseen category is counted over all ranks; eval's
// scores are one process's.
TEST(MpiCliEncoded, PredictSampleAndEvalOfAnEncodedModelEqualOneProcess) {
  TempDir dir;
  std::string train = "kind,x,y\n", query = "kind,x,y\n";
  for (int i = 0; i < 300; ++i) {
    const char* kind = i % 3 == 0 ? "a" : i % 3 == 1 ? "b" : "c";
    const double x = (i * 37 % 101) / 101.0, y = (i % 3) + x + 0.05 * std::sin(i * 1.7);
    (i < 240 ? train : query) += std::string(kind) + "," + std::to_string(x) + "," + std::to_string(y) + "\n";
  }
  query += "d,0.5,1.0\n";  // a category not seen in training
  dir.write("train.csv", train);
  dir.write("q.csv", query);
  ASSERT_EQ(run_one(dir, "train --data train.csv --target y --epochs 5 --seed 2 --model m.safetensors --device cpu "
                         "--quiet")
                .status,
            0);
  for (const std::string cmd : {"predict --out P --interval 0.9", "sample --samples 3 --seed 4 --out P"}) {
    auto with = [&](const std::string& out) { return cmd.substr(0, cmd.find('P')) + out + cmd.substr(cmd.find('P') + 1); };
    const RunResult one = run_one(dir, with("one.csv") + " --model m.safetensors --data q.csv --device cpu");
    ASSERT_EQ(one.status, 0) << one.err;
    const RunResult three = run_ranks(dir, 3, with("three.csv") + " --model m.safetensors --data q.csv --device cpu");
    ASSERT_EQ(three.status, 0) << three.err;
    EXPECT_EQ(dir.read("one.csv"), dir.read("three.csv")) << cmd;
    EXPECT_NE(three.err.find("1 of 61 rows have a category of 'kind' not seen in training (the first: 'd')"),
              std::string::npos)
        << three.err;
  }
  ASSERT_EQ(run_one(dir, "eval --model m.safetensors --data q.csv --device cpu --json one.json").status, 0);
  const RunResult eval = run_ranks(dir, 3, "eval --model m.safetensors --data q.csv --device cpu --json three.json");
  ASSERT_EQ(eval.status, 0) << eval.err;
  const nlohmann::json a = nlohmann::json::parse(dir.read("one.json")), b = nlohmann::json::parse(dir.read("three.json"));
  EXPECT_EQ(a["nll"], b["nll"]);
  EXPECT_EQ(a["rows"], b["rows"]);
  EXPECT_EQ(a["feature_encoding"], b["feature_encoding"]);
}

// Data-parallel training on a file whose features need an encoding (a text
// column, a date column with missing cells, a number column with missing
// cells): the ranks fit the encoding one process fits on the whole file.
class MpiCliEncodedTraining : public testing::Test {
 protected:
  // 900 rows; the category 'a' (first in sorted order) only in the last 60
  // rows, the last rank's part; z and the dates have missing cells.
  void SetUp() override {
    std::string text = "kind,when,z,x,y\n";
    for (int i = 0; i < 900; ++i) {
      const char* kind = i >= 840 ? "a" : i % 3 == 0 ? "m" : i % 3 == 1 ? "n" : "p";
      const double x = (i * 37 % 101) / 101.0, z = 1000.0 + 0.37 * i + 1e-3 * std::sin(i) + (i % 13 == 0 ? 5e4 : 0.0);
      const double y = (i % 3) + x + 0.00074 * i + 0.05 * std::sin(i * 1.7) + (i >= 840 ? 1.0 : 0.0);
      char when[16];
      std::snprintf(when, sizeof when, "%04d-%02d-%02d", 2019 + i % 3, 1 + i % 12, 1 + i % 28);
      const bool z_missing = i % 7 == 3, when_missing = i % 23 == 5;
      text += std::string(kind) + "," + (when_missing ? "" : when) + "," + (z_missing ? "" : std::to_string(z)) +
              "," + std::to_string(x) + "," + std::to_string(y) + "\n";
      if (!z_missing) z_values_.push_back(std::stod(std::to_string(z)));
    }
    dir_.write("g.csv", text);
  }
  std::string encoding_of(const std::string& model) const {
    const mdn::Model m = mdn::load_model(dir_.file(model));
    return m.encoding ? mdn::encoding_to_json(*m.encoding) : std::string("(none)");
  }
  TempDir dir_;
  std::vector<double> z_values_;  // the numbers of column z, in file order
};

// What `mdn train` says about the columns (the other lines name the ranks).
std::string column_lines(const std::string& err) {
  std::istringstream in(err);
  std::string out;
  for (std::string line; std::getline(in, line);)
    if (line.find("feature column") != std::string::npos || line.find("has missing values") != std::string::npos)
      out += line + "\n";
  return out;
}

// The numbers of a CSV text, row by row.
std::vector<double> csv_numbers(const std::string& text) {
  std::vector<double> out;
  std::istringstream in(text);
  std::string line, cell;
  std::getline(in, line);  // the header
  while (std::getline(in, line)) {
    std::istringstream cells(line);
    while (std::getline(cells, cell, ',')) out.push_back(std::stod(cell));
  }
  return out;
}

TEST_F(MpiCliEncodedTraining, TheRanksFitOneProcesssEncodingAndTrainItsModel) {
  // The fill mean of z summed in file order differs in its bits from the sum
  // of the parts' sums: only a sum in file order gives one process's bits.
  double in_order = 0.0, first = 0.0, second = 0.0;
  for (std::size_t i = 0; i < z_values_.size(); ++i) (i < z_values_.size() / 2 ? first : second) += z_values_[i];
  for (double v : z_values_) in_order += v;
  ASSERT_NE(in_order, first + second) << "pick values whose sum depends on the order";

  const std::string train = "train --data g.csv --target y --epochs 4 --batch-size 64 --seed 7 --device cpu";
  const RunResult one = run_one(dir_, train + " --model one.safetensors");
  ASSERT_EQ(one.status, 0) << one.err;
  const RunResult two = run_ranks(dir_, 2, train + " --model two.safetensors");
  ASSERT_EQ(two.status, 0) << two.err;
  const RunResult three = run_ranks(dir_, 3, train + " --model three.safetensors");
  ASSERT_EQ(three.status, 0) << three.err;
  EXPECT_NE(two.err.find("2 ranks (data-parallel)"), std::string::npos) << two.err;

  // The encoding stored in the model: one process's, byte for byte.
  const std::string encoding = encoding_of("one.safetensors");
  EXPECT_NE(encoding.find("\"categories\":[\"a\",\"m\",\"n\",\"p\"]"), std::string::npos) << encoding;
  EXPECT_NE(encoding.find("\"parts\":[\"year\",\"doy_sin\",\"doy_cos\"]"), std::string::npos) << encoding;
  EXPECT_EQ(encoding, encoding_of("two.safetensors"));
  EXPECT_EQ(encoding, encoding_of("three.safetensors"));
  const mdn::Model m = mdn::load_model(dir_.file("two.safetensors"));
  ASSERT_TRUE(m.encoding);
  ASSERT_EQ(m.encoding->inputs[2].name, "z");
  EXPECT_EQ(m.encoding->inputs[2].fill.at(0), in_order / double(z_values_.size()));
  // What train says about the columns, once.
  ASSERT_NE(column_lines(one.err), "");
  EXPECT_EQ(column_lines(one.err), column_lines(two.err));
  EXPECT_EQ(column_lines(one.err), column_lines(three.err));

  // The model: one process's to float rounding (the gradients' sums differ
  // only in the order of their terms).
  const mdn::Model single = mdn::load_model(dir_.file("one.safetensors"));
  expect_same_parameters(single, m);
  expect_same_parameters(single, mdn::load_model(dir_.file("three.safetensors")));
  // Its predictions too: smooth functions of parameters that agree to 1e-4
  // relative agree to 1e-3 (relative, or absolute near zero).
  for (const char* model : {"one", "two"}) {
    const RunResult p = run_one(dir_, std::string("predict --model ") + model + ".safetensors --data g.csv --out " +
                                          model + ".csv --device cpu");
    ASSERT_EQ(p.status, 0) << p.err;
  }
  const std::vector<double> a = csv_numbers(dir_.read("one.csv")), b = csv_numbers(dir_.read("two.csv"));
  ASSERT_EQ(a.size(), b.size());
  ASSERT_GT(a.size(), 900u);
  for (std::size_t i = 0; i < a.size(); ++i) ASSERT_NEAR(a[i], b[i], 1e-3 * (1.0 + std::fabs(a[i]))) << "value " << i;
}

// --init from an encoded model: the ranks encode their parts with its
// encoding, as one process does.
TEST_F(MpiCliEncodedTraining, AnEncodedModelTrainsOnWithItsEncodingOnRanks) {
  const std::string train = "train --data g.csv --target y --epochs 2 --batch-size 64 --seed 7 --device cpu --quiet";
  ASSERT_EQ(run_one(dir_, train + " --model start.safetensors").status, 0);
  ASSERT_EQ(run_one(dir_, train + " --init start.safetensors --model one.safetensors").status, 0);
  const RunResult two = run_ranks(dir_, 2, train + " --init start.safetensors --model two.safetensors");
  ASSERT_EQ(two.status, 0) << two.err;
  EXPECT_EQ(encoding_of("start.safetensors"), encoding_of("two.safetensors"));
  expect_same_parameters(mdn::load_model(dir_.file("one.safetensors")), mdn::load_model(dir_.file("two.safetensors")));
}

// A date column with a cell that is not a date in the last rank's part: one
// message, the file's line, on every rank; no model.
TEST_F(MpiCliEncodedTraining, ABadDateInOneRanksPartStopsEveryRankWithOneMessage) {
  std::string text = dir_.read("g.csv");
  std::size_t at = 0;
  for (int line = 1; line < 880; ++line) at = text.find('\n', at) + 1;
  const std::size_t cell = text.find(',', at) + 1;
  text.replace(cell, text.find(',', cell) - cell, "soon");
  dir_.write("bad.csv", text);
  const std::string train = "train --data bad.csv --target y --epochs 2 --device cpu --model bad.safetensors";
  const RunResult one = run_one(dir_, train);
  const RunResult three = run_ranks(dir_, 3, train);
  EXPECT_NE(three.status, 0);
  EXPECT_EQ(three.status, one.status);
  EXPECT_EQ(count(three.err, "error:"), 1) << three.err;
  const std::string what = "bad.csv: line 880, column 'when': 'soon' is not a date, in a column of dates";
  EXPECT_NE(one.err.find(what), std::string::npos) << one.err;
  EXPECT_NE(three.err.find(what), std::string::npos) << three.err;
  EXPECT_FALSE(dir_.exists("bad.safetensors"));
}

}  // namespace
