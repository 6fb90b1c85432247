// The network on the CPU backend and the CUDA backend, side by side:
//
//   BM_HeadLossGrad/<dev>/K<K>_T<T>/<rows>   the fused head alone: per-sample
//       loss and d(loss)/dz from head pre-activations z (rows x K(1+2T)) and
//       targets t already in memory. CPU: cpu::head_loss with the gradient
//       (OpenMP over rows); CUDA: the fused kernel (HeadKernelTimer), 20
//       back-to-back launches per iteration timed with CUDA events.
//       bytes_per_second = bytes it must move (z and t read, dz and the
//       losses written, once each) / time. CUDA adds copy_bytes_per_second (a
//       device-to-device copy of the same traffic, measured in the same run)
//       and fraction_of_copy.
//   BM_TrainStep/<dev>/D<D>_H<H>x2_K<K>_T<T>/<batch>   the training step
//       (gather, forward, head, backward, gradient clipping, Adam). CUDA:
//       replays of the captured step over max(8, 2^20 / batch) minibatches,
//       CUDA events around the replays only (the epoch's shuffle is not
//       timed). CPU: one train_epoch over max(1, 2^16 / batch) minibatches
//       (shuffle + gather + steps), wall clock. items = training samples.
//   BM_Forward/<dev>/D<D>_H<H>x2_K<K>_T<T>/<rows>   Backend::forward: host x
//       (rows x D) in, host z (rows x K(1+2T)) out, as `mdn predict` calls it.
//       On CUDA this includes the upload of x and the download of z
//       (pageable memory) in chunks; the backend has no device-only forward
//       hook yet, so the synchronous call is timed on the host.
//   BM_Copy/<dev>/bytes/<bytes>   memcpy (CPU, OpenMP halves) or
//       cudaMemcpyAsync device to device; bytes_per_second counts read +
//       write (2 x size), as the head's bytes do.
//
// Trimmed sweep (so the CPU run takes minutes on 2 cores): the head over
// every K in {1, 5, 20} x T in {1, 4} and the whole batch sweep; the training
// step and the forward pass over the batch sweep at the reference shape
// (D = 8, 2 x 64, K = 5, T = 1) and at corner shapes (D in {8, 64}, hidden in
// {50, 256}, K in {1, 20}, T = 4) at batches 4,096 and 65,536 only.
//
// Full covariance (issue 30): the head and the training step at K = 5 and
// T in {2, 3, 8}, each full shape (".._full": head K(1 + 2T + T(T-1)/2) wide;
// the CUDA head runs the full kernel) registered right after its diagonal
// twin, at 4,096 and 65,536 rows; BENCHMARKS.md, "Full covariance".
//
//   build/bench/mdn_bench --benchmark_filter='HeadLossGrad|TrainStep|Forward|Copy'
//   build/bench/mdn_bench --benchmark_filter='(HeadLossGrad|TrainStep)/cpu/(D8_H64x2_)?K5_T(2|3|8)'
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "bench_common.hpp"
#include "cpu/network.hpp"
#include "mdn/trainer.hpp"

