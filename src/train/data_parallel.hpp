// Internal: one epoch of data-parallel training over the ranks of a
// Communicator (docs/DISTRIBUTED.md). Every rank holds some of the training
// rows; the epoch's permutation of all G training rows is the one a single
// process would use (random_permutation(G, shuffle_seed)), so minibatch b is
// the same set of rows whatever the number of ranks. Each rank computes the
// gradient of its rows of the batch, weighted by their share of the batch;
// the ranks add them (in rank order on the host, a given N giving the same
// bits; or with the backend's device collective, NCCL) and all take the same
// Adam step (Backend::data_parallel_step), so every rank keeps the same
// weights.
#pragma once
#include <vector>

#include "mdn/backend.hpp"
#include "mdn/communicator.hpp"

namespace mdn::detail {

// x, t: this rank's training rows (standardised); local_row[i]: the row of x
// holding training row i of all G (G = local_row.size()), or -1.
// w: the sample weights of this rank's rows of x, or empty (none).
EpochStats data_parallel_epoch(Backend& backend, Communicator& comm, const Matrix& x, const Matrix& t,
                               const std::vector<float>& w, const std::vector<int>& local_row,
                               const EpochConfig& config);

}  // namespace mdn::detail
