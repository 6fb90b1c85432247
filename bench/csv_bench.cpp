// Reading data files (issue 28: "CSV parsing at >= 200 MB/s per core on
// plain numeric files"):
//
//   BM_CsvRead/<rows>         CsvFile::read of a numeric file of `rows` rows
//       x 10 columns (%.9g numbers, as `mdn data` writes them), then
//       select_numeric of every column: the work of `mdn predict`'s and
//       `mdn train`'s reading, from the page cache. bytes_per_second = file
//       bytes; one thread (the reader does not thread).
//   BM_CsvReadGzip/<rows>     the same file gzip-compressed (zlib level 6):
//       bytes_per_second counts the uncompressed bytes.
//   BM_CsvStream/<rows>       the same file read front to back in parts of
//       kCsvPartBytes by CsvStream, each part's columns turned into numbers:
//       how `mdn predict`, `mdn sample` and `mdn eval` read (memory bounded
//       by a part, so no first touch of file-sized buffers).
//
//   build/bench/mdn_bench --benchmark_filter=Csv
#include <benchmark/benchmark.h>
#include <zlib.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "mdn/csv.hpp"
#include "mdn/csv_stream.hpp"

namespace {

constexpr int kColumns = 10;

// Writes the file once per size; returns its path and size in bytes.
std::pair<std::string, std::size_t> numeric_file(int rows, bool gzip) {
  const std::string path = "/tmp/mdn_bench_csv_" + std::to_string(rows) + (gzip ? ".csv.gz" : ".csv");
  std::string text;
  for (int c = 0; c < kColumns; ++c) text += (c ? ",c" : "c") + std::to_string(c);
  text += '\n';
  std::mt19937_64 rng(1);
  std::normal_distribution<double> n(0.0, 100.0);
  char buf[32];
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < kColumns; ++c) {
      std::snprintf(buf, sizeof buf, "%.9g", n(rng));
      text += buf;
      text += c + 1 < kColumns ? ',' : '\n';
    }
  if (gzip) {
    gzFile f = gzopen(path.c_str(), "wb6");
    gzwrite(f, text.data(), unsigned(text.size()));
    gzclose(f);
  } else {
    std::ofstream(path, std::ios::binary) << text;
  }
  return {path, text.size()};
}

void read_file(benchmark::State& state, bool gzip) {
  const auto [path, bytes] = numeric_file(int(state.range(0)), gzip);
  std::vector<std::string> names;
  for (int c = 0; c < kColumns; ++c) names.push_back("c" + std::to_string(c));
  for (auto _ : state) {
    const mdn::CsvFile csv = mdn::CsvFile::read(path);
    const mdn::NumericColumns values = mdn::select_numeric(csv, names, mdn::InvalidCells::Fail);
    benchmark::DoNotOptimize(values.values.data.data());
  }
  state.SetBytesProcessed(std::int64_t(state.iterations()) * std::int64_t(bytes));
  std::remove(path.c_str());
}

void BM_CsvStream(benchmark::State& state) {
  const auto [path, bytes] = numeric_file(int(state.range(0)), false);
  std::vector<std::string> names;
  for (int c = 0; c < kColumns; ++c) names.push_back("c" + std::to_string(c));
  for (auto _ : state) {
    mdn::CsvStream stream(path);
    mdn::CsvFile part;
    long long rows = 0;
    while (stream.next(part)) {
      const mdn::NumericColumns values = mdn::select_numeric(part, names, mdn::InvalidCells::Fail);
      benchmark::DoNotOptimize(values.values.data.data());
      rows += values.values.rows;
    }
    if (rows != state.range(0)) state.SkipWithError("the parts did not hold every row");
  }
  state.SetBytesProcessed(std::int64_t(state.iterations()) * std::int64_t(bytes));
  std::remove(path.c_str());
}

void BM_CsvRead(benchmark::State& state) { read_file(state, false); }
void BM_CsvReadGzip(benchmark::State& state) { read_file(state, true); }

BENCHMARK(BM_CsvRead)->Arg(100000)->Arg(1000000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_CsvReadGzip)->Arg(100000)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_CsvStream)->Arg(1000000)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
