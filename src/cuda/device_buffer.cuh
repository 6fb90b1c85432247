// DeviceBuffer<T>: move-only owner of `count` T in device memory. The one
// place device memory is allocated (device_allocate, in device_buffer.cu;
// allocation and free hold the capture lock, capture_lock.hpp);
// an allocation failure is an mdn::Error naming the buffer and its size and
// ending with advice (a smaller batch size unless the caller says
// otherwise). The destructor never throws.
#pragma once
#include <cuda_runtime.h>

#include <cstddef>
#include <utility>

namespace mdn::cuda {

// What an out-of-memory message suggests unless the allocation says otherwise.
// Library messages name option fields, never a program's flags (the program
// and the Python package translate TrainOptions::<field> for their users).
inline constexpr const char kSmallerBatchAdvice[] =
    "try a smaller batch size (TrainOptions::batch_size) or a smaller model";

// cudaMalloc with a clear out-of-memory message naming `what`, ending with `advice`.
void* device_allocate(std::size_t bytes, const char* what, const char* advice = kSmallerBatchAdvice);
// cudaFree, ignoring errors (destructors must not throw).
void device_free(void* ptr) noexcept;
// Stream-ordered copies (cudaMemcpyAsync, checked). Pageable host memory is
// fine: the call returns once the host bytes have been staged (H2D), and the
// caller synchronises the stream before reading a D2H destination.
void copy_to_device(void* dst, const void* src, std::size_t bytes, cudaStream_t stream);
void copy_to_host(void* dst, const void* src, std::size_t bytes, cudaStream_t stream);
void copy_device_to_device(void* dst, const void* src, std::size_t bytes, cudaStream_t stream);

template <class T>
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(std::size_t count, const char* what, const char* advice = kSmallerBatchAdvice)
      : data_(count > 0 ? static_cast<T*>(device_allocate(count * sizeof(T), what, advice)) : nullptr), count_(count) {}
  ~DeviceBuffer() { device_free(data_); }

  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), count_(std::exchange(other.count_, 0)) {}
  DeviceBuffer& operator=(DeviceBuffer&& other) noexcept {
    if (this != &other) {
      device_free(data_);
      data_ = std::exchange(other.data_, nullptr);
      count_ = std::exchange(other.count_, 0);
    }
    return *this;
  }

  T* data() { return data_; }
  const T* data() const { return data_; }
  std::size_t size() const { return count_; }
  bool empty() const { return count_ == 0; }

  // Frees the memory first, then allocates `count` T (so the peak is the new
  // size, not old + new). Contents are undefined afterwards.
  void reallocate(std::size_t count, const char* what, const char* advice = kSmallerBatchAdvice) {
    *this = DeviceBuffer();
    *this = DeviceBuffer(count, what, advice);
  }
  // reallocate() only when `count` T exceed size(): a buffer reused for
  // requests of varying size grows to the largest and never shrinks.
  void grow(std::size_t count, const char* what, const char* advice = kSmallerBatchAdvice) {
    if (count > count_) reallocate(count, what, advice);
  }

  // host[0, count) -> this[offset, offset + count), stream-ordered.
  void upload(const T* host, std::size_t count, cudaStream_t stream, std::size_t offset = 0) {
    copy_to_device(data_ + offset, host, count * sizeof(T), stream);
  }
  // this[offset, offset + count) -> host; synchronise the stream before use.
  void download(T* host, std::size_t count, cudaStream_t stream, std::size_t offset = 0) const {
    copy_to_host(host, data_ + offset, count * sizeof(T), stream);
  }

 private:
  T* data_ = nullptr;
  std::size_t count_ = 0;
};

}  // namespace mdn::cuda
