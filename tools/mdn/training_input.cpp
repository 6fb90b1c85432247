#include "training_input.hpp"

#include <cstdio>

namespace mdn::cli {
namespace {

std::string described(const LeftOutColumn& c) {
  return "'" + c.name + "' (" + reason_name(c.reason) + (c.detail.empty() ? ")" : ": " + c.detail + ")");
}

}  // namespace

void print_column_choice(const std::string& path, const ColumnChoice& choice) {
  if (!choice.chosen) return;
  std::string features;
  for (const std::string& f : choice.features) features += (features.empty() ? "'" : ", '") + f + "'";
  std::string left_out, warned;
  for (const LeftOutColumn& c : choice.left_out) {
    left_out += (left_out.empty() ? "" : ", ") + described(c);
    if (warn_about(c.reason)) warned += (warned.empty() ? "" : ", ") + described(c);
  }
  std::fprintf(stderr, "%s: %zu feature column%s: %s; left out: %s\n", path.c_str(), choice.features.size(),
               choice.features.size() == 1 ? "" : "s", features.c_str(), left_out.empty() ? "none" : left_out.c_str());
  if (!warned.empty())
    std::fprintf(stderr,
                 "mdn train: warning: %s: left out %s by default; --features COL,... names the features to use "
                 "(any column)\n",
                 path.c_str(), warned.c_str());
}

DataShard load_training_rows(Communicator& ranks, const TrainRequest& request, const std::vector<std::string>& features,
                             bool in_parts) {
  const InvalidCells invalid = request.drop_invalid ? InvalidCells::DropRow : InvalidCells::Fail;
  ColumnChoice columns;  // the features, and why the other columns are left out (--features not given)
  DataShard shard;
  if (in_parts) {
    shard = load_dataset_shard(ranks, request.data_path, request.targets, features, invalid, request.csv, &columns);
  } else {
    shard.data = collectively(ranks, [&] {
      return load_training_dataset(request.data_path, request.targets, features, invalid, request.csv, columns);
    });
    shard.total_rows = shard.data.x.rows;
    shard.dropped_rows = (long long)shard.data.dropped_rows;
  }
  if (!request.quiet && ranks.root()) print_column_choice(request.data_path, columns);
  return shard;
}

}  // namespace mdn::cli
