// Picks a backend at run time. The CUDA entry points (cuda/cuda_backend.hpp)
// come from src/cuda/ in builds with the toolkit and from cuda_absent.cpp in
// builds without it; CMake links one or the other, so no code here depends on
// how the library was configured.
#include "cuda/cuda_backend.hpp"
#include "mdn/backend.hpp"
#include "mdn/error.hpp"

namespace mdn {

bool cuda_available() { return cuda::probe_devices().count > 0; }

std::string cuda_problem() { return cuda::probe_devices().problem; }

std::string cuda_description() {
  return (cuda::compiled_in() ? "CUDA backend: compiled in (cuBLAS, cuRAND; used with --device cuda or auto)\n"
                              : "CUDA backend: not compiled in (the build found no CUDA toolkit)\n") +
         cuda::nccl_status();
}

std::unique_ptr<Backend> make_cuda_backend(const ModelSpec& spec, const CudaOptions& options) {
  if (!cuda::compiled_in())
    throw Error("this build of mdn has no CUDA backend (it was configured without the CUDA toolkit)");
  const cuda::DeviceProbe probe = cuda::probe_devices();
  if (!probe.problem.empty()) throw Error("the CUDA runtime cannot use the GPU (" + probe.problem + ")");
  if (probe.count == 0) throw Error("no CUDA device is present (use the CPU backend)");
  return cuda::make_backend(spec, options);
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
  if (cuda::probe_devices().count > 0) return cuda::make_backend(spec, options);
  return make_cpu_backend(spec);
}

}  // namespace mdn
