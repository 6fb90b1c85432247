// One decision for every GPU test that cannot run: skip it, or fail it.
//
// Without a usable CUDA device a GPU test skips (GTEST_SKIP: shown as skipped,
// never as passed). With MDN_REQUIRE_GPU set to anything but "" or "0" (the
// GPU check sets it on the device: tools/scripts/gpu-check.sh) the same test
// FAILS instead, with the reason, so that a GPU run cannot pass by skipping:
// a module that does not load, a driver too old for the runtime, a build
// without the CUDA backend all become failures that say what happened.
// Used by tests/gpu/gpu_fixture.hpp and by the CUDA half of the backend
// contract (tests/backend/backend_contract_test.cpp), and works without a
// GPU: `MDN_REQUIRE_GPU=1 ctest -L gpu` fails here, naming the reason.
//
//   void SetUp() override { MDN_SKIP_OR_FAIL_WITHOUT_GPU(); ... }
//   if (!nccl) MDN_SKIP_OR_FAIL("NCCL could not be loaded");
#pragma once
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "mdn/backend.hpp"

namespace mdn::test {

// Whether a GPU test that cannot run must fail (MDN_REQUIRE_GPU).
inline bool gpu_required() {
  const char* value = std::getenv("MDN_REQUIRE_GPU");
  return value != nullptr && *value != '\0' && std::string(value) != "0";
}

// The NVIDIA driver as this process sees it: the CUDA version its
// libcuda.so.1 supports (cuDriverGetVersion, callable before cuInit) and the
// kernel module's version line, or why there is none.
inline std::string driver_description() {
  std::string text;
  void* libcuda = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
  if (libcuda == nullptr) {
    const char* error = dlerror();
    text = std::string("no NVIDIA driver library (") + (error != nullptr ? error : "libcuda.so.1 not found") + ")";
  } else {
    using GetVersion = int (*)(int*);
    auto get_version = reinterpret_cast<GetVersion>(dlsym(libcuda, "cuDriverGetVersion"));
    int version = 0;
    if (get_version != nullptr && get_version(&version) == 0)
      text = "driver supports CUDA " + std::to_string(version / 1000) + "." + std::to_string(version % 1000 / 10);
    else
      text = "libcuda.so.1 loaded, but cuDriverGetVersion failed";
    dlclose(libcuda);
  }
  std::ifstream proc("/proc/driver/nvidia/version");
  std::string line;
  if (proc && std::getline(proc, line) && !line.empty()) text += "; " + line;
  return text;
}

// Empty when the CUDA backend can run here; otherwise why not, in words: the
// build's or the module's status (mdn::cuda_description), the runtime's
// problem (mdn::cuda_problem, e.g. an insufficient driver), and the driver.
inline std::string gpu_unavailable_reason() {
  if (mdn::cuda_available()) return {};
  std::string backend = mdn::cuda_description();
  backend = backend.substr(0, backend.find('\n'));  // "CUDA backend: ..." (not NCCL's line)
  std::string reason = "no usable CUDA device. " + backend;
  const std::string problem = mdn::cuda_problem();
  reason += problem.empty() ? ". Runtime: no device reported" : ". Runtime: " + problem;
  return reason + ". Driver: " + driver_description();
}

// The message a test that cannot run reports (skipping or failing).
inline std::string cannot_run_message(const std::string& reason) {
  if (gpu_required()) return "MDN_REQUIRE_GPU is set, so this GPU test fails instead of skipping: " + reason;
  return reason + " (set MDN_REQUIRE_GPU=1 to make this a failure)";
}

}  // namespace mdn::test

// Skips the current test, or fails it under MDN_REQUIRE_GPU, with `reason`.
// (A macro: GTEST_SKIP and GTEST_FAIL return from the calling function.)
#define MDN_SKIP_OR_FAIL(reason)                                                 \
  do {                                                                           \
    const std::string mdn_cannot_run_ = ::mdn::test::cannot_run_message(reason); \
    if (::mdn::test::gpu_required()) GTEST_FAIL() << mdn_cannot_run_;            \
    GTEST_SKIP() << mdn_cannot_run_;                                             \
  } while (0)

// In SetUp(): returns from it (skipped or failed) unless the CUDA backend can run.
#define MDN_SKIP_OR_FAIL_WITHOUT_GPU()                                         \
  do {                                                                         \
    const std::string mdn_gpu_reason_ = ::mdn::test::gpu_unavailable_reason(); \
    if (!mdn_gpu_reason_.empty()) MDN_SKIP_OR_FAIL(mdn_gpu_reason_);           \
  } while (0)
