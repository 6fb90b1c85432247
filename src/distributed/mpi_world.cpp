// world() over MPI: initialised on first use, and only when a launcher
// started this process (a plain `mdn ...` never touches MPI, so it starts as
// fast as a build without it). Collectives move bytes; the typed sums are
// Communicator's, added in rank order.
#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "distributed/launcher_env.hpp"
#include "mdn/communicator.hpp"
#include "mdn/error.hpp"

namespace mdn {
namespace {

// Large messages go in pieces: MPI counts are ints.
constexpr long long kPiece = 1LL << 30;

void check(int status, const char* what) {
  if (status == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(status, text, &len);
  throw Error(std::string("MPI: ") + what + " failed: " + std::string(text, std::size_t(len)));
}

void send_bytes(const std::string& bytes, int to) {
  long long size = (long long)bytes.size();
  check(MPI_Send(&size, 1, MPI_LONG_LONG, to, 0, MPI_COMM_WORLD), "MPI_Send");
  for (long long at = 0; at < size; at += kPiece)
    check(MPI_Send(bytes.data() + at, int(std::min(kPiece, size - at)), MPI_BYTE, to, 1, MPI_COMM_WORLD), "MPI_Send");
}

std::string receive_bytes(int from) {
  long long size = 0;
  check(MPI_Recv(&size, 1, MPI_LONG_LONG, from, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE), "MPI_Recv");
  std::string bytes(std::size_t(size), '\0');
  for (long long at = 0; at < size; at += kPiece)
    check(MPI_Recv(&bytes[std::size_t(at)], int(std::min(kPiece, size - at)), MPI_BYTE, from, 1, MPI_COMM_WORLD,
                   MPI_STATUS_IGNORE),
          "MPI_Recv");
  return bytes;
}

class MpiWorld final : public Communicator {
 public:
  MpiWorld(int rank, int size, int local_rank) : Communicator(rank, size, local_rank) {}

  std::vector<std::string> all_gather(const std::string& bytes) override {
    const int n = size();
    long long mine = (long long)bytes.size();
    std::vector<long long> sizes(n);
    check(MPI_Allgather(&mine, 1, MPI_LONG_LONG, sizes.data(), 1, MPI_LONG_LONG, MPI_COMM_WORLD), "MPI_Allgather");
    long long total = 0;
    for (long long s : sizes) total += s;
    if (total > INT_MAX) throw Error("MPI: an all-gather of more than 2 GiB (" + std::to_string(total) + " bytes)");
    std::vector<int> counts(n), offsets(n);
    for (int r = 0, at = 0; r < n; ++r) {
      counts[r] = int(sizes[r]);
      offsets[r] = at;
      at += counts[r];
    }
    std::string all(std::size_t(total), '\0');
    check(MPI_Allgatherv(bytes.data(), int(mine), MPI_BYTE, all.data(), counts.data(), offsets.data(), MPI_BYTE,
                         MPI_COMM_WORLD),
          "MPI_Allgatherv");
    std::vector<std::string> parts(n);
    for (int r = 0; r < n; ++r) parts[r] = all.substr(std::size_t(offsets[r]), std::size_t(counts[r]));
    return parts;
  }

  void gather_at_root(const std::string& bytes, const std::function<void(const std::string&)>& take) override {
    if (!root()) {
      send_bytes(bytes, 0);
      return;
    }
    take(bytes);
    for (int r = 1; r < size(); ++r) take(receive_bytes(r));
  }

  std::string broadcast(const std::string& bytes) override {
    long long size = root() ? (long long)bytes.size() : 0;
    check(MPI_Bcast(&size, 1, MPI_LONG_LONG, 0, MPI_COMM_WORLD), "MPI_Bcast");
    std::string out = root() ? bytes : std::string(std::size_t(size), '\0');
    for (long long at = 0; at < size; at += kPiece)
      check(MPI_Bcast(&out[std::size_t(at)], int(std::min(kPiece, size - at)), MPI_BYTE, 0, MPI_COMM_WORLD),
            "MPI_Bcast");
    return out;
  }

  [[noreturn]] void abort(int status) override {
    std::fflush(stdout);
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, status);
    std::_Exit(status);  // MPI_Abort does not return; this is for the compiler
  }
};

std::unique_ptr<MpiWorld> g_world;
bool g_finalized = false;

}  // namespace

Communicator& world() {
  if (g_world) return *g_world;
  if (g_finalized || detail::launcher_world_size() <= 1) return single_process();
  int provided = 0;
  check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  // Errors come back as status codes (check() turns them into mdn::Error)
  // instead of aborting inside MPI with its own message.
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  int rank = 0, size = 1, local_rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  MPI_Comm node;
  check(MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &node), "MPI_Comm_split_type");
  MPI_Comm_rank(node, &local_rank);
  MPI_Comm_free(&node);
  g_world = std::make_unique<MpiWorld>(rank, size, local_rank);
  return *g_world;
}

void finalize_world() {
  if (!g_world) return;
  g_world.reset();
  g_finalized = true;
  MPI_Finalize();
}

std::string distributed_description() {
  char text[MPI_MAX_LIBRARY_VERSION_STRING];
  int len = 0;
  MPI_Get_library_version(text, &len);
  std::string version(text, std::size_t(len));
  version = version.substr(0, version.find_first_of(",\n"));
  return "MPI: compiled in (" + version + "; mpirun -np N mdn ...)";
}

}  // namespace mdn
