#include "prediction_output.hpp"

#include <algorithm>
#include <cmath>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <memory>
#include <sstream>
#include <string>
#include <utility>

#include "input_parts.hpp"
#include "progress.hpp"
#include "device_choice.hpp"
#include "mdn/atomic_file.hpp"
#include "mdn/communicator.hpp"
#include "mdn/conditional.hpp"
#include "mdn/conformal.hpp"
#include "mdn/csv.hpp"
#include "mdn/error.hpp"
#include "mdn/inference.hpp"
#include "mdn/mixture.hpp"
#include "mdn/predictive.hpp"
#include "mdn/spelling.hpp"

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

// Progress on stderr for runs of more than one chunk: the rows done and,
// where the file's size is known, the share of the input read.
class Progress {
 public:
  Progress(const char* what, bool quiet) : what_(what), quiet_(quiet) {}
  // After a chunk; `end`: the input's last chunk (nothing to show).
  void update(long long done, double fraction, bool end) {
    if (quiet_ || end) return;
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double rate = seconds > 0 ? done / seconds : 0.0;
    char line[160];
    if (fraction >= 0.0)
      std::snprintf(line, sizeof line, "%s: %lld rows (%.0f%% of the input), %.0f rows/s", what_, done,
                    100.0 * fraction, rate);
    else
      std::snprintf(line, sizeof line, "%s: %lld rows, %.0f rows/s", what_, done, rate);
    progress(line, false);
    shown_ = true;
  }
  void finish() {
    if (shown_) progress("", true);
  }

