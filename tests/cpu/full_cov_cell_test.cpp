// The grid-cell probability of full-covariance components (mdn/grid.hpp's
// cell_log_mass, math/full_cov_cell.cpp) against independent references: the
// closed-form product of normal masses when the components are uncorrelated
// (the diagonal code), brute-force 2-D midpoint integration of the density
// written out by hand (also for a thin, nearly degenerate ridge), 1-D
// integration for the mixed cases, and the refusal for T > 2.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "mdn/error.hpp"
#include "mdn/grid.hpp"
#include "mdn/mixture.hpp"

namespace {

constexpr double kPi = 3.14159265358979323846;

struct Component {
  double alpha, m0, m1, a00, a10, a11;
};

mdn::MixtureBatch batch(const std::vector<Component>& row) {
  mdn::MixtureBatch mix;
  mix.rows = 1, mix.K = int(row.size()), mix.T = 2;
  for (const Component& c : row) {
    mix.alpha.push_back(c.alpha);
    mix.mu.insert(mix.mu.end(), {c.m0, c.m1});
    mix.sigma.insert(mix.sigma.end(), {c.a00, std::hypot(c.a10, c.a11)});
    mix.chol.insert(mix.chol.end(), {c.a00, c.a10, c.a11});
  }
  return mix;
}

// The mixture's density at (y0, y1), from Sigma = A A^T written out.
double density(const std::vector<Component>& row, double y0, double y1) {
  double p = 0.0;
  for (const Component& c : row) {
    const double s00 = c.a00 * c.a00, s01 = c.a00 * c.a10, s11 = c.a10 * c.a10 + c.a11 * c.a11;
    const double det = s00 * s11 - s01 * s01, d0 = y0 - c.m0, d1 = y1 - c.m1;
    p += c.alpha * std::exp(-0.5 * (s11 * d0 * d0 - 2 * s01 * d0 * d1 + s00 * d1 * d1) / det) /
         (2 * kPi * std::sqrt(det));
  }
  return p;
}

// Midpoint rule with n x n points over the box [l0, h0] x [l1, h1].
double box_by_midpoints(const std::vector<Component>& row, double l0, double h0, double l1, double h1, int n) {
  double sum = 0.0;
  const double d0 = (h0 - l0) / n, d1 = (h1 - l1) / n;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) sum += density(row, l0 + (i + 0.5) * d0, l1 + (j + 0.5) * d1);
  return sum * d0 * d1;
}

TEST(FullCovCell, UncorrelatedComponentsGiveTheDiagonalClosedForm) {
  const std::vector<Component> row = {{0.6, 0.2, -0.3, 0.5, 0.0, 0.8}, {0.4, -1.0, 1.0, 1.5, 0.0, 0.3}};
  mdn::MixtureBatch full = batch(row), diag = full;
  diag.chol.clear();
  for (const auto& steps : std::vector<std::vector<float>>{{0.1f, 0.2f}, {2.0f, 3.0f}, {0.0f, 0.5f}, {0.5f, 0.0f}})
    for (const auto& y : std::vector<std::vector<double>>{{0.0, 0.0}, {-1.2, 0.9}, {3.0, -2.5}}) {
      const double want = mdn::cell_log_mass(diag, 0, y.data(), steps);
      EXPECT_NEAR(mdn::cell_log_mass(full, 0, y.data(), steps), want, 1e-10 * (1 + std::fabs(want)))
          << steps[0] << " " << steps[1] << " at " << y[0] << ", " << y[1];
    }
}

