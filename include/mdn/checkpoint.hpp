// Training checkpoints: a model file (current weights, statistics, history)
// plus what it takes to continue exactly: Adam moments and step, the best
// weights so far, the epoch, the learning rate after rollbacks, and the
// options. The shuffle of each epoch depends only on (seed, epoch), so this is
// all the random state there is. Written atomically.
#pragma once
#include <string>

#include "mdn/model.hpp"
#include "mdn/train_options.hpp"

namespace mdn {

struct Checkpoint {
  Model model;  // params = the weights after state.epoch epochs
  TrainingState state;
  TrainOptions options;
};

void save_checkpoint(const Checkpoint& checkpoint, const std::string& path);
// Refuses a plain model file or a corrupt checkpoint with a message naming the file.
Checkpoint load_checkpoint(const std::string& path);

}  // namespace mdn
