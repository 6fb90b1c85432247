#include "train/cross_fit.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "mdn/conformal.hpp"
#include "mdn/metrics.hpp"
#include "mdn/mixture.hpp"
#include "mdn/recalibration.hpp"

namespace mdn::detail {
namespace {

// The rows of `data` listed in `rows`, with their weights.
Dataset subset(const Dataset& data, const std::vector<int>& rows) {
  Dataset out;
  out.feature_names = data.feature_names;
  out.target_names = data.target_names;
  out.weight_name = data.weight_name;
  out.x = data.x.take_rows(rows);
  out.t = MatrixD(int(rows.size()), data.t.cols);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    std::copy(data.t.row(rows[i]), data.t.row(rows[i]) + data.t.cols, out.t.row(int(i)));
    if (!data.weights.empty()) out.weights.push_back(data.weights[std::size_t(rows[i])]);
    if (!data.lines.empty()) out.lines.push_back(data.lines[std::size_t(rows[i])]);
  }
  return out;
}

// The mixtures of `model` (every member, combined) at the rows of x, in
// original units, run on `backend`.
MixtureBatch model_mixtures(Backend& backend, const Model& model, const MatrixD& x) {
  const Matrix xs = model.stats.standardize_x(x);
  const std::size_t total = ParameterLayout(model.spec).total;
  std::vector<Matrix> heads;
  for (int m = 0; m < model.members; ++m) {
    backend.set_parameters(std::vector<float>(model.params.begin() + std::ptrdiff_t(m * total),
                                              model.params.begin() + std::ptrdiff_t((m + 1) * total)));
    heads.push_back(backend.forward(xs));
  }
  MixtureBatch mix = mixtures_from_head(model.mixture_spec(), model.stats, combine_member_heads(model.spec, heads));
  mix.transforms = model.target_transforms;  // the PIT in original units: F_u(g(y))
  return mix;
}

// Conformal scores |u - 1/2| of the out-of-fold PITs (rows x T, index
// r * T + d). Each score is a fold model's, not the final model's, so the
// guarantee is approximate (CV+-like); the fold models trained on 4/5 of the
// rows are, if anything, wider than the final one, which makes the
// intervals conservative (docs/PREDICT.md, "Where the scores come from").
// At most kMaxConformalRows rows of them, a random subset as
// conformal_scores keeps.
ConformalScores out_of_fold_conformal_scores(const std::vector<double>& pit, int n, int T, std::uint64_t seed) {
  std::vector<int> rows(static_cast<std::size_t>(n));
  std::iota(rows.begin(), rows.end(), 0);
  if (n > kMaxConformalRows) {
    std::mt19937_64 rng(seed ^ 0xC0F0A1ull);
    std::shuffle(rows.begin(), rows.end(), rng);
    rows.resize(std::size_t(kMaxConformalRows));
  }
  ConformalScores c;
  c.scores.assign(std::size_t(T), {});
  for (int d = 0; d < T; ++d) {
    std::vector<double>& s = c.scores[std::size_t(d)];
    for (const int r : rows) s.push_back(std::fabs(pit[std::size_t(r) * T + d] - 0.5));
    std::sort(s.begin(), s.end());
  }
  c.source = "the out-of-fold rows of " + std::to_string(kCrossFitFolds) + "-fold cross-fitting (" +
             std::to_string(n) + " training rows)";
  return c;
}

// The PIT map of the first target from its out-of-fold PITs, with the
// record of what it gained on them.
Recalibration out_of_fold_recalibration(const std::vector<double>& pit, int n, int T,
                                        const std::vector<double>& weights) {
  std::vector<double> u(static_cast<std::size_t>(n));
  for (int r = 0; r < n; ++r) u[std::size_t(r)] = pit[std::size_t(r) * T];
  Recalibration r;
  r.maps = {fit_pit_map(u, weights)};
  // The NLL before and after, on the rows the final model trained on, is
  // not a fair record; the out-of-fold PITs' log-likelihood gain is: mean
  // log g(u) over the rows (weighted), 0 for the identity.
  double gain = 0.0, total = 0.0;
  for (std::size_t i = 0; i < u.size(); ++i) {
    const double w = weights.empty() ? 1.0 : weights[i];
    gain += w * std::log(r.maps[0].density(u[i]));
    total += w;
  }
  r.nll_before = 0.0;
  r.nll_after = total > 0.0 ? -gain / total : 0.0;
  r.rows = n;
  r.source = "the out-of-fold rows of " + std::to_string(kCrossFitFolds) + "-fold cross-fitting (" + std::to_string(n) +
             " training rows)";
  return r;
}

// The out-of-fold PITs of every row and target (rows x T, index r * T + d).
std::vector<double> out_of_fold_pits(Backend& backend, const ModelSpec& spec, const Dataset& data,
                                     const TrainOptions& options, const TrainHooks& hooks) {
  const int n = data.x.rows, T = spec.target_dim;
  std::vector<int> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(options.seed ^ 0x63726f7373666974ULL);  // "crossfit"
  std::shuffle(order.begin(), order.end(), rng);
  TrainOptions fold_options = options;
  fold_options.calibrate = TrainOptions::CalibrateMode::Off;
  fold_options.cross_fit = false;
  TrainHooks fold_hooks;
  fold_hooks.stop_requested = hooks.stop_requested;
  fold_hooks.init_model = hooks.init_model;
  std::vector<double> pit(std::size_t(n) * std::size_t(T));
  for (int fold = 0; fold < kCrossFitFolds; ++fold) {
    std::vector<int> inside, outside;
    for (int i = 0; i < n; ++i) (i % kCrossFitFolds == fold ? outside : inside).push_back(order[std::size_t(i)]);
    fold_options.seed = options.seed + std::uint64_t(fold) + 1;
    if (hooks.on_cross_fit_fold) hooks.on_cross_fit_fold(fold + 1, kCrossFitFolds);
    const Model fold_model = train(backend, spec, subset(data, inside), fold_options, fold_hooks);
    const Dataset held_out = subset(data, outside);
    const MixtureBatch mix = model_mixtures(backend, fold_model, held_out.x.to_double());
    for (std::size_t i = 0; i < outside.size(); ++i)
      for (int d = 0; d < T; ++d)
        pit[std::size_t(outside[i]) * T + d] = mixture_pit(mix, int(i), d, held_out.t(int(i), d));
  }
  return pit;
}

}  // namespace

