// The element-wise kernels built for the portable path (flags in src/CMakeLists.txt).
#define MDN_SIMD_TABLE kKernelsPortable
#define MDN_SIMD_ISA Isa::Portable
#define MDN_SIMD_NAME "portable"
#include "cpu/simd/kernels_impl.inc"
