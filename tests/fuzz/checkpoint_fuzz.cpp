// libFuzzer target: the training-checkpoint loader (`mdn train --resume`) on
// arbitrary bytes: the model file underneath plus the checkpoint's own tensors
// and its "mdn.checkpoint" metadata JSON. Any input must load or throw
// mdn::Error. A checkpoint that loads must hold consistent sizes (training
// would index them) and save and load again to the same state.
#include <cstdint>
#include <string>

#include "fuzz_file.hpp"
#include "mdn/checkpoint.hpp"
#include "mdn/error.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& path = mdn::fuzz::write_input("checkpoint", data, size);
  try {
    const mdn::Checkpoint c = mdn::load_checkpoint(path);
    const std::size_t n = c.model.params.size();
    if (c.state.params.size() != n || c.state.best_params.size() != n || c.state.optimizer.m.size() != n ||
        c.state.optimizer.v.size() != n)
      __builtin_trap();
    const std::string again = path + ".again";
    mdn::save_checkpoint(c, again);
    const mdn::Checkpoint reloaded = mdn::load_checkpoint(again);
    if (reloaded.state.epoch != c.state.epoch || reloaded.options.seed != c.options.seed ||
        !mdn::fuzz::same_bits(reloaded.state.optimizer.m, c.state.optimizer.m) ||
        !mdn::fuzz::same_bits(reloaded.state.params, c.state.params))
      __builtin_trap();
  } catch (const mdn::Error&) {
  }
  return 0;
}
