// Successive halving (mdn/tuner.hpp): which trials run at which budget and
// which go on. Nothing here trains; the scorer does, so a fake scorer tests
// the rules alone (tests/cpu/tuner_test.cpp).
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "mdn/error.hpp"
#include "mdn/tuner.hpp"

namespace mdn {
namespace {

// NaN and Inf (a failed trial) rank last.
double rank_key(double score) { return std::isfinite(score) ? score : std::numeric_limits<double>::infinity(); }

}  // namespace

std::vector<TuneRung> plan_rungs(int trials, int splits, int eta) {
  if (trials < 1) throw UsageError("TuneOptions::trials must be at least 1 (got " + std::to_string(trials) + ")");
  if (eta < 2) throw UsageError("TuneOptions::eta must be at least 2 (got " + std::to_string(eta) + ")");
  // Sizes: trials, ceil(trials / eta), ... while more than eta are left; the
  // last rung runs the last eta or fewer (plus the recipe) at full budget.
  std::vector<int> sizes{trials};
  while (sizes.back() > eta) sizes.push_back((sizes.back() + eta - 1) / eta);
  const int rungs = int(sizes.size());
  std::vector<TuneRung> out(static_cast<std::size_t>(rungs));
  for (int r = 0; r < rungs; ++r) {
    TuneRung& rung = out[std::size_t(r)];
    rung.budget = std::pow(double(eta), double(r - (rungs - 1)));
    rung.splits = r + 1 == rungs ? splits : std::clamp(int(std::ceil(splits * rung.budget)), 1, splits);
    rung.trials = sizes[std::size_t(r)];
  }
  return out;
}

HalvingOutcome successive_halving(int trials, const std::vector<TuneRung>& rungs, const RungScorer& score,
                                  const std::function<bool()>& stop) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  HalvingOutcome out;
  out.scores.assign(std::size_t(trials), std::vector<double>(rungs.size(), nan));
  out.eliminated_after.assign(std::size_t(trials), -1);
  std::vector<int> alive(static_cast<std::size_t>(trials));
  std::iota(alive.begin(), alive.end(), 0);
  for (std::size_t r = 0; r < rungs.size() && !alive.empty(); ++r) {
    if (stop && stop()) {
      out.complete = false;
      break;
    }
    const std::vector<double> got = score(int(r), alive);
    for (std::size_t i = 0; i < got.size() && i < alive.size(); ++i) out.scores[std::size_t(alive[i])][r] = got[i];
    if (!got.empty()) out.deepest_rung = int(r);
    if (got.size() < alive.size()) {
      out.complete = false;
      break;
    }
    if (r + 1 == rungs.size()) break;
    // Keep the best rungs[r + 1].trials (ties: lower id first); the recipe,
    // trial 0, always goes on, on top of them.
    std::vector<int> ranked = alive;
    std::stable_sort(ranked.begin(), ranked.end(), [&](int a, int b) {
      return rank_key(out.scores[std::size_t(a)][r]) < rank_key(out.scores[std::size_t(b)][r]);
    });
    const std::size_t keep = std::min(ranked.size(), std::size_t(std::max(1, rungs[r + 1].trials)));
    std::vector<int> next(ranked.begin(), ranked.begin() + std::ptrdiff_t(keep));
    if (std::find(next.begin(), next.end(), 0) == next.end() && !alive.empty() && alive.front() == 0) next.push_back(0);
    std::sort(next.begin(), next.end());
    for (int t : alive)
      if (!std::binary_search(next.begin(), next.end(), t)) out.eliminated_after[std::size_t(t)] = int(r);
    alive = next;
  }
  if (out.deepest_rung >= 0) {
    const std::size_t r = std::size_t(out.deepest_rung);
    double best = std::numeric_limits<double>::infinity();
    for (int t = 0; t < trials; ++t) {
      const double s = out.scores[std::size_t(t)][r];
      if (std::isfinite(s) && s < best) {
        best = s;
        out.best = t;
      }
    }
  }
  return out;
}

}  // namespace mdn