CrossFitPlan plan_cross_fitting(const ModelSpec& spec, long long rows, const TrainOptions& options,
                                const TrainHooks& hooks, const Model& model) {
  CrossFitPlan plan;
  if (!options.cross_fit || hooks.validation != nullptr || (hooks.ranks != nullptr && hooks.ranks->size() > 1) ||
      rows < kMinCalibrationRows)
    return plan;
  plan.conformal =
      !model.conformal.available() || (long long)model.conformal.scores[0].size() < kMinCalibrationRows;
  plan.recalibration = recalibrates(options) && spec.target_dim == 1 && spec.covariance == Covariance::Diagonal &&
                       !model.recalibration.applied();
  return plan;
}

void cross_fit(Backend& backend, const ModelSpec& spec, const Dataset& data, const TrainOptions& options,
               const TrainHooks& hooks, const CrossFitPlan& plan, Model& model) {
  if (!plan.any()) return;
  const int n = data.x.rows, T = spec.target_dim;
  const std::vector<double> pit = out_of_fold_pits(backend, spec, data, options, hooks);
  if (plan.recalibration) {
    model.recalibration = out_of_fold_recalibration(pit, n, T, data.weights);
    auto& w = model.history.warnings;
    w.erase(std::remove_if(w.begin(), w.end(),
                           [](const std::string& s) { return s.rfind("the model is not recalibrated", 0) == 0; }),
            w.end());
  }
  // The out-of-fold scores replace those of the (fewer than
  // kMinCalibrationRows) validation rows: more of them, and from rows no
  // early stopping chose an epoch on (docs/TRAINING.md, "Small sets").
  // Either plan means too few validation rows, so both take them.
  model.conformal = out_of_fold_conformal_scores(pit, n, T, options.seed);
  backend.set_parameters(std::vector<float>(model.params.begin(),
                                            model.params.begin() + std::ptrdiff_t(ParameterLayout(spec).total)));
}

}  // namespace mdn::detail
