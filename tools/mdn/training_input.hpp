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
#include "mdn/sharded_data.hpp"

namespace mdn::cli {

// Lines on stderr; nothing when the features were named.
void print_column_choice(const std::string& path, const ColumnChoice& choice);

// The request's data with `features` (empty: chosen, and printed unless
// quiet): each rank its part of the rows (in_parts), or every rank all of them.
DataShard load_training_rows(Communicator& ranks, const TrainRequest& request, const std::vector<std::string>& features,
                             bool in_parts);

}  // namespace mdn::cli
