// Row loops on OpenMP threads that may throw.
//
// An exception must not leave an OpenMP parallel region: the runtime calls
// std::terminate and the process dies (exit 134) instead of reporting the
// library's message. for_each_row catches inside the loop, remembers the
// exception of the lowest failing row, skips the rest, and rethrows after
// the region: the caller sees the exception a serial loop would have thrown
// first.
#pragma once
#include <atomic>
#include <exception>

namespace mdn::detail {

template <class Body>
void for_each_row(int rows, int chunk, Body&& body) {
  std::exception_ptr error;
  int error_row = rows;
  std::atomic<bool> failed{false};
#pragma omp parallel for schedule(dynamic, chunk)
  for (int r = 0; r < rows; ++r) {
    if (failed.load(std::memory_order_relaxed)) continue;
    try {
      body(r);
    } catch (...) {
#pragma omp critical(mdn_for_each_row_error)
      if (r < error_row) {
        error_row = r;
        error = std::current_exception();
      }
      failed.store(true, std::memory_order_relaxed);
    }
  }
  if (error) std::rethrow_exception(error);
}

}  // namespace mdn::detail
