#include "input_parts.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <utility>

#include "mdn/error.hpp"
#include "mdn/inference.hpp"
#include "mdn/sharded_data.hpp"
#include "range_warning.hpp"

namespace mdn::cli {
namespace {

// The --keep cells of the rows kept (their lines, in file order).
std::vector<std::string> kept_cells(const CsvFile& csv, const std::vector<std::string>& keep,
                                    const std::vector<int>& lines) {
  std::vector<int> columns;
  for (const std::string& name : keep) columns.push_back(csv.require_column(name));
  std::vector<std::string> out;
  out.reserve(lines.size());
  std::size_t row = 0;
  for (int line : lines) {
    while (csv.line_of_row(row) != line) ++row;
    std::vector<std::string> cells;
    for (int c : columns) cells.emplace_back(csv.field(row, c));
    std::string text = csv_header_line(cells);  // quoted as every mdn CSV output is
    text.back() = ',';                          // the line break becomes the separator
    out.push_back(std::move(text));
  }
  return out;
}

// A part's counts added to the whole input's (the first unseen cell stays
// the first of the file).
void add_counts(EncodingCounts& total, const EncodingCounts& part) {
  if (total.unseen.empty()) {
    total = part;
    return;
  }
  for (std::size_t i = 0; i < part.unseen.size(); ++i) {
    if (total.unseen[i] == 0) total.first_unseen[i] = part.first_unseen[i];
    total.unseen[i] += part.unseen[i];
    total.missing[i] += part.missing[i];
  }
  total.rows += part.rows;
}

// Rows [rows, m.rows) of m moved into a new matrix; m keeps its first `rows`.
MatrixD split_rows(MatrixD& m, int rows) {
  if (m.rows == 0) return MatrixD{};  // no targets read
  MatrixD tail(m.rows - rows, m.cols);
  std::copy(m.row(rows), m.row(m.rows), tail.data.begin());
  m.rows = rows;
  m.data.resize(std::size_t(rows) * std::size_t(m.cols));
  return tail;
}

// The columns from `first` on moved out of x into t.
void split_columns(MatrixD& x, MatrixD& t, int first) {
  MatrixD features(x.rows, first);
  t = MatrixD(x.rows, x.cols - first);
  for (int r = 0; r < x.rows; ++r) {
    std::copy(x.row(r), x.row(r) + first, features.row(r));
    std::copy(x.row(r) + first, x.row(r) + x.cols, t.row(r));
  }
  x = std::move(features);
}

// part's rows after held's (held empty: part itself).
void append_rows(MatrixD& held, MatrixD&& part) {
  if (held.rows == 0) {
    held = std::move(part);
    return;
  }
  held.data.insert(held.data.end(), part.data.begin(), part.data.end());
  held.rows += part.rows;
}

}  // namespace

std::size_t part_bytes_from_environment() {
  const char* text = std::getenv("MDN_CSV_PART_BYTES");
  if (text == nullptr || *text == '\0') return kCsvPartBytes;
  char* end = nullptr;
  const unsigned long long bytes = std::strtoull(text, &end, 10);
  if (*end != '\0' || bytes == 0 || text[0] == '-')
    throw UsageError(std::string("MDN_CSV_PART_BYTES must be a positive number of bytes, not '") + text + "'");
  return std::size_t(bytes);
}

InputParts::InputParts(Communicator& ranks, const Model& model, InputRequest request)
    : ranks_(ranks), model_(model), request_(std::move(request)) {
  if (ranks.size() > 1 && !request_.keep.empty())
    throw UsageError("--keep works in one process; with several ranks (mpirun) match rows by their order");
  if (ranks.size() == 1) stream_ = std::make_unique<CsvStream>(request_.path, request_.csv, part_bytes_from_environment());
}

InputParts::~InputParts() = default;

bool InputParts::next(InputPart& part) {
  if (done_) return false;
  return stream_ ? next_stream_part(part) : next_shard(part);
}

bool InputParts::last() const { return done_; }

double InputParts::fraction(int rows) const {
  if (fraction_after_ < 0.0) return -1.0;
  return part_rows_ > 0 ? fraction_before_ + (fraction_after_ - fraction_before_) * double(rows) / double(part_rows_)
                        : fraction_after_;
}

// Several ranks: this rank's shard, in one part; the warnings as before
// streaming (agreed over the ranks, printed by rank 0).
bool InputParts::next_shard(InputPart& part) {
  const InvalidCells policy = request_.drop_invalid ? InvalidCells::DropRow : InvalidCells::Fail;
  const bool quiet = request_.quiet || !ranks_.root();
  DataShard shard = model_.encoding ? load_encoded_shard(ranks_, request_.path, request_.targets, *model_.encoding,
                                                         policy, request_.csv, &counts_)
                                    : load_dataset_shard(ranks_, request_.path, request_.targets,
                                                         model_.feature_names, policy, request_.csv);
  if (model_.encoding && !quiet)
    for (const std::string& w : encoding_warnings(*model_.encoding, counts_))
      std::fprintf(stderr, "%s: warning: %s: %s\n", request_.command, request_.path.c_str(), w.c_str());
  part.x = shard.data.x.release_exact();
  part.t = std::move(shard.data.t);
  part.lines = std::move(shard.data.lines);
  part.first_row = shard.first_row;
  part.kept.clear();
  dropped_ = shard.dropped_rows;
  first_dropped_ = std::move(shard.data.first_dropped);
  if (dropped_ > 0 && !quiet)
    std::fprintf(stderr, "%s: left out %lld row%s with a missing or invalid feature%s\n", request_.path.c_str(),
                 dropped_, dropped_ == 1 ? "" : "s",
                 first_dropped_.empty() ? "" : (" (the first: " + first_dropped_ + ")").c_str());
  outside_ = warn_outside_training_range(ranks_, request_.command, model_, part.x, quiet);
  rows_ += part.x.rows;
  part_rows_ = part.x.rows;
  fraction_before_ = 0.0;
  fraction_after_ = 1.0;
  done_ = true;
  return true;
}

// One process: the file's parts, cut so that each but the last ends on a
// forward block's edge (a multiple of kForwardBlock among all rows,
// mdn/inference.hpp): a block split between two parts would run through the
// network twice, zero-padded each time. The rows after the last edge wait in
// held_ for the next part.
bool InputParts::next_stream_part(InputPart& part) {
  fraction_before_ = fraction_after_;
  for (;;) {
    read_stream_part();
    fraction_after_ = stream_->fraction_read();
    const long long end = held_.first_row + held_.x.rows, edge = end / kForwardBlock * kForwardBlock;
    if (stream_->done() || edge > held_.first_row) {
      const int rows = stream_->done() ? held_.x.rows : int(edge - held_.first_row);
      part = std::move(held_);
      held_ = InputPart{};
      held_.first_row = part.first_row + rows;
      held_.x = split_rows(part.x, rows);
      held_.t = split_rows(part.t, rows);
      if (!part.kept.empty()) {
        held_.kept.assign(std::make_move_iterator(part.kept.begin() + rows), std::make_move_iterator(part.kept.end()));
        part.kept.resize(std::size_t(rows));
      }
      held_.lines.assign(part.lines.begin() + rows, part.lines.end());
      part.lines.resize(std::size_t(rows));
      rows_ = held_.first_row;
      part_rows_ = rows;
      done_ = stream_->done();
      return true;
    }
  }
}

// The next part of the file, its features read by name or through the
// model's encoding, appended to held_; its row counts added to the whole
// file's.
void InputParts::read_stream_part() {
  const InvalidCells policy = request_.drop_invalid ? InvalidCells::DropRow : InvalidCells::Fail;
  CsvFile csv;
  stream_->next(csv);
  InputPart part;
  std::vector<int> lines;
  if (model_.encoding) {
    EncodingCounts counts;
    Dataset ds = encode_rows(csv, *model_.encoding, request_.targets, policy, false, &counts, true);
    add_counts(counts_, counts);
    part.x = ds.x.release_exact();
    part.t = std::move(ds.t);
    lines = std::move(ds.lines);
    dropped_ += (long long)ds.dropped_rows;
    if (first_dropped_.empty()) first_dropped_ = std::move(ds.first_dropped);
  } else {
    // Features and targets in one selection, so that a bad cell in either drops the row.
    std::vector<std::string> names = model_.feature_names;
    names.insert(names.end(), request_.targets.begin(), request_.targets.end());
    NumericColumns columns = select_numeric(csv, names, policy, true);
    part.x = std::move(columns.values);
    if (!request_.targets.empty()) split_columns(part.x, part.t, int(model_.feature_names.size()));
    lines = std::move(columns.lines);
    dropped_ += (long long)columns.dropped_rows;
    if (first_dropped_.empty()) first_dropped_ = std::move(columns.first_dropped);
  }
  part.kept = request_.keep.empty() ? std::vector<std::string>{} : kept_cells(csv, request_.keep, lines);
  const std::vector<long long> outside = rows_outside_training_range(model_, part.x);
  if (outside_.empty()) outside_.assign(outside.size(), 0);
  for (std::size_t c = 0; c < outside.size(); ++c) outside_[c] += outside[c];
  file_rows_ += (long long)csv.rows();
  append_rows(held_.x, std::move(part.x));
  append_rows(held_.t, std::move(part.t));
  held_.lines.insert(held_.lines.end(), lines.begin(), lines.end());
  held_.kept.insert(held_.kept.end(), std::make_move_iterator(part.kept.begin()),
                    std::make_move_iterator(part.kept.end()));
}

void InputParts::finish() {
  if (!stream_) return;
  const bool quiet = request_.quiet;
  if (rows_ == 0)
    throw Error(model_.encoding ? no_encoded_rows_left(request_.path, std::size_t(file_rows_), first_dropped_)
                                : no_rows_left(request_.path, std::size_t(file_rows_), model_.feature_names));
  if (quiet) return;
  if (model_.encoding)
    for (const std::string& w : encoding_warnings(*model_.encoding, counts_))
      std::fprintf(stderr, "%s: warning: %s: %s\n", request_.command, request_.path.c_str(), w.c_str());
  if (dropped_ > 0)
    std::fprintf(stderr, "%s: left out %lld row%s with a missing or invalid feature%s\n", request_.path.c_str(),
                 dropped_, dropped_ == 1 ? "" : "s",
                 first_dropped_.empty() ? "" : (" (the first: " + first_dropped_ + ")").c_str());
  print_outside_training_range(request_.command, model_, outside_, rows_);
}

}  // namespace mdn::cli
