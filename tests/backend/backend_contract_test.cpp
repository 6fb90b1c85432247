// The backend contract: one typed suite (the shape of crc32c's per-
// implementation tests and ggml's test-backend-ops) that runs every Backend
// operation — parameters, forward, loss and gradient, mean NLL, an Adam step,
// an epoch, predictive statistics, sampling — on each backend and checks it
// against references written here, independently of the library's code:
//   * a naive double-precision MLP + mixture loss (loops, std::tanh, log-sum-exp),
//   * central finite differences of that loss for the gradient,
//   * Adam and gradient clipping from their textbook formulas,
//   * Simpson quadrature of the mixture density for mean and std, and the
//     mixture CDF (std::erfc) at each returned quantile,
//   * sample moments of many draws for the sampler.
// The CPU instantiation runs everywhere; the CUDA one skips (GTEST_SKIP in
// SetUp) without a usable device, and fails instead, with the reason, under
// MDN_REQUIRE_GPU (tests/gpu/require_gpu.hpp, the GPU fixture's rule). Tolerances are those of float arithmetic
// against a double reference: atol + rtol * |ref|.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "common/epoch_traversal.hpp"
#include "cpu/numeric_integration.hpp"
#include "gpu/require_gpu.hpp"
#include "mdn/backend.hpp"
#include "mdn/error.hpp"

// ---- the backends under test (global names: CTest shows them in the test names)
// ---------------------------------------------------------
struct CpuBackend {
  static std::string unavailable_reason() { return {}; }
  static std::unique_ptr<mdn::Backend> make(const mdn::ModelSpec& spec) { return mdn::make_cpu_backend(spec); }
};

struct CudaBackend {
  // Empty when usable; else the module's, the runtime's and the driver's status.
  static std::string unavailable_reason() { return mdn::test::gpu_unavailable_reason(); }
  static std::unique_ptr<mdn::Backend> make(const mdn::ModelSpec& spec) { return mdn::make_cuda_backend(spec); }
};

