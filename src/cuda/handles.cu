#include <string>

#include "cuda/capture_lock.hpp"
#include "cuda/cuda_backend.hpp"  // probe_devices
#include "cuda_check.cuh"
#include "cuda/handles.cuh"
#include "mdn/error.hpp"

namespace mdn::cuda {

int select_device(int device) {
  const DeviceProbe probe = probe_devices();
  if (!probe.problem.empty()) throw Error("the CUDA runtime cannot use the GPU (" + probe.problem + ")");
  const int count = probe.count;
  if (count == 0) throw Error("no CUDA device is present (use the CPU backend)");
  if (device < 0 || device >= count)
    throw UsageError("CUDA device " + std::to_string(device) + " does not exist (" + std::to_string(count) +
                     " present)");
  MDN_CUDA_CHECK(cudaSetDevice(device));
  return device;
}

// Creating and destroying streams and handles (and their device memory) is
// kept out of other threads' captures: see capture_lock.hpp.
Stream::Stream() {
  const CaptureExclusion no_capture;
  MDN_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
}
Stream::~Stream() {
  if (stream_ == nullptr) return;
  const CaptureExclusion no_capture;
  (void)cudaStreamDestroy(stream_);
}
void Stream::synchronize() const { MDN_CUDA_CHECK(cudaStreamSynchronize(stream_)); }

Event::Event() { MDN_CUDA_CHECK(cudaEventCreate(&event_)); }
Event::~Event() {
  if (event_ != nullptr) (void)cudaEventDestroy(event_);
}
void Event::record(cudaStream_t stream) { MDN_CUDA_CHECK(cudaEventRecord(event_, stream)); }
void Event::synchronize() const { MDN_CUDA_CHECK(cudaEventSynchronize(event_)); }
float Event::elapsed_ms_since(const Event& start) const {
  float ms = 0.0f;
  MDN_CUDA_CHECK(cudaEventElapsedTime(&ms, start.event_, event_));
  return ms;
}

CublasHandle::CublasHandle(cudaStream_t stream, void* workspace, std::size_t workspace_bytes, MathMode mode)
    : stream_(stream) {
  const CaptureExclusion no_capture;
  MDN_CUBLAS_CHECK(cublasCreate(&handle_));
  try {
    MDN_CUBLAS_CHECK(cublasSetStream(handle_, stream));
    MDN_CUBLAS_CHECK(cublasSetWorkspace(handle_, workspace, workspace_bytes));
    MDN_CUBLAS_CHECK(
        cublasSetMathMode(handle_, mode == MathMode::Tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
    MDN_CUBLAS_CHECK(cublasSetPointerMode(handle_, CUBLAS_POINTER_MODE_HOST));
  } catch (...) {
    (void)cublasDestroy(handle_);
    throw;
  }
}
CublasHandle::~CublasHandle() {
  if (handle_ == nullptr) return;
  const CaptureExclusion no_capture;  // cublasDestroy synchronises the device
  (void)cublasDestroy(handle_);
}

CurandGenerator::CurandGenerator(cudaStream_t stream) {
  const CaptureExclusion no_capture;
  MDN_CURAND_CHECK(curandCreateGenerator(&generator_, CURAND_RNG_PSEUDO_PHILOX4_32_10));
  try {
    MDN_CURAND_CHECK(curandSetStream(generator_, stream));
  } catch (...) {
    (void)curandDestroyGenerator(generator_);
    throw;
  }
}
CurandGenerator::~CurandGenerator() {
  if (generator_ == nullptr) return;
  const CaptureExclusion no_capture;
  (void)curandDestroyGenerator(generator_);
}
void CurandGenerator::generate_bits(std::uint64_t seed, unsigned int* out, std::size_t count) {
  MDN_CURAND_CHECK(curandSetPseudoRandomGeneratorSeed(generator_, static_cast<unsigned long long>(seed)));
  MDN_CURAND_CHECK(curandSetGeneratorOffset(generator_, 0ULL));
  MDN_CURAND_CHECK(curandGenerate(generator_, out, count));
}

namespace {
void destroy_exec(cudaGraphExec_t exec) noexcept {
  if (exec == nullptr) return;
  const CaptureExclusion no_capture;
  (void)cudaGraphExecDestroy(exec);
}
}  // namespace

CudaGraph::~CudaGraph() { destroy_exec(exec_); }
CudaGraph& CudaGraph::operator=(CudaGraph&& other) noexcept {
  if (this != &other) {
    destroy_exec(exec_);
    exec_ = std::exchange(other.exec_, nullptr);
  }
  return *this;
}

CudaGraph CudaGraph::capture(cudaStream_t stream, const std::function<void()>& enqueue) {
  // No other thread may allocate, free or create/destroy handles from here
  // until the graph is instantiated (capture_lock.hpp).
  const CaptureExclusion no_concurrent_sync;
  MDN_CUDA_CHECK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
  try {
    enqueue();
  } catch (...) {
    cudaGraph_t partial = nullptr;
    (void)cudaStreamEndCapture(stream, &partial);  // leaves capture mode; may report the invalidated capture
    if (partial != nullptr) (void)cudaGraphDestroy(partial);
    (void)cudaGetLastError();
    throw;
  }
  cudaGraph_t graph = nullptr;
  MDN_CUDA_CHECK(cudaStreamEndCapture(stream, &graph));
  CudaGraph result;
  const cudaError_t status = cudaGraphInstantiate(&result.exec_, graph, 0ULL);
  (void)cudaGraphDestroy(graph);  // the executable graph does not need the template
  MDN_CUDA_CHECK(status);
  return result;
}

void CudaGraph::launch(cudaStream_t stream) const {
  if (exec_ == nullptr) throw Error("internal error: launching an empty CUDA graph");
  MDN_CUDA_CHECK(cudaGraphLaunch(exec_, stream));
}

}  // namespace mdn::cuda
