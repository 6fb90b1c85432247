// Internal: the sample weights of a training run (Dataset::weights), as the
// trainer prepares them before its plan phase.
//
//   rows of weight 0     are left out altogether, so that they have no
//                        influence at all: not on the split, the statistics,
//                        the initial weights or the size of the run (a model
//                        trained with them is the model trained without them)
//   equal weights        are no weights (the unweighted run, bit for bit)
//   the others           are scaled to mean 1 over the training rows
//                        (unit_mean_weights), so a learning rate means what
//                        it means without weights
#pragma once
#include <vector>

#include "mdn/communicator.hpp"
#include "mdn/dataset.hpp"
#include "mdn/trainer.hpp"

namespace mdn::detail {

// The rows of `data` (this rank's part of them for a data-parallel run) and
// the hooks to train on, after the rules above: `kept` is filled only when
// the rules changed something (rows() says which to use: no copy of a data
// set without weights), and `hooks` gets first_row and total_rows of the
// rows kept over every rank. Throws UsageError for weights that are
// negative, not finite, of another length, or all zero (over every rank).
struct WeightedRows {
  const Dataset& given;
  Dataset kept;
  bool changed = false;
  TrainHooks hooks;
  const Dataset& rows() const { return changed ? kept : given; }
};
WeightedRows prepare_weighted_rows(const Dataset& data, const TrainHooks& hooks, bool data_parallel,
                                   Communicator& comm);

// weights[rows[i]] / mean for every i, as floats (the backends' type).
std::vector<float> unit_mean_weights(const std::vector<double>& weights, const std::vector<int>& rows, double mean);

}  // namespace mdn::detail
