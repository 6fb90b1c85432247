// `mdn data`, `mdn train` and `mdn demo` end to end, including a run that is
// interrupted with SIGINT and resumed to the same model as an uninterrupted one.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <string>
#include <thread>

#include "cli_harness.hpp"

namespace {

using mdn::test::run_mdn;
using mdn::test::TempDir;

TEST(TrainCli, DataThenTrainWritesAModelAndReportsProgress) {
  TempDir dir;
  ASSERT_EQ(run_mdn(dir, "data bishop --rows 500 --seed 2 --out b.csv").status, 0);
  const std::string csv = dir.read("b.csv");
  EXPECT_EQ(csv.rfind("x,y\n", 0), 0u);
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 501);
  const auto r = run_mdn(dir, "train --data b.csv --target y --model m.safetensors --epochs 3 --device cpu");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_NE(r.err.find("epoch 3/3"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("samples/s"), std::string::npos) << r.err;
  EXPECT_TRUE(dir.exists("m.safetensors"));
  EXPECT_FALSE(dir.exists("m.safetensors.ckpt"));  // no checkpoint unless asked or interrupted
}

TEST(TrainCli, SameSeedSameModelFile) {
  TempDir dir;
  ASSERT_EQ(run_mdn(dir, "data hetero --rows 400 --out h.csv").status, 0);
  for (const char* out : {"a.safetensors", "b.safetensors"})
    ASSERT_EQ(
        run_mdn(dir, std::string("train --data h.csv --target y --epochs 4 --seed 9 --quiet --model ") + out).status,
        0);
  EXPECT_EQ(dir.read("a.safetensors"), dir.read("b.safetensors"));
}

TEST(TrainCli, InterruptedRunResumesToTheSameModel) {
  TempDir dir;
  ASSERT_EQ(run_mdn(dir, "data bishop --rows 6000 --seed 1 --out b.csv").status, 0);
  const std::string train = "train --data b.csv --target y --epochs 30 --patience 0 --seed 5 --batch-size 32 ";
  ASSERT_EQ(run_mdn(dir, train + "--model full.safetensors").status, 0);

  // Start the same run in the background, SIGINT it part-way, then resume.
  const std::string pid_file = dir.file("pid");
  const std::string launch =
      "cd '" + dir.path() + "' && ('" MDN_EXE "' " + train +
      "--model part.safetensors > out.txt 2> err.txt & echo $! > pid; wait $!; echo $? > status)";
  std::thread runner([&] { std::system(launch.c_str()); });
  // Signal once the second epoch has been reported: mid-run, whatever the speed.
  for (int wait = 0; wait < 6000 && dir.read("err.txt").find("epoch 2/") == std::string::npos; ++wait)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const int pid = std::stoi(dir.read("pid"));
  ::kill(pid, SIGINT);
  runner.join();
  const std::string status = dir.read("status");
  if (status.rfind("0", 0) == 0) GTEST_SKIP() << "the run finished before the signal arrived (machine too fast)";
  EXPECT_EQ(status.rfind("130", 0), 0u) << status << dir.read("err.txt");
  EXPECT_NE(dir.read("err.txt").find("--resume part.safetensors.ckpt"), std::string::npos) << dir.read("err.txt");
  EXPECT_FALSE(dir.exists("part.safetensors"));
  ASSERT_TRUE(dir.exists("part.safetensors.ckpt"));

  const auto resumed = run_mdn(dir, train + "--model part.safetensors --resume part.safetensors.ckpt");
  ASSERT_EQ(resumed.status, 0) << resumed.err;
  EXPECT_EQ(dir.read("part.safetensors"), dir.read("full.safetensors"));
}

TEST(TrainCli, CheckpointEveryWritesAResumableFileAndAModelIsNotACheckpoint) {
  TempDir dir;
  ASSERT_EQ(run_mdn(dir, "data bishop --rows 300 --out b.csv").status, 0);
  // A constant rate: raising --epochs on resume lengthens a cosine schedule,
  // which the first 3 epochs did not follow (a resumed cosine run is exact when
  // its options are the original ones: InterruptedRunResumesToTheSameModel).
  const std::string train = "train --data b.csv --target y --patience 0 --seed 1 --quiet --schedule constant ";
  ASSERT_EQ(run_mdn(dir, train + "--epochs 6 --model full.safetensors").status, 0);
  ASSERT_EQ(run_mdn(dir, train + "--epochs 3 --checkpoint-every 3 --model part.safetensors").status, 0);
  ASSERT_TRUE(dir.exists("part.safetensors.ckpt"));
  // Continue the 3-epoch checkpoint to 6 epochs: same as 6 epochs straight.
  ASSERT_EQ(run_mdn(dir, train + "--epochs 6 --model part.safetensors --resume part.safetensors.ckpt").status, 0);
  EXPECT_EQ(dir.read("part.safetensors"), dir.read("full.safetensors"));

  const auto wrong = run_mdn(dir, train + "--model x.safetensors --resume full.safetensors");
  EXPECT_EQ(wrong.status, 1);
  EXPECT_NE(wrong.err.find("not a training checkpoint"), std::string::npos) << wrong.err;
  EXPECT_FALSE(dir.exists("x.safetensors"));
}

TEST(DemoCli, WritesItsOutputsAndShowsTheMixture) {
  TempDir dir;
  const auto r = run_mdn(dir, "demo --out demo --rows 600 --epochs 5 --quiet --device cpu");
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_TRUE(dir.exists("demo/bishop.csv"));
  EXPECT_TRUE(dir.exists("demo/model.safetensors"));
  EXPECT_NE(r.out.find("x = 0.50"), std::string::npos) << r.out;
}

}  // namespace
