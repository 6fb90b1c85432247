// Faults that kill, not only faults that throw: `mdn train` is SIGKILLed at
// random moments, during an epoch, while a checkpoint is being written and
// while the model is being written. Whatever the moment, the model file and the
// checkpoint on disk are complete — the previous version or the new one, never
// a torn file — and --resume from the surviving checkpoint gives the same model
// as an uninterrupted run. Two trainers writing one --model path leave one
// complete model; a full disk under `mdn sample --out` leaves no partial output.
//
// The moments inside a write are found without hooks in the program: inotify
// reports when the temporary file of an atomic write is created, written and
// closed, and the test kills the process at a chosen one of those events.
#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "cli_harness.hpp"

namespace {

using mdn::test::run_mdn;
using mdn::test::RunResult;
using mdn::test::TempDir;
using Clock = std::chrono::steady_clock;

// One thread each and no re-exec: every run of a test computes the same bits
// (same seed and thread count), and the 2-core CI machine stays responsive.
class KillTest : public testing::Test {
 protected:
  void SetUp() override {
    ::setenv("OMP_NUM_THREADS", "1", 1);
    ::setenv("OMP_WAIT_POLICY", "passive", 1);
  }
};

// `mdn ARGS` started in `dir` (stdout/stderr to NAME.out/NAME.err there).
pid_t spawn_mdn(const TempDir& dir, const std::vector<std::string>& args, const std::string& name) {
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  if (::chdir(dir.path().c_str()) != 0) ::_exit(126);
  const int out = ::open((name + ".out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  const int err = ::open((name + ".err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  ::dup2(out, STDOUT_FILENO);
  ::dup2(err, STDERR_FILENO);
  std::vector<char*> argv{const_cast<char*>(MDN_EXE)};
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  ::execv(MDN_EXE, argv.data());
  ::_exit(127);
}

// Exit status, or 128 + signal.
int wait_for(pid_t pid) {
  int raw = 0;
  while (::waitpid(pid, &raw, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
}

bool has_exited(pid_t pid) {
  siginfo_t info{};
  return ::waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid;
}

std::vector<std::string> list_dir(const std::string& path) {
  std::vector<std::string> names;
  if (DIR* d = ::opendir(path.c_str())) {
    while (const dirent* e = ::readdir(d))
      if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) names.push_back(e->d_name);
    ::closedir(d);
  }
  return names;
}

bool any_entry_starts_with(const TempDir& dir, const std::string& prefix) {
  for (const auto& e : list_dir(dir.path()))
    if (e.rfind(prefix, 0) == 0) return true;
  return false;
}

// Runs a shell script in `dir`; its stderr is captured.
RunResult run_shell(const TempDir& dir, const std::string& script) {
  const std::string err = dir.file(".shell-stderr");
  const int raw = std::system(("cd '" + dir.path() + "' && (" + script + ") 2> '" + err + "'").c_str());
  RunResult r;
  r.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw);
  r.err = dir.read(".shell-stderr");
  std::remove(err.c_str());
  return r;
}

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  std::string word;
  for (char c : text) {
    if (c == ' ') {
      if (!word.empty()) out.push_back(word);
      word.clear();
    } else {
      word += c;
    }
  }
  if (!word.empty()) out.push_back(word);
  return out;
}

// Watches a directory for the events of files whose names start with a
// prefix (the temporary file of an atomic write: "PATH.tmp-").
class WriteWatch {
 public:
  WriteWatch(const std::string& dir, const std::string& prefix) : prefix_(prefix) {
    fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd_ >= 0) ::inotify_add_watch(fd_, dir.c_str(), IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE);
  }
  ~WriteWatch() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool ok() const { return fd_ >= 0; }

  // SIGKILLs `pid` at the `nth` event of the kinds in `mask` (1-based);
  // returns false when the process exited first or nothing came in time.
  bool kill_at(pid_t pid, std::uint32_t mask, int nth, double timeout_s) {
    int seen = 0;
    const auto end = Clock::now() + std::chrono::duration<double>(timeout_s);
    alignas(inotify_event) char buf[16384];
    while (Clock::now() < end) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) > 0) {
        const ssize_t n = ::read(fd_, buf, sizeof buf);
        for (ssize_t i = 0; i < n;) {
          const auto* e = reinterpret_cast<const inotify_event*>(buf + i);
          i += ssize_t(sizeof(inotify_event) + e->len);
          if (e->len == 0 || !(e->mask & mask) || std::string(e->name).rfind(prefix_, 0) != 0) continue;
          if (++seen == nth) {
            ::kill(pid, SIGKILL);
            return true;
          }
        }
      } else if (has_exited(pid)) {
        return false;
      }
    }
    return false;
  }

 private:
  int fd_ = -1;
  std::string prefix_;
};

