// The entry point of the CUDA backend module (libmdn_cuda.so): the one
// symbol it exports (the link hides every other, src/CMakeLists.txt).
#include "cuda/cuda_module.hpp"

#include "cuda/cuda_backend.hpp"

namespace {

std::unique_ptr<mdn::Backend> make_backend(const mdn::ModelSpec& spec, const mdn::CudaOptions& options) {
  return mdn::cuda::make_backend(spec, options);
}

const mdn::cuda::ModuleV1 kModule = {
    mdn::cuda::kModuleAbi,    sizeof(mdn::cuda::ModuleV1), MDN_VERSION,
    mdn::cuda::kModuleLayout, &mdn::cuda::probe_devices,   &make_backend,
};

}  // namespace

extern "C" __attribute__((visibility("default"))) const mdn::cuda::ModuleV1* mdn_cuda_module_v1() { return &kModule; }
