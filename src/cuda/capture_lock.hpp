// The lock that keeps device-synchronising calls away from stream captures.
//
// Ensemble members train side by side, each on a backend of its own in a
// thread of its own (CudaBackendImpl::concurrent_member_backend). One
// member may be capturing its training step into a CUDA graph while another
// grows its minibatch workspace for validation, or creates or destroys its
// handles. Thread-local capture mode (CudaGraph::capture) only forbids unsafe
// calls in the capturing thread; it does not make them safe in the others:
//   * cudaFree "may perform implicit synchronization" for memory not from the
//     stream-ordered allocator (cuMemFree's documentation), and synchronising
//     a device or context while one of its streams is capturing is among the
//     operations the CUDA Programming Guide prohibits during capture (CUDA
//     Graphs, "Prohibited and Unhandled Operations"): the capture is
//     invalidated and the capturing thread fails in cudaStreamEndCapture;
//   * cublasDestroy "will implicitly call cudaDeviceSynchronize()" (cuBLAS
//     documentation, cublasCreate/cublasDestroy);
//   * cudaMalloc is one of the calls the capture-mode documentation names as
//     unsafe during a capture (cudaThreadExchangeStreamCaptureMode).
// So every such call in src/cuda/ (cudaMalloc/cudaFree in device_buffer.cu,
// cuBLAS and cuRAND handle creation and destruction, stream creation and
// destruction, graph instantiation and destruction) and every capture (from
// cudaStreamBeginCapture to cudaGraphInstantiate) hold this one lock: while a
// thread captures, no other thread of the process can be inside one of those
// calls, and captures never overlap each other.
//
// The lock is taken around rare calls only (set-up, workspace growth, the
// first step of each minibatch size); kernel launches, copies, graph launches
// and stream synchronisations do not take it. It is recursive so that a
// capture body that allocated by mistake fails with CUDA's own error
// (an unsafe call inside a capture) instead of deadlocking.
//
// Scope: one lock per copy of this code, i.e. per process in the mdn program
// and the Python package (the code lives once, in libmdn_cuda.so). The GPU
// test binary also links the parts statically; backends it makes through
// make_backend_with_test_hooks (and their concurrent members) share the test
// binary's copy, those from mdn::make_cuda_backend share the module's.
#pragma once
#include <mutex>

namespace mdn::cuda {

inline std::recursive_mutex& capture_mutex() {
  static std::recursive_mutex mutex;
  return mutex;
}

// Held for the lifetime of the object: `const CaptureExclusion lock;`.
class CaptureExclusion {
 public:
  CaptureExclusion() : lock_(capture_mutex()) {}
  CaptureExclusion(const CaptureExclusion&) = delete;
  CaptureExclusion& operator=(const CaptureExclusion&) = delete;

 private:
  std::lock_guard<std::recursive_mutex> lock_;
};

}  // namespace mdn::cuda
