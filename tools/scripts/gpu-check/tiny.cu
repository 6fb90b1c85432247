// The GPU check's preflight program (tools/scripts/gpu-check/preflight.sh):
// one allocation, one copy each way, one kernel, built by the image's nvcc for
// the check's architecture. Run bare, it proves that this nvcc, this driver
// and this GPU work together; run under compute-sanitizer, that the sanitizer
// accepts the device on this runtime. Not part of the CMake build.
#include <cuda_runtime.h>

#include <cstdio>

__global__ void add_index(int* values) { values[threadIdx.x] += static_cast<int>(threadIdx.x); }

static int fail(const char* what, cudaError_t status) {
  std::printf("tiny CUDA program: %s failed: %s (%s)\n", what, cudaGetErrorName(status), cudaGetErrorString(status));
  return 1;
}

int main() {
  int runtime = 0, driver = 0;
  cudaRuntimeGetVersion(&runtime);
  cudaDriverGetVersion(&driver);
  std::printf("runtime CUDA %d.%d, driver supports CUDA %d.%d\n", runtime / 1000, runtime % 1000 / 10, driver / 1000,
              driver % 1000 / 10);
  cudaDeviceProp prop{};
  cudaError_t status = cudaGetDeviceProperties(&prop, 0);
  if (status != cudaSuccess) return fail("cudaGetDeviceProperties", status);
  std::printf("device 0: %s, compute %d.%d, %zu MiB\n", prop.name, prop.major, prop.minor,
              prop.totalGlobalMem >> 20);
  int host[32] = {};
  int* device = nullptr;
  if ((status = cudaMalloc(&device, sizeof host)) != cudaSuccess) return fail("cudaMalloc", status);
  if ((status = cudaMemcpy(device, host, sizeof host, cudaMemcpyHostToDevice)) != cudaSuccess)
    return fail("cudaMemcpy to the device", status);
  add_index<<<1, 32>>>(device);
  if ((status = cudaGetLastError()) != cudaSuccess) return fail("the kernel launch", status);
  if ((status = cudaMemcpy(host, device, sizeof host, cudaMemcpyDeviceToHost)) != cudaSuccess)
    return fail("cudaMemcpy to the host (after the kernel)", status);
  cudaFree(device);
  for (int i = 0; i < 32; ++i)
    if (host[i] != i) {
      std::printf("tiny CUDA program: wrong result at %d (%d)\n", i, host[i]);
      return 1;
    }
  std::printf("tiny CUDA program: ok\n");
  return 0;
}
