#include "report_sample.hpp"

#include <algorithm>

namespace mdn::cli {
namespace {

using Field = std::pair<std::vector<double>*, std::size_t>;  // values, values per row
using SourceField = std::pair<const std::vector<double>*, std::size_t>;

// Every per-row array of the sample and of a part, in the same order.
template <class Vec, class X, class W, class B, class S>
std::vector<std::pair<Vec*, std::size_t>> fields(X& x, X& t, W& weights, B& mix, S& s) {
  const std::size_t K = std::size_t(mix.K), T = std::size_t(mix.T);
  std::vector<std::pair<Vec*, std::size_t>> out{{&x.data, std::size_t(x.cols)},
                                                {&t.data, std::size_t(t.cols)},
                                                {&weights, std::size_t(weights.empty() ? 0 : 1)},
                                                {&mix.alpha, K},
                                                {&mix.mu, K * T},
                                                {&mix.sigma, K * T},
                                                {&mix.chol, mix.chol.empty() ? 0 : K * std::size_t(mix.chol_size())},
                                                {&s.mean.data, T},
                                                {&s.stddev.data, T},
                                                {&s.median.data, T},
                                                {&s.pit.data, T}};
  for (std::size_t i = 0; i < s.lower.size(); ++i) {
    out.push_back({&s.lower[i].data, T});
    out.push_back({&s.upper[i].data, T});
  }
  return out;
}

}  // namespace

void ReportSample::shape_like(const MatrixD& x, const MatrixD& t, const MixtureBatch& mix, const RowStatistics& stats) {
  x_ = MatrixD(0, x.cols);
  data_.t = MatrixD(0, t.cols);
  mix_ = MixtureBatch{};
  mix_.K = mix.K;
  mix_.T = mix.T;
  mix_.pit_maps = mix.pit_maps;
  mix_.transforms = mix.transforms;
  stats_.mean = stats_.stddev = stats_.median = stats_.pit = MatrixD(0, t.cols);
  stats_.lower.assign(stats.lower.size(), MatrixD(0, t.cols));
  stats_.upper.assign(stats.upper.size(), MatrixD(0, t.cols));
  shaped_ = true;
}

Dataset ReportSample::data() const {
  Dataset d = data_;
  d.x = x_;
  return d;
}

void ReportSample::add(const MatrixD& x, const MatrixD& t, const std::vector<double>& weights,
                       const MixtureBatch& mix, const RowStatistics& stats, long long first_row) {
  if (!shaped_) shape_like(x, t, mix, stats);
  const std::vector<SourceField> from = fields<const std::vector<double>>(x, t, weights, mix, stats);
  std::vector<Field> to = fields<std::vector<double>>(x_, data_.t, data_.weights, mix_, stats_);
  to[2].second = from[2].second;  // the sample's weights are empty until the first row
  for (int r = 0; r < x.rows; ++r) {
    const long long at = first_row + r;
    if (at % stride_ != 0) continue;
    for (std::size_t f = 0; f < from.size(); ++f) {
      const std::size_t n = from[f].second;
      const double* src = from[f].first->data() + std::size_t(r) * n;
      to[f].first->insert(to[f].first->end(), src, src + n);
    }
    index_.push_back(at);
    if (int(index_.size()) > capacity_) thin();
  }
  const int kept = int(index_.size());
  x_.rows = data_.t.rows = mix_.rows = kept;
  stats_.mean.rows = stats_.stddev.rows = stats_.median.rows = stats_.pit.rows = kept;
  for (MatrixD& m : stats_.lower) m.rows = kept;
  for (MatrixD& m : stats_.upper) m.rows = kept;
}

// Doubles the stride and keeps the rows whose file index is a multiple of it.
void ReportSample::thin() {
  stride_ *= 2;
  std::vector<Field> to = fields<std::vector<double>>(x_, data_.t, data_.weights, mix_, stats_);
  if (!data_.weights.empty()) to[2].second = 1;
  std::size_t kept = 0;
  for (std::size_t i = 0; i < index_.size(); ++i) {
    if (index_[i] % stride_ != 0) continue;
    for (Field& f : to)
      std::copy_n(f.first->begin() + i * f.second, f.second, f.first->begin() + kept * f.second);
    index_[kept++] = index_[i];
  }
  index_.resize(kept);
  for (Field& f : to) f.first->resize(kept * f.second);
}

}  // namespace mdn::cli
