// The batch functions run their rows on OpenMP threads. An exception thrown
// inside a parallel region used to terminate the process (exit 134) instead
// of reaching the caller; a bad row (here: every weight zero) must give the
// library's error, as a serial loop would.
#include <gtest/gtest.h>

#include <random>

#include "cpu/mixture_builders.hpp"
#include "mdn/error.hpp"
#include "mdn/metrics.hpp"
#include "mdn/predictive.hpp"

namespace mdn {
namespace {

// 2,000 rows, so every thread gets rows; row 1,234 has no positive weight.
MixtureBatch batch_with_a_weightless_row() {
  std::mt19937_64 rng(3);
  MixtureBatch mix = testing::random_mixtures(rng, 2000, 3, 1, 3.0, 0.1, 2.0);
  for (int k = 0; k < mix.K; ++k) mix.alpha[std::size_t(1234) * mix.K + k] = 0.0f;
  return mix;
}

TEST(ParallelRowErrors, QuantilesThrowInsteadOfAborting) {
  EXPECT_THROW(predictive_quantiles(batch_with_a_weightless_row(), {0.1, 0.5}), Error);
}

TEST(ParallelRowErrors, DensityRegionsThrowInsteadOfAborting) {
  EXPECT_THROW(predictive_hdr(batch_with_a_weightless_row(), 0, 0.9), Error);
}

TEST(ParallelRowErrors, EvaluateThrowsInsteadOfAborting) {
  const MixtureBatch mix = batch_with_a_weightless_row();
  EXPECT_THROW(evaluate(mix, MatrixD(mix.rows, 1, 0.5)), Error);
}

TEST(ParallelRowErrors, TheLibraryMessageReachesTheCaller) {
  // Two bad rows on different threads; repeated, so a race in recording the
  // error would show.
  MixtureBatch mix = batch_with_a_weightless_row();
  for (int k = 0; k < mix.K; ++k) mix.alpha[std::size_t(100) * mix.K + k] = 0.0f;
  for (int attempt = 0; attempt < 5; ++attempt) {
    try {
      predictive_hdr(mix, 0, 0.9);
      FAIL() << "expected an error";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("positive weight"), std::string::npos) << e.what();
    }
  }
}

}  // namespace
}  // namespace mdn
