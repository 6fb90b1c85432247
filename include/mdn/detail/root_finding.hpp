// A safeguarded Newton solver for a monotone increasing function on a bracket
// (Newton where it stays inside the bracket and shrinks fast enough,
// bisection otherwise), shared by the CPU code (mixture quantiles, density
// crossings of the highest-density regions) and the CUDA predictive kernel
// (kernels/predictive.cu): one solver, one sequence of iterates.
//
// Device-safe: no std::numeric_limits, no std:: algorithms; the constants
// below stand in for them.
#pragma once
#include <cmath>

#include "mdn/detail/host_device.hpp"

namespace mdn::detail {

inline constexpr double kDoubleEpsilon = 2.220446049250313080847e-16;  // numeric_limits<double>::epsilon()
inline constexpr double kDoubleMax = 1.7976931348623157e308;           // numeric_limits<double>::max()
inline constexpr double kInfinity = __builtin_huge_val();              // numeric_limits<double>::infinity()

// true for a finite x (false for +-inf and NaN: every comparison with NaN is false).
MDN_HD bool is_finite_value(double x) { return fabs(x) <= kDoubleMax; }

// fdf(x, f, df) sets f = f(x) and df = f'(x). Requires f(lo) <= 0 <= f(hi).
// Returns x with |f(x)| <= f_tol, or once a Newton step is a few ulps of x,
// or once the bracket has shrunk to a few ulps (where f jumps past 0 inside
// one ulp), or when max_iter ran out.
#if defined(__CUDACC__)
#pragma nv_exec_check_disable  // FDF is a host lambda on the CPU path, a device functor in the kernel
#endif
template <class FDF>
MDN_HD double safeguarded_newton(const FDF& fdf, double lo, double hi, double f_tol, int max_iter = 300) {
  double x = 0.5 * (lo + hi);
  double dx_old = hi - lo, dx = dx_old;
  for (int i = 0; i < max_iter; ++i) {
    double f = 0.0, df = 0.0;
    fdf(x, f, df);
    if (fabs(f) <= f_tol) return x;
    if (f < 0.0)
      lo = x;
    else
      hi = x;
    const double step = df > 0.0 ? f / df : kInfinity;
    const double x_newton = x - step;
    if (is_finite_value(step) && x_newton > lo && x_newton < hi && fabs(2.0 * step) < fabs(dx_old)) {
      dx_old = dx;
      dx = step;
      x = x_newton;
      // Converged to rounding: a Newton step of a few ulps.
      if (fabs(step) <= 4.0 * kDoubleEpsilon * fabs(x)) return x;
    } else {
      dx_old = dx;
      dx = 0.5 * (hi - lo);
      x = lo + dx;
    }
    const double ulps = 4.0 * kDoubleEpsilon * fmax(fabs(lo), fabs(hi));
    if (!(hi - lo > ulps) || x <= lo || x >= hi) return x;
  }
  return x;
}

}  // namespace mdn::detail
