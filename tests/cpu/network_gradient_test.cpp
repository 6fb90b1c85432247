// Finite-difference check, in double precision, of every parameter gradient of
// whole networks (the same templated code the float CPU backend runs).
#include <gtest/gtest.h>

#include <ostream>

#include <cmath>
#include <random>
#include <vector>

#include "cpu/network.hpp"
#include "mdn/backend.hpp"
#include "mdn/detail/cell_math.hpp"
#include "mdn/spec.hpp"

namespace {

struct Shape {
  int D, T, K;
  std::vector<int> hidden;
};

// Printed in test listings (CTest names) instead of the struct's raw bytes.
void PrintTo(const Shape& s, std::ostream* os) {
  *os << "D=" << s.D << " T=" << s.T << " K=" << s.K << " hidden=" << s.hidden.size();
}

mdn::ModelSpec spec_of(const Shape& shape) {
  mdn::ModelSpec spec;
  spec.input_dim = shape.D;
  spec.target_dim = shape.T;
  spec.components = shape.K;
  spec.hidden = shape.hidden;
  return spec;
}

// Every entry of grad (the double network's loss_and_gradient on these rows;
// ws carries the cells, if any) against central differences of head_loss.
// Tolerance: central differences with h = 1e-6 in double have truncation
// error ~h^2 * f''' and rounding ~eps/h ~ 1e-10; 1e-7 abs + 1e-6 rel covers
// both with margin while catching any wrong term (errors of O(grad)).
void expect_central_differences(const mdn::ModelSpec& spec, std::vector<double> params, const std::vector<double>& x,
                                const std::vector<double>& t, int n, const std::vector<double>& grad,
                                mdn::cpu::NetworkWorkspace<double>& ws) {
  const mdn::ParameterLayout layout(spec);
  const double h = 1e-6;
  for (std::size_t i = 0; i < params.size(); ++i) {
    const double saved = params[i];
    double loss[2];
    for (int side = 0; side < 2; ++side) {
      params[i] = saved + (side == 0 ? h : -h);
      mdn::cpu::forward(spec, layout, params.data(), x.data(), n, ws);
      loss[side] = mdn::cpu::head_loss(spec, t.data(), n, ws, false);
    }
    params[i] = saved;
    const double fd = (loss[0] - loss[1]) / (2 * h);
    ASSERT_NEAR(grad[i], fd, 1e-7 + 1e-6 * std::fabs(fd)) << "parameter " << i << " of " << params.size();
  }
}

class NetworkGradient : public ::testing::TestWithParam<Shape> {};

TEST_P(NetworkGradient, EveryParameterMatchesCentralDifferences) {
  const Shape shape = GetParam();
  const mdn::ModelSpec spec = spec_of(shape);
  const mdn::ParameterLayout layout(spec);

  std::mt19937_64 rng(42 + shape.K * 7 + shape.T);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<double> params(layout.total);
  for (auto& p : params) p = 0.5 * normal(rng);
  const int n = 7;
  std::vector<double> x(std::size_t(n) * shape.D), t(std::size_t(n) * shape.T);
  for (auto& v : x) v = normal(rng);
  for (auto& v : t) v = normal(rng);

  mdn::cpu::NetworkWorkspace<double> ws;
  std::vector<double> grad(layout.total);
  mdn::cpu::loss_and_gradient(spec, layout, params.data(), x.data(), t.data(), n, grad.data(), ws);
  expect_central_differences(spec, params, x, t, n, grad, ws);
}

INSTANTIATE_TEST_SUITE_P(Shapes, NetworkGradient,
                         ::testing::Values(Shape{1, 1, 1, {4}}, Shape{3, 1, 3, {5, 4}}, Shape{2, 2, 2, {6}},
                                           Shape{4, 3, 4, {3, 5, 4}}, Shape{2, 1, 5, {8, 8}}),
                         [](const auto& info) {
                           const auto& s = info.param;
                           std::string name = "D" + std::to_string(s.D) + "_T" + std::to_string(s.T) + "_K" +
                                              std::to_string(s.K) + "_H";
                           for (int w : s.hidden) name += "_" + std::to_string(w);
                           return name;
                         });

TEST(CpuBackend, FloatGradientAgreesWithDoubleNetwork) {
  mdn::ModelSpec spec;
  spec.input_dim = 3;
  spec.target_dim = 2;
  spec.components = 4;
  spec.hidden = {16, 16};
  const mdn::ParameterLayout layout(spec);
  std::mt19937_64 rng(9);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> params(layout.total);
  for (auto& p : params) p = 0.3f * normal(rng);
  mdn::Matrix x(100, 3), t(100, 2);
  for (auto& v : x.data) v = normal(rng);
  for (auto& v : t.data) v = normal(rng);

  auto backend = mdn::make_cpu_backend(spec);
  backend->set_parameters(params);
  std::vector<float> grad;
  const double loss = backend->loss_and_gradient(x, t, grad);
  EXPECT_NEAR(backend->mean_nll(x, t), loss, 1e-5);

  std::vector<double> pd(params.begin(), params.end()), xd(x.data.begin(), x.data.end()),
      td(t.data.begin(), t.data.end()), gd(layout.total);
  mdn::cpu::NetworkWorkspace<double> ws;
  const double loss_d = mdn::cpu::loss_and_gradient(spec, layout, pd.data(), xd.data(), td.data(), 100, gd.data(), ws);
  EXPECT_NEAR(loss, loss_d, 1e-5 * (1 + std::fabs(loss_d)));
  for (std::size_t i = 0; i < gd.size(); ++i) EXPECT_NEAR(grad[i], gd[i], 1e-5 + 1e-4 * std::fabs(gd[i])) << i;
}

// Gridded targets (Backend::set_target_cells): every loss the backend gives
// is the cell-averaged density's, its float gradient agrees with the double
// network's, and that one with central differences.
TEST(CpuBackend, GriddedTargetsTrainOnTheCellLossEverywhere) {
  const mdn::ModelSpec spec = spec_of({3, 2, 4, {8}});
  const mdn::ParameterLayout layout(spec);
  std::mt19937_64 rng(21);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<float> params(layout.total);
  for (auto& p : params) p = 0.3f * normal(rng);
  const int n = 40;
  mdn::Matrix x(n, 3), t(n, 2);
  for (auto& v : x.data) v = normal(rng);
  for (auto& v : t.data) v = normal(rng);
  const std::vector<double> cells = {0.3, 0.0};  // target 0 on a grid, target 1 continuous

  auto backend = mdn::make_cpu_backend(spec);
  backend->set_parameters(params);
  ASSERT_TRUE(backend->set_target_cells(cells));
  const mdn::Matrix z = backend->forward(x);
  double want = 0.0, density = 0.0;
  for (int i = 0; i < n; ++i) {
    const std::vector<double> zi(z.row(i), z.row(i) + z.cols), ti(t.row(i), t.row(i) + 2);
    want += mdn::detail::mixture_cell_nll(zi.data(), ti.data(), cells.data(), spec.components, 2, spec.log_sigma_min,
                                          spec.log_sigma_max) /
            n;
    density += mdn::detail::mixture_nll(zi.data(), ti.data(), spec.components, 2, double(spec.log_sigma_min),
                                        double(spec.log_sigma_max)) /
               n;
  }
  ASSERT_GT(std::fabs(want - density), 1e-3);
  std::vector<float> grad;
  EXPECT_NEAR(backend->loss_and_gradient(x, t, grad), want, 1e-5);
  EXPECT_NEAR(backend->mean_nll(x, t), want, 1e-5);
  EXPECT_NEAR(backend->weighted_nll_sum(x, t, {}) / n, want, 1e-5);
  ASSERT_TRUE(backend->set_target_cells({}));  // the density's loss again
  EXPECT_NEAR(backend->mean_nll(x, t), density, 1e-5);

  std::vector<double> pd(params.begin(), params.end()), xd(x.data.begin(), x.data.end()),
      td(t.data.begin(), t.data.end()), gd(layout.total);
  mdn::cpu::NetworkWorkspace<double> ws;
  ws.cell_half_width = cells;
  EXPECT_NEAR(mdn::cpu::loss_and_gradient(spec, layout, pd.data(), xd.data(), td.data(), n, gd.data(), ws), want, 1e-5);
  for (std::size_t i = 0; i < gd.size(); ++i) EXPECT_NEAR(grad[i], gd[i], 1e-5 + 1e-4 * std::fabs(gd[i])) << i;
  expect_central_differences(spec, pd, xd, td, n, gd, ws);
}

TEST(CpuBackend, CellLossIsForDiagonalMixturesAndGoesToConcurrentMembers) {
  mdn::ModelSpec spec = spec_of({2, 2, 2, {4}});
  spec.covariance = mdn::Covariance::Full;
  EXPECT_FALSE(mdn::make_cpu_backend(spec)->set_target_cells({0.5, 0.5}));
  spec.covariance = mdn::Covariance::Diagonal;
  auto backend = mdn::make_cpu_backend(spec);
  EXPECT_FALSE(backend->set_target_cells({0.5}));  // one per target
  ASSERT_TRUE(backend->set_target_cells({0.5, 0.25}));
  const std::vector<float> params(mdn::ParameterLayout(spec).total, 0.1f);
  backend->set_parameters(params);
  auto member = backend->concurrent_member_backend(2);
  member->set_parameters(params);
  mdn::Matrix x(3, 2), t(3, 2);
  for (std::size_t i = 0; i < x.data.size(); ++i) x.data[i] = 0.1f * float(i);
  for (std::size_t i = 0; i < t.data.size(); ++i) t.data[i] = 0.2f * float(i) - 0.5f;
  EXPECT_EQ(member->mean_nll(x, t), backend->mean_nll(x, t));
}

TEST(CpuBackend, AdamStepMatchesClosedForm) {
  // First Adam step from zero moments moves each parameter by lr * sign(g)
  // (m_hat = g, v_hat = g^2), up to eps.
  mdn::ModelSpec spec;
  spec.input_dim = 2;
  spec.components = 2;
  spec.hidden = {3};
  const mdn::ParameterLayout layout(spec);
  auto backend = mdn::make_cpu_backend(spec);
  std::vector<float> params(layout.total, 0.5f), grad(layout.total);
  for (std::size_t i = 0; i < grad.size(); ++i) grad[i] = (i % 3 == 0 ? -1.0f : 1.0f) * 0.01f * float(i + 1);
  backend->set_parameters(params);
  mdn::AdamConfig adam;
  adam.lr = 0.01f;
  adam.clip_norm = 0.0f;
  backend->adam_step(grad, adam);
  const auto after = backend->parameters();
  for (std::size_t i = 0; i < params.size(); ++i)
    EXPECT_NEAR(after[i], 0.5f - 0.01f * (grad[i] > 0 ? 1.0f : -1.0f), 1e-6f) << i;
}

TEST(CpuBackend, ClippingScalesTheGradientToTheNorm) {
  // With clip_norm c < |g|, a plain-SGD-like check: the second moment sees the
  // clipped gradient, so after one step v = (1-beta2) (g c/|g|)^2.
  mdn::ModelSpec spec;
  spec.input_dim = 1;
  spec.components = 1;
  spec.hidden = {2};
  const mdn::ParameterLayout layout(spec);
  auto backend = mdn::make_cpu_backend(spec);
  backend->set_parameters(std::vector<float>(layout.total, 0.0f));
  std::vector<float> grad(layout.total, 3.0f);
  const double norm = 3.0 * std::sqrt(double(layout.total));
  mdn::AdamConfig adam;
  adam.clip_norm = 1.0f;
  EXPECT_NEAR(backend->adam_step(grad, adam), norm, 1e-4);
  const auto state = backend->optimizer_state();
  const double g = 3.0 / norm;
  for (float v : state.v) EXPECT_NEAR(v, (1 - 0.999) * g * g, 1e-9);
  EXPECT_EQ(state.step, 1);
}

}  // namespace
