// Two targets with correlated noise given one feature, as the Dataset
// train() takes: x ~ U(-1, 1); a = x + 0.3 n0, b = x^2 + 0.3 (rho n0 +
// sqrt(1 - rho^2) n1), so within a row the targets' noise has correlation
// rho (a diagonal component cannot express it; a full one can).
#pragma once
#include <cmath>
#include <cstdint>
#include <random>

#include "mdn/dataset.hpp"

namespace mdn::test {

inline Dataset correlated_dataset(int rows, double rho, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::normal_distribution<double> n;
  Dataset d;
  d.x = MatrixD(rows, 1);
  d.t = MatrixD(rows, 2);
  for (int r = 0; r < rows; ++r) {
    const double x = u(rng), n0 = n(rng), n1 = n(rng);
    d.x.set(r, 0, x);
    d.t(r, 0) = x + 0.3 * n0;
    d.t(r, 1) = x * x + 0.3 * (rho * n0 + std::sqrt(1 - rho * rho) * n1);
  }
  d.feature_names = {"x"};
  d.target_names = {"a", "b"};
  return d;
}

}  // namespace mdn::test
