// mdn_python_overhead: what `mdn train` and `mdn predict` do, step by step,
// with the CSV parts timed apart from the rest, for bench/python_overhead.py
// (BENCHMARKS.md, "Python overhead"). The same library calls in the same
// order as tools/mdn/cmd_train.cpp and tools/mdn/prediction_output.cpp:
//
//   mdn_python_overhead train DATA.csv TARGET MODEL.safetensors K H EPOCHS SEED DEVICE
//     load_dataset (csv_s) | make_backend + train (compute_s) | save_model (save_s)
//   mdn_python_overhead predict MODEL.safetensors DATA.csv DEVICE
//     load_model (load_s) | CsvFile::read + select_numeric (csv_s) |
//     make_backend + per 65,536-row chunk: head_outputs, mixtures_from_head,
//     statistics at 0.05, 0.5, 0.95 (compute_s); no output CSV is formatted
//
// Prints one JSON object of seconds on stdout. Built on demand (not part of
// `all`): cmake --build BUILD --target mdn_python_overhead.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include <sys/resource.h>

#include "mdn/backend.hpp"
#include "mdn/csv.hpp"
#include "mdn/inference.hpp"
#include "mdn/model_io.hpp"
#include "mdn/trainer.hpp"

namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// CPU seconds of the whole process (every thread), user + system.
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + 1e-6 * double(u.ru_utime.tv_usec + u.ru_stime.tv_usec);
}

int run_train(char** argv) {
  const std::string data_path = argv[2], target = argv[3], model_path = argv[4];
  auto t = std::chrono::steady_clock::now();
  double c = cpu_seconds();
  const mdn::Dataset data = mdn::load_dataset(data_path, {target}, {}, mdn::InvalidCells::Fail);
  const double csv = seconds_since(t);
  const double csv_cpu = cpu_seconds() - c;

  t = std::chrono::steady_clock::now();
  c = cpu_seconds();
  mdn::ModelSpec spec;
  spec.input_dim = data.x.cols;
  spec.target_dim = data.t.cols;
  spec.components = std::atoi(argv[5]);
  spec.hidden = {std::atoi(argv[6]), std::atoi(argv[6])};
  spec.validate();
  mdn::TrainOptions options;
  options.epochs = std::atoi(argv[7]);
  options.seed = std::strtoull(argv[8], nullptr, 10);
  auto backend = mdn::make_backend(mdn::parse_device(argv[9]), spec);
  const mdn::Model model = mdn::train(*backend, spec, data, options);
  const double compute = seconds_since(t);
  const double compute_cpu = cpu_seconds() - c;

  t = std::chrono::steady_clock::now();
  mdn::save_model(model, model_path);
  const double save = seconds_since(t);
  std::printf(
      "{\"csv_s\": %.6f, \"compute_s\": %.6f, \"save_s\": %.6f, \"csv_cpu_s\": %.6f, \"compute_cpu_s\": %.6f, "
      "\"epochs\": %zu}\n",
      csv, compute, save, csv_cpu, compute_cpu, model.history.train_nll.size());
  return 0;
}

int run_predict(char** argv) {
  auto t = std::chrono::steady_clock::now();
  const mdn::Model model = mdn::load_model(argv[2]);
  const double load = seconds_since(t);

  t = std::chrono::steady_clock::now();
  double c = cpu_seconds();
  const mdn::CsvFile csv = mdn::CsvFile::read(argv[3]);
  const mdn::MatrixD x = mdn::select_numeric(csv, model.feature_names, mdn::InvalidCells::Fail).values;
  const double csv_s = seconds_since(t);
  const double csv_cpu = cpu_seconds() - c;

  t = std::chrono::steady_clock::now();
  c = cpu_seconds();
  auto backend = mdn::make_backend(mdn::parse_device(argv[4]), model);
  const std::vector<double> levels{0.05, 0.5, 0.95};
  double checksum = 0.0;
  constexpr int kChunkRows = 65536;  // mdn predict's default --chunk-rows
  for (int begin = 0; begin < x.rows; begin += kChunkRows) {
    const int rows = std::min(kChunkRows, x.rows - begin);
    const mdn::MixtureBatch mix = mdn::mixtures_from_head(model, mdn::head_outputs(*backend, model, x, begin, rows));
    const mdn::PredictiveStatistics stats = backend->statistics(mix, levels);
    checksum += stats.moments.mean.front() + stats.quantiles.back();
  }
  const double compute = seconds_since(t);
  const double compute_cpu = cpu_seconds() - c;
  std::printf(
      "{\"load_s\": %.6f, \"csv_s\": %.6f, \"compute_s\": %.6f, \"csv_cpu_s\": %.6f, \"compute_cpu_s\": %.6f, "
      "\"checksum\": %.17g}\n",
      load, csv_s, compute, csv_cpu, compute_cpu, checksum);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc == 10 && std::string(argv[1]) == "train") return run_train(argv);
    if (argc == 5 && std::string(argv[1]) == "predict") return run_predict(argv);
    std::fprintf(stderr,
                 "usage: mdn_python_overhead train DATA.csv TARGET MODEL K H EPOCHS SEED DEVICE\n"
                 "       mdn_python_overhead predict MODEL DATA.csv DEVICE\n");
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mdn_python_overhead: %s\n", e.what());
    return 1;
  }
}
