// Checked calls for the CUDA runtime, cuBLAS and cuRAND. A failing status
// becomes an mdn::Error that names the file, the line, the call's text and the
// library's own error string; an out-of-memory status says so plainly and
// suggests a smaller batch size (TrainOptions::batch_size: the library names
// option fields, never command-line flags). The library never calls exit().
//
//   MDN_CUDA_CHECK(cudaMemcpyAsync(...));
//   kernel<<<grid, block, 0, stream>>>(...);
//   MDN_CUDA_CHECK(cudaGetLastError());      // after every launch
//   MDN_CUBLAS_CHECK(cublasSgemm(...));
//   MDN_CURAND_CHECK(curandGenerate(...));
//
// Each macro only accepts its own library's status type (a cuBLAS status in
// MDN_CUDA_CHECK does not compile).
#pragma once
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <curand.h>

namespace mdn::cuda {

// Blocks of `per_block` items that cover `n` items: ceil(n / per_block), in
// the type of n. Every launcher sizes its grid with this.
template <class N, class P>
constexpr N ceil_div(N n, P per_block) {
  return (n + N(per_block) - 1) / N(per_block);
}

[[noreturn]] void throw_cuda_error(cudaError_t status, const char* call, const char* file, int line);
[[noreturn]] void throw_cublas_error(cublasStatus_t status, const char* call, const char* file, int line);
[[noreturn]] void throw_curand_error(curandStatus_t status, const char* call, const char* file, int line);

}  // namespace mdn::cuda

#define MDN_CUDA_CHECK(call)                                                                                         \
  do {                                                                                                               \
    const cudaError_t mdn_cuda_status_ = (call);                                                                     \
    if (mdn_cuda_status_ != cudaSuccess) ::mdn::cuda::throw_cuda_error(mdn_cuda_status_, #call, __FILE__, __LINE__); \
  } while (0)

#define MDN_CUBLAS_CHECK(call)                                                        \
  do {                                                                                \
    const cublasStatus_t mdn_cublas_status_ = (call);                                 \
    if (mdn_cublas_status_ != CUBLAS_STATUS_SUCCESS)                                  \
      ::mdn::cuda::throw_cublas_error(mdn_cublas_status_, #call, __FILE__, __LINE__); \
  } while (0)

#define MDN_CURAND_CHECK(call)                                                        \
  do {                                                                                \
    const curandStatus_t mdn_curand_status_ = (call);                                 \
    if (mdn_curand_status_ != CURAND_STATUS_SUCCESS)                                  \
      ::mdn::cuda::throw_curand_error(mdn_curand_status_, #call, __FILE__, __LINE__); \
  } while (0)
