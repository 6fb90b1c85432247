// The training rows' feature ranges (Model::x_min/x_max): what training
// keeps, what the file keeps, and which inputs count as far outside them.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "mdn/backend.hpp"
#include "mdn/inference.hpp"
#include "mdn/model_io.hpp"
#include "mdn/trainer.hpp"

namespace {

TEST(FeatureRanges, TrainingKeepsTheTrainingRowsMinAndMax) {
  mdn::Dataset d;
  d.x = mdn::MatrixD(40, 2);
  d.t = mdn::MatrixD(40, 1);
  for (int r = 0; r < 40; ++r) {
    d.x.set(r, 0, 1e9 + r);         // far from 0: the range must keep its digits
    d.x.set(r, 1, (r % 7) * 0.25);  // 0 .. 1.5
    d.t(r, 0) = 0.1 * r;
  }
  d.feature_names = {"a", "b"};
  d.target_names = {"y"};
  mdn::ModelSpec spec;
  spec.input_dim = 2;
  spec.components = 2;
  spec.hidden = {4};
  mdn::TrainOptions o;
  o.epochs = 1;
  o.val_fraction = 0.0f;  // every row trains, so the range is the data's
  auto backend = mdn::make_cpu_backend(spec);
  const mdn::Model m = mdn::train(*backend, spec, d, o);
  ASSERT_EQ(m.x_min.size(), 2u);
  EXPECT_EQ(m.x_min[0], 1e9);
  EXPECT_EQ(m.x_max[0], 1e9 + 39);
  EXPECT_EQ(m.x_min[1], 0.0);
  EXPECT_EQ(m.x_max[1], 1.5);

  const std::string path = ::testing::TempDir() + "ranges.safetensors";
  mdn::save_model(m, path);
  const mdn::Model back = mdn::load_model(path);
  EXPECT_EQ(back.x_min, m.x_min);
  EXPECT_EQ(back.x_max, m.x_max);
  std::remove(path.c_str());
}

TEST(FeatureRanges, OutsideMeansBeyondTheRangeByMoreThanTheMargin) {
  mdn::Model m;
  m.x_min = {0.0, 5.0};
  m.x_max = {10.0, 5.0};  // the second was constant in training
  mdn::MatrixD x(5, 2);
  const double a[5] = {-0.99, -1.01, 11.0, 11.01, 5.0}, b[5] = {5.0, 5.0, 5.0, 5.0001, 4.0};
  for (int r = 0; r < 5; ++r) {
    x(r, 0) = a[r];
    x(r, 1) = b[r];
  }
  const std::vector<long long> n = mdn::rows_outside_training_range(m, x);  // margin 10 %: [-1, 11]
  ASSERT_EQ(n.size(), 2u);
  EXPECT_EQ(n[0], 2);  // -1.01 and 11.01
  EXPECT_EQ(n[1], 2);  // any other value of a constant feature
  EXPECT_EQ(mdn::rows_outside_training_range(m, x, 0.2)[0], 0);
  EXPECT_TRUE(mdn::rows_outside_training_range(mdn::Model{}, x).empty());  // an older file: no ranges
}

}  // namespace
