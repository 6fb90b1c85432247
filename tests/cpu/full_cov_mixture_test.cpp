// Full covariance after training (issue 30, stage 2): the per-row mixtures
// of a full-covariance head in original units (MixtureBatch::chol), the joint
// NLL, the draws, the refusals of what has no full-covariance answer yet, and
// the model file. References: full_cov_reference.hpp (dense inverse and
// determinant from the docs/MATH.md definitions), not the library's headers.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "full_cov_reference.hpp"
#include "mdn/checkpoint.hpp"
#include "mdn/detail/full_cov_math.hpp"
#include "mdn/error.hpp"
#include "mdn/grid.hpp"
#include "mdn/joint_cdf.hpp"
#include "mdn/metrics.hpp"
#include "mdn/mixture.hpp"
#include "mdn/model_io.hpp"
#include "mdn/predictive.hpp"
#include "mdn/sampling.hpp"

namespace {

using mdn::test::Dense;

mdn::ModelSpec full_spec(int K, int T) {
  mdn::ModelSpec s;
  s.input_dim = 2;
  s.target_dim = T;
  s.components = K;
  s.hidden = {4};
  s.covariance = mdn::Covariance::Full;
  return s;
}

mdn::Standardizer stats_for(int T, std::mt19937_64& rng) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  mdn::Standardizer st;
  st.x_mean = {0.0, 0.0};
  st.x_scale = {1.0, 1.0};
  for (int d = 0; d < T; ++d) {
    st.t_mean.push_back(100.0 * (u(rng) - 0.5));
    st.t_scale.push_back(0.1 + 5.0 * u(rng));
  }
  return st;
}

// Rows of random full heads, as the float matrix the network writes, and the
// same values in double (what the references read).
struct Heads {
  mdn::Matrix z;
  std::vector<std::vector<double>> rows;
};
Heads random_heads(int rows, int K, int T, std::mt19937_64& rng) {
  Heads h;
  h.z = mdn::Matrix(rows, mdn::detail::full_cov_head_width(K, T));
  for (int r = 0; r < rows; ++r) {
    std::vector<double> zr = mdn::test::random_full_head(rng, K, T);
    for (std::size_t i = 0; i < zr.size(); ++i) {
      h.z.row(r)[i] = float(zr[i]);
      zr[i] = double(float(zr[i]));
    }
    h.rows.push_back(zr);
  }
  return h;
}

// Sigma in original units: D Sigma_std D with D = diag(t_scale).
Dense original_covariance(const std::vector<double>& z, int K, int T, int k, const mdn::Standardizer& st) {
  Dense S = mdn::test::reference_covariance(z, K, T, k);
  for (int i = 0; i < T; ++i)
    for (int j = 0; j < T; ++j) S[i * T + j] *= st.t_scale[i] * st.t_scale[j];
  return S;
}
std::vector<double> original_mean(const std::vector<double>& z, int K, int T, int k, const mdn::Standardizer& st) {
  std::vector<double> m = mdn::test::reference_mean(z, K, T, k);
  for (int d = 0; d < T; ++d) m[d] = m[d] * st.t_scale[d] + st.t_mean[d];
  return m;
}
std::vector<double> softmax(const std::vector<double>& z, int K) {
  double total = 0.0;
  for (int k = 0; k < K; ++k) total += std::exp(z[k]);
  std::vector<double> a(K);
  for (int k = 0; k < K; ++k) a[k] = std::exp(z[k]) / total;
  return a;
}

