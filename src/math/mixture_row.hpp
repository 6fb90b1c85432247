// Internal: one row of a MixtureBatch as raw pointers, in the layout of
// detail/marginal_math.hpp (alpha[K], mu / sigma [k*T + d]).
#pragma once
#include <cstddef>

#include "mdn/mixture.hpp"

namespace mdn::detail {

struct MixtureRow {
  const double* alpha;
  const double* mu;
  const double* sigma;
  int K, T;
};

inline MixtureRow mixture_row(const MixtureBatch& mix, int r) {
  const std::size_t kt = std::size_t(mix.K) * mix.T;
  return {mix.alpha.data() + std::size_t(r) * mix.K, mix.mu.data() + std::size_t(r) * kt,
          mix.sigma.data() + std::size_t(r) * kt, mix.K, mix.T};
}

}  // namespace mdn::detail
