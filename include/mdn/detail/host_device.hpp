// MDN_HD marks functions that compile for both the host (g++) and the device
// (nvcc), so the CPU reference and the CUDA kernels share one formula.
#pragma once
#if defined(__CUDACC__)
#define MDN_HD __host__ __device__ __forceinline__
#else
#define MDN_HD inline
#endif
