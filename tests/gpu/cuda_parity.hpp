// Helpers of the GPU parity tests (cuda_backend_test.cpp,
// full_cov_backend_test.cpp): the CUDA backend with its test hooks, random
// inputs and parameters, and comparisons held to each block's own scale.
//
// Tolerances are atol + rtol * |ref|, with atol a small fraction of the
// largest |ref| of the block compared (so a gradient slice of scale 1e8 and
// one of scale 1e-3 are each held to their own scale). A block is one layer's
// W or b, except in the head, where the logit, log-sigma, mean (and, with full
// covariance, off-diagonal) rows and z's columns are compared separately.
#pragma once
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "cuda/cuda_backend_internal.hpp"
#include "mdn/backend.hpp"
#include "mdn/error.hpp"
#include "mdn/matrix.hpp"
#include "mdn/spec.hpp"
#include "mdn/trainer.hpp"

namespace mdn::test::parity {

inline mdn::ModelSpec make_spec(int D, int T, int K, std::vector<int> hidden) {
  mdn::ModelSpec spec;
  spec.input_dim = D;
  spec.target_dim = T;
  spec.components = K;
  spec.hidden = std::move(hidden);
  return spec;
}

inline std::unique_ptr<mdn::cuda::BackendWithTestHooks> make_gpu(const mdn::ModelSpec& spec) {
#if defined(MDN_WITH_CUDA)
  mdn::CudaOptions options;
  options.tf32 = false;
  return mdn::cuda::make_backend_with_test_hooks(spec, options);
#else
  // Unreachable: without the CUDA backend cuda_available() is false and
  // CudaTest::SetUp skips first. (The symbol does not exist in such builds.)
  (void)spec;
  throw mdn::Error("this build has no CUDA backend");
#endif
}

// Float values as the double matrix of original-unit data.
inline mdn::MatrixD widened(const mdn::Matrix& m) {
  mdn::MatrixD out(m.rows, m.cols);
  std::copy(m.data.begin(), m.data.end(), out.data.begin());
  return out;
}

inline mdn::Matrix normal_matrix(int rows, int cols, double scale, std::mt19937_64& rng) {
  std::normal_distribution<double> normal(0.0, 1.0);
  mdn::Matrix m(rows, cols);
  for (float& v : m.data) v = float(scale * normal(rng));
  return m;
}

// Random weights of scale 1/sqrt(in), biases of scale 0.5.
inline std::vector<float> random_parameters(const mdn::ModelSpec& spec, std::mt19937_64& rng) {
  const mdn::ParameterLayout layout(spec);
  std::normal_distribution<double> normal(0.0, 1.0);
  std::vector<float> params(layout.total);
  for (const mdn::LayerSlice& layer : layout.layers) {
    const double w_scale = 1.0 / std::sqrt(double(layer.in));
    for (int i = 0; i < layer.in * layer.out; ++i) params[layer.weight_offset + i] = float(w_scale * normal(rng));
    for (int j = 0; j < layer.out; ++j) params[layer.bias_offset + j] = float(0.5 * normal(rng));
  }
  return params;
}

inline double max_abs(const float* v, std::size_t n) {
  double m = 0.0;
  for (std::size_t i = 0; i < n; ++i) m = std::max(m, double(std::fabs(v[i])));
  return m;
}

// Every got[i] within atol + rtol * |ref[i]|, atol = atol_scale * max|ref|.
inline void expect_close(const float* got, const float* ref, std::size_t n, double rtol, double atol_scale,
                         const std::string& what) {
  const double atol = atol_scale * max_abs(ref, n) + 1e-30;
  int reported = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const double diff = std::fabs(double(got[i]) - double(ref[i]));
    const bool ok = diff <= atol + rtol * std::fabs(double(ref[i]));
    if (!ok && reported++ < 5)
      ADD_FAILURE() << what << "[" << i << "]: got " << got[i] << ", reference " << ref[i] << " (|diff| " << diff
                    << " > " << atol << " + " << rtol << " * |ref|)";
  }
}

inline void expect_close(const std::vector<float>& got, const std::vector<float>& ref, double rtol, double atol_scale,
                         const std::string& what) {
  ASSERT_EQ(got.size(), ref.size()) << what;
  expect_close(got.data(), ref.data(), got.size(), rtol, atol_scale, what);
}

