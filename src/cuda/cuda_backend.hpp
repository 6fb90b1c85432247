// The CUDA backend's entry points inside its module (cuda_module.cpp exports
// them to the library; the GPU tests and benchmarks call them directly).
// Plain C++: no CUDA header is included, so this compiles with g++.
#pragma once
#include <memory>
#include <string>

#include "mdn/backend.hpp"
#include "mdn/spec.hpp"

namespace mdn::cuda {

// What the CUDA runtime says about the machine. `count` is the number of
// usable devices; `problem` is empty when the runtime answered, and otherwise
// names the status (for example an insufficient driver), so that a broken
// driver is not mistaken for a machine without a GPU. Never throws.
struct DeviceProbe {
  int count = 0;
  bool no_device = true;  // true when the runtime says there is simply no device (or no driver at all)
  std::string problem;    // the runtime's status when it is something else
};
DeviceProbe probe_devices();

// Whether NCCL (loaded at run time) can be used, in words, for `mdn --version`.
std::string nccl_status();

// Number of CUDA devices; 0 when there is no driver, no device or an error. Never throws.
int device_count();

// The CUDA backend on options.device. Throws mdn::Error when the device
// cannot be used (or is out of memory), UsageError for an invalid spec.
std::unique_ptr<mdn::Backend> make_backend(const ModelSpec& spec, const CudaOptions& options);

}  // namespace mdn::cuda
