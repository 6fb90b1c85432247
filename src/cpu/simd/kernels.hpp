// The CPU backend's element-wise float kernels, compiled three times (AVX-512,
// AVX2, portable) and chosen at run time, so one binary runs on any x86-64
// CPU and uses the widest vectors it has.
//
//   const Kernels& k = simd::kernels();          // the best this CPU supports
//   const Kernels& k = simd::kernels(Isa::Avx2); // one path explicitly (tests)
//
// MDN_CPU_ISA=portable|avx2|avx512 in the environment caps the choice (for
// tests and benchmarks of the narrower paths on a wider machine).
//
// The three copies perform the same IEEE operations in the same order (see
// vector_math.hpp), so every path gives the same bits; the tests check that.
// Arrays may not overlap unless a kernel says so.
#pragma once
#include <cstddef>

namespace mdn::cpu::simd {

enum class Isa { Portable, Avx2, Avx512 };

struct Kernels {
  Isa isa;
  const char* name;  // "portable", "avx2", "avx512"

  // y (rows x cols, row stride cols) = the bias b (cols) in every row.
  void (*fill_rows)(float* y, const float* b, int rows, int cols);
  // y[i] = tanh(y[i]) in place.
  void (*tanh_inplace)(float* y, std::size_t count);
  // y (rows x cols) = tanh(y + b) with the bias b (cols) added to every row.
  void (*bias_tanh)(float* y, const float* b, int rows, int cols);
  // d[i] *= 1 - h[i]^2 (back through tanh, h = tanh's output).
  void (*tanh_backward)(float* d, const float* h, std::size_t count);
  // d (rows x cols) *= 1 - h^2 (as tanh_backward), then sums (cols) += the
  // column sums of the new d, rows in order (= instead when accumulate is 0).
  void (*tanh_backward_sums)(float* d, const float* h, int rows, int cols, float* sums, bool accumulate);
  // sums[j] += sum over rows of x[i][j], rows added in order (x rows x cols).
  void (*add_column_sums)(float* sums, const float* x, int rows, int cols);
  // sums[j] = sum over rows of x[i][j], rows added in order (=; 0 for no rows).
  void (*column_sums)(float* sums, const float* x, int rows, int cols);
  // The mixture head (detail::mixture_nll_and_grad) of `rows` samples, 16 at
  // a time, one per vector lane: z (rows x K(1+2T)) and t (rows x T) in;
  // losses (rows) =; dz (rows x K(1+2T)) = grad_scale * dloss/dz when dz is
  // not null (otherwise only the losses are written). lo, hi: the log-sigma
  // clamp.
  void (*mixture_head)(const float* z, const float* t, int rows, int K, int T, float lo, float hi, float grad_scale,
                       float* losses, float* dz);
  // The same with full-covariance components (detail::full_mixture_nll_and_grad):
  // z and dz are rows x K(1 + 2T + T(T-1)/2).
  void (*full_mixture_head)(const float* z, const float* t, int rows, int K, int T, float lo, float hi,
                            float grad_scale, float* losses, float* dz);
  // y[i] = f(x[i]) over arrays.
  void (*tanh)(const float* x, float* y, std::size_t count);
  void (*exp)(const float* x, float* y, std::size_t count);
  void (*log)(const float* x, float* y, std::size_t count);
};

// Whether this CPU (and its OS) can run the path.
bool supported(Isa isa);
// One path; throws mdn::Error when this CPU cannot run it.
const Kernels& kernels(Isa isa);
// The path the network uses: at first the widest supported one (capped by
// MDN_CPU_ISA), chosen once.
const Kernels& kernels();
// Makes the network use one path from now on (tests compare the paths end to
// end); throws mdn::Error when this CPU cannot run it. Not for use while
// another thread is running the network.
void use(Isa isa);

}  // namespace mdn::cpu::simd