// The head's outputs come in three blocks of very different scale (in the
// far-targets case the log-sigma rows' gradients are ~1e7 while the logits'
// are O(1)): [0, K) logits, [K, K + KT) log-sigmas, [K + KT, K(1 + 2T)) means.
struct HeadBlock {
  const char* name;
  int begin, end;  // head outputs [begin, end)
};
inline std::vector<HeadBlock> head_blocks(const mdn::ModelSpec& spec) {
  const int K = spec.components, KT = spec.components * spec.target_dim;
  std::vector<HeadBlock> blocks{{"logits", 0, K}, {"log-sigmas", K, K + KT}, {"means", K + KT, K + 2 * KT}};
  if (spec.covariance == mdn::Covariance::Full) blocks.push_back({"off-diagonals", K + 2 * KT, spec.head_width()});
  return blocks;
}

// Parameter vectors compared one layer slice (W, then b) at a time, and the
// head layer one output block at a time (its W rows and b entries of the
// logits, the log-sigmas and the means separately), so that each block is
// held to its own scale.
inline void expect_close_per_slice(const mdn::ModelSpec& spec, const std::vector<float>& got,
                                   const std::vector<float>& ref, double rtol, double atol_scale,
                                   const std::string& what) {
  const mdn::ParameterLayout layout(spec);
  ASSERT_EQ(got.size(), layout.total);
  ASSERT_EQ(ref.size(), layout.total);
  for (std::size_t l = 0; l < layout.layers.size(); ++l) {
    const mdn::LayerSlice& layer = layout.layers[l];
    const bool head = l + 1 == layout.layers.size();
    const std::vector<HeadBlock> blocks = head ? head_blocks(spec) : std::vector<HeadBlock>{{"", 0, layer.out}};
    for (const HeadBlock& block : blocks) {
      const std::string suffix = head ? std::string(" (") + block.name + ")" : std::string();
      // W is out x in, row-major: output j's weights are row j.
      const std::size_t w_begin = layer.weight_offset + std::size_t(block.begin) * layer.in;
      const std::size_t w_count = std::size_t(block.end - block.begin) * layer.in;
      expect_close(got.data() + w_begin, ref.data() + w_begin, w_count, rtol, atol_scale,
                   what + " W" + std::to_string(l) + suffix);
      const std::size_t b_begin = layer.bias_offset + std::size_t(block.begin);
      expect_close(got.data() + b_begin, ref.data() + b_begin, std::size_t(block.end - block.begin), rtol, atol_scale,
                   what + " b" + std::to_string(l) + suffix);
    }
  }
}

// Head pre-activations z (n x K(1+2T)) compared one block of columns at a time.
inline void expect_close_z_per_block(const mdn::ModelSpec& spec, const mdn::Matrix& got, const mdn::Matrix& ref,
                                     double rtol, double atol_scale) {
  ASSERT_EQ(got.rows, ref.rows);
  ASSERT_EQ(got.cols, ref.cols);
  for (const HeadBlock& block : head_blocks(spec)) {
    std::vector<float> g, r;
    for (int i = 0; i < ref.rows; ++i)
      for (int j = block.begin; j < block.end; ++j) {
        g.push_back(got(i, j));
        r.push_back(ref(i, j));
      }
    expect_close(g, r, rtol, atol_scale, std::string("z (") + block.name + ")");
  }
}

inline void expect_near_rel(double got, double ref, double rtol, double atol, const std::string& what) {
  EXPECT_LE(std::fabs(got - ref), atol + rtol * std::fabs(ref)) << what << ": got " << got << ", reference " << ref;
}

// Mean |a - b| over two parameter vectors. After several Adam steps from the
// same start, GPU and CPU weights differ by float rounding except where a
// gradient near 0 rounds to opposite signs (Adam's first steps move such a
// weight by about lr either way), so trajectories are compared on the mean.
inline double mean_abs_difference(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double sum = 0.0;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i) sum += std::fabs(double(a[i]) - double(b[i]));
  return a.empty() ? 0.0 : sum / double(a.size());
}

struct Batches {
  std::vector<mdn::Matrix> x, t;
};

inline Batches random_batches(const mdn::ModelSpec& spec, int count, int rows, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Batches b;
  for (int i = 0; i < count; ++i) {
    b.x.push_back(normal_matrix(rows, spec.input_dim, 1.0, rng));
    b.t.push_back(normal_matrix(rows, spec.target_dim, 1.0, rng));
  }
  return b;
}

