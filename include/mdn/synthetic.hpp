// Built-in synthetic data sets (`mdn data NAME`), each a CSV-shaped table.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "mdn/matrix.hpp"

namespace mdn {

struct SyntheticSet {
  std::string name;
  std::string description;
  std::vector<std::string> columns;  // feature columns first, then targets
  std::vector<std::string> targets;  // the target column names
  Matrix values;                     // rows x columns.size()
};

// Names accepted by make_synthetic, in a stable order.
std::vector<std::string> synthetic_set_names();
// One-line descriptions, parallel to synthetic_set_names().
std::string synthetic_set_description(const std::string& name);

// Deterministic for (name, rows, seed). Throws UsageError for an unknown name
// or rows < 1.
SyntheticSet make_synthetic(const std::string& name, int rows, std::uint64_t seed);

// The exact conditional log-density log p(t | x) of a built-in set, in the
// units of its columns: x holds the set's feature values, t its target values
// (in the order of `columns`). -infinity outside the support (bishop's
// density is uniform on the branches, zero elsewhere). Throws UsageError for
// an unknown name. Used to report the excess NLL of a model over the truth.
double synthetic_log_density(const std::string& name, const double* x, const double* t);

}  // namespace mdn
