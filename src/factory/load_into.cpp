// Lives beside the backend factory (not in mdn_core) because it calls
// make_backend, which may create a CUDA backend.
#include "mdn/mixture.hpp"

namespace mdn {

std::unique_ptr<Backend> load_into(DeviceKind device, const Model& model, const CudaOptions& options) {
  auto backend = make_backend(device, model.spec, options);
  backend->set_parameters(model.params);
  return backend;
}

}  // namespace mdn
