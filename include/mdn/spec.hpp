// The shape of a model: D inputs, T targets, K components, hidden widths, and
// the clamp on log-sigma. Also the layout of the one flat parameter buffer.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "mdn/matrix.hpp"

namespace mdn {

// Default clamp on the head's log-sigma s (standardised target units):
// sigma in [1e-4, 1e3]. Outside the range the forward pass uses the bound and
// the gradient w.r.t. s is zero. See docs/MATH.md.
inline constexpr float kDefaultLogSigmaMin = -9.2103404f;  // log(1e-4); each model file carries its own
inline constexpr float kDefaultLogSigmaMax = 6.907755f;    // log(1e3)

// Largest K and T the fused GPU head kernel supports (the CPU has no limit
// beyond memory, but the model format uses the same bound so files travel).
inline constexpr int kMaxComponents = 32;
inline constexpr int kMaxTargetDim = 8;

// The covariance of each component (issue 30). Diagonal: the model of
// DESIGN.md. Full: each component also has T(T-1)/2 off-diagonals of its
// precision factor (include/mdn/detail/full_cov_math.hpp, docs/MATH.md
// "Full covariance"); trained by both backends, saved (model format 3),
// predicted, sampled and evaluated through MixtureBatch::chol.
enum class Covariance { Diagonal, Full };

struct ModelSpec {
  int input_dim = 0;   // D
  int target_dim = 1;  // T
  int components = 5;  // K
  std::vector<int> hidden{50, 50};
  std::string activation = "tanh";
  float log_sigma_min = kDefaultLogSigmaMin;
  float log_sigma_max = kDefaultLogSigmaMax;
  Covariance covariance = Covariance::Diagonal;

  // z = [a (K) | s (K*T, index k*T+d) | m (K*T, index k*T+d)], and for
  // full covariance then | c (K*T(T-1)/2, index k*T(T-1)/2 + j(j-1)/2 + i) |.
  int head_width() const {
    const int P = covariance == Covariance::Full ? target_dim * (target_dim - 1) / 2 : 0;
    return components * (1 + 2 * target_dim + P);
  }
  int logit_offset() const { return 0; }
  int log_sigma_offset() const { return components; }
  int mean_offset() const { return components + components * target_dim; }
  int offdiag_offset() const { return components + 2 * components * target_dim; }  // full covariance only

  // Throws UsageError naming the offending field.
  void validate() const;
};

// "" when `a` and `b` describe the same network; otherwise the first
// difference in words, naming the field and both values ("components
// (K): 5 vs 3", "hidden layers: 64,64 vs 32").
std::string spec_difference(const ModelSpec& a, const ModelSpec& b);

// One dense layer inside the flat parameter buffer: W is (out x in) row-major
// (PyTorch's nn.Linear layout), then b (out).
struct LayerSlice {
  int in = 0;
  int out = 0;
  std::size_t weight_offset = 0;
  std::size_t bias_offset = 0;
};

// Layers 0..L-1 are the tanh hidden layers; the last one is the linear head.
struct ParameterLayout {
  std::vector<LayerSlice> layers;
  std::size_t total = 0;

  explicit ParameterLayout(const ModelSpec& spec);
  const LayerSlice& head() const { return layers.back(); }
  int max_width() const;  // widest activation (including D and the head)
};

// The one check of the GPU kernels' limits: throws mdn::Error naming `what`
// ("GPU sampling", "the CUDA mixture head", ...) unless 1 <= K <= kMaxComponents
// and 1 <= T <= kMaxTargetDim.
void check_kernel_limits(int K, int T, const std::string& what);

// Shape checks every backend applies to its inputs: x is (n x D), t is
// (n x T). Throw mdn::Error saying what was expected.
void check_batch(const ModelSpec& spec, const Matrix& x);
void check_batch(const ModelSpec& spec, const Matrix& x, const Matrix& t);

}  // namespace mdn
