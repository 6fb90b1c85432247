// The Standardizer on its own (mdn/standardizer.hpp), against statistics
// worked out by hand: population mean and std (divide by n, not n - 1),
// constant columns (scale 1, also when the double mean of a constant column
// is not exactly its value), the compensated sums, the round trip back to
// original units, the log-Jacobian, and the sharded fit (two parts whose
// partial sums are added by a stand-in for the ranks' collective) giving
// the statistics of the whole.
#include "mdn/standardizer.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

namespace mdn {
namespace {

MatrixD column(const std::vector<double>& values) {
  MatrixD m(int(values.size()), 1);
  m.data = values;
  return m;
}

MatrixD columns(int rows, int cols, const std::function<double(int, int)>& value) {
  MatrixD m(rows, cols);
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) m(r, c) = value(r, c);
  return m;
}

TEST(Standardizer, PopulationStatisticsWorkedOutByHand) {
  // x: 1, 2, 3, 4: mean 2.5, squared deviations 2.25 + 0.25 + 0.25 + 2.25 = 5,
  //    population variance 5 / 4 = 1.25 (the sample variance would be 5 / 3).
  // x2: 10, 10, 10, 50 (the mean is not the median): mean 20, squares
  //    100 * 3 + 900 = 1200, variance 300.
  // t: 0, 4, 0, 4: mean 2, every deviation 2, std exactly 2.
  const MatrixD x = columns(4, 2, [](int r, int c) { return c == 0 ? r + 1.0 : (r == 3 ? 50.0 : 10.0); });
  const MatrixD t = column({0.0, 4.0, 0.0, 4.0});
  const Standardizer s = Standardizer::fit(x, t);
  ASSERT_EQ(s.x_mean.size(), 2u);
  ASSERT_EQ(s.t_mean.size(), 1u);
  EXPECT_DOUBLE_EQ(s.x_mean[0], 2.5);
  EXPECT_DOUBLE_EQ(s.x_scale[0], std::sqrt(1.25));
  EXPECT_DOUBLE_EQ(s.x_mean[1], 20.0);
  EXPECT_DOUBLE_EQ(s.x_scale[1], std::sqrt(300.0));
  EXPECT_DOUBLE_EQ(s.t_mean[0], 2.0);
  EXPECT_DOUBLE_EQ(s.t_scale[0], 2.0);
  // The standardised values, by hand: (x - mean) / std.
  const Matrix xs = s.standardize_x(x);
  EXPECT_FLOAT_EQ(xs(0, 0), float(-1.5 / std::sqrt(1.25)));
  EXPECT_FLOAT_EQ(xs(3, 1), float(30.0 / std::sqrt(300.0)));
  const Matrix ts = s.standardize_t(t);
  for (int r = 0; r < 4; ++r) EXPECT_EQ(ts(r, 0), r % 2 ? 1.0f : -1.0f);
}

TEST(Standardizer, ConstantColumnsKeepScaleOneAndStandardiseToZero) {
  // 0.1 three times: the compensated sum is 0.30000000000000004, whose third
  // is 0.10000000000000002, one ulp above 0.1, so the column's std comes out
  // 1.4e-17, not 0; likewise 1e9 + 0.1 thirteen times has a mean one ulp off
  // and a std of 1.2e-7. Both are constant columns all the same: scale 1
  // (dividing by a rounding residue would turn them into +-1).
  for (const auto& [value, n] :
       {std::pair{0.1, 3}, std::pair{1e9 + 0.1, 13}, std::pair{0.0, 5}, std::pair{-3.0e9, 4}, std::pair{7.25, 1}}) {
    const MatrixD x(n, 1, value);
    const Standardizer s = Standardizer::fit(x, x);
    EXPECT_NEAR(s.x_mean[0], value, 1e-15 * std::max(1.0, std::fabs(value))) << value;
    EXPECT_EQ(s.x_scale[0], 1.0) << value << " x " << n;
    EXPECT_EQ(s.t_scale[0], 1.0) << value << " x " << n;
    const Matrix xs = s.standardize_x(x);
    for (float v : xs.data) EXPECT_NEAR(v, 0.0f, 1e-6f) << value << " x " << n;
  }
}

TEST(Standardizer, ANearlyConstantColumnIsNotTreatedAsConstant) {
  // A spread far above rounding (1e-6 around 1e3) keeps its own scale.
  const MatrixD x = column({1000.0, 1000.000002, 1000.0, 1000.000002});
  const Standardizer s = Standardizer::fit(x, x);
  EXPECT_NEAR(s.x_scale[0], 1e-6, 1e-12);
  const Matrix xs = s.standardize_x(x);
  EXPECT_NEAR(xs(0, 0), -1.0f, 1e-4f);
  EXPECT_NEAR(xs(1, 0), 1.0f, 1e-4f);
}

TEST(Standardizer, SumsAreCompensated) {
  // 1e16 + 1 rounds to 1e16 in a plain running sum, so 1e16, 1, -1e16, 3
  // would add up to 3 (mean 0.75); exactly they sum to 4: mean 1.
  const MatrixD x = column({1e16, 1.0, -1e16, 3.0});
  const Standardizer s = Standardizer::fit(x, x);
  EXPECT_EQ(s.x_mean[0], 1.0);
  // Squared deviations (1e16 - 1)^2 + 0 + (1e16 + 1)^2 + 4 = 2e32 + 6: std 1e16 / sqrt 2.
  EXPECT_DOUBLE_EQ(s.x_scale[0], 1e16 / std::sqrt(2.0));
}

TEST(Standardizer, RoundTripThroughStandardisedTargets) {
  std::mt19937_64 rng(5);
  std::normal_distribution<double> noise(0.0, 1.0);
  const MatrixD t = columns(300, 3, [&](int, int c) {
    return (c == 0 ? 5e4 : c == 1 ? -2.0 : 0.0) + (c + 0.5) * noise(rng);
  });
  const Standardizer s = Standardizer::fit(MatrixD(300, 1, 1.0), t);
  const Matrix ts = s.standardize_t(t);
  const MatrixD back = s.unstandardize_t(ts);
  for (int r = 0; r < t.rows; ++r)
    for (int c = 0; c < t.cols; ++c) {
      // Standardised values are floats: relative rounding 6e-8 of a value of a few units.
      EXPECT_NEAR(back(r, c), t(r, c), 1e-6 * s.t_scale[c]) << r << "," << c;
      EXPECT_NEAR(ts(r, c), (t(r, c) - s.t_mean[c]) / s.t_scale[c], 1e-6) << r << "," << c;
    }
  // A hand-made standardised value maps back to mean + value * scale.
  Matrix one(1, 3);
  one.data = {2.0f, -0.5f, 0.0f};
  const MatrixD mapped = s.unstandardize_t(one);
  EXPECT_DOUBLE_EQ(mapped(0, 0), s.t_mean[0] + 2.0 * s.t_scale[0]);
  EXPECT_DOUBLE_EQ(mapped(0, 1), s.t_mean[1] - 0.5 * s.t_scale[1]);
  EXPECT_DOUBLE_EQ(mapped(0, 2), s.t_mean[2]);
}

TEST(Standardizer, LogJacobianIsTheSumOfTheLogScales) {
  // Target columns with population std 2, 0.5 and 3 (each a pair of values
  // 2 std apart), so NLL in original units = standardised + log 2 + log 0.5 + log 3 = + log 3.
  const MatrixD t = columns(2, 3, [](int r, int c) {
    const double sd[] = {2.0, 0.5, 3.0};
    return 100.0 * c + (r == 0 ? -sd[c] : sd[c]);
  });
  const Standardizer s = Standardizer::fit(MatrixD(2, 1, 0.0), t);
  EXPECT_DOUBLE_EQ(s.t_scale[0], 2.0);
  EXPECT_DOUBLE_EQ(s.t_scale[1], 0.5);
  EXPECT_DOUBLE_EQ(s.t_scale[2], 3.0);
  EXPECT_NEAR(s.log_jacobian(), std::log(3.0), 1e-15);
  Standardizer one_target;
  one_target.t_scale = {0.05};
  EXPECT_NEAR(one_target.log_jacobian(), std::log(0.05), 1e-15);
}

// Two parts of one data set fitted "on two ranks": each part's thread calls
// `sum` with its partial sum and gets the sum of both (part 0's value plus
// part 1's, as a rank-ordered collective adds them).
class TwoRanks {
 public:
  double sum(int part, double v) {
    std::unique_lock<std::mutex> lock(mutex_);
    const long long round = round_;
    values_[part] = v;
    if (++arrived_ == 2) {
      result_ = values_[0] + values_[1];
      arrived_ = 0;
      ++round_;
      changed_.notify_all();
    } else {
      changed_.wait(lock, [&] { return round_ != round; });
    }
    return result_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  double values_[2] = {0.0, 0.0};
  double result_ = 0.0;
  int arrived_ = 0;
  long long round_ = 0;
};

MatrixD rows_of(const MatrixD& m, int begin, int end) {
  MatrixD out(end - begin, m.cols);
  for (int r = begin; r < end; ++r)
    for (int c = 0; c < m.cols; ++c) out(r - begin, c) = m(r, c);
  return out;
}

TEST(Standardizer, ShardedFitOfTwoPartsGivesTheWholesStatistics) {
  std::mt19937_64 rng(9);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  const int n = 1001;
  // Columns of different offsets and spreads; the parts are unequal (400 and
  // 601 rows) and have different means, so a part's own rows or sums give
  // different numbers from the whole's.
  const MatrixD x =
      columns(n, 2, [&](int r, int c) { return (c == 0 ? 1.7e9 : 3.0) + (r < 400 ? 1.0 : 5.0) * u(rng); });
  const MatrixD t = columns(n, 1, [&](int r, int) { return 40.0 + (r < 400 ? -2.0 : 2.0) + 0.3 * u(rng); });
  const Standardizer whole = Standardizer::fit(x, t);

  TwoRanks ranks;
  Standardizer parts[2];
  const int cut[3] = {0, 400, n};
  std::vector<std::thread> threads;
  for (int p = 0; p < 2; ++p)
    threads.emplace_back([&, p] {
      parts[p] = Standardizer::fit(
          rows_of(x, cut[p], cut[p + 1]), rows_of(t, cut[p], cut[p + 1]),
          [&ranks, p](double v) { return ranks.sum(p, v); }, n);
    });
  for (std::thread& th : threads) th.join();

  for (const Standardizer& s : parts) {
    ASSERT_EQ(s.x_mean.size(), 2u);
    ASSERT_EQ(s.t_mean.size(), 1u);
    for (int c = 0; c < 2; ++c) {
      // The mean to an ulp or two of itself (1.7e9: 2.4e-7), the scale to 1e-12.
      EXPECT_NEAR(s.x_mean[c], whole.x_mean[c], 1e-15 * std::fabs(whole.x_mean[c])) << c;
      EXPECT_NEAR(s.x_scale[c], whole.x_scale[c], 1e-12 * whole.x_scale[c]) << c;
    }
    EXPECT_NEAR(s.t_mean[0], whole.t_mean[0], 1e-15 * std::fabs(whole.t_mean[0]));
    EXPECT_NEAR(s.t_scale[0], whole.t_scale[0], 1e-12 * whole.t_scale[0]);
  }
  // Both ranks agree bit for bit (they add the same partial sums in the same order).
  EXPECT_EQ(parts[0].x_mean, parts[1].x_mean);
  EXPECT_EQ(parts[0].x_scale, parts[1].x_scale);
  EXPECT_EQ(parts[0].t_scale, parts[1].t_scale);
}

TEST(Standardizer, NoRowsGiveMeanZeroScaleOne) {
  const Standardizer s = Standardizer::fit(MatrixD(0, 2), MatrixD(0, 1));
  EXPECT_EQ(s.x_mean, (std::vector<double>{0.0, 0.0}));
  EXPECT_EQ(s.x_scale, (std::vector<double>{1.0, 1.0}));
  EXPECT_EQ(s.t_scale, (std::vector<double>{1.0}));
}

}  // namespace
}  // namespace mdn
