// RAII owners of the CUDA objects the backend holds: a stream, events, a
// cuBLAS handle bound to the stream and a preallocated workspace, a cuRAND
// Philox generator, and an instantiated CUDA graph. All move-only (or
// non-movable where nothing needs to move them); destructors never throw.
#pragma once
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <curand.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <utility>

namespace mdn::cuda {

// Makes `device` current after checking that the runtime works and the device
// exists; returns it. Throws mdn::Error naming the runtime's status (a broken
// driver is not reported as "no device"), UsageError for a device index that
// does not exist.
int select_device(int device);

// A non-blocking stream (does not synchronise with the legacy default stream).
class Stream {
 public:
  Stream();
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  Stream(Stream&& other) noexcept : stream_(std::exchange(other.stream_, nullptr)) {}
  Stream& operator=(Stream&&) = delete;

  cudaStream_t get() const { return stream_; }
  void synchronize() const;

 private:
  cudaStream_t stream_ = nullptr;
};

// An event with timing enabled, for CUDA-event timings of stream work.
class Event {
 public:
  Event();
  ~Event();
  Event(const Event&) = delete;
  Event& operator=(const Event&) = delete;
  Event(Event&& other) noexcept : event_(std::exchange(other.event_, nullptr)) {}
  Event& operator=(Event&&) = delete;

  void record(cudaStream_t stream);
  void synchronize() const;
  // Milliseconds from `start` to this event (both recorded and complete).
  float elapsed_ms_since(const Event& start) const;

 private:
  cudaEvent_t event_ = nullptr;
};

enum class MathMode { Fp32, Tf32 };

// A cuBLAS handle on `stream` with a caller-owned workspace (which must
// outlive the handle). The workspace matters for CUDA graphs: without it
// cuBLAS would allocate inside the stream capture. Note cublasSetStream resets
// the workspace to the default pool, so the stream is set first, then the
// workspace. MathMode::Fp32 = CUBLAS_DEFAULT_MATH (true FP32 for Sgemm);
// MathMode::Tf32 = CUBLAS_TF32_TENSOR_OP_MATH (only when asked for).
class CublasHandle {
 public:
  CublasHandle(cudaStream_t stream, void* workspace, std::size_t workspace_bytes, MathMode mode);
  ~CublasHandle();
  CublasHandle(const CublasHandle&) = delete;
  CublasHandle& operator=(const CublasHandle&) = delete;
  CublasHandle(CublasHandle&&) = delete;
  CublasHandle& operator=(CublasHandle&&) = delete;

  cublasHandle_t get() const { return handle_; }
  cudaStream_t stream() const { return stream_; }

 private:
  cublasHandle_t handle_ = nullptr;
  cudaStream_t stream_ = nullptr;
};

// A cuRAND Philox4x32-10 generator on `stream` (default ordering: the same
// sequence for the same seed and offset on the same device and cuRAND).
class CurandGenerator {
 public:
  explicit CurandGenerator(cudaStream_t stream);
  ~CurandGenerator();
  CurandGenerator(const CurandGenerator&) = delete;
  CurandGenerator& operator=(const CurandGenerator&) = delete;
  CurandGenerator(CurandGenerator&&) = delete;
  CurandGenerator& operator=(CurandGenerator&&) = delete;

  // Fills out[0, count) with random 32-bit words, a function of `seed` alone
  // (the generator's offset is reset to 0 first). Stream-ordered.
  void generate_bits(std::uint64_t seed, unsigned int* out, std::size_t count);

 private:
  curandGenerator_t generator_ = nullptr;
};

// An instantiated CUDA graph captured from the work `enqueue` puts on a stream.
// Nothing runs during the capture; launch() replays the whole thing.
class CudaGraph {
 public:
  CudaGraph() = default;
  ~CudaGraph();
  CudaGraph(const CudaGraph&) = delete;
  CudaGraph& operator=(const CudaGraph&) = delete;
  CudaGraph(CudaGraph&& other) noexcept : exec_(std::exchange(other.exec_, nullptr)) {}
  CudaGraph& operator=(CudaGraph&& other) noexcept;

  // Captures (thread-local capture mode) everything `enqueue` launches on
  // `stream`, holding the capture lock (capture_lock.hpp) from the start of
  // the capture to the instantiated graph. If enqueue throws, the capture is
  // ended and discarded and the exception propagates.
  static CudaGraph capture(cudaStream_t stream, const std::function<void()>& enqueue);
  void launch(cudaStream_t stream) const;
  bool valid() const { return exec_ != nullptr; }

 private:
  cudaGraphExec_t exec_ = nullptr;
};

}  // namespace mdn::cuda
