// Library results written into the flat arrays the bindings return, shared by
// the methods on X (predictions.cpp: a model's mixtures, chunk by chunk) and
// the functions on mixture arrays (mixtures.cpp: mdn.MixtureDistribution).
#pragma once
#include <algorithm>
#include <cstddef>
#include <vector>

#include "mdn/predictive.hpp"

namespace mdn_python {

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
