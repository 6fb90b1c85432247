// The model search's space, its sampler and its splits (mdn/tuner.hpp;
// docs/TRAINING.md, "Model search", has the ranges and the measurements).
#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <string>

#include "mdn/error.hpp"
#include "mdn/trainer.hpp"
#include "mdn/tuner.hpp"
#include "train/training_data.hpp"

namespace mdn {
namespace {

// lo .. hi on a log scale.
double log_uniform(double u, double lo, double hi) { return lo * std::pow(hi / lo, u); }

// 0 for the lowest quarter of u, else lo .. hi on a log scale: "off" is a
// real choice for a regulariser, and the rest of the range is spread by
// orders of magnitude.
double off_or_log(double u, double lo, double hi) {
  constexpr double kOff = 0.25;
  return u < kOff ? 0.0 : log_uniform((u - kOff) / (1.0 - kOff), lo, hi);
}

// An integer lo .. hi, each equally likely.
double integer(double u, int lo, int hi) { return double(std::min(hi, lo + int(u * (hi - lo + 1)))); }

}  // namespace

std::vector<TuneDimension> default_search_space(long long train_rows) {
  // The batch size moves by powers of two around the recipe's own choice for
  // these rows (1/4 .. 4 times it), so the range fits small and large data.
  const int auto_batch = auto_batch_size(train_rows);
  const int max_batch = int(std::max(8LL, std::min<long long>(4096, train_rows)));
  std::vector<TuneDimension> dims;
  dims.push_back({"components", [](double u) { return integer(u, 1, 10); },
                  [](double v, TuneCandidate& c) { c.spec.components = int(v); },
                  [](const TuneCandidate& c) { return double(c.spec.components); }});
  // Depth before width: depth sizes the list, width fills it.
  dims.push_back({"depth", [](double u) { return integer(u, 1, 3); },
                  [](double v, TuneCandidate& c) {
                    const int w = c.spec.hidden.empty() ? 50 : c.spec.hidden[0];
                    c.spec.hidden.assign(std::size_t(v), w);
                  },
                  [](const TuneCandidate& c) { return double(c.spec.hidden.size()); }});
  dims.push_back({"width", [](double u) { return std::round(log_uniform(u, 16.0, 256.0)); },
                  [](double v, TuneCandidate& c) { std::fill(c.spec.hidden.begin(), c.spec.hidden.end(), int(v)); },
                  [](const TuneCandidate& c) { return c.spec.hidden.empty() ? 0.0 : double(c.spec.hidden[0]); }});
  dims.push_back({"lr", [](double u) { return double(float(log_uniform(u, 3e-4, 1e-2))); },
                  [](double v, TuneCandidate& c) { c.options.lr = float(v); },
                  [](const TuneCandidate& c) { return double(c.options.lr); }});
  dims.push_back({"weight_decay", [](double u) { return double(float(off_or_log(u, 1e-5, 1e-1))); },
                  [](double v, TuneCandidate& c) { c.options.weight_decay = float(v); },
                  [](const TuneCandidate& c) { return double(c.options.weight_decay); }});
  dims.push_back({"target_noise", [](double u) { return double(float(off_or_log(u, 0.005, 0.3))); },
                  [](double v, TuneCandidate& c) { c.options.target_noise = float(v); },
                  [](const TuneCandidate& c) { return double(c.options.target_noise); }});
  dims.push_back({"input_noise", [](double u) { return double(float(off_or_log(u, 0.005, 0.2))); },
                  [](double v, TuneCandidate& c) { c.options.input_noise = float(v); },
                  [](const TuneCandidate& c) { return double(c.options.input_noise); }});
  dims.push_back({"batch_size",
                  [auto_batch, max_batch](double u) {
                    const double factor = std::pow(2.0, integer(u, -2, 2));
                    return std::clamp(std::round(auto_batch * factor), 8.0, double(max_batch));
                  },
                  [](double v, TuneCandidate& c) { c.options.batch_size = int(v); },
                  [](const TuneCandidate& c) { return double(c.options.batch_size); }});
  // The target transform (TrainOptions::target_transform), one choice for
  // every target: 0 none, 1 auto (the measured rule: none, log or
  // Yeo-Johnson by the training targets' Gaussian likelihood), 2
  // Yeo-Johnson. Log itself is left to auto, which takes it only where every
  // value is positive. The recipe's own choice reads back as its index.
  using Mode = TrainOptions::TargetTransformMode;
  static constexpr Mode kTransforms[] = {Mode::None, Mode::Auto, Mode::YeoJohnson};
  dims.push_back({"target_transform", [](double u) { return integer(u, 0, 2); },
                  [](double v, TuneCandidate& c) { c.options.target_transform.assign(1, kTransforms[int(v)]); },
                  [](const TuneCandidate& c) {
                    const Mode m = c.options.target_transform.empty() ? Mode::None : c.options.target_transform[0];
                    for (int i = 0; i < 3; ++i)
                      if (kTransforms[i] == m) return double(i);
                    return -1.0;  // log, chosen by the user for the recipe
                  },
                  {"none", "auto", "yeo-johnson"}});
  return dims;
}

std::vector<std::vector<double>> tune_points(TuneSampler sampler, int count, int dims, std::uint64_t seed) {
  std::mt19937_64 rng(seed * 0x9E3779B97F4A7C15ull + 0x7E5E);
  std::vector<std::vector<double>> points(std::size_t(std::max(0, count)), std::vector<double>(std::size_t(dims)));
  if (sampler == TuneSampler::Random) {
    for (auto& p : points)
      for (double& v : p) v = detail::uniform01(rng);
    return points;
  }
  // Halton: coordinate j of point i is the radical inverse of i + 1 in the
  // j-th prime base, each digit through a random permutation of 0..b-1 of
  // its own (per dimension and level), so high bases do not line up, and
  // the seed chooses the permutations.
  static const int kPrimes[] = {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53};
  constexpr int kMaxDims = int(sizeof kPrimes / sizeof kPrimes[0]);
  if (dims > kMaxDims) throw UsageError("the low-discrepancy sampler has at most " + std::to_string(kMaxDims) +
                                        " dimensions (got " + std::to_string(dims) + ")");
  for (int j = 0; j < dims; ++j) {
    const int base = kPrimes[j];
    std::vector<std::vector<int>> perm;
    for (double scale = 1.0 / base; scale > 1e-12; scale /= base) {
      std::vector<int> p(static_cast<std::size_t>(base));
      std::iota(p.begin(), p.end(), 0);
      for (std::size_t k = p.size(); k > 1; --k) std::swap(p[k - 1], p[std::size_t(detail::uniform01(rng) * double(k))]);
      perm.push_back(p);
    }
    for (std::size_t i = 0; i < points.size(); ++i) {
      double v = 0.0, scale = 1.0 / base;
      unsigned long long n = i + 1;
      for (const auto& p : perm) {
        v += p[std::size_t(n % unsigned(base))] * scale;
        n /= unsigned(base);
        scale /= base;
      }
      points[i][std::size_t(j)] = std::min(v, std::nextafter(1.0, 0.0));
    }
  }
  return points;
}

std::vector<std::vector<long long>> tune_splits(long long rows, int folds, std::uint64_t seed, bool ordered) {
  if (folds < 2) throw UsageError("TuneOptions::folds must be at least 2 (got " + std::to_string(folds) + ")");
  std::vector<long long> order(std::size_t(std::max(0LL, rows)));
  std::iota(order.begin(), order.end(), 0LL);
  std::mt19937_64 rng(seed ^ 0x70E5F01Dull);
  const bool holdout = rows > kTuneHoldoutRows;
  const int splits = holdout ? kTuneHoldoutSplits : folds;
  if (!holdout && rows < 2LL * folds)
    throw UsageError("too few rows for " + std::to_string(folds) + "-fold cross-validation of the model search: " +
                     std::to_string(rows) + " rows, fewer than 2 per fold (at least " + std::to_string(2 * folds) +
                     " rows are needed)");
  std::vector<std::vector<long long>> out(static_cast<std::size_t>(splits));
  // Fisher-Yates with our own uniform draws (portable, unlike std::shuffle).
  auto shuffle = [&] {
    for (std::size_t i = order.size(); i > 1; --i)
      std::swap(order[i - 1], order[std::size_t(detail::uniform01(rng) * double(i))]);
  };
  if (ordered) {
    // Contiguous blocks: fold i holds rows [i n / K, (i + 1) n / K); the
    // hold-outs, the last splits blocks of a fifth.
    const long long block = holdout ? std::llround(double(rows) * kTuneHoldoutFraction) : 0;
    for (int i = 0; i < splits; ++i) {
      const long long begin = holdout ? rows - (splits - i) * block : rows * i / folds;
      const long long end = holdout ? begin + block : rows * (i + 1) / folds;
      for (long long r = begin; r < end; ++r) out[std::size_t(i)].push_back(r);
    }
    return out;
  }
  if (holdout) {
    const std::size_t n = std::size_t(std::llround(double(rows) * kTuneHoldoutFraction));
    for (auto& split : out) {
      shuffle();
      split.assign(order.begin(), order.begin() + std::ptrdiff_t(n));
    }
  } else {
    shuffle();
    for (std::size_t i = 0; i < order.size(); ++i) out[i % std::size_t(folds)].push_back(order[i]);
  }
  for (auto& split : out) std::sort(split.begin(), split.end());
  return out;
}

}  // namespace mdn
