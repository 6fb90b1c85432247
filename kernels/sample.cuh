// Launcher of the sampling kernel (kernels/sample.cu): S draws per row from
// the mixtures encoded by head pre-activations z. Host code includes this;
// the kernel itself stays in the .cu file, its body in sample_tile.hpp.
#pragma once
#include <cuda_runtime.h>

#include "sample_tile.hpp"  // SampleLaunch

namespace mdn::cuda {

// Enqueues the kernel on `stream` (device pointers in `launch`) and checks
// the launch (cudaGetLastError); throws mdn::Error naming the problem.
// Asynchronous: the caller synchronises.
void launch_sample(const SampleLaunch& launch, cudaStream_t stream);

}  // namespace mdn::cuda
