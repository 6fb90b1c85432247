// Joint modes of multi-target mixtures, diagonal and full covariance
// (mixture_modes, issue 30): against the local maxima of a brute-force grid
// of an independently written density (dense covariance, Gauss-Jordan
// inverse: full_cov_reference.hpp) in 2-D, well-separated components in
// 3-D, a rotated diagonal mixture, and the diagonal path itself.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "full_cov_reference.hpp"
#include "mixture_builders.hpp"
#include "mdn/error.hpp"
#include "mdn/predictive.hpp"

namespace {

using mdn::Mode;
using mdn::MixtureBatch;
using mdn::test::Dense;

// Row r of a batch as a plain mixture: weights, means and dense covariances.
struct Reference {
  int K = 0, T = 0;
  std::vector<double> alpha;
  std::vector<std::vector<double>> mean;
  std::vector<Dense> inv;
  std::vector<double> log_norm;  // log alpha - 1/2 log det Sigma - T/2 log 2pi

  Reference(const MixtureBatch& mix, int r) : K(mix.K), T(mix.T) {
    for (int k = 0; k < K; ++k) {
      Dense S(std::size_t(T) * T, 0.0);
      for (int i = 0; i < T; ++i)
        for (int j = 0; j < T; ++j) {
          if (!mix.full_covariance()) {
            S[i * T + j] = i == j ? mix.stddev(r, k, i) * mix.stddev(r, k, i) : 0.0;
            continue;
          }
          const double* A = mix.factor(r, k);
          for (int l = 0; l <= std::min(i, j); ++l) S[i * T + j] += A[i * (i + 1) / 2 + l] * A[j * (j + 1) / 2 + l];
        }
      std::vector<double> m(T);
      for (int d = 0; d < T; ++d) m[d] = mix.mean(r, k, d);
      mean.push_back(m);
      inv.push_back(mdn::test::inverse(S, T));
      log_norm.push_back(std::log(mix.weight(r, k)) - 0.5 * mdn::test::log_abs_det(S, T) -
                         0.5 * T * std::log(2.0 * M_PI));
    }
  }
  double pdf(const double* y) const {
    double p = 0.0;
    for (int k = 0; k < K; ++k) {
      double q = 0.0;
      for (int i = 0; i < T; ++i)
        for (int j = 0; j < T; ++j) q += (y[i] - mean[k][i]) * inv[k][i * T + j] * (y[j] - mean[k][j]);
      p += std::exp(log_norm[k] - 0.5 * q);
    }
    return p;
  }
};

MixtureBatch row_of(const MixtureBatch& b, int r) {
  MixtureBatch m;
  m.rows = 1, m.K = b.K, m.T = b.T;
  const std::size_t kt = std::size_t(b.K) * b.T, kc = std::size_t(b.K) * b.chol_size();
  m.alpha.assign(b.alpha.begin() + r * b.K, b.alpha.begin() + (r + 1) * b.K);
  m.mu.assign(b.mu.begin() + r * kt, b.mu.begin() + (r + 1) * kt);
  m.sigma.assign(b.sigma.begin() + r * kt, b.sigma.begin() + (r + 1) * kt);
  if (b.full_covariance()) m.chol.assign(b.chol.begin() + r * kc, b.chol.begin() + (r + 1) * kc);
  return m;
}

// A mode is a stationary point and a local maximum of the reference density,
// whose value it reports.
void expect_maximum(const Reference& ref, const Mode& mode, double scale) {
  const int T = ref.T;
  const double p0 = ref.pdf(mode.location.data());
  EXPECT_NEAR(mode.density, p0, 1e-9 * p0);
  const double h = 1e-4 * scale;
  for (int i = 0; i < T; ++i) {
    std::vector<double> up = mode.location, down = mode.location;
    up[i] += h;
    down[i] -= h;
    const double pu = ref.pdf(up.data()), pd = ref.pdf(down.data());
    EXPECT_LT(std::fabs(pu - pd) / (2 * h), 1e-6 * p0 / scale) << "gradient, dim " << i;
    EXPECT_LE(pu, p0 * (1 + 1e-12)) << "dim " << i;
    EXPECT_LE(pd, p0 * (1 + 1e-12)) << "dim " << i;
    for (int j = 0; j < i; ++j)  // diagonal directions, for the full Hessian
      for (double sj : {-1.0, 1.0}) {
        std::vector<double> y = mode.location;
        y[i] += h, y[j] += sj * h;
        EXPECT_LE(ref.pdf(y.data()), p0 * (1 + 1e-12)) << "dims " << i << "," << j;
      }
  }
}

// Climbs the reference density from y by compass search (the 8 axis and
// diagonal directions; the step doubles after a move and halves when no
// direction rises) until the step is below 1e-10: derivative-free, so
// independent of the library's fixed point and Newton steps.
std::vector<double> compass_climb(const Reference& ref, std::vector<double> y, double step) {
  static const double dirs[8][2] = {{1, 0}, {-1, 0}, {0, 1}, {0, -1}, {1, 1}, {1, -1}, {-1, 1}, {-1, -1}};
  double p = ref.pdf(y.data());
  for (int it = 0; it < 2000000 && step > 1e-10; ++it) {
    int best = -1;
    double best_p = p;
    for (int d = 0; d < 8; ++d) {
      const double z[2] = {y[0] + step * dirs[d][0], y[1] + step * dirs[d][1]};
      const double q = ref.pdf(z);
      if (q > best_p) best = d, best_p = q;
    }
    if (best < 0) {
      step *= 0.5;
      continue;
    }
    y[0] += step * dirs[best][0], y[1] += step * dirs[best][1];
    p = best_p;
    step *= 2.0;
  }
  return y;
}

// The local maxima of p: the strict maxima of a grid of step h over
// [-L, L]^2, each climbed to convergence (a narrow ridge across the grid
// shows one maximum as several grid points), merged within 1e-4.
std::vector<std::vector<double>> grid_maxima_2d(const Reference& ref, double L, double h) {
  const int n = int(std::lround(2 * L / h)) + 1;
  std::vector<double> p(std::size_t(n) * n);
  double top = 0.0;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      const double y[2] = {-L + i * h, -L + j * h};
      top = std::max(top, p[std::size_t(i) * n + j] = ref.pdf(y));
    }
  std::vector<std::vector<double>> out;
  for (int i = 1; i + 1 < n; ++i)
    for (int j = 1; j + 1 < n; ++j) {
      const double c = p[std::size_t(i) * n + j];
      if (!(c > 1e-8 * top)) continue;
      bool strict = true;
      for (int di = -1; di <= 1; ++di)
        for (int dj = -1; dj <= 1; ++dj)
          if ((di != 0 || dj != 0) && !(c > p[std::size_t(i + di) * n + j + dj])) strict = false;
      if (!strict) continue;
      const std::vector<double> y = compass_climb(ref, {-L + i * h, -L + j * h}, h);
      bool seen = false;
      for (const auto& q : out) seen |= std::fabs(y[0] - q[0]) <= 1e-4 && std::fabs(y[1] - q[1]) <= 1e-4;
      if (!seen) out.push_back(y);
    }
  return out;
}

