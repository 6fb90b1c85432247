// An ensemble's members read as one mixture (mdn/model.hpp).
#include "mdn/model.hpp"

#include <cmath>

#include "mdn/detail/mixture_math.hpp"
#include "mdn/error.hpp"

namespace mdn {

Matrix combine_member_heads(const ModelSpec& spec, const std::vector<Matrix>& heads) {
  const int M = int(heads.size()), K = spec.components, T = spec.target_dim;
  if (M < 1) throw Error("combine_member_heads: no members");
  const int rows = heads[0].rows;
  for (const Matrix& h : heads)
    if (h.rows != rows || h.cols != spec.head_width()) throw Error("combine_member_heads: member head shapes differ");
  if (M == 1) return heads[0];
  const int MK = M * K;
  // Full covariance: each component's off-diagonals follow, in the same order.
  const int P = spec.covariance == Covariance::Full ? T * (T - 1) / 2 : 0;
  Matrix out(rows, MK * (1 + 2 * T + P));
  const float log_m = std::log(float(M));
  for (int r = 0; r < rows; ++r) {
    float* o = out.row(r);
    for (int m = 0; m < M; ++m) {
      const float* z = heads[m].row(r);
      const float lse = detail::logits_logsumexp(z, K);
      for (int k = 0; k < K; ++k) {
        const int c = m * K + k;
        o[c] = z[k] - lse - log_m;
        for (int d = 0; d < T; ++d) {
          o[MK + c * T + d] = z[spec.log_sigma_offset() + k * T + d];
          o[MK + MK * T + c * T + d] = z[spec.mean_offset() + k * T + d];
        }
        for (int p = 0; p < P; ++p) o[2 * MK * T + MK + c * P + p] = z[spec.offdiag_offset() + k * P + p];
      }
    }
  }
  return out;
}

}  // namespace mdn
