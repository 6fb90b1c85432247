#include "cpu/blas.hpp"

#include <cblas.h>

#include <mutex>

#include "cpu/small_gemm.hpp"

namespace mdn::cpu {
namespace {
CBLAS_TRANSPOSE to_cblas(Transpose t) { return t == Transpose::Yes ? CblasTrans : CblasNoTrans; }

// The network already runs one OpenMP thread per row slice; BLAS threads on
// top of that only fight them for the cores (measured: 3x slower on 2 cores).
void single_threaded_blas() {
  static std::once_flag once;
  std::call_once(once, [] { openblas_set_num_threads(1); });
}
}  // namespace

void gemm(Transpose ta, Transpose tb, int m, int n, int k, float alpha, const float* a, int lda, const float* b,
          int ldb, float beta, float* c, int ldc) {
  if (alpha == 1.0f && small_gemm(ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc)) return;
  single_threaded_blas();
  cblas_sgemm(CblasRowMajor, to_cblas(ta), to_cblas(tb), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void gemm(Transpose ta, Transpose tb, int m, int n, int k, double alpha, const double* a, int lda, const double* b,
          int ldb, double beta, double* c, int ldc) {
  if (alpha == 1.0 && small_gemm(ta, tb, m, n, k, a, lda, b, ldb, beta, c, ldc)) return;
  single_threaded_blas();
  cblas_dgemm(CblasRowMajor, to_cblas(ta), to_cblas(tb), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

}  // namespace mdn::cpu