void expect_grid_modes_2d(const MixtureBatch& batch) {
  int multimodal = 0;
  for (int r = 0; r < batch.rows; ++r) {
    const MixtureBatch m = row_of(batch, r);
    const Reference ref(m, 0);
    const double h = 0.02;
    const std::vector<std::vector<double>> grid = grid_maxima_2d(ref, 7.0, h);
    const std::vector<Mode> modes = mdn::mixture_modes(m, 0);
    ASSERT_EQ(modes.size(), grid.size()) << "row " << r;
    multimodal += modes.size() > 1;
    for (const auto& g : grid) {
      bool matched = false;
      for (const auto& mode : modes)
        matched |= std::fabs(mode.location[0] - g[0]) <= 1e-5 && std::fabs(mode.location[1] - g[1]) <= 1e-5;
      EXPECT_TRUE(matched) << "row " << r << ": grid mode at (" << g[0] << ", " << g[1] << ") not found";
    }
    for (std::size_t i = 1; i < modes.size(); ++i) EXPECT_GE(modes[i - 1].density, modes[i].density);
    for (const auto& mode : modes) expect_maximum(ref, mode, 0.3);
  }
  EXPECT_GE(multimodal, batch.rows / 4) << "the test needs rows with several modes";
}

TEST(JointModes, DiagonalMatchBruteForceGridIn2D) {
  std::mt19937_64 rng(11);
  expect_grid_modes_2d(mdn::testing::random_mixtures(rng, 24, 4, 2, 2.5, 0.4, 1.2));
}

