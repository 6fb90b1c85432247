// Internal: what a finished training run tells its user went wrong
// (TrainingHistory::warnings; the thresholds are in mdn/trainer.hpp and
// docs/TRAINING.md).
#pragma once
#include <string>
#include <vector>

namespace mdn::detail {

// Facts of a run over all its members.
struct RunFacts {
  long long train_rows = 0;
  long long val_rows = 0;  // 0: no validation rows
  int target_dim = 1;
  int rollbacks = 0;                 // NaN/Inf rollbacks, all members together
  double worst_kept_nll = 0.0;       // the largest kept NLL of a member (validation, else training; standardised)
  bool best_epoch_first = false;     // some member kept its first epoch though it ran more
  double log_jacobian = 0.0;         // added to a standardised NLL for original target units
  bool calibration_skipped = false;  // calibration asked for, too few validation rows (kMinCalibrationRows)
};

// One sentence per problem, in the order: divergence, worse than the
// baseline, best epoch first, tiny training split, tiny validation split,
// calibration skipped.
std::vector<std::string> training_warnings(const RunFacts& facts);

// The baseline NLL per row in standardised units: a Gaussian with the
// training targets' mean and standard deviation for every row.
double baseline_nll(int target_dim);

}  // namespace mdn::detail
