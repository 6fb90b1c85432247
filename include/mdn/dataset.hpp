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
};

}  // namespace mdn
