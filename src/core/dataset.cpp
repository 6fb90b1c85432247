#include "mdn/dataset.hpp"

#include <cmath>

#include "mdn/error.hpp"

namespace mdn {

void check_weights(const std::vector<double>& weights, long long rows, const std::string& what, bool require_positive) {
  if (weights.empty()) return;
  if ((long long)weights.size() != rows)
    throw UsageError(what + " has " + std::to_string(weights.size()) + " weights for " + std::to_string(rows) +
                     " rows; give one weight per row");
  bool any_positive = false;
  for (std::size_t i = 0; i < weights.size(); ++i) {
    const double w = weights[i];
    if (!std::isfinite(w) || w < 0.0)
      throw UsageError(what + ": the weight of row " + std::to_string(i + 1) + " is " + std::to_string(w) +
                       "; weights must be finite and >= 0");
    any_positive = any_positive || w > 0.0;
  }
  if (require_positive && !any_positive)
    throw UsageError(what + ": every weight is 0; at least one row must have a positive weight");
}

}  // namespace mdn
