// The sampler's shared math (mdn/detail/sample_math.hpp) on fixed inputs,
// where a statistical test cannot look: the inverse CDF at the exact
// boundaries of its cumulative weights, the guard that makes the last
// positive cumulative weight exactly 1 (float weights whose normalised sum
// rounds to 0.99999994, and the largest uniform 1 - 2^-24), and the
// documented stream layout (which Philox word picks the component, which
// give the normals) recomputed in double, independently of the library's
// float Box-Muller.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <vector>

#include "cpu/mixture_builders.hpp"
#include "mdn/detail/philox.hpp"
#include "mdn/detail/sample_math.hpp"
#include "mdn/sampling.hpp"

namespace mdn {
namespace {

constexpr float kLargestUniform = 1.0f - 0x1p-24f;  // 0.99999994: the largest pick_uniform

TEST(SampleMath, PickUniformSpansZeroToOneMinus2ToTheMinus24) {
  EXPECT_EQ(detail::pick_uniform(0u), 0.0f);
  EXPECT_EQ(detail::pick_uniform(0xFFFFFFFFu), kLargestUniform);
  EXPECT_EQ(detail::pick_uniform(0x80000000u), 0.5f);
  EXPECT_EQ(detail::pick_uniform(0x000000FFu), 0.0f);  // the low 8 bits are dropped
  EXPECT_EQ(detail::pick_uniform(0x00000100u), 0x1p-24f);
}

TEST(SampleMath, InverseCdfTakesTheFirstCumulativeWeightAboveU) {
  // "The first k with u < cum[k]": at u == cum[k] the pick moves on to k + 1.
  const float cum[] = {0.25f, 0.5f, 0.5f, 1.0f};  // component 2 has weight 0
  EXPECT_EQ(detail::pick_component(cum, 4, 0.0f), 0);
  EXPECT_EQ(detail::pick_component(cum, 4, std::nextafter(0.25f, 0.0f)), 0);
  EXPECT_EQ(detail::pick_component(cum, 4, 0.25f), 1);
  EXPECT_EQ(detail::pick_component(cum, 4, std::nextafter(0.5f, 0.0f)), 1);
  EXPECT_EQ(detail::pick_component(cum, 4, 0.5f), 3);  // never the zero-weight component 2
  EXPECT_EQ(detail::pick_component(cum, 4, kLargestUniform), 3);
  // Every uniform on the 2^-24 grid near the boundaries: component 2 never.
  for (std::uint32_t i = (1u << 23) - 4096; i < (1u << 23) + 4096; ++i) {
    const float u = float(i) * 0x1p-24f;
    const int k = detail::pick_component(cum, 4, u);
    ASSERT_EQ(k, u < 0.5f ? 1 : 3) << u;
  }
}

TEST(SampleMath, LastPositiveCumulativeWeightIsExactlyOne) {
  // Weights 1 and w1 = 0.30000114 (then two zero weights): their float total
  // 1.3000011 times its float reciprocal is 0.99999994, not 1, so a plain
  // normalised cumulative sum would leave u = 0.99999994 (the largest
  // uniform) past the last positive weight, on a component of weight 0.
  const float w1 = 0.30000114f;
  const float lw[] = {0.0f, std::log(w1), -INFINITY, -INFINITY};
  const float w1_as_drawn = std::exp(lw[1]);
  const float total = 1.0f + w1_as_drawn;
  const float inv_total = 1.0f / total;
  ASSERT_LT(total * inv_total, 1.0f) << "this input no longer exercises the rounding: pick another w1";
  ASSERT_EQ(total * inv_total, kLargestUniform);

  float cum[4];
  detail::tempered_cumulative(lw, 4, 1.0f, cum);
  EXPECT_NEAR(cum[0], 1.0f / 1.30000114f, 1e-7f);
  EXPECT_EQ(cum[1], 1.0f);
  EXPECT_EQ(cum[2], 1.0f);
  EXPECT_EQ(cum[3], 1.0f);
  EXPECT_EQ(detail::pick_component(cum, 4, kLargestUniform), 1);
  for (std::uint32_t i = 0; i < 4096; ++i)
    ASSERT_EQ(detail::pick_component(cum, 4, kLargestUniform - float(i) * 0x1p-24f), 1) << i;
}

TEST(SampleMath, FloatWeightsSummingToJustBelowOneNeverReachAZeroWeight) {
  // Softmax-like float weights whose plain float sum is 0.99999994 (as the
  // network's weights can be), then a weight that underflowed to 0: with u
  // = 0.99999994 every draw still lands on a positive weight. Searched over
  // many such rows, as the sampler is given them (log weights).
  int rows_tried = 0;
  for (int i = 1; i < 20000 && rows_tried < 200; ++i) {
    const float a = 0.1f + 1e-5f * float(i), b = 0.3f + 0.7e-5f * float(i);
    const float c = 1.0f - a - b;
    const float sum = (a + b) + c;
    if (sum != kLargestUniform) continue;
    ++rows_tried;
    const float lw[] = {std::log(a), std::log(b), std::log(c), -INFINITY};
    float cum[4];
    detail::tempered_cumulative(lw, 4, 1.0f, cum);
    ASSERT_EQ(cum[2], 1.0f) << a << " " << b << " " << c;
    ASSERT_EQ(cum[3], 1.0f);
    ASSERT_NE(detail::pick_component(cum, 4, kLargestUniform), 3) << a << " " << b << " " << c;
  }
  EXPECT_GT(rows_tried, 10) << "too few rows whose float weights sum to 0.99999994";
}

TEST(SampleMath, TemperatureRaisesTheWeightsToTheirPower) {
  // Weights 0.2, 0.8 at temperature 0.5: 0.04 : 0.64, i.e. 1/17 and 16/17.
  const float lw[] = {std::log(0.2f), std::log(0.8f)};
  float cum[2];
  detail::tempered_cumulative(lw, 2, 2.0f, cum);
  EXPECT_NEAR(cum[0], 1.0 / 17.0, 1e-6);
  EXPECT_EQ(cum[1], 1.0f);
  // At temperature 2: sqrt(0.2) : sqrt(0.8) = 1 : 2.
  detail::tempered_cumulative(lw, 2, 0.5f, cum);
  EXPECT_NEAR(cum[0], 1.0 / 3.0, 1e-6);
}

// ---- the documented stream, recomputed in double ----------------------------------

struct Normals {
  double n0, n1;
};

// Box-Muller from two words as the header documents it: radius uniform
// w * 2^-32 + 2^-33 in (0, 1], angle 2 pi (u - 1/2) with u = (w >> 8) 2^-24.
Normals reference_box_muller(std::uint32_t a, std::uint32_t b) {
  const double pi = 3.14159265358979323846;
  const double radius = std::sqrt(-2.0 * std::log(double(a) * 0x1p-32 + 0x1p-33));
  const double angle = 2.0 * pi * (double(b >> 8) * 0x1p-24 - 0.5);
  return {radius * std::cos(angle), radius * std::sin(angle)};
}

// The component for word w against the row's weights in double; -1 where
// the uniform lies within float rounding of a boundary (either side is right).
int reference_component(std::uint32_t w, const std::vector<double>& alpha) {
  const double u = double(w >> 8) * 0x1p-24;
  double total = 0.0, cum = 0.0;
  for (double a : alpha) total += a;
  for (std::size_t k = 0; k < alpha.size(); ++k) {
    cum += alpha[k] / total;
    if (std::fabs(u - cum) < 1e-6) return -1;
    if (u < cum) return int(k);
  }
  return int(alpha.size()) - 1;
}

// |library - reference| for one standard normal: float Box-Muller (log, sin,
// cos of floats; the radius uniform rounded to 24 bits) against double.
double normal_tolerance(const Normals& n) {
  const double r = std::hypot(n.n0, n.n1);
  return r < 0.01 ? 5e-4 : 2e-6 * (1.0 + r);
}

detail::Philox4x32 words(std::uint64_t seed, std::uint64_t row, std::uint32_t c, std::uint32_t block) {
  const detail::Philox4x32 counter{{c, std::uint32_t(row), std::uint32_t(row >> 32), block}};
  return detail::philox4x32_10(counter, std::uint32_t(seed), std::uint32_t(seed >> 32));
}

TEST(SampleMath, OneDimensionalDrawsFollowTheDocumentedStream) {
  // T = 1: draws 2c and 2c+1 come from counter {c, row, 0}: word 0 picks the
  // component of draw 2c, word 3 that of draw 2c+1, words 1 and 2 give the
  // Box-Muller pair (n0 for draw 2c, n1 for draw 2c+1).
  const std::vector<double> alpha{0.3, 0.5, 0.2}, mu{-4.0, 1.0, 6.0}, sigma{0.5, 2.0, 1.5};
  const MixtureBatch mix = testing::one_row(alpha, mu, sigma);
  const std::uint64_t seed = 0x123456789ABCDEF0ull;
  const std::int64_t row = (std::int64_t(1) << 32) + 5;  // both halves of the row counter
  const int S = 2001;                                    // an odd count: the last pair has one draw
  std::vector<double> out(S);
  std::vector<int> picks(S);
  sample_mixtures(mix, S, SampleOptions{seed}, row, out.data(), picks.data());
  int compared = 0;
  for (int s = 0; s < S; ++s) {
    const detail::Philox4x32 w = words(seed, std::uint64_t(row), std::uint32_t(s / 2), 0);
    const Normals n = reference_box_muller(w.v[1], w.v[2]);
    const int k = reference_component(s % 2 == 0 ? w.v[0] : w.v[3], alpha);
    if (k < 0) continue;
    ++compared;
    ASSERT_EQ(picks[s], k) << "draw " << s;
    const double z = s % 2 == 0 ? n.n0 : n.n1;
    ASSERT_NEAR(out[s], mu[k] + sigma[k] * z, sigma[k] * normal_tolerance(n)) << "draw " << s;
  }
  EXPECT_GT(compared, S - 10);
}

TEST(SampleMath, MultiDimensionalDrawsFollowTheDocumentedStream) {
  // T >= 2: draw s uses counter {s, row, block}: block 0 word 0 picks, words
  // 1, 2 give n_0, n_1; block b >= 1 gives n_{4b-2}, n_{4b-1} from words 0, 1
  // and n_{4b}, n_{4b+1} from words 2, 3.
  const std::uint64_t seed = 77;
  int compared = 0;
  for (const int T : {2, 3, 6, 7}) {
    const int K = 2;
    std::vector<double> alpha{0.6, 0.4}, mu(std::size_t(K) * T), sigma(mu.size());
    for (int i = 0; i < K * T; ++i) {
      mu[std::size_t(i)] = 3.0 * i - 5.0;
      sigma[std::size_t(i)] = 0.25 + 0.1 * i;
    }
    const MixtureBatch mix = testing::one_row(alpha, mu, sigma, T);
    const int S = 400;
    const std::int64_t row = 12;
    std::vector<double> out(std::size_t(S) * T);
    std::vector<int> picks(S);
    sample_mixtures(mix, S, SampleOptions{seed}, row, out.data(), picks.data());
    for (int s = 0; s < S; ++s) {
      const detail::Philox4x32 w0 = words(seed, row, std::uint32_t(s), 0);
      const int k = reference_component(w0.v[0], alpha);
      if (k < 0) continue;
      ASSERT_EQ(picks[s], k) << "T " << T << " draw " << s;
      ++compared;
      std::vector<Normals> pairs{reference_box_muller(w0.v[1], w0.v[2])};
      for (std::uint32_t b = 1; 4 * b - 2 < std::uint32_t(T); ++b) {
        const detail::Philox4x32 w = words(seed, row, std::uint32_t(s), b);
        pairs.push_back(reference_box_muller(w.v[0], w.v[1]));
        pairs.push_back(reference_box_muller(w.v[2], w.v[3]));
      }
      for (int d = 0; d < T; ++d) {
        const Normals& n = pairs[std::size_t(d / 2)];
        const double z = d % 2 == 0 ? n.n0 : n.n1;
        const std::size_t i = std::size_t(k) * T + d;
        ASSERT_NEAR(out[std::size_t(s) * T + d], mu[i] + sigma[i] * z, sigma[i] * normal_tolerance(n))
            << "T " << T << " draw " << s << " dimension " << d;
      }
    }
  }
  EXPECT_GT(compared, 4 * 400 - 10);
}

}  // namespace
}  // namespace mdn
