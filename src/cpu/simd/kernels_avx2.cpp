// The element-wise kernels built for the avx2 path (flags in src/CMakeLists.txt).
#define MDN_SIMD_TABLE kKernelsAvx2
#define MDN_SIMD_ISA Isa::Avx2
#define MDN_SIMD_NAME "avx2"
#include "cpu/simd/kernels_impl.inc"
