// Feature encoding: the raw columns of a CSV file -> the plain numeric
// features the network sees. Fitted on the training file, stored in the model
// file (metadata "mdn.inputs", docs/MODEL_FORMAT.md), applied identically by
// train (validation rows), predict, sample and eval. The rules are in
// docs/DATA.md ("Text, date and missing feature values"):
//
// - number: the value; when the training column had missing cells, a
//   missing cell takes the training mean and the indicator feature
//   "NAME:missing" is 1 (0 otherwise).
// - category (a text column with at most kMaxCategories distinct values, each
//   on 2 rows or more on average): one 0/1 feature "NAME=VALUE" per category
//   seen in training; a missing cell or a category not seen in training is the
//   all-zero code (counted, and warned about unless training had missing cells).
// - date (every non-missing cell a date/time, parse_date_time): the parts that
//   vary over the training rows, of "NAME:year" (decimal year), "NAME:doy_sin",
//   "NAME:doy_cos" (day of the year), "NAME:hour_sin", "NAME:hour_cos" (time of
//   day); missing cells as for numbers.
//
// A model without an encoding (every model before it, and every model whose
// features are plain numbers without missing values) reads its features by
// name, as before.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "mdn/columns.hpp"
#include "mdn/csv.hpp"
#include "mdn/dataset.hpp"
#include "mdn/model.hpp"

namespace mdn {

// A text column with more distinct values than this (or fewer than 2 rows per
// value on average) is not categorical: an ID or free text.
inline constexpr int kMaxCategories = 50;
// The version of the "mdn.inputs" metadata this build writes and reads.
inline constexpr int kFeatureEncodingVersion = 1;

enum class InputKind { Number, Category, Date };

// One raw column of the data file and the features it becomes.
struct InputColumn {
  std::string name;
  InputKind kind = InputKind::Number;
  std::vector<std::string> categories;  // Category: the values seen in training, sorted (byte order)
  std::vector<std::string> date_parts;  // Date: of "year", "doy_sin", "doy_cos", "hour_sin", "hour_cos"
  // Training had missing cells: a missing cell is filled (Number, Date: the
  // training means `fill`, one per value feature; Category: the all-zero
  // code) and, for Number and Date, the feature "NAME:missing" is 1.
  bool had_missing = false;
  std::vector<double> fill;

  // The features this column becomes, in order.
  std::vector<std::string> feature_names() const;
  // Value features (without the missing indicator).
  std::size_t values() const;
  bool indicator() const { return had_missing && kind != InputKind::Category; }
};

struct FeatureEncoding {
  std::vector<InputColumn> inputs;  // the columns a user supplies, in training-file order

