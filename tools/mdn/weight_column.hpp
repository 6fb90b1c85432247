// `--weight COL` (mdn train, mdn eval): a column of per-row sample weights.
// It is read as one more target column, so it gets the CSV reader's checks
// (missing and invalid cells, --drop-invalid) and never becomes a feature,
// then moved into Dataset::weights.
#pragma once
#include <string>
#include <vector>

#include "mdn/dataset.hpp"

namespace mdn::cli {

// The target columns to read: `targets`, then `weight` when given. Throws
// UsageError when the weight column is a target or one of `features`.
std::vector<std::string> columns_to_read(const std::vector<std::string>& targets, const std::string& weight,
                                         const std::vector<std::string>& features);

// Moves the last target column of `data` (read by columns_to_read) into its
// weights. Throws UsageError naming the file and line of a negative weight.
void take_weight_column(Dataset& data, const std::string& weight, const std::string& path);

}  // namespace mdn::cli
