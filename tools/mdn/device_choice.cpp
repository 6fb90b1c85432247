#include "device_choice.hpp"

#include <cstdio>
#include <string>

#include "mdn/inference.hpp"

namespace mdn::cli {
namespace {

void announce(DeviceKind device, const Backend& backend, bool quiet) {
  if (device != DeviceKind::Auto || quiet) return;
  const std::string problem = cuda_problem();
  if (!problem.empty())
    std::fprintf(stderr, "mdn: warning: the GPU cannot be used (%s); computing on the CPU\n", problem.c_str());
  std::fprintf(stderr, "mdn: --device auto chose %s\n", backend.name().c_str());
}

}  // namespace

std::unique_ptr<Backend> open_backend(DeviceKind device, const ModelSpec& spec, const CudaOptions& cuda, bool quiet) {
  auto backend = make_backend(device, spec, cuda);
  announce(device, *backend, quiet);
  return backend;
}

std::unique_ptr<Backend> open_backend(DeviceKind device, const Model& model, bool quiet, const CudaOptions& cuda) {
  auto backend = make_backend(device, model, cuda);
  announce(device, *backend, quiet);
  return backend;
}

}  // namespace mdn::cli
