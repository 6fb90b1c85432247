// The processes of one run and what they exchange. A plain run is one
// process (single_process()); `mpirun -np N mdn ...` makes N ranks that talk
// over MPI (src/distributed/, docs/DISTRIBUTED.md). Training, the sharded readers
// and the CLI ask this interface, never MPI itself, so a build without MPI
// behaves exactly as a one-rank run.
//
// Every call is collective: all ranks make it, in the same order.
#pragma once
#include <cstddef>
#include <functional>
#include <string>
#include <type_traits>
#include <new>
#include <vector>

#include "mdn/error.hpp"

namespace mdn {

class Communicator {
 public:
  virtual ~Communicator() = default;

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool root() const { return rank_ == 0; }
  // This rank's index among the ranks on its machine (picks its GPU).
  int local_rank() const { return local_rank_; }

  // Every rank's bytes, in rank order, on every rank.
  virtual std::vector<std::string> all_gather(const std::string& bytes) = 0;
  // Every rank's bytes, in rank order, handed to `take` on rank 0 one rank at
  // a time (rank 0 never holds more than one other rank's part); `take` is
  // not called on the other ranks.
  virtual void gather_at_root(const std::string& bytes, const std::function<void(const std::string&)>& take) = 0;
  // The same, collected: every part on rank 0, nothing elsewhere.
  std::vector<std::string> gather_at_root(const std::string& bytes) {
    std::vector<std::string> parts;
    gather_at_root(bytes, [&](const std::string& part) { parts.push_back(part); });
    return parts;
  }
  // Rank 0's bytes on every rank.
  virtual std::string broadcast(const std::string& bytes) = 0;
  // Element-wise sums over the ranks, added in rank order ((r0 + r1) + r2 ...)
  // so that a given number of ranks always gives the same bits, on every rank.
  void sum(float* values, std::size_t n);
  void sum(double* values, std::size_t n);
  void sum(long long* values, std::size_t n);
  double sum(double value) {
    sum(&value, 1);
    return value;
  }
  long long sum(long long value) {
    sum(&value, 1);
    return value;
  }
  // Exclusive prefix sum in rank order: the sum of `value` over ranks < rank().
  long long exclusive_prefix(long long value);

  // Ends every rank with `status` (MPI_Abort); the message is printed first.
  [[noreturn]] virtual void abort(int status) = 0;

 protected:
  Communicator(int rank, int size, int local_rank) : rank_(rank), size_(size), local_rank_(local_rank) {}

 private:
  template <typename T>
  void sum_in_rank_order(T* values, std::size_t n);
  int rank_, size_, local_rank_;
};

// A run of one process: the collectives return their input.
Communicator& single_process();

// The ranks this program was launched as: MPI's world under mpirun/srun in a
// build with MPI, otherwise single_process(). The first call initialises MPI
// (only when a launcher's environment says it started this process).
// Throws mdn::UsageError when a launcher started several processes but this
// build has no MPI (each would train alone and write the same files).
Communicator& world();
// Ends MPI (once, at exit); harmless without it.
void finalize_world();
// "MPI: compiled in (Open MPI v4.1.4)" or "MPI: not compiled in ...", for
// `mdn --version`. Starts nothing.
std::string distributed_description();

// An error every rank agreed on (agree_or_throw): all ranks throw it with the
// same text; only rank 0 shows it (show()), so N ranks print one message.
// usage(): the failing rank's error was a UsageError (exit status 2).
class RankError : public Error {
 public:
  RankError(const std::string& message, bool show, bool usage) : Error(message), show_(show), usage_(usage) {}
  bool show() const { return show_; }
  bool usage() const { return usage_; }

 private:
  bool show_, usage_;
};

// Collective error agreement: every rank calls it after work that may have
// failed on some ranks (`error` empty = this rank succeeded). When any rank
// failed, every rank throws RankError with the message of the lowest failing
// rank, prefixed "rank R: " when there are several ranks; so all ranks stop
// together, with one message, before the next collective step. With one
// rank the error is thrown as it was (Error, or UsageError when `usage`).
void agree_or_throw(Communicator& comm, const std::string& error, bool usage = false);

namespace detail {
// What `work` threw, as agree_or_throw takes it ("" when it succeeded).
template <typename Work>
std::string error_of(Work&& work, bool& usage) {
  try {
    work();
  } catch (const UsageError& e) {
    usage = true;
    return e.what();
  } catch (const Error& e) {
    return e.what();
  } catch (const std::bad_alloc&) {
    return "out of memory";
  }
  return {};
}
}  // namespace detail

// Runs `work` on every rank; if it throws mdn::Error or bad_alloc on any
// rank, every rank throws (agree_or_throw). Returns what `work` returns.
template <typename Work>
auto collectively(Communicator& comm, Work&& work) -> decltype(work()) {
  bool usage = false;
  if constexpr (std::is_void_v<decltype(work())>) {
    const std::string error = detail::error_of(work, usage);
    agree_or_throw(comm, error, usage);
  } else {
    decltype(work()) result{};
    const std::string error = detail::error_of([&] { result = work(); }, usage);
    agree_or_throw(comm, error, usage);
    return result;
  }
}

}  // namespace mdn
