// The rows `mdn eval --report` draws from (the scatter of observed against
// predicted, the measured-vs-sampled histograms, the one-input density
// picture's points), held in memory that does not grow with the file
// (docs/EVAL.md, "Large files"): every row while there are at most
// kReportRows, then every k-th row by its index in the file, k doubling each
// time the sample fills, so the rows kept stay evenly spread over the whole
// file. A file of at most kReportRows rows gives the report every row, as a
// whole-file evaluation did.
#pragma once
#include <cstddef>
#include <utility>
#include <vector>

#include "mdn/dataset.hpp"
#include "mdn/matrix.hpp"
#include "mdn/metrics.hpp"
#include "mdn/mixture.hpp"

namespace mdn::cli {

inline constexpr int kReportRows = 20000;

class ReportSample {
 public:
  explicit ReportSample(int capacity = kReportRows) : capacity_(capacity) {}
  // Rows [first_row, first_row + x.rows) of the file: features, targets,
  // weights (empty: none), mixtures and per-row statistics.
  void add(const MatrixD& x, const MatrixD& t, const std::vector<double>& weights, const MixtureBatch& mix,
           const RowStatistics& stats, long long first_row);
  // The rows kept, as the report takes them.
  Dataset data() const;
  const MixtureBatch& mixtures() const { return mix_; }
  const RowStatistics& statistics() const { return stats_; }
  long long stride() const { return stride_; }

 private:
  void shape_like(const MatrixD& x, const MatrixD& t, const MixtureBatch& mix, const RowStatistics& stats);
  void thin();

  int capacity_;
  long long stride_ = 1;
  bool shaped_ = false;
  std::vector<long long> index_;  // file index of each row kept
  MatrixD x_;     // the rows' features
  Dataset data_;  // their targets and weights (its x unused)
  MixtureBatch mix_;
  RowStatistics stats_;
};

}  // namespace mdn::cli
