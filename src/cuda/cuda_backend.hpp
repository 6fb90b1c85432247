// The CUDA backend's entry points for the factory. Plain C++: no CUDA header
// is included, so this compiles with g++ (src/factory/backend_factory.cpp).
#pragma once
#include <memory>

#include "mdn/backend.hpp"
#include "mdn/spec.hpp"

namespace mdn::cuda {

// Number of CUDA devices; 0 when there is no driver or no device. Never throws.
int device_count();

// The CUDA backend on options.device. Throws mdn::Error when the device
// cannot be used (or is out of memory), UsageError for an invalid spec.
std::unique_ptr<mdn::Backend> make_backend(const ModelSpec& spec, const CudaOptions& options);

}  // namespace mdn::cuda
