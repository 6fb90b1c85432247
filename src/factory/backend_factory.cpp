// Picks a backend. The CUDA backend exists only in builds with the toolkit
// (MDN_WITH_CUDA); elsewhere asking for it is a clear error.
#include "mdn/backend.hpp"
#include "mdn/error.hpp"

#if defined(MDN_WITH_CUDA)
#include "cuda/cuda_backend.hpp"
#endif

namespace mdn {

bool cuda_available() {
#if defined(MDN_WITH_CUDA)
  return cuda::device_count() > 0;
#else
  return false;
#endif
}

std::unique_ptr<Backend> make_cuda_backend(const ModelSpec& spec, const CudaOptions& options) {
#if defined(MDN_WITH_CUDA)
  if (cuda::device_count() == 0) throw Error("--device cuda: no CUDA device is present (use --device cpu or auto)");
  return cuda::make_backend(spec, options);
#else
  (void)spec;
  (void)options;
  throw Error("--device cuda: this build of mdn has no CUDA backend (configured without the CUDA toolkit)");
#endif
}

std::unique_ptr<Backend> make_backend(DeviceKind kind, const ModelSpec& spec, const CudaOptions& options) {
  switch (kind) {
    case DeviceKind::Cpu:
      return make_cpu_backend(spec);
    case DeviceKind::Cuda:
      return make_cuda_backend(spec, options);
    case DeviceKind::Auto:
      return cuda_available() ? make_cuda_backend(spec, options) : make_cpu_backend(spec);
  }
  throw UsageError("unknown device kind");
}

}  // namespace mdn