// loss_and_gradient (weights null) or weighted_loss_and_gradient on both
// backends, whose parameters the caller has set alike: the losses within
// 1e-5, every parameter gradient per slice (rtol 1e-3, 1e-4 of each block's
// scale). Returns the CPU's loss; its gradient is left in grad_cpu.
inline double expect_loss_and_gradient_match(mdn::Backend& cpu, mdn::Backend& gpu, const mdn::Matrix& x,
                                             const mdn::Matrix& t, std::vector<float>& grad_cpu,
                                             const std::vector<float>* weights = nullptr) {
  std::vector<float> grad_gpu;
  const double loss_cpu =
      weights ? cpu.weighted_loss_and_gradient(x, t, *weights, grad_cpu) : cpu.loss_and_gradient(x, t, grad_cpu);
  const double loss_gpu =
      weights ? gpu.weighted_loss_and_gradient(x, t, *weights, grad_gpu) : gpu.loss_and_gradient(x, t, grad_gpu);
  EXPECT_TRUE(std::isfinite(loss_cpu));
  const std::string what = weights ? "weighted " : "";
  expect_near_rel(loss_gpu, loss_cpu, 1e-5, 1e-5, what + "loss");
  expect_close_per_slice(cpu.spec(), grad_gpu, grad_cpu, 1e-3, 1e-4, what + "dL/dparams");
  return loss_cpu;
}

// Full-batch epochs (one minibatch holding every row: the shuffle only
// reorders the sum, so both backends take the same steps) from
// initial_parameters(spec, t, 2) at learning rate lr, on the CPU backend and
// on `gpu`: every epoch's loss within loss_rtol (and loss_rtol / 10
// absolute) of the CPU's, then the mean |parameter difference| below 1e-5.
inline void expect_full_batch_epochs_follow_the_cpu(mdn::Backend& gpu, const mdn::Matrix& x, const mdn::Matrix& t,
                                                    int epochs, float lr, double loss_rtol) {
  const mdn::ModelSpec& spec = gpu.spec();
  const std::vector<float> init = mdn::initial_parameters(spec, t, 2);
  auto cpu = mdn::make_cpu_backend(spec);
  for (mdn::Backend* b : {cpu.get(), &gpu}) {
    b->set_parameters(init);
    b->set_training_data(x, t);
  }
  mdn::EpochConfig config;
  config.batch_size = x.rows;
  config.adam.lr = lr;
  for (int epoch = 0; epoch < epochs; ++epoch) {
    config.shuffle_seed = std::uint64_t(epoch);
    const mdn::EpochStats a = cpu->train_epoch(config);
    const mdn::EpochStats b = gpu.train_epoch(config);
    EXPECT_EQ(b.samples, a.samples);
    EXPECT_EQ(b.finite, a.finite);
    expect_near_rel(b.mean_loss, a.mean_loss, loss_rtol, loss_rtol / 10, "epoch " + std::to_string(epoch) + " loss");
  }
  EXPECT_LT(mean_abs_difference(gpu.parameters(), cpu->parameters()), 1e-5);
}

// `epochs` minibatch epochs (batch 128, learning rate 3e-3, shuffle seed =
// epoch) on `backend` over (x, t) from initial_parameters(spec, t, 6);
// mean_nll over (x, t) before and after. Every epoch must be finite.
struct NllBeforeAfter {
  double before = 0.0, after = 0.0;
};
inline NllBeforeAfter train_minibatch_epochs(mdn::Backend& backend, const mdn::Matrix& x, const mdn::Matrix& t,
                                             int epochs) {
  backend.set_parameters(mdn::initial_parameters(backend.spec(), t, 6));
  backend.set_training_data(x, t);
  NllBeforeAfter nll;
  nll.before = backend.mean_nll(x, t);
  mdn::EpochConfig config;
  config.batch_size = 128;
  config.adam.lr = 3e-3f;
  for (int epoch = 0; epoch < epochs; ++epoch) {
    config.shuffle_seed = std::uint64_t(epoch);
    EXPECT_TRUE(backend.train_epoch(config).finite) << "epoch " << epoch;
  }
  nll.after = backend.mean_nll(x, t);
  return nll;
}

}  // namespace mdn::test::parity
