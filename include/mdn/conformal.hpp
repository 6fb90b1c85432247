// Split-conformal prediction intervals with a finite-sample guarantee
// (docs/PREDICT.md, "Conformal intervals").
//
// The conformity score of a calibration row (x, y) is s = |F(y | x) - 1/2|
// per target, F the model's marginal CDF: the PIT's distance from the
// middle. For a new row exchangeable with the n calibration rows,
// P(s_new <= r) >= c when r is the ceil((n + 1) c)-th smallest calibration
// score, and s_new <= r exactly when y lies in [F^-1(1/2 - r), F^-1(1/2 + r)]
// (F continuous and increasing). So that interval covers y with probability
// at least c, marginally over rows, whatever the model: a miscalibrated
// model gets wider or narrower intervals, never a broken guarantee. Where
// ceil((n + 1) c) > n the interval is the whole line.
//
// F is the network's own mixture: a recalibrated batch (MixtureBatch::
// pit_maps) is scored and inverted without its maps. The maps are fitted on
// the same calibration rows, and a score computed through them would no
// longer be exchangeable with a new row's; the mixture's own F keeps the
// guarantee exact, and on these rows the two give nearly the same intervals.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "mdn/matrix.hpp"
#include "mdn/mixture.hpp"
#include "mdn/model.hpp"

namespace mdn {

// At most this many calibration rows are kept (a seeded random subset of
// them above it): the guarantee holds for any n; the file stays small.
inline constexpr int kMaxConformalRows = 10000;
// Below this many calibration rows a 95 % interval is the whole line
// (ceil(20 * 0.95) = 19 > 18); mdn calibrate refuses fewer, training skips them.
inline constexpr int kMinConformalRows = 19;

// The scores of the rows of `mix` at the observed targets t (rows x T, the
// units of mix), at most kMaxConformalRows of them (a subset drawn from
// `seed`), each target's sorted. Throws mdn::Error when the shapes differ.
ConformalScores conformal_scores(const MixtureBatch& mix, const MatrixD& t, std::uint64_t seed = 0);

// The radius r for level c in (0, 1) from one target's sorted scores; 0.5 or
// more means the whole line. Throws UsageError for a level outside (0, 1).
double conformal_radius(const std::vector<double>& sorted_scores, double level);

// Conformal intervals of every row of `mix` at `level`: lo and hi, rows x T,
// index r * T + d (-inf / +inf where the radius reaches 1/2). Throws
// mdn::Error when `scores` has another number of targets than mix.
void conformal_intervals(const MixtureBatch& mix, const ConformalScores& scores, double level, std::vector<double>& lo,
                         std::vector<double>& hi);

}  // namespace mdn