// The set-up every training test shares: a small data set, an "old" model
// already at the --model path's place, and the model and duration of an
// uninterrupted run of the training command under test.
struct TrainingCase {
  static constexpr int kEpochs = 30;
  TempDir dir;
  std::string train_args;  // without --model
  std::string old_model, full_model;
  double full_seconds = 0;

  TrainingCase() {
    EXPECT_EQ(run_mdn(dir, "data bishop --rows 400 --seed 3 --out b.csv").status, 0);
    const std::string common =
        "train --data b.csv --target y --patience 0 --batch-size 32 --hidden 48,48 --components 3 --device cpu "
        "--quiet ";
    train_args = common + "--seed 5 --checkpoint-every 1 --epochs " + std::to_string(kEpochs);
    const auto old = run_mdn(dir, common + "--seed 6 --epochs 1 --model old.safetensors");
    EXPECT_EQ(old.status, 0) << old.err;
    const auto start = Clock::now();
    const auto full = run_mdn(dir, train_args + " --model full.safetensors");
    full_seconds = std::chrono::duration<double>(Clock::now() - start).count();
    EXPECT_EQ(full.status, 0) << full.err;
    old_model = dir.read("old.safetensors");
    full_model = dir.read("full.safetensors");
    EXPECT_FALSE(old_model.empty());
    EXPECT_FALSE(full_model.empty());
    EXPECT_NE(old_model, full_model);
  }

  // m.safetensors holds the old model; no checkpoint yet.
  void reset() const {
    dir.write("m.safetensors", old_model);
    std::remove(dir.file("m.safetensors.ckpt").c_str());
  }
  pid_t start_training() const { return spawn_mdn(dir, split(train_args + " --model m.safetensors"), "train"); }

  // After a kill: the model file is the old one or the new complete one; a
  // checkpoint, if there is one, resumes to the uninterrupted run's model.
  // Returns whether a checkpoint was there to resume.
  bool expect_complete_files_and_same_model_after_resume(const std::string& when) const {
    const std::string model = dir.read("m.safetensors");
    EXPECT_TRUE(model == old_model || model == full_model)
        << when << ": the model file is neither the previous nor the new complete model (" << model.size()
        << " bytes; previous " << old_model.size() << ", new " << full_model.size() << ")";
    if (!dir.exists("m.safetensors.ckpt")) return false;
    const auto resumed = run_mdn(dir, train_args + " --model m.safetensors --resume m.safetensors.ckpt");
    EXPECT_EQ(resumed.status, 0) << when << ": the checkpoint left on disk does not resume: " << resumed.err;
    EXPECT_TRUE(dir.read("m.safetensors") == full_model)
        << when << ": resuming the surviving checkpoint gave a different model than an uninterrupted run";
    return true;
  }
};

