// Small GEMMs through a JIT library made for them (libxsmm), used by gemm()
// (blas.hpp) before OpenBLAS. CMake compiles small_gemm_libxsmm.cpp when it
// finds libxsmm (Debian libxsmm-dev) and small_gemm_absent.cpp otherwise, whose
// functions always decline.
#pragma once
#include "cpu/blas.hpp"

namespace mdn::cpu {

// C (m x n) = op(A) op(B) + beta C, row-major as gemm() (alpha = 1, beta 0 or
// 1). Returns false, touching nothing, when there is no kernel for the shape
// or the transposes (then the caller uses OpenBLAS).
bool small_gemm(Transpose ta, Transpose tb, int m, int n, int k, const float* a, int lda, const float* b, int ldb,
                float beta, float* c, int ldc);
bool small_gemm(Transpose ta, Transpose tb, int m, int n, int k, const double* a, int lda, const double* b, int ldb,
                double beta, double* c, int ldc);

// Whether small_gemm can ever accept (a libxsmm build); for tests and docs.
bool have_small_gemm();

}  // namespace mdn::cpu
