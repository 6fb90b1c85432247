// Target transforms (mdn/target_transform.hpp, mdn/transform_fit.hpp): the
// transform itself against its inverse and finite differences, the
// Yeo-Johnson fit against a brute-force grid and against numbers from
// scipy.stats.yeojohnson, and the choices of `auto` and `log`.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "mdn/error.hpp"
#include "mdn/target_transform.hpp"
#include "mdn/transform_fit.hpp"

namespace {

using mdn::TargetTransform;
using mdn::TargetTransformKind;
using Mode = mdn::TrainOptions::TargetTransformMode;

std::vector<TargetTransform> transforms() {
  std::vector<TargetTransform> out{{TargetTransformKind::None, 1.0}, {TargetTransformKind::Log, 1.0}};
  for (double l : {0.0, 0.3, 1.0, 1.5, 2.0}) out.push_back({TargetTransformKind::YeoJohnson, l});
  return out;
}

TEST(TargetTransform, InverseUndoesForward) {
  for (const TargetTransform& g : transforms())
    for (double y : {-50.0, -3.0, -0.4, 0.0, 1e-6, 0.25, 1.0, 7.5, 1e3, 1e8}) {
      if (!g.in_domain(y)) continue;
      const double u = g.forward(y);
      EXPECT_NEAR(g.inverse(u), y, 1e-12 * std::fmax(1.0, std::fabs(y))) << mdn::transform_name(g.kind) << " " << g.lambda;
    }
}

TEST(TargetTransform, LogDerivativeMatchesFiniteDifferences) {
  for (const TargetTransform& g : transforms())
    for (double y : {-20.0, -1.3, -0.2, 0.2, 0.9, 4.0, 300.0}) {
      if (!g.in_domain(y)) continue;
      const double h = 1e-6 * std::fmax(1.0, std::fabs(y));
      const double slope = (g.forward(y + h) - g.forward(y - h)) / (2 * h);
      EXPECT_NEAR(g.log_derivative(y), std::log(slope), 1e-6) << mdn::transform_name(g.kind) << " " << g.lambda << " y " << y;
    }
}

TEST(TargetTransform, YeoJohnsonIsIncreasingAndOntoForLambdaInRange) {
  for (double l : {0.0, 0.5, 2.0}) {
    const TargetTransform g{TargetTransformKind::YeoJohnson, l};
    EXPECT_TRUE(std::isfinite(g.inverse(-30.0)));
    EXPECT_TRUE(std::isfinite(g.inverse(30.0)));
    EXPECT_LT(g.inverse(-1.0), g.inverse(1.0));
  }
}

std::vector<double> lognormal(int n, double sigma, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> z(0.0, sigma);
  std::vector<double> y(n);
  for (double& v : y) v = std::exp(z(rng));
  return y;
}

TEST(TargetTransformFit, YeoJohnsonLambdaIsTheGridMaximum) {
  for (double sigma : {0.3, 0.8}) {
    std::vector<double> y = lognormal(2000, sigma, 7);
    for (double& v : y) v = v * 3.0 - 2.0;  // both signs
    const double fitted = mdn::fit_yeo_johnson(y);
    // Brute force: 20,001 values of lambda over [0, 2].
    double best = 0.0, best_score = -1e300;
    for (int i = 0; i <= 20000; ++i) {
      const double l = 2.0 * i / 20000;
      const double s = mdn::gaussian_loglik_per_row({TargetTransformKind::YeoJohnson, l}, y);
      if (s > best_score) best_score = s, best = l;
    }
    EXPECT_NEAR(fitted, best, 2e-4) << "sigma " << sigma;
    EXPECT_GE(mdn::gaussian_loglik_per_row({TargetTransformKind::YeoJohnson, fitted}, y), best_score - 1e-9);
  }
}

// Lambdas from scipy 1.17.1, scipy.stats.yeojohnson(y)[1] (an unbounded
// Brent search of the same likelihood): inside [0, 2] the fits agree; a set
// whose scipy optimum lies below 0 (-0.1537) stops at the bound 0, and its
// mirror image at 2.
TEST(TargetTransformFit, AgreesWithScipy) {
  EXPECT_NEAR(mdn::fit_yeo_johnson({-3.0, -1.0, 0.2, 0.9, 1.4, 2.2, 2.9, 3.3, 4.1, 9.5}), 0.810906861048882, 1e-5);
  EXPECT_NEAR(mdn::fit_yeo_johnson({-1.0, 0.3, 0.8, 1.1, 1.6, 2.4, 3.9, 5.2, 8.8, 12.0}), 0.35089034767084953, 1e-5);
  EXPECT_NEAR(mdn::fit_yeo_johnson({-9.0, -4.0, -2.5, -1.0, 0.0, 0.5, 0.9, 1.2, 1.4, 1.5}), 1.8608141787316643, 1e-5);
  const std::vector<double> y{0.5, 1.2, 2.0, 3.5, 5.0, 8.0, 13.0, 21.0, 40.0, 77.0};
  EXPECT_NEAR(mdn::fit_yeo_johnson(y), 0.0, 1e-6);
  std::vector<double> mirrored;
  for (double v : y) mirrored.push_back(-v);
  EXPECT_NEAR(mdn::fit_yeo_johnson(mirrored), 2.0, 1e-6);
}

TEST(TargetTransformFit, GaussianLoglikMatchesHandComputation) {
  const std::vector<double> y{1.0, 2.0, 4.0};
  // log: u = 0, log 2, log 4; var = (2/3) (log 2)^2; Jacobian mean -(log 2 + log 4)/3 = -log 2.
  const double var = 2.0 / 3.0 * std::log(2.0) * std::log(2.0);
  const double expected = -0.5 * std::log(2 * M_PI * std::exp(1.0) * var) - std::log(2.0);
  EXPECT_NEAR(mdn::gaussian_loglik_per_row({TargetTransformKind::Log, 1.0}, y), expected, 1e-12);
}

TEST(TargetTransformChoice, LogOnNonPositiveNamesColumnAndSmallest) {
  try {
    mdn::choose_target_transform(Mode::Log, {3.0, -0.25, 0.0, 2.0}, "price");
    FAIL() << "no error";
  } catch (const mdn::UsageError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("'price'"), std::string::npos) << m;
    EXPECT_NE(m.find("-0.25"), std::string::npos) << m;
  }
}

TEST(TargetTransformChoice, AutoTransformsSkewedAndLeavesGaussianAlone) {
  const TargetTransform skewed = mdn::choose_target_transform(Mode::Auto, lognormal(3000, 1.0, 3), "y");
  EXPECT_EQ(skewed.kind, TargetTransformKind::Log);
  std::mt19937_64 rng(5);
  std::normal_distribution<double> z(10.0, 2.0);
  std::vector<double> gaussian(3000);
  for (double& v : gaussian) v = z(rng);
  EXPECT_EQ(mdn::choose_target_transform(Mode::Auto, gaussian, "y").kind, TargetTransformKind::None);
  std::vector<double> shifted = lognormal(3000, 0.7, 9);
  for (double& v : shifted) v -= 1.5;  // has negatives: no log, Yeo-Johnson
  EXPECT_EQ(mdn::choose_target_transform(Mode::Auto, shifted, "y").kind, TargetTransformKind::YeoJohnson);
}

}  // namespace
