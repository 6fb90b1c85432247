#include "train/training_data.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/permutation.hpp"

namespace mdn::detail {

double uniform01(std::mt19937_64& rng) { return double(rng() >> 11) * (1.0 / 9007199254740992.0); }

// 1 - u is in (0, 1], so the log is finite.
double standard_normal(std::mt19937_64& rng) {
  const double u1 = 1.0 - uniform01(rng);
  const double u2 = uniform01(rng);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

Matrix standardise_in_place(DataMatrix& x, const std::vector<int>& rows, const Standardizer& stats) {
  const int n = x.rows, D = x.cols;
  std::vector<double> ref;
  std::vector<float> v = x.release_offsets(ref);
  for (std::size_t i = 0; i < v.size(); ++i) {
    const std::size_t c = i % std::size_t(D);
    v[i] = float((ref[c] + double(v[i]) - stats.x_mean[c]) / stats.x_scale[c]);
  }
  // Row i takes row from[i]: `rows`, then the rows not among them, a
  // permutation applied along its cycles with one row held aside.
  std::vector<int> from;
  from.reserve(std::size_t(n));
  from.insert(from.end(), rows.begin(), rows.end());
  std::vector<char> taken(std::size_t(n), 0);
  for (int r : rows) taken[std::size_t(r)] = 1;
  for (int r = 0; r < n; ++r)
    if (!taken[std::size_t(r)]) from.push_back(r);
  std::vector<float> aside(static_cast<std::size_t>(D));
  const auto row = [&](int r) { return v.begin() + std::ptrdiff_t(std::size_t(r) * std::size_t(D)); };
  std::fill(taken.begin(), taken.end(), 0);  // now: row already in its place
  for (int start = 0; start < n; ++start) {
    if (taken[std::size_t(start)]) continue;
    std::copy_n(row(start), D, aside.begin());
    int at = start;
    for (int next = from[std::size_t(at)]; next != start; at = next, next = from[std::size_t(at)]) {
      std::copy_n(row(next), D, row(at));
      taken[std::size_t(at)] = 1;
    }
    std::copy_n(aside.begin(), D, row(at));
    taken[std::size_t(at)] = 1;
  }
  v.resize(rows.size() * std::size_t(D));
  Matrix out;
  out.rows = int(rows.size());
  out.cols = D;
  out.data = std::move(v);
  return out;
}

Split split_rows(long long all_rows, long long first_row, int local_rows, const TrainOptions& options) {
  const int rows = int(all_rows);
  Split s;
  s.val_rows = int(std::lround(double(options.val_fraction) * rows));
  if (options.val_fraction > 0.0f) s.val_rows = std::clamp(s.val_rows, 1, rows - 1);
  const std::vector<int> order = random_permutation(rows, options.seed ^ 0x5A17u);
  s.local_row.assign(std::size_t(rows - s.val_rows), -1);
  for (int i = 0; i < rows; ++i) {
    const long long g = order[i] - first_row;
    if (g < 0 || g >= local_rows) continue;
    if (i < rows - s.val_rows) {
      s.local_row[i] = int(s.train_idx.size());
      s.train_idx.push_back(int(g));
    } else {
      s.val_idx.push_back(int(g));
    }
  }
  return s;
}

void EpochData::draw(int member, std::uint64_t seed) {
  drawn_ = true;
  x_ = x_train_;
  t_ = t_train_;
  w_ = w_train_;
  std::vector<int> where = local_row_;  // training row i -> its row of (x_, t_), or -1
  if (options_.bootstrap && member > 0) {
    // The member's resample, the same every epoch. (Ensembles never run
    // data-parallel, so every row is local here.)
    std::mt19937_64 pick(member_seed(options_.seed, member) ^ 0xB0075742Aull);
    std::vector<int> rows(std::size_t(x_train_.rows));
    for (int& r : rows) r = std::min(x_train_.rows - 1, int(uniform01(pick) * x_train_.rows));
    x_ = take_rows(x_train_, rows);
    t_ = take_rows(t_train_, rows);
    if (!w_train_.empty())
      for (std::size_t i = 0; i < rows.size(); ++i) w_[i] = w_train_[std::size_t(rows[i])];
    std::iota(where.begin(), where.end(), 0);
  }
  std::mt19937_64 rng(seed);
  if (spread_cells_)
    for (int w : where)
      for (int d = 0; d < t_.cols; ++d)
        if (options_.grid_steps[d] > 0.0f) {
          const float cell = float((uniform01(rng) - 0.5) * options_.grid_steps[d] / stats_.t_scale[d]);
          if (w >= 0) t_(w, d) += cell;
        }
  const auto add_noise = [&](Matrix& m, float sd) {
    if (!(sd > 0.0f)) return;
    for (int w : where)
      for (int c = 0; c < m.cols; ++c) {
        const float noise = float(sd * standard_normal(rng));
        if (w >= 0) m(w, c) += noise;
      }
  };
  add_noise(x_, plan_.input_noise);
  add_noise(t_, plan_.target_noise);
}

}  // namespace mdn::detail
