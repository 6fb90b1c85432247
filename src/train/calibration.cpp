#include "mdn/calibration.hpp"

#include <algorithm>
#include <cmath>

#include "mdn/detail/full_cov_math.hpp"
#include "mdn/detail/mixture_math.hpp"
#include "mdn/error.hpp"

namespace mdn {

namespace {

// exp(shift_j - shift_i): the factor on the off-diagonal c_ji of a
// full-covariance component when every sigma of target d is multiplied by
// exp(shift_d). With L = D^-1 (I + C) (detail/full_cov_math.hpp) the
// covariance S Sigma S, S = diag(exp(shift)), has the precision factor
// L S^-1 = (D S)^-1 (I + S C S^-1): s_j + shift_j and c_ji exp(shift_j - shift_i).
double offdiag_factor(const std::vector<float>& shift, int j, int i, double sign = 1.0) {
  return std::exp(sign * (double(shift[std::size_t(j)]) - double(shift[std::size_t(i)])));
}

// One row's NLL of a full-covariance head with the shifts applied.
double shifted_full_nll(const ModelSpec& spec, const float* z, const float* t, const std::vector<float>& shift,
                        std::vector<double>& zz, std::vector<double>& tt) {
  const int K = spec.components, T = spec.target_dim;
  zz.assign(z, z + spec.head_width());
  tt.assign(t, t + T);
  if (!shift.empty())
    for (int k = 0; k < K; ++k)
      for (int j = 0; j < T; ++j) {
        zz[std::size_t(spec.log_sigma_offset() + k * T + j)] += double(shift[std::size_t(j)]);
        for (int i = 0; i < j; ++i)
          zz[std::size_t(spec.offdiag_offset() + k * detail::full_cov_pairs(T) + detail::full_cov_pair_index(j, i))] *=
              offdiag_factor(shift, j, i);
      }
  return detail::full_mixture_nll<double>(zz.data(), tt.data(), K, T, spec.log_sigma_min, spec.log_sigma_max);
}

}  // namespace

double shifted_nll(const ModelSpec& spec, const Matrix& z, const Matrix& t, const std::vector<float>& shift,
                   const std::vector<float>& weights) {
  const int K = spec.components, T = spec.target_dim;
  if (z.cols != spec.head_width() || t.cols != T || z.rows != t.rows)
    throw Error("shifted_nll: head outputs and targets do not match the model");
  if (!shift.empty() && int(shift.size()) != T) throw Error("shifted_nll: one shift per target is needed");
  if (!weights.empty() && weights.size() != std::size_t(z.rows))
    throw Error("shifted_nll: one weight per row is needed");
  const double lo = spec.log_sigma_min, hi = spec.log_sigma_max;
  const double half_log_2pi = 0.5 * std::log(2.0 * 3.14159265358979323846);
  double total = 0.0, weight_sum = 0.0;
  std::vector<double> l(K), zz, tt;
  for (int r = 0; r < z.rows; ++r) {
    const double w = weights.empty() ? 1.0 : double(weights[std::size_t(r)]);
    weight_sum += w;
    if (w == 0.0) continue;
    if (spec.covariance == Covariance::Full) {
      total += w * shifted_full_nll(spec, z.row(r), t.row(r), shift, zz, tt);
      continue;
    }
    const float* a = z.row(r);
    const float* s = a + spec.log_sigma_offset();
    const float* m = a + spec.mean_offset();
    double amax = -INFINITY;
    for (int k = 0; k < K; ++k) amax = std::max(amax, double(a[k]));
    double asum = 0.0;
    for (int k = 0; k < K; ++k) asum += std::exp(double(a[k]) - amax);
    const double log_norm = amax + std::log(asum);
    double lmax = -INFINITY;
    for (int k = 0; k < K; ++k) {
      double lk = double(a[k]) - log_norm;
      for (int d = 0; d < T; ++d) {
        const double sd = std::clamp(double(s[k * T + d]) + (shift.empty() ? 0.0 : double(shift[d])), lo, hi);
        const double u = (double(t(r, d)) - double(m[k * T + d])) * std::exp(-sd);
        lk += -0.5 * u * u - sd - half_log_2pi;
      }
      l[k] = lk;
      lmax = std::max(lmax, lk);
    }
    double sum = 0.0;
    for (int k = 0; k < K; ++k) sum += std::exp(l[k] - lmax);
    total -= w * (lmax + std::log(sum));
  }
  return weight_sum > 0 ? total / weight_sum : 0.0;
}

std::vector<float> fit_log_sigma_shift(const ModelSpec& spec, const Matrix& z, const Matrix& t,
                                       const std::vector<float>& weights) {
  const int T = spec.target_dim;
  std::vector<float> shift(T, 0.0f);
  if (z.rows == 0) return shift;
  const double golden = (std::sqrt(5.0) - 1.0) / 2.0;
  const int sweeps = T == 1 ? 1 : 3;
  for (int sweep = 0; sweep < sweeps; ++sweep) {
    for (int d = 0; d < T; ++d) {
      auto f = [&](double v) {
        std::vector<float> trial = shift;
        trial[d] = float(v);
        return shifted_nll(spec, z, t, trial, weights);
      };
      double a = -kMaxLogSigmaShift, b = kMaxLogSigmaShift;
      double c = b - golden * (b - a), e = a + golden * (b - a);
      double fc = f(c), fe = f(e);
      for (int it = 0; it < 48; ++it) {  // the bracket shrinks by 0.618 each time: 6 * 0.618^48 ~ 1e-9
        if (fc < fe) {
          b = e;
          e = c;
          fe = fc;
          c = b - golden * (b - a);
          fc = f(c);
        } else {
          a = c;
          c = e;
          fc = fe;
          e = a + golden * (b - a);
          fe = f(e);
        }
      }
      const double best = 0.5 * (a + b);
      // Keep the shift only where it helps (a flat NLL, e.g. at the bounds, leaves 0).
      shift[d] = f(best) < f(double(shift[d])) ? float(best) : shift[d];
    }
  }
  return shift;
}

void shift_log_sigma_biases(const ModelSpec& spec, std::vector<float>& params, const std::vector<float>& shift,
                            float sign) {
  if (shift.empty()) return;
  const ParameterLayout layout(spec);
  if (params.empty() || params.size() % layout.total != 0 || int(shift.size()) != spec.target_dim)
    throw Error("shift_log_sigma_biases: parameters or shifts do not match the model");
  const int K = spec.components, T = spec.target_dim;
  const LayerSlice& head = layout.head();
  for (std::size_t member = 0; member < params.size() / layout.total; ++member) {
    float* p = params.data() + member * layout.total;
    float* bias = p + head.bias_offset + spec.log_sigma_offset();
    for (int k = 0; k < K; ++k)
      for (int d = 0; d < T; ++d) bias[k * T + d] += sign * shift[d];
    if (spec.covariance != Covariance::Full) continue;
    // The off-diagonal outputs are linear in their weights and bias: scale both.
    for (int k = 0; k < K; ++k)
      for (int j = 0; j < T; ++j)
        for (int i = 0; i < j; ++i) {
          const int out = spec.offdiag_offset() + k * detail::full_cov_pairs(T) + detail::full_cov_pair_index(j, i);
          const float f = float(offdiag_factor(shift, j, i, double(sign)));
          float* w = p + head.weight_offset + std::size_t(out) * std::size_t(head.in);
          for (int c = 0; c < head.in; ++c) w[c] *= f;
          p[head.bias_offset + std::size_t(out)] *= f;
        }
  }
}

Model without_calibration(const Model& model) {
  Model m = model;
  m.recalibration = Recalibration{};
  if (!m.calibration.applied()) return m;
  shift_log_sigma_biases(m.spec, m.params, m.calibration.log_sigma_shift, -1.0f);
  m.calibration = Calibration{};
  return m;
}

}  // namespace mdn
