// MDN_REQUIRE_GPU turns a would-be skip into a failure that names the reason
// (require_gpu.hpp), checked end to end on any machine: this test (not a GPU
// test itself, so it runs without a device) runs one GPU test of this very
// binary in a child process, with MDN_REQUIRE_GPU=1 and with it unset.
//   * without a usable device: the child must fail under MDN_REQUIRE_GPU=1,
//     saying why (the module's, the runtime's and the driver's status), and
//     skip (exit 0, shown as skipped) without it;
//   * with one: the child must pass either way.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

#include "gpu/require_gpu.hpp"

namespace {

struct ChildRun {
  int status = -1;  // exit status, -1 when it did not exit normally
  std::string output;
};

// This binary, with `environment` and `gtest_filter`, stdout + stderr captured.
ChildRun run_self(const std::string& environment, const std::string& gtest_filter) {
  const std::string command =
      "env " + environment + " /proc/" + std::to_string(::getpid()) + "/exe --gtest_filter='" + gtest_filter + "' 2>&1";
  ChildRun run;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  std::array<char, 4096> buffer{};
  std::size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) run.output.append(buffer.data(), n);
  const int status = ::pclose(pipe);
  if (status != -1 && WIFEXITED(status)) run.status = WEXITSTATUS(status);
  return run;
}

// A small GPU test of this binary (tests/gpu/cuda_backend_test.cpp).
constexpr const char* kOneGpuTest = "CudaBackendApi.OptimizerStateRoundTrips";

TEST(RequireGpu, AWouldBeSkipFailsWithTheReasonUnderMdnRequireGpu) {
  const ChildRun required = run_self("MDN_REQUIRE_GPU=1", kOneGpuTest);
  const ChildRun optional = run_self("-u MDN_REQUIRE_GPU", kOneGpuTest);
  ASSERT_NE(required.output.find(kOneGpuTest), std::string::npos) << "the child did not run " << kOneGpuTest << ":\n"
                                                                  << required.output;
#if defined(MDN_WITH_CUDA)
  const std::string reason = mdn::test::gpu_unavailable_reason();
#else
  const std::string reason = "built without the CUDA backend";
#endif
  if (reason.empty()) {
    // A usable GPU: the test runs and passes, required or not.
    EXPECT_EQ(required.status, 0) << required.output;
    EXPECT_EQ(optional.status, 0) << optional.output;
    EXPECT_EQ(required.output.find("[  SKIPPED ]"), std::string::npos) << required.output;
    return;
  }
  // No usable GPU: required -> failed with the reason; optional -> skipped.
  EXPECT_NE(required.status, 0) << "MDN_REQUIRE_GPU=1 did not make the skip a failure:\n" << required.output;
  EXPECT_NE(required.output.find("[  FAILED  ]"), std::string::npos) << required.output;
  EXPECT_NE(required.output.find("MDN_REQUIRE_GPU is set"), std::string::npos) << required.output;
#if defined(MDN_WITH_CUDA)
  EXPECT_NE(required.output.find("no usable CUDA device"), std::string::npos) << required.output;
  EXPECT_NE(required.output.find("CUDA backend:"), std::string::npos) << "the module's status is missing:\n"
                                                                      << required.output;
  EXPECT_NE(required.output.find("Driver:"), std::string::npos) << "the driver's status is missing:\n"
                                                                << required.output;
#endif
  EXPECT_EQ(optional.status, 0) << optional.output;
  EXPECT_NE(optional.output.find("[  SKIPPED ]"), std::string::npos) << optional.output;
}

TEST(RequireGpu, OnlyAnExplicitNonZeroValueRequiresTheGpu) {
  // gpu_required() reads the environment of this process; the child runs
  // above check what it does, here only how the value is read.
  const char* saved = std::getenv("MDN_REQUIRE_GPU");
  const std::string saved_value = saved != nullptr ? saved : "";
  for (const auto& [value, required] :
       {std::pair<const char*, bool>{"1", true}, {"yes", true}, {"0", false}, {"", false}}) {
    ::setenv("MDN_REQUIRE_GPU", value, 1);
    EXPECT_EQ(mdn::test::gpu_required(), required) << "MDN_REQUIRE_GPU='" << value << "'";
  }
  ::unsetenv("MDN_REQUIRE_GPU");
  EXPECT_FALSE(mdn::test::gpu_required());
  if (saved != nullptr) ::setenv("MDN_REQUIRE_GPU", saved_value.c_str(), 1);
}

}  // namespace
