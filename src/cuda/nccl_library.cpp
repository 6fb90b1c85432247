#include "cuda/nccl_library.hpp"

#include "cuda/cuda_backend.hpp"

#include <dlfcn.h>
#include <nccl.h>

#include <cstdlib>
#include <cstring>
#include <type_traits>

#include "mdn/error.hpp"

namespace mdn::cuda {
namespace {

// The few entry points used, from the library found at run time.
struct Nccl {
  decltype(&ncclGetUniqueId) get_unique_id = nullptr;
  decltype(&ncclCommInitRank) comm_init_rank = nullptr;
  decltype(&ncclAllReduce) all_reduce = nullptr;
  decltype(&ncclCommDestroy) comm_destroy = nullptr;
  decltype(&ncclGetErrorString) error_string = nullptr;
  std::string problem;  // why it could not be loaded (empty when it was)
};

const Nccl& nccl() {
  static const Nccl loaded = [] {
    Nccl n;
    const char* path = std::getenv("MDN_NCCL_LIBRARY");
    void* lib = ::dlopen(path != nullptr && *path != '\0' ? path : "libnccl.so.2", RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) {
      const char* why = ::dlerror();
      n.problem = std::string("NCCL could not be loaded (") + (why ? why : "libnccl.so.2") +
                  "); set MDN_NCCL_LIBRARY to its path";
      return n;
    }
    auto find = [&](auto& fn, const char* name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(::dlsym(lib, name));
      if (fn == nullptr && n.problem.empty()) n.problem = std::string("NCCL has no ") + name;
    };
    find(n.get_unique_id, "ncclGetUniqueId");
    find(n.comm_init_rank, "ncclCommInitRank");
    find(n.all_reduce, "ncclAllReduce");
    find(n.comm_destroy, "ncclCommDestroy");
    find(n.error_string, "ncclGetErrorString");
    return n;
  }();
  return loaded;
}

void check(ncclResult_t status, const char* what) {
  if (status == ncclSuccess) return;
  throw Error(std::string("NCCL: ") + what + " failed: " + nccl().error_string(status));
}

const Nccl& require() {
  const Nccl& n = nccl();
  if (!n.problem.empty()) throw Error(n.problem);
  return n;
}

}  // namespace

bool NcclGroup::available() { return nccl().problem.empty(); }

std::string nccl_status() {
  return NcclGroup::available()
             ? "NCCL: found (data-parallel GPU ranks sum gradients with ncclAllReduce)"
             : "NCCL: not found at run time (" + nccl().problem + "); GPU ranks sum gradients over MPI on the host";
}

std::string NcclGroup::new_id() {
  ncclUniqueId id;
  check(require().get_unique_id(&id), "ncclGetUniqueId");
  return std::string(id.internal, sizeof id.internal);
}

NcclGroup::NcclGroup(const std::string& id, int rank, int ranks) {
  ncclUniqueId unique;
  if (id.size() != sizeof unique.internal) throw Error("NCCL: the shared id has the wrong size");
  std::memcpy(unique.internal, id.data(), sizeof unique.internal);
  ncclComm_t comm = nullptr;
  check(require().comm_init_rank(&comm, ranks, unique, rank), "ncclCommInitRank");
  comm_ = comm;
}

NcclGroup::~NcclGroup() {
  if (comm_ != nullptr) (void)nccl().comm_destroy(static_cast<ncclComm_t>(comm_));
}

void NcclGroup::sum(float* values, std::size_t n, cudaStream_t stream) {
  check(require().all_reduce(values, values, n, ncclFloat32, ncclSum, static_cast<ncclComm_t>(comm_), stream),
        "ncclAllReduce");
}

}  // namespace mdn::cuda
