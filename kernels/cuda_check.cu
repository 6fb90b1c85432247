#include <string>

#include "cuda_check.cuh"
#include "mdn/error.hpp"

namespace mdn::cuda {
namespace {

// Library messages name option fields, never a program's flags: the mdn
// program and the Python package translate TrainOptions::<field> for their users.
constexpr const char* kSmallerBatch = "; try a smaller batch size (TrainOptions::batch_size) or a smaller model";

std::string where(const char* call, const char* file, int line) {
  return std::string(call) + " at " + file + ":" + std::to_string(line);
}

const char* curand_status_name(curandStatus_t status) {
  switch (status) {
    case CURAND_STATUS_SUCCESS:
      return "CURAND_STATUS_SUCCESS";
    case CURAND_STATUS_VERSION_MISMATCH:
      return "CURAND_STATUS_VERSION_MISMATCH";
    case CURAND_STATUS_NOT_INITIALIZED:
      return "CURAND_STATUS_NOT_INITIALIZED";
    case CURAND_STATUS_ALLOCATION_FAILED:
      return "CURAND_STATUS_ALLOCATION_FAILED (out of memory)";
    case CURAND_STATUS_TYPE_ERROR:
      return "CURAND_STATUS_TYPE_ERROR";
    case CURAND_STATUS_OUT_OF_RANGE:
      return "CURAND_STATUS_OUT_OF_RANGE";
    case CURAND_STATUS_LENGTH_NOT_MULTIPLE:
      return "CURAND_STATUS_LENGTH_NOT_MULTIPLE";
    case CURAND_STATUS_DOUBLE_PRECISION_REQUIRED:
      return "CURAND_STATUS_DOUBLE_PRECISION_REQUIRED";
    case CURAND_STATUS_LAUNCH_FAILURE:
      return "CURAND_STATUS_LAUNCH_FAILURE";
    case CURAND_STATUS_PREEXISTING_FAILURE:
      return "CURAND_STATUS_PREEXISTING_FAILURE";
    case CURAND_STATUS_INITIALIZATION_FAILED:
      return "CURAND_STATUS_INITIALIZATION_FAILED";
    case CURAND_STATUS_ARCH_MISMATCH:
      return "CURAND_STATUS_ARCH_MISMATCH";
    case CURAND_STATUS_INTERNAL_ERROR:
      return "CURAND_STATUS_INTERNAL_ERROR";
  }
  return "unknown cuRAND status";
}

}  // namespace

void throw_cuda_error(cudaError_t status, const char* call, const char* file, int line) {
  // Clear the (non-sticky) error so that the next launch check does not report
  // this one again. A sticky error (a kernel fault) stays: the context is lost.
  (void)cudaGetLastError();
  std::string message = "CUDA error: " + std::string(cudaGetErrorName(status)) + " (" + cudaGetErrorString(status) +
                        ") in " + where(call, file, line);
  if (status == cudaErrorMemoryAllocation) message = "GPU out of memory in " + where(call, file, line) + kSmallerBatch;
  throw Error(message);
}

void throw_cublas_error(cublasStatus_t status, const char* call, const char* file, int line) {
  std::string message = "cuBLAS error: " + std::string(cublasGetStatusName(status)) + " (" +
                        cublasGetStatusString(status) + ") in " + where(call, file, line);
  if (status == CUBLAS_STATUS_ALLOC_FAILED) message += kSmallerBatch;
  throw Error(message);
}

void throw_curand_error(curandStatus_t status, const char* call, const char* file, int line) {
  std::string message = "cuRAND error: " + std::string(curand_status_name(status)) + " in " + where(call, file, line);
  if (status == CURAND_STATUS_ALLOCATION_FAILED) message += kSmallerBatch;
  throw Error(message);
}

}  // namespace mdn::cuda