TEST_F(KillTest, KilledAtRandomMomentsLeavesCompleteFilesThatResumeToTheSameModel) {
  TrainingCase c;
  ASSERT_FALSE(HasFailure());
  std::mt19937 rng(20240611);
  // Moments spread over the whole run, start-up and the final write included.
  std::uniform_real_distribution<double> when(0.0, 1.1 * c.full_seconds);
  constexpr int kRuns = 10;
  int resumed = 0, killed = 0;
  for (int i = 0; i < kRuns; ++i) {
    c.reset();
    const double at = when(rng);
    const pid_t pid = c.start_training();
    std::this_thread::sleep_for(std::chrono::duration<double>(at));
    ::kill(pid, SIGKILL);
    killed += wait_for(pid) == 128 + SIGKILL;
    resumed += c.expect_complete_files_and_same_model_after_resume("killed after " + std::to_string(at) + " s");
    if (HasFailure()) break;
  }
  std::printf("random kills: %d of %d runs killed, %d resumed from their checkpoint (full run %.2f s)\n", killed, kRuns,
              resumed, c.full_seconds);
  EXPECT_GT(killed, 0);
  EXPECT_GT(resumed, 0);
}

// Kills at the n-th create / write / close of the temporary file of an atomic
// write of `target` (a random n over the run): the moments inside that write.
// A kill can come too late (the write finished, or the process exited, before
// the signal arrived): that run is checked as any other, and runs go on (at
// most `max_runs`) until `wanted` kills have landed before the rename.
void kill_inside_writes(const TrainingCase& c, const std::string& target, int wanted, int max_runs, int max_nth) {
  std::mt19937 rng(7 + max_nth);
  const std::uint32_t kinds[] = {IN_CREATE, IN_MODIFY, IN_CLOSE_WRITE};
  const char* kind_names[] = {"creation", "a write", "the close"};
  int inside = 0, runs = 0;
  for (; runs < max_runs && inside < wanted; ++runs) {
    c.reset();
    const int kind = runs % 3;
    const int nth = std::uniform_int_distribution<int>(1, max_nth)(rng);
    WriteWatch watch(c.dir.path(), target + ".tmp-");
    ASSERT_TRUE(watch.ok()) << "inotify: " << std::strerror(errno);
    const pid_t pid = c.start_training();
    watch.kill_at(pid, kinds[kind], nth, 30.0);
    const int status = wait_for(pid);
    const std::string when = "killed at " + std::string(kind_names[kind]) + " #" + std::to_string(nth) + " of " +
                             target + "'s temporary file";
    EXPECT_TRUE(status == 0 || status == 128 + SIGKILL) << when << ": status " << status;
    // A temporary file left behind shows the kill came before the rename:
    // then the file at the path must still be the previous version.
    const bool before_rename = status != 0 && any_entry_starts_with(c.dir, target + ".tmp-");
    inside += before_rename;
    if (before_rename && target == "m.safetensors") {
      EXPECT_TRUE(c.dir.read("m.safetensors") == c.old_model) << when << ": the model file changed before its rename";
    }
    if (status == 0) {
      EXPECT_TRUE(c.dir.read("m.safetensors") == c.full_model) << when << ": the run finished with another model";
    }
    c.expect_complete_files_and_same_model_after_resume(when);
    for (const auto& e : list_dir(c.dir.path()))
      if (e.find(".tmp-") != std::string::npos) std::remove(c.dir.file(e).c_str());
    if (testing::Test::HasFailure()) return;
  }
  std::printf("%s: %d of %d kills landed inside the write (before its rename)\n", target.c_str(), inside, runs);
  EXPECT_GE(inside, wanted) << "too few kills landed inside a write of " << target;
}

TEST_F(KillTest, KilledWhileWritingACheckpointLeavesThePreviousOrTheNewCheckpoint) {
  TrainingCase c;
  ASSERT_FALSE(HasFailure());
  kill_inside_writes(c, "m.safetensors.ckpt", 5, 15, TrainingCase::kEpochs);
}

TEST_F(KillTest, KilledWhileWritingTheModelLeavesThePreviousOrTheNewModel) {
  TrainingCase c;
  ASSERT_FALSE(HasFailure());
  kill_inside_writes(c, "m.safetensors", 4, 15, 1);
}

