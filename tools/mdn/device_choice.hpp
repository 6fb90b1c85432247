// The backend a command computes on. make_backend chooses the device; with
// --device auto the user is told on stderr which one it took, and why not the
// GPU when a driver is present but cannot be used (cuda_problem()).
#pragma once
#include <memory>

#include "mdn/backend.hpp"
#include "mdn/model.hpp"

namespace mdn::cli {

std::unique_ptr<Backend> open_backend(DeviceKind device, const ModelSpec& spec, const CudaOptions& cuda, bool quiet);
// The same, holding a trained model's parameters.
std::unique_ptr<Backend> open_backend(DeviceKind device, const Model& model, bool quiet, const CudaOptions& cuda = {});

}  // namespace mdn::cli
