// A monotone transform g of one target (docs/TRAINING.md, "Target
// transforms"): the network models u = g(y); every output is in the original
// units y. With F_u, f_u the mixture's CDF and density in u:
//   CDF       F(y)  = F_u(g(y))
//   density   f(y)  = f_u(g(y)) g'(y)         (NLL gains -log g'(y): log_derivative)
//   quantile  Q(p)  = g^-1(Q_u(p))            (exact: g is increasing)
//   samples   g^-1 of the mixture's draws
// A PIT map G (mdn/pit_map.hpp) sits on top: G(F_u(g(y))).
//
// Log:          g(y) = log(y), y > 0.
// Yeo-Johnson:  g(y) = ((y + 1)^l - 1) / l          y >= 0, l != 0 (log1p(y) at l = 0)
//                      -((1 - y)^(2-l) - 1) / (2-l)  y < 0, l != 2 (-log1p(-y) at l = 2)
// lambda is kept in [0, 2] (fit_yeo_johnson): there Yeo-Johnson maps the whole
// real line onto the whole real line, so any mixture in u is a proper
// distribution in y (outside it the image is a half-line and the mixture's
// mass beyond its end would have no y). No shift or scale: the Standardizer
// that follows takes care of location and spread, and log keeps its digits at
// large offsets because the statistics are in double.
#pragma once
#include <cmath>
#include <cstddef>
#include <limits>
#include <vector>

namespace mdn {

enum class TargetTransformKind { None, Log, YeoJohnson };

inline constexpr double kYeoJohnsonMinLambda = 0.0;
inline constexpr double kYeoJohnsonMaxLambda = 2.0;

struct TargetTransform {
  TargetTransformKind kind = TargetTransformKind::None;
  double lambda = 1.0;  // Yeo-Johnson only

  bool identity() const {
    return kind == TargetTransformKind::None || (kind == TargetTransformKind::YeoJohnson && lambda == 1.0);
  }
  // Whether y is in the transform's domain (log: y > 0).
  bool in_domain(double y) const { return kind != TargetTransformKind::Log || y > 0.0; }

  // u = g(y). Log of y <= 0 gives -inf / NaN (the caller checks in_domain).
  double forward(double y) const {
    switch (kind) {
      case TargetTransformKind::None: return y;
      case TargetTransformKind::Log: return y > 0.0 ? std::log(y) : (y == 0.0 ? -inf() : std::nan(""));
      case TargetTransformKind::YeoJohnson:
        if (y >= 0.0) return near(lambda, 0.0) ? std::log1p(y) : std::expm1(lambda * std::log1p(y)) / lambda;
        return near(lambda, 2.0) ? -std::log1p(-y) : -std::expm1((2.0 - lambda) * std::log1p(-y)) / (2.0 - lambda);
    }
    return y;
  }
  // y = g^-1(u); +-inf where u is beyond what a double y can hold.
  double inverse(double u) const {
    switch (kind) {
      case TargetTransformKind::None: return u;
      case TargetTransformKind::Log: return std::exp(u);
      case TargetTransformKind::YeoJohnson:
        if (u >= 0.0) return near(lambda, 0.0) ? std::expm1(u) : std::expm1(std::log1p(lambda * u) / lambda);
        return near(lambda, 2.0) ? -std::expm1(-u) : -std::expm1(std::log1p(-(2.0 - lambda) * u) / (2.0 - lambda));
    }
    return u;
  }
  // log g'(y): the log Jacobian the density in y carries.
  double log_derivative(double y) const {
    switch (kind) {
      case TargetTransformKind::None: return 0.0;
      case TargetTransformKind::Log: return y > 0.0 ? -std::log(y) : std::nan("");
      case TargetTransformKind::YeoJohnson:
        return y >= 0.0 ? (lambda - 1.0) * std::log1p(y) : (1.0 - lambda) * std::log1p(-y);
    }
    return 0.0;
  }

 private:
  static double inf() { return std::numeric_limits<double>::infinity(); }
  // Within rounding of the special lambda, where the closed form has 0 / 0.
  static bool near(double a, double b) { return std::fabs(a - b) < 1e-12; }
};

// Draws of u (n draws of T values each) mapped back to y in place: what a
// backend's sampler (which draws the mixture of u) needs after it.
inline void inverse_transform_draws(const std::vector<TargetTransform>& g, double* draws, std::size_t n, int T) {
  for (int d = 0; d < T && d < int(g.size()); ++d)
    if (!g[std::size_t(d)].identity())
      for (std::size_t i = 0; i < n; ++i) draws[i * std::size_t(T) + std::size_t(d)] = g[std::size_t(d)].inverse(draws[i * std::size_t(T) + std::size_t(d)]);
}

// The transform's name as the command line spells it ("none", "log", "yeo-johnson").
inline const char* transform_name(TargetTransformKind kind) {
  switch (kind) {
    case TargetTransformKind::None: return "none";
    case TargetTransformKind::Log: return "log";
    case TargetTransformKind::YeoJohnson: return "yeo-johnson";
  }
  return "none";
}

}  // namespace mdn
