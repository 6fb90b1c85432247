// The covariance and correlation matrices of each row's predictive
// distribution over its T targets (docs/PREDICT.md, "Correlation").
//
// With W = sum_k alpha_k and a_k the mean of component k in original units:
//   Cov(y_i, y_j) = sum_k alpha_k (S_k,ij + (a_ki - m_i)(a_kj - m_j)) / W,   m = sum_k alpha_k a_k / W
// centred (never sum alpha (S + a a^T) - m m^T, which cancels every digit
// far from 0). S_k is the component's own covariance: A_k A_k^T for a
// full-covariance component, 0 off the diagonal for a diagonal one (its
// targets are independent). Through a target transform (diagonal components
// only) a_kd = E_k[g_d^-1(u_d)], the component's mean in original units
// (transformed_moments of that one component: the lognormal closed form for
// `log`, quadrature otherwise), and the cross terms still vanish within a
// component. The diagonal is the square of predictive_moments' stddev, so
// it is exactly the std column's variance whatever the transform or map.
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "math/mixture_row.hpp"
#include "math/parallel_rows.hpp"
#include "math/transformed.hpp"
#include "mdn/error.hpp"
#include "mdn/predictive.hpp"

namespace mdn {
namespace {

// a_kd: component k's mean of target d in original units.
double component_mean(const MixtureBatch& mix, int row, int k, int d) {
  const TargetTransform* g = mix.transform(d);
  if (g == nullptr) return mix.mean(row, k, d);
  static const double kOne = 1.0;
  const detail::MixtureRow all = detail::mixture_row(mix, row);
  const detail::MixtureRow one{&kOne, all.mu + std::size_t(k) * mix.T, all.sigma + std::size_t(k) * mix.T, 1, mix.T};
  const detail::TransformedMarginal m{detail::RowMarginal{one, d, 1.0}, *g, nullptr};
  double mean = 0.0, variance = 0.0;
  detail::transformed_moments(m, mean, variance);
  return mean;
}

// The off-diagonal entries of row r's covariance into C (T x T); the diagonal is left alone.
void cross_covariances(const MixtureBatch& mix, int r, double* C) {
  const int K = mix.K, T = mix.T;
  std::vector<double> a(std::size_t(K) * T), m(std::size_t(T), 0.0);
  double total = 0.0;
  for (int k = 0; k < K; ++k) {
    const double w = mix.weight(r, k);
    if (!(w > 0.0)) continue;
    total += w;
    for (int d = 0; d < T; ++d) m[std::size_t(d)] += w * (a[std::size_t(k) * T + d] = component_mean(mix, r, k, d));
  }
  for (double& v : m) v /= total;
  for (int i = 0; i < T; ++i)
    for (int j = 0; j < i; ++j) {
      double c = 0.0;
      for (int k = 0; k < K; ++k) {
        const double w = mix.weight(r, k);
        if (!(w > 0.0)) continue;
        double own = 0.0;  // (A_k A_k^T)_ij
        if (mix.full_covariance()) {
          const double* A = mix.factor(r, k);
          for (int l = 0; l <= j; ++l) own += A[i * (i + 1) / 2 + l] * A[j * (j + 1) / 2 + l];
        }
        c += w * (own + (a[std::size_t(k) * T + i] - m[std::size_t(i)]) * (a[std::size_t(k) * T + j] - m[std::size_t(j)]));
      }
      C[i * T + j] = C[j * T + i] = c / total;
    }
}

}  // namespace

std::vector<double> predictive_covariance(const MixtureBatch& mix) {
  if (!mix.pit_maps.empty() && mix.T != 1)
    throw Error("predictive_covariance: a recalibrated mixture must have one target");
  const PredictiveMoments moments = predictive_moments(mix);
  const int T = mix.T;
  std::vector<double> out(std::size_t(mix.rows) * T * T);
  detail::for_each_row(mix.rows, 16, [&](int r) {
    double* C = out.data() + std::size_t(r) * T * T;
    for (int d = 0; d < T; ++d) {
      const double s = moments.stddev[std::size_t(r) * T + d];
      C[d * T + d] = s * s;
    }
    cross_covariances(mix, r, C);
  });
  return out;
}

std::vector<double> predictive_correlation(const MixtureBatch& mix) {
  std::vector<double> out = predictive_covariance(mix);
  const int T = mix.T;
  for (int r = 0; r < mix.rows; ++r) {
    double* C = out.data() + std::size_t(r) * T * T;
    std::vector<double> s(T);
    for (int d = 0; d < T; ++d) s[std::size_t(d)] = std::sqrt(C[d * T + d]);
    for (int i = 0; i < T; ++i)
      for (int j = 0; j < T; ++j) {
        const double scale = s[std::size_t(i)] * s[std::size_t(j)];
        // Undefined (NaN) where a standard deviation is 0 or infinite; rounding
        // can put |rho| a few ulps above 1: clamped.
        const double rho = scale > 0.0 && std::isfinite(scale) ? C[i * T + j] / scale
                                                                : std::numeric_limits<double>::quiet_NaN();
        C[i * T + j] = i == j && std::isfinite(rho) ? 1.0 : std::clamp(rho, -1.0, 1.0);
      }
  }
  return out;
}

}  // namespace mdn
