// The CUDA entry points of a build configured without the CUDA toolkit
// (CMake compiles this file instead of src/cuda/): no device is ever found,
// and asking for the CUDA backend is an error that says why.
#include "cuda/cuda_backend.hpp"
#include "mdn/error.hpp"

namespace mdn::cuda {

bool compiled_in() { return false; }

std::string nccl_status() { return "NCCL: not compiled in (it comes with the CUDA backend)"; }

DeviceProbe probe_devices() { return {}; }

int device_count() { return 0; }

std::unique_ptr<mdn::Backend> make_backend(const ModelSpec&, const CudaOptions&) {
  throw Error("this build of mdn has no CUDA backend (it was configured without the CUDA toolkit)");
}

}  // namespace mdn::cuda
