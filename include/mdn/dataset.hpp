// The rows a model trains on or is scored on: features and targets of the
// same rows, with their names and where each row came from.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "mdn/matrix.hpp"

namespace mdn {

// A data set for training / evaluation: features and targets of the same rows.
struct Dataset {
  MatrixD x;                               // rows x D, original units
  MatrixD t;                               // rows x T, original units (may have 0 cols for prediction-only data)
  std::vector<std::string> feature_names;  // D
  std::vector<std::string> target_names;   // T
  std::vector<int> lines;                  // file line of each row
  std::size_t dropped_rows = 0;
  std::string first_dropped;  // why the first dropped row was: "line L, column 'C': ..." (empty: none)
  // Per-row weights (sample weights: survey weights, importance weights), or
  // empty: every row weight 1. Finite and >= 0, not all 0 (check_weights).
  // Training minimises the weighted mean NLL; a row of weight 0 has no
  // influence, a row of weight 2 counts as two copies of it.
  std::vector<double> weights;
  std::string weight_name;  // the column the weights came from ("" = none or not from a file)
};

// Throws UsageError naming `what` (e.g. "the weights (w)") when weights do
// not fit `rows`: another length, a negative, NaN or infinite weight (with
// its row), or (require_positive) all zero. Empty weights are always fine.
void check_weights(const std::vector<double>& weights, long long rows, const std::string& what,
                   bool require_positive = true);

}  // namespace mdn
