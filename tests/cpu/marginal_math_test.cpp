// Marginal CDF / pdf / moments of a 1-D mixture against numeric integration.
#include <gtest/gtest.h>

#include "cpu/numeric_integration.hpp"

#include <cmath>
#include <random>
#include <vector>

#include "mdn/detail/marginal_math.hpp"

namespace {

using namespace mdn::detail;

struct RandomMixture {
  int K, T;
  std::vector<double> alpha, mu, sigma;
};

RandomMixture random_mixture(std::mt19937_64& rng, int K, int T) {
  RandomMixture m{K, T, std::vector<double>(K), std::vector<double>(K * T), std::vector<double>(K * T)};
  double total = 0.0;
  for (auto& a : m.alpha) total += (a = std::uniform_real_distribution<double>(0.1, 1.0)(rng));
  for (auto& a : m.alpha) a /= total;
  for (auto& u : m.mu) u = std::uniform_real_distribution<double>(-3, 3)(rng);
  for (auto& s : m.sigma) s = std::uniform_real_distribution<double>(0.2, 1.5)(rng);
  return m;
}

using mdn::test::simpson;

TEST(MarginalMath, CdfIsTheIntegralOfThePdf) {
  std::mt19937_64 rng(5);
  for (int rep = 0; rep < 10; ++rep) {
    const auto m = random_mixture(rng, 4, 2);
    for (int d = 0; d < 2; ++d) {
      auto pdf = [&](double y) { return marginal_pdf(m.alpha.data(), m.mu.data(), m.sigma.data(), 4, 2, d, y); };
      for (double y : {-2.0, 0.0, 1.3, 4.0}) {
        // F(y) = integral from -15 (mass below is < 1e-20) to y of the pdf.
        const double integral = simpson(pdf, -15.0, y, 4000);
        EXPECT_NEAR(marginal_cdf(m.alpha.data(), m.mu.data(), m.sigma.data(), 4, 2, d, y), integral, 1e-9);
      }
      EXPECT_NEAR(simpson(pdf, -20, 20, 8000), 1.0, 1e-9);
    }
  }
}

TEST(MarginalMath, MomentsMatchNumericIntegration) {
  std::mt19937_64 rng(6);
  for (int rep = 0; rep < 10; ++rep) {
    const auto m = random_mixture(rng, 3, 1);
    auto pdf = [&](double y) { return marginal_pdf(m.alpha.data(), m.mu.data(), m.sigma.data(), 3, 1, 0, y); };
    const double mean_ref = simpson([&](double y) { return y * pdf(y); }, -20, 20, 8000);
    const double var_ref = simpson([&](double y) { return (y - mean_ref) * (y - mean_ref) * pdf(y); }, -20, 20, 8000);
    double mean = 0, var = 0;
    marginal_moments(m.alpha.data(), m.mu.data(), m.sigma.data(), 3, 1, 0, mean, var);
    EXPECT_NEAR(mean, mean_ref, 1e-9);
    EXPECT_NEAR(var, var_ref, 1e-8);
  }
}

TEST(MarginalMath, NormalCdfTails) {
  // Phi(-10) ~ 7.62e-24: through erfc it keeps its relative accuracy.
  EXPECT_NEAR(standard_normal_cdf(-10.0) / 7.61985302416e-24, 1.0, 1e-9);
  EXPECT_NEAR(standard_normal_cdf(0.0), 0.5, 1e-15);
  EXPECT_NEAR(standard_normal_cdf(1.959963984540054), 0.975, 1e-12);
}

}  // namespace
