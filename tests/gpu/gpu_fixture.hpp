// The fixture every GPU suite derives from: SetUp() skips the test (shown as
// skipped, never as passed) in a build without the CUDA backend or on a
// machine without a device. It also pins the math mode: with
// NVIDIA_TF32_OVERRIDE set to anything but 0, cuBLAS could run the FP32
// GEMMs on TF32 tensor cores behind the tests' back (the variable is read by
// the libraries themselves, so clearing it from inside the process cannot be
// trusted), and the FP32 parity tolerances would silently test TF32 instead:
// the test fails and says so.
#pragma once
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "mdn/backend.hpp"

namespace mdn::test {

class GpuTest : public ::testing::Test {
 protected:
  void SetUp() override {
#if !defined(MDN_WITH_CUDA)
    GTEST_SKIP() << "built without the CUDA backend";
#else
    if (!cuda_available()) GTEST_SKIP() << "no CUDA device present";
    const char* tf32_override = std::getenv("NVIDIA_TF32_OVERRIDE");
    if (tf32_override != nullptr && std::string(tf32_override) != "0")
      GTEST_FAIL() << "NVIDIA_TF32_OVERRIDE=" << tf32_override
                   << " is set: TF32 could enter the FP32 tests; unset it (or set it to 0) and run again";
#endif
  }
};

}  // namespace mdn::test
