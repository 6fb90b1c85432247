#include "train/training_warnings.hpp"

#include <cmath>

#include "math/format_number.hpp"
#include "mdn/trainer.hpp"

namespace mdn::detail {

double baseline_nll(int target_dim) { return 0.5 * target_dim * (std::log(2.0 * 3.14159265358979323846) + 1.0); }

std::vector<std::string> training_warnings(const RunFacts& f) {
  std::vector<std::string> out;
  if (f.rollbacks > 0)
    out.push_back("training diverged " + std::to_string(f.rollbacks) + (f.rollbacks == 1 ? " time" : " times") +
                  " (the loss or its gradient became NaN/Inf); each time it went back one epoch and halved the "
                  "learning rate. A lower learning rate trains more smoothly");
  const double baseline = baseline_nll(f.target_dim);
  if (std::isfinite(f.worst_kept_nll) && f.worst_kept_nll > baseline + kWorseThanBaselineNats)
    out.push_back(std::string("the trained model is worse than the baseline: its ") +
                  (f.val_rows > 0 ? "validation" : "training") + " NLL is " +
                  format_number(f.worst_kept_nll + f.log_jacobian) +
                  " per row where predicting the training targets' mean and standard deviation for every row "
                  "scores " +
                  format_number(baseline + f.log_jacobian) +
                  (f.train_rows < kFewTrainingRows ? ". There are too few training rows to learn from"
                                                   : ". Training went wrong: try a lower learning rate"));
  if (f.best_epoch_first)
    out.push_back(
        "the best validation NLL came in the first epoch and later epochs were all worse: the learning rate may be "
        "too high, or the model overfits at once (a smaller network, more data)");
  if (f.train_rows < kFewTrainingRows)
    out.push_back("only " + std::to_string(f.train_rows) + (f.train_rows == 1 ? " training row" : " training rows") +
                  " (fewer than " + std::to_string(kFewTrainingRows) +
                  "): the model will be rough (a smaller validation fraction leaves more rows for training)");
  if (f.val_rows > 0 && f.val_rows < kFewValidationRows)
    out.push_back("only " + std::to_string(f.val_rows) + (f.val_rows == 1 ? " validation row" : " validation rows") +
                  " (fewer than " + std::to_string(kFewValidationRows) +
                  "): early stopping and the calibration follow noise");
  if (f.calibration_skipped)
    out.push_back("the model is not recalibrated: " + std::to_string(f.val_rows) +
                  " validation rows are too few (fewer than " + std::to_string(kMinCalibrationRows) +
                  ") to fit a recalibration on without following their noise");
  return out;
}

}  // namespace mdn::detail
