#include "weight_column.hpp"

#include <algorithm>

#include "mdn/error.hpp"
#include "mdn/matrix.hpp"
#include "text_output.hpp"

namespace mdn::cli {

std::vector<std::string> columns_to_read(const std::vector<std::string>& targets, const std::string& weight,
                                         const std::vector<std::string>& features) {
  if (weight.empty()) return targets;
  if (std::find(targets.begin(), targets.end(), weight) != targets.end())
    throw UsageError("--weight: column '" + weight + "' is also a target (--target)");
  if (std::find(features.begin(), features.end(), weight) != features.end())
    throw UsageError("--weight: column '" + weight + "' is also a feature (--features)");
  std::vector<std::string> out = targets;
  out.push_back(weight);
  return out;
}

void take_weight_column(Dataset& data, const std::string& weight, const std::string& path) {
  if (weight.empty()) return;
  const int T = data.t.cols - 1;
  MatrixD t(data.t.rows, T);
  data.weights.resize(std::size_t(data.t.rows));
  for (int r = 0; r < data.t.rows; ++r) {
    std::copy_n(data.t.row(r), T, t.row(r));
    const double w = data.t(r, T);
    if (w < 0.0) {
      const std::string line = std::size_t(r) < data.lines.size() ? std::to_string(data.lines[std::size_t(r)]) : "?";
      throw UsageError(path + ": line " + line + ": the weight (--weight column '" + weight + "') is " +
                       message_number(w) + "; weights must be >= 0");
    }
    data.weights[std::size_t(r)] = w;
  }
  data.t = std::move(t);
  data.target_names.pop_back();
  data.weight_name = weight;
}

}  // namespace mdn::cli
