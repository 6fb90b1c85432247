#include "range_warning.hpp"

#include <cstdio>

#include "mdn/inference.hpp"
#include "text_output.hpp"

namespace mdn::cli {

std::vector<long long> warn_outside_training_range(Communicator& ranks, const char* command, const Model& model,
                                                   const MatrixD& x, bool quiet) {
  std::vector<long long> counts = rows_outside_training_range(model, x);
  if (counts.empty()) return counts;
  long long rows = x.rows;
  if (ranks.size() > 1) {
    ranks.sum(counts.data(), counts.size());
    ranks.sum(&rows, 1);
  }
  if (!quiet && ranks.root()) print_outside_training_range(command, model, counts, rows);
  return counts;
}

void print_outside_training_range(const char* command, const Model& model, const std::vector<long long>& counts,
                                  long long rows) {
  for (std::size_t c = 0; c < counts.size(); ++c)
    if (counts[c] > 0)
      std::fprintf(stderr,
                   "%s: warning: %lld of %lld rows have '%s' outside the training range [%s, %s] by more than "
                   "%.0f %% of its width: the model extrapolates there\n",
                   command, counts[c], rows, model.feature_names[c].c_str(), message_number(model.x_min[c]).c_str(),
                   message_number(model.x_max[c]).c_str(), 100.0 * kOutsideRangeMargin);
}

std::string outside_range_json(const Model& model, const std::vector<long long>& counts) {
  std::string s = "{\"margin\": " + json_number(kOutsideRangeMargin) + ", \"features\": [";
  bool first = true;
  for (std::size_t c = 0; c < counts.size(); ++c) {
    if (counts[c] == 0) continue;
    s += std::string(first ? "" : ", ") + "{\"name\": " + json_string(model.feature_names[c]) +
         ", \"rows\": " + std::to_string(counts[c]) + ", \"min\": " + json_number(model.x_min[c]) +
         ", \"max\": " + json_number(model.x_max[c]) + "}";
    first = false;
  }
  return s + "]}";
}

}  // namespace mdn::cli
