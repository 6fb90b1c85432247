// The grid cells' loss (mdn/detail/cell_math.hpp) against independent
// references: erfc and the tail's asymptotic series, Simpson quadrature of the
// normal density, a direct sum over components, the density's loss in the
// limit of a vanishing cell, and central differences for every gradient entry.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "mdn/detail/cell_math.hpp"
#include "mdn/detail/mixture_math.hpp"
#include "numeric_integration.hpp"

namespace {

using mdn::detail::log_normal_interval_mass;
using mdn::detail::log_upper_tail;
using mdn::detail::mixture_cell_nll;
using mdn::detail::mixture_cell_nll_and_grad;

constexpr double kHalfLog2Pi = 0.91893853320467274178;

TEST(CellMath, UpperTailMatchesErfcAndTheAsymptoticSeries) {
  // erfc keeps its relative digits up to x ~ 37 in double: the reference
  // there, on both sides of the switch to the continued fraction at 5.
  for (double x : {0.0, 0.3, 1.0, 2.5, 4.999, 5.0, 5.001, 7.0, 12.0, 20.0, 30.0, 36.0}) {
    const double want = std::log(0.5 * std::erfc(x / std::sqrt(2.0)));
    EXPECT_NEAR(log_upper_tail(x), want, 1e-12 * std::max(1.0, std::fabs(want))) << "x = " << x;
  }
  // Beyond, erfc underflows: Q(x) = phi(x)/x (1 - 1/x^2 + 3/x^4 - 15/x^6 + ...).
  for (double x : {50.0, 100.0, 1e3, 1e5}) {
    const double x2 = x * x;
    const double want =
        -0.5 * x2 - kHalfLog2Pi - std::log(x) + std::log1p(-1 / x2 + 3 / (x2 * x2) - 15 / (x2 * x2 * x2));
    EXPECT_NEAR(log_upper_tail(x), want, 1e-13 * std::fabs(want)) << "x = " << x;
  }
}

// log of the integral of phi over [a, b] by Simpson, with the density scaled
// by e^(s^2/2) (s the end nearer 0) so that cells 40 sigmas out stay in range.
double simpson_log_mass(double a, double b) {
  const double s = a > 0 ? a : (b < 0 ? -b : 0.0);
  const double scaled = mdn::test::simpson([&](double u) { return std::exp(-0.5 * (u * u - s * s)); }, a, b, 20000);
  return std::log(scaled) - 0.5 * s * s - kHalfLog2Pi;
}

TEST(CellMath, IntervalMassMatchesQuadratureInEveryRegime) {
  const double cells[][2] = {
      {-0.3, 0.4},  {-1e-6, 2e-6},  {-3.0, -2.5}, {2.0, 2.001},   {0.0, 0.5},      {-0.5, 0.0}, {6.0, 6.5},
      {-6.5, -6.0}, {24.0, 24.001}, {30.0, 30.5}, {-41.0, -40.0}, {40.0, 40.0001}, {-8.0, 8.0},
  };
  for (const auto& c : cells) {
    const double want = simpson_log_mass(c[0], c[1]);
    EXPECT_NEAR(log_normal_interval_mass(c[0], c[1]), want, 1e-9 * std::max(1.0, std::fabs(want)))
        << "[" << c[0] << ", " << c[1] << "]";
  }
}

// A random head row: K logits, K*T log-sigmas, K*T means.
std::vector<double> random_row(int K, int T, std::mt19937_64& rng) {
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<double> z(std::size_t(K * (1 + 2 * T)));
  for (int k = 0; k < K; ++k) z[k] = normal(rng);
  for (int i = 0; i < K * T; ++i) z[K + i] = -1.0 + 0.5 * normal(rng);
  for (int i = 0; i < K * T; ++i) z[K + K * T + i] = normal(rng);
  return z;
}

// -log sum_k alpha_k prod_d M_kd written straight from the definition (the
// cell's mass over its width for a gridded target).
double direct_cell_nll(const std::vector<double>& z, const double* t, const double* half, int K, int T, double lo,
                       double hi) {
  double norm = 0.0;
  for (int k = 0; k < K; ++k) norm += std::exp(z[k]);
  const auto Phi = [](double u) { return 0.5 * std::erfc(-u / std::sqrt(2.0)); };
  double p = 0.0;
  for (int k = 0; k < K; ++k) {
    double pk = std::exp(z[k]) / norm;
    for (int d = 0; d < T; ++d) {
      const double sigma = std::exp(std::min(hi, std::max(lo, z[K + k * T + d])));
      const double m = z[K + K * T + k * T + d];
      if (half[d] > 0) {
        pk *= (Phi((t[d] + half[d] - m) / sigma) - Phi((t[d] - half[d] - m) / sigma)) / (2 * half[d]);
      } else {
        const double u = (t[d] - m) / sigma;
        pk *= std::exp(-0.5 * u * u - kHalfLog2Pi) / sigma;
      }
    }
    p += pk;
  }
  return -std::log(p);
}

TEST(CellMath, LossIsTheMixtureMassOfTheCell) {
  std::mt19937_64 rng(7);
  const int K = 4, T = 2;
  const double lo = -7.0, hi = 7.0;
  const double t[2] = {0.3, -0.8};
  for (const auto& half : {std::vector<double>{0.25, 0.0}, std::vector<double>{0.05, 0.5}}) {
    for (int trial = 0; trial < 20; ++trial) {
      const std::vector<double> z = random_row(K, T, rng);
      const double want = direct_cell_nll(z, t, half.data(), K, T, lo, hi);
      EXPECT_NEAR(mixture_cell_nll(z.data(), t, half.data(), K, T, lo, hi), want, 1e-12 * std::max(1.0, want));
      std::vector<double> dz(z.size());
      EXPECT_NEAR(mixture_cell_nll_and_grad(z.data(), t, half.data(), K, T, lo, hi, 1.0, dz.data()), want,
                  1e-12 * std::max(1.0, want));
    }
  }
}

TEST(CellMath, AVanishingCellGivesTheDensityLoss) {
  // P(cell) = p(t) 2c (1 + O(c^2)): the cell-averaged density tends to p(t).
  std::mt19937_64 rng(11);
  const int K = 3, T = 1;
  const double t[1] = {0.4}, lo = -7.0, hi = 7.0;
  for (int trial = 0; trial < 10; ++trial) {
    const std::vector<double> z = random_row(K, T, rng);
    const double c = 1e-5, half[1] = {c};
    const double density = mdn::detail::mixture_nll(z.data(), t, K, T, lo, hi);
    EXPECT_NEAR(mixture_cell_nll(z.data(), t, half, K, T, lo, hi), density, 1e-7);
  }
}

TEST(CellMath, EveryGradientEntryMatchesCentralDifferences) {
  std::mt19937_64 rng(3);
  const int K = 3, T = 2;
  const double lo = -4.0, hi = 4.0;
  const double half[2] = {0.2, 0.0};  // one gridded, one continuous target
  const double t[2] = {0.1, 0.7};
  for (int trial = 0; trial < 8; ++trial) {
    std::vector<double> z = random_row(K, T, rng);
    if (trial == 1) z[K + K * T + 0] = 9.0;    // component 0's cell 20+ sigmas away
    if (trial == 2) z[K + 2] = lo - 0.5;       // a log-sigma below the clamp: no gradient
    if (trial == 3) z[K + K * T + 2] = -12.0;  // a far cell on the other side
    std::vector<double> dz(z.size());
    mixture_cell_nll_and_grad(z.data(), t, half, K, T, lo, hi, 0.5, dz.data());
    const double h = 1e-6;
    for (std::size_t i = 0; i < z.size(); ++i) {
      const double saved = z[i];
      z[i] = saved + h;
      const double up = mixture_cell_nll(z.data(), t, half, K, T, lo, hi);
      z[i] = saved - h;
      const double down = mixture_cell_nll(z.data(), t, half, K, T, lo, hi);
      z[i] = saved;
      const double fd = 0.5 * (up - down) / (2 * h);
      EXPECT_NEAR(dz[i], fd, 1e-7 + 1e-6 * std::fabs(fd)) << "trial " << trial << ", entry " << i;
    }
  }
}

TEST(CellMath, AFarCellStillPullsTheComponentBack) {
  // One component, the target's cell 40 sigmas above its mean: the loss is
  // finite and the mean's gradient points up (towards the cell), the
  // log-sigma's says widen, where erfc alone would give log 0.
  const int K = 1, T = 1;
  const double z[3] = {0.0, std::log(0.1), 0.0};
  const double t[1] = {4.0}, half[1] = {0.05};
  double dz[3];
  const double loss = mixture_cell_nll_and_grad(z, t, half, K, T, -7.0, 7.0, 1.0, dz);
  EXPECT_TRUE(std::isfinite(loss));
  EXPECT_GT(loss, 700.0);  // 39.5^2 / 2 and change
  EXPECT_LT(dz[2], -1.0);  // dloss/dm < 0: raising the mean lowers the loss
  EXPECT_LT(dz[1], -1.0);  // dloss/ds < 0: widening lowers it
}

}  // namespace
