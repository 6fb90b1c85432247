// The rows a model trains on or is scored on: features and targets of the
// same rows, with their names and where each row came from.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "mdn/matrix.hpp"

namespace mdn {

// Features in original units, held one of two ways with the same accessors:
//  exact:   double, as read (what prediction and scoring use);
//  compact: one float32 a value, the offset from its column's reference
//           value (double): what training data are held in, so that a data
//           set of 10^7 rows costs its float32 size (docs/DATA.md, "Memory")
//           while a column far from 0 keeps its resolution (a Unix timestamp
//           1.7e9 + seconds: the offsets are seconds). value(r, c) = ref[c] +
//           offset(r, c), the offset rounded to float once: an error of at
//           most 2^-24 of the distance from the reference, below what the
//           network's float32 standardised inputs resolve. The reference is
//           the first row (of positive weight; 0 where not finite).
class DataMatrix {
 public:
  int rows = 0;
  int cols = 0;

  DataMatrix() = default;
  DataMatrix(int r, int c) : DataMatrix(MatrixD(r, c)) {}  // exact zeros
  DataMatrix(MatrixD exact);                                // NOLINT: a MatrixD is an exact DataMatrix
  // m's values in compact form, against `reference` (one per column;
  // empty: m's first row, or the first row appended when m has none).
  static DataMatrix compact(const MatrixD& m, std::vector<double> reference = {});

  bool is_compact() const { return compact_; }
  double operator()(int r, int c) const {
    const std::size_t i = std::size_t(r) * std::size_t(cols) + std::size_t(c);
    return compact_ ? ref_[std::size_t(c)] + double(offset_[i]) : exact_.data[i];
  }
  void set(int r, int c, double v);
  // m's rows after these (same columns; a DataMatrix with no columns yet
  // takes m's). Compact: against the reference it has (m's first row when
  // it has none yet).
  void append(const MatrixD& m);
  // Room for `rows` rows in all (appending up to them then moves nothing).
  void reserve(int rows);
  // The rows `rows`, in that order, in the same form.
  DataMatrix take_rows(const std::vector<int>& rows) const;
  MatrixD to_double() const;
  // The values of an exact DataMatrix, without a copy (what predictions and
  // scores read); throws mdn::Error for a compact one.
  const MatrixD& exact() const;
  // The same, moved out (this DataMatrix is left empty).
  MatrixD release_exact();
  // A compact DataMatrix's offsets (rows x cols, row-major), moved out, and
  // its reference; this DataMatrix is left empty. Throws for an exact one.
  std::vector<float> release_offsets(std::vector<double>& reference);

 private:
  bool compact_ = false;
  MatrixD exact_;               // rows x cols (exact)
  std::vector<double> ref_;     // cols (compact)
  std::vector<float> offset_;   // rows x cols, row-major: value - ref, rounded to float (compact)
};

// The first row of m (0 where not finite, or where m has no rows): the
// reference a compact DataMatrix takes by default. With sample weights (one
// per row), the first row of positive weight: rows of weight 0 leave before
// training, and the rows that stay then have the reference they would have
// alone, so the model is the one trained on them alone, bit for bit.
std::vector<double> first_row_reference(const MatrixD& m, const std::vector<double>& weights = {});

// A data set for training / evaluation: features and targets of the same rows.
struct Dataset {
  DataMatrix x;                            // rows x D, original units (exact or compact, see above)
  MatrixD t;                               // rows x T, original units (may have 0 cols for prediction-only data)
  std::vector<std::string> feature_names;  // D
  std::vector<std::string> target_names;   // T
  std::vector<int> lines;                  // file line of each row
  std::size_t dropped_rows = 0;
  std::string first_dropped;  // why the first dropped row was: "line L, column 'C': ..." (empty: none)
  // Per-row weights (sample weights: survey weights, importance weights), or
  // empty: every row weight 1. Finite and >= 0, not all 0 (check_weights).
  // Training minimises the weighted mean NLL; a row of weight 0 has no
  // influence, a row of weight 2 counts as two copies of it.
  std::vector<double> weights;
  std::string weight_name;  // the column the weights came from ("" = none or not from a file)
};

// Throws UsageError naming `what` (e.g. "the weights (w)") when weights do
// not fit `rows`: another length, a negative, NaN or infinite weight (with
// its row), or (require_positive) all zero. Empty weights are always fine.
void check_weights(const std::vector<double>& weights, long long rows, const std::string& what,
                   bool require_positive = true);

}  // namespace mdn
