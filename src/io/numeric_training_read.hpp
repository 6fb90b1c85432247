// Internal (src/io): `mdn train`'s read of a plain numeric file in parts
// (CsvStream), twice: first the facts of its columns (what the column choice
// needs: mdn/columns.hpp), then the chosen rows into a Dataset whose features
// are compact (DataMatrix). The file's text is never held whole and the
// features are held once, in float32 (docs/DATA.md, "Memory").
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "mdn/columns.hpp"
#include "mdn/csv.hpp"
#include "mdn/csv_stream.hpp"
#include "mdn/dataset.hpp"

namespace mdn::io {

// True, with `out` and `choice` set as load_encoded_training_dataset sets
// them, when `path` is a regular file whose columns that matter (every
// column when the features are chosen; else the named features and the
// targets) hold numbers only. False, with `out` untouched, when one of them
// holds anything else (text, a missing-value marker, NaN, a number too
// large) or the file cannot be read twice (a pipe): the whole-file read,
// which encodes such columns, takes over. Throws what the whole-file read
// throws for the file's start, a ragged row, a missing column, a constant
// target or no feature left, and mdn::Error when the file changes between
// the two passes. The compact features' reference is the first row, or with
// a weight column (a target after the first `varying`: the one after them)
// the first row of positive weight, as first_row_reference takes it.
// `part_bytes`: CsvStream's (smaller in tests, for many parts).
bool read_numeric_training_rows(const std::string& path, const std::vector<std::string>& targets,
                                const std::vector<std::string>& features, InvalidCells policy,
                                const CsvOptions& options, ColumnChoice& choice, std::size_t varying, Dataset& out,
                                std::size_t part_bytes = kCsvPartBytes);

}  // namespace mdn::io
