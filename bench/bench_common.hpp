// Shared pieces of mdn_bench: the shapes, the batch sweep, input data, the
// registration of one case on both devices, and the timing/counter helpers.
//
// Every case is registered twice, as
//     BM_<Case>/cpu/<shape>/<batch>/manual_time
//     BM_<Case>/cuda/<shape>/<batch>/manual_time
// so the CPU and CUDA rows of the same work line up by name (tools/scripts/bench.sh
// and bench/report.py pair them). Every case reports items_per_second =
// samples (rows, or draws for sampling) per second; the memory-bound ones
// also bytes_per_second = the bytes the work must move / time. All cases use
// manual time: the CPU side times the call with a steady clock, the CUDA side
// with CUDA events (or, where no device-side hook exists, the host-synchronous
// call; its label says so). Without a CUDA device, or in a build without the
// CUDA backend, every CUDA row says SkipWithError("no CUDA device").
#pragma once
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <exception>
#include <string>
#include <vector>

#include "mdn/backend.hpp"
#include "mdn/matrix.hpp"
#include "mdn/spec.hpp"

#include "cuda_timers.hpp"

namespace mdn_bench {

enum class Device { Cpu, Cuda };

inline const char* device_name(Device device) { return device == Device::Cpu ? "cpu" : "cuda"; }

// D inputs, two tanh layers of H, K components over T targets; full: each
// component with a full covariance (head K(1 + 2T + T(T-1)/2) wide).
struct Shape {
  int D = 8, H = 64, K = 5, T = 1;
  bool full = false;

