// A heteroscedastic CSV for the command-line tests of intervals and
// recalibration: x ~ U(-2, 2), y = x + (0.2 + 0.3 |x|) noise + shift, as
// text with full precision ("x,y" header), `rows` rows drawn from `seed`.
#pragma once
#include <cmath>
#include <cstdint>
#include <random>
#include <sstream>
#include <string>

namespace mdn::test {

inline std::string hetero_csv(int rows, std::uint64_t seed, double shift = 0.0) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-2.0, 2.0);
  std::normal_distribution<double> n(0.0, 1.0);
  std::ostringstream out;
  out.precision(17);
  out << "x,y\n";
  for (int r = 0; r < rows; ++r) {
    const double x = u(rng);
    out << x << "," << x + (0.2 + 0.3 * std::fabs(x)) * n(rng) + shift << "\n";
  }
  return out.str();
}

}  // namespace mdn::test