namespace mdn_bench {
namespace {

// ---- head loss + gradient --------------------------------------------------------
void head_loss_grad(benchmark::State& state, Device device, const Shape& shape) {
  if (device == Device::Cuda && skip_without_cuda(state)) return;
  const int rows = int(state.range(0));
  const mdn::ModelSpec spec = shape.spec();
  // z and t read, dz and the per-sample losses written (as HeadKernelTimer::bytes_per_launch).
  const double bytes = 4.0 * (2.0 * rows * shape.head_width() + double(rows) * shape.T + rows);
  ManualClock clock(state);
  if (device == Device::Cpu) {
    mdn::cpu::NetworkWorkspace<float> ws;
    ws.z.resize(std::size_t(rows) * shape.head_width());
    fill_uniform(ws.z.data(), ws.z.size(), -2.0f, 2.0f, 1);
    const mdn::Matrix t = uniform_matrix(rows, shape.T, -3.0f, 3.0f, 2);
    mdn::cpu::head_loss(spec, t.data.data(), rows, ws, true);  // warm-up: allocates dz and the losses
    for (auto _ : state) clock.record(wall_seconds([&] { mdn::cpu::head_loss(spec, t.data.data(), rows, ws, true); }));
  } else {
    constexpr int kLaunches = 20;
    HeadKernelTimer head(spec, rows);
    head.time(2);  // warm-up
    for (auto _ : state) clock.record(head.time(kLaunches) / kLaunches);
    add_copy_counters(state, bytes * double(state.iterations()) / clock.total(), bytes);
  }
  set_rates(state, rows, bytes);
}

// ---- the training step -------------------------------------------------------------
void train_step(benchmark::State& state, Device device, const Shape& shape) {
  if (device == Device::Cuda && skip_without_cuda(state)) return;
  const int batch = int(state.range(0));
  const mdn::ModelSpec spec = shape.spec();
  const mdn::AdamConfig adam;  // what `mdn train` runs: lr 1e-3, clipping at norm 10
  ManualClock clock(state);
  int steps = 0;
  if (device == Device::Cpu) {
    steps = std::max(1, (1 << 16) / batch);
    auto backend = mdn::make_cpu_backend(spec);
    const Data warm = make_data(batch, shape, 2);
    backend->set_parameters(mdn::initial_parameters(spec, warm.t, 1));
    backend->set_training_data(warm.x, warm.t);
    mdn::EpochConfig config;
    config.batch_size = batch;
    config.adam = adam;
    backend->train_epoch(config);  // warm-up: one step allocates the workspace
    const Data data = make_data(std::int64_t(batch) * steps, shape, 1);
    backend->set_training_data(data.x, data.t);
    for (auto _ : state) {
      ++config.shuffle_seed;
      clock.record(wall_seconds([&] { benchmark::DoNotOptimize(backend->train_epoch(config)); }));
    }
    state.SetLabel(backend->name());
  } else {
    steps = std::max(8, (1 << 20) / batch);
    const Data data = make_data(std::int64_t(batch) * steps, shape, 1);
    TrainStepTimer timer(spec, mdn::initial_parameters(spec, data.t, 1), data.x, data.t);
    for (auto _ : state) clock.record(timer.time(batch, steps, adam));
    state.SetLabel(timer.name());
  }
  set_rates(state, double(batch) * steps);
  state.counters["steps_per_second"] = benchmark::Counter(double(steps), benchmark::Counter::kIsIterationInvariantRate);
}

// ---- the forward pass (Backend::forward, host in, host out) ---------------------------
void forward(benchmark::State& state, Device device, const Shape& shape) {
  if (device == Device::Cuda && skip_without_cuda(state)) return;
  const int rows = int(state.range(0));
  const mdn::ModelSpec spec = shape.spec();
  std::unique_ptr<mdn::Backend> backend =
      device == Device::Cpu ? mdn::make_cpu_backend(spec) : mdn::make_cuda_backend(spec);
  const Data data = make_data(rows, shape, 1);
  backend->set_parameters(mdn::initial_parameters(spec, data.t, 1));
  backend->forward(uniform_matrix(std::min(rows, 8192), shape.D, -2.0f, 2.0f, 3));  // warm-up
  ManualClock clock(state);
  for (auto _ : state) clock.record(wall_seconds([&] { benchmark::DoNotOptimize(backend->forward(data.x)); }));
  set_rates(state, rows);
  state.SetLabel(device == Device::Cpu ? backend->name() : backend->name() + ", with x upload + z download");
}

// ---- copy bandwidth ---------------------------------------------------------------
void copy(benchmark::State& state, Device device, const Shape&) {
  if (device == Device::Cuda && skip_without_cuda(state)) return;
  const std::size_t bytes = std::size_t(state.range(0));
  ManualClock clock(state);
  if (device == Device::Cpu) {
    std::vector<unsigned char> src(bytes, 1), dst(bytes, 0);
    const auto run = [&] {
#pragma omp parallel
      {
        const std::size_t part = (bytes + omp_get_num_threads() - 1) / omp_get_num_threads();
        const std::size_t begin = std::min(bytes, part * omp_get_thread_num());
        std::memcpy(dst.data() + begin, src.data() + begin, std::min(bytes, begin + part) - begin);
      }
    };
    run();  // warm-up
    for (auto _ : state) clock.record(wall_seconds(run));
  } else {
    constexpr int kCopies = 20;
    DeviceCopyTimer copy(bytes);
    copy.time(2);  // warm-up
    for (auto _ : state) clock.record(copy.time(kCopies) / kCopies);
  }
  set_rates(state, 0.0, 2.0 * double(bytes));
}

const bool registered = [] {
  const std::vector<std::int64_t> corner_batches{1 << 12, 1 << 16};
  // D in {8, 64}, hidden in {50, 256}, K in {1, 20}, T = 4 around the reference shape.
  const std::vector<Shape> corners{{8, 50, 5, 1}, {8, 256, 5, 1}, {64, 64, 5, 1},
                                   {8, 64, 1, 1}, {8, 64, 20, 4}, {64, 256, 20, 4}};
  for (int K : {1, 5, 20})
    for (int T : {1, 4}) {
      const Shape shape{8, 64, K, T};
      register_case("HeadLossGrad", shape.mixture_name(), head_loss_grad, shape, kBatchSweep);
    }
  register_case("TrainStep", kReference.name(), train_step, kReference, kBatchSweep);
  for (const Shape& shape : corners) register_case("TrainStep", shape.name(), train_step, shape, corner_batches);
  register_case("Forward", kReference.name(), forward, kReference, kBatchSweep);
  for (const Shape& shape : corners) register_case("Forward", shape.name(), forward, shape, corner_batches);
  // Full covariance beside the diagonal model (the targets: the CPU
  // step at T = 2 within 1.5x of diagonal, the head alone within 2x).
  for (int T : {2, 3, 8})
    for (bool full : {false, true}) {
      const Shape shape{8, 64, 5, T, full};
      register_case("HeadLossGrad", shape.mixture_name(), head_loss_grad, shape, corner_batches);
      register_case("TrainStep", shape.name(), train_step, shape, corner_batches);
    }
  register_case("Copy", "bytes", copy, kReference, {std::int64_t(1) << 24, std::int64_t(1) << 28});
  return true;
}();

}  // namespace
}  // namespace mdn_bench
