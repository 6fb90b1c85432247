// Library results written into the flat arrays the bindings return, shared by
// the methods on X (predictions.cpp: a model's mixtures, chunk by chunk) and
// the functions on mixture arrays (mixtures.cpp: mdn.MixtureDistribution).
#pragma once
#include <algorithm>
#include <cstddef>
#include <vector>

#include "mdn/predictive.hpp"

namespace mdn_python {

// The joint CDF of correlated (full-covariance) components is a multivariate
// normal orthant probability with no closed form: refused (mdn/joint_cdf.hpp).
inline constexpr const char kNoFullJointCdf[] =
    "the joint CDF (joint=True) of a full-covariance model is not supported (a correlated Gaussian's box "
    "probability has no closed form); the per-target CDFs (joint=False) are exact";

// A full-covariance batch's factors (MixtureBatch::chol, each component's
// packed lower triangle A_00, A_10, A_11, A_20, ...) as dense lower-triangular
// matrices, rows x K x T x T with zeros above the diagonal: scale_tril, what
// torch's MultivariateNormal(scale_tril=) takes. Empty for a diagonal batch.
inline std::vector<double> dense_factors(const mdn::MixtureBatch& mix) {
  if (!mix.full_covariance()) return {};
  const std::size_t T = std::size_t(mix.T), P = std::size_t(mix.chol_size());
  const std::size_t comps = std::size_t(mix.rows) * std::size_t(mix.K);
  std::vector<double> out(comps * T * T, 0.0);
  for (std::size_t c = 0; c < comps; ++c)
    for (std::size_t i = 0; i < T; ++i)
      for (std::size_t j = 0; j <= i; ++j) out[(c * T + i) * T + j] = mix.chol[c * P + i * (i + 1) / 2 + j];
  return out;
}

// Row `row`'s modes (at most K, highest density first) into location
// (n x K x T) and density (n x K); the entries past the last mode are left
// as they are (NaN).
inline void put_modes(const std::vector<mdn::Mode>& found, std::size_t row, std::size_t K, std::size_t T,
                      double* location, double* density) {
  for (std::size_t i = 0; i < std::min(K, found.size()); ++i) {
    density[row * K + i] = found[i].density;
    for (std::size_t d = 0; d < T; ++d) location[(row * K + i) * T + d] = found[i].location[d];
  }
}

// Row `row`'s highest-density intervals of target d into ends
// (n x T x K x 2); the entries past the last interval are left (NaN).
inline void put_region(const mdn::DensityRegion& region, std::size_t row, std::size_t d, std::size_t T, std::size_t K,
                       double* ends) {
  const auto& iv = region.intervals;
  for (std::size_t i = 0; i < std::min(K, iv.size()); ++i) {
    ends[((row * T + d) * K + i) * 2] = iv[i].lo;
    ends[((row * T + d) * K + i) * 2 + 1] = iv[i].hi;
  }
}

}  // namespace mdn_python
