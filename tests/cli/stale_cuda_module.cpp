// A CUDA backend module from another build of mdn (an older version), for
// the command-line tests: the loader must refuse it before calling into it.
#include <cstdlib>

#include "cuda/cuda_module.hpp"

namespace {

mdn::cuda::DeviceProbe never_probe() { std::abort(); }
std::unique_ptr<mdn::Backend> never_make(const mdn::ModelSpec&, const mdn::CudaOptions&) { std::abort(); }

const mdn::cuda::ModuleV1 kStale = {mdn::cuda::kModuleAbi, sizeof(mdn::cuda::ModuleV1),
                                    "0.0.1-stale",         mdn::cuda::kModuleLayout,
                                    &never_probe,          &never_make};

}  // namespace

extern "C" __attribute__((visibility("default"))) const mdn::cuda::ModuleV1* mdn_cuda_module_v1() { return &kStale; }
