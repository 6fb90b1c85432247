// The rows `mdn predict` and `mdn sample` feed the network, a part at a time:
// one process reads the data file front to back in parts of about
// kCsvPartBytes (mdn/csv_stream.hpp), so its memory does not grow with the
// file; several ranks (mpirun) each read their shard at once
// (mdn/sharded_data.hpp). Either way a row's global index (among the rows
// kept) travels with it, which the predictions and the draws are keyed on.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "mdn/communicator.hpp"
#include "mdn/csv.hpp"
#include "mdn/csv_stream.hpp"
#include "mdn/feature_encoding.hpp"
#include "mdn/matrix.hpp"
#include "mdn/model.hpp"

namespace mdn::cli {

// The bytes per part: kCsvPartBytes, or the environment variable
// MDN_CSV_PART_BYTES (a positive integer) — a knob for tests, which stream
// small files in many parts, and for measurements (a huge value reads the
// file in one part, as before streaming).
std::size_t part_bytes_from_environment();

// One part of the input rows: the model's features (original units), where
// the first sits among all rows kept, and its --keep cells.
struct InputPart {
  MatrixD x;
  MatrixD t;  // per row of x: the InputRequest::targets columns (mdn eval), else no column
  long long first_row = 0;
  std::vector<std::string> kept;  // per row of x: the --keep cells, CSV-quoted, each followed by a comma
  std::vector<int> lines;         // per row of x: its line in the file (one process only)
};

struct InputRequest {
  std::string path;
  CsvOptions csv;
  bool drop_invalid = false;  // a row with a missing or invalid feature is left out (else: an error)
  bool quiet = false;
  std::vector<std::string> keep;
  const char* command = "mdn predict";
  // Numeric columns read besides the features, into InputPart::t (mdn eval:
  // the targets and the --weight column); a row missing one is invalid too.
  std::vector<std::string> targets;
};

class InputParts {
 public:
  // Opens the file (several ranks: reads every rank's shard); reads nothing else.
  InputParts(Communicator& ranks, const Model& model, InputRequest request);
  ~InputParts();
  // The next part; false after the last. An invalid cell (unless
  // drop_invalid), a missing column or a malformed file throws mdn::Error
  // naming the file, line and column.
  bool next(InputPart& part);
  // After the last part: the warnings about the whole input on stderr (rows
  // left out, unseen categories and filled cells, inputs outside the
  // training range; several ranks print them as they read), or mdn::Error
  // when no row was left at all.
  void finish();
  // Whether the part returned last was the last.
  bool last() const;
  // Progress within the input after `rows` rows of the current part are
  // done: a share in [0, 1], or -1 when unknown (a pipe).
  double fraction(int rows) const;
  long long rows() const { return rows_; }  // rows returned so far
  // After the last part (the totals finish() warns about): rows left out for
  // an invalid cell and the first one's reason, what the model's encoding
  // met, rows outside the training range per feature (empty: no ranges).
  long long dropped() const { return dropped_; }
  const std::string& first_dropped() const { return first_dropped_; }
  const EncodingCounts& encoding_counts() const { return counts_; }
  const std::vector<long long>& outside() const { return outside_; }

 private:
  bool next_shard(InputPart& part);
  bool next_stream_part(InputPart& part);
  void read_stream_part();

  Communicator& ranks_;
  const Model& model_;
  InputRequest request_;
  std::unique_ptr<CsvStream> stream_;  // one process
  InputPart held_;                     // rows read, not yet returned (first_row: the first's index)
  bool done_ = false;
  long long rows_ = 0, file_rows_ = 0, dropped_ = 0, part_rows_ = 0;
  std::string first_dropped_;
  EncodingCounts counts_;            // summed over the parts
  std::vector<long long> outside_;   // rows outside the training range, per feature
  double fraction_before_ = 0.0, fraction_after_ = 0.0;  // of the part returned last
};

}  // namespace mdn::cli
