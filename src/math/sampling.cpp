#include "mdn/sampling.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

#include "math/parallel_rows.hpp"
#include "math/recalibrated.hpp"
#include "mdn/detail/sample_math.hpp"
#include "math/format_number.hpp"
#include "mdn/error.hpp"

namespace mdn {
static_assert(detail::kMaxDrawTargets == kMaxTargetDim, "a draw's normals hold every target");

namespace {
using detail::format_number;
}  // namespace

void SampleOptions::validate() const {
  if (!(temperature > 0.0) || !std::isfinite(temperature))
    throw UsageError("sampling temperature must be a positive number, got " + format_number(temperature));
  if (!(sigma_scale >= 0.0) || !std::isfinite(sigma_scale))
    throw UsageError("sigma scale must be >= 0, got " + format_number(sigma_scale));
}

namespace {

// (0, 1) from two words, in steps of 2^-64.
double open_uniform(std::uint32_t hi, std::uint32_t lo) {
  return (double(hi) * 4294967296.0 + double(lo) + 0.5) * 5.421010862427522e-20;
}

// Draws of a recalibrated row (T = 1, mdn/pit_map.hpp) by inversion:
// y = F^-1(G^-1(u)), u uniform from the same counter-based words (one pair
// of draws per Philox block, as for the plain mixture). Temperature and
// sigma scale act on the mixture F before the map. The component reported
// is the one most responsible for the draw.
void sample_recalibrated_row(const MixtureBatch& mix, int r, const PitMap& g, int samples,
                             const SampleOptions& options, std::int64_t global_row, double* out, int* components) {
  const int K = mix.K;
  MixtureBatch one;
  one.rows = 1, one.K = K, one.T = 1;
  one.mu.assign(mix.mu.begin() + std::size_t(r) * K, mix.mu.begin() + std::size_t(r + 1) * K);
  one.sigma.assign(mix.sigma.begin() + std::size_t(r) * K, mix.sigma.begin() + std::size_t(r + 1) * K);
  for (double& s : one.sigma) s *= options.sigma_scale;
  double top = -INFINITY;
  one.alpha.resize(std::size_t(K));
  for (int k = 0; k < K; ++k) {
    const double a = mix.alpha[std::size_t(r) * K + k];
    one.alpha[std::size_t(k)] = a > 0.0 ? std::log(a) / options.temperature : -INFINITY;
    top = std::max(top, one.alpha[std::size_t(k)]);
  }
  for (double& a : one.alpha) a = std::exp(a - top);
  const detail::RowMarginal f = detail::row_marginal(one, 0, 0);
  detail::HostDrawWords words{options.seed, std::uint64_t(global_row), 0u};
  // Each draw's level v = G^-1(u) is inverted by Newton from the edge of its
  // quantile band, F^-1(floor(v M) / M) (computed once per row): a few CDF
  // evaluations instead of a bracketing search, and a draw still depends
  // only on (seed, row, index), not on the other draws.
  const std::vector<double> edges = detail::band_edges(f, g);
  for (int s = 0; s < samples; ++s) {
    words.c = std::uint32_t(s / 2);
    const detail::Philox4x32 w = words(0u);
    const double u = s % 2 == 0 ? open_uniform(w.v[0], w.v[1]) : open_uniform(w.v[2], w.v[3]);
    const double v = g.inverse(u), start = edges[std::size_t(g.bin(v))];
    const double y = std::isfinite(start) ? f.quantile_from(v, start) : f.quantile(v, start);
    out[std::size_t(s)] = y;
    if (components) {
      int best = 0;
      double best_l = -INFINITY;
      for (int k = 0; k < K; ++k) {
        const double sd = one.sigma[std::size_t(k)], z = (y - one.mu[std::size_t(k)]) / sd;
        const double l = std::log(one.alpha[std::size_t(k)]) - 0.5 * z * z - std::log(sd);
        if (l > best_l) best_l = l, best = k;
      }
      components[std::size_t(s)] = best;
    }
  }
}

void sample_recalibrated(const MixtureBatch& mix, int samples, const SampleOptions& options, std::int64_t first_row,
                         double* out, int* components) {
  if (mix.T != 1) throw Error("sample_mixtures: a recalibrated mixture must have one target");
  if (!(options.sigma_scale > 0.0))
    throw UsageError("a sigma scale of 0 (component means only) is not defined for a recalibrated model");
  detail::for_each_row(mix.rows, 16, [&](int r) {
    const std::size_t at = std::size_t(r) * samples;
    sample_recalibrated_row(mix, r, *mix.pit_map(0), samples, options, first_row + r, out + at,
                            components ? components + at : nullptr);
  });
}

// Full covariance: the diagonal recipe's component pick and standard normals
// n (detail::draw_standard_normals: the same counter-based words), then
// x = mu_k + sigma_scale * A_k n (A_k the component's covariance factor).
void sample_full_covariance(const MixtureBatch& mix, int samples, const SampleOptions& options,
                            std::int64_t first_row, double* out, int* components) {
  const int K = mix.K, T = mix.T;
  const float inv_tau = float(std::fmin(1.0 / options.temperature, double(detail::kMaxInverseTemperature)));
  detail::for_each_row(mix.rows, 16, [&](int r) {
    std::vector<float> cum(static_cast<std::size_t>(K));
    const double* alpha = mix.alpha.data() + std::size_t(r) * K;
    for (int k = 0; k < K; ++k) cum[k] = alpha[k] > 0.0 ? float(std::log(alpha[k])) : -INFINITY;
    detail::tempered_cumulative(cum.data(), K, inv_tau, cum.data());
    detail::HostDrawWords words{options.seed, std::uint64_t(first_row + r), 0u};
    float n[detail::kMaxDrawTargets + 3];
    for (int s = 0; s < samples; ++s) {
      words.c = std::uint32_t(s);
      const std::size_t draw = std::size_t(r) * samples + s;
      const int k = detail::draw_standard_normals(words, cum.data(), K, T, n);
      const double* A = mix.factor(r, k);
      const double* mu = mix.mu.data() + (std::size_t(r) * K + k) * T;
      double* x = out + draw * T;
      for (int i = 0; i < T; ++i) {
        double v = 0.0;
        for (int j = 0; j <= i; ++j) v += A[i * (i + 1) / 2 + j] * double(n[j]);
        x[i] = mu[i] + options.sigma_scale * v;
      }
      if (components) components[draw] = k;
    }
  });
}

}  // namespace

void sample_mixtures(const MixtureBatch& mix, int samples, const SampleOptions& options, std::int64_t first_row,
                     double* out, int* components) {
  options.validate();
  if (samples < 1) throw UsageError("samples per row must be at least 1");
  if (first_row < 0) throw Error("sample_mixtures: first_row must be >= 0");
  if (mix.transformed()) {
    // Draws of u = g(y) (the same draws as the mixture's, recalibrated or
    // not), mapped back: y = g^-1(u) per target.
    MixtureBatch plain = mix;
    plain.transforms.clear();
    sample_mixtures(plain, samples, options, first_row, out, components);
    const std::size_t draws = std::size_t(mix.rows) * std::size_t(samples);
    for (int d = 0; d < mix.T; ++d)
      if (const TargetTransform* g = mix.transform(d))
        for (std::size_t i = 0; i < draws; ++i) out[i * mix.T + d] = g->inverse(out[i * mix.T + d]);
    return;
  }
  if (!mix.pit_maps.empty() && mix.pit_map(0) != nullptr)
    return sample_recalibrated(mix, samples, options, first_row, out, components);
  if (mix.full_covariance()) return sample_full_covariance(mix, samples, options, first_row, out, components);
  const int K = mix.K, T = mix.T;
  const float inv_tau = float(std::fmin(1.0 / options.temperature, double(detail::kMaxInverseTemperature)));
  const double scale = options.sigma_scale;

#pragma omp parallel
  {
    // One row's tempered cumulative weights and scaled sigmas, reused for all
    // of its samples.
    std::vector<float> cum(K);
    std::vector<double> sigma(std::size_t(K) * T);
#pragma omp for schedule(static)
    for (int r = 0; r < mix.rows; ++r) {
      const double* alpha = mix.alpha.data() + std::size_t(r) * K;
      for (int k = 0; k < K; ++k) cum[k] = alpha[k] > 0.0 ? float(std::log(alpha[k])) : -INFINITY;
      detail::tempered_cumulative(cum.data(), K, inv_tau, cum.data());
      const double* mu = mix.mu.data() + std::size_t(r) * K * T;
      const double* sig = mix.sigma.data() + std::size_t(r) * K * T;
      for (int i = 0; i < K * T; ++i) sigma[i] = sig[i] * scale;

      detail::HostDrawWords words{options.seed, std::uint64_t(first_row + r), 0u};
      const std::size_t row_draws = std::size_t(r) * samples;
      if (T == 1) {
        for (int s = 0; s < samples; s += 2) {
          words.c = std::uint32_t(s / 2);
          int k[2];
          const bool both = s + 1 < samples;
          detail::draw_pair_1d(words, cum.data(), mu, sigma.data(), K, both, out + row_draws + s, k);
          if (components) {
            components[row_draws + s] = k[0];
            if (both) components[row_draws + s + 1] = k[1];
          }
        }
        continue;
      }
      for (int s = 0; s < samples; ++s) {
        words.c = std::uint32_t(s);
        const std::size_t draw = row_draws + s;
        const int k = detail::draw_sample(words, cum.data(), mu, sigma.data(), K, T, out + draw * T);
        if (components) components[draw] = k;
      }
    }
  }
}

std::vector<double> sample_mixtures(const MixtureBatch& mix, int samples, const SampleOptions& options,
                                    std::int64_t first_row) {
  if (samples < 1) throw UsageError("samples per row must be at least 1");
  std::vector<double> out(std::size_t(mix.rows) * samples * mix.T);
  sample_mixtures(mix, samples, options, first_row, out.data());
  return out;
}

}  // namespace mdn