  std::vector<std::string> feature_names() const;
  std::vector<std::string> input_names() const;
  // Every input a number without missing values: the same as no encoding.
  bool trivial() const;
};

// "number", "category", "date".
std::string input_kind_name(InputKind kind);

// A date or date-time cell: YYYY-MM-DD, YYYY/MM/DD or DD.MM.YYYY, optionally
// followed by 'T' or a space and HH:MM[:SS[.fff]], then optionally 'Z' or a
// UTC offset (+HH, +HHMM, +HH:MM, with or without a space before it; the
// offset is not applied: the wall-clock time is what is encoded).
struct DateTime {
  int year = 0, month = 0, day = 0;
  double seconds = 0.0;  // since midnight
  bool has_time = false;
};
bool parse_date_time(std::string_view cell, DateTime& out);

// The facts of one text column (the cells that are neither numbers nor missing
// markers, or every non-missing cell for a categorical column).
struct TextFacts {
  long long cells = 0;    // non-missing cells
  long long missing = 0;  // missing cells
  long long dates = 0;    // cells that parse as dates
  int first_bad_line = 0;  // a non-date cell (when some are dates)
  std::string first_bad;
  std::vector<std::string> distinct;  // first kMaxCategories + 1 distinct values, in order of appearance
};
TextFacts text_facts(const CsvFile& csv, int column);

// What a non-numeric column becomes: Date, Category, or Number when neither
// (`why` then says why not). Throws mdn::Error naming the file, the line and
// the column for a column of dates with a cell that is not one (policy Fail).
InputKind text_column_kind(const std::string& path, const std::string& name, const TextFacts& facts,
                           InvalidCells policy, std::string& why);

// A CSV file read in parts, one per process (mdn/sharded_data.hpp): this
// part's index, the number of parts, and a collective that hands every part's
// bytes, in file order, to every part. Fitting in parts merges the parts'
// facts (counts, distinct values, sums added in file order) so that every
// part ends with exactly the encoding one process fits on the whole file.
struct FileParts {
  int part = 0;
  int parts = 1;
  std::function<std::vector<std::string>(const std::string&)> all_gather;
};

// Fits the encoding of `columns` on the rows of `csv` (the training file, or
// this part of it with `parts`). A numeric column's missing cells are imputed
// when policy is Fail (DropRow drops their rows instead). `named`: the user
// named the columns; a text column that cannot be a category or a date is
// then an error naming it.
FeatureEncoding fit_encoding(const CsvFile& csv, const std::vector<std::string>& columns, InvalidCells policy,
                             bool named, const FileParts* parts = nullptr);

// Training's features and their encoding (load_encoded_training_dataset's):
// `features`, or chosen by choose_columns with the text columns that are
// categories or dates; choice.notes say how the encoded ones are encoded.
// `facts`: column_facts of the whole file (of every column when `features` is
// empty); `rows`: its data rows; `csv` the whole file or this part of it.
FeatureEncoding fit_training_features(const CsvFile& csv, const std::vector<ColumnFacts>& facts, long long rows,
                                      const std::vector<std::string>& targets,
                                      const std::vector<std::string>& features, InvalidCells policy,
                                      ColumnChoice& choice, const FileParts* parts = nullptr);

// Per input column, what applying the encoding met.
struct EncodingCounts {
  std::vector<long long> unseen;             // categories not seen in training (coded all-zero)
  std::vector<std::string> first_unseen;     // the first such cell
  std::vector<long long> missing;            // missing cells filled per the model's strategy
  long long rows = 0;                        // rows encoded
};

// The features (x, encoded) and `targets` (t) of the rows of `csv`. A cell
// the encoding cannot take (text in a number column, a date that does not
// parse, a missing value in a column that had none in training) is an error
// naming the file, line and column (Fail; the message names
// InvalidCells::DropRow), or drops its row (DropRow). Missing targets drop
// their row when drop_missing_targets.
Dataset encode_rows(const CsvFile& csv, const FeatureEncoding& encoding, const std::vector<std::string>& targets,
                    InvalidCells policy, bool drop_missing_targets, EncodingCounts* counts = nullptr,
                    bool allow_no_rows = false);

// Why encode_rows found no row left in `rows` rows (also said of a file read
// in parts, mdn/csv_stream.hpp, when no part has one).
std::string no_encoded_rows_left(const std::string& path, std::size_t rows, const std::string& first_dropped);

// The raw columns a model needs in its input file: its encoding's inputs, or
// its feature names.
std::vector<std::string> model_input_names(const Model& model);
// load_dataset for a model: the model's encoding applied, or its features read
// by name (no encoding). `targets` as load_dataset's.
Dataset load_model_dataset(const std::string& path, const Model& model, const std::vector<std::string>& targets,
                           InvalidCells policy, const CsvOptions& options, EncodingCounts* counts = nullptr);

// Warning lines (without a prefix) for what counts says: unseen categories,
// missing cells filled. Empty when there is nothing to say.
std::vector<std::string> encoding_warnings(const FeatureEncoding& encoding, const EncodingCounts& counts);
// {"unseen_categories": [{"name", "rows", "first"}...], "missing_filled": [{"name", "rows"}...]}
std::string encoding_counts_json(const FeatureEncoding& encoding, const EncodingCounts& counts);

// The "mdn.inputs" metadata value, and back (throws mdn::Error saying what is
// wrong; a newer version is refused).
std::string encoding_to_json(const FeatureEncoding& encoding);
FeatureEncoding encoding_from_json(const std::string& text);
// One line per input for `mdn info`: "species: category (3: Adelie, Chinstrap, Gentoo)".
std::string describe_input(const InputColumn& input);
// JSON array of the inputs for `mdn info --json`.
std::string inputs_json(const FeatureEncoding& encoding);

// Training: the whole data file read once, the features chosen (no names
// given: choose_columns, then text columns that are categories or dates) or
// named, the encoding fitted. `encoding` comes back empty (nullptr) when it is
// trivial; the Dataset is then exactly load_training_dataset's. A non-null
// `given` (an initial or resumed encoded model's) is applied instead of fitted.
Dataset load_encoded_training_dataset(const std::string& path, const std::vector<std::string>& targets,
                                      const std::vector<std::string>& features, InvalidCells policy,
                                      const CsvOptions& options, ColumnChoice& choice, std::size_t varying,
                                      std::shared_ptr<const FeatureEncoding>& encoding);

}  // namespace mdn
