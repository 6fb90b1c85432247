#include "prediction_output.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <utility>

#include "progress.hpp"
#include "range_warning.hpp"
#include "device_choice.hpp"
#include "mdn/atomic_file.hpp"
#include "mdn/communicator.hpp"
#include "mdn/conformal.hpp"
#include "mdn/csv.hpp"
#include "mdn/error.hpp"
#include "mdn/feature_encoding.hpp"
#include "mdn/inference.hpp"
#include "mdn/mixture.hpp"
#include "mdn/predictive.hpp"
#include "mdn/sharded_data.hpp"

namespace mdn::cli {
namespace {

// Shortest text that reads back to the same value: doubles for everything in
// original units (statistics, component means and sigmas, samples), floats
// for the weights (the network's softmax is float; its double would print 17
// digits of rounding).
template <class V>
void append_number(std::string& s, V v) {
  char buf[40];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  s.append(buf, r.ptr);
}
void append_integer(std::string& s, long long v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  s.append(buf, r.ptr);
}
std::string level_label(double level) {
  std::string s;
  append_number(s, level);
  return s;
}

// The model's feature columns of the data file, by name; a missing column or
// an invalid cell is an error naming the file, line and column, or, with
// drop_invalid, leaves its row out (counted on stderr). Several ranks: this
// rank's part of the rows (first_row: the index of its first).
struct Input {
  MatrixD x;
  long long first_row = 0;
  long long total_rows = 0;
  std::vector<std::string> kept;  // per row of x: the --keep cells, CSV-quoted, each followed by a comma
};

// The --keep cells of the rows select_numeric kept (its lines, in file order).
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

// A model with a feature encoding (categories, dates, filled-in values;
// mdn/feature_encoding.hpp): its input columns encoded, with a warning per
// column for unseen categories and filled-in cells.
NumericColumns encoded_features(const CsvFile& csv, const Model& model, InvalidCells policy, const char* command,
                                bool quiet) {
  EncodingCounts counts;
  Dataset ds = encode_rows(csv, *model.encoding, {}, policy, false, &counts);
  if (!quiet)
    for (const std::string& w : encoding_warnings(*model.encoding, counts))
      std::fprintf(stderr, "%s: warning: %s: %s\n", command, csv.path().c_str(), w.c_str());
  NumericColumns columns;
  columns.values = std::move(ds.x);
  columns.names = std::move(ds.feature_names);
  columns.lines = std::move(ds.lines);
  columns.dropped_rows = ds.dropped_rows;
  columns.first_dropped = std::move(ds.first_dropped);
  return columns;
}

Input read_features(Communicator& ranks, const Model& model, const std::string& path, const CsvOptions& csv_options,
                    bool drop_invalid, bool quiet, const std::vector<std::string>& keep, const char* command) {
  const InvalidCells policy = drop_invalid ? InvalidCells::DropRow : InvalidCells::Fail;
  Input in;
  long long dropped = 0;
  std::string first_dropped;
  if (ranks.size() > 1 && model.encoding)
    throw UsageError("a model with category, date or filled-in features reads its data in one process for now");
  if (ranks.size() == 1) {
    const CsvFile csv = CsvFile::read(path, csv_options);
    NumericColumns columns = model.encoding ? encoded_features(csv, model, policy, command, quiet)
                                            : select_numeric(csv, model.feature_names, policy);
    if (!keep.empty()) in.kept = kept_cells(csv, keep, columns.lines);
    in.x = std::move(columns.values);
    in.total_rows = in.x.rows;
    dropped = (long long)columns.dropped_rows;
    first_dropped = std::move(columns.first_dropped);
  } else {
    if (!keep.empty())
      throw UsageError("--keep works in one process; with several ranks (mpirun) match rows by their order");
    DataShard shard = load_dataset_shard(ranks, path, {}, model.feature_names, policy, csv_options);
    in.x = std::move(shard.data.x);
    in.first_row = shard.first_row;
    in.total_rows = shard.total_rows;
    dropped = shard.dropped_rows;
    first_dropped = std::move(shard.data.first_dropped);
  }
  if (dropped > 0 && !quiet)
    std::fprintf(stderr, "%s: left out %lld row%s with a missing or invalid feature%s\n", path.c_str(), dropped,
                 dropped == 1 ? "" : "s", first_dropped.empty() ? "" : (" (the first: " + first_dropped + ")").c_str());
  return in;
}

// The backend of this rank: its GPU is its index on its machine; the ranks
// agree on errors.
std::unique_ptr<Backend> open_rank_backend(Communicator& ranks, DeviceKind device, const Model& model, bool quiet) {
  CudaOptions cuda;
  cuda.device = ranks.local_rank();
  return collectively(ranks, [&] { return open_backend(device, model, quiet, cuda); });
}

// Where the CSV text goes. One process: straight into the AtomicFile, chunk
// by chunk. Several ranks: each rank keeps its rows' text; once every rank
// has succeeded (finish), rank 0 writes its text and then each other rank's,
// in rank order, and commits; so the file is the single-process file, and
// nothing is written when any rank failed.
class Output {
 public:
  Output(Communicator& ranks, const std::string& path) : ranks_(ranks), path_(path) {
    if (ranks.size() == 1) file_ = std::make_unique<AtomicFile>(path);
  }
  std::ostream& stream() {
    if (file_) return file_->stream();
    return part_;
  }
  bool header_here() const { return ranks_.root(); }
  // Runs the work that fills stream(); several ranks agree on its errors.
  template <class Work>
  void fill(Work&& work) {
    if (ranks_.size() == 1) return work();
    collectively(ranks_, work);
  }
  void finish() {
    if (file_) return file_->commit();
    std::unique_ptr<AtomicFile> file;
    if (ranks_.root()) file = std::make_unique<AtomicFile>(path_);
    ranks_.gather_at_root(
        part_.str(), [&](const std::string& text) { file->stream().write(text.data(), std::streamsize(text.size())); });
    if (file) file->commit();
  }

