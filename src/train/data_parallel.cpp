#include "train/data_parallel.hpp"

#include <algorithm>
#include <cmath>

#include "core/permutation.hpp"
#include "mdn/error.hpp"

namespace mdn::detail {

EpochStats data_parallel_epoch(Backend& backend, Communicator& comm, const Matrix& x, const Matrix& t,
                               const std::vector<int>& local_row, const EpochConfig& config) {
  if (config.batch_size < 1) throw UsageError("batch size must be at least 1");
  const int rows = int(local_row.size());
  const std::vector<int> order = random_permutation(rows, config.shuffle_seed);
  const Backend::HostSum host_sum = [&](float* v, std::size_t n) { comm.sum(v, n); };
  Matrix xb(0, x.cols), tb(0, t.cols);

  EpochStats stats;
  double loss_sum = 0.0;
  int batches = 0;
  for (int begin = 0; begin < rows; begin += config.batch_size) {
    const int n = std::min(config.batch_size, rows - begin);
    xb.rows = tb.rows = 0;
    xb.data.clear();
    tb.data.clear();
    for (int i = begin; i < begin + n; ++i) {
      const int r = local_row[order[i]];
      if (r < 0) continue;
      xb.data.insert(xb.data.end(), x.row(r), x.row(r) + x.cols);
      tb.data.insert(tb.data.end(), t.row(r), t.row(r) + t.cols);
      ++xb.rows;
      ++tb.rows;
    }
    double norm = 0.0;
    const double loss = backend.data_parallel_step(xb, tb, n, config.adam, host_sum, norm);
    if (!std::isfinite(loss) || !std::isfinite(norm)) {
      stats.finite = false;
      break;
    }
    loss_sum += loss;
    stats.samples += n;
    ++batches;
  }
  stats.mean_loss = batches > 0 ? loss_sum / batches : 0.0;
  return stats;
}

}  // namespace mdn::detail
