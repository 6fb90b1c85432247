// A MixtureBatch through target transforms (mdn/target_transform.hpp), with
// and without a PIT map on top: every output against an independent
// reference in the ORIGINAL units y — the density written out here
// (sum_k alpha_k N(g(y); mu_k, sigma_k) g'(y), g' by central differences of
// g), Simpson quadrature of it, and draws against the quantile function.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "mdn/metrics.hpp"
#include "mdn/pit_map.hpp"
#include "mdn/predictive.hpp"
#include "mdn/sampling.hpp"
#include "numeric_integration.hpp"

namespace {

using mdn::MixtureBatch;
using mdn::TargetTransform;
using mdn::TargetTransformKind;

struct Case {
  const char* name;
  TargetTransform g;
  bool map;
  double lo, hi;  // y range holding all but ~1e-12 of the mass
};

std::vector<Case> cases() {
  return {{"log", {TargetTransformKind::Log, 1.0}, false, 1e-9, 60.0},
          {"yeo-johnson 0.4", {TargetTransformKind::YeoJohnson, 0.4}, false, -12.0, 300.0},
          {"yeo-johnson 1.7", {TargetTransformKind::YeoJohnson, 1.7}, false, -40.0, 12.0},
          {"log + PIT map", {TargetTransformKind::Log, 1.0}, true, 1e-9, 60.0}};
}

// Two components in u = g(y), one sharper than the other.
MixtureBatch mixture(const Case& c) {
  MixtureBatch m;
  m.rows = 1, m.K = 2, m.T = 1;
  m.alpha = {0.35, 0.65};
  m.mu = {0.1, 1.4};
  m.sigma = {0.5, 0.25};
  m.transforms = {c.g};
  if (c.map) m.pit_maps = {mdn::PitMap{{0.0, 0.12, 0.25, 0.5, 0.75, 0.86, 1.0}}};
  return m;
}

// The reference density without a map: written out, not through the library.
double plain_density(const Case& c, double y) {
  if (!c.g.in_domain(y)) return 0.0;
  const double h = 1e-6 * std::fmax(1.0, std::fabs(y)), u = c.g.forward(y);
  const double slope = (c.g.forward(y + h) - c.g.forward(y - h)) / (2 * h);
  const double a[2] = {0.35, 0.65}, mu[2] = {0.1, 1.4}, s[2] = {0.5, 0.25};
  double p = 0.0;
  for (int k = 0; k < 2; ++k) p += a[k] * std::exp(-0.5 * std::pow((u - mu[k]) / s[k], 2)) / (s[k] * std::sqrt(2 * M_PI));
  return p * slope;
}

// The library's density (from its NLL): with a map it has no written-out twin,
// but integrating it to its own CDF checks it.
double density(const MixtureBatch& m, double y) { return std::exp(-mdn::mixture_nll(m, 0, &y)); }

// With a map the density jumps at the band edges y_j = Q(j / M) of the
// map-less distribution: Simpson on each piece between them (a hair inside).
template <class H>
double integral(const Case& c, H h, double a, double b) {
  std::vector<double> cuts{a, b};
  // Log: finer near 0, where the density rises steeply.
  if (c.g.kind == TargetTransformKind::Log && a < 1.0 && b > 1.0) cuts.push_back(1.0);
  if (c.map) {
    MixtureBatch plain = mixture(c);
    plain.pit_maps.clear();
    for (int j = 1; j < 6; ++j) {
      const double q = mdn::marginal_quantile(plain, 0, 0, j / 6.0);
      if (q > a && q < b) cuts.push_back(q);
    }
  }
  std::sort(cuts.begin(), cuts.end());
  double total = 0.0;
  for (std::size_t i = 0; i + 1 < cuts.size(); ++i) {
    const double eps = c.map ? 1e-10 * (1 + std::fabs(cuts[i])) : 0.0;
    total += mdn::test::simpson(h, cuts[i] + eps, cuts[i + 1] - eps, 100000);
  }
  return total;
}

TEST(TransformedMixture, DensityMatchesTheWrittenOutOneAndIntegratesToOne) {
  for (const Case& c : cases()) {
    const MixtureBatch m = mixture(c);
    if (!c.map) {
      for (double y : {0.3, 1.0, 2.5, 4.0, 7.0})
        EXPECT_NEAR(density(m, y), plain_density(c, y), 1e-7 * (1 + plain_density(c, y))) << c.name << " y " << y;
    }
    EXPECT_NEAR(integral(c, [&](double y) { return density(m, y); }, c.lo, c.hi), 1.0, 2e-6) << c.name;
  }
}

TEST(TransformedMixture, CdfIsTheIntegralOfTheDensity) {
  for (const Case& c : cases()) {
    const MixtureBatch m = mixture(c);
    for (double y : {0.5, 1.3, 3.0, 6.0}) {
      const double F = integral(c, [&](double v) { return density(m, v); }, c.lo, y);
      EXPECT_NEAR(mdn::mixture_pit(m, 0, 0, y), F, 2e-6) << c.name << " y " << y;
    }
  }
  // Below a log's domain: no mass, density 0.
  const MixtureBatch m = mixture(cases()[0]);
  EXPECT_EQ(mdn::mixture_pit(m, 0, 0, -1.0), 0.0);
  EXPECT_EQ(density(m, -1.0), 0.0);
}

TEST(TransformedMixture, QuantilesInvertTheCdfAndDrawsFollowThem) {
  const std::vector<double> levels{0.02, 0.1, 0.3, 0.5, 0.7, 0.9, 0.98};
  for (const Case& c : cases()) {
    const MixtureBatch m = mixture(c);
    const std::vector<double> q = mdn::predictive_quantiles(m, levels);
    for (std::size_t i = 0; i < levels.size(); ++i) {
      EXPECT_NEAR(mdn::mixture_pit(m, 0, 0, q[i]), levels[i], 1e-9) << c.name;
      EXPECT_NEAR(mdn::marginal_quantile(m, 0, 0, levels[i]), q[i], 1e-9 * (1 + std::fabs(q[i]))) << c.name;
    }
    mdn::SampleOptions options;
    options.seed = 11;
    const int S = 40000;
    const std::vector<double> draws = mdn::sample_mixtures(m, S, options);
    for (std::size_t i = 0; i < levels.size(); ++i) {
      const double below = double(std::count_if(draws.begin(), draws.end(), [&](double v) { return v <= q[i]; })) / S;
      // 4.5 standard errors of a binomial proportion.
      EXPECT_NEAR(below, levels[i], 4.5 * std::sqrt(levels[i] * (1 - levels[i]) / S)) << c.name << " level " << levels[i];
    }
  }
}

TEST(TransformedMixture, MomentsMatchQuadrature) {
  for (const Case& c : cases()) {
    const MixtureBatch m = mixture(c);
    const mdn::PredictiveMoments mo = mdn::predictive_moments(m);
    const double mean = integral(c, [&](double y) { return y * density(m, y); }, c.lo, c.hi);
    const double var = integral(c, [&](double y) { return (y - mean) * (y - mean) * density(m, y); }, c.lo, c.hi);
    EXPECT_NEAR(mo.mean[0], mean, 1e-5 * (1 + std::fabs(mean))) << c.name;
    EXPECT_NEAR(mo.stddev[0], std::sqrt(var), 1e-5 * (1 + std::sqrt(var))) << c.name;
  }
}

TEST(TransformedMixture, CrpsMatchesQuadrature) {
  for (const Case& c : cases()) {
    const MixtureBatch m = mixture(c);
    for (double y : {-0.5, 0.7, 2.0, 4.5, 9.0}) {
      const auto F = [&](double x) { return mdn::mixture_pit(m, 0, 0, x); };
      // Below c.lo the CDF is 0, above c.hi 1: only the stretch between y and
      // the range counts there.
      double reference = integral(c, [&](double x) { const double s = x >= y ? 1.0 : 0.0; return (F(x) - s) * (F(x) - s); },
                                  std::max(c.lo, std::min(y, c.hi)), c.hi) +
                         (y < c.lo ? c.lo - y : 0.0);
      if (y > c.lo) reference += integral(c, [&](double x) { return F(x) * F(x); }, c.lo, std::min(y, c.hi));
      EXPECT_NEAR(mdn::mixture_crps(m, 0, 0, y), reference, 2e-5 * (1 + reference)) << c.name << " y " << y;
    }
  }
}

TEST(TransformedMixture, ModesAreMaximaOfTheOriginalUnitsDensity) {
  for (const Case& c : cases()) {
    const MixtureBatch m = mixture(c);
    const std::vector<mdn::Mode> modes = mdn::mixture_modes(m, 0);
    ASSERT_FALSE(modes.empty()) << c.name;
    for (const mdn::Mode& mode : modes) {
      const double y = mode.location[0], h = 1e-4 * (1 + std::fabs(y));
      EXPECT_NEAR(mode.density, density(m, y), 1e-9 * mode.density) << c.name;
      EXPECT_GE(mode.density, density(m, y - h) * (1 - 1e-9)) << c.name;
      EXPECT_GE(mode.density, density(m, y + h) * (1 - 1e-9)) << c.name;
    }
    // The first is the global maximum (a fine scan finds nothing higher).
    double best = 0.0;
    for (int i = 0; i <= 200000; ++i) best = std::max(best, density(m, c.lo + (c.hi - c.lo) * i / 200000.0));
    EXPECT_GE(modes[0].density, best * (1 - 1e-6)) << c.name;
  }
  // Not g^-1 of the modes of u: for a log transform of one wide component
  // the density of y peaks at exp(mu - sigma^2), not exp(mu).
  MixtureBatch one;
  one.rows = 1, one.K = 1, one.T = 1;
  one.alpha = {1.0}, one.mu = {1.0}, one.sigma = {0.8};
  one.transforms = {{TargetTransformKind::Log, 1.0}};
  EXPECT_NEAR(mdn::mixture_modes(one, 0)[0].location[0], std::exp(1.0 - 0.64), 1e-7);
}

TEST(TransformedMixture, HighestDensityRegionHoldsItsCoverage) {
  for (const Case& c : cases()) {
    const MixtureBatch m = mixture(c);
    for (double coverage : {0.5, 0.9}) {
      const mdn::DensityRegion r = mdn::highest_density_region(m, 0, 0, coverage);
      double mass = 0.0;
      for (const auto& iv : r.intervals) {
        mass += integral(c, [&](double y) { return density(m, y); }, iv.lo, iv.hi);
        // The density at an interval's ends is the threshold (with a map an
        // end may sit on a jump instead, as in the recalibrated HDR).
        if (c.map) continue;
        EXPECT_NEAR(density(m, iv.lo), r.threshold, 1e-6 * r.threshold + 1e-9) << c.name;
        EXPECT_NEAR(density(m, iv.hi), r.threshold, 1e-6 * r.threshold + 1e-9) << c.name;
      }
      EXPECT_NEAR(mass, r.mass, 1e-5) << c.name << " coverage " << coverage;
      // With a map, more pieces than K are joined over their narrowest gaps,
      // which adds a little mass (src/math/predictive_hdr.cpp does the same).
      if (c.map)
        EXPECT_TRUE(r.mass >= coverage - 1e-6 && r.mass < coverage + 0.03) << c.name << " " << r.mass;
      else
        EXPECT_NEAR(r.mass, coverage, 1e-6) << c.name;
    }
  }
}

// Eight components crowded together, one of them much narrower, at a large
// offset in y (Yeo-Johnson 0.4, where the moments and the CRPS are numeric
// integrals over breakpoints that the crowd would multiply): the mean, the
// std and the CRPS still match Simpson quadrature in y, written out here.
TEST(TransformedMixture, CrowdedComponentsKeepMomentsAndCrpsExact) {
  const TargetTransform g{TargetTransformKind::YeoJohnson, 0.4};
  MixtureBatch m;
  m.rows = 1, m.K = 8, m.T = 1;
  m.alpha = {0.05, 0.1, 0.2, 0.15, 0.1, 0.2, 0.1, 0.1};
  m.mu = {40.0, 40.03, 40.05, 40.1, 40.12, 40.2, 40.21, 40.4};
  m.sigma = {0.2, 0.21, 0.25, 0.3, 0.01, 0.22, 0.35, 0.5};
  m.transforms = {g};
  const auto pdf = [&](double y) {
    const double h = 1e-6 * std::fabs(y), u = g.forward(y), slope = (g.forward(y + h) - g.forward(y - h)) / (2 * h);
    double p = 0.0;
    for (int k = 0; k < m.K; ++k)
      p += m.alpha[k] * std::exp(-0.5 * std::pow((u - m.mu[k]) / m.sigma[k], 2)) / (m.sigma[k] * std::sqrt(2 * M_PI));
    return p * slope;
  };
  const double lo = g.inverse(34.0), hi = g.inverse(47.0);  // the mixture's mass: 13 of the widest sigmas either side
  const int n = 400000;
  const double mean = mdn::test::simpson([&](double y) { return y * pdf(y); }, lo, hi, n);
  const double var = mdn::test::simpson([&](double y) { return (y - mean) * (y - mean) * pdf(y); }, lo, hi, n);
  const mdn::PredictiveMoments mo = mdn::predictive_moments(m);
  EXPECT_NEAR(mo.mean[0], mean, 1e-9 * mean);
  EXPECT_NEAR(mo.stddev[0], std::sqrt(var), 1e-6 * std::sqrt(var));
  for (double v : {39.5, 40.1, 40.6}) {
    const double y = g.inverse(v);
    const auto F = [&](double x) { return mdn::mixture_pit(m, 0, 0, x); };
    const double reference = mdn::test::simpson([&](double x) { return F(x) * F(x); }, lo, y, n / 4) +
                             mdn::test::simpson([&](double x) { return (1 - F(x)) * (1 - F(x)); }, y, hi, n / 4);
    EXPECT_NEAR(mdn::mixture_crps(m, 0, 0, y), reference, 1e-6 * reference) << "y " << y;
  }
}

}  // namespace
