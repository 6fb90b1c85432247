// The rows `mdn train` trains on: read (in parts across ranks, or whole),
// with what it says about the columns of its data file when it chose the
// features itself (no --features): the features, every column left out with
// its reason, and a warning for the ones a user may have meant (row
// counters, row labels, constant columns).
#pragma once
#include <string>
#include <vector>

#include "commands.hpp"
#include "mdn/columns.hpp"
#include "mdn/communicator.hpp"
#include "mdn/feature_encoding.hpp"
#include "mdn/sharded_data.hpp"

namespace mdn::cli {

// Lines on stderr; nothing when the features were named.
void print_column_choice(const std::string& path, const ColumnChoice& choice);

// The request's data with `features` (empty: chosen, and printed unless
// quiet): each rank its part of the rows (in_parts), or every rank all of them.
// With --weight, the weight column goes into Dataset::weights. `encoding`:
// given (an --init or --resume model's), applied; null, fitted on the whole
// file (in parts: the ranks' facts merged, the encoding one process fits)
// and returned (null when the features are plain numbers).
DataShard load_training_rows(Communicator& ranks, const TrainRequest& request, const std::vector<std::string>& features,
                             bool in_parts, std::shared_ptr<const FeatureEncoding>& encoding);

// --init: the model to start from; the run takes its features (when none
// were named) and its ensemble size (when --ensemble was not given).
Model load_init_model(Communicator& ranks, const TrainRequest& request, std::vector<std::string>& features,
                      TrainOptions& options);

// --val-data: every rank reads every row of it (TrainHooks::validation),
// with the training features, the targets and the --weight column.
Dataset load_validation_rows(Communicator& ranks, const TrainRequest& request,
                             const std::vector<std::string>& feature_names,
                             const std::shared_ptr<const FeatureEncoding>& encoding);

}  // namespace mdn::cli
