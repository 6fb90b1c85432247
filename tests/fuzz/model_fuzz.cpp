// libFuzzer target: the model-file loader on arbitrary bytes. Any input must
// load or throw mdn::Error — never crash, hang, over-allocate or read out of
// bounds. A model that loads must be usable: one forward pass on it.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "mdn/backend.hpp"
#include "mdn/error.hpp"
#include "mdn/model_io.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = "/tmp/mdn-model-fuzz-" + std::to_string(::getpid()) + ".safetensors";
  if (std::FILE* f = std::fopen(path.c_str(), "wb")) {
    std::fwrite(data, 1, size, f);
    std::fclose(f);
  }
  try {
    const mdn::Model model = mdn::load_model(path);
    // Keep the forward pass cheap even for a large (valid) spec.
    if (mdn::ParameterLayout(model.spec).total < 1000000) {
      auto backend = mdn::make_cpu_backend(model.spec);
      backend->set_parameters(model.params);
      backend->forward(mdn::Matrix(2, model.spec.input_dim, 0.5f));
    }
  } catch (const mdn::Error&) {
  }
  return 0;
}
