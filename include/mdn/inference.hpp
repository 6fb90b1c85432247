// Running a trained model: a backend that holds its weights, and the
// per-row mixtures p(t | x) in original units for raw inputs.
#pragma once
#include <memory>

#include "mdn/backend.hpp"
#include "mdn/matrix.hpp"
#include "mdn/mixture.hpp"
#include "mdn/model.hpp"

namespace mdn {

// A backend for the model's spec on `device`, holding the model's parameters.
std::unique_ptr<Backend> make_backend(DeviceKind device, const Model& model, const CudaOptions& options = {});

// Runs the network: raw (original-unit) inputs x (rows x D) -> mixtures.
// The backend must hold model.params (make_backend above).
MixtureBatch predict_mixtures(Backend& backend, const Model& model, const Matrix& x_raw);

}  // namespace mdn
