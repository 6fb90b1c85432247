// Row-major GEMM for float and double (the double instance serves the
// finite-difference gradient checks of the same network code): libxsmm's JIT
// kernels where it has one (small_gemm.hpp: no transposed B, alpha 1, beta 0
// or 1), OpenBLAS otherwise.
#pragma once

namespace mdn::cpu {

enum class Transpose { No, Yes };

// C (m x n) = alpha * op(A) (m x k) * op(B) (k x n) + beta * C, all row-major;
// lda/ldb/ldc are the row strides of A, B, C as stored.
void gemm(Transpose ta, Transpose tb, int m, int n, int k, float alpha, const float* a, int lda, const float* b,
          int ldb, float beta, float* c, int ldc);
void gemm(Transpose ta, Transpose tb, int m, int n, int k, double alpha, const double* a, int lda, const double* b,
          int ldb, double beta, double* c, int ldc);

}  // namespace mdn::cpu