TEST(FullCovMixture, FromHeadMatchesTheDenseCovariance) {
  std::mt19937_64 rng(7);
  for (int T : {2, 3, 5}) {
    const int K = 3, rows = 4;
    const mdn::Standardizer st = stats_for(T, rng);
    const Heads h = random_heads(rows, K, T, rng);
    const mdn::MixtureBatch mix = mdn::mixtures_from_head(full_spec(K, T), st, h.z);
    ASSERT_EQ(mix.chol.size(), std::size_t(rows) * K * T * (T + 1) / 2);
    for (int r = 0; r < rows; ++r) {
      const std::vector<double> a = softmax(h.rows[r], K);
      for (int k = 0; k < K; ++k) {
        EXPECT_NEAR(mix.weight(r, k), a[k], 1e-6);
        const Dense S = original_covariance(h.rows[r], K, T, k, st);
        const std::vector<double> m = original_mean(h.rows[r], K, T, k, st);
        const double* A = mix.factor(r, k);
        for (int i = 0; i < T; ++i) {
          EXPECT_NEAR(mix.mean(r, k, i), m[i], 1e-9 * (1 + std::fabs(m[i])));
          EXPECT_NEAR(mix.stddev(r, k, i), std::sqrt(S[i * T + i]), 1e-9 * std::sqrt(S[i * T + i]));
          EXPECT_GT(A[i * (i + 1) / 2 + i], 0.0);
          // A A^T = Sigma (a lower factor with a positive diagonal is unique).
          for (int j = 0; j <= i; ++j) {
            double v = 0.0;
            for (int l = 0; l <= j; ++l) v += A[i * (i + 1) / 2 + l] * A[j * (j + 1) / 2 + l];
            const double scale = std::sqrt(S[i * T + i] * S[j * T + j]);
            EXPECT_NEAR(v, S[i * T + j], 1e-9 * scale) << "T=" << T << " k=" << k << " (" << i << "," << j << ")";
          }
        }
      }
    }
  }
  // The diagonal spec has no factors.
  mdn::ModelSpec diag = full_spec(2, 2);
  diag.covariance = mdn::Covariance::Diagonal;
  std::mt19937_64 rng2(1);
  const mdn::MixtureBatch d = mdn::mixtures_from_head(diag, stats_for(2, rng2), mdn::Matrix(3, diag.head_width()));
  EXPECT_TRUE(d.chol.empty());
  EXPECT_FALSE(d.full_covariance());
}

TEST(FullCovMixture, JointNllMatchesTheDenseFormula) {
  std::mt19937_64 rng(11);
  std::normal_distribution<double> n;
  for (int T : {2, 3, 5}) {
    const int K = 4, rows = 5;
    const mdn::Standardizer st = stats_for(T, rng);
    const Heads h = random_heads(rows, K, T, rng);
    const mdn::MixtureBatch mix = mdn::mixtures_from_head(full_spec(K, T), st, h.z);
    for (int r = 0; r < rows; ++r) {
      std::vector<double> y(T);
      for (int d = 0; d < T; ++d) y[d] = st.t_mean[d] + st.t_scale[d] * 1.5 * n(rng);
      const std::vector<double> a = softmax(h.rows[r], K);
      double p = 0.0;
      for (int k = 0; k < K; ++k)
        p += a[k] * std::exp(mdn::test::gaussian_log_pdf(original_mean(h.rows[r], K, T, k, st),
                                                         original_covariance(h.rows[r], K, T, k, st), y.data()));
      const double got = mdn::mixture_nll(mix, r, y.data());
      EXPECT_NEAR(got, -std::log(p), 1e-6 * (1 + std::fabs(got))) << "T=" << T << " row " << r;
      if (T == 2) {
        // The stage-1 training loss of the same head on standardised targets,
        // plus the log-Jacobian of the standardisation.
        std::vector<float> ts(T);
        for (int d = 0; d < T; ++d) ts[d] = float((y[d] - st.t_mean[d]) / st.t_scale[d]);
        const mdn::ModelSpec s = full_spec(K, T);
        const double loss = mdn::detail::full_mixture_nll(h.z.row(r), ts.data(), K, T, s.log_sigma_min,
                                                          s.log_sigma_max);
        EXPECT_NEAR(got, loss + st.log_jacobian(), 2e-4 * (1 + std::fabs(got)));
      }
    }
  }
}

// The mixture's mean and covariance (law of total covariance).
void mixture_moments(const mdn::MixtureBatch& mix, const std::vector<double>& z, const mdn::Standardizer& st,
                     std::vector<double>& mean, Dense& cov) {
  const int K = mix.K, T = mix.T;
  mean.assign(T, 0.0);
  cov.assign(T * T, 0.0);
  const std::vector<double> a = softmax(z, K);
  for (int k = 0; k < K; ++k) {
    const std::vector<double> m = original_mean(z, K, T, k, st);
    const Dense S = original_covariance(z, K, T, k, st);
    for (int i = 0; i < T; ++i) {
      mean[i] += a[k] * m[i];
      for (int j = 0; j < T; ++j) cov[i * T + j] += a[k] * (S[i * T + j] + m[i] * m[j]);
    }
  }
  for (int i = 0; i < T; ++i)
    for (int j = 0; j < T; ++j) cov[i * T + j] -= mean[i] * mean[j];
}

