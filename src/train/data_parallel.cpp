#include "train/data_parallel.hpp"

#include <algorithm>
#include <cmath>

#include "core/permutation.hpp"
#include "mdn/error.hpp"

namespace mdn::detail {

EpochStats data_parallel_epoch(Backend& backend, Communicator& comm, const Matrix& x, const Matrix& t,
                               const std::vector<float>& w, const std::vector<int>& local_row,
                               const EpochConfig& config) {
  const int rows = int(local_row.size());
  const std::vector<int> order = random_permutation(rows, config.shuffle_seed);
  const Backend::HostSum host_sum = [&](float* v, std::size_t n) { comm.sum(v, n); };
  Matrix xb(0, x.cols), tb(0, t.cols);
  std::vector<float> wb;
  return run_epoch_batches(rows, config.batch_size, [&](int begin, int n, double& grad_norm) {
    // This rank's rows of the batch.
    xb.rows = tb.rows = 0;
    xb.data.clear();
    tb.data.clear();
    wb.clear();
    for (int i = begin; i < begin + n; ++i) {
      const int r = local_row[order[i]];
      if (r < 0) continue;
      xb.data.insert(xb.data.end(), x.row(r), x.row(r) + x.cols);
      tb.data.insert(tb.data.end(), t.row(r), t.row(r) + t.cols);
      if (!w.empty()) wb.push_back(w[std::size_t(r)]);
      ++xb.rows;
      ++tb.rows;
    }
    return backend.data_parallel_step(xb, tb, wb, n, config.adam, host_sum, grad_norm);
  });
}

}  // namespace mdn::detail
