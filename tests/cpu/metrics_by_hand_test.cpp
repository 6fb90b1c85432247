// evaluate()'s per-target summaries and the calibration NLL on inputs whose
// answers are worked out by hand: PIT values placed on both sides of the
// calibration levels (so a signed gap would cancel where |gap| does not),
// interval coverage and width, the PIT histogram, and shifted_nll against
// the DESIGN.md formula written out for one- and two-component heads.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "cpu/mixture_builders.hpp"
#include "mdn/calibration.hpp"
#include "mdn/metrics.hpp"

namespace mdn {
namespace {

// Four rows of N(0, 1) with targets at the 0.1, 0.2, 0.8 and 0.9 quantiles:
// their PIT values are exactly those levels.
struct KnownPits {
  MixtureBatch mix;
  MatrixD t{4, 1};
  KnownPits() {
    mix.rows = 4;
    mix.K = 1;
    mix.T = 1;
    const double levels[] = {0.1, 0.2, 0.8, 0.9};
    for (int r = 0; r < 4; ++r) {
      mix.alpha.push_back(1.0);
      mix.mu.push_back(0.0);
      mix.sigma.push_back(1.0);
      t(r, 0) = testing::reference_inverse_normal(levels[r]);
    }
  }
};

TEST(MetricsByHand, CalibrationGapsAreAbsoluteCoverageAndHistogramCount) {
  const KnownPits data;
  EvalOptions o;
  o.calibration_levels = {0.25, 0.5, 0.75};
  o.interval_levels = {0.5, 0.9};
  o.pit_bins = 4;
  const Evaluation e = evaluate(data.mix, data.t, o);
  ASSERT_EQ(e.metrics.targets.size(), 1u);
  const TargetMetrics& m = e.metrics.targets[0];
  const double pits[] = {0.1, 0.2, 0.8, 0.9};
  for (int r = 0; r < 4; ++r) EXPECT_NEAR(e.rows.pit(r, 0), pits[r], 1e-12);

  // PIT <= 0.25: 2 of 4 (gap +0.25); <= 0.5: 2 of 4 (gap 0); <= 0.75: 2 of 4
  // (gap -0.25). Mean |gap| 1/6, largest 0.25 (signed, they would cancel to 0).
  ASSERT_EQ(m.calibration_observed.size(), 3u);
  for (double observed : m.calibration_observed) EXPECT_DOUBLE_EQ(observed, 0.5);
  EXPECT_DOUBLE_EQ(m.calibration_error_mean, 0.5 / 3.0);
  EXPECT_DOUBLE_EQ(m.calibration_error_max, 0.25);

  // The central 50 % interval [0.25, 0.75] in PIT holds none of the rows, the
  // 90 % one [0.05, 0.95] all four; their widths are 2 Phi^-1(0.75) and
  // 2 Phi^-1(0.95) of a unit normal.
  ASSERT_EQ(m.intervals.size(), 2u);
  EXPECT_EQ(m.intervals[0].coverage, 0.0);
  EXPECT_EQ(m.intervals[1].coverage, 1.0);
  EXPECT_NEAR(m.intervals[0].mean_width, 2.0 * 0.6744897501960817, 1e-9);
  EXPECT_NEAR(m.intervals[1].mean_width, 2.0 * 1.6448536269514722, 1e-9);

  // Four bins of width 1/4: counts 2, 0, 0, 2; density count * bins / rows.
  ASSERT_EQ(m.pit_density.size(), 4u);
  const double want[] = {2.0, 0.0, 0.0, 2.0};
  for (int b = 0; b < 4; ++b) EXPECT_DOUBLE_EQ(m.pit_density[b], want[b]) << "bin " << b;
}

// Mean NLL of head outputs by DESIGN.md's formulas, written out in double.
double design_nll(int K, const std::vector<std::vector<double>>& z, const std::vector<double>& t, double shift) {
  const double pi = 3.14159265358979323846;
  double total = 0.0;
  for (std::size_t r = 0; r < z.size(); ++r) {
    double weight_norm = 0.0;
    for (int k = 0; k < K; ++k) weight_norm += std::exp(z[r][k]);
    double p = 0.0;
    for (int k = 0; k < K; ++k) {
      const double sigma = std::exp(z[r][K + k] + shift), mean = z[r][2 * K + k];
      const double u = (t[r] - mean) / sigma;
      p += std::exp(z[r][k]) / weight_norm * std::exp(-0.5 * u * u) / (sigma * std::sqrt(2.0 * pi));
    }
    total += -std::log(p);
  }
  return total / double(z.size());
}

TEST(MetricsByHand, CalibrationNllIsTheMixtureNllOfTheShiftedSigmas) {
  for (const int K : {1, 2}) {
    ModelSpec spec;
    spec.input_dim = 1;
    spec.target_dim = 1;
    spec.components = K;
    // Rows of [logits | log sigmas | means].
    const std::vector<std::vector<double>> rows =
        K == 1 ? std::vector<std::vector<double>>{{0.0, -0.5, 1.0}, {0.0, 0.3, -2.0}, {0.0, 0.0, 0.0}}
               : std::vector<std::vector<double>>{{0.2, -0.4, -0.5, 0.1, 1.0, -1.0}, {1.5, 0.0, 0.3, -0.2, -2.0, 2.5}};
    const std::vector<double> t = {0.7, -1.1, 0.4};
    Matrix z(int(rows.size()), spec.head_width());
    Matrix tm(int(rows.size()), 1);
    for (std::size_t r = 0; r < rows.size(); ++r) {
      for (int c = 0; c < spec.head_width(); ++c) z(int(r), c) = float(rows[r][std::size_t(c)]);
      tm(int(r), 0) = float(t[r]);
    }
    std::vector<std::vector<double>> exact = rows;  // the float values the library sees
    std::vector<double> t_exact(rows.size());
    for (std::size_t r = 0; r < rows.size(); ++r) {
      for (int c = 0; c < spec.head_width(); ++c) exact[r][std::size_t(c)] = z(int(r), c);
      t_exact[r] = tm(int(r), 0);
    }
    EXPECT_NEAR(shifted_nll(spec, z, tm, {}), design_nll(K, exact, t_exact, 0.0), 1e-12) << "K " << K;
    EXPECT_NEAR(shifted_nll(spec, z, tm, {0.5f}), design_nll(K, exact, t_exact, 0.5), 1e-12) << "K " << K;
    EXPECT_NEAR(shifted_nll(spec, z, tm, {-0.25f}), design_nll(K, exact, t_exact, -0.25), 1e-12) << "K " << K;
  }
}

}  // namespace
}  // namespace mdn
