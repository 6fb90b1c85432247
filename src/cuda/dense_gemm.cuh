// The three GEMMs of a dense layer, on row-major activations, through cuBLAS
// (FP32, or TF32 when the handle's math mode allows it). Each runs on the
// handle's stream (the backend's) and writes its output with `=` (beta = 0).
//
// Layout. Activations are row-major (n x width: row = sample); a layer's W is
// (out x in) row-major. cuBLAS is column-major, and a row-major (r x c)
// matrix with row stride c is, byte for byte, the column-major (c x r)
// matrix of its transpose with leading dimension c. So each row-major
// product C = A B is computed as the column-major product C^T = B^T A^T,
// with every operand passed as the buffer it already is:
//
//   forward      Y (n x out)  = X (n x in) W^T
//                  col-major:  Y^T (out x n) = W (out x in) . X^T (in x n)
//                  W buffer is col-major W^T (in x out), ld in  -> op T
//                  X buffer is col-major X^T (in x n), ld in     -> op N
//                  Sgemm(T, N, m=out, n=n, k=in, W, lda=in, X, ldb=in, Y, ldc=out)
//   weight grad  dL_dW (out x in) = dL_dy^T (out x n) X (n x in)
//                  col-major:  dL_dW^T (in x out) = X^T (in x n) . dL_dy (n x out)
//                  X buffer is X^T (in x n), ld in               -> op N
//                  dL_dy buffer is dL_dy^T (out x n), ld out     -> op T
//                  Sgemm(N, T, m=in, n=out, k=n, X, lda=in, dL_dy, ldb=out, dL_dW, ldc=in)
//   input grad   dL_dX (n x in) = dL_dy (n x out) W (out x in)
//                  col-major:  dL_dX^T (in x n) = W^T (in x out) . dL_dy^T (out x n)
//                  W buffer is W^T (in x out), ld in             -> op N
//                  dL_dy buffer is dL_dy^T (out x n), ld out     -> op N
//                  Sgemm(N, N, m=in, n=n, k=out, W, lda=in, dL_dy, ldb=out, dL_dX, ldc=in)
#pragma once
#include "cuda/handles.cuh"

namespace mdn::cuda {

// y (n x out) = x (n x in) W^T; W (out x in).
void dense_forward(const CublasHandle& cublas, const float* x, const float* W, int n, int in, int out, float* y);

// dL_dW (out x in) = dL_dy^T x; dL_dy (n x out), x (n x in).
void dense_weight_grad(const CublasHandle& cublas, const float* dL_dy, const float* x, int n, int in, int out,
                       float* dL_dW);

// dL_dx (n x in) = dL_dy W; dL_dy (n x out), W (out x in).
void dense_input_grad(const CublasHandle& cublas, const float* dL_dy, const float* W, int n, int in, int out,
                      float* dL_dx);

}  // namespace mdn::cuda
