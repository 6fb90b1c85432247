// NCCL, loaded at run time (dlopen of libnccl.so.2, or $MDN_NCCL_LIBRARY):
// the gradient all-reduce of data-parallel training on GPUs
// (docs/DISTRIBUTED.md). Loading it late keeps it out of every run that does
// not train over several GPU ranks, and a machine without it falls back to
// MPI's host sums instead of failing to start.
#pragma once
#include <cuda_runtime.h>

#include <cstddef>
#include <memory>
#include <string>

namespace mdn::cuda {

class NcclGroup {
 public:
  // True when the library loads and has the functions used here.
  static bool available();
  // A new unique id (rank 0), as bytes to share with the other ranks.
  // Throws mdn::Error when NCCL is missing or fails.
  static std::string new_id();
  // Joins the group of `ranks` ranks with `id` as rank `rank`, on the
  // current device. Throws mdn::Error naming NCCL's status.
  NcclGroup(const std::string& id, int rank, int ranks);
  ~NcclGroup();
  NcclGroup(const NcclGroup&) = delete;
  NcclGroup& operator=(const NcclGroup&) = delete;

  // In-place sum of n floats on the device over the ranks, queued on stream.
  void sum(float* values, std::size_t n, cudaStream_t stream);

 private:
  void* comm_ = nullptr;  // ncclComm_t
};

}  // namespace mdn::cuda
