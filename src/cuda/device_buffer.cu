#include <cstdio>
#include <string>

#include "cuda_check.cuh"
#include "cuda/capture_lock.hpp"
#include "cuda/device_buffer.cuh"
#include "mdn/error.hpp"

namespace mdn::cuda {
namespace {

std::string mebibytes(std::size_t bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB", double(bytes) / (1024.0 * 1024.0));
  return text;
}

}  // namespace

void* device_allocate(std::size_t bytes, const char* what, const char* advice) {
  // Never while another thread captures a graph (capture_lock.hpp).
  const CaptureExclusion no_capture;
  void* ptr = nullptr;
  const cudaError_t status = cudaMalloc(&ptr, bytes);
  if (status == cudaErrorMemoryAllocation) {
    (void)cudaGetLastError();  // not sticky: clear it so later checks do not see it
    std::size_t free_bytes = 0, total_bytes = 0;
    std::string free_text;
    if (cudaMemGetInfo(&free_bytes, &total_bytes) == cudaSuccess)
      free_text = " (" + mebibytes(free_bytes) + " free of " + mebibytes(total_bytes) + ")";
    else
      (void)cudaGetLastError();
    throw Error("GPU out of memory: cannot allocate " + mebibytes(bytes) + " for " + what + free_text + "; " + advice);
  }
  MDN_CUDA_CHECK(status);
  return ptr;
}

void device_free(void* ptr) noexcept {
  if (ptr == nullptr) return;
  // cudaFree may synchronise the device, which would invalidate another
  // thread's capture: never while one is open (capture_lock.hpp).
  const CaptureExclusion no_capture;
  (void)cudaFree(ptr);
}

void copy_to_device(void* dst, const void* src, std::size_t bytes, cudaStream_t stream) {
  if (bytes > 0) MDN_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, stream));
}

void copy_to_host(void* dst, const void* src, std::size_t bytes, cudaStream_t stream) {
  if (bytes > 0) MDN_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, stream));
}

void copy_device_to_device(void* dst, const void* src, std::size_t bytes, cudaStream_t stream) {
  if (bytes > 0) MDN_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, stream));
}

}  // namespace mdn::cuda