TEST_F(KillTest, TwoTrainersWritingOneModelPathLeaveOneCompleteModel) {
  TempDir dir;
  ASSERT_EQ(run_mdn(dir, "data hetero --rows 300 --out h.csv").status, 0);
  const std::string train = "train --data h.csv --target y --epochs 4 --hidden 48,48 --device cpu --quiet --seed ";
  ASSERT_EQ(run_mdn(dir, train + "1 --model a.safetensors").status, 0);
  ASSERT_EQ(run_mdn(dir, train + "2 --model b.safetensors").status, 0);
  const std::string a = dir.read("a.safetensors"), b = dir.read("b.safetensors");
  ASSERT_NE(a, b);
  for (int round = 0; round < 3; ++round) {
    std::remove(dir.file("same.safetensors").c_str());
    const pid_t first = spawn_mdn(dir, split(train + "1 --model same.safetensors"), "first");
    const pid_t second = spawn_mdn(dir, split(train + "2 --model same.safetensors"), "second");
    EXPECT_EQ(wait_for(first), 0) << dir.read("first.err");
    EXPECT_EQ(wait_for(second), 0) << dir.read("second.err");
    const std::string same = dir.read("same.safetensors");
    EXPECT_TRUE(same == a || same == b) << "round " << round << ": " << same.size() << " bytes, neither model";
    EXPECT_FALSE(any_entry_starts_with(dir, "same.safetensors.tmp-"));
  }
  // The survivor loads and predicts.
  const auto predict = run_mdn(dir, "predict --model same.safetensors --data h.csv --out p.csv --device cpu");
  EXPECT_EQ(predict.status, 0) << predict.err;
}

// A model and data whose samples make an output of megabytes.
struct SampleCase {
  TempDir dir;
  SampleCase() {
    EXPECT_EQ(run_mdn(dir, "data hetero --rows 200 --out h.csv").status, 0);
    const auto t =
        run_mdn(dir, "train --data h.csv --target y --epochs 1 --hidden 8 --device cpu --quiet --model m.safetensors");
    EXPECT_EQ(t.status, 0) << t.err;
  }
  static constexpr const char* kSample = "sample --model m.safetensors --data h.csv --samples 500 --device cpu --quiet";
};

void expect_disk_full_refusal(const RunResult& r) {
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_NE(r.err.find("write failed (disk full or I/O error)"), std::string::npos) << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << "one clear message:\n" << r.err;
}

TEST_F(KillTest, FullDiskDuringSampleLeavesNoPartialOutput) {
  SampleCase c;
  ASSERT_FALSE(HasFailure());
  const std::string mnt = c.dir.file("small");
  ASSERT_EQ(::mkdir(mnt.c_str(), 0755), 0);
  if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=64k") != 0)
    GTEST_SKIP() << "cannot mount a 64 KiB tmpfs here (" << std::strerror(errno) << ")";
  const auto r = run_mdn(c.dir, std::string(SampleCase::kSample) + " --out small/s.csv");
  const std::vector<std::string> left = list_dir(mnt);
  ::umount2(mnt.c_str(), MNT_DETACH);
  expect_disk_full_refusal(r);
  EXPECT_TRUE(left.empty()) << "left on the full disk: " << left.size() << " files, the first "
                            << (left.empty() ? "" : left[0]);
}

TEST_F(KillTest, FileSizeLimitDuringSampleKeepsThePreviousOutput) {
  SampleCase c;
  ASSERT_FALSE(HasFailure());
  c.dir.write("s.csv", "previous output\n");
  // 32 KiB per file (bash counts 1024-byte blocks); SIGXFSZ ignored so the
  // write fails with EFBIG as on a full disk instead of killing the process.
  const auto r = run_shell(c.dir, "trap '' XFSZ; ulimit -f 32; exec '" MDN_EXE "' " + std::string(SampleCase::kSample) +
                                      " --out s.csv > /dev/null");
  expect_disk_full_refusal(r);
  EXPECT_EQ(c.dir.read("s.csv"), "previous output\n");
  EXPECT_FALSE(any_entry_starts_with(c.dir, "s.csv.tmp-"));
}

}  // namespace
