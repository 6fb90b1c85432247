// The training step on CUDA and on the CPU, side by side, and the fused MDN
// head kernel's achieved bandwidth against the device's copy bandwidth
// measured in the same run.
//
//   BM_TrainStepCuda/<batch>/<hidden>   D = 8, two tanh layers of <hidden>,
//       K = 5, T = 1, FP32 (TF32 off): replays of the captured training step
//       (gather, forward, fused head, backward, clipping, Adam), timed with
//       CUDA events around the replays only (UseManualTime).
//       items_per_second = training samples per second.
//   BM_TrainStepCpu/<batch>/<hidden>    the same step on the CPU backend
//       (OpenBLAS + OpenMP): one epoch of exactly one minibatch per
//       iteration, wall-clock time. items_per_second = samples per second.
//   BM_HeadKernelCuda/<rows>            the fused loss+gradient head kernel
//       alone (K = 5, T = 1); bytes_per_second = the bytes it must move
//       (z and t read, dz and the losses written) / time. Counters:
//       copy_bytes_per_second (a device-to-device copy of the same size, in
//       the same run) and fraction_of_copy = head / copy.
//   BM_DeviceCopyCuda/<bytes>           cudaMemcpyAsync device-to-device;
//       bytes_per_second counts read + write (2 x size), as the head does.
//
// Without a CUDA device (or in a build without CUDA) the CUDA cases report
// SkipWithError("no CUDA device") rather than vanish.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <exception>
#include <memory>
#include <random>
#include <string>

#include "mdn/backend.hpp"
#include "mdn/spec.hpp"
#include "mdn/trainer.hpp"

#if defined(MDN_WITH_CUDA)
#include "cuda/cuda_backend_internal.hpp"
#endif

namespace {

mdn::ModelSpec bench_spec(int hidden) {
  mdn::ModelSpec spec;
  spec.input_dim = 8;
  spec.target_dim = 1;
  spec.components = 5;
  spec.hidden = {hidden, hidden};
  return spec;
}

struct Data {
  mdn::Matrix x, t;
};

// Standardised-looking data: x ~ N(0, 1)^8, t a bimodal function of x.
Data make_data(int rows, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  Data d{mdn::Matrix(rows, 8), mdn::Matrix(rows, 1)};
  for (float& v : d.x.data) v = normal(rng);
  for (int i = 0; i < rows; ++i) {
    const float s = std::sin(d.x(i, 0)) + 0.5f * d.x(i, 1);
    d.t(i, 0) = (i % 2 == 0 ? s : -s) + 0.1f * normal(rng);
  }
  return d;
}

// Steps per timed replay sequence: about 2^20 samples (at least 8 steps).
int steps_for(int batch) { return std::max(8, (1 << 20) / batch); }

bool skip_without_cuda(benchmark::State& state) {
#if defined(MDN_WITH_CUDA)
  if (mdn::cuda_available()) return false;
#endif
  state.SkipWithError("no CUDA device");
  return true;
}

void BM_TrainStepCuda(benchmark::State& state) {
  if (skip_without_cuda(state)) return;
#if defined(MDN_WITH_CUDA)
  const int batch = int(state.range(0));
  const int hidden = int(state.range(1));
  const int steps = steps_for(batch);
  try {
    const mdn::ModelSpec spec = bench_spec(hidden);
    auto backend = mdn::cuda::make_internal_backend(spec, mdn::CudaOptions{});
    const Data data = make_data(batch * steps, 1);
    backend->set_parameters(mdn::initial_parameters(spec, data.t, 1));
    backend->set_training_data(data.x, data.t);
    const mdn::AdamConfig adam;
    for (auto _ : state) state.SetIterationTime(backend->time_train_steps(batch, steps, adam));
    state.SetItemsProcessed(state.iterations() * std::int64_t(batch) * steps);
    state.counters["steps_per_second"] =
        benchmark::Counter(double(steps), benchmark::Counter::kIsIterationInvariantRate);
    state.SetLabel(backend->name());
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
#endif
}
BENCHMARK(BM_TrainStepCuda)
    ->ArgNames({"batch", "hidden"})
    ->Args({4096, 64})
    ->Args({65536, 64})
    ->Args({4096, 256})
    ->Args({65536, 256})
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

void BM_TrainStepCpu(benchmark::State& state) {
  const int batch = int(state.range(0));
  const int hidden = int(state.range(1));
  try {
    const mdn::ModelSpec spec = bench_spec(hidden);
    auto backend = mdn::make_cpu_backend(spec);
    const Data data = make_data(batch, 1);
    backend->set_parameters(mdn::initial_parameters(spec, data.t, 1));
    backend->set_training_data(data.x, data.t);
    mdn::EpochConfig config;
    config.batch_size = batch;
    for (auto _ : state) {
      ++config.shuffle_seed;
      benchmark::DoNotOptimize(backend->train_epoch(config));
    }
    state.SetItemsProcessed(state.iterations() * std::int64_t(batch));
    state.SetLabel(backend->name());
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
}
BENCHMARK(BM_TrainStepCpu)
    ->ArgNames({"batch", "hidden"})
    ->Args({4096, 64})
    ->Args({65536, 64})
    ->Args({4096, 256})
    ->Args({65536, 256})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

void BM_HeadKernelCuda(benchmark::State& state) {
  if (skip_without_cuda(state)) return;
#if defined(MDN_WITH_CUDA)
  const int rows = int(state.range(0));
  constexpr int kLaunches = 20;
  try {
    mdn::cuda::HeadKernelTimer head(bench_spec(64), rows);
    const double bytes = head.bytes_per_launch();
    head.time(2);  // warm-up
    for (auto _ : state) state.SetIterationTime(head.time(kLaunches) / kLaunches);
    state.SetBytesProcessed(std::int64_t(double(state.iterations()) * bytes));
    state.SetItemsProcessed(state.iterations() * std::int64_t(rows));

    // The copy bandwidth for the same traffic (read + write = bytes), now.
    mdn::cuda::DeviceCopyTimer copy(std::size_t(bytes / 2.0));
    copy.time(2);
    const double head_rate = bytes * kLaunches / head.time(kLaunches);
    const double copy_rate = copy.bytes_per_copy() * kLaunches / copy.time(kLaunches);
    state.counters["copy_bytes_per_second"] = copy_rate;
    state.counters["fraction_of_copy"] = head_rate / copy_rate;
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
#endif
}
BENCHMARK(BM_HeadKernelCuda)
    ->ArgName("rows")
    ->Arg(65536)
    ->Arg(1 << 20)
    ->Arg(1 << 22)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

void BM_DeviceCopyCuda(benchmark::State& state) {
  if (skip_without_cuda(state)) return;
#if defined(MDN_WITH_CUDA)
  constexpr int kCopies = 20;
  try {
    mdn::cuda::DeviceCopyTimer copy(std::size_t(state.range(0)));
    copy.time(2);  // warm-up
    for (auto _ : state) state.SetIterationTime(copy.time(kCopies) / kCopies);
    state.SetBytesProcessed(std::int64_t(double(state.iterations()) * copy.bytes_per_copy()));
  } catch (const std::exception& e) {
    state.SkipWithError(e.what());
  }
#endif
}
BENCHMARK(BM_DeviceCopyCuda)
    ->ArgName("bytes")
    ->Arg(std::int64_t(1) << 24)
    ->Arg(std::int64_t(1) << 28)
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

}  // namespace
