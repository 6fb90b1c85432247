// A CSV file read front to back a part at a time, for work whose memory must
// not grow with the file (mdn predict, mdn sample; docs/PREDICT.md): each
// part is a CsvFile of the header and about part_bytes of whole records
// (cut only between records, quoted line breaks included), with the file's
// line numbers, so that the parts hold every row once, in file order, and
// every message names the line a whole-file CsvFile::read would name. A
// gzip-compressed file is inflated as it is read.
#pragma once
#include <cstddef>
#include <memory>
#include <string>

#include "mdn/csv.hpp"

namespace mdn {

// The text each part holds besides its header: big enough that a part's
// fixed costs vanish (a part of a plain numeric file is some 10^4 to 10^5
// rows), small enough that what a part becomes (its text read and parsed,
// field offsets, features in double: a few times its size) stays a few tens
// of megabytes, and that a file of 10^6 rows already runs in several parts,
// at the memory of any longer file (BENCHMARKS.md, "Memory of mdn predict").
inline constexpr std::size_t kCsvPartBytes = std::size_t(4) << 20;

class CsvStream {
 public:
  // Opens the file (throws mdn::Error: missing, unreadable, a directory).
  CsvStream(const std::string& path, const CsvOptions& options = {}, std::size_t part_bytes = kCsvPartBytes);
  ~CsvStream();
  CsvStream(const CsvStream&) = delete;
  CsvStream& operator=(const CsvStream&) = delete;

  // The next part into `part`; false after the last one. The first part
  // throws what CsvFile::read throws for the start of a file (empty, binary,
  // a blank or duplicate header, no data rows); any part what its rows give
  // (a ragged row, an unterminated quote, corrupt gzip data).
  bool next(CsvFile& part);
  // Whether the part returned last was the file's last.
  bool done() const;
  // For progress: the share of the file's bytes read so far (compressed
  // bytes for gzip), or -1 when the size is unknown (a pipe).
  double fraction_read() const;

 private:
  struct State;
  std::unique_ptr<State> s_;
};

}  // namespace mdn
