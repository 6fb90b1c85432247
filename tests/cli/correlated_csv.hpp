// Two correlated targets for the command-line tests of full covariance and
// conditionals: x ~ U(-2, 2), t1 = sin(x) + 0.5 n0, t2 = t1 + 0.1 n1 (given
// x, correlation 0.98), as text ("x,<t1>,<t2>" header, %.9g), `rows` rows
// drawn from `seed`.
#pragma once
#include <cmath>
#include <cstdio>
#include <random>
#include <string>

namespace mdn::test {

inline std::string correlated_csv(int rows, unsigned seed, const std::string& t1 = "y1",
                                  const std::string& t2 = "y2") {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-2.0, 2.0);
  std::normal_distribution<double> n;
  std::string text = "x," + t1 + "," + t2 + "\n";
  char line[128];
  for (int r = 0; r < rows; ++r) {
    const double x = u(rng), a = std::sin(x) + 0.5 * n(rng), b = a + 0.1 * n(rng);
    std::snprintf(line, sizeof line, "%.9g,%.9g,%.9g\n", x, a, b);
    text += line;
  }
  return text;
}

}  // namespace mdn::test
