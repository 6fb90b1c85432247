// What `mdn train` says about the columns of its data file when it chose the
// features itself (no --features): the features, every column left out with
// its reason, and a warning for the ones a user may have meant (row
// counters, row labels, constant columns).
#pragma once
#include <string>

#include "mdn/columns.hpp"

namespace mdn::cli {

// Lines on stderr; nothing when the features were named.
void print_column_choice(const std::string& path, const ColumnChoice& choice);

}  // namespace mdn::cli
