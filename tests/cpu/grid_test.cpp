// Quantised targets: grid detection, and the cell probability against
// differences of the mixture CDF.
#include <gtest/gtest.h>

#include <cmath>

#include "mdn/grid.hpp"
#include "mdn/metrics.hpp"
#include "mixture_builders.hpp"

namespace {

mdn::MixtureBatch two_components() {
  mdn::MixtureBatch mix;
  mix.rows = 1;
  mix.K = 2;
  mix.T = 1;
  mix.alpha = {0.3f, 0.7f};
  mix.mu = {-1.0f, 2.0f};
  mix.sigma = {0.5f, 1.5f};
  return mix;
}

double mixture_cdf(const mdn::MixtureBatch& mix, double y) {
  double f = 0.0;
  for (int k = 0; k < mix.K; ++k)
    f += mix.weight(0, k) * 0.5 * std::erfc(-(y - mix.mean(0, k, 0)) / (mix.stddev(0, k, 0) * std::sqrt(2.0)));
  return f;
}

TEST(Grid, CellMassIsTheDifferenceOfTheCdf) {
  const mdn::MixtureBatch mix = two_components();
  for (double h : {0.001, 0.1, 1.0, 3.0})
    for (double t : {-3.0, -1.0, 0.0, 0.5, 2.0, 6.0}) {
      const double tf[1] = {t};
      const double expected = mixture_cdf(mix, tf[0] + h / 2) - mixture_cdf(mix, tf[0] - h / 2);
      EXPECT_NEAR(std::exp(mdn::cell_log_mass(mix, 0, tf, {float(h)})), expected, 1e-7 * (1 + expected) + 1e-12)
          << "t = " << t << ", h = " << h;
    }
  // Far in a tail the mass is still a finite log (no cancellation to 0).
  const double far[1] = {40.0};
  EXPECT_TRUE(std::isfinite(mdn::cell_log_mass(mix, 0, far, {1.0f})));
  // Step 0: the density.
  const double t0[1] = {0.25};
  const double pdf = 0.3 * std::exp(-0.5 * std::pow((0.25 + 1) / 0.5, 2)) / (0.5 * std::sqrt(2 * M_PI)) +
                     0.7 * std::exp(-0.5 * std::pow((0.25 - 2) / 1.5, 2)) / (1.5 * std::sqrt(2 * M_PI));
  EXPECT_NEAR(mdn::cell_log_mass(mix, 0, t0, {0.0f}), std::log(pdf), 1e-6);
}

TEST(Grid, DetectsIntegersRoundedValuesAndNotContinuousData) {
  mdn::MatrixD t(200, 3);
  for (int r = 0; r < 200; ++r) {
    t(r, 0) = float(r % 7 - 3);                                    // integers
    t(r, 1) = float(std::round(std::sin(r * 1.3) * 1000) / 1000);  // rounded to 0.001
    t(r, 2) = float(std::sin(r * 1.3) * 3.1);                      // continuous
  }
  EXPECT_DOUBLE_EQ(mdn::detect_grid_step(t, 0), 1.0);
  EXPECT_NEAR(mdn::detect_grid_step(t, 1), 0.001, 1e-12);
  EXPECT_EQ(mdn::detect_grid_step(t, 2), 0.0);
  mdn::MatrixD constant(10, 1);
  EXPECT_EQ(mdn::detect_grid_step(constant, 0), 0.0);
}

// Far from 0: integers stay a grid (16 float units apart near 1e6, below one
// unit near 1e9, where only a double holds them), while continuous values
// that went through a float sit on the float's own grid (0.0625 near 1e6)
// and are not one.
TEST(Grid, IntegersFarFromZeroAreAGridAndFloatRoundingIsNot) {
  for (double offset : {1e6, -3e6, 1e9, 4e12}) {
    mdn::MatrixD t(200, 1);
    for (int r = 0; r < 200; ++r) t(r, 0) = offset + double(r % 31);
    EXPECT_DOUBLE_EQ(mdn::detect_grid_step(t, 0), 1.0) << "offset " << offset;
  }
  mdn::MatrixD rounded(2000, 1);
  for (int r = 0; r < 2000; ++r) rounded(r, 0) = double(float(1e6 + 1000.0 * std::sin(r * 1.3)));
  EXPECT_EQ(mdn::detect_grid_step(rounded, 0), 0.0);
}

}  // namespace
