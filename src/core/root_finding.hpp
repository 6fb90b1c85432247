// Internal: a safeguarded Newton solver for a monotone increasing function on
// a bracket (Newton where it stays inside the bracket and shrinks fast enough,
// bisection otherwise). Used for mixture quantiles and density crossings.
#pragma once
#include <algorithm>
#include <cmath>
#include <limits>

namespace mdn::detail {

// fdf(x, f, df) sets f = f(x) and df = f'(x). Requires f(lo) <= 0 <= f(hi).
// Returns x with |f(x)| <= f_tol, or once a Newton step is a few ulps of x,
// or once the bracket has shrunk to a few ulps (where f jumps past 0 inside
// one ulp), or when max_iter ran out.
template <class FDF>
double safeguarded_newton(const FDF& fdf, double lo, double hi, double f_tol, int max_iter = 300) {
  double x = 0.5 * (lo + hi);
  double dx_old = hi - lo, dx = dx_old;
  for (int i = 0; i < max_iter; ++i) {
    double f = 0.0, df = 0.0;
    fdf(x, f, df);
    if (std::fabs(f) <= f_tol) return x;
    if (f < 0.0) lo = x;
    else hi = x;
    const double step = df > 0.0 ? f / df : std::numeric_limits<double>::infinity();
    const double x_newton = x - step;
    if (std::isfinite(step) && x_newton > lo && x_newton < hi && std::fabs(2.0 * step) < std::fabs(dx_old)) {
      dx_old = dx;
      dx = step;
      x = x_newton;
      // Converged to rounding: a Newton step of a few ulps.
      if (std::fabs(step) <= 4.0 * std::numeric_limits<double>::epsilon() * std::fabs(x)) return x;
    } else {
      dx_old = dx;
      dx = 0.5 * (hi - lo);
      x = lo + dx;
    }
    const double ulps = 4.0 * std::numeric_limits<double>::epsilon() * std::max(std::fabs(lo), std::fabs(hi));
    if (!(hi - lo > ulps) || x <= lo || x >= hi) return x;
  }
  return x;
}

}  // namespace mdn::detail
