// An epoch's traversal, checked so that it can fail, against any Backend: run
// for every backend by the contract suite (tests/backend/).
//
// With the learning rate at 0 the parameters never move, so every minibatch's
// loss is a function of which rows it held. On R = 4 B + r rows:
//   1. the epoch's row order (the test hook Backend::last_epoch_order) is a
//      permutation of 0..R-1;
//   2. the epoch's mean loss equals the mean, over its five minibatches, of
//      mean_nll over the rows that order puts in each minibatch (the batches
//      actually used);
//   3. in sums: B * (sum of the four full batches' means) + r * (the partial
//      batch's mean) equals R * mean_nll over all rows: every row used once.
// A gather stuck at offset 0 (every minibatch = the first rows of the order)
// or one that skips the partial batch fails 2 and 3; an order that is not a
// permutation fails 1. Rows have very different losses (targets of scale
// 0.1 to 10), so a wrong minibatch moves its mean far more than rounding.
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

#include "mdn/backend.hpp"
#include "mdn/matrix.hpp"
#include "mdn/spec.hpp"

namespace mdn::test {

inline Matrix rows_of(const Matrix& m, const std::vector<int>& order, int begin, int end) {
  Matrix out(end - begin, m.cols);
  for (int i = begin; i < end; ++i) std::copy_n(m.row(order[std::size_t(i)]), m.cols, out.row(i - begin));
  return out;
}

// Runs one epoch at learning rate 0 on `backend` (fresh: parameters are set
// here) and checks 1-3 above.
inline void check_epoch_traversal(Backend& backend) {
  constexpr int B = 64, r = 23, R = 4 * B + r;
  const ModelSpec& spec = backend.spec();
  std::mt19937_64 rng(2024);
  std::normal_distribution<double> normal(0.0, 1.0);
  Matrix x(R, spec.input_dim), t(R, spec.target_dim);
  for (float& v : x.data) v = float(normal(rng));
  for (int i = 0; i < R; ++i)
    for (int d = 0; d < spec.target_dim; ++d) t(i, d) = float(normal(rng) * std::pow(10.0, (i % 5) / 2.0 - 1.0));
  const ParameterLayout layout(spec);
  std::vector<float> params(layout.total);
  for (float& p : params) p = float(0.3 * normal(rng));

  backend.set_parameters(params);
  backend.set_training_data(x, t);
  EpochConfig config;
  config.batch_size = B;
  config.shuffle_seed = 99;
  config.adam.lr = 0.0f;
  const EpochStats stats = backend.train_epoch(config);
  ASSERT_TRUE(stats.finite);
  EXPECT_EQ(stats.samples, R);
  ASSERT_EQ(backend.parameters(), params) << "a learning rate of 0 must leave the parameters as they were";

  // 1. The order is a permutation.
  const std::vector<int> order = backend.last_epoch_order();
  ASSERT_EQ(order.size(), std::size_t(R)) << "the backend did not report its epoch order (test hook)";
  std::vector<int> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  std::vector<int> identity(R);
  std::iota(identity.begin(), identity.end(), 0);
  ASSERT_EQ(sorted, identity) << "the epoch's order is not a permutation of the rows";
  EXPECT_NE(order, identity) << "the epoch did not shuffle";

  // 2. The epoch's mean loss is the mean of the minibatches' means.
  std::vector<double> batch_means;
  for (int begin = 0; begin < R; begin += B) {
    const int end = std::min(R, begin + B);
    batch_means.push_back(backend.mean_nll(rows_of(x, order, begin, end), rows_of(t, order, begin, end)));
  }
  ASSERT_EQ(batch_means.size(), 5u);
  const double mean_of_means = std::accumulate(batch_means.begin(), batch_means.end(), 0.0) / 5.0;
  const double scale = std::max(1.0, std::fabs(mean_of_means));
  EXPECT_NEAR(stats.mean_loss, mean_of_means, 1e-5 * scale)
      << "the epoch's minibatches are not the rows its order names";

  // 3. In sums: every row's loss counted exactly once.
  const double partial = batch_means.back();
  const double full_sum = stats.mean_loss * 5.0 - partial;  // sum of the four full batches' means
  const double epoch_total = B * full_sum + r * partial;
  const double all_rows_total = R * backend.mean_nll(x, t);
  EXPECT_NEAR(epoch_total, all_rows_total, 1e-5 * R * scale)
      << "the epoch's loss is not the sum over every row used once";
}

}  // namespace mdn::test
