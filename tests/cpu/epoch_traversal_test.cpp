// The CPU backend's epoch visits every row exactly once, in the order it
// reports, with the partial last minibatch included (tests/common/epoch_traversal.hpp).
// The CUDA backend runs the same check in tests/gpu/cuda_backend_test.cpp.
#include <gtest/gtest.h>

#include "common/epoch_traversal.hpp"
#include "mdn/backend.hpp"

namespace {

TEST(CpuEpoch, EveryRowIsUsedOnceInTheReportedOrderIncludingThePartialBatch) {
  mdn::ModelSpec spec;
  spec.input_dim = 3;
  spec.target_dim = 2;
  spec.components = 3;
  spec.hidden = {8};
  auto cpu = mdn::make_cpu_backend(spec);
  mdn::test::check_epoch_traversal(*cpu);
}

TEST(CpuEpoch, OrderIsEmptyBeforeTheFirstEpoch) {
  mdn::ModelSpec spec;
  spec.input_dim = 1;
  spec.target_dim = 1;
  spec.components = 2;
  spec.hidden = {4};
  auto cpu = mdn::make_cpu_backend(spec);
  cpu->set_training_data(mdn::Matrix(10, 1), mdn::Matrix(10, 1));
  EXPECT_TRUE(cpu->last_epoch_order().empty());
}

}  // namespace
