// Predictive statistics against independent references: closed forms for
// single Gaussians, the exact mixture CDF, brute-force grids and finite
// differences.
#include "mdn/predictive.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "cpu/mixture_builders.hpp"
#include "mdn/detail/marginal_math.hpp"
#include "mdn/error.hpp"

namespace mdn {
namespace {

using testing::one_row;
using testing::random_mixtures;
using testing::reference_inverse_normal;

double cdf(const MixtureBatch& m, int r, int d, double y) {
  const std::size_t kt = std::size_t(m.K) * m.T;
  return detail::marginal_cdf(m.alpha.data() + r * m.K, m.mu.data() + r * kt, m.sigma.data() + r * kt, m.K, m.T, d, y);
}
double pdf(const MixtureBatch& m, int r, int d, double y) {
  const std::size_t kt = std::size_t(m.K) * m.T;
  return detail::marginal_pdf(m.alpha.data() + r * m.K, m.mu.data() + r * kt, m.sigma.data() + r * kt, m.K, m.T, d, y);
}
double weight_total(const MixtureBatch& m, int r) {
  double t = 0.0;
  for (int k = 0; k < m.K; ++k) t += m.weight(r, k);
  return t;
}
// Joint density of a T-dim point, written out directly.
double joint_density(const MixtureBatch& m, int r, const std::vector<double>& x) {
  double p = 0.0;
  for (int k = 0; k < m.K; ++k) {
    double c = m.weight(r, k);
    for (int d = 0; d < m.T; ++d) {
      const double s = m.stddev(r, k, d), u = (x[d] - m.mean(r, k, d)) / s;
      c *= std::exp(-0.5 * u * u) / (s * std::sqrt(2.0 * M_PI));
    }
    p += c;
  }
  return p;
}

TEST(ReferenceInverseNormal, InvertsPhi) {
  for (double p : {1e-12, 1e-6, 0.01, 0.02425, 0.2, 0.5, 0.7, 0.975, 1.0 - 1e-6}) {
    const double x = reference_inverse_normal(p);
    EXPECT_NEAR(detail::standard_normal_cdf(x), p, 1e-15 + 1e-12 * p) << p;
  }
  EXPECT_NEAR(reference_inverse_normal(0.975), 1.959963984540054, 1e-12);
}

TEST(PredictiveMoments, MatchNumericIntegration) {
  const MixtureBatch m = one_row({0.2f, 0.5f, 0.3f}, {-2.0f, 0.5f, 3.0f}, {0.4f, 1.0f, 0.7f});
  const PredictiveMoments mo = predictive_moments(m);
  double m0 = 0.0, m1 = 0.0, m2 = 0.0;
  const double h = 1e-3;
  for (double y = -15.0; y <= 15.0; y += h) {
    const double p = pdf(m, 0, 0, y);
    m0 += p * h;
    m1 += y * p * h;
    m2 += y * y * p * h;
  }
  EXPECT_NEAR(m0, 1.0, 1e-6);
  EXPECT_NEAR(mo.mean[0], m1, 1e-6);
  EXPECT_NEAR(mo.stddev[0], std::sqrt(m2 - m1 * m1), 1e-6);
}

TEST(PredictiveQuantiles, SingleGaussianMatchesClosedForm) {
  const MixtureBatch m = one_row({1.0f}, {2.5f}, {0.7f});
  const std::vector<double> levels = {1e-9, 1e-6, 0.001, 0.05, 0.3, 0.5, 0.9, 0.999, 1.0 - 1e-6};
  const std::vector<double> q = predictive_quantiles(m, levels);
  for (std::size_t j = 0; j < levels.size(); ++j)
    EXPECT_NEAR(q[j], 2.5 + 0.7f * reference_inverse_normal(levels[j]), 1e-9) << levels[j];
}

TEST(PredictiveQuantiles, SolveTheMixtureCdfToTolerance) {
  std::mt19937_64 rng(11);
  const std::vector<double> levels = {0.001, 0.01, 0.05, 0.25, 0.5, 0.5 + 1e-12, 0.75, 0.95, 0.99, 0.999};
  for (const auto& [spread, slo, shi] :
       {std::tuple{1.0, 0.3, 2.0}, std::tuple{20.0, 0.01, 3.0}, std::tuple{1e3, 1e-3, 1e2}}) {
    const MixtureBatch m = random_mixtures(rng, 200, 5, 2, spread, slo, shi);
    const std::vector<double> q = predictive_quantiles(m, levels);
    const int L = int(levels.size());
    for (int r = 0; r < m.rows; ++r)
      for (int d = 0; d < m.T; ++d) {
        const double total = weight_total(m, r);
        for (int j = 0; j < L; ++j) {
          const double qj = q[(r * m.T + d) * L + j];
          // The contract (1e-6, raw CDF) and the aim (1e-9, weights normalised).
          ASSERT_NEAR(cdf(m, r, d, qj), levels[j], 1e-6) << "row " << r << " dim " << d << " level " << levels[j];
          ASSERT_NEAR(cdf(m, r, d, qj) / total, levels[j], 1e-9) << "row " << r << " level " << levels[j];
          if (j > 0) {
            ASSERT_GE(qj, q[(r * m.T + d) * L + j - 1]) << "crossing at row " << r;
          }
        }
      }
  }
}

TEST(PredictiveQuantiles, NonCrossingForUnsortedAndCloseLevels) {
  const MixtureBatch m = one_row({0.5f, 0.5f}, {-1000.0f, 1000.0f}, {1.0f, 1.0f});
  const std::vector<double> levels = {0.9, 0.5, 0.5 - 1e-15, 0.1, 0.5 + 1e-15};
  const std::vector<double> q = predictive_quantiles(m, levels);
  EXPECT_LE(q[3], q[2]);
  EXPECT_LE(q[2], q[1]);
  EXPECT_LE(q[1], q[4]);
  EXPECT_LE(q[4], q[0]);
}

TEST(PredictiveQuantiles, FarApartComponents) {
  const MixtureBatch m = one_row({0.3f, 0.7f}, {-1000.0f, 1000.0f}, {1.0f, 2.0f});
  const double a0 = m.alpha[0], a1 = m.alpha[1];
  // Level 0.1 lies in the left component: a0 * Phi((q + 1000) / 1) = 0.1 (the right one contributes 0).
  EXPECT_NEAR(marginal_quantile(m, 0, 0, 0.1), -1000.0 + reference_inverse_normal(0.1 / a0), 1e-9);
  // Level 0.5 lies in the right one: a0 + a1 * Phi((q - 1000) / 2) = 0.5.
  EXPECT_NEAR(marginal_quantile(m, 0, 0, 0.5), 1000.0 + 2.0 * reference_inverse_normal((0.5 - a0) / a1), 1e-9);
  // Level a0 sits on the flat stretch between them: any point of it solves F = level.
  const double q = marginal_quantile(m, 0, 0, 0.3);
  EXPECT_NEAR(cdf(m, 0, 0, q), 0.3, 1e-9);
  EXPECT_GT(q, -1000.0);
  EXPECT_LT(q, 1000.0);
}

TEST(PredictiveQuantiles, RefusesLevelsOutsideTheOpenInterval) {
  for (double bad : {0.0, 1.0, -0.1, 1.5, std::nan("")})
    EXPECT_THROW(validate_quantile_levels({0.5, bad}), UsageError) << bad;
  EXPECT_THROW(validate_quantile_levels({0.5, 0.5}), UsageError);
  EXPECT_NO_THROW(validate_quantile_levels({0.05, 0.5, 0.95}));
}

// A maximum of p: zero gradient (central differences) and lower density nearby.
void expect_is_maximum(const MixtureBatch& m, const Mode& mode, double min_sigma) {
  const int T = m.T;
  const double p0 = joint_density(m, 0, mode.location);
  EXPECT_NEAR(mode.density, p0, 1e-9 * p0);
  for (int d = 0; d < T; ++d) {
    const double h = 1e-4 * min_sigma;
    std::vector<double> up = mode.location, down = mode.location;
    up[d] += h;
    down[d] -= h;
    const double p_up = joint_density(m, 0, up), p_down = joint_density(m, 0, down);
    const double gradient = (p_up - p_down) / (2.0 * h);
    // Scale: p / sigma is the size of the gradient one sigma away from a peak.
    EXPECT_LT(std::fabs(gradient), 1e-6 * p0 / min_sigma) << "dim " << d;
    EXPECT_LE(p_up, p0 * (1.0 + 1e-12));
    EXPECT_LE(p_down, p0 * (1.0 + 1e-12));
  }
}

TEST(MixtureModes, WellSeparated1DFindsEveryComponent) {
  const MixtureBatch m = one_row({0.3f, 0.5f, 0.2f}, {-5.0f, 0.0f, 7.0f}, {0.5f, 1.0f, 0.8f});
  const std::vector<Mode> modes = mixture_modes(m, 0);
  ASSERT_EQ(modes.size(), 3u);
  // Ranked by density: alpha_k / sigma_k = 0.6, 0.5, 0.25.
  // Within the pull of the neighbours' tails (~ 1e-5 here) of each mean.
  EXPECT_NEAR(modes[0].location[0], -5.0, 1e-4);
  EXPECT_NEAR(modes[1].location[0], 0.0, 1e-4);
  EXPECT_NEAR(modes[2].location[0], 7.0, 1e-4);
  for (const auto& mode : modes) expect_is_maximum(m, mode, 0.5);
}

TEST(MixtureModes, WellSeparated2DNoDuplicates) {
  // Components 0 and 3 coincide: one mode, not two.
  const MixtureBatch m =
      one_row({0.25f, 0.25f, 0.25f, 0.25f}, {0, 0, 10, 0, 0, 10, 0, 0}, {1, 1, 1, 2, 0.8f, 1, 1, 1}, 2);
  const std::vector<Mode> modes = mixture_modes(m, 0);
  ASSERT_EQ(modes.size(), 3u);
  for (const auto& mode : modes) expect_is_maximum(m, mode, 0.8);
  EXPECT_NEAR(modes[0].location[0], 0.0, 1e-6);  // two components stacked: highest
  EXPECT_NEAR(modes[0].location[1], 0.0, 1e-6);
}

TEST(MixtureModes, OverlappingUnimodalHasOneMode) {
  // Equal weights and sigmas, means 1 sigma apart (< 2 sigma): one mode at the midpoint.
  const MixtureBatch m = one_row({0.5f, 0.5f}, {0.0f, 1.0f}, {1.0f, 1.0f});
  const std::vector<Mode> modes = mixture_modes(m, 0);
  ASSERT_EQ(modes.size(), 1u);
  EXPECT_NEAR(modes[0].location[0], 0.5, 1e-9);
  expect_is_maximum(m, modes[0], 1.0);
  // 3 sigma apart: two symmetric modes.
  const MixtureBatch two = one_row({0.5f, 0.5f}, {-1.5f, 1.5f}, {1.0f, 1.0f});
  const std::vector<Mode> both = mixture_modes(two, 0);
  ASSERT_EQ(both.size(), 2u);
  EXPECT_NEAR(both[0].location[0], -both[1].location[0], 1e-9);
}

TEST(MixtureModes, DropsAStationaryMinimum) {
  // The light middle component's mean is a stationary point of p by symmetry,
  // but a local minimum (p''(0) > 0): only the two outer modes are real.
  const MixtureBatch m = one_row({0.49f, 0.02f, 0.49f}, {-3.0f, 0.0f, 3.0f}, {1.0f, 1.0f, 1.0f});
  const std::vector<Mode> modes = mixture_modes(m, 0);
  ASSERT_EQ(modes.size(), 2u);
  for (const auto& mode : modes) expect_is_maximum(m, mode, 1.0);
}

TEST(MixtureModes, MatchBruteForceGridIn1D) {
  std::mt19937_64 rng(5);
  const MixtureBatch batch = random_mixtures(rng, 60, 4, 1, 4.0, 0.3, 1.5);
  for (int r = 0; r < batch.rows; ++r) {
    const MixtureBatch m = one_row(std::vector<double>(batch.alpha.begin() + r * 4, batch.alpha.begin() + r * 4 + 4),
                                   std::vector<double>(batch.mu.begin() + r * 4, batch.mu.begin() + r * 4 + 4),
                                   std::vector<double>(batch.sigma.begin() + r * 4, batch.sigma.begin() + r * 4 + 4));
    // Local maxima of p on a fine grid.
    const double h = 1e-3;
    std::vector<double> grid_modes;
    double prev2 = pdf(m, 0, 0, -15.0), prev = pdf(m, 0, 0, -15.0 + h);
    for (double y = -15.0 + 2 * h; y < 15.0; y += h) {
      const double p = pdf(m, 0, 0, y);
      if (prev > prev2 && prev >= p) grid_modes.push_back(y - h);
      prev2 = prev;
      prev = p;
    }
    const std::vector<Mode> modes = mixture_modes(m, 0);
    ASSERT_EQ(modes.size(), grid_modes.size()) << "row " << r;
    for (const double g : grid_modes) {
      bool matched = false;
      for (const auto& mode : modes) matched |= std::fabs(mode.location[0] - g) <= 2 * h;
      EXPECT_TRUE(matched) << "row " << r << ": grid mode at " << g << " not found";
    }
    for (std::size_t i = 1; i < modes.size(); ++i) EXPECT_GE(modes[i - 1].density, modes[i].density);
    for (const auto& mode : modes) expect_is_maximum(m, mode, 0.3);
  }
}

// The region is of the normalised density p / sum(alpha) (float weights sum
// to 1 only to ~1e-8).
void expect_valid_region(const MixtureBatch& m, const DensityRegion& region, double coverage) {
  const double total = weight_total(m, 0);
  double mass = 0.0;
  for (const auto& iv : region.intervals) {
    ASSERT_LT(iv.lo, iv.hi);
    mass += cdf(m, 0, 0, iv.hi) - cdf(m, 0, 0, iv.lo);
    EXPECT_NEAR(pdf(m, 0, 0, iv.lo) / total, region.threshold, 1e-9 * region.threshold);
    EXPECT_NEAR(pdf(m, 0, 0, iv.hi) / total, region.threshold, 1e-9 * region.threshold);
    // Inside, the density is above the threshold.
    EXPECT_GT(pdf(m, 0, 0, 0.5 * (iv.lo + iv.hi)), region.threshold);
  }
  for (std::size_t i = 1; i < region.intervals.size(); ++i)
    EXPECT_LT(region.intervals[i - 1].hi, region.intervals[i].lo);
  EXPECT_NEAR(mass / total, coverage, 1e-9);
  EXPECT_NEAR(mass, coverage, 1e-6);
  EXPECT_NEAR(region.mass, coverage, 1e-10);
}

TEST(HighestDensityRegion, SingleGaussianIsTheCentralInterval) {
  const MixtureBatch m = one_row({1.0f}, {3.0f}, {2.0f});
  const DensityRegion region = highest_density_region(m, 0, 0, 0.9);
  ASSERT_EQ(region.intervals.size(), 1u);
  const double z = reference_inverse_normal(0.95);
  EXPECT_NEAR(region.intervals[0].lo, 3.0 - 2.0 * z, 1e-8);
  EXPECT_NEAR(region.intervals[0].hi, 3.0 + 2.0 * z, 1e-8);
  expect_valid_region(m, region, 0.9);
}

TEST(HighestDensityRegion, SeparatedComponentsGiveDisjointIntervals) {
  const MixtureBatch m = one_row({0.3f, 0.45f, 0.25f}, {-6.0f, 0.0f, 9.0f}, {0.5f, 1.0f, 2.0f});
  for (double coverage : {0.8, 0.95}) {
    const DensityRegion region = highest_density_region(m, 0, 0, coverage);
    EXPECT_EQ(region.intervals.size(), 3u) << coverage;
    expect_valid_region(m, region, coverage);
  }
  // At 50% the broad component's peak (0.05) is below the threshold: it gets no interval.
  const DensityRegion half = highest_density_region(m, 0, 0, 0.5);
  ASSERT_EQ(half.intervals.size(), 2u);
  EXPECT_LT(half.intervals[1].hi, 5.0);
  expect_valid_region(m, half, 0.5);
  expect_valid_region(m, highest_density_region(m, 0, 0, 0.999), 0.999);
  // Far apart, very different widths.
  const MixtureBatch far = one_row({0.5f, 0.5f}, {-1000.0f, 1000.0f}, {0.01f, 10.0f});
  const DensityRegion region = highest_density_region(far, 0, 0, 0.9);
  EXPECT_EQ(region.intervals.size(), 2u);
  expect_valid_region(far, region, 0.9);
}

TEST(HighestDensityRegion, RandomMixturesAndShortest) {
  std::mt19937_64 rng(21);
  const MixtureBatch batch = random_mixtures(rng, 40, 3, 1, 3.0, 0.2, 2.0);
  for (int r = 0; r < batch.rows; ++r) {
    const MixtureBatch m = one_row(std::vector<double>(batch.alpha.begin() + r * 3, batch.alpha.begin() + r * 3 + 3),
                                   std::vector<double>(batch.mu.begin() + r * 3, batch.mu.begin() + r * 3 + 3),
                                   std::vector<double>(batch.sigma.begin() + r * 3, batch.sigma.begin() + r * 3 + 3));
    const DensityRegion region = highest_density_region(m, 0, 0, 0.8);
    expect_valid_region(m, region, 0.8);
    // No interval of mass 0.8 is shorter: in particular not the equal-tailed one.
    double length = 0.0;
    for (const auto& iv : region.intervals) length += iv.hi - iv.lo;
    EXPECT_LE(length, marginal_quantile(m, 0, 0, 0.9) - marginal_quantile(m, 0, 0, 0.1) + 1e-9);
  }
}

TEST(HighestDensityRegion, RefusesBadCoverage) {
  const MixtureBatch m = one_row({1.0f}, {0.0f}, {1.0f});
  for (double bad : {0.0, 1.0, -0.5, 2.0}) EXPECT_THROW(highest_density_region(m, 0, 0, bad), UsageError);
}

}  // namespace
}  // namespace mdn
