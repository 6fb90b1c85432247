// libFuzzer target: the model-file loader on arbitrary bytes (safetensors
// length, header JSON, metadata, tensor table, data). Any input must load or
// throw mdn::Error — never crash, hang, over-allocate or read out of bounds. A
// model that loads must be usable: one forward pass, and it must save and load
// again to the same model.
#include <cstdint>
#include <string>

#include "fuzz_file.hpp"
#include "mdn/backend.hpp"
#include "mdn/error.hpp"
#include "mdn/model_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string& path = mdn::fuzz::write_input("model", data, size);
  try {
    const mdn::Model model = mdn::load_model(path);
    // Keep the forward pass cheap even for a large (valid) spec.
    if (mdn::ParameterLayout(model.spec).total < 1000000) {
      auto backend = mdn::make_cpu_backend(model.spec);
      backend->set_parameters(model.params);
      backend->forward(mdn::Matrix(2, model.spec.input_dim, 0.5f));
    }
    const std::string again = path + ".again";
    mdn::save_model(model, again);
    const mdn::Model reloaded = mdn::load_model(again);
    if (!mdn::fuzz::same_bits(reloaded.params, model.params) || reloaded.feature_names != model.feature_names ||
        reloaded.target_names != model.target_names)
      __builtin_trap();  // a loaded model must survive a save/load round trip
  } catch (const mdn::Error&) {
  }
  return 0;
}
