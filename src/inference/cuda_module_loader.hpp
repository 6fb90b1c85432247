// Finds and loads the CUDA backend module (libmdn_cuda.so, see
// cuda/cuda_module.hpp) the first time a GPU is asked for or probed, so a
// CPU-only run never maps the CUDA libraries.
#pragma once
#include <string>

#include "cuda/cuda_module.hpp"

namespace mdn::cuda_module {

// Whether this build has a CUDA module at all (false when it was configured
// without the CUDA toolkit).
bool built();

// Whether NVIDIA's driver library (libcuda.so.1) can be loaded. Cheap where
// there is none (a failed dlopen); without it no GPU can be used, so
// DeviceKind::Auto does not load the module at all.
bool driver_present();

// The module, loaded once per process (and never unloaded: the backends it
// makes run its code). Null when there is none, with the reason in *why:
// not found (naming every path tried), not loadable (dlopen's message),
// or built for another version of mdn.
const cuda::ModuleV1* load(std::string* why);

}  // namespace mdn::cuda_module
