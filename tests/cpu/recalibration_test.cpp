// Recalibration by a PIT map (mdn/pit_map.hpp, mdn/recalibration.hpp): the
// map itself, its fit, and every output of a recalibrated mixture against an
// independent reference — Simpson quadrature of the density (piecewise, between
// band edges found here by bisection on the plain CDF), the CDF inverted by
// bisection, and sample quantiles against the quantile function.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "mdn/error.hpp"
#include "mdn/metrics.hpp"
#include "mdn/model_io.hpp"
#include "mdn/pit_map.hpp"
#include "mdn/predictive.hpp"
#include "mdn/recalibration.hpp"
#include "mdn/sampling.hpp"
#include "numeric_integration.hpp"

namespace {

using mdn::MixtureBatch;
using mdn::PitMap;

// A bimodal mixture, far from 0 when `offset` says so, with a map that makes
// it sharper in the middle and heavier at both ends (6 bins).
MixtureBatch recalibrated_mixture(double offset = 0.0) {
  MixtureBatch m;
  m.rows = 1, m.K = 3, m.T = 1;
  m.alpha = {0.5, 0.3, 0.2};
  m.mu = {offset - 1.0, offset + 0.5, offset + 2.5};
  m.sigma = {0.6, 0.4, 0.9};
  PitMap g;
  g.knots = {0.0, 0.12, 0.25, 0.5, 0.75, 0.86, 1.0};
  m.pit_maps = {g};
  return m;
}

MixtureBatch without_map(MixtureBatch m) {
  m.pit_maps.clear();
  return m;
}

// The plain mixture's quantile at `level`, by bisection on its CDF.
double plain_quantile(const MixtureBatch& plain, double level) {
  double lo = -100.0 + plain.mu[0], hi = 100.0 + plain.mu[0];
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    (mdn::mixture_pit(plain, 0, 0, mid) < level ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

// The recalibrated density, from the NLL.
double density(const MixtureBatch& m, double y) { return std::exp(-mdn::mixture_nll(m, 0, &y)); }

// Integral of h over [a, b] with h smooth between the band edges of m: Simpson on each piece.
template <class H>
double piecewise_integral(const MixtureBatch& m, H h, double a, double b) {
  const MixtureBatch plain = without_map(m);
  std::vector<double> cuts{a, b};
  const int M = m.pit_maps[0].bins();
  for (int j = 1; j < M; ++j) {
    const double q = plain_quantile(plain, double(j) / M);
    if (q > a && q < b) cuts.push_back(q);
  }
  std::sort(cuts.begin(), cuts.end());
  double total = 0.0;
  // Each piece a hair inside its ends: at a band edge the density jumps, and
  // F(edge) may round into either band.
  for (std::size_t i = 0; i + 1 < cuts.size(); ++i) {
    const double x = std::fabs(cuts[i]) + 1.0, eps = 64.0 * (std::nextafter(x, 2.0 * x) - x);
    total += mdn::test::simpson(h, cuts[i] + eps, cuts[i + 1] - eps, 4000);
  }
  return total;
}

TEST(PitMap, ForwardInverseAndDensityAgree) {
  PitMap g;
  g.knots = {0.0, 0.1, 0.5, 0.6, 1.0};
  EXPECT_FALSE(g.identity());
  double mass = 0.0;
  for (int j = 0; j < g.bins(); ++j) mass += g.height(j) / g.bins();
  EXPECT_NEAR(mass, 1.0, 1e-15);
  for (double u = 0.0; u <= 1.0; u += 0.01) {
    EXPECT_NEAR(g.inverse(g.forward(u)), u, 1e-12) << u;
    // The density is the derivative of the map (away from the knots).
    const double v = std::min(u + 0.003, 0.99);
    if (std::floor(v * 4) == std::floor((v + 1e-6) * 4)) {
      EXPECT_NEAR((g.forward(v + 1e-6) - g.forward(v)) / 1e-6, g.density(v), 1e-6) << v;
    }
  }
  EXPECT_EQ(g.forward(0.0), 0.0);
  EXPECT_EQ(g.forward(1.0), 1.0);
  EXPECT_NEAR(g.forward(0.25), 0.1, 1e-15);  // knots at j / M
  PitMap identity;
  identity.knots = {0.0, 1.0};
  EXPECT_TRUE(identity.identity());
  EXPECT_EQ(identity.forward(0.3), 0.3);
}

TEST(PitMapFit, UniformPitsGiveNearlyTheIdentity) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> pit(3000);
  for (double& p : pit) p = u(rng);
  const PitMap g = mdn::fit_pit_map(pit);
  for (double v = 0.0; v <= 1.0; v += 0.05) EXPECT_NEAR(g.forward(v), v, 0.03) << v;
}

TEST(PitMapFit, SmallCalibratedSetsMostlyKeepTheIdentity) {
  // 200 PITs of a calibrated model: the leave-one-out score rarely finds a
  // histogram that beats the identity (a map fitted to noise costs NLL on new rows).
  int identity = 0;
  for (std::uint64_t seed = 0; seed < 20; ++seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::vector<double> pit(200);
    for (double& p : pit) p = u(rng);
    identity += mdn::fit_pit_map(pit).identity() ? 1 : 0;
  }
  EXPECT_GE(identity, 15);
}

TEST(PitMapFit, PeakedPitsRecoverTheirDistribution) {
  // PITs of an over-dispersed model: triangular on [0, 1], CDF 2u^2 below 1/2.
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> pit(4000);
  for (double& p : pit) p = 0.5 * (u(rng) + u(rng));
  const PitMap g = mdn::fit_pit_map(pit);
  EXPECT_GE(g.bins(), 10);
  for (double v = 0.05; v < 1.0; v += 0.05) {
    const double truth = v < 0.5 ? 2 * v * v : 1 - 2 * (1 - v) * (1 - v);
    EXPECT_NEAR(g.forward(v), truth, 0.03) << v;
  }
  // Few rows: fewer bins (at least kRowsPerPitBin rows per bin), the identity below 3 bins' worth.
  pit.resize(100);
  EXPECT_LE(mdn::fit_pit_map(pit).bins() * mdn::kRowsPerPitBin, 100);
  pit.resize(mdn::kRowsPerPitBin * 3 - 1);
  EXPECT_TRUE(mdn::fit_pit_map(pit).identity());
}

TEST(PitMapFit, WeightsCountRows) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<double> pit, weights;
  for (int i = 0; i < 3000; ++i) {
    pit.push_back(0.5 * (u(rng) + u(rng)));  // triangular
    weights.push_back(i % 2 == 0 ? 0.5 : 1.5);
  }
  // Weighted rows still recover the distribution, and rows of weight 0 do not count at all.
  const PitMap a = mdn::fit_pit_map(pit, weights);
  for (double v = 0.05; v < 1.0; v += 0.05) {
    const double truth = v < 0.5 ? 2 * v * v : 1 - 2 * (1 - v) * (1 - v);
    EXPECT_NEAR(a.forward(v), truth, 0.03) << v;
  }
  std::vector<double> more = pit, more_weights = weights;
  for (int i = 0; i < 500; ++i) more.push_back(0.99), more_weights.push_back(0.0);
  EXPECT_EQ(mdn::fit_pit_map(more, more_weights).knots, a.knots);
  EXPECT_THROW(mdn::fit_pit_map(pit, {1.0}), mdn::Error);
  weights[3] = -1.0;
  EXPECT_THROW(mdn::fit_pit_map(pit, weights), mdn::Error);
}

TEST(Recalibrated, CdfIsTheIntegralOfTheDensity) {
  const MixtureBatch m = recalibrated_mixture();
  const double lo = -8.0;
  for (double y : {-2.0, -0.7, 0.3, 1.1, 2.4, 4.0}) {
    const double integral = piecewise_integral(m, [&](double z) { return density(m, z); }, lo, y);
    EXPECT_NEAR(mdn::mixture_pit(m, 0, 0, y), integral, 1e-7) << y;
    // And the CDF is G(F(y)).
    EXPECT_NEAR(mdn::mixture_pit(m, 0, 0, y), m.pit_maps[0].forward(mdn::mixture_pit(without_map(m), 0, 0, y)),
                1e-15);
  }
}

TEST(Recalibrated, QuantilesInvertTheCdf) {
  const MixtureBatch m = recalibrated_mixture();
  const std::vector<double> levels{0.01, 0.05, 0.12, 0.3, 0.5, 0.74, 0.9, 0.99};
  const std::vector<double> q = mdn::predictive_quantiles(m, levels);
  for (std::size_t j = 0; j < levels.size(); ++j) {
    EXPECT_NEAR(mdn::mixture_pit(m, 0, 0, q[j]), levels[j], 1e-11) << levels[j];
    EXPECT_NEAR(mdn::marginal_quantile(m, 0, 0, levels[j]), q[j], 1e-9);
  }
}

TEST(Recalibrated, MomentsMatchQuadrature) {
  for (double offset : {0.0, 1e6}) {
    const MixtureBatch m = recalibrated_mixture(offset);
    const double lo = offset - 10.0, hi = offset + 12.0;
    const double mass = piecewise_integral(m, [&](double z) { return density(m, z); }, lo, hi);
    const double mean = piecewise_integral(m, [&](double z) { return (z - offset) * density(m, z); }, lo, hi);
    const double second = piecewise_integral(
        m, [&](double z) { return (z - offset - mean) * (z - offset - mean) * density(m, z); }, lo, hi);
    EXPECT_NEAR(mass, 1.0, 1e-7);
    const mdn::PredictiveMoments mo = mdn::predictive_moments(m);
    EXPECT_NEAR(mo.mean[0] - offset, mean, 1e-7) << offset;
    EXPECT_NEAR(mo.stddev[0], std::sqrt(second), 1e-7) << offset;
    // The map changes them: the plain mixture's are different.
    EXPECT_GT(std::fabs(mdn::predictive_moments(without_map(m)).stddev[0] - mo.stddev[0]), 0.05);
  }
}

TEST(Recalibrated, CrpsMatchesQuadrature) {
  const MixtureBatch m = recalibrated_mixture();
  for (double y : {-3.0, -1.0, 0.4, 1.7, 5.0}) {
    const double reference = piecewise_integral(
        m,
        [&](double z) {
          const double e = mdn::mixture_pit(m, 0, 0, z) - (z >= y ? 1.0 : 0.0);
          return e * e;
        },
        -12.0, y) +
                             piecewise_integral(
                                 m,
                                 [&](double z) {
                                   const double e = mdn::mixture_pit(m, 0, 0, z) - 1.0;
                                   return e * e;
                                 },
                                 y, 14.0);
    EXPECT_NEAR(mdn::mixture_crps(m, 0, 0, y), reference, 2e-6 * reference + 1e-9) << y;
  }
}

TEST(Recalibrated, SamplesFollowTheQuantileFunction) {
  MixtureBatch m = recalibrated_mixture();
  const int S = 40000;
  std::vector<double> draws = mdn::sample_mixtures(m, S, mdn::SampleOptions{}, 0);
  // A draw depends on (seed, row, index) only, not on how many are asked for.
  const std::vector<double> first = mdn::sample_mixtures(m, 7, mdn::SampleOptions{}, 0);
  EXPECT_TRUE(std::equal(first.begin(), first.end(), draws.begin()));
  std::sort(draws.begin(), draws.end());
  // Kolmogorov-Smirnov distance to the recalibrated CDF: ~1.36 / sqrt(S) at 5 %.
  double ks = 0.0;
  for (int i = 0; i < S; i += 7) {
    const double F = mdn::mixture_pit(m, 0, 0, draws[std::size_t(i)]);
    ks = std::max({ks, std::fabs(F - double(i) / S), std::fabs(F - double(i + 1) / S)});
  }
  EXPECT_LT(ks, 1.6 / std::sqrt(double(S)));
  // The same seed and row give the same draws; another row other draws.
  EXPECT_EQ(mdn::sample_mixtures(m, 5, mdn::SampleOptions{}, 3), mdn::sample_mixtures(m, 5, mdn::SampleOptions{}, 3));
  EXPECT_NE(mdn::sample_mixtures(m, 5, mdn::SampleOptions{}, 3), mdn::sample_mixtures(m, 5, mdn::SampleOptions{}, 4));
}

TEST(Recalibrated, NllIsMinusLogOfTheCdfSlope) {
  const MixtureBatch m = recalibrated_mixture();
  for (double y : {-1.3, 0.2, 0.9, 3.0}) {
    const double h = 1e-6;
    const double slope = (mdn::mixture_pit(m, 0, 0, y + h) - mdn::mixture_pit(m, 0, 0, y - h)) / (2 * h);
    EXPECT_NEAR(mdn::mixture_nll(m, 0, &y), -std::log(slope), 1e-6) << y;
  }
}

TEST(Recalibrated, HighestDensityRegionHoldsItsMassAboveItsThreshold) {
  const MixtureBatch m = recalibrated_mixture();
  for (double c : {0.5, 0.9}) {
    const mdn::DensityRegion r = mdn::highest_density_region(m, 0, 0, c);
    double mass = 0.0;
    for (const auto& iv : r.intervals) mass += mdn::mixture_pit(m, 0, 0, iv.hi) - mdn::mixture_pit(m, 0, 0, iv.lo);
    EXPECT_NEAR(mass, c, 1e-8);
    // Inside: density >= threshold; outside: <= (points off the ends).
    for (double y = -6.0; y < 8.0; y += 0.013) {
      bool inside = false, near_end = false;
      for (const auto& iv : r.intervals) {
        inside = inside || (y > iv.lo && y < iv.hi);
        near_end = near_end || std::fabs(y - iv.lo) < 1e-6 || std::fabs(y - iv.hi) < 1e-6;
      }
      if (near_end) continue;
      if (inside)
        EXPECT_GE(density(m, y), r.threshold * (1 - 1e-9)) << y;
      else
        EXPECT_LE(density(m, y), r.threshold * (1 + 1e-9)) << y;
    }
  }
}

TEST(Recalibrated, ModesAreLocalMaximaOfTheDensity) {
  const MixtureBatch m = recalibrated_mixture();
  const std::vector<mdn::Mode> modes = mdn::mixture_modes(m, 0);
  ASSERT_FALSE(modes.empty());
  for (const mdn::Mode& mode : modes) {
    const double y = mode.location[0];
    // The reported density is the density there (or its limit from the higher side at a jump).
    const double around = std::max(density(m, y - 1e-9), density(m, y + 1e-9));
    EXPECT_NEAR(mode.density, around, 1e-6 * around);
    for (double step : {1e-4, 1e-2}) {
      EXPECT_LE(density(m, y - step), mode.density * (1 + 1e-9)) << y;
      EXPECT_LE(density(m, y + step), mode.density * (1 + 1e-9)) << y;
    }
  }
  for (std::size_t i = 1; i < modes.size(); ++i) EXPECT_GE(modes[i - 1].density, modes[i].density);
}

TEST(Recalibrated, SeveralTargetsAreRefused) {
  MixtureBatch m;
  m.rows = 1, m.K = 1, m.T = 2;
  m.alpha = {1.0};
  m.mu = {0.0, 0.0};
  m.sigma = {1.0, 1.0};
  mdn::MatrixD t(1, 2);
  EXPECT_THROW(mdn::fit_pit_maps(m, t), mdn::Error);
  PitMap g;
  g.knots = {0.0, 0.3, 1.0};
  m.pit_maps = {g, g};
  const double y[2] = {0.0, 0.0};
  EXPECT_THROW(mdn::mixture_nll(m, 0, y), mdn::Error);
}

}  // namespace
