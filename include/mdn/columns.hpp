// Which columns of a CSV file a model trains on when the features are not
// named: every numeric column but the targets, except row counters, row
// labels and constant columns, which are left out and reported; a column of
// numbers with a few bad cells is an error, not silently text. The decision
// is made here and returned as a report; the program prints it.
#pragma once
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "mdn/csv.hpp"

namespace mdn {

// What one pass over a column's cells finds. The facts of the parts of one
// file (mpirun) merge in file order (merge_later), giving the whole file's.
struct ColumnFacts {
  long long numbers = 0;  // cells that are numbers
  long long missing = 0;  // missing-value markers (CsvOptions::na_values, empty)
  long long other = 0;    // neither: text, NaN, infinite
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();
  // Every cell so far is a number, each one more than the one before.
  bool counting = true;
  double first = 0.0, last = 0.0;  // the first and last number
  int first_other_line = 0;        // file line of the first `other` cell
  std::string first_other;         // that cell (cut to 40 bytes)
};

// The facts of the columns `columns` (indices) of a table; the others stay
// default. Empty `columns`: every column.
std::vector<ColumnFacts> column_facts(const CsvFile& csv, const std::vector<int>& columns = {});
// `earlier` followed by `later` (the next part of the same file).
void merge_later(ColumnFacts& earlier, const ColumnFacts& later);
// A byte string of facts and back, for gathering them from the ranks.
std::string facts_to_bytes(const std::vector<ColumnFacts>& facts);
std::vector<ColumnFacts> facts_from_bytes(const std::string& bytes);

enum class LeftOutReason {
  Target,      // named as a target
  RowLabel,    // header "", "rownames", "Unnamed: N" (R's and pandas' row names)
  RowCounter,  // 1..n or 0..n-1 in order
  Constant,    // every number the same
  NotNumeric,  // text (mostly), or NaN/infinite
  NoValues,    // every cell missing
};

struct LeftOutColumn {
  std::string name;
  LeftOutReason reason = LeftOutReason::NotNumeric;
  std::string detail;  // "1..272 in order", "every value is 3", "'rain' on line 2", ...
};

// The columns of a training file: the features used and every column left
// out, in file order, with why. chosen: false when the features were named
// (then left_out is empty).
struct ColumnChoice {
  std::vector<std::string> features;
  std::vector<LeftOutColumn> left_out;
  bool chosen = false;
  // Per feature, how it is encoded when it is not a plain number ("species:
  // category (3: Adelie, ...)", mdn/feature_encoding.hpp); empty: all numbers.
  std::vector<std::string> notes;
};

// Decides about a column that choose_columns would leave out as not numeric
// (text): true makes it a feature; false leaves it out with `left_out`
// (reason and detail) as the rule set it.
using TextColumnRule = std::function<bool(std::size_t column, LeftOutColumn& left_out)>;

// Row counters and row labels are worth a warning: a user may have meant
// them (--features uses them).
bool warn_about(LeftOutReason reason);
// "target", "row label", "row counter", "constant", "not numeric", "no values".
std::string reason_name(LeftOutReason reason);

// The feature columns of a file (header, facts of every column, `rows` data
// rows) when none are named. Throws mdn::Error naming the file: a column of
// numbers with a few other cells, with policy Fail (the first bad cell's
// line and value, and the ways out); no feature left.
ColumnChoice choose_columns(const std::string& path, const std::vector<std::string>& header,
                            const std::vector<ColumnFacts>& facts, const std::vector<std::string>& targets,
                            long long rows, InvalidCells policy, const TextColumnRule& text_rule = nullptr);

// Throws mdn::Error naming the file and the column when a target's numbers
// are all the same (nothing to learn). `facts` per header column.
void check_targets_vary(const std::string& path, const std::vector<std::string>& header,
                        const std::vector<ColumnFacts>& facts, const std::vector<std::string>& targets);

// load_dataset for training: the features named, or chosen (choose_columns;
// `choice` says which and why), and the first `varying` targets checked
// (check_targets_vary; a --weight column read as one more target may be
// constant).
Dataset load_training_dataset(const std::string& path, const std::vector<std::string>& targets,
                              const std::vector<std::string>& features, InvalidCells policy, const CsvOptions& options,
                              ColumnChoice& choice, std::size_t varying = std::size_t(-1));

}  // namespace mdn
