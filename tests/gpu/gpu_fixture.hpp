// The fixture every GPU suite derives from: SetUp() skips the test (shown as
// skipped, never as passed) in a build without the CUDA backend or on a
// machine without a device.
#pragma once
#include <gtest/gtest.h>

#include "mdn/backend.hpp"

namespace mdn::test {

class GpuTest : public ::testing::Test {
 protected:
  void SetUp() override {
#if !defined(MDN_WITH_CUDA)
    GTEST_SKIP() << "built without the CUDA backend";
#else
    if (!cuda_available()) GTEST_SKIP() << "no CUDA device present";
#endif
  }
};

}  // namespace mdn::test
