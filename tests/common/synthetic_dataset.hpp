// A built-in synthetic set with one feature and one target (bishop, hetero)
// as the Dataset train() takes: the fixture several training suites share.
#pragma once
#include <cstdint>
#include <string>

#include "mdn/dataset.hpp"
#include "mdn/synthetic.hpp"

namespace mdn::test {

inline Dataset synthetic_dataset(const std::string& name, int rows, std::uint64_t seed) {
  const SyntheticSet set = make_synthetic(name, rows, seed);
  Dataset d;
  d.x = MatrixD(rows, 1);
  d.t = MatrixD(rows, 1);
  for (int r = 0; r < rows; ++r) {
    d.x.set(r, 0, set.values(r, 0));
    d.t(r, 0) = set.values(r, 1);
  }
  d.feature_names = {"x"};
  d.target_names = {"y"};
  return d;
}

}  // namespace mdn::test
