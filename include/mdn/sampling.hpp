// Drawing from each row's predictive mixture p(t | x) on the CPU.
//
// For each (row, sample) a component k is drawn from the categorical weights
// (inverse CDF over their cumulative sums), then t ~ N(mu_k, diag(sigma_k^2)).
// Draws are counter-based (Philox4x32-10 of (seed, row, sample)), so a draw
// depends only on the seed, the row's global index and the sample index: the
// same seed gives the same samples whatever the chunk size or thread count.
// The GPU sampler (mdn/cuda_sampling.hpp) uses the same recipe
// (detail/sample_math.hpp); its draws agree with these up to float rounding
// of the mixture parameters, but only each side's own reproducibility is
// promised.
#pragma once
#include <cstdint>
#include <vector>

#include "mdn/mixture.hpp"

namespace mdn {

struct SampleOptions {
  std::uint64_t seed = 0;
  // Temperature tau > 0 on the mixture weights: component k is drawn with
  // probability alpha_k^(1/tau) / sum_j alpha_j^(1/tau). tau = 1 is the model;
  // tau < 1 sharpens towards the heaviest component (tau -> 0: always the
  // argmax), tau > 1 flattens towards uniform. CHANGES the distribution.
  double temperature = 1.0;
  // Factor >= 0 on every sigma: 1 is the model, 0 returns the chosen
  // component's mean. CHANGES the distribution.
  double sigma_scale = 1.0;

  // Throws UsageError naming the temperature or the sigma scale when out of range.
  void validate() const;
};

// Draws `samples` values per row of `mix` into out: rows x samples x T doubles
// (original units),
// index (r * samples + s) * T + d. Row r of the batch has global index
// first_row + r (what the draws are keyed on, so chunks of a larger data set
// keep their draws). When `components` is not null it receives the component
// of each draw: rows x samples ints, index r * samples + s. Threads over rows.
void sample_mixtures(const MixtureBatch& mix, int samples, const SampleOptions& options, std::int64_t first_row,
                     double* out, int* components = nullptr);

// The same, returning the rows x samples x T values.
std::vector<double> sample_mixtures(const MixtureBatch& mix, int samples, const SampleOptions& options,
                                    std::int64_t first_row = 0);

}  // namespace mdn