 private:
  Communicator& ranks_;
  std::string path_;
  std::unique_ptr<AtomicFile> file_;
  std::ostringstream part_;
};

// Progress on stderr for runs of more than one chunk.
class Progress {
 public:
  Progress(const char* what, long long total, bool quiet) : what_(what), total_(total), quiet_(quiet) {}
  void update(long long done) {
    if (quiet_ || done >= total_) return;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    char line[160];
    std::snprintf(line, sizeof line, "%s: %lld/%lld rows (%.0f%%), %.0f rows/s", what_, done, total_,
                  100.0 * done / total_, seconds > 0 ? done / seconds : 0.0);
    progress(line, false);
    shown_ = true;
  }
  void finish() {
    if (shown_) progress("", true);
  }

 private:
  const char* what_;
  long long total_;
  bool quiet_, shown_ = false;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

// Formats rows [0, rows) with format(row, text) on all threads, in blocks,
// and writes the blocks in order.
template <class Format>
void write_rows_in_order(std::ostream& out, int rows, int block_rows, const Format& format) {
  const int blocks = (rows + block_rows - 1) / block_rows;
#pragma omp parallel for ordered schedule(static, 1)
  for (int b = 0; b < blocks; ++b) {
    std::string text;
    for (int r = b * block_rows; r < std::min(rows, (b + 1) * block_rows); ++r) format(r, text);
#pragma omp ordered
    out.write(text.data(), std::streamsize(text.size()));
  }
}

void write_header(std::ostream& out, const std::vector<std::string>& names) {
  const std::string line = csv_header_line(names);
  out.write(line.data(), std::streamsize(line.size()));
}

// --interval: conformal intervals where the model carries scores
// (mdn/conformal.hpp), else the model's own central interval.
void central_intervals(const Model& model, const MixtureBatch& mix, double level, std::vector<double>& lo,
                       std::vector<double>& hi) {
  if (model.conformal.available()) return conformal_intervals(mix, model.conformal, level, lo, hi);
  const std::vector<double> q = predictive_quantiles(mix, {0.5 * (1.0 - level), 0.5 * (1.0 + level)});
  lo.resize(q.size() / 2);
  hi.resize(q.size() / 2);
  for (std::size_t i = 0; i < lo.size(); ++i) {
    lo[i] = q[2 * i];
    hi[i] = q[2 * i + 1];
  }
}

// Checks the level and says on stderr which intervals --interval writes.
void explain_intervals(const Model& model, double level, bool quiet) {
  if (!(level > 0.0 && level < 1.0)) throw UsageError("--interval must lie in (0, 1)");
  if (quiet) return;
  if (!model.conformal.available()) {
    std::fprintf(stderr,
                 "mdn predict: --interval: the model carries no conformal scores (trained without validation rows, "
                 "or an older file): NAME_lo/NAME_hi are its own central %g interval, without a coverage "
                 "guarantee (mdn calibrate adds the scores)\n",
                 level);
    return;
  }
  for (std::size_t d = 0; d < model.conformal.scores.size(); ++d)
    if (conformal_radius(model.conformal.scores[d], level) >= 0.5)
      std::fprintf(stderr,
                   "mdn predict: --interval %g: %zu calibration rows are too few for a finite conformal interval of "
                   "'%s' at this level: it is the whole line (-inf, inf)\n",
                   level, model.conformal.scores[d].size(), model.target_names[d].c_str());
}

}  // namespace

std::vector<std::string> prediction_header(const Model& model, const PredictRequest& request) {
  const auto& names = model.target_names;
  const int K = model.mixture_spec().components;
  std::vector<std::string> header = request.keep;
  for (const auto& name : names) {
    header.push_back(name + "_mean");
    header.push_back(name + "_std");
    for (double level : request.quantiles) header.push_back(name + "_q" + level_label(level));
  }
  if (request.modes)
    for (int i = 1; i <= K; ++i) {
      for (const auto& name : names) header.push_back("mode" + std::to_string(i) + "_" + name);
      header.push_back("mode" + std::to_string(i) + "_density");
    }
  if (request.params)
    for (int k = 1; k <= K; ++k) {
      header.push_back("alpha_" + std::to_string(k));
      for (const auto& name : names) header.push_back("mu_" + std::to_string(k) + "_" + name);
      for (const auto& name : names) header.push_back("sigma_" + std::to_string(k) + "_" + name);
    }
  if (request.hdi > 0.0)
    for (int i = 1; i <= K; ++i) {
      header.push_back("hdi_lo_" + std::to_string(i));
      header.push_back("hdi_hi_" + std::to_string(i));
    }
  if (request.interval > 0.0)
    for (const auto& name : names) {
      header.push_back(name + "_lo");
      header.push_back(name + "_hi");
    }
  return header;
}

std::int64_t write_predictions(const Model& model, const PredictRequest& request) {
  validate_quantile_levels(request.quantiles);
  const int K = model.mixture_spec().components, T = model.spec.target_dim, L = int(request.quantiles.size());
  if (request.hdi != 0.0) {
    validate_coverage(request.hdi);
    if (T != 1)
      throw UsageError("--hdi needs a model with one target (T = 1); this model has T = " + std::to_string(T));
  }
  if (request.chunk_rows < 1) throw UsageError("--chunk-rows must be at least 1");
  Communicator& ranks = world();
  const bool quiet = request.quiet || !ranks.root();
  if (request.interval != 0.0) explain_intervals(model, request.interval, quiet);
  const Input in =
      read_features(ranks, model, request.data_path, request.csv, request.drop_invalid, quiet, request.keep,
                    "mdn predict");
  const MatrixD& x = in.x;
  warn_outside_training_range(ranks, "mdn predict", model, x, quiet);
  auto backend = open_rank_backend(ranks, request.device, model, quiet);

  Output output(ranks, request.out_path);
  std::ostream& out = output.stream();
  if (output.header_here()) write_header(out, prediction_header(model, request));
  Progress progress_line("predict", x.rows, quiet);
  output.fill([&] {
    for (int begin = 0; begin < x.rows; begin += request.chunk_rows) {
      const int rows = std::min(request.chunk_rows, x.rows - begin);
      const MixtureBatch mix = mixtures_from_head(model, head_outputs(*backend, model, x, begin, rows, in.first_row));
      const PredictiveStatistics stats = backend->statistics(mix, request.quantiles);
      const PredictiveMoments& moments = stats.moments;
      const std::vector<double>& q = stats.quantiles;
      std::vector<std::vector<Mode>> modes;
      if (request.modes) modes = backend->modes(mix);
      std::vector<DensityRegion> hdr;
      if (request.hdi > 0.0) hdr = backend->density_regions(mix, 0, request.hdi);
      for (const auto& region : hdr)
        if (int(region.intervals.size()) > K)
          throw Error("highest-density region with more than K = " + std::to_string(K) + " intervals");
      std::vector<double> lo, hi;
      if (request.interval > 0.0) central_intervals(model, mix, request.interval, lo, hi);

      write_rows_in_order(out, rows, 256, [&](int r, std::string& line) {
        if (!in.kept.empty()) line += in.kept[std::size_t(begin + r)];
        for (int d = 0; d < T; ++d) {
          append_number(line, moments.mean[std::size_t(r) * T + d]);
          line += ',';
          append_number(line, moments.stddev[std::size_t(r) * T + d]);
          for (int j = 0; j < L; ++j) {
            line += ',';
            append_number(line, q[(std::size_t(r) * T + d) * L + j]);
          }
          if (d + 1 < T) line += ',';
        }
        if (request.modes)
          for (int i = 0; i < K; ++i) {
            const bool has = i < int(modes[r].size());
            for (int d = 0; d < T; ++d) {
              line += ',';
              if (has) append_number(line, modes[r][i].location[d]);
            }
            line += ',';
            if (has) append_number(line, modes[r][i].density);
          }
        if (request.params)
          for (int k = 0; k < K; ++k) {
            line += ',';
            append_number(line, float(mix.weight(r, k)));
            for (int d = 0; d < T; ++d) {
              line += ',';
              append_number(line, mix.mean(r, k, d));
            }
            for (int d = 0; d < T; ++d) {
              line += ',';
              append_number(line, mix.stddev(r, k, d));
            }
          }
        if (request.hdi > 0.0)
          for (int i = 0; i < K; ++i) {
            const bool has = i < int(hdr[r].intervals.size());
            line += ',';
            if (has) append_number(line, hdr[r].intervals[i].lo);
            line += ',';
            if (has) append_number(line, hdr[r].intervals[i].hi);
          }
        if (!lo.empty())
          for (int d = 0; d < T; ++d) {
            line += ',';
            append_number(line, lo[std::size_t(r) * T + d]);
            line += ',';
            append_number(line, hi[std::size_t(r) * T + d]);
          }
        line += '\n';
      });
      progress_line.update(begin + rows);
    }
  });
  progress_line.finish();
  output.finish();
  return in.total_rows;
}

std::int64_t write_samples(const Model& model, const SampleRequest& request) {
  request.options.validate();
  if (request.samples < 1) throw UsageError("--samples must be at least 1");
  if (request.chunk_rows < 1) throw UsageError("--chunk-rows must be at least 1");
  const int T = model.spec.target_dim, S = request.samples;
  Communicator& ranks = world();
  const bool quiet = request.quiet || !ranks.root();
  const Input in =
      read_features(ranks, model, request.data_path, request.csv, request.drop_invalid, quiet, request.keep,
                    "mdn sample");
  const MatrixD& x = in.x;
  warn_outside_training_range(ranks, "mdn sample", model, x, quiet);
  auto backend = open_rank_backend(ranks, request.device, model, quiet);

  // A chunk's samples stay within 2^24 doubles (128 MiB) whatever S is.
  const std::int64_t per_row = std::int64_t(S) * T;
  const int chunk = int(std::max<std::int64_t>(1, std::min<std::int64_t>(request.chunk_rows, (1 << 24) / per_row)));
  std::vector<double> draws(std::size_t(std::min(chunk, x.rows)) * per_row);

  Output output(ranks, request.out_path);
  std::ostream& out = output.stream();
  std::vector<std::string> header = request.keep;
  header.insert(header.end(), {"row", "sample"});
  header.insert(header.end(), model.target_names.begin(), model.target_names.end());
  if (output.header_here()) write_header(out, header);
  Progress progress_line("sample", x.rows, quiet);
  output.fill([&] {
    for (int begin = 0; begin < x.rows; begin += chunk) {
      const int rows = std::min(chunk, x.rows - begin);
      const Matrix z = head_outputs(*backend, model, x, begin, rows, in.first_row);
      // Draws are a function of (seed, row, sample): the global row index.
      const long long row0 = in.first_row + begin;
      // A recalibrated model draws by inversion on the host (mdn/sampling.hpp).
      if (model.recalibration.applied())
        sample_mixtures(mixtures_from_head(model, z), S, request.options, row0, draws.data());
      else
        backend->sample(z, model.stats, S, request.options, row0, draws.data());
      write_rows_in_order(out, rows, std::max(1, 16384 / S), [&](int r, std::string& text) {
        for (int s = 0; s < S; ++s) {
          if (!in.kept.empty()) text += in.kept[std::size_t(begin + r)];
          append_integer(text, row0 + r);
          text += ',';
          append_integer(text, s);
          const double* t = draws.data() + (std::size_t(r) * S + s) * T;
          for (int d = 0; d < T; ++d) {
            text += ',';
            append_number(text, t[d]);
          }
          text += '\n';
        }
      });
      progress_line.update(begin + rows);
    }
  });
  progress_line.finish();
  output.finish();
  return in.total_rows;
}

}  // namespace mdn::cli