TEST(FullCovMixture, DrawsHaveTheMixtureMeanAndCovariance) {
  std::mt19937_64 rng(5);
  const int K = 3, T = 3, S = 200000;
  const mdn::Standardizer st = stats_for(T, rng);
  const Heads h = random_heads(1, K, T, rng);
  const mdn::MixtureBatch mix = mdn::mixtures_from_head(full_spec(K, T), st, h.z);
  mdn::SampleOptions o;
  o.seed = 9;
  const std::vector<double> draws = mdn::sample_mixtures(mix, S, o, 0);
  std::vector<double> mean;
  Dense cov;
  mixture_moments(mix, h.rows[0], st, mean, cov);
  std::vector<double> m(T, 0.0);
  Dense c(T * T, 0.0);
  for (int s = 0; s < S; ++s)
    for (int i = 0; i < T; ++i) m[i] += draws[std::size_t(s) * T + i] / S;
  for (int s = 0; s < S; ++s)
    for (int i = 0; i < T; ++i)
      for (int j = 0; j < T; ++j)
        c[i * T + j] += (draws[std::size_t(s) * T + i] - m[i]) * (draws[std::size_t(s) * T + j] - m[j]) / (S - 1);
  for (int i = 0; i < T; ++i) {
    EXPECT_NEAR(m[i], mean[i], 5.0 * std::sqrt(cov[i * T + i] / S)) << i;
    for (int j = 0; j < T; ++j) {
      // Standard error of a sample covariance, generously (mixtures have
      // heavier tails than a Gaussian): sqrt(2 var_i var_j / S).
      const double se = std::sqrt(2.0 * cov[i * T + i] * cov[j * T + j] / S);
      EXPECT_NEAR(c[i * T + j], cov[i * T + j], 6.0 * se) << i << "," << j;
    }
  }
  // The correlation is really there (a diagonal draw would lose it).
  double strongest = 0.0;
  for (int i = 0; i < T; ++i)
    for (int j = 0; j < i; ++j)
      strongest = std::max(strongest, std::fabs(cov[i * T + j]) / std::sqrt(cov[i * T + i] * cov[j * T + j]));
  EXPECT_GT(strongest, 0.2);
}

TEST(FullCovMixture, DrawsUseTheDiagonalSamplersWords) {
  // Factors that are diagonal: the full sampler must give the diagonal
  // sampler's draws (same component picks, same normals), and sigma scale 0
  // the component means.
  std::mt19937_64 rng(3);
  const int K = 3, T = 4, rows = 6, S = 7;
  const mdn::Standardizer st = stats_for(T, rng);
  const Heads h = random_heads(rows, K, T, rng);
  mdn::MixtureBatch full = mdn::mixtures_from_head(full_spec(K, T), st, h.z);
  for (int r = 0; r < rows; ++r)
    for (int k = 0; k < K; ++k)
      for (int i = 0; i < T; ++i)
        for (int j = 0; j <= i; ++j)
          full.chol[(std::size_t(r) * K + k) * (T * (T + 1) / 2) + i * (i + 1) / 2 + j] =
              i == j ? full.stddev(r, k, i) : 0.0;
  mdn::MixtureBatch diag = full;
  diag.chol.clear();
  mdn::SampleOptions o;
  o.seed = 12345;
  o.temperature = 0.7;
  std::vector<double> a(std::size_t(rows) * S * T), b(a.size());
  std::vector<int> ka(std::size_t(rows) * S), kb(ka.size());
  mdn::sample_mixtures(full, S, o, 40, a.data(), ka.data());
  mdn::sample_mixtures(diag, S, o, 40, b.data(), kb.data());
  EXPECT_EQ(ka, kb);
  for (std::size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-12 * (1 + std::fabs(b[i])));
  o.sigma_scale = 0.0;
  mdn::MixtureBatch real = mdn::mixtures_from_head(full_spec(K, T), st, h.z);
  mdn::sample_mixtures(real, S, o, 0, a.data(), ka.data());
  for (int r = 0; r < rows; ++r)
    for (int s = 0; s < S; ++s)
      for (int d = 0; d < T; ++d)
        EXPECT_EQ(a[(std::size_t(r) * S + s) * T + d], real.mean(r, ka[std::size_t(r) * S + s], d));
}

