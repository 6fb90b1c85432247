#include "training_input.hpp"

#include <cstdio>

#include "mdn/csv.hpp"
#include "mdn/error.hpp"
#include "mdn/model_io.hpp"
#include "weight_column.hpp"

namespace mdn::cli {
namespace {

std::string short_number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::string described(const LeftOutColumn& c) {
  return "'" + c.name + "' (" + reason_name(c.reason) + (c.detail.empty() ? ")" : ": " + c.detail + ")");
}

// The columns whose missing cells the model fills in (mdn/feature_encoding.hpp).
void print_filled_columns(const std::string& path, const FeatureEncoding& encoding) {
  for (const InputColumn& in : encoding.inputs) {
    if (!in.had_missing) continue;
    std::string how;
    if (in.kind == InputKind::Category) {
      how = "coded as all zeros (no category)";
    } else {
      std::string means;
      for (double v : in.fill) means += (means.empty() ? "" : ", ") + short_number(v);
      how = "filled with the training mean" + std::string(in.fill.size() > 1 ? "s " : " ") + means +
            ", and the feature '" + in.name + ":missing' marks them";
    }
    std::fprintf(stderr, "mdn train: %s: column '%s' has missing values: %s (--drop-invalid leaves those rows out "
                 "instead)\n", path.c_str(), in.name.c_str(), how.c_str());
  }
}

}  // namespace

void print_column_choice(const std::string& path, const ColumnChoice& choice) {
  if (!choice.chosen) return;
  std::string features;
  for (std::size_t i = 0; i < choice.features.size(); ++i) {
    const bool noted = i < choice.notes.size() && !choice.notes[i].empty();
    features += (features.empty() ? "'" : ", '") + choice.features[i] + "'" +
                (noted ? " as " + choice.notes[i].substr(choice.notes[i].find(": ") + 2) : "");
  }
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
                             bool in_parts, std::shared_ptr<const FeatureEncoding>& encoding) {
  const InvalidCells invalid = request.drop_invalid ? InvalidCells::DropRow : InvalidCells::Fail;
  // A --weight column is read as one more target (weight_column.hpp), which
  // may be constant.
  const std::vector<std::string> read = columns_to_read(request.targets, request.weight_column, features);
  const std::size_t varying = request.targets.size();
  ColumnChoice columns;  // the features, and why the other columns are left out (--features not given)
  DataShard shard;
  if (in_parts) {
    shard = load_training_shard(ranks, request.data_path, read, features, invalid, request.csv, columns, varying,
                                encoding);
  } else {
    shard.data = collectively(ranks, [&] {
      return load_encoded_training_dataset(request.data_path, read, features, invalid, request.csv, columns, varying,
                                           encoding);
    });
    shard.total_rows = shard.data.x.rows;
    shard.dropped_rows = (long long)shard.data.dropped_rows;
  }
  take_weight_column(shard.data, request.weight_column, request.data_path);
  for (LeftOutColumn& c : columns.left_out)
    if (!request.weight_column.empty() && c.name == request.weight_column) c.detail = "the --weight column";
  if (!request.quiet && ranks.root()) print_column_choice(request.data_path, columns);
  if (!request.quiet && ranks.root() && encoding) print_filled_columns(request.data_path, *encoding);
  return shard;
}

Model load_init_model(Communicator& ranks, const TrainRequest& request, std::vector<std::string>& features,
                      TrainOptions& options) {
  Model init = collectively(ranks, [&] { return load_model(request.init_path); });
  if (request.targets != init.target_names)
    throw UsageError("--init: the model was trained for target(s) different from --target");
  if (features.empty() && !init.encoding) features = init.feature_names;
  if (!request.ensemble_given) options.ensemble = init.members;
  return init;
}

Dataset load_validation_rows(Communicator& ranks, const TrainRequest& request,
                             const std::vector<std::string>& feature_names,
                             const std::shared_ptr<const FeatureEncoding>& encoding) {
  const InvalidCells invalid = request.drop_invalid ? InvalidCells::DropRow : InvalidCells::Fail;
  const std::vector<std::string> inputs = encoding ? encoding->input_names() : feature_names;
  const std::vector<std::string> read = columns_to_read(request.targets, request.weight_column, inputs);
  Dataset validation = collectively(ranks, [&] {
    if (!encoding) return load_dataset(request.val_data_path, read, feature_names, invalid, request.csv);
    Model encoded;  // only its encoding is read
    encoded.feature_names = feature_names;
    encoded.encoding = encoding;
    return load_model_dataset(request.val_data_path, encoded, read, invalid, request.csv);
  });
  take_weight_column(validation, request.weight_column, request.val_data_path);
  return validation;
}

}  // namespace mdn::cli
