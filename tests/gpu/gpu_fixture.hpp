// The fixture every GPU suite derives from: SetUp() skips the test (shown as
// skipped, never as passed) in a build without the CUDA backend or on a
// machine without a usable device, and fails it instead, with the reason,
// when MDN_REQUIRE_GPU is set (require_gpu.hpp: the GPU check sets it on the
// device, so a GPU run cannot pass by skipping). It also pins the math mode: with
// NVIDIA_TF32_OVERRIDE set to anything but 0, cuBLAS could run the FP32
// GEMMs on TF32 tensor cores behind the tests' back (the variable is read by
// the libraries themselves, so clearing it from inside the process cannot be
// trusted), and the FP32 parity tolerances would silently test TF32 instead:
// the test fails and says so.
#pragma once
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "gpu/require_gpu.hpp"
#include "mdn/backend.hpp"

namespace mdn::test {

class GpuTest : public ::testing::Test {
 protected:
  void SetUp() override {
#if !defined(MDN_WITH_CUDA)
    MDN_SKIP_OR_FAIL("this test binary was built without the CUDA backend (no CUDA toolkit at configure time)");
#else
    MDN_SKIP_OR_FAIL_WITHOUT_GPU();
    const char* tf32_override = std::getenv("NVIDIA_TF32_OVERRIDE");
    if (tf32_override != nullptr && std::string(tf32_override) != "0")
      GTEST_FAIL() << "NVIDIA_TF32_OVERRIDE=" << tf32_override
                   << " is set: TF32 could enter the FP32 tests; unset it (or set it to 0) and run again";
#endif
  }
};

}  // namespace mdn::test
