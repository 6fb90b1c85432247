// small_gemm through libxsmm's JIT kernels (libxsmm 1.17, Debian libxsmm-dev).
//
// libxsmm is column-major; a row-major matrix is the column-major view of its
// transpose, so the row-major C (m x n) = op(A) op(B) is the column-major
// C^T (n x m) = op(B)^T op(A)^T: libxsmm's A operand is our B (transposed iff
// tb), its B operand our A (transposed iff ta), with m and n swapped. libxsmm
// 1.17 JIT-compiles NN and "B transposed" kernels (our No/No and Yes/No); it
// returns no kernel for a transposed A operand (our tb = Yes), which then goes
// to OpenBLAS. libxsmm caches the kernels by shape; a dispatch is a hash
// lookup, thread-safe.
#include <libxsmm.h>

#include <mutex>

#include "cpu/small_gemm.hpp"

namespace mdn::cpu {
namespace {

void init_once() {
  static std::once_flag once;
  std::call_once(once, [] { libxsmm_init(); });
}

// beta (0 or 1) goes to the dispatch by value; libxsmm picks the kernel that
// ignores C for 0.
int flags_for(Transpose ta, Transpose tb) {
  int flags = LIBXSMM_GEMM_FLAG_NONE;
  if (tb == Transpose::Yes) flags |= LIBXSMM_GEMM_FLAG_TRANS_A;
  if (ta == Transpose::Yes) flags |= LIBXSMM_GEMM_FLAG_TRANS_B;
  return flags;
}

}  // namespace

bool small_gemm(Transpose ta, Transpose tb, int m, int n, int k, const float* a, int lda, const float* b, int ldb,
                float beta, float* c, int ldc) {
  // Our A transposed would be fine (libxsmm's B); our B transposed is not.
  if (tb == Transpose::Yes || (beta != 0.0f && beta != 1.0f) || m <= 0 || n <= 0 || k <= 0) return false;
  init_once();
  const libxsmm_blasint lda_x = ldb, ldb_x = lda, ldc_x = ldc;
  const float alpha = 1.0f;
  const int flags = flags_for(ta, tb);
  const libxsmm_smmfunction kernel =
      libxsmm_smmdispatch(n, m, k, &lda_x, &ldb_x, &ldc_x, &alpha, &beta, &flags, nullptr);
  if (!kernel) return false;
  kernel(b, a, c);
  return true;
}

bool small_gemm(Transpose ta, Transpose tb, int m, int n, int k, const double* a, int lda, const double* b, int ldb,
                double beta, double* c, int ldc) {
  if (tb == Transpose::Yes || (beta != 0.0 && beta != 1.0) || m <= 0 || n <= 0 || k <= 0) return false;
  init_once();
  const libxsmm_blasint lda_x = ldb, ldb_x = lda, ldc_x = ldc;
  const double alpha = 1.0;
  const int flags = flags_for(ta, tb);
  const libxsmm_dmmfunction kernel =
      libxsmm_dmmdispatch(n, m, k, &lda_x, &ldb_x, &ldc_x, &alpha, &beta, &flags, nullptr);
  if (!kernel) return false;
  kernel(b, a, c);
  return true;
}

bool have_small_gemm() { return true; }

}  // namespace mdn::cpu
