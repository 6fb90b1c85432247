// The warning of `mdn predict`, `sample` and `eval` for inputs far outside
// the training rows (rows_outside_training_range in mdn/inference.hpp).
#pragma once
#include <string>
#include <vector>

#include "mdn/communicator.hpp"
#include "mdn/matrix.hpp"
#include "mdn/model.hpp"

namespace mdn::cli {

// Counts this rank's rows of x per feature, adds them over the ranks, and
// (rank 0, unless quiet) prints one warning line per feature that has any:
// "COMMAND: warning: N of R rows have 'x' outside the training range ...".
// Returns the counts over all ranks (empty when the model has no ranges).
std::vector<long long> warn_outside_training_range(Communicator& ranks, const char* command, const Model& model,
                                                   const MatrixD& x, bool quiet);

// The warning lines for counts (rows_outside_training_range, summed over
// parts of the input) out of `rows` rows; nothing for an empty `counts`.
void print_outside_training_range(const char* command, const Model& model, const std::vector<long long>& counts,
                                  long long rows);

// The JSON value for eval: {"margin": m, "features": [{"name", "rows", "min", "max"}...]}, features with rows > 0.
std::string outside_range_json(const Model& model, const std::vector<long long>& counts);

}  // namespace mdn::cli
