// Full covariance beyond one network (issue 30): the per-target sigma scale
// of Calibration (Sigma -> S Sigma S) against dense reference covariances,
// folding it into the parameters, and a deep ensemble of full-covariance
// networks whose combined head is the average of the members' densities.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "mdn/backend.hpp"
#include "mdn/calibration.hpp"
#include "mdn/inference.hpp"
#include "mdn/trainer.hpp"

#include "common/correlated_dataset.hpp"
#include "full_cov_reference.hpp"

namespace {

using mdn::test::Dense;

mdn::ModelSpec full_spec(int T, int K) {
  mdn::ModelSpec s;
  s.input_dim = 1;
  s.target_dim = T;
  s.components = K;
  s.hidden = {6};
  s.covariance = mdn::Covariance::Full;
  return s;
}

std::vector<double> row_of(const mdn::Matrix& z, int r) { return {z.row(r), z.row(r) + z.cols}; }

// -log sum_k alpha_k N(y | m_k, S Sigma_k S), S = diag(exp(shift)), from the
// dense reference covariances.
double reference_shifted_nll(const std::vector<double>& z, int K, int T, const std::vector<float>& shift,
                             const double* y) {
  double denom = 0.0, p = 0.0;
  for (int k = 0; k < K; ++k) denom += std::exp(z[std::size_t(k)]);
  for (int k = 0; k < K; ++k) {
    Dense sigma = mdn::test::reference_covariance(z, K, T, k);
    for (int i = 0; i < T; ++i)
      for (int j = 0; j < T; ++j) sigma[std::size_t(i * T + j)] *= std::exp(double(shift[i]) + double(shift[j]));
    p += std::exp(z[std::size_t(k)]) / denom *
         std::exp(mdn::test::gaussian_log_pdf(mdn::test::reference_mean(z, K, T, k), sigma, y));
  }
  return -std::log(p);
}

TEST(FullCovCalibration, TheShiftScalesEachCovarianceToSSigmaS) {
  const int T = 3, K = 2, rows = 40;
  const mdn::ModelSpec s = full_spec(T, K);
  std::mt19937_64 rng(11);
  std::normal_distribution<double> n01;
  mdn::Matrix z(rows, s.head_width()), t(rows, T);
  for (int r = 0; r < rows; ++r) {
    const std::vector<double> head = mdn::test::random_full_head(rng, K, T);
    for (int c = 0; c < s.head_width(); ++c) z(r, c) = float(head[std::size_t(c)]);
    for (int d = 0; d < T; ++d) t(r, d) = float(1.5 * n01(rng));
  }
  const std::vector<float> shift = {0.3f, -0.2f, 0.45f};
  double reference = 0.0, unshifted = 0.0;
  const std::vector<float> none(T, 0.0f);
  for (int r = 0; r < rows; ++r) {
    const std::vector<double> y(t.row(r), t.row(r) + T);
    reference += reference_shifted_nll(row_of(z, r), K, T, shift, y.data()) / rows;
    unshifted += reference_shifted_nll(row_of(z, r), K, T, none, y.data()) / rows;
  }
  EXPECT_NEAR(mdn::shifted_nll(s, z, t, shift), reference, 1e-9 * (1.0 + std::fabs(reference)));
  EXPECT_NEAR(mdn::shifted_nll(s, z, t, {}), unshifted, 1e-9 * (1.0 + std::fabs(unshifted)));
  EXPECT_GT(std::fabs(reference - unshifted), 0.05);  // the shift matters here

  // The fitted shift is a minimum of the same function.
  const std::vector<float> fitted = mdn::fit_log_sigma_shift(s, z, t);
  const double at = mdn::shifted_nll(s, z, t, fitted);
  for (int d = 0; d < T; ++d)
    for (float step : {-0.01f, 0.01f}) {
      std::vector<float> moved = fitted;
      moved[std::size_t(d)] += step;
      EXPECT_GE(mdn::shifted_nll(s, z, t, moved), at - 1e-9) << "target " << d;
    }
  EXPECT_GT(fitted[0], 0.2f);  // targets of sd 1.5 against sigmas near 1
}

TEST(FullCovCalibration, FoldingIntoTheParametersGivesTheShiftedModelAndCanBeUndone) {
  const int T = 3, K = 2;
  const mdn::ModelSpec s = full_spec(T, K);
  mdn::Matrix t0(1, T);
  std::vector<float> params = mdn::initial_parameters(s, t0, 2);
  std::mt19937_64 rng(3);
  std::normal_distribution<float> n01;
  for (float& p : params) p += 0.3f * n01(rng);  // off-diagonals and everything else away from 0
  auto backend = mdn::make_cpu_backend(s);
  backend->set_parameters(params);
  mdn::Matrix x(20, 1), t(20, T);
  for (int r = 0; r < 20; ++r) {
    x(r, 0) = -1.0f + 0.1f * float(r);
    for (int d = 0; d < T; ++d) t(r, d) = n01(rng);
  }
  const std::vector<float> shift = {-0.4f, 0.25f, 0.1f};
  const double expected = mdn::shifted_nll(s, backend->forward(x), t, shift);
  std::vector<float> folded = params;
  mdn::shift_log_sigma_biases(s, folded, shift);
  backend->set_parameters(folded);
  EXPECT_NEAR(mdn::shifted_nll(s, backend->forward(x), t, {}), expected, 2e-5 * (1.0 + std::fabs(expected)));
  EXPECT_NEAR(backend->mean_nll(x, t), expected, 2e-5 * (1.0 + std::fabs(expected)));
  mdn::shift_log_sigma_biases(s, folded, shift, -1.0f);
  for (std::size_t i = 0; i < params.size(); ++i) EXPECT_NEAR(folded[i], params[i], 1e-5 * (1.0f + std::fabs(params[i])));
}

mdn::Dataset correlated(int rows, std::uint64_t seed) { return mdn::test::correlated_dataset(rows, 0.9, seed); }

TEST(FullCovEnsemble, ItsDensityIsTheAverageOfTheMembersDensities) {
  const mdn::ModelSpec s = full_spec(2, 2);
  mdn::TrainOptions o;
  o.epochs = 8;
  o.ensemble = 3;
  o.seed = 5;
  auto backend = mdn::make_cpu_backend(s);
  const mdn::Model ens = mdn::train(*backend, s, correlated(600, 1), o);
  ASSERT_EQ(ens.members, 3);
  // By default an ensemble gets the sigma scale (60 validation rows >= 50);
  // it is fitted by NLL on those rows, so it cannot make them worse.
  ASSERT_TRUE(ens.calibration.applied());
  EXPECT_LE(ens.calibration.val_nll_after, ens.calibration.val_nll_before + 1e-9);

  const mdn::Dataset probe = correlated(5, 9);
  auto eb = mdn::make_backend(mdn::DeviceKind::Cpu, ens);
  const mdn::Matrix x = ens.stats.standardize_x(probe.x.to_double());
  const mdn::Matrix combined = eb->forward(x);
  const mdn::ModelSpec mixture = ens.mixture_spec();
  ASSERT_EQ(combined.cols, mixture.head_width());
  const std::size_t total = mdn::ParameterLayout(s).total;
  std::vector<mdn::Matrix> members;
  for (int m = 0; m < 3; ++m) {
    backend->set_parameters(std::vector<float>(ens.params.begin() + std::ptrdiff_t(m * total),
                                               ens.params.begin() + std::ptrdiff_t((m + 1) * total)));
    members.push_back(backend->forward(x));
  }
  for (int r = 0; r < x.rows; ++r)
    for (const double y1 : {-0.8, 0.1, 0.7})
      for (const double y2 : {-0.2, 0.4, 1.1}) {
        const double y[2] = {y1, y2};
        double average = 0.0;
        for (const mdn::Matrix& h : members) average += mdn::test::reference_mixture_pdf(row_of(h, r), 2, 2, y) / 3;
        EXPECT_NEAR(mdn::test::reference_mixture_pdf(row_of(combined, r), 6, 2, y), average, 1e-5 * (1.0 + average))
            << "row " << r << " y " << y1 << "," << y2;
      }
}

}  // namespace
