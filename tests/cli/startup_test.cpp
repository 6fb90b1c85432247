// What the program loads at start-up (docs/ARCHITECTURE.md, "The CUDA
// module"): a CPU run never loads the CUDA backend module or the CUDA
// libraries; a missing, broken or stale module is one clear error for
// --device cuda and a clean fall-back to the CPU for --device auto; and idle
// OpenMP threads sleep unless the user sets OMP_WAIT_POLICY.
//
// The loading is observed with the dynamic loader's own report (LD_DEBUG=files),
// and the wait policy with libgomp's (OMP_DISPLAY_ENV=verbose), not with
// anything the program says about itself.
#include <dlfcn.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "cli_harness.hpp"

namespace {

using mdn::test::run_mdn;
using mdn::test::RunResult;
using mdn::test::TempDir;

// The module the program loads ("" in a build without CUDA) and one that
// claims to come from another version of mdn (CMake defines both).
const std::string kModule = MDN_CUDA_MODULE_PATH;
const std::string kStaleModule = MDN_STALE_CUDA_MODULE;

// Runs `env ENV mdn ARGS` in `dir` (ENV: `env` arguments, e.g. "-u X A=B").
bool contains(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }

// Whether NVIDIA's driver library can be loaded here (where it can,
// --device auto loads the module to ask the CUDA runtime).
bool driver_present() { return dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL) != nullptr; }

class Startup : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir;
    ASSERT_EQ(mdn::test::run_mdn(*dir_, "data bishop --rows 200 --seed 1 --out b.csv").status, 0);
    const auto r = mdn::test::run_mdn(
        *dir_, "train --data b.csv --target y --model m.safetensors --epochs 2 --device cpu --quiet");
    ASSERT_EQ(r.status, 0) << r.err;
    dir_->write("broken.so", "not a shared object\n");
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  static TempDir* dir_;
  const TempDir& dir() const { return *dir_; }

  static std::string predict(const std::string& device, const std::string& out) {
    return "predict --model m.safetensors --data b.csv --out " + out + " --device " + device;
  }
};
TempDir* Startup::dir_ = nullptr;

TEST_F(Startup, CpuRunsLoadNoCudaLibrary) {
  for (const std::string& args : {std::string("--help"), predict("cpu", "cpu.csv"), std::string("data --help")}) {
    const auto r = run_mdn(dir(), args, "LD_DEBUG=files");
    ASSERT_EQ(r.status, 0) << args << "\n" << r.err;
    ASSERT_TRUE(contains(r.err, "file=libc.so.6")) << "LD_DEBUG gave no report: " << r.err.substr(0, 2000);
    EXPECT_FALSE(contains(r.err, "libmdn_cuda")) << args;
    EXPECT_FALSE(contains(r.err, "libcudart")) << args;
    EXPECT_FALSE(contains(r.err, "libcublas")) << args;
  }
}

TEST_F(Startup, AskingForCudaLoadsTheModule) {
  // The other side of CpuRunsLoadNoCudaLibrary: the same report does show the
  // module when the GPU is asked for (whether or not a GPU is there).
  if (kModule.empty()) GTEST_SKIP() << "built without the CUDA backend";
  const auto r = run_mdn(dir(), predict("cuda", "cuda.csv"), "LD_DEBUG=files");
  EXPECT_TRUE(contains(r.err, "file=" + kModule)) << r.err.substr(0, 4000);
  EXPECT_TRUE(contains(r.err, "libcublas")) << r.err.substr(0, 4000);
}

TEST_F(Startup, AutoWithoutADriverLoadsNoCudaLibrary) {
  if (driver_present()) GTEST_SKIP() << "NVIDIA's driver is installed here: auto loads the module to ask it";
  const auto r = run_mdn(dir(), predict("auto", "auto.csv"), "LD_DEBUG=files");
  ASSERT_EQ(r.status, 0) << r.err;
  // A build with CUDA looks for the driver first (a build without it does not look at all).
  if (!kModule.empty()) {
    EXPECT_TRUE(contains(r.err, "libcuda.so.1")) << "auto did not look for the driver";
  }
  EXPECT_FALSE(contains(r.err, "libmdn_cuda"));
  EXPECT_FALSE(contains(r.err, "libcublas"));
  EXPECT_TRUE(contains(r.err, "--device auto chose cpu")) << r.err;
}

TEST_F(Startup, MissingModuleIsOneErrorNamingThePath) {
  const std::string missing = dir().file("nowhere/libmdn_cuda.so");
  const auto r = run_mdn(dir(), predict("cuda", "m.csv"), "MDN_CUDA_MODULE=" + missing);
  EXPECT_EQ(r.status, 1) << r.err;
  if (kModule.empty()) {
    EXPECT_TRUE(contains(r.err, "this build of mdn has no CUDA backend")) << r.err;
  } else {
    EXPECT_TRUE(contains(r.err, "error: the CUDA backend module was not found: no libmdn_cuda.so at " + missing))
        << r.err;
  }
  EXPECT_FALSE(dir().exists("m.csv"));
}

