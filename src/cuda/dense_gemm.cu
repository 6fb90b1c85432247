// Row-major dense-layer GEMMs on cuBLAS; the layout reasoning is in dense_gemm.cuh.
#include "cuda_check.cuh"
#include "cuda/dense_gemm.cuh"

namespace mdn::cuda {
namespace {
constexpr float kOne = 1.0f;
constexpr float kZero = 0.0f;
}  // namespace

void dense_forward(const CublasHandle& cublas, const float* x, const float* W, int n, int in, int out, float* y) {
  if (n <= 0) return;
  MDN_CUBLAS_CHECK(
      cublasSgemm(cublas.get(), CUBLAS_OP_T, CUBLAS_OP_N, out, n, in, &kOne, W, in, x, in, &kZero, y, out));
}

void dense_weight_grad(const CublasHandle& cublas, const float* dL_dy, const float* x, int n, int in, int out,
                       float* dL_dW) {
  if (n <= 0) return;  // callers never pass an empty batch (the backend rejects 0 rows)
  MDN_CUBLAS_CHECK(
      cublasSgemm(cublas.get(), CUBLAS_OP_N, CUBLAS_OP_T, in, out, n, &kOne, x, in, dL_dy, out, &kZero, dL_dW, in));
}

void dense_input_grad(const CublasHandle& cublas, const float* dL_dy, const float* W, int n, int in, int out,
                      float* dL_dx) {
  if (n <= 0) return;
  MDN_CUBLAS_CHECK(
      cublasSgemm(cublas.get(), CUBLAS_OP_N, CUBLAS_OP_N, in, n, out, &kOne, W, in, dL_dy, out, &kZero, dL_dx, in));
}

}  // namespace mdn::cuda
