// The boundary between the library and its CUDA backend module
// (libmdn_cuda.so, built from src/cuda/ and kernels/; src/CMakeLists.txt).
//
// The module is loaded with dlopen only when a GPU is asked for or probed
// (src/inference/cuda_module_loader.cpp), so a CPU-only run never maps the CUDA
// libraries. It exports one C symbol, mdn_cuda_module_v1, which returns a
// table of entry points. Everything else goes through the Backend the table
// makes: the virtual functions of mdn::Backend are the only way in.
//
// Versioning: the loader refuses a module whose `abi`, `version` or `layout`
// differ from its own (a module left over from another build). Bump
// kModuleAbi when this table, the Backend class (its virtual functions) or a
// type passed through it changes in a way `layout` cannot see.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "cuda/cuda_backend.hpp"  // DeviceProbe
#include "mdn/backend.hpp"
#include "mdn/matrix.hpp"
#include "mdn/spec.hpp"

namespace mdn::cuda {

// 2: MixtureBatch (Backend::statistics) gained `transforms` (issue 27).
inline constexpr std::uint32_t kModuleAbi = 2;

// The module's file name; the loader looks for it next to the binary the
// library is linked into (the mdn program, the Python extension, a test).
inline constexpr const char* kModuleFileName = "libmdn_cuda.so";

// The name of the one exported symbol: `const ModuleV1* mdn_cuda_module_v1()`.
inline constexpr const char* kModuleEntryPoint = "mdn_cuda_module_v1";

// Sizes of the types that cross the boundary: a cheap check that both sides
// were compiled from the same headers.
inline constexpr std::uint64_t kModuleLayout =
    (std::uint64_t{sizeof(Backend)} << 48) ^ (std::uint64_t{sizeof(ModelSpec)} << 32) ^
    (std::uint64_t{sizeof(CudaOptions)} << 24) ^ (std::uint64_t{sizeof(Matrix)} << 12) ^ sizeof(DeviceProbe);

struct ModuleV1 {
  std::uint32_t abi;     // kModuleAbi of the module's build
  std::uint32_t size;    // sizeof(ModuleV1) of the module's build
  const char* version;   // the mdn version the module was built from (MDN_VERSION)
  std::uint64_t layout;  // kModuleLayout of the module's build

  // What the CUDA runtime says about the machine (never throws).
  DeviceProbe (*probe)();
  // The CUDA backend on options.device; throws as cuda::make_backend does.
  std::unique_ptr<Backend> (*make_backend)(const ModelSpec& spec, const CudaOptions& options);
  // Whether NCCL can be loaded for data-parallel GPU ranks, in words (docs/DISTRIBUTED.md).
  std::string (*nccl_status)();
};

using ModuleEntryPoint = const ModuleV1* (*)();

}  // namespace mdn::cuda