namespace mdn {
namespace {

// ---- independent references (double precision, naive loops) --------------------------
ModelSpec small_spec() {
  ModelSpec spec;
  spec.input_dim = 3;
  spec.target_dim = 2;
  spec.components = 3;
  spec.hidden = {5, 4};
  return spec;
}

// z (head_width) of one row: h_l = tanh(W_l h + b_l), z = W_o h + b_o, W row-major (out x in).
std::vector<double> reference_head(const ModelSpec& spec, const std::vector<double>& p, const float* x) {
  std::vector<double> h(x, x + spec.input_dim);
  std::size_t offset = 0;
  std::vector<int> widths = spec.hidden;
  widths.push_back(spec.head_width());
  for (std::size_t l = 0; l < widths.size(); ++l) {
    const int in = int(h.size()), out = widths[l];
    std::vector<double> next(out);
    for (int o = 0; o < out; ++o) {
      double a = p[offset + std::size_t(in) * out + o];  // bias after the weights
      for (int i = 0; i < in; ++i) a += p[offset + std::size_t(o) * in + i] * h[i];
      next[o] = l + 1 < widths.size() ? std::tanh(a) : a;
    }
    offset += std::size_t(in) * out + out;
    h = next;
  }
  return h;
}

// -log p(t | z) with z = [logits (K) | log-sigmas (K x T) | means (K x T)],
// log-sigmas clamped to the spec's range.
double reference_nll(const ModelSpec& spec, const std::vector<double>& z, const float* t) {
  const int K = spec.components, T = spec.target_dim;
  double amax = z[0];
  for (int k = 1; k < K; ++k) amax = std::max(amax, z[k]);
  double asum = 0.0;
  for (int k = 0; k < K; ++k) asum += std::exp(z[k] - amax);
  std::vector<double> l(K);
  for (int k = 0; k < K; ++k) {
    l[k] = z[k] - amax - std::log(asum);
    for (int d = 0; d < T; ++d) {
      const double s = std::clamp(z[K + k * T + d], double(spec.log_sigma_min), double(spec.log_sigma_max));
      const double u = (t[d] - z[K + K * T + k * T + d]) / std::exp(s);
      l[k] += -0.5 * u * u - s - 0.5 * std::log(2.0 * M_PI);
    }
  }
  const double lmax = *std::max_element(l.begin(), l.end());
  double sum = 0.0;
  for (double v : l) sum += std::exp(v - lmax);
  return -(lmax + std::log(sum));
}

double reference_mean_loss(const ModelSpec& spec, const std::vector<double>& p, const Matrix& x, const Matrix& t) {
  double sum = 0.0;
  for (int r = 0; r < x.rows; ++r) sum += reference_nll(spec, reference_head(spec, p, x.row(r)), t.row(r));
  return sum / x.rows;
}

// (1/n) sum_i w_i nll_i: the loss with sample weights.
double reference_weighted_loss(const ModelSpec& spec, const std::vector<double>& p, const Matrix& x, const Matrix& t,
                               const std::vector<float>& w) {
  double sum = 0.0;
  for (int r = 0; r < x.rows; ++r)
    sum += w[std::size_t(r)] * reference_nll(spec, reference_head(spec, p, x.row(r)), t.row(r));
  return sum / x.rows;
}

// Gridded targets (Backend::set_target_cells): -log of sum_k alpha_k prod_d
// M_kd, M the component's mass on [t - c, t + c] over 2c (Phi by erfc), or its
// density where c = 0.
double reference_cell_nll(const ModelSpec& spec, const std::vector<double>& z, const float* t,
                          const std::vector<double>& c) {
  const int K = spec.components, T = spec.target_dim;
  const auto Phi = [](double u) { return 0.5 * std::erfc(-u / std::sqrt(2.0)); };
  double norm = 0.0, p = 0.0;
  for (int k = 0; k < K; ++k) norm += std::exp(z[k]);
  for (int k = 0; k < K; ++k) {
    double pk = std::exp(z[k]) / norm;
    for (int d = 0; d < T; ++d) {
      const double sigma =
          std::exp(std::clamp(z[K + k * T + d], double(spec.log_sigma_min), double(spec.log_sigma_max)));
      const double m = z[K + K * T + k * T + d];
      pk *= c[d] > 0 ? (Phi((t[d] + c[d] - m) / sigma) - Phi((t[d] - c[d] - m) / sigma)) / (2 * c[d])
                     : std::exp(-0.5 * std::pow((t[d] - m) / sigma, 2)) / (sigma * std::sqrt(2 * M_PI));
    }
    p += pk;
  }
  return -std::log(p);
}

double reference_mean_cell_loss(const ModelSpec& spec, const std::vector<double>& p, const Matrix& x, const Matrix& t,
                                const std::vector<double>& c) {
  double sum = 0.0;
  for (int r = 0; r < x.rows; ++r) sum += reference_cell_nll(spec, reference_head(spec, p, x.row(r)), t.row(r), c);
  return sum / x.rows;
}

std::vector<double> to_double(const std::vector<float>& v) { return {v.begin(), v.end()}; }

// Weights with a zero, fractions and integers, mean about 1.
std::vector<float> some_weights(int rows) {
  std::vector<float> w(static_cast<std::size_t>(rows));
  for (int r = 0; r < rows; ++r) w[std::size_t(r)] = r % 5 == 0 ? 0.0f : 0.25f * float(1 + r % 7);
  return w;
}

struct Problem {
  ModelSpec spec = small_spec();
  std::vector<float> params;
  Matrix x, t;
};

// Parameters small enough that every log-sigma stays inside the clamp (where
// the gradient is defined), targets near the means so every component matters.
Problem make_problem(int rows, std::uint64_t seed) {
  Problem p;
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> n(0.0f, 1.0f);
  p.params.resize(ParameterLayout(p.spec).total);
  for (float& v : p.params) v = 0.4f * n(rng);
  p.x = Matrix(rows, p.spec.input_dim);
  p.t = Matrix(rows, p.spec.target_dim);
  for (float& v : p.x.data) v = n(rng);
  for (float& v : p.t.data) v = 0.7f * n(rng);
  return p;
}

::testing::AssertionResult near(double got, double want, double atol, double rtol) {
  if (std::fabs(got - want) <= atol + rtol * std::fabs(want)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << got << " vs reference " << want << " (atol " << atol << ", rtol " << rtol
                                       << ")";
}

// Every entry of grad against central differences of loss(params). h = 1e-6
// in double: truncation ~1e-12, rounding ~1e-10; the float gradient itself
// carries ~1e-6 relative error, hence the tolerance.
template <class Loss>
void expect_central_differences(const std::vector<float>& grad, std::vector<double> params, Loss loss) {
  ASSERT_EQ(grad.size(), params.size());
  const double h = 1e-6;
  for (std::size_t i = 0; i < params.size(); ++i) {
    const double saved = params[i];
    params[i] = saved + h;
    const double up = loss(params);
    params[i] = saved - h;
    const double down = loss(params);
    params[i] = saved;
    ASSERT_TRUE(near(grad[i], (up - down) / (2 * h), 2e-5, 2e-4)) << "parameter " << i;
  }
}

// ---- the suite ---------------------------------------------------------------------------
template <class Kind>
class BackendContract : public ::testing::Test {
 protected:
  void SetUp() override {
    const std::string reason = Kind::unavailable_reason();
    if (!reason.empty()) MDN_SKIP_OR_FAIL(reason);
    // The tolerances are FP32's: TF32 GEMMs must not enter through the
    // environment (cuBLAS honours NVIDIA_TF32_OVERRIDE), so refuse to run.
    const char* tf32 = std::getenv("NVIDIA_TF32_OVERRIDE");
    if (tf32 != nullptr && std::string(tf32) != "0") FAIL() << "unset NVIDIA_TF32_OVERRIDE to run the FP32 contract";
  }
  std::unique_ptr<Backend> make(const Problem& p) {
    auto backend = Kind::make(p.spec);
    backend->set_parameters(p.params);
    return backend;
  }
};

using Backends = ::testing::Types<CpuBackend, CudaBackend>;
TYPED_TEST_SUITE(BackendContract, Backends);

TYPED_TEST(BackendContract, ParametersAndOptimizerStateRoundTrip) {
  const Problem p = make_problem(4, 1);
  auto backend = this->make(p);
  EXPECT_EQ(backend->parameters(), p.params);
  OptimizerState state;
  state.m.assign(p.params.size(), 0.25f);
  state.v.assign(p.params.size(), 0.5f);
  state.step = 7;
  backend->set_optimizer_state(state);
  const OptimizerState back = backend->optimizer_state();
  EXPECT_EQ(back.m, state.m);
  EXPECT_EQ(back.v, state.v);
  EXPECT_EQ(back.step, 7);
  EXPECT_THROW(backend->set_parameters(std::vector<float>(p.params.size() + 1)), Error);
}

TYPED_TEST(BackendContract, ForwardMatchesTheNaiveNetwork) {
  const Problem p = make_problem(300, 2);
  auto backend = this->make(p);
  const Matrix z = backend->forward(p.x);
  ASSERT_EQ(z.rows, p.x.rows);
  ASSERT_EQ(z.cols, p.spec.head_width());
  const std::vector<double> params = to_double(p.params);
  for (int r = 0; r < p.x.rows; ++r) {
    const std::vector<double> want = reference_head(p.spec, params, p.x.row(r));
    for (int j = 0; j < z.cols; ++j) ASSERT_TRUE(near(z(r, j), want[j], 1e-5, 1e-4)) << "row " << r << " z " << j;
  }
}

TYPED_TEST(BackendContract, LossAndMeanNllMatchTheNaiveMixture) {
  const Problem p = make_problem(257, 3);
  auto backend = this->make(p);
  const double want = reference_mean_loss(p.spec, to_double(p.params), p.x, p.t);
  std::vector<float> grad;
  EXPECT_TRUE(near(backend->loss_and_gradient(p.x, p.t, grad), want, 1e-5, 1e-5));
  EXPECT_TRUE(near(backend->mean_nll(p.x, p.t), want, 1e-5, 1e-5));
}

TYPED_TEST(BackendContract, GradientMatchesCentralDifferencesOfTheReference) {
  const Problem p = make_problem(6, 4);
  auto backend = this->make(p);
  std::vector<float> grad;
  backend->loss_and_gradient(p.x, p.t, grad);
  expect_central_differences(grad, to_double(p.params),
                             [&](const std::vector<double>& q) { return reference_mean_loss(p.spec, q, p.x, p.t); });
}

TYPED_TEST(BackendContract, WeightedLossGradientAndNllSumMatchTheWeightedReference) {
  const Problem p = make_problem(6, 14);
  const std::vector<float> w = some_weights(p.x.rows);
  auto backend = this->make(p);
  std::vector<double> params = to_double(p.params);
  std::vector<float> grad;
  EXPECT_TRUE(near(backend->weighted_loss_and_gradient(p.x, p.t, w, grad),
                   reference_weighted_loss(p.spec, params, p.x, p.t, w), 1e-5, 1e-5));
  expect_central_differences(
      grad, params, [&](const std::vector<double>& q) { return reference_weighted_loss(p.spec, q, p.x, p.t, w); });
  EXPECT_TRUE(near(backend->weighted_nll_sum(p.x, p.t, w),
                   p.x.rows * reference_weighted_loss(p.spec, params, p.x, p.t, w), 1e-4, 1e-5));
  EXPECT_THROW(backend->weighted_loss_and_gradient(p.x, p.t, std::vector<float>(2, 1.0f), grad), Error);
}

TYPED_TEST(BackendContract, AWeightedEpochAtZeroLearningRateIsTheWeightedMeanAndNewDataClearsTheWeights) {
  // Four full batches of equal size: the mean of the minibatch losses is
  // (1/n) sum w_i nll_i over all rows whatever the shuffle, if every row
  // meets its own weight (a gather that pairs rows with other rows' weights
  // gives another number).
  const int B = 64;
  const Problem p = make_problem(4 * B, 16);
  const std::vector<float> w = some_weights(p.x.rows);
  auto backend = this->make(p);
  backend->set_training_data(p.x, p.t);
  backend->set_training_weights(w);
  EpochConfig config;
  config.batch_size = B;
  config.adam.lr = 0.0f;
  config.shuffle_seed = 12;
  const std::vector<double> params = to_double(p.params);
  EpochStats stats = backend->train_epoch(config);
  EXPECT_TRUE(stats.finite);
  EXPECT_TRUE(near(stats.mean_loss, reference_weighted_loss(p.spec, params, p.x, p.t, w), 1e-5, 1e-5));
  backend->set_training_data(p.x, p.t);  // no weights until they are set again
  stats = backend->train_epoch(config);
  EXPECT_TRUE(near(stats.mean_loss, reference_mean_loss(p.spec, params, p.x, p.t), 1e-5, 1e-5));
  EXPECT_THROW(backend->set_training_weights(std::vector<float>(3, 1.0f)), Error);
}

TYPED_TEST(BackendContract, GriddedTargetsScoreTheirCellsInEveryLossAndEpoch) {
  const std::vector<double> cells = {0.3, 0.0};  // target 0 on a grid, target 1 continuous
  Problem p = make_problem(4 * 64, 17);
  auto backend = this->make(p);
  ASSERT_TRUE(backend->set_target_cells(cells));
  std::vector<double> params = to_double(p.params);
  const double want = reference_mean_cell_loss(p.spec, params, p.x, p.t, cells);
  std::vector<float> grad;
  EXPECT_TRUE(near(backend->loss_and_gradient(p.x, p.t, grad), want, 1e-5, 1e-5));
  EXPECT_TRUE(near(backend->mean_nll(p.x, p.t), want, 1e-5, 1e-5));
  EXPECT_TRUE(near(backend->weighted_nll_sum(p.x, p.t, {}), p.x.rows * want, 1e-3, 1e-5));
  backend->set_training_data(p.x, p.t);
  EpochConfig config;
  config.batch_size = 64;
  config.adam.lr = 0.0f;
  config.shuffle_seed = 5;
  EXPECT_TRUE(near(backend->train_epoch(config).mean_loss, want, 1e-5, 1e-5));  // the captured steps too
  // The gradient, on a few rows, against central differences of the reference.
  const Problem few = make_problem(6, 18);
  backend->set_parameters(few.params);
  backend->loss_and_gradient(few.x, few.t, grad);
  params = to_double(few.params);
  expect_central_differences(grad, params, [&](const std::vector<double>& q) {
    return reference_mean_cell_loss(few.spec, q, few.x, few.t, cells);
  });
  ASSERT_TRUE(backend->set_target_cells({}));  // densities again
  EXPECT_TRUE(near(backend->mean_nll(few.x, few.t), reference_mean_loss(few.spec, params, few.x, few.t), 1e-5, 1e-5));
}

TYPED_TEST(BackendContract, AdamStepFollowsTheTextbookWithClipping) {
  const Problem p = make_problem(4, 5);
  auto backend = this->make(p);
  std::mt19937_64 rng(9);
  std::normal_distribution<float> n(0.0f, 3.0f);
  std::vector<float> g(p.params.size());
  for (float& v : g) v = n(rng);
  AdamConfig adam;
  adam.lr = 0.01f;
  adam.clip_norm = 5.0f;  // below the gradient's norm: clipping is active
  double norm = 0.0;
  for (float v : g) norm += double(v) * v;
  norm = std::sqrt(norm);
  ASSERT_GT(norm, adam.clip_norm);

  std::vector<double> want = to_double(p.params), m(want.size(), 0.0), v(want.size(), 0.0);
  for (int step = 1; step <= 2; ++step) {
    EXPECT_TRUE(near(backend->adam_step(g, adam), norm, 1e-6, 1e-6));
    for (std::size_t i = 0; i < want.size(); ++i) {
      const double gi = g[i] * adam.clip_norm / norm;
      m[i] = adam.beta1 * m[i] + (1 - adam.beta1) * gi;
      v[i] = adam.beta2 * v[i] + (1 - adam.beta2) * gi * gi;
      const double m_hat = m[i] / (1 - std::pow(double(adam.beta1), step));
      const double v_hat = v[i] / (1 - std::pow(double(adam.beta2), step));
      want[i] -= adam.lr * m_hat / (std::sqrt(v_hat) + adam.eps);
    }
  }
  const std::vector<float> got = backend->parameters();
  for (std::size_t i = 0; i < want.size(); ++i) ASSERT_TRUE(near(got[i], want[i], 1e-6, 1e-5)) << "parameter " << i;
  EXPECT_EQ(backend->optimizer_state().step, 2);
}

TYPED_TEST(BackendContract, AnEpochAtZeroLearningRateScoresEveryRowOnce) {
  // Four full batches: the mean of the minibatch means is the mean over all
  // rows whatever the shuffle, but only if every row is used exactly once (a
  // gather stuck on one batch, or rows repeated, give another number).
  const int B = 64;
  const Problem p = make_problem(4 * B, 6);
  auto backend = this->make(p);
  backend->set_training_data(p.x, p.t);
  EpochConfig config;
  config.batch_size = B;
  config.adam.lr = 0.0f;
  config.shuffle_seed = 11;
  const EpochStats stats = backend->train_epoch(config);
  EXPECT_TRUE(stats.finite);
  EXPECT_EQ(stats.samples, 4 * B);
  EXPECT_TRUE(near(stats.mean_loss, reference_mean_loss(p.spec, to_double(p.params), p.x, p.t), 1e-5, 1e-5));
  EXPECT_EQ(backend->parameters(), p.params);  // lr = 0: no update
}

TYPED_TEST(BackendContract, AnEpochUsesEveryRowOnceInTheReportedOrderIncludingThePartialBatch) {
  // R = 4 B + r rows at learning rate 0: the epoch's loss must be the mean of
  // mean_nll over the batches its reported order names, and every row counted
  // once (tests/common/epoch_traversal.hpp).
  ModelSpec spec;
  spec.input_dim = 3;
  spec.target_dim = 2;
  spec.components = 3;
  spec.hidden = {8};
  auto backend = TypeParam::make(spec);
  EXPECT_TRUE(backend->last_epoch_order().empty());
  test::check_epoch_traversal(*backend);
}

TYPED_TEST(BackendContract, EpochsLowerTheLossAndRepeatForASeed) {
  const Problem p = make_problem(512, 7);
  auto run = [&] {
    auto backend = this->make(p);
    backend->set_training_data(p.x, p.t);
    EpochConfig config;
    config.batch_size = 50;  // a partial last batch
    config.adam.lr = 0.01f;
    for (int epoch = 0; epoch < 5; ++epoch) {
      config.shuffle_seed = std::uint64_t(epoch);
      EXPECT_TRUE(backend->train_epoch(config).finite);
    }
    return backend;
  };
  auto a = run();
  auto b = run();
  EXPECT_EQ(a->parameters(), b->parameters());
  EXPECT_LT(a->mean_nll(p.x, p.t), reference_mean_loss(p.spec, to_double(p.params), p.x, p.t) - 0.05);
}

// Two-component mixtures over T = 1 with known shapes, for the statistics.
MixtureBatch statistics_batch() {
  MixtureBatch mix;
  mix.rows = 3;
  mix.K = 2;
  mix.T = 1;
  mix.alpha = {0.3f, 0.7f, 0.5f, 0.5f, 1.0f, 0.0f};
  mix.mu = {-2.0f, 1.0f, 0.0f, 0.5f, 10.0f, 3.0f};
  mix.sigma = {0.5f, 1.5f, 1.0f, 0.2f, 2.0f, 1.0f};
  return mix;
}

double mixture_cdf(const MixtureBatch& m, int r, double y) {
  double F = 0.0;
  for (int k = 0; k < m.K; ++k)
    F += m.weight(r, k) * 0.5 * std::erfc(-(y - m.mean(r, k, 0)) / (m.stddev(r, k, 0) * M_SQRT2));
  return F;
}

double mixture_pdf(const MixtureBatch& m, int r, double y) {
  double p = 0.0;
  for (int k = 0; k < m.K; ++k) {
    const double s = m.stddev(r, k, 0), u = (y - m.mean(r, k, 0)) / s;
    p += m.weight(r, k) * std::exp(-0.5 * u * u) / (s * std::sqrt(2.0 * M_PI));
  }
  return p;
}

TYPED_TEST(BackendContract, StatisticsMatchQuadratureAndTheCdf) {
  const Problem p = make_problem(1, 8);
  auto backend = this->make(p);
  const MixtureBatch mix = statistics_batch();
  const std::vector<double> levels{0.9, 0.05, 0.5};
  const PredictiveStatistics s = backend->statistics(mix, levels);
  for (int r = 0; r < mix.rows; ++r) {
    const double mean = test::simpson([&](double y) { return y * mixture_pdf(mix, r, y); }, -40, 40, 20000);
    const double second = test::simpson([&](double y) { return y * y * mixture_pdf(mix, r, y); }, -40, 40, 20000);
    EXPECT_TRUE(near(s.moments.mean[r], mean, 1e-8, 1e-8)) << "row " << r;
    EXPECT_TRUE(near(s.moments.stddev[r], std::sqrt(second - mean * mean), 1e-7, 1e-7)) << "row " << r;
    for (std::size_t j = 0; j < levels.size(); ++j)
      EXPECT_TRUE(near(mixture_cdf(mix, r, s.quantiles[r * levels.size() + j]), levels[j], 1e-9, 0))
          << "row " << r << " level " << levels[j];
  }
  EXPECT_THROW(backend->statistics(mix, {0.5, 1.0}), UsageError);
}

TYPED_TEST(BackendContract, SamplesFollowTheMixtureAndDependOnlyOnSeedRowAndIndex) {
  const Problem p = make_problem(40, 9);
  auto backend = this->make(p);
  Standardizer stats;
  stats.t_mean = {1.0f, -2.0f};
  stats.t_scale = {2.0f, 0.5f};
  const Matrix z = backend->forward(p.x);
  const int S = 4000, T = p.spec.target_dim;
  SampleOptions options;
  options.seed = 5;
  std::vector<double> all(std::size_t(z.rows) * S * T);
  backend->sample(z, stats, S, options, 100, all.data());

  // Moments of each row's draws against the row's mixture (the host
  // reference, mixtures_from_head + closed-form moments): within 5 standard errors.
  const MixtureBatch mix = mixtures_from_head(p.spec, stats, z);
  for (int r = 0; r < z.rows; ++r)
    for (int d = 0; d < T; ++d) {
      double mean = 0.0, second = 0.0;
      for (int k = 0; k < mix.K; ++k) {
        const double mu = mix.mean(r, k, d), sd = mix.stddev(r, k, d);
        mean += mix.weight(r, k) * mu;
        second += mix.weight(r, k) * (sd * sd + mu * mu);
      }
      const double sd = std::sqrt(second - mean * mean);
      double got = 0.0;
      for (int s = 0; s < S; ++s) got += all[(std::size_t(r) * S + s) * T + d];
      got /= S;
      EXPECT_NEAR(got, mean, 5.0 * sd / std::sqrt(double(S))) << "row " << r << " d " << d;
    }

  // Rows 10..19 sampled alone, keyed by their global index, give the same draws.
  Matrix part(10, z.cols);
  std::copy(z.row(10), z.row(20), part.data.begin());
  std::vector<double> some(std::size_t(10) * S * T);
  backend->sample(part, stats, S, options, 110, some.data());
  EXPECT_TRUE(std::equal(some.begin(), some.end(), all.begin() + std::size_t(10) * S * T));

  options.seed = 6;
  backend->sample(part, stats, S, options, 110, some.data());
  EXPECT_FALSE(std::equal(some.begin(), some.end(), all.begin() + std::size_t(10) * S * T));
}

}  // namespace
}  // namespace mdn