TEST(JointModes, FullMatchBruteForceGridIn2D) {
  std::mt19937_64 rng(12);
  expect_grid_modes_2d(mdn::testing::random_full_mixtures(rng, 24, 4, 2, 2.5, 0.4, 1.0, 1.5));
}

TEST(JointModes, WellSeparatedFullComponentsIn3D) {
  // Means 20 apart on the corners of a cube, sigmas <= 1 with strong
  // correlations: each mean is a mode (the others' pull is below e^-30),
  // with density alpha_k N(0 | 0, Sigma_k), ranked by it.
  std::mt19937_64 rng(13);
  MixtureBatch m = mdn::testing::random_full_mixtures(rng, 1, 4, 3, 1.0, 0.3, 1.0, 0.8);
  const double corners[4][3] = {{0, 0, 0}, {20, 0, 0}, {0, 20, 0}, {0, 0, 20}};
  for (int k = 0; k < 4; ++k)
    for (int d = 0; d < 3; ++d) m.mu[k * 3 + d] = corners[k][d];
  const Reference ref(m, 0);
  const std::vector<Mode> modes = mdn::mixture_modes(m, 0);
  ASSERT_EQ(modes.size(), 4u);
  std::vector<bool> seen(4, false);
  for (std::size_t i = 0; i < modes.size(); ++i) {
    int k = 0;
    for (int j = 1; j < 4; ++j)
      if (std::fabs(modes[i].location[0] - corners[j][0]) + std::fabs(modes[i].location[1] - corners[j][1]) +
              std::fabs(modes[i].location[2] - corners[j][2]) <
          1.0)
        k = j;
    EXPECT_FALSE(seen[k]) << "component " << k << " twice";
    seen[k] = true;
    for (int d = 0; d < 3; ++d) EXPECT_NEAR(modes[i].location[d], corners[k][d], 1e-9);
    EXPECT_NEAR(modes[i].density, std::exp(ref.log_norm[k]), 1e-9 * std::exp(ref.log_norm[k]));
    if (i > 0) {
      EXPECT_GE(modes[i - 1].density, modes[i].density);
    }
    expect_maximum(ref, modes[i], 0.3);
  }
}

TEST(JointModes, FullIn3DAgainstTheReferenceDensity) {
  // Overlapping random full mixtures in 3-D: every mode is a maximum of the
  // reference density, none is reported twice.
  std::mt19937_64 rng(14);
  const MixtureBatch batch = mdn::testing::random_full_mixtures(rng, 20, 4, 3, 2.0, 0.4, 1.0, 1.2);
  for (int r = 0; r < batch.rows; ++r) {
    const MixtureBatch m = row_of(batch, r);
    const Reference ref(m, 0);
    const std::vector<Mode> modes = mdn::mixture_modes(m, 0);
    ASSERT_GE(modes.size(), 1u) << "row " << r;
    for (const auto& mode : modes) expect_maximum(ref, mode, 0.3);
    for (std::size_t i = 0; i < modes.size(); ++i)
      for (std::size_t j = 0; j < i; ++j) {
        double distance = 0.0;
        for (int d = 0; d < 3; ++d) distance = std::max(distance, std::fabs(modes[i].location[d] - modes[j].location[d]));
        EXPECT_GT(distance, 1e-3) << "row " << r << ": modes " << j << " and " << i << " coincide";
      }
  }
}

