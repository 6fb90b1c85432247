// The grid-cell NLL of `mdn eval` (mdn/grid.hpp) over rows that arrive in
// parts: for targets on a grid (the model's --quantised steps, or a step
// detected in the rows), the weighted mean of -log of the mixture's mass of
// each observation's cell. A step is detected in the first part's rows (a
// part is some 10^5 rows of a plain file; a file of one part is detected as a
// whole) and every later row is checked to lie on it: a row off the grid
// means the target is not gridded, and no grid-cell NLL is reported.
#pragma once
#include <vector>

#include "mdn/matrix.hpp"
#include "mdn/mixture.hpp"
#include "mdn/model.hpp"

namespace mdn::cli {

class GridCellTally {
 public:
  explicit GridCellTally(const Model& model) : model_(model) {}
  // Rows with their weights (empty: 1 each), in file order.
  void add(const MixtureBatch& mix, const MatrixD& t, const std::vector<double>& weights);
  // After the last part: the warnings (stderr) and the table line (stdout);
  // the grid-cell NLL, or NaN when there is no grid or it is not computed.
  double finish(bool quiet = false) const;  // quiet: no warning or note on stderr

 private:
  void start(const MatrixD& t);
  bool gridded() const { return !model_.grid_step.empty() || detected_; }

  const Model& model_;
  bool started_ = false, detected_ = false, off_grid_ = false;
  bool full_covariance_ = false;  // full covariance over T > 2: no cell probability
  std::vector<float> steps_;
  std::vector<double> origin_;      // per detected target: its smallest value in the first part
  std::vector<double> exact_step_;  // per detected target: the unrounded step, for checking later rows
  double sum_ = 0.0, weight_ = 0.0;
};

}  // namespace mdn::cli
