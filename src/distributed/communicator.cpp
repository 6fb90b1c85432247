// What every communicator shares: sums and prefix sums built on all_gather
// (added in rank order, so the bits depend only on the number of ranks), the
// one-process communicator, and error agreement.
#include "mdn/communicator.hpp"

#include <cstdlib>
#include <cstring>

#include "mdn/error.hpp"

namespace mdn {

template <typename T>
void Communicator::sum_in_rank_order(T* values, std::size_t n) {
  if (size_ == 1 || n == 0) return;
  const std::vector<std::string> parts = all_gather(std::string(reinterpret_cast<const char*>(values), n * sizeof(T)));
  std::memcpy(values, parts[0].data(), n * sizeof(T));
  for (std::size_t r = 1; r < parts.size(); ++r) {
    if (parts[r].size() != n * sizeof(T)) throw Error("internal error: ranks summed vectors of different lengths");
    const T* other = reinterpret_cast<const T*>(parts[r].data());
    for (std::size_t i = 0; i < n; ++i) values[i] += other[i];
  }
}

void Communicator::sum(float* values, std::size_t n) { sum_in_rank_order(values, n); }
void Communicator::sum(double* values, std::size_t n) { sum_in_rank_order(values, n); }
void Communicator::sum(long long* values, std::size_t n) { sum_in_rank_order(values, n); }

long long Communicator::exclusive_prefix(long long value) {
  if (size_ == 1) return 0;
  const std::vector<std::string> parts = all_gather(std::string(reinterpret_cast<const char*>(&value), sizeof value));
  long long before = 0;
  for (int r = 0; r < rank_; ++r) {
    long long v = 0;
    std::memcpy(&v, parts[r].data(), sizeof v);
    before += v;
  }
  return before;
}

namespace {

class SingleProcess final : public Communicator {
 public:
  SingleProcess() : Communicator(0, 1, 0) {}
  std::vector<std::string> all_gather(const std::string& bytes) override { return {bytes}; }
  void gather_at_root(const std::string& bytes, const std::function<void(const std::string&)>& take) override {
    take(bytes);
  }
  std::string broadcast(const std::string& bytes) override { return bytes; }
  [[noreturn]] void abort(int status) override { std::exit(status); }
};

}  // namespace

Communicator& single_process() {
  static SingleProcess one;
  return one;
}

void agree_or_throw(Communicator& comm, const std::string& error, bool usage) {
  if (comm.size() == 1) {
    if (error.empty()) return;
    if (usage) throw UsageError(error);
    throw Error(error);
  }
  // One byte says whether it was a usage error; the rest is the message.
  const std::vector<std::string> all = comm.all_gather(error.empty() ? std::string() : (usage ? "U" : "E") + error);
  for (int r = 0; r < comm.size(); ++r)
    if (!all[r].empty())
      throw RankError("rank " + std::to_string(r) + ": " + all[r].substr(1), comm.root(), all[r][0] == 'U');
}

}  // namespace mdn
