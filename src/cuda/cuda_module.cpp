// The entry point of the CUDA backend module (libmdn_cuda.so): the one
// symbol it exports (the link hides every other, src/CMakeLists.txt).
#include "cuda/cuda_module.hpp"

#include "cuda/cuda_backend.hpp"

namespace {

const mdn::cuda::ModuleV1 kModule = {
    mdn::cuda::kModuleAbi,        // abi
    sizeof(mdn::cuda::ModuleV1),  // size
    MDN_VERSION,                  // version
    mdn::cuda::kModuleLayout,     // layout
    &mdn::cuda::probe_devices,    // probe
    &mdn::cuda::make_backend,     // make_backend
    &mdn::cuda::nccl_status,      // nccl_status
};

}  // namespace

extern "C" __attribute__((visibility("default"))) const mdn::cuda::ModuleV1* mdn_cuda_module_v1() { return &kModule; }