TEST(FullCovCell, CorrelatedBoxesMatchTwoDimensionalIntegration) {
  const std::vector<Component> row = {{0.7, 0.0, 0.0, 0.6, 0.5, 0.3}, {0.3, 1.0, -0.5, 0.4, -0.35, 0.2}};
  const mdn::MixtureBatch mix = batch(row);
  struct Case {
    double y0, y1, h0, h1;
  };
  // Small cells, cells as large as the components, off-centre and tail cells.
  for (const Case& c : {Case{0.0, 0.0, 0.05, 0.05}, Case{0.3, 0.2, 1.0, 0.6}, Case{1.0, -0.6, 0.8, 0.8},
                        Case{-1.0, 1.5, 0.5, 0.5}, Case{0.5, 0.0, 3.0, 3.0}}) {
    const std::vector<float> steps{float(c.h0), float(c.h1)};
    const double h0 = steps[0], h1 = steps[1];
    const double want = box_by_midpoints(row, c.y0 - h0 / 2, c.y0 + h0 / 2, c.y1 - h1 / 2, c.y1 + h1 / 2, 1200);
    const double y[2] = {c.y0, c.y1};
    EXPECT_NEAR(mdn::cell_log_mass(mix, 0, y, steps), std::log(want), 2e-5) << c.y0 << ", " << c.y1;
  }
}

TEST(FullCovCell, ThinRidgeAcrossTheCell) {
  // Correlation 0.9999: a ridge 0.014 wide crossing a cell of 0.5 x 0.5
  // diagonally (the weather data's y2 = y1 line); 3000^2 midpoints put
  // some 80 points across it.
  const std::vector<Component> row = {{1.0, 0.0, 0.0, 1.0, 1.0, 0.01}};
  const mdn::MixtureBatch mix = batch(row);
  for (const auto& y : std::vector<std::vector<double>>{{0.0, 0.0}, {0.3, 0.1}, {0.9, 0.7}}) {
    const double want = box_by_midpoints(row, y[0] - 0.25, y[0] + 0.25, y[1] - 0.25, y[1] + 0.25, 3000);
    EXPECT_NEAR(mdn::cell_log_mass(mix, 0, y.data(), {0.5f, 0.5f}), std::log(want), 1e-4) << y[0] << ", " << y[1];
  }
}

TEST(FullCovCell, MixedCellsIntegrateTheGriddedTargetAtTheOthersValue) {
  // One target gridded, the other continuous: the integral of the density
  // over the gridded one's interval at the other's value (20,000 midpoints).
  const std::vector<Component> row = {{0.5, 0.0, 0.0, 0.6, 0.5, 0.3}, {0.5, 1.0, -0.5, 0.4, -0.35, 0.2}};
  const mdn::MixtureBatch mix = batch(row);
  const double y[2] = {0.4, 0.1}, h = 0.7;
  const int n = 20000;
  double over0 = 0.0, over1 = 0.0;
  for (int i = 0; i < n; ++i) {
    const double u = -h / 2 + (i + 0.5) * h / n;
    over0 += density(row, y[0] + u, y[1]) * h / n;
    over1 += density(row, y[0], y[1] + u) * h / n;
  }
  EXPECT_NEAR(mdn::cell_log_mass(mix, 0, y, {float(h), 0.0f}), std::log(over0), 1e-6);
  EXPECT_NEAR(mdn::cell_log_mass(mix, 0, y, {0.0f, float(h)}), std::log(over1), 1e-6);
  EXPECT_NEAR(mdn::cell_log_mass(mix, 0, y, {0.0f, 0.0f}), std::log(density(row, y[0], y[1])), 1e-12);
}

TEST(FullCovCell, MoreThanTwoTargetsAreRefused) {
  mdn::MixtureBatch mix;
  mix.rows = 1, mix.K = 1, mix.T = 3;
  mix.alpha = {1.0};
  mix.mu = {0.0, 0.0, 0.0};
  mix.sigma = {1.0, 1.0, 1.0};
  mix.chol = {1.0, 0.0, 1.0, 0.0, 0.0, 1.0};
  const double y[3] = {0.0, 0.0, 0.0};
  EXPECT_THROW(mdn::cell_log_mass(mix, 0, y, {0.1f, 0.1f, 0.1f}), mdn::Error);
}

}  // namespace
