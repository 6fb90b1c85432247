// Running a model through inference.hpp: a row's head output (and so its
// mixture, statistics and draws) does not depend on how the rows are split
// into calls, which is what makes `mdn predict` (chunks of --chunk-rows),
// `mdn sample` and `mdn eval` (all rows at once) agree to the bit.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "mdn/error.hpp"
#include "mdn/inference.hpp"
#include "mdn/trainer.hpp"

namespace mdn {
namespace {

Model random_model(int D, int K, int T, std::uint64_t seed) {
  Model model;
  model.spec.input_dim = D;
  model.spec.components = K;
  model.spec.target_dim = T;
  model.spec.hidden = {24, 16};
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> n(0.0f, 1.0f);
  MatrixD x(200, D), t(200, T);
  for (double& v : x.data) v = 3.0f * n(rng) + 1.0f;
  for (double& v : t.data) v = 2.0f * n(rng) - 5.0f;
  model.stats = Standardizer::fit(x, t);
  model.params = initial_parameters(model.spec, model.stats.standardize_t(t), seed);
  return model;
}

MatrixD random_inputs(int rows, int D, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> n(1.0f, 3.0f);
  MatrixD x(rows, D);
  for (double& v : x.data) v = n(rng);
  return x;
}

template <class V>
bool same_bits(const V* a, const V* b, std::size_t n) {
  return std::memcmp(a, b, n * sizeof(V)) == 0;
}

TEST(Inference, HeadOutputsDoNotDependOnTheSplit) {
  const Model model = random_model(5, 4, 2, 1);
  auto backend = make_backend(DeviceKind::Cpu, model);
  // More than two forward blocks, with a ragged end.
  const MatrixD x = random_inputs(2 * kForwardBlock + 777, 5, 2);
  const Matrix whole = head_outputs(*backend, model, x, 0, x.rows);
  for (int chunk : {333, 4095, 4097, 10000}) {
    for (int begin = 0; begin < x.rows; begin += chunk) {
      const int n = std::min(chunk, x.rows - begin);
      const Matrix part = head_outputs(*backend, model, x, begin, n);
      ASSERT_TRUE(same_bits(part.data.data(), whole.row(begin), part.size()))
          << "chunk " << chunk << " rows " << begin << " .. " << begin + n;
    }
  }
}

TEST(Inference, PredictMixturesIsTheChunkedPathBitForBit) {
  const Model model = random_model(3, 5, 1, 3);
  auto backend = make_backend(DeviceKind::Cpu, model);
  const MatrixD x = random_inputs(kForwardBlock + 300, 3, 4);
  const MixtureBatch all = predict_mixtures(*backend, model, x);  // what mdn eval uses
  const int chunk = 1000;                                         // mdn predict --chunk-rows 1000
  for (int begin = 0; begin < x.rows; begin += chunk) {
    const int n = std::min(chunk, x.rows - begin);
    const MixtureBatch part = mixtures_from_head(model, head_outputs(*backend, model, x, begin, n));
    ASSERT_TRUE(same_bits(part.alpha.data(), all.alpha.data() + std::size_t(begin) * all.K, part.alpha.size()));
    ASSERT_TRUE(same_bits(part.mu.data(), all.mu.data() + std::size_t(begin) * all.K * all.T, part.mu.size()));
    ASSERT_TRUE(same_bits(part.sigma.data(), all.sigma.data() + std::size_t(begin) * all.K * all.T, part.sigma.size()));
  }
}

TEST(Inference, RefusesWrongShapesAndRanges) {
  const Model model = random_model(3, 2, 1, 5);
  auto backend = make_backend(DeviceKind::Cpu, model);
  EXPECT_THROW(head_outputs(*backend, model, random_inputs(10, 4, 1), 0, 10), Error);
  const MatrixD x = random_inputs(10, 3, 1);
  EXPECT_THROW(head_outputs(*backend, model, x, 5, 6), Error);
  EXPECT_THROW(head_outputs(*backend, model, x, -1, 2), Error);
  EXPECT_EQ(head_outputs(*backend, model, x, 10, 0).rows, 0);
}

}  // namespace
}  // namespace mdn
