#include "train/sample_weights.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "mdn/error.hpp"
#include "train/training_data.hpp"

namespace mdn::detail {
namespace {

// This rank's (kept rows, smallest positive weight, largest weight) added up
// over the ranks: the kept rows' offsets and total, and whether every weight
// is the same.
struct KeptRows {
  long long first_row = 0, total = 0;
  double lowest = 0.0, highest = 0.0;
};

KeptRows count_kept_rows(const std::vector<double>& weights, long long kept, Communicator& comm) {
  double local[3] = {double(kept), 0.0, 0.0};
  bool any = false;
  for (double w : weights) {
    if (w == 0.0) continue;
    local[1] = any ? std::min(local[1], w) : w;
    local[2] = any ? std::max(local[2], w) : w;
    any = true;
  }
  KeptRows out;
  bool seen = false;
  int rank = 0;
  for (const std::string& part : comm.all_gather(std::string(reinterpret_cast<const char*>(local), sizeof local))) {
    double v[3];
    std::memcpy(v, part.data(), sizeof v);
    if (rank++ < comm.rank()) out.first_row += (long long)v[0];
    out.total += (long long)v[0];
    if (v[0] == 0.0) continue;
    out.lowest = seen ? std::min(out.lowest, v[1]) : v[1];
    out.highest = seen ? std::max(out.highest, v[2]) : v[2];
    seen = true;
  }
  return out;
}

}  // namespace

WeightedRows prepare_weighted_rows(const Dataset& data, const TrainHooks& hooks, bool data_parallel,
                                   Communicator& comm) {
  WeightedRows out{data, Dataset{}, false, hooks};
  if (data.weights.empty()) return out;
  const std::string what = data.weight_name.empty() ? "the sample weights" : "the weights (" + data.weight_name + ")";
  // Every rank checks its own rows; "all zero" is a property of all of them.
  check_weights(data.weights, data.x.rows, what, /*require_positive=*/!data_parallel);
  std::vector<int> kept;
  for (int r = 0; r < data.x.rows; ++r)
    if (data.weights[std::size_t(r)] > 0.0) kept.push_back(r);
  const KeptRows all = count_kept_rows(data.weights, (long long)kept.size(), comm);
  if (all.total == 0) throw UsageError(what + ": every weight is 0; at least one row must have a positive weight");
  if (data_parallel) {
    out.hooks.first_row = all.first_row;
    out.hooks.total_rows = all.total;
  }
  const bool equal = all.lowest == all.highest;  // equal weights are no weights
  if (kept.size() == std::size_t(data.x.rows) && !equal) return out;
  out.changed = true;
  out.kept = data;
  if (kept.size() != std::size_t(data.x.rows)) {
    out.kept.x = take_rows(data.x, kept);
    out.kept.t = take_rows(data.t, kept);
    out.kept.weights.clear();
    for (int r : kept) out.kept.weights.push_back(data.weights[std::size_t(r)]);
    out.kept.lines.clear();
    if (data.lines.size() == std::size_t(data.x.rows))
      for (int r : kept) out.kept.lines.push_back(data.lines[std::size_t(r)]);
  }
  if (equal) out.kept.weights.clear();
  return out;
}

std::vector<float> unit_mean_weights(const std::vector<double>& weights, const std::vector<int>& rows, double mean) {
  std::vector<float> out;
  out.reserve(rows.size());
  for (int r : rows) out.push_back(float(weights[std::size_t(r)] / mean));
  return out;
}

}  // namespace mdn::detail
