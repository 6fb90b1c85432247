#include "mdn/conformal.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "mdn/error.hpp"
#include "mdn/metrics.hpp"
#include "mdn/predictive.hpp"

namespace mdn {

namespace {

// The network's own mixture, without the PIT maps of a recalibration (see
// mdn/conformal.hpp: a map fitted on the calibration rows would void the
// guarantee).
MixtureBatch without_maps(const MixtureBatch& mix) {
  MixtureBatch base = mix;
  base.pit_maps.clear();
  return base;
}

}  // namespace

ConformalScores conformal_scores(const MixtureBatch& recalibrated, const MatrixD& t, std::uint64_t seed) {
  MixtureBatch stripped;
  const MixtureBatch& mix = recalibrated.pit_maps.empty() ? recalibrated : (stripped = without_maps(recalibrated));
  if (t.rows != mix.rows || t.cols != mix.T)
    throw Error("conformal_scores: " + std::to_string(t.rows) + " x " + std::to_string(t.cols) + " targets for " +
                std::to_string(mix.rows) + " mixtures over " + std::to_string(mix.T) + " dimensions");
  std::vector<int> rows(std::size_t(t.rows));
  std::iota(rows.begin(), rows.end(), 0);
  if (t.rows > kMaxConformalRows) {
    // A random subset (partial Fisher-Yates): rows in file order may be sorted.
    std::mt19937_64 rng(seed ^ 0xC0F0A1ull);
    for (int i = 0; i < kMaxConformalRows; ++i) {
      const int j = i + int(rng() % std::uint64_t(t.rows - i));
      std::swap(rows[std::size_t(i)], rows[std::size_t(j)]);
    }
    rows.resize(std::size_t(kMaxConformalRows));
  }
  ConformalScores out;
  out.scores.assign(std::size_t(mix.T), {});
  for (int d = 0; d < mix.T; ++d) {
    std::vector<double>& s = out.scores[std::size_t(d)];
    for (int r : rows) s.push_back(std::fabs(mixture_pit(mix, r, d, t(r, d)) - 0.5));
    std::sort(s.begin(), s.end());
  }
  return out;
}

double conformal_radius(const std::vector<double>& sorted_scores, double level) {
  if (!(level > 0.0 && level < 1.0)) throw UsageError("a conformal interval level must lie in (0, 1)");
  const double n = double(sorted_scores.size());
  const double k = std::ceil((n + 1.0) * level - 1e-9);  // the (n + 1) c of 0.9 * 99 is 90 up to rounding
  if (k > n) return 0.5;
  return sorted_scores[std::size_t(k) - 1];
}

void conformal_intervals(const MixtureBatch& recalibrated, const ConformalScores& scores, double level,
                         std::vector<double>& lo, std::vector<double>& hi) {
  MixtureBatch stripped;
  const MixtureBatch& mix = recalibrated.pit_maps.empty() ? recalibrated : (stripped = without_maps(recalibrated));
  if (int(scores.scores.size()) != mix.T)
    throw Error("conformal_intervals: the scores are for " + std::to_string(scores.scores.size()) +
                " targets, the mixtures for " + std::to_string(mix.T));
  const std::size_t T = std::size_t(mix.T);
  lo.assign(std::size_t(mix.rows) * T, -std::numeric_limits<double>::infinity());
  hi.assign(std::size_t(mix.rows) * T, std::numeric_limits<double>::infinity());
  for (std::size_t d = 0; d < T; ++d) {
    const double r = conformal_radius(scores.scores[d], level);
    if (r >= 0.5) continue;  // the whole line
    // PIT levels 1/2 -/+ r; a side that rounds to 0 or 1 is infinite, and a
    // radius of (nearly) 0 still gives two distinct levels (the median twice).
    const double a = 0.5 - r, b = 0.5 + r > a ? 0.5 + r : std::nextafter(a, 1.0);
    if (a > 0.0) {
      const std::vector<double> q = predictive_quantiles(mix, {a});
      for (int row = 0; row < mix.rows; ++row) lo[std::size_t(row) * T + d] = q[std::size_t(row) * T + d];
    }
    if (b < 1.0) {
      const std::vector<double> q = predictive_quantiles(mix, {b});
      for (int row = 0; row < mix.rows; ++row) hi[std::size_t(row) * T + d] = q[std::size_t(row) * T + d];
    }
  }
}

}  // namespace mdn
