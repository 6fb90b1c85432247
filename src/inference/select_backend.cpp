// Picks a backend at run time. The CUDA backend lives in a module loaded on
// first use (cuda_module_loader.hpp): asking for the CPU never loads it, and
// DeviceKind::Auto loads it only where NVIDIA's driver is installed.
#include "inference/cuda_module_loader.hpp"
#include "mdn/backend.hpp"
#include "mdn/error.hpp"

namespace mdn {
namespace {

// The module when a GPU could be there (a build with CUDA and a driver), else null.
const cuda::ModuleV1* module_if_driver(std::string* why) {
  if (!cuda_module::built() || !cuda_module::driver_present()) return nullptr;
  return cuda_module::load(why);
}

}  // namespace

bool cuda_available() {
  const cuda::ModuleV1* module = module_if_driver(nullptr);
  return module != nullptr && module->probe().count > 0;
}

std::string cuda_problem() {
  std::string why;
  const cuda::ModuleV1* module = module_if_driver(&why);
  return module != nullptr ? module->probe().problem : why;
}

std::string cuda_description() {
  if (!cuda_module::built())
    return "CUDA backend: not built (no CUDA toolkit found, or -DMDN_ENABLE_CUDA=OFF)\n"
           "NCCL: not built (it comes with the CUDA backend)";
  // Loads the module (and its CUDA libraries): only `mdn --version` asks.
  std::string why;
  const cuda::ModuleV1* module = cuda_module::load(&why);
  if (module == nullptr)
    return "CUDA backend: built, but its module cannot be loaded (" + why +
           ")\nNCCL: unknown (it comes with the module)";
  return "CUDA backend: built (module libmdn_cuda.so, loaded on first use; cuBLAS, cuRAND; used for the devices cuda "
         "and auto)\n" +
         module->nccl_status();
}

std::unique_ptr<Backend> make_cuda_backend(const ModelSpec& spec, const CudaOptions& options) {
  std::string why;
  const cuda::ModuleV1* module = cuda_module::load(&why);
  if (module == nullptr) throw Error(why);
  const cuda::DeviceProbe probe = module->probe();
  if (!probe.problem.empty()) throw Error("the CUDA runtime cannot use the GPU (" + probe.problem + ")");
  if (probe.count == 0) throw Error("no CUDA device is present (use the CPU backend)");
  return module->make_backend(spec, options);
}

std::unique_ptr<Backend> make_backend(DeviceKind kind, const ModelSpec& spec, const CudaOptions& options) {
  switch (kind) {
    case DeviceKind::Cpu:
      return make_cpu_backend(spec);
    case DeviceKind::Cuda:
      return make_cuda_backend(spec, options);
    case DeviceKind::Auto:
      break;
  }
  // Auto: the GPU when one is usable, else the CPU. Callers tell the user
  // which (Backend::name) and why not the GPU (cuda_problem).
  const cuda::ModuleV1* module = module_if_driver(nullptr);
  if (module != nullptr && module->probe().count > 0) return module->make_backend(spec, options);
  return make_cpu_backend(spec);
}

}  // namespace mdn
