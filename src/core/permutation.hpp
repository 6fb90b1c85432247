// The one shuffle of the library: the training/validation split and every
// epoch's minibatch order (CPU backend) are permutations drawn here.
#pragma once
#include <cstdint>
#include <numeric>
#include <random>
#include <utility>
#include <vector>

namespace mdn::detail {

// Fisher-Yates with a 64-bit Mersenne Twister: the permutation of 0..n-1
// depends on the seed alone (not on the standard library's distributions),
// so it is the same on every platform.
inline std::vector<int> random_permutation(int n, std::uint64_t seed) {
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed);
  for (int i = n - 1; i > 0; --i) std::swap(order[i], order[int(rng() % std::uint64_t(i + 1))]);
  return order;
}

}  // namespace mdn::detail
