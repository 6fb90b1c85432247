// Per-row Gaussian mixtures in original units: what a trained model says
// about p(t | x) for each input row. Everything downstream (samples, moments,
// quantiles, modes, scores) starts from here.
#pragma once
#include <cstddef>
#include <vector>

#include "mdn/matrix.hpp"
#include "mdn/model.hpp"
#include "mdn/pit_map.hpp"
#include "mdn/target_transform.hpp"

namespace mdn {

// rows mixtures of K diagonal Gaussians over T dimensions, in double: a
// target far from 0 (mean 1e9, spread 0.05) keeps its spread. The weights of
// a row sum to 1 only up to the float rounding of the network's softmax;
// every consumer normalises them (detail/marginal_math.hpp).
struct MixtureBatch {
  int rows = 0, K = 0, T = 0;
  std::vector<double> alpha;  // rows x K, each row sums to 1 (up to float rounding)
  std::vector<double> mu;     // rows x K x T  (index (r*K + k)*T + d)
  std::vector<double> sigma;  // rows x K x T, > 0 (full covariance: each target's marginal std)
  // Full covariance only (ModelSpec::covariance, docs/MATH.md "Full
  // covariance"); empty for diagonal components. rows x K x T(T+1)/2: the
  // lower Cholesky factor A of each component's covariance (Sigma = A A^T),
  // in original units, row-major lower triangle (A_00, A_10, A_11, A_20, ...;
  // index (r*K + k)*T(T+1)/2 + i(i+1)/2 + j for j <= i). sigma then holds
  // sqrt((A A^T)_dd), so every per-target (marginal) consumer is exact
  // unchanged; joint consumers (mixture_nll, sample_mixtures, mixture_modes,
  // predictive_covariance) use A, and the rest refuse a batch with factors.
  std::vector<double> chol;
  // The recalibration every consumer applies (Model::recalibration): empty,
  // or one PIT map per target. Only fitted for T = 1; consumers that handle
  // several targets refuse a batch with maps and T > 1.
  std::vector<PitMap> pit_maps;
  // The target transforms (Model::target_transforms, mdn/target_transform.hpp)
  // BENEATH the PIT maps: empty, or one per target. With them mu and sigma
  // are the mixture of u = g(y) (in g's units, not standardised) and every
  // consumer answers in y: F(y) = G(F_u(g(y))), f(y) = g(F..) f_u(g(y)) g'(y),
  // Q(p) = g^-1(Q_u(G^-1(p))). Refused with full covariance.
  std::vector<TargetTransform> transforms;

  double weight(int r, int k) const { return alpha[std::size_t(r) * K + k]; }
  double mean(int r, int k, int d) const { return mu[(std::size_t(r) * K + k) * T + d]; }
  double stddev(int r, int k, int d) const { return sigma[(std::size_t(r) * K + k) * T + d]; }
  bool full_covariance() const { return !chol.empty(); }
  int chol_size() const { return T * (T + 1) / 2; }
  // Entry (i, j), j <= i, of component k's covariance factor (full only).
  const double* factor(int r, int k) const { return chol.data() + (std::size_t(r) * K + k) * chol_size(); }
  // Target d's transform, or null when there is none.
  const TargetTransform* transform(int d) const {
    return transforms.empty() || transforms[std::size_t(d)].identity() ? nullptr : &transforms[std::size_t(d)];
  }
  bool transformed() const {
    for (int d = 0; d < int(transforms.size()); ++d)
      if (transform(d) != nullptr) return true;
    return false;
  }
  // Target d's PIT map, or null when its distribution is the plain mixture.
  const PitMap* pit_map(int d) const {
    return pit_maps.empty() || pit_maps[std::size_t(d)].identity() ? nullptr : &pit_maps[std::size_t(d)];
  }
};

// Mixtures from head pre-activations z (rows x K(1+2T), standardised units),
// mapped to original units with the model's target statistics (in double:
// mu = t_mean + t_scale * m, sigma = t_scale * exp(s)). For a full-covariance
// spec (head [a | s | m | c]) also chol: A = diag(t_scale) A_std with A_std
// = L^-1 (detail/full_cov_gaussian.hpp), and sigma its rows' norms. For a Model,
// z is read with model.mixture_spec() (an ensemble's combined head) and the
// batch carries the model's recalibration and target transforms.
MixtureBatch mixtures_from_head(const ModelSpec& spec, const Standardizer& stats, const Matrix& z);
inline MixtureBatch mixtures_from_head(const Model& model, const Matrix& z) {
  MixtureBatch mix = mixtures_from_head(model.mixture_spec(), model.stats, z);
  mix.pit_maps = model.recalibration.maps;
  mix.transforms = model.target_transforms;
  return mix;
}

}  // namespace mdn
