// Reading a CSV data set in parts, one per rank (docs/DISTRIBUTED.md): each
// rank reads only its share of the bytes (read_csv_part), the parts agree on
// line numbers, on which columns are numeric, on errors and (training) on
// the feature encoding, and every rank learns where its rows sit among all
// of them. With one rank it reads the whole file and gives what load_dataset
// gives.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "mdn/columns.hpp"
#include "mdn/communicator.hpp"
#include "mdn/csv.hpp"
#include "mdn/dataset.hpp"
#include "mdn/feature_encoding.hpp"

namespace mdn {

struct DataShard {
  Dataset data;             // this rank's rows, in file order (data.dropped_rows: this rank's)
  long long first_row = 0;  // index of data's first row among all ranks' rows
  long long total_rows = 0;
  long long dropped_rows = 0;  // over all ranks (InvalidCells::DropRow)
};

// Collective. Errors (a bad cell in any part, a missing column, no rows at
// all) are agreed: every rank throws the message of the lowest failing rank.
// `features` empty: every numeric column but the targets (the parts' numeric
// columns merged).
DataShard load_dataset_shard(Communicator& comm, const std::string& path, const std::vector<std::string>& targets,
                             const std::vector<std::string>& features, InvalidCells policy,
                             const CsvOptions& options = {});

// Training data-parallel: this rank's part of the file, read as
// load_encoded_training_dataset reads the whole file. The features named, or
// chosen from the whole file's column facts (the parts' facts merged in file
// order; text columns that are categories or dates among them), reported in
// `choice`; the targets checked (`varying`: as load_training_dataset's); the
// encoding fitted on the whole file (fit_training_features over the parts:
// exactly one process's) and applied to this rank's rows. `encoding`: given
// (an initial or resumed model's), applied; null, the fitted one is returned
// (null when the features are plain numbers). Rows with a missing target are
// dropped. Collective; errors agreed as above.
DataShard load_training_shard(Communicator& comm, const std::string& path, const std::vector<std::string>& targets,
                              const std::vector<std::string>& features, InvalidCells policy,
                              const CsvOptions& options, ColumnChoice& choice, std::size_t varying,
                              std::shared_ptr<const FeatureEncoding>& encoding);

// The same for a model with a feature encoding (mdn/feature_encoding.hpp):
// this rank's part of the file, its input columns encoded as one process
// encodes them (encode_rows; missing targets are errors or, with DropRow,
// drop their row). `counts` (optional) gets the counts of every rank, summed,
// with the first unseen category of the lowest rank that met one.
DataShard load_encoded_shard(Communicator& comm, const std::string& path, const std::vector<std::string>& targets,
                             const FeatureEncoding& encoding, InvalidCells policy, const CsvOptions& options = {},
                             EncodingCounts* counts = nullptr);

// Every rank's rows of a row-major float matrix with `cols` columns, in rank
// order, on rank 0 (empty elsewhere); collective.
Matrix gather_rows_at_root(Communicator& comm, const Matrix& rows);
MatrixD gather_rows_at_root(Communicator& comm, const MatrixD& rows);
// The same on every rank.
Matrix all_gather_rows(Communicator& comm, const Matrix& rows);
MatrixD all_gather_rows(Communicator& comm, const MatrixD& rows);

}  // namespace mdn
