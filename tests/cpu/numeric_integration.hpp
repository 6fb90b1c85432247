// Independent reference for the tests: composite Simpson quadrature.
#pragma once

namespace mdn::test {

// Integral of f over [a, b] with n (even) intervals; error O(h^4 f'''').
template <class F>
double simpson(F f, double a, double b, int n) {
  const double h = (b - a) / n;
  double s = f(a) + f(b);
  for (int i = 1; i < n; ++i) s += f(a + i * h) * (i % 2 ? 4 : 2);
  return s * h / 3;
}

}  // namespace mdn::test
