// Internal: the rows a training run sees. The train/validation split of all
// rows (for one process or several ranks), and the data of each epoch when it
// varies (gridded targets spread over their cells, noise regularisation, an
// ensemble member's bootstrap resample). Every draw is a function of the
// seed alone, so a resumed run and any number of ranks see the same data.
#pragma once
#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "mdn/dataset.hpp"
#include "mdn/matrix.hpp"
#include "mdn/standardizer.hpp"
#include "mdn/train_options.hpp"
#include "mdn/trainer.hpp"

namespace mdn::detail {

// Uniform in [0, 1) from the top 53 bits: portable across standard libraries.
double uniform01(std::mt19937_64& rng);
// Standard normal by Box-Muller from two uniforms (portable, unlike
// std::normal_distribution).
double standard_normal(std::mt19937_64& rng);

// The rows `rows` of m, in that order.
template <class M>
M take_rows(const M& m, const std::vector<int>& rows) {
  M out(int(rows.size()), m.cols);
  for (std::size_t i = 0; i < rows.size(); ++i) std::copy_n(m.row(rows[i]), m.cols, out.row(int(i)));
  return out;
}
inline DataMatrix take_rows(const DataMatrix& m, const std::vector<int>& rows) { return m.take_rows(rows); }

// The rows `rows` of the compact features x, standardised by `stats` (the
// values Standardizer::standardize_x(x, rows) gives, bit for bit), in that
// order, made in x's own storage: x is left empty, and no second copy of the
// features exists at any time (docs/DATA.md, "Memory").
Matrix standardise_in_place(DataMatrix& x, const std::vector<int>& rows, const Standardizer& stats);

// The train/validation split: a seeded permutation of all rows; the last
// val_fraction of it is validation. A rank holding rows first_row ..
// first_row + local_rows - 1 keeps the training and validation rows it holds,
// in the permutation's order (indices into its rows); local_row maps a
// training row (0 .. G-1 of all of them) to this rank's training row, or -1
// (the identity for one rank).
struct Split {
  std::vector<int> train_idx, val_idx, local_row;
  int val_rows = 0;  // of all rows
};

Split split_rows(long long all_rows, long long first_row, int local_rows, const TrainOptions& options);

// The training data of an epoch when it changes every epoch (a function of
// the seed alone): gridded targets spread over their cells, Gaussian noise on
// the standardised features and targets (noise regularisation), and an
// ensemble member's bootstrap resample. The draws run over all training rows
// in order and each rank applies those of its own rows, so every number of
// ranks draws the same noise per row.
class EpochData {
 public:
  // w_train: the training rows' sample weights (empty: none). cells_in_loss:
  // the backend's loss is the grid cells' own (Backend::set_target_cells), so
  // gridded targets stay where they are instead of spreading over their cells.
  EpochData(const Matrix& x_train, const Matrix& t_train, const std::vector<float>& w_train,
            const std::vector<int>& local_row, const TrainOptions& options, const TrainPlan& plan,
            const Standardizer& stats, bool cells_in_loss)
      : x_train_(x_train),
        t_train_(t_train),
        w_train_(w_train),
        local_row_(local_row),
        options_(options),
        plan_(plan),
        stats_(stats),
        spread_cells_(!options.grid_steps.empty() && !cells_in_loss) {}

  // Whether the data change from epoch to epoch at all.
  bool varies() const {
    return spread_cells_ || plan_.input_noise > 0.0f || plan_.target_noise > 0.0f ||
           (options_.bootstrap && options_.ensemble > 1);
  }
  // The epoch's rows: the training rows themselves until the first draw
  // (no copy of them for data that never vary).
  const Matrix& x() const { return drawn_ ? x_ : x_train_; }
  const Matrix& t() const { return drawn_ ? t_ : t_train_; }
  const std::vector<float>& w() const { return drawn_ ? w_ : w_train_; }  // sample weights of x()'s rows, or empty

  // Draws the data of an epoch of `member` from `seed`.
  void draw(int member, std::uint64_t seed);

 private:
  const Matrix& x_train_;
  const Matrix& t_train_;
  const std::vector<float>& w_train_;
  const std::vector<int>& local_row_;
  const TrainOptions& options_;
  const TrainPlan& plan_;
  const Standardizer& stats_;
  bool spread_cells_;  // gridded targets spread uniformly over their cells every epoch
  bool drawn_ = false;
  Matrix x_, t_;
  std::vector<float> w_;
};

}  // namespace mdn::detail
