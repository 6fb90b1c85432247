#include "io/numeric_training_read.hpp"

#include <algorithm>
#include <climits>
#include <filesystem>

#include "mdn/csv_stream.hpp"
#include "mdn/error.hpp"

namespace mdn::io {
namespace {

// The row whose values become the compact features' reference
// (first_row_reference): the first row, or with a weight column (`weight`,
// a column index; -1: none) the first of positive weight. Every column's
// value (0 where not a number); empty until found.
void find_reference_row(const CsvFile& part, int weight, std::vector<double>& values) {
  for (std::size_t r = 0; r < part.rows() && values.empty(); ++r) {
    double w = 1.0;
    if (weight >= 0 && !(part.number(part.field(r, weight), w) && w > 0.0)) continue;
    for (int c = 0; c < int(part.header().size()); ++c) {
      double v = 0.0;
      values.push_back(part.number(part.field(r, c), v) ? v : 0.0);
    }
  }
}

// The facts of the columns that matter, merged over the parts of the file,
// and the reference row; false as soon as one of them holds a cell that is
// not a number.
bool numeric_facts(const std::string& path, const std::vector<std::string>& targets, std::size_t varying,
                   const std::vector<std::string>& features, const CsvOptions& options, std::size_t part_bytes,
                   std::vector<std::string>& header, std::vector<ColumnFacts>& facts, long long& rows,
                   std::vector<double>& reference_row) {
  CsvStream stream(path, options, part_bytes);
  CsvFile part;
  std::vector<int> columns;  // empty: every column
  int weight = -1;
  while (stream.next(part)) {
    if (header.empty()) {
      header = part.header();
      for (const std::string& t : targets) columns.push_back(part.require_column(t));
      if (features.empty()) columns.clear();
      for (const std::string& f : features) columns.push_back(part.require_column(f));
      if (targets.size() > varying) weight = part.require_column(targets[varying]);
    }
    find_reference_row(part, weight, reference_row);
    std::vector<ColumnFacts> more = column_facts(part, columns);
    if (facts.empty())
      facts = std::move(more);
    else
      for (std::size_t c = 0; c < facts.size(); ++c) merge_later(facts[c], more[c]);
    rows += (long long)part.rows();
    for (std::size_t c = 0; c < facts.size(); ++c) {
      const bool matters = columns.empty() || std::find(columns.begin(), columns.end(), int(c)) != columns.end();
      if (matters && (facts[c].missing > 0 || facts[c].other > 0)) return false;
    }
  }
  return true;
}

void append_rows(Dataset& to, Dataset&& part) {
  to.x.append(part.x.release_exact());
  to.t.data.insert(to.t.data.end(), part.t.data.begin(), part.t.data.end());
  to.t.rows += part.t.rows;
  to.lines.insert(to.lines.end(), part.lines.begin(), part.lines.end());
}

}  // namespace

bool read_numeric_training_rows(const std::string& path, const std::vector<std::string>& targets,
                                const std::vector<std::string>& features, InvalidCells policy,
                                const CsvOptions& options, ColumnChoice& choice, std::size_t varying, Dataset& out,
                                std::size_t part_bytes) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) return false;
  std::vector<std::string> header;
  std::vector<ColumnFacts> facts;
  long long rows = 0;
  std::vector<double> reference_row;
  if (!numeric_facts(path, targets, varying, features, options, part_bytes, header, facts, rows, reference_row))
    return false;
  if (rows > (long long)INT_MAX) throw Error(path + ": too many rows (more than 2^31 - 1)");
  check_targets_vary(path, header, facts,
                     {targets.begin(), targets.begin() + std::ptrdiff_t(std::min(varying, targets.size()))});
  ColumnChoice chosen;
  if (features.empty()) {
    chosen = choose_columns(path, header, facts, targets, rows, policy);
  } else {
    chosen.features = features;
  }

  std::vector<double> reference;
  for (const std::string& f : chosen.features) {
    const std::size_t c = std::size_t(std::find(header.begin(), header.end(), f) - header.begin());
    reference.push_back(c < reference_row.size() ? reference_row[c] : 0.0);
  }
  Dataset ds;
  ds.x = DataMatrix::compact(MatrixD(0, int(chosen.features.size())), reference);
  ds.t = MatrixD(0, int(targets.size()));
  // The row count is known: room for every row at once, so that growing
  // never holds two copies.
  ds.x.reserve(int(rows));
  ds.t.data.reserve(std::size_t(rows) * targets.size());
  ds.lines.reserve(std::size_t(rows));
  CsvStream stream(path, options, part_bytes);
  CsvFile part;
  while (stream.next(part)) {
    if (part.header() != header) throw Error(path + ": the file changed while it was read (its header)");
    append_rows(ds, dataset_from_csv(part, targets, chosen.features, policy, /*allow_no_rows=*/true,
                                     /*drop_missing_targets=*/true));
  }
  if ((long long)ds.t.rows != rows)
    throw Error(path + ": the file changed while it was read (" + std::to_string(rows) + " rows, then " +
                std::to_string(ds.t.rows) + ")");
  ds.feature_names = chosen.features;
  ds.target_names = targets;
  out = std::move(ds);
  choice = std::move(chosen);
  return true;
}

}  // namespace mdn::io
