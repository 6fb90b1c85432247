// A trained model: its shape, its weights (one flat buffer in ParameterLayout
// order), the standardisation statistics and the training history.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "mdn/matrix.hpp"
#include "mdn/pit_map.hpp"
#include "mdn/spec.hpp"
#include "mdn/standardizer.hpp"
#include "mdn/target_transform.hpp"

namespace mdn {

struct FeatureEncoding;  // mdn/feature_encoding.hpp (io)

struct TrainingHistory {
  std::vector<float> train_nll;  // per epoch, standardised units
  std::vector<float> val_nll;    // per epoch, standardised units (empty without a validation split)
  int best_epoch = -1;           // the epoch whose weights were kept
  // What went wrong in training, in words, for the user (divergence, a model
  // worse than its baseline, a tiny split, the best epoch the first; the
  // rules are in mdn/trainer.hpp). Empty when nothing did.
  std::vector<std::string> warnings;
};

// Recalibration fitted after training (docs/TRAINING.md): per target d, the
// shift log_sigma_shift[d] was added to the head's log-sigma biases of every
// component, i.e. every sigma_kd multiplied by exp(shift_d) (before the sigma
// bounds clamp). It is already part of params, so the model is still a plain
// Gaussian mixture network and every backend applies it; subtracting the
// shifts gives the uncalibrated model back. Empty: not calibrated.
struct Calibration {
  std::vector<float> log_sigma_shift;  // T values, or empty
  double val_nll_before = 0.0;         // validation NLL per row (standardised units) without / with it
  double val_nll_after = 0.0;
  long long rows = 0;  // validation rows it was fitted on
  bool applied() const { return !log_sigma_shift.empty(); }
};

// Recalibration of the whole predictive distribution (docs/PREDICT.md): per
// target a monotone map G of the PIT (mdn/pit_map.hpp), fitted on rows the
// network did not train on; the model's distribution becomes G(F(y | x)).
// Every output applies it (MixtureBatch::pit_maps): moments, quantiles,
// intervals, modes, HDR, samples, density, NLL, CRPS, PIT. Only for one
// target (T = 1). Empty: none. Independent of Calibration (an older,
// mixture-preserving sigma scale, folded into params).
struct Recalibration {
  std::vector<PitMap> maps;  // T maps, or empty
  std::string source;        // the rows it was fitted on, in words
  long long rows = 0;
  double nll_before = 0.0;  // mean NLL per row on those rows (original units) without / with it
  double nll_after = 0.0;
  bool applied() const { return !maps.empty(); }
};

// Split-conformal interval scores (mdn/conformal.hpp, docs/PREDICT.md): per
// target d, the conformity scores |F_d(y | x) - 1/2| of calibration rows the
// network did not train on, ascending. The central conformal interval at
// level c is [F^-1(1/2 - r), F^-1(1/2 + r)] with r the ceil((n + 1) c)-th
// smallest score. Empty: none (old files, no validation rows).
struct ConformalScores {
  std::vector<std::vector<double>> scores;  // T ascending lists, or empty
  std::string source;                       // where the rows came from, in words ("validation rows", a file)
  bool available() const { return !scores.empty(); }
};

// A model of `members` > 1 networks is a deep ensemble (docs/TRAINING.md): the
// members share spec, statistics and names; params holds their parameter sets
// one after another (member i at i * ParameterLayout(spec).total). Its
// predictive distribution is the equal-weight mixture of the members'
// mixtures: members * K components with weights alpha / members, described
// by mixture_spec(). members == 1 is a single network.
inline constexpr int kMaxMembers = 64;

struct Model {
  ModelSpec spec;
  Standardizer stats;
  std::vector<float> params;  // members * ParameterLayout(spec).total floats
  int members = 1;
  std::vector<std::string> feature_names;  // D
  std::vector<std::string> target_names;   // T
  TrainingHistory history;
  Calibration calibration;
  Recalibration recalibration;
  ConformalScores conformal;
  // Per target, the transform the network models the target through
  // (mdn/target_transform.hpp): T entries, or empty = none. Every output
  // applies it beneath the recalibration (MixtureBatch::transforms).
  std::vector<TargetTransform> target_transforms;
  // The mean over the training / validation rows of -sum_d log g_d'(y_d):
  // with a transform the Jacobian is per row, so the history's NLLs (of the
  // standardised transformed targets) need these besides
  // stats.log_jacobian() to be in original units. 0 without a transform.
  double transform_train_jacobian = 0.0, transform_val_jacobian = 0.0;
  double train_log_jacobian() const { return stats.log_jacobian() + transform_train_jacobian; }
  double val_log_jacobian() const { return stats.log_jacobian() + transform_val_jacobian; }
  bool has_target_transform() const {
    for (const TargetTransform& g : target_transforms)
      if (!g.identity()) return true;
    return false;
  }
  std::vector<float> grid_step;  // per target, the grid it was trained for (0 = continuous); empty = none
  // Per feature, the smallest and largest value of the training rows, so
  // that inputs far outside them can be pointed out (outside_training_range
  // in mdn/inference.hpp). Empty: unknown (files from before they were kept).
  std::vector<double> x_min, x_max;
  // How the raw columns of a data file become feature_names (categories,
  // dates, missing values: mdn/feature_encoding.hpp). Null: the features are
  // read by name as plain numbers (files from before it, and numeric data).
  std::shared_ptr<const FeatureEncoding> encoding;
  // The model search that chose this model's configuration (mdn/tuner.hpp,
  // tune_summary_json): a JSON object as text, or empty when it was not
  // tuned (then its file has no "mdn.tuning" and is what it always was).
  std::string tuning;

  // The spec of the head outputs the model's predictions are read from:
  // spec itself for one network; for an ensemble, K = members * spec.components
  // (only its shape and sigma bounds are meaningful, not its layers).
  ModelSpec mixture_spec() const {
    ModelSpec s = spec;
    s.components *= members;
    return s;
  }
};

// The head outputs of an ensemble's members (each rows x spec.head_width())
// as one head output of mixture_spec(): member m's component k becomes
// component m * K + k, its logit shifted by -logsumexp(member's logits) -
// log(members), so the combined softmax gives alpha_mk / members exactly.
Matrix combine_member_heads(const ModelSpec& spec, const std::vector<Matrix>& member_heads);

}  // namespace mdn