TEST_F(Startup, ModuleFoundNextToTheProgramByDefault) {
  // Without MDN_CUDA_MODULE the program finds the module beside itself and
  // goes on to ask the CUDA runtime: with a GPU it predicts, without one it
  // says there is no device. Either way the loader's report shows the module
  // loaded from the program's folder, and the outcome is one of those two.
  if (kModule.empty()) GTEST_SKIP() << "built without the CUDA backend";
  const std::string exe = MDN_EXE;
  ASSERT_EQ(kModule.substr(0, kModule.rfind('/')), exe.substr(0, exe.rfind('/')))
      << "the build no longer puts the module beside the program";
  const auto loaded = run_mdn(dir(), predict("cuda", "loaded.csv"), "-u MDN_CUDA_MODULE LD_DEBUG=files");
  EXPECT_TRUE(contains(loaded.err, "file=" + kModule)) << loaded.err.substr(0, 4000);

  const auto r = run_mdn(dir(), predict("cuda", "c.csv"), "-u MDN_CUDA_MODULE");
  EXPECT_FALSE(contains(r.err, "CUDA backend module")) << r.err;
  if (r.status == 0) {
    // A GPU: the same rows and columns as the CPU's predictions.
    ASSERT_EQ(run_mdn(dir(), predict("cpu", "c_cpu.csv")).status, 0);
    const std::string gpu = dir().read("c.csv"), cpu = dir().read("c_cpu.csv");
    EXPECT_EQ(gpu.substr(0, gpu.find('\n')), cpu.substr(0, cpu.find('\n')));
    EXPECT_EQ(std::count(gpu.begin(), gpu.end(), '\n'), std::count(cpu.begin(), cpu.end(), '\n'));
  } else {
    // No usable GPU: one error (status 1, not a crash), no output file.
    EXPECT_EQ(r.status, 1) << r.err;
    EXPECT_TRUE(contains(r.err, "error: ") && contains(r.err, "CUDA")) << r.err;
    EXPECT_FALSE(dir().exists("c.csv"));
  }
}

TEST_F(Startup, BrokenModuleIsOneErrorNamingThePath) {
  if (kModule.empty()) GTEST_SKIP() << "built without the CUDA backend";
  const std::string broken = dir().file("broken.so");
  const auto r = run_mdn(dir(), predict("cuda", "m.csv"), "MDN_CUDA_MODULE=" + broken);
  EXPECT_EQ(r.status, 1) << r.err;
  EXPECT_TRUE(contains(r.err, "error: cannot load the CUDA backend module " + broken + ": ")) << r.err;
}

TEST_F(Startup, StaleModuleIsRefusedBeforeItIsUsed) {
  if (kModule.empty()) GTEST_SKIP() << "built without the CUDA backend";
  const auto r = run_mdn(dir(), predict("cuda", "m.csv"), "MDN_CUDA_MODULE=" + kStaleModule);
  EXPECT_EQ(r.status, 1) << r.err;  // the stale module aborts (134) if it is called
  EXPECT_TRUE(contains(r.err, "error: the CUDA backend module " + kStaleModule +
                                  " was built for another version of mdn (module: mdn 0.0.1-stale"))
      << r.err;
}

TEST_F(Startup, AutoFallsBackToTheCpuWithAMissingOrStaleModule) {
  const auto cpu = mdn::test::run_mdn(dir(), predict("cpu", "ref.csv"));
  ASSERT_EQ(cpu.status, 0) << cpu.err;
  for (const std::string& module : {dir().file("nowhere/libmdn_cuda.so"), kStaleModule, dir().file("broken.so")}) {
    const auto r = run_mdn(dir(), predict("auto", "auto.csv"), "MDN_CUDA_MODULE=" + module);
    ASSERT_EQ(r.status, 0) << module << "\n" << r.err;
    EXPECT_TRUE(contains(r.err, "--device auto chose cpu")) << r.err;
    EXPECT_EQ(dir().read("auto.csv"), dir().read("ref.csv"));
    // Where a driver is installed the module is looked for, and its problem
    // is shown before the CPU is used; elsewhere auto says nothing more.
    if (driver_present() && !kModule.empty())
      EXPECT_TRUE(contains(r.err, "warning: the GPU cannot be used (") && contains(r.err, module)) << r.err;
    else
      EXPECT_FALSE(contains(r.err, "warning")) << r.err;
  }
}

TEST(OpenMpWaitPolicy, IdleThreadsSleepUnlessTheUserSaysOtherwise) {
  TempDir dir;
  // libgomp's report of what it read at start-up: a spin count of 0 is the
  // passive policy; 300000 is libgomp's default when nothing is set.
  const auto passive = run_mdn(dir, "--help", "-u OMP_WAIT_POLICY -u GOMP_SPINCOUNT OMP_DISPLAY_ENV=verbose");
  ASSERT_EQ(passive.status, 0) << passive.err;
  if (!contains(passive.err, "GOMP_SPINCOUNT")) GTEST_SKIP() << "not libgomp: " << passive.err.substr(0, 500);
  EXPECT_TRUE(contains(passive.err, "OMP_WAIT_POLICY = 'PASSIVE'")) << passive.err;
  EXPECT_TRUE(contains(passive.err, "GOMP_SPINCOUNT = '0'")) << passive.err;

  const auto active = run_mdn(dir, "--help", "-u GOMP_SPINCOUNT OMP_WAIT_POLICY=active OMP_DISPLAY_ENV=verbose");
  ASSERT_EQ(active.status, 0) << active.err;
  EXPECT_TRUE(contains(active.err, "OMP_WAIT_POLICY = 'ACTIVE'")) << active.err;
  EXPECT_FALSE(contains(active.err, "GOMP_SPINCOUNT = '0'")) << active.err;
}

}  // namespace
