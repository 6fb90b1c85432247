// What `mdn eval` says about a model's conformal intervals (mdn/conformal.hpp):
// their coverage and width on the rows scored, at the evaluation's interval
// levels, beside the model's own central intervals (the "before" of the
// recalibration the scores make).
#pragma once
#include <string>
#include <vector>

#include "mdn/matrix.hpp"
#include "mdn/metrics.hpp"
#include "mdn/mixture.hpp"
#include "mdn/model.hpp"

namespace mdn::cli {

// The coverage and width of the model's conformal intervals, summed over
// rows that arrive in parts (in row order: parts or not, the same bits).
class ConformalTally {
 public:
  ConformalTally(const Model& model, const EvalOptions& options);
  // Rows with their weights (empty: 1 each).
  void add(const MixtureBatch& mix, const MatrixD& t, const std::vector<double>& weights);
  // Per target, one entry per EvalOptions::interval_levels; empty when the
  // model has no scores.
  std::vector<std::vector<IntervalCoverage>> result() const;

 private:
  const Model& model_;
  std::vector<double> levels_;
  std::vector<double> inside_, width_;  // (d * levels + i)
  double total_ = 0.0;
};

// The table lines on stdout: level, coverage (the model's own), mean width.
void print_conformal_coverage(const Model& model, const EvalMetrics& own,
                              const std::vector<std::vector<IntervalCoverage>>& conformal);

// The JSON value of "conformal_intervals": {"rows", "source", "targets": [...]}.
std::string conformal_coverage_json(const Model& model, const std::vector<std::vector<IntervalCoverage>>& conformal);

}  // namespace mdn::cli
