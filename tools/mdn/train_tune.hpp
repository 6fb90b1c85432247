// mdn train --tune N: the model search before training (mdn/tuner.hpp;
// docs/TRAINING.md, "Model search"): its flags, their checks, the search with
// its progress and log, and the configuration the final training takes.
#pragma once
#include <atomic>
#include <string>

#include "CLI/CLI.hpp"
#include "commands.hpp"
#include "mdn/communicator.hpp"
#include "mdn/dataset.hpp"

namespace mdn::cli {

// --tune, --tune-time, --tune-log.
void add_tune_options(CLI::App& app, TrainRequest& request);
// Before any work: flags that need --tune or conflict with it, an
// unwritable log.
void check_tune_request(const TrainRequest& request);
// Runs the search on `data` (every row, on every rank: the ranks share the
// trainings out) and sets spec and options to the best configuration
// (options.ensemble stays the request's); returns the summary for
// Model::tuning. Rank 0 writes the log and the messages; a stop request
// writes it and throws Interrupted.
std::string search_before_training(Communicator& ranks, const TrainRequest& request, const Dataset& data,
                                   ModelSpec& spec, TrainOptions& options, const std::atomic<bool>* stop_requested);

}  // namespace mdn::cli