  mdn::ModelSpec spec() const {
    mdn::ModelSpec spec;
    spec.input_dim = D;
    spec.target_dim = T;
    spec.components = K;
    spec.hidden = {H, H};
    spec.covariance = full ? mdn::Covariance::Full : mdn::Covariance::Diagonal;
    return spec;
  }
  int head_width() const { return spec().head_width(); }
  // "D8_H64x2_K5_T1" for the network cases; "K5_T1" where only the mixture
  // matters; "_full" appended for full covariance ("K5_T2_full"), so a full
  // row sorts right after its diagonal twin.
  std::string name() const { return "D" + std::to_string(D) + "_H" + std::to_string(H) + "x2_" + mixture_name(); }
  std::string mixture_name() const {
    return "K" + std::to_string(K) + "_T" + std::to_string(T) + (full ? "_full" : "");
  }
};

// The reference shape of the targets: D = 8, hidden 2 x 64, K = 5, T = 1.
inline const Shape kReference{8, 64, 5, 1};

// The batch sweep every case runs at the reference shape: 2^10 .. 2^20 in steps of 4x.
inline const std::vector<std::int64_t> kBatchSweep{1 << 10, 1 << 12, 1 << 14, 1 << 16, 1 << 18, 1 << 20};

// Cheap deterministic values in [lo, hi) (splitmix64): benchmark inputs need
// plausible magnitudes quickly, not statistical quality.
inline void fill_uniform(float* out, std::size_t count, float lo, float hi, std::uint64_t seed) {
  std::uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
  for (std::size_t i = 0; i < count; ++i) {
    std::uint64_t v = (s += 0x9E3779B97F4A7C15ull);
    v = (v ^ (v >> 30)) * 0xBF58476D1CE4E5B9ull;
    v = (v ^ (v >> 27)) * 0x94D049BB133111EBull;
    v ^= v >> 31;
    out[i] = lo + (hi - lo) * float(v >> 40) * (1.0f / 16777216.0f);
  }
}

inline mdn::Matrix uniform_matrix(int rows, int cols, float lo, float hi, std::uint64_t seed) {
  mdn::Matrix m(rows, cols);
  fill_uniform(m.data.data(), m.size(), lo, hi, seed);
  return m;
}

// Standardised-looking training data: x uniform in [-2, 2)^D, each target a
// two-branch function of x plus noise (a multi-modal t | x, as an MDN sees).
struct Data {
  mdn::Matrix x, t;
};

inline Data make_data(std::int64_t rows, const Shape& shape, std::uint64_t seed) {
  Data d{uniform_matrix(int(rows), shape.D, -2.0f, 2.0f, seed),
         uniform_matrix(int(rows), shape.T, -0.1f, 0.1f, seed + 1)};
  for (int i = 0; i < d.t.rows; ++i)
    for (int j = 0; j < shape.T; ++j) {
      const float branch = 0.5f * d.x(i, j % shape.D) + 0.25f * d.x(i, (j + 1) % shape.D);
      d.t(i, j) += i % 2 == 0 ? branch : -branch;
    }
  return d;
}

// Seconds `work()` takes on the host (steady clock).
template <class Work>
double wall_seconds(Work&& work) {
  const auto start = std::chrono::steady_clock::now();
  work();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Feeds manual iteration times to Google Benchmark and keeps their sum, so a
// case can compute its own rate for the copy-bandwidth counters.
class ManualClock {
 public:
  explicit ManualClock(benchmark::State& state) : state_(state) {}
  void record(double seconds) {
    state_.SetIterationTime(seconds);
    total_ += seconds;
  }
  double total() const { return total_; }

 private:
  benchmark::State& state_;
  double total_ = 0.0;
};

// items_per_second and bytes_per_second (each when > 0), per iteration's work.
inline void set_rates(benchmark::State& state, double items_per_iteration, double bytes_per_iteration = 0.0) {
  const double iterations = double(state.iterations());
  if (items_per_iteration > 0.0) state.SetItemsProcessed(std::int64_t(items_per_iteration * iterations));
  if (bytes_per_iteration > 0.0) state.SetBytesProcessed(std::int64_t(bytes_per_iteration * iterations));
}

// True (and the row marked skipped) when there is no CUDA device to run on.
inline bool skip_without_cuda(benchmark::State& state) {
  if (mdn::cuda_available()) return false;
  state.SkipWithError("no CUDA device");
  return true;
}

// The device-to-device copy bandwidth for the same traffic as a kernel that
// moves `bytes` (read + write), measured now, in this run; adds the counters
// copy_bytes_per_second and fraction_of_copy = kernel rate / copy rate.
inline void add_copy_counters(benchmark::State& state, double kernel_bytes_per_second, double bytes) {
  constexpr int kCopies = 20;
  DeviceCopyTimer copy(std::size_t(bytes / 2.0) + 1);
  copy.time(2);  // warm-up
  const double copy_rate = copy.bytes_per_copy() * kCopies / copy.time(kCopies);
  state.counters["copy_bytes_per_second"] = copy_rate;
  state.counters["fraction_of_copy"] = kernel_bytes_per_second / copy_rate;
}

// One case on one device at one shape; the batch (rows) is state.range(0).
using CaseFn = void (*)(benchmark::State&, Device, const Shape&);

// Registers BM_<name>/cpu/<shape_name> and BM_<name>/cuda/<shape_name> over
// `batches`, with manual time. An exception from the case skips the row
// with its message.
inline void register_case(const std::string& name, const std::string& shape_name, CaseFn fn, const Shape& shape,
                          const std::vector<std::int64_t>& batches) {
  for (Device device : {Device::Cpu, Device::Cuda}) {
    const std::string full = "BM_" + name + "/" + device_name(device) + "/" + shape_name;
    auto* b = benchmark::RegisterBenchmark(full.c_str(), [fn, device, shape](benchmark::State& state) {
      try {
        fn(state, device, shape);
      } catch (const std::exception& e) {  // out of memory, a shape a kernel cannot take...
        state.SkipWithError(e.what());
      }
    });
    for (std::int64_t batch : batches) b->Arg(batch);
    b->UseManualTime()->Unit(benchmark::kMicrosecond);
  }
}

}  // namespace mdn_bench
