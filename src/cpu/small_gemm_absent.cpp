// small_gemm without libxsmm: always declines, so gemm() uses OpenBLAS.
#include "cpu/small_gemm.hpp"

namespace mdn::cpu {

bool small_gemm(Transpose, Transpose, int, int, int, const float*, int, const float*, int, float, float*, int) {
  return false;
}
bool small_gemm(Transpose, Transpose, int, int, int, const double*, int, const double*, int, double, double*, int) {
  return false;
}
bool have_small_gemm() { return false; }

}  // namespace mdn::cpu
