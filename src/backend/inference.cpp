#include "mdn/inference.hpp"

#include <string>

#include "mdn/error.hpp"

namespace mdn {

std::unique_ptr<Backend> make_backend(DeviceKind device, const Model& model, const CudaOptions& options) {
  auto backend = make_backend(device, model.spec, options);
  backend->set_parameters(model.params);
  return backend;
}

MixtureBatch predict_mixtures(Backend& backend, const Model& model, const Matrix& x_raw) {
  if (x_raw.cols != model.spec.input_dim)
    throw Error("data has " + std::to_string(x_raw.cols) + " feature columns; the model expects " +
                std::to_string(model.spec.input_dim));
  return mixtures_from_head(model, backend.forward(model.stats.standardize_x(x_raw)));
}

}  // namespace mdn
