#include "mdn/sharded_data.hpp"

#include <cstring>

#include "mdn/error.hpp"

namespace mdn {
namespace {

template <class M>
std::string matrix_bytes(const M& m) {
  return std::string(reinterpret_cast<const char*>(m.data.data()), m.data.size() * sizeof(typename M::value_type));
}

template <class M>
M stack_rows(const std::vector<std::string>& parts, int cols) {
  constexpr std::size_t kSize = sizeof(typename M::value_type);
  std::size_t values = 0;
  for (const std::string& p : parts) values += p.size() / kSize;
  M out(cols > 0 ? int(values / std::size_t(cols)) : 0, cols);
  std::size_t at = 0;
  for (const std::string& p : parts) {
    if (!p.empty()) std::memcpy(out.data.data() + at, p.data(), p.size());
    at += p.size() / kSize;
  }
  return out;
}

template <class M>
M gather_at_root(Communicator& comm, const M& rows) {
  if (comm.size() == 1) return rows;
  return stack_rows<M>(comm.gather_at_root(matrix_bytes(rows)), rows.cols);
}

template <class M>
M gather_everywhere(Communicator& comm, const M& rows) {
  if (comm.size() == 1) return rows;
  return stack_rows<M>(comm.all_gather(matrix_bytes(rows)), rows.cols);
}

// The whole file's column facts (of every column when `features` is empty,
// else of the targets): each rank's, merged in rank (file) order, the same on
// every rank; the targets checked. `rows`: the file's data rows.
std::vector<ColumnFacts> whole_file_facts(Communicator& comm, const std::string& path, const CsvFile& csv,
                                          const std::vector<std::string>& targets,
                                          const std::vector<std::string>& features, std::size_t varying,
                                          long long& rows) {
  std::vector<int> columns;
  if (!features.empty())
    for (const std::string& t : targets) columns.push_back(csv.require_column(t));
  const std::vector<std::string> parts = comm.all_gather(facts_to_bytes(column_facts(csv, columns)));
  std::vector<ColumnFacts> facts = facts_from_bytes(parts.front());
  for (std::size_t p = 1; p < parts.size(); ++p) {
    const std::vector<ColumnFacts> later = facts_from_bytes(parts[p]);
    for (std::size_t c = 0; c < facts.size(); ++c) merge_later(facts[c], later[c]);
  }
  rows = comm.sum((long long)csv.rows());
  collectively(comm, [&] {
    check_targets_vary(path, csv.header(), facts,
                       {targets.begin(), targets.begin() + std::ptrdiff_t(std::min(varying, targets.size()))});
  });
  return facts;
}

// This rank's part of the file's rows, its line numbers those of the whole
// file, with the columns checked (errors agreed).
CsvFile read_rank_part(Communicator& comm, const std::string& path, const std::vector<std::string>& targets,
                       const std::vector<std::string>& columns, const CsvOptions& options) {
  CsvPart part;
  collectively(comm, [&] { part = read_csv_part(path, comm.rank(), comm.size(), options); });
  // Line numbers: each part starts after the line breaks of the parts before it.
  part.first_line += int(comm.exclusive_prefix(part.row_line_breaks));
  CsvFile csv;
  collectively(comm, [&] {
    csv = CsvFile::read(path, part, options);
    for (const std::string& t : targets) csv.require_column(t);
    for (const std::string& c : columns) csv.require_column(c);
  });
  return csv;  // the table holds its own copy of the bytes; the part goes
}

// Where this rank's rows sit among all ranks', and the totals.
void place_rows(Communicator& comm, DataShard& shard) {
  const long long rows = shard.data.x.rows;
  shard.first_row = comm.exclusive_prefix(rows);
  long long counts[2] = {rows, (long long)shard.data.dropped_rows};
  comm.sum(counts, 2);
  shard.total_rows = counts[0];
  shard.dropped_rows = counts[1];
}

// Every rank's encoding counts added up; the first unseen category is the
// lowest rank's that met one (the file's first).
EncodingCounts summed_counts(Communicator& comm, EncodingCounts mine, std::size_t inputs) {
  mine.unseen.resize(inputs, 0);
  mine.missing.resize(inputs, 0);
  mine.first_unseen.resize(inputs);
  EncodingCounts total = mine;
  comm.sum(total.unseen.data(), inputs);
  comm.sum(total.missing.data(), inputs);
  total.rows = comm.sum(mine.rows);
  for (std::size_t i = 0; i < inputs; ++i) {
    // An unseen category is a non-empty cell (an empty one is missing).
    total.first_unseen[i].clear();
    for (const std::string& cell : comm.all_gather(mine.unseen[i] > 0 ? mine.first_unseen[i] : std::string()))
      if (total.first_unseen[i].empty()) total.first_unseen[i] = cell;
  }
  return total;
}

[[noreturn]] void throw_no_rows(Communicator& comm, const std::string& path, const DataShard& shard) {
  const std::string why = shard.dropped_rows > 0 ? ": no rows left: every row has an empty, non-numeric, NaN or "
                                                   "infinite cell in the chosen columns"
                                                 : ": has a header row but no data rows";
  throw RankError(path + why, comm.root(), false);
}

}  // namespace

DataShard load_dataset_shard(Communicator& comm, const std::string& path, const std::vector<std::string>& targets,
                             const std::vector<std::string>& features, InvalidCells policy,
                             const CsvOptions& options) {
  check_dataset_columns(path, targets, features);  // the same on every rank: no agreement needed
  const CsvFile csv = read_rank_part(comm, path, targets, features, options);

  std::vector<std::string> feature_names = features;
  if (feature_names.empty()) {
    // Numeric columns are a property of the whole file: or the parts' flags.
    std::vector<unsigned char> flags = csv.column_flags();
    for (const std::string& other : comm.all_gather(std::string(flags.begin(), flags.end())))
      for (std::size_t c = 0; c < flags.size(); ++c) flags[c] |= static_cast<unsigned char>(other[c]);
    feature_names = collectively(
        comm, [&] { return default_features(path, csv.header(), numeric_columns(csv.header(), flags), targets); });
  }

  DataShard shard;
  shard.data = collectively(comm, [&] { return dataset_from_csv(csv, targets, feature_names, policy, true); });
  place_rows(comm, shard);
  if (shard.total_rows == 0) throw_no_rows(comm, path, shard);
  return shard;
}

DataShard load_encoded_shard(Communicator& comm, const std::string& path, const std::vector<std::string>& targets,
                             const FeatureEncoding& encoding, InvalidCells policy, const CsvOptions& options,
                             EncodingCounts* counts) {
  const std::vector<std::string> inputs = encoding.input_names();
  check_dataset_columns(path, targets, inputs);
  const CsvFile csv = read_rank_part(comm, path, targets, inputs, options);
  EncodingCounts mine;
  DataShard shard;
  shard.data = collectively(comm, [&] { return encode_rows(csv, encoding, targets, policy, false, &mine, true); });
  place_rows(comm, shard);
  if (counts != nullptr) *counts = summed_counts(comm, mine, encoding.inputs.size());
  const long long file_rows = comm.sum((long long)csv.rows());
  if (shard.total_rows == 0)
    throw RankError(no_encoded_rows_left(path, std::size_t(file_rows), shard.data.first_dropped), comm.root(), false);
  return shard;
}

DataShard load_training_shard(Communicator& comm, const std::string& path, const std::vector<std::string>& targets,
                              const std::vector<std::string>& features, InvalidCells policy,
                              const CsvOptions& options, ColumnChoice& choice, std::size_t varying,
                              std::shared_ptr<const FeatureEncoding>& encoding) {
  check_dataset_columns(path, targets, features);  // the same on every rank: no agreement needed
  const std::vector<std::string> inputs = encoding ? encoding->input_names() : features;
  const CsvFile csv = read_rank_part(comm, path, targets, inputs, options);
  std::shared_ptr<const FeatureEncoding> applied = encoding;  // an initial or resumed model's: as it is
  if (applied) {
    choice = ColumnChoice{};
    choice.features = inputs;
  } else {
    long long rows = 0;
    const std::vector<ColumnFacts> facts = whole_file_facts(comm, path, csv, targets, features, varying, rows);
    const FileParts parts{comm.rank(), comm.size(), [&](const std::string& bytes) { return comm.all_gather(bytes); }};
    // Every decision below rests on facts merged over the ranks, so the ranks
    // fail (or not) together, at the same step.
    FeatureEncoding fitted = collectively(
        comm, [&] { return fit_training_features(csv, facts, rows, targets, features, policy, choice, &parts); });
    if (!fitted.trivial()) applied = std::make_shared<const FeatureEncoding>(std::move(fitted));
  }
  DataShard shard;
  // Training drops rows whose target is missing, as one process does.
  shard.data = collectively(comm, [&] {
    return applied ? encode_rows(csv, *applied, targets, policy, true, nullptr, true)
                   : dataset_from_csv(csv, targets, choice.features, policy, true, true);
  });
  place_rows(comm, shard);
  if (shard.total_rows == 0 && applied)
    throw RankError(no_encoded_rows_left(path, std::size_t(comm.sum((long long)csv.rows())), shard.data.first_dropped),
                    comm.root(), false);
  if (shard.total_rows == 0) throw_no_rows(comm, path, shard);
  encoding = applied;
  return shard;
}

Matrix gather_rows_at_root(Communicator& comm, const Matrix& rows) { return gather_at_root(comm, rows); }
MatrixD gather_rows_at_root(Communicator& comm, const MatrixD& rows) { return gather_at_root(comm, rows); }
Matrix all_gather_rows(Communicator& comm, const Matrix& rows) { return gather_everywhere(comm, rows); }
MatrixD all_gather_rows(Communicator& comm, const MatrixD& rows) { return gather_everywhere(comm, rows); }

}  // namespace mdn
