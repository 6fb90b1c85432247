#include "mdn/sampling.hpp"

#include <cmath>
#include <cstdio>
#include <string>

#include "mdn/detail/sample_math.hpp"
#include "math/format_number.hpp"
#include "mdn/error.hpp"

namespace mdn {
namespace {
using detail::format_number;
}  // namespace

void SampleOptions::validate() const {
  if (!(temperature > 0.0) || !std::isfinite(temperature))
    throw UsageError("sampling temperature must be a positive number, got " + format_number(temperature));
  if (!(sigma_scale >= 0.0) || !std::isfinite(sigma_scale))
    throw UsageError("sigma scale must be >= 0, got " + format_number(sigma_scale));
}

void sample_mixtures(const MixtureBatch& mix, int samples, const SampleOptions& options, std::int64_t first_row,
                     double* out, int* components) {
  options.validate();
  if (samples < 1) throw UsageError("samples per row must be at least 1");
  if (first_row < 0) throw Error("sample_mixtures: first_row must be >= 0");
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