TEST(FullCovMixture, JointCdfIsRefused) {
  // (Joint modes of full-covariance mixtures: tests/cpu/joint_modes_test.cpp.)
  std::mt19937_64 rng(2);
  const mdn::Standardizer st = stats_for(2, rng);
  const mdn::MixtureBatch mix = mdn::mixtures_from_head(full_spec(2, 2), st, random_heads(1, 2, 2, rng).z);
  const double y[2] = {0.0, 0.0};
  EXPECT_THROW(mdn::mixture_joint_cdf(mix, 0, y), mdn::Error);
  // cell_log_mass of full covariance: T = 2 computed, T > 2 refused (full_cov_cell_test.cpp).
}

mdn::Model full_model(unsigned seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> n(0.0f, 0.3f);
  mdn::Model m;
  m.spec = full_spec(3, 3);
  m.params.resize(mdn::ParameterLayout(m.spec).total);
  for (float& p : m.params) p = n(rng);
  m.stats = stats_for(3, rng);
  m.feature_names = {"x0", "x1"};
  m.target_names = {"a", "b", "c"};
  m.history.train_nll = {1.0f, 0.5f};
  return m;
}

std::string temp_path(const std::string& name) {
  return (::testing::TempDir().empty() ? std::string("/tmp/") : ::testing::TempDir()) + name;
}

TEST(FullCovMixture, ModelFileRoundTrip) {
  const mdn::Model m = full_model(21);
  const std::string path = temp_path("full_cov_round_trip.safetensors");
  mdn::save_model(m, path);
  const mdn::Model back = mdn::load_model(path);
  EXPECT_EQ(back.spec.covariance, mdn::Covariance::Full);
  EXPECT_EQ(mdn::spec_difference(back.spec, m.spec), "");
  EXPECT_EQ(back.params, m.params);
  // The head rows of c came back where the spec puts them: the same mixtures.
  mdn::Matrix z(2, m.spec.head_width());
  for (std::size_t i = 0; i < z.data.size(); ++i) z.data[i] = float(std::sin(double(i)));
  const mdn::MixtureBatch a = mdn::mixtures_from_head(m.spec, m.stats, z);
  const mdn::MixtureBatch b = mdn::mixtures_from_head(back.spec, back.stats, z);
  EXPECT_EQ(a.chol, b.chol);
  EXPECT_EQ(a.sigma, b.sigma);
  // A diagonal model is still written as version 2, without the key.
  mdn::Model d = m;
  d.spec.covariance = mdn::Covariance::Diagonal;
  d.params.resize(mdn::ParameterLayout(d.spec).total);
  const std::string dpath = temp_path("full_cov_round_trip_diag.safetensors");
  mdn::save_model(d, dpath);
  EXPECT_EQ(mdn::load_model(dpath).spec.covariance, mdn::Covariance::Diagonal);
  std::FILE* f = std::fopen(dpath.c_str(), "rb");
  ASSERT_NE(f, nullptr);
  std::string bytes(4096, '\0');
  bytes.resize(std::fread(&bytes[0], 1, bytes.size(), f));
  std::fclose(f);
  EXPECT_NE(bytes.find("\"mdn.format_version\":\"2\""), std::string::npos);
  EXPECT_EQ(bytes.find("covariance"), std::string::npos);
  f = std::fopen(path.c_str(), "rb");
  ASSERT_NE(f, nullptr);
  bytes.assign(8192, '\0');
  bytes.resize(std::fread(&bytes[0], 1, bytes.size(), f));
  std::fclose(f);
  EXPECT_NE(bytes.find("\"mdn.format_version\":\"3\""), std::string::npos);
  EXPECT_NE(bytes.find("z_offdiag.weight"), std::string::npos);
}

TEST(FullCovMixture, CheckpointKeepsTheCovariance) {
  mdn::Checkpoint c;
  c.model = full_model(4);
  c.state.epoch = 1;
  c.state.lr = 1e-3f;
  c.state.params = c.model.params;
  c.state.best_params = c.model.params;
  c.state.optimizer.m.assign(c.model.params.size(), 0.0f);
  c.state.optimizer.v.assign(c.model.params.size(), 0.0f);
  const std::string path = temp_path("full_cov_checkpoint.safetensors");
  mdn::save_checkpoint(c, path);
  const mdn::Checkpoint back = mdn::load_checkpoint(path);
  EXPECT_EQ(back.model.spec.covariance, mdn::Covariance::Full);
  EXPECT_EQ(back.state.params, c.model.params);
}

}  // namespace