TEST(JointModes, RotatedDiagonalMixtureHasRotatedModes) {
  // A 2-D diagonal mixture turned by theta is a full-covariance one (Sigma' =
  // R Sigma R^T, A' its Cholesky factor): its modes are R times the diagonal
  // path's, with the same densities (det R = 1).
  std::mt19937_64 rng(15);
  const MixtureBatch diag = mdn::testing::random_mixtures(rng, 30, 3, 2, 2.0, 0.4, 1.2);
  const double th = 0.7, c = std::cos(th), s = std::sin(th);
  MixtureBatch full = diag;
  for (int r = 0; r < diag.rows; ++r)
    for (int k = 0; k < diag.K; ++k) {
      const double x = diag.mean(r, k, 0), y = diag.mean(r, k, 1);
      const double a = diag.stddev(r, k, 0), b = diag.stddev(r, k, 1);
      full.mu[(std::size_t(r) * 3 + k) * 2] = c * x - s * y;
      full.mu[(std::size_t(r) * 3 + k) * 2 + 1] = s * x + c * y;
      const double s00 = c * c * a * a + s * s * b * b, s01 = c * s * (a * a - b * b), s11 = s * s * a * a + c * c * b * b;
      const double l00 = std::sqrt(s00), l10 = s01 / l00, l11 = std::sqrt(s11 - l10 * l10);
      full.chol.insert(full.chol.end(), {l00, l10, l11});
      full.sigma[(std::size_t(r) * 3 + k) * 2] = std::sqrt(s00);
      full.sigma[(std::size_t(r) * 3 + k) * 2 + 1] = std::sqrt(s11);
    }
  for (int r = 0; r < diag.rows; ++r) {
    const std::vector<Mode> want = mdn::mixture_modes(diag, r), got = mdn::mixture_modes(full, r);
    ASSERT_EQ(got.size(), want.size()) << "row " << r;
    for (std::size_t i = 0; i < got.size(); ++i) {
      const double x = want[i].location[0], y = want[i].location[1];
      EXPECT_NEAR(got[i].location[0], c * x - s * y, 1e-7) << "row " << r << " mode " << i;
      EXPECT_NEAR(got[i].location[1], s * x + c * y, 1e-7) << "row " << r << " mode " << i;
      EXPECT_NEAR(got[i].density, want[i].density, 1e-9 * want[i].density) << "row " << r << " mode " << i;
    }
  }
}

TEST(JointModes, DiagonalFactorsGiveTheDiagonalModes) {
  std::mt19937_64 rng(16);
  const MixtureBatch diag = mdn::testing::random_mixtures(rng, 20, 4, 3, 2.0, 0.3, 1.2);
  MixtureBatch full = diag;
  for (int r = 0; r < diag.rows; ++r)
    for (int k = 0; k < diag.K; ++k)
      for (int i = 0; i < 3; ++i)
        for (int j = 0; j <= i; ++j) full.chol.push_back(i == j ? diag.stddev(r, k, i) : 0.0);
  const auto want = mdn::predictive_modes(diag), got = mdn::predictive_modes(full);
  for (int r = 0; r < diag.rows; ++r) {
    ASSERT_EQ(got[r].size(), want[r].size()) << "row " << r;
    for (std::size_t i = 0; i < got[r].size(); ++i) {
      for (int d = 0; d < 3; ++d) EXPECT_NEAR(got[r][i].location[d], want[r][i].location[d], 1e-12);
      EXPECT_NEAR(got[r][i].density, want[r][i].density, 1e-12 * want[r][i].density);
    }
  }
}

TEST(JointModes, FarFromZeroKeepsTheSpread) {
  // Targets at 1e9 with spreads of 0.05 and a correlation of 0.9: the mode
  // is the mean to a small fraction of the spread.
  MixtureBatch m = mdn::testing::one_row({0.6, 0.4}, {1e9, 2e9, 1e9 + 1.0, 2e9 - 1.0}, {0.05, 0.05, 0.05, 0.05}, 2);
  m.chol = {0.05, 0.045, 0.05 * std::sqrt(1 - 0.81), 0.05, -0.045, 0.05 * std::sqrt(1 - 0.81)};
  const std::vector<Mode> modes = mdn::mixture_modes(m, 0);
  ASSERT_EQ(modes.size(), 2u);
  EXPECT_NEAR(modes[0].location[0], 1e9, 1e-6);
  EXPECT_NEAR(modes[0].location[1], 2e9, 1e-6);
  EXPECT_NEAR(modes[1].location[0], 1e9 + 1.0, 1e-6);
  EXPECT_NEAR(modes[1].location[1], 2e9 - 1.0, 1e-6);
}

TEST(JointModes, SeveralTransformedTargetsAreRefused) {
  MixtureBatch m = mdn::testing::one_row({0.5, 0.5}, {0, 0, 1, 1}, {1, 1, 1, 1}, 2);
  m.transforms.resize(2);
  m.transforms[1].kind = mdn::TargetTransformKind::Log;
  try {
    mdn::mixture_modes(m, 0);
    FAIL() << "joint modes through a target transform were not refused";
  } catch (const mdn::UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("target transform"), std::string::npos) << e.what();
  }
}

}  // namespace