 private:
  const char* what_;
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
void central_intervals(const ConformalScores& scores, const MixtureBatch& mix, double level, std::vector<double>& lo,
                       std::vector<double>& hi) {
  if (scores.available()) return conformal_intervals(mix, scores, level, lo, hi);
  const std::vector<double> q = predictive_quantiles(mix, {0.5 * (1.0 - level), 0.5 * (1.0 + level)});
  lo.resize(q.size() / 2);
  hi.resize(q.size() / 2);
  for (std::size_t i = 0; i < lo.size(); ++i) {
    lo[i] = q[2 * i];
    hi[i] = q[2 * i + 1];
  }
}

// Checks the level and says on stderr which intervals --interval writes.
void explain_intervals(const Model& model, double level, bool conditional, bool quiet) {
  if (!(level > 0.0 && level < 1.0)) throw UsageError("--interval must lie in (0, 1)");
  if (quiet) return;
  if (conditional) {
    std::fprintf(stderr,
                 "mdn predict: --interval with --given: NAME_lo/NAME_hi are the conditional distribution's own "
                 "central %g interval (the model's conformal scores are for the marginals)\n",
                 level);
    return;
  }
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

TargetObservations parse_given(const Model& model, const std::vector<std::string>& given) {
  const std::vector<std::string>& targets = model.target_names;
  std::vector<double> value(targets.size(), 0.0);
  std::vector<bool> seen(targets.size(), false);
  for (const std::string& item : given) {
    const std::size_t eq = item.find('=');
    if (eq == std::string::npos)
      throw UsageError("--given: '" + item + "' is not NAME=VALUE (a target column and its observed value)");
    const std::string name = item.substr(0, eq), text = item.substr(eq + 1);
    const auto it = std::find(targets.begin(), targets.end(), name);
    if (it == targets.end()) {
      const std::string near = closest_name(name, targets);
      std::string known;
      for (const auto& t : targets) known += (known.empty() ? "" : ", ") + t;
      throw UsageError("--given: '" + name + "' is not a target of this model (targets: " + known + ")" +
                       (near.empty() ? "" : "; did you mean '" + near + "'?"));
    }
    const std::size_t d = std::size_t(it - targets.begin());
    if (seen[d]) throw UsageError("--given: target '" + name + "' is given twice");
    double v = 0.0;
    const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || r.ec != std::errc() || r.ptr != text.data() + text.size() || !std::isfinite(v))
      throw UsageError("--given: the value of '" + name + "' is not a finite number: '" + text + "'");
    seen[d] = true;
    value[d] = v;
  }
  TargetObservations out;
  for (std::size_t d = 0; d < targets.size(); ++d)
    if (seen[d]) out.observed.push_back(int(d));
  if (!out.observed.empty() && out.observed.size() == targets.size())
    throw UsageError("--given: every target of the model is given; nothing is left to predict");
  out.values = MatrixD(1, int(out.observed.size()));
  for (std::size_t i = 0; i < out.observed.size(); ++i) out.values(0, int(i)) = value[std::size_t(out.observed[i])];
  return out;
}

TargetObservations read_given(const Model& model, const std::vector<std::string>& given,
                              const std::string& given_data, const CsvOptions& csv, bool drop_invalid) {
  if (given_data.empty()) return parse_given(model, given);
  if (!given.empty()) throw UsageError("--given and --given-data: use one or the other");
  if (drop_invalid)
    throw UsageError("--given-data with --drop-invalid: a dropped input row would shift every later row against "
                     "the observed values; clean the input instead");
  CsvFile file;
  try {
    file = CsvFile::read(given_data, csv);
  } catch (const Error& e) {
    throw Error("--given-data: " + std::string(e.what()));
  }
  TargetObservations out;
  std::vector<std::string> names;
  for (std::size_t d = 0; d < model.target_names.size(); ++d)
    if (std::find(file.header().begin(), file.header().end(), model.target_names[d]) != file.header().end()) {
      out.observed.push_back(int(d));
      names.push_back(model.target_names[d]);
    }
  std::string known;
  for (const auto& t : model.target_names) known += (known.empty() ? "" : ", ") + t;
  if (names.empty())
    throw UsageError("--given-data: " + given_data + " has no column named after a target of the model (targets: " +
                     known + ")");
  if (names.size() == model.target_names.size())
    throw UsageError("--given-data: " + given_data + " has a column for every target (" + known +
                     "); nothing is left to predict");
  try {
    out.values = select_numeric(file, names, InvalidCells::Fail).values;
  } catch (const Error& e) {
    // The reader's hint at --drop-invalid does not apply here (refused above).
    std::string what = e.what();
    what = what.substr(0, what.find("; --drop-invalid"));
    throw Error("--given-data: " + what + " (every observed value must be a number)");
  }
  return out;
}

namespace {

// The observations of rows [first, first + rows) of the input: the one row
// of --given, or those rows of --given-data (an error when it has too few).
TargetObservations given_rows(const TargetObservations& given, const std::string& given_data, long long first,
                              int rows) {
  if (given.observed.empty() || given_data.empty()) return given;
  if (first + rows > given.values.rows)
    throw UsageError("--given-data: " + given_data + " has " + std::to_string(given.values.rows) +
                     " rows, fewer than the input (its rows from " + std::to_string(given.values.rows + 1) +
                     " on have no observed values)");
  TargetObservations out;
  out.observed = given.observed;
  out.values = MatrixD(rows, given.values.cols);
  std::copy(given.values.row(int(first)), given.values.row(int(first)) + std::size_t(rows) * given.values.cols,
            out.values.data.begin());
  return out;
}

// After the last row: --given-data must not have rows left over.
void check_given_rows_used(const TargetObservations& given, const std::string& given_data, long long rows) {
  if (!given_data.empty() && given.values.rows != rows)
    throw UsageError("--given-data: " + given_data + " has " + std::to_string(given.values.rows) +
                     " rows, but the input has " + std::to_string(rows) + "; one row of observed values per input row");
}

}  // namespace

std::vector<std::string> prediction_header(const Model& model, const PredictRequest& request,
                                           const std::vector<int>& observed) {
  const std::vector<std::string> names = unobserved_names(model.target_names, observed);
  const int K = model.mixture_spec().components;
  std::vector<std::string> header = request.keep;
  for (const auto& name : names) {
    header.push_back(name + "_mean");
    header.push_back(name + "_std");
    for (double level : request.quantiles) header.push_back(name + "_q" + level_label(level));
  }
  if (request.correlation)  // the upper triangle row by row: (0,1), (0,2), .., (1,2), ..
    for (std::size_t i = 0; i < names.size(); ++i)
      for (std::size_t j = i + 1; j < names.size(); ++j) header.push_back("corr_" + names[i] + "_" + names[j]);
  if (request.modes)
    for (int i = 1; i <= K; ++i) {
      for (const auto& name : names) header.push_back("mode" + std::to_string(i) + "_" + name);
      header.push_back("mode" + std::to_string(i) + "_density");
    }
  // Full covariance (with two or more targets left): after the marginal
  // sigmas, each component's lower Cholesky factor of its covariance, row by
  // row (torch's MultivariateNormal(scale_tril=...); docs/PREDICT.md).
  const bool factors = model.spec.covariance == Covariance::Full && names.size() >= 2;
  if (request.params)
    for (int k = 1; k <= K; ++k) {
      header.push_back("alpha_" + std::to_string(k));
      for (const auto& name : names) header.push_back("mu_" + std::to_string(k) + "_" + name);
      for (const auto& name : names) header.push_back("sigma_" + std::to_string(k) + "_" + name);
      for (std::size_t i = 0; factors && i < names.size(); ++i)
        for (std::size_t j = 0; j <= i; ++j)
          header.push_back("tril_" + std::to_string(k) + "_" + names[i] + "_" + names[j]);
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

namespace {

// What predict computes for a chunk of rows, before it is formatted.
struct ChunkPredictions {
  MixtureBatch mix;
  PredictiveStatistics stats;
  std::vector<std::vector<Mode>> modes;
  std::vector<double> correlation;  // rows x T x T (--correlation)
  std::vector<DensityRegion> hdr;
  std::vector<double> lo, hi;
};

ChunkPredictions predict_chunk(Backend& backend, const Model& model, const PredictRequest& request,
                               const TargetObservations& given, const InputPart& part, int begin, int rows) {
  const int K = model.mixture_spec().components;
  ChunkPredictions c;
  c.mix = mixtures_from_head(model, head_outputs(backend, model, part.x, begin, rows, part.first_row));
  if (!given.observed.empty()) c.mix = condition_mixtures(c.mix, given);
  c.stats = backend.statistics(c.mix, request.quantiles);
  if (request.modes) c.modes = backend.modes(c.mix);
  if (request.correlation) c.correlation = predictive_correlation(c.mix);
  if (request.hdi > 0.0) c.hdr = backend.density_regions(c.mix, 0, request.hdi);
  for (const auto& region : c.hdr)
    if (int(region.intervals.size()) > K)
      throw Error("highest-density region with more than K = " + std::to_string(K) + " intervals");
  // The conformal scores are the marginals'; a conditional gets its own central interval.
  if (request.interval > 0.0) central_intervals(given.observed.empty() ? model.conformal : ConformalScores{}, c.mix,
                                                request.interval, c.lo, c.hi);
  return c;
}

// Row r of a chunk as one line of the predictions CSV (prediction_header's columns).
void append_prediction(std::string& line, const Model& model, const PredictRequest& request,
                       const ChunkPredictions& c, int r) {
  const int K = model.mixture_spec().components, T = c.mix.T, L = int(request.quantiles.size());
  const PredictiveMoments& moments = c.stats.moments;
  const std::vector<double>& q = c.stats.quantiles;
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
  if (request.correlation)
    for (int i = 0; i < T; ++i)
      for (int j = i + 1; j < T; ++j) {
        line += ',';
        append_number(line, c.correlation[(std::size_t(r) * T + i) * T + j]);
      }
  if (request.modes)
    for (int i = 0; i < K; ++i) {
      const bool has = i < int(c.modes[r].size());
      for (int d = 0; d < T; ++d) {
        line += ',';
        if (has) append_number(line, c.modes[r][i].location[d]);
      }
      line += ',';
      if (has) append_number(line, c.modes[r][i].density);
    }
  if (request.params)
    for (int k = 0; k < K; ++k) {
      line += ',';
      append_number(line, float(c.mix.weight(r, k)));
      for (int d = 0; d < T; ++d) {
        line += ',';
        append_number(line, c.mix.mean(r, k, d));
      }
      for (int d = 0; d < T; ++d) {
        line += ',';
        append_number(line, c.mix.stddev(r, k, d));
      }
      if (!c.mix.full_covariance()) continue;
      const double* A = c.mix.factor(r, k);
      for (int i = 0; i < c.mix.chol_size(); ++i) {
        line += ',';
        append_number(line, A[i]);
      }
    }
  if (request.hdi > 0.0)
    for (int i = 0; i < K; ++i) {
      const bool has = i < int(c.hdr[r].intervals.size());
      line += ',';
      if (has) append_number(line, c.hdr[r].intervals[i].lo);
      line += ',';
      if (has) append_number(line, c.hdr[r].intervals[i].hi);
    }
  if (!c.lo.empty())
    for (int d = 0; d < T; ++d) {
      line += ',';
      append_number(line, c.lo[std::size_t(r) * T + d]);
      line += ',';
      append_number(line, c.hi[std::size_t(r) * T + d]);
    }
  line += '\n';
}

}  // namespace

std::int64_t write_predictions(const Model& model, const PredictRequest& request) {
  validate_quantile_levels(request.quantiles);
  const TargetObservations given =
      read_given(model, request.given, request.given_data, request.csv, request.drop_invalid);
  const int T = model.spec.target_dim - int(given.observed.size());
  if (request.hdi != 0.0) {
    validate_coverage(request.hdi);
    if (T != 1)
      throw UsageError("--hdi needs one target to predict (T = 1, or one left by --given); this leaves T = " +
                       std::to_string(T));
  }
  if (request.correlation && T < 2)
    throw UsageError("--correlation needs at least two targets to predict; this leaves T = " + std::to_string(T) +
                     (given.observed.empty() ? "" : " (after --given)"));
  if (request.modes && T > 1 && !model.target_transforms.empty())
    for (int d = 0; d < model.spec.target_dim; ++d)
      if (!model.target_transforms[std::size_t(d)].identity() &&
          std::find(given.observed.begin(), given.observed.end(), d) == given.observed.end())
        throw UsageError("--modes: joint modes of several targets with a target transform are not supported yet "
                         "(target '" + model.target_names[std::size_t(d)] +
                         "' has one); --given leaving one target, or the per-target outputs, work");
  if (request.chunk_rows < 1) throw UsageError("--chunk-rows must be at least 1");
  Communicator& ranks = world();
  const bool quiet = request.quiet || !ranks.root();
  if (request.interval != 0.0) explain_intervals(model, request.interval, !given.observed.empty(), quiet);
  InputParts parts(ranks, model,
                   {request.data_path, request.csv, request.drop_invalid, quiet, request.keep, "mdn predict", {}});
  // The first part before any output: a missing column fails here.
  InputPart part;
  parts.next(part);
  auto backend = open_rank_backend(ranks, request.device, model, quiet);

  Output output(ranks, request.out_path);
  std::ostream& out = output.stream();
  if (output.header_here()) write_header(out, prediction_header(model, request, given.observed));
  Progress progress_line("predict", quiet);
  output.fill([&] {
    do {
      for (int begin = 0; begin < part.x.rows; begin += request.chunk_rows) {
        const int rows = std::min(request.chunk_rows, part.x.rows - begin);
        const ChunkPredictions c = predict_chunk(*backend, model, request,
                                                 given_rows(given, request.given_data, part.first_row + begin, rows),
                                                 part, begin, rows);
        write_rows_in_order(out, rows, 256, [&](int r, std::string& line) {
          if (!part.kept.empty()) line += part.kept[std::size_t(begin + r)];
          append_prediction(line, model, request, c, r);
        });
        progress_line.update(part.first_row + begin + rows, parts.fraction(begin + rows),
                             parts.last() && begin + rows == part.x.rows);
      }
    } while (parts.next(part));
    parts.finish();
    // Several ranks each see their shard; the file's rows are checked whole by one process.
    if (ranks.size() == 1) check_given_rows_used(given, request.given_data, parts.rows());
  });
  progress_line.finish();
  output.finish();
  return parts.rows();
}

std::int64_t write_samples(const Model& model, const SampleRequest& request) {
  request.options.validate();
  if (request.samples < 1) throw UsageError("--samples must be at least 1");
  if (request.chunk_rows < 1) throw UsageError("--chunk-rows must be at least 1");
  const TargetObservations given =
      read_given(model, request.given, request.given_data, request.csv, request.drop_invalid);
  const int T = model.spec.target_dim - int(given.observed.size()), S = request.samples;
  Communicator& ranks = world();
  const bool quiet = request.quiet || !ranks.root();
  InputParts parts(ranks, model,
                   {request.data_path, request.csv, request.drop_invalid, quiet, request.keep, "mdn sample", {}});
  InputPart part;
  parts.next(part);  // before any output, as in write_predictions
  auto backend = open_rank_backend(ranks, request.device, model, quiet);

  // A chunk's samples stay within 2^24 doubles (128 MiB) whatever S is.
  const std::int64_t per_row = std::int64_t(S) * T;
  const int chunk = int(std::max<std::int64_t>(1, std::min<std::int64_t>(request.chunk_rows, (1 << 24) / per_row)));
  std::vector<double> draws;

  Output output(ranks, request.out_path);
  std::ostream& out = output.stream();
  std::vector<std::string> header = request.keep;
  header.insert(header.end(), {"row", "sample"});
  const std::vector<std::string> names = unobserved_names(model.target_names, given.observed);
  header.insert(header.end(), names.begin(), names.end());
  if (output.header_here()) write_header(out, header);
  Progress progress_line("sample", quiet);
  output.fill([&] {
    do {
      for (int begin = 0; begin < part.x.rows; begin += chunk) {
        const int rows = std::min(chunk, part.x.rows - begin);
        if (draws.size() < std::size_t(rows) * per_row) draws.resize(std::size_t(rows) * per_row);
        const Matrix z = head_outputs(*backend, model, part.x, begin, rows, part.first_row);
        // Draws are a function of (seed, row, sample): the global row index.
        const long long row0 = part.first_row + begin;
        // A recalibrated model draws by inversion on the host (mdn/sampling.hpp);
        // a conditional's mixtures are made on the host too.
        if (!given.observed.empty())
          sample_mixtures(condition_mixtures(mixtures_from_head(model, z),
                                             given_rows(given, request.given_data, row0, rows)),
                          S, request.options, row0, draws.data());
        else if (model.recalibration.applied())
          sample_mixtures(mixtures_from_head(model, z), S, request.options, row0, draws.data());
        else {
          backend->sample(z, model.stats, S, request.options, row0, draws.data());
          // The backend draws u; a transformed target's draws map back (mdn/target_transform.hpp).
          inverse_transform_draws(model.target_transforms, draws.data(), std::size_t(rows) * S, T);
        }
        write_rows_in_order(out, rows, std::max(1, 16384 / S), [&](int r, std::string& text) {
          for (int s = 0; s < S; ++s) {
            if (!part.kept.empty()) text += part.kept[std::size_t(begin + r)];
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
        progress_line.update(row0 + rows, parts.fraction(begin + rows), parts.last() && begin + rows == part.x.rows);
      }
    } while (parts.next(part));
    parts.finish();
    if (ranks.size() == 1) check_given_rows_used(given, request.given_data, parts.rows());
  });
  progress_line.finish();
  output.finish();
  return parts.rows();
}

}  // namespace mdn::cli
