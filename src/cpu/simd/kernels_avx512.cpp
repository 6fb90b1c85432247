// The element-wise kernels built for the avx512 path (flags in src/CMakeLists.txt).
#define MDN_SIMD_TABLE kKernelsAvx512
#define MDN_SIMD_ISA Isa::Avx512
#define MDN_SIMD_NAME "avx512"
#include "cpu/simd/kernels_impl.inc"
