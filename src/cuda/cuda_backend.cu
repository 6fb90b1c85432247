// The CUDA backend: cuBLAS GEMMs for every layer, the fused kernels of
// kernels/ around them, the data set resident on the device, a device-side
// shuffle, and one captured CUDA graph per minibatch size replayed for every
// step of an epoch.
//
// Device memory (all DeviceBuffers, owned here):
//   params_, dL_dparams_, adam_m_, adam_v_   P floats each (ParameterLayout order)
//   state_ (StepState), hyper_ (AdamConfig)   the step's bookkeeping
//   minibatch workspace for capacity_ rows (n <= capacity_):
//     x_ (n x D), t_ (n x T), hidden_[l] (n x H_l, tanh outputs),
//     z_ (n x W head pre-activations), dL_dz_ (n x W), losses_ (n),
//     dL_dy_a_, dL_dy_b_ (n x max H_l, backprop ping-pong),
//     bias_partials_ (bias_grad_partials_count), loss_/sq_partials_ (256)
//   training set: train_x_ (R x D), train_t_ (R x T), iota_/order_ (R),
//     keys_/sorted_keys_ (R uint64), sort_temp_ (CUB scratch)
// All activations are row-major with one sample per row; see dense_gemm.cuh
// for how the GEMMs map them onto column-major cuBLAS.
//
// The training step (enqueue_step, captured once per batch size n):
//   gather rows order[offset .. offset+n) -> x_, t_
//   forward: per hidden layer GEMM + bias/tanh; head GEMM + bias
//   head kernel: losses_ and dL_dz_ (grad_scale = 1/n)
//   backward: per layer dW GEMM, bias grad, dX GEMM, tanh backward
//   partial sums of losses_ and grad^2; finish_step; Adam update
// The graph bakes in buffer pointers and n; the minibatch offset, the Adam
// step count, the clip scale and the hyper-parameters are read from device
// memory, so the same graph serves every minibatch and every epoch. Graphs
// are dropped whenever a buffer they point to is reallocated. Before each
// capture the step runs once un-captured on a scratch state that skips the
// update, so lazy initialisation never happens inside a capture.
//
// Epochs: rows / batch full minibatches, then (when rows % batch != 0) one
// last minibatch of the remaining rows through a second graph, so every row
// is seen once per epoch, as on the CPU. The epoch's statistics are read
// back once, at the end.
#include <dlfcn.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "adam.cuh"
#include "bias_grad.cuh"
#include "bias_tanh.cuh"
#include "cuda/capture_lock.hpp"
#include "cuda/cuda_backend.hpp"
#include "cuda/cuda_backend_internal.hpp"
#include "cuda/cuda_predictive.hpp"
#include "cuda/cuda_sampling.hpp"
#include "cuda_check.cuh"
#include "cuda/dense_gemm.cuh"
#include "cuda/device_buffer.cuh"
#include "cuda/handles.cuh"
#include "cuda/nccl_library.hpp"
#include "gather.cuh"
#include "mdn/error.hpp"
#include "mdn_head.cuh"
#include "reduce.cuh"
#include "shuffle.cuh"
#include "step_state.cuh"

namespace mdn::cuda {
namespace {

constexpr int kEvalChunk = 8192;                          // rows per forward/mean_nll chunk (at least)
constexpr std::size_t kCublasWorkspaceBytes = 32u << 20;  // cuBLAS's own default on Hopper
constexpr std::size_t kMaxCachedGraphs = 8;
// Out of memory while placing the training set on the device (inputs,
// targets and the shuffle's per-row buffers stay there whole for training).
constexpr const char kTrainingSetAdvice[] =
    "the training set does not fit in GPU memory (it is kept on the device whole while training; a smaller "
    "batch size does not help): train on the CPU, or on fewer rows";

const ModelSpec& validated(const ModelSpec& spec) {
  spec.validate();
  return spec;
}

std::string describe_device(int device, bool tf32) {
  cudaDeviceProp prop{};
  MDN_CUDA_CHECK(cudaGetDeviceProperties(&prop, device));
  return std::string("cuda (") + prop.name + ", " + (tf32 ? "TF32 tensor-core GEMMs" : "FP32") + ")";
}

// The head kernels' shape; full covariance selects the full kernels
// (detail/full_cov_math.hpp) and their wider rows (spec.head_width()).
HeadShape head_shape(const ModelSpec& spec) {
  return HeadShape{spec.components, spec.target_dim, spec.log_sigma_min, spec.log_sigma_max,
                   spec.covariance == Covariance::Full};
}

bool same_hyper(const AdamConfig& a, const AdamConfig& b) {
  return a.lr == b.lr && a.beta1 == b.beta1 && a.beta2 == b.beta2 && a.eps == b.eps && a.clip_norm == b.clip_norm;
}

class CudaBackendImpl final : public BackendWithTestHooks {
 public:
  CudaBackendImpl(const ModelSpec& spec, const CudaOptions& options)
      : spec_(validated(spec)),
        layout_(spec_),
        options_(options),
        device_(select_device(options.device)),
        name_(describe_device(device_, options.tf32)),
        cublas_workspace_(kCublasWorkspaceBytes, "the cuBLAS workspace"),
        cublas_(stream_.get(), cublas_workspace_.data(), kCublasWorkspaceBytes,
                options.tf32 ? MathMode::Tf32 : MathMode::Fp32),
        curand_(stream_.get()),
        params_(layout_.total, "the parameters"),
        dL_dparams_(layout_.total, "the gradient"),
        adam_m_(layout_.total, "Adam's first moments"),
        adam_v_(layout_.total, "Adam's second moments"),
        state_(1, "the training step state"),
        warm_up_state_(1, "the warm-up step state"),
        hyper_(1, "Adam's settings"),
        loss_partials_(kMaxPartialSums, "loss partial sums"),
        sq_partials_(kMaxPartialSums, "gradient-norm partial sums") {
    for (int w : spec_.hidden) max_hidden_ = std::max(max_hidden_, w);
    for (const LayerSlice& layer : layout_.layers) max_out_ = std::max(max_out_, layer.out);
    const std::size_t bytes = layout_.total * sizeof(float);
    MDN_CUDA_CHECK(cudaMemsetAsync(params_.data(), 0, bytes, stream()));
    MDN_CUDA_CHECK(cudaMemsetAsync(dL_dparams_.data(), 0, bytes, stream()));
    MDN_CUDA_CHECK(cudaMemsetAsync(adam_m_.data(), 0, bytes, stream()));
    MDN_CUDA_CHECK(cudaMemsetAsync(adam_v_.data(), 0, bytes, stream()));
    const StepState fresh{};
    state_.upload(&fresh, 1, stream());
    hyper_host_ = AdamConfig{};
    hyper_.upload(&hyper_host_, 1, stream());
    stream_.synchronize();
  }

  ~CudaBackendImpl() override {
    // Let queued work finish before the buffers it uses are freed. Errors are
    // ignored: a destructor must not throw.
    (void)cudaSetDevice(device_);
    (void)cudaStreamSynchronize(stream_.get());
  }

  std::string name() const override { return name_; }
  const ModelSpec& spec() const override { return spec_; }

  // Ensemble members side by side, each on a backend of its own (its own
  // stream, cuBLAS and cuRAND handles), so small members' launch-bound steps
  // overlap on the GPU. Their captures, allocations and frees are kept apart
  // by the capture lock (capture_lock.hpp). NOT RUN YET (no GPU was lent
  // when this was written): the count of 4 is a guess, not a measurement.
  int member_concurrency(int batch_size, int members) const override {
    (void)batch_size;
    return std::clamp(members, 1, 4);
  }
  std::unique_ptr<Backend> concurrent_member_backend(int concurrency) const override {
    (void)concurrency;
    auto member = std::make_unique<CudaBackendImpl>(spec_, options_);
    member->set_target_cells(target_cells_);
    return member;
  }

  // Gridded targets: the half cells on the device, which every head launch
  // reads (head()). The captured steps bake in the head kernel, so they are
  // captured afresh. NOT RUN YET (no GPU was lent when this was written); the
  // math is the CPU's (detail/cell_math.hpp), tests/gpu/cell_loss_gpu_test.cpp
  // compares the two.
  bool set_target_cells(const std::vector<double>& half_widths) override {
    if (!half_widths.empty() && (spec_.covariance == Covariance::Full || int(half_widths.size()) != spec_.target_dim))
      return false;
    activate();
    stream_.synchronize();  // queued steps may still read the old cells
    graphs_.clear();
    target_cells_ = half_widths;
    if (!half_widths.empty()) {
      cells_.reallocate(half_widths.size(), "the grid cells");
      cells_.upload(half_widths.data(), half_widths.size(), stream());
      stream_.synchronize();
    }
    return true;
  }
  // The head kernels' shape, with the cells when there are any.
  HeadShape head() const {
    HeadShape shape = head_shape(spec_);
    shape.cell_half_width = target_cells_.empty() ? nullptr : cells_.data();
    return shape;
  }

  void set_parameters(const std::vector<float>& params) override {
    if (params.size() != layout_.total)
      throw Error("parameter buffer has " + std::to_string(params.size()) + " floats; the model needs " +
                  std::to_string(layout_.total));
    activate();
    params_.upload(params.data(), params.size(), stream());
    stream_.synchronize();
  }

  std::vector<float> parameters() const override {
    activate();
    std::vector<float> params(layout_.total);
    params_.download(params.data(), params.size(), stream());
    stream_.synchronize();
    return params;
  }

  void set_optimizer_state(const OptimizerState& state) override {
    if (state.m.size() != layout_.total || state.v.size() != layout_.total)
      throw Error("optimizer state does not match the model's parameter count");
    activate();
    adam_m_.upload(state.m.data(), layout_.total, stream());
    adam_v_.upload(state.v.data(), layout_.total, stream());
    StepState device_state = read_state();
    device_state.step = state.step;
    state_.upload(&device_state, 1, stream());
    stream_.synchronize();
  }

  OptimizerState optimizer_state() const override {
    activate();
    OptimizerState state;
    state.m.resize(layout_.total);
    state.v.resize(layout_.total);
    adam_m_.download(state.m.data(), layout_.total, stream());
    adam_v_.download(state.v.data(), layout_.total, stream());
    state.step = read_state().step;  // synchronises the stream
    return state;
  }

  Matrix forward(const Matrix& x) override {
    check_x(x);
    Matrix z(x.rows, spec_.head_width());
    if (x.rows == 0) return z;
    activate();
    const int chunk = eval_chunk(x.rows);
    for (int begin = 0; begin < x.rows; begin += chunk) {
      const int n = std::min(chunk, x.rows - begin);
      x_.upload(x.row(begin), std::size_t(n) * spec_.input_dim, stream());
      enqueue_forward(n);
      z_.download(z.row(begin), std::size_t(n) * z.cols, stream());
    }
    stream_.synchronize();
    return z;
  }

  double loss_and_gradient(const Matrix& x, const Matrix& t, std::vector<float>& grad) override {
    return loss_and_gradient(x, t, nullptr, grad);
  }

  double weighted_loss_and_gradient(const Matrix& x, const Matrix& t, const std::vector<float>& weights,
                                    std::vector<float>& grad) override {
    if (weights.size() != std::size_t(x.rows)) throw Error("weighted_loss_and_gradient: one weight per row is needed");
    return loss_and_gradient(x, t, weights.data(), grad);
  }

  // The batch mean (weights null) or (1/n) sum_i w_i nll_i.
  double loss_and_gradient(const Matrix& x, const Matrix& t, const float* weights, std::vector<float>& grad) {
    check_xt(x, t);
    if (x.rows == 0) throw Error("loss_and_gradient: the batch is empty");
    activate();
    const int n = x.rows;
    ensure_capacity(n);
    x_.upload(x.data.data(), x.size(), stream());
    t_.upload(t.data.data(), t.size(), stream());
    enqueue_forward(n);
    const float* w = nullptr;
    if (weights != nullptr) {
      w_.upload(weights, std::size_t(n), stream());
      w = w_.data();
    }
    launch_mixture_loss_and_grad(z_.data(), t_.data(), w, n, head(), 1.0f / float(n), losses_.data(), dL_dz_.data(),
                                 stream());
    enqueue_backward(n);
    launch_partial_sums(losses_.data(), std::size_t(n), SumOf::Value, loss_partials_.data(), stream());
    grad.resize(layout_.total);
    dL_dparams_.download(grad.data(), layout_.total, stream());
    const double sum = download_partials(loss_partials_, partial_sum_count(std::size_t(n)));
    return sum / double(n);
  }

  double mean_nll(const Matrix& x, const Matrix& t) override {
    check_xt(x, t);
    if (x.rows == 0) return std::numeric_limits<double>::quiet_NaN();  // as the CPU's 0 / 0
    activate();
    const int chunk = eval_chunk(x.rows);
    double sum = 0.0;
    for (int begin = 0; begin < x.rows; begin += chunk) {
      const int n = std::min(chunk, x.rows - begin);
      x_.upload(x.row(begin), std::size_t(n) * spec_.input_dim, stream());
      t_.upload(t.row(begin), std::size_t(n) * spec_.target_dim, stream());
      enqueue_forward(n);
      launch_mixture_loss(z_.data(), t_.data(), n, head(), losses_.data(), stream());
      launch_partial_sums(losses_.data(), std::size_t(n), SumOf::Value, loss_partials_.data(), stream());
      sum += download_partials(loss_partials_, partial_sum_count(std::size_t(n)));
    }
    return sum / double(x.rows);
  }

  double adam_step(const std::vector<float>& grad, const AdamConfig& adam) override {
    if (grad.size() != layout_.total) throw Error("gradient size does not match the model");
    activate();
    dL_dparams_.upload(grad.data(), grad.size(), stream());
    return adam_step_on_device_gradient(adam);
  }

  // ---- data-parallel over GPU ranks: NCCL (docs/DISTRIBUTED.md) -------------
  std::string new_collective_id() override {
    if (!NcclGroup::available()) return {};  // the ranks sum on the host (MPI)
    activate();
    return NcclGroup::new_id();
  }

  bool join_collective(const std::string& id, int rank, int ranks) override {
    activate();
    nccl_ = std::make_unique<NcclGroup>(id, rank, ranks);
    return true;
  }

  // The gradient stays on the device: this rank's rows' share of the batch
  // mean (head gradient scaled by 1 / batch_rows), summed in place by
  // ncclAllReduce, then the Adam step of adam_step. The loss (one float)
  // is summed on the host.
  double data_parallel_step(const Matrix& x, const Matrix& t, const std::vector<float>& weights, int batch_rows,
                            const AdamConfig& adam, const HostSum& host_sum, double& grad_norm) override {
    if (!nccl_) return Backend::data_parallel_step(x, t, weights, batch_rows, adam, host_sum, grad_norm);
    if (!weights.empty() && weights.size() != std::size_t(x.rows))
      throw Error("data_parallel_step: one weight per row is needed");
    if (x.rows > 0) check_xt(x, t);
    activate();
    const int n = x.rows;
    double loss_sum = 0.0;
    if (n > 0) {
      ensure_capacity(n);
      x_.upload(x.data.data(), x.size(), stream());
      t_.upload(t.data.data(), t.size(), stream());
      enqueue_forward(n);
      const float* w = nullptr;
      if (!weights.empty()) {
        w_.upload(weights.data(), weights.size(), stream());
        w = w_.data();
      }
      launch_mixture_loss_and_grad(z_.data(), t_.data(), w, n, head(), 1.0f / float(batch_rows), losses_.data(),
                                   dL_dz_.data(), stream());
      enqueue_backward(n);
      launch_partial_sums(losses_.data(), std::size_t(n), SumOf::Value, loss_partials_.data(), stream());
      loss_sum = download_partials(loss_partials_, partial_sum_count(std::size_t(n)));
    } else {
      MDN_CUDA_CHECK(cudaMemsetAsync(dL_dparams_.data(), 0, layout_.total * sizeof(float), stream()));
    }
    nccl_->sum(dL_dparams_.data(), layout_.total, stream());
    float loss = float(loss_sum / double(batch_rows));
    host_sum(&loss, 1);  // the same value on every rank: they all skip or all step
    if (!std::isfinite(loss)) {
      grad_norm = loss;
      return loss;
    }
    grad_norm = adam_step_on_device_gradient(adam);
    return loss;
  }

  void set_training_data(const Matrix& x, const Matrix& t) override {
    check_xt(x, t);
    if (x.rows == 0) throw Error("the training set is empty");
    activate();
    const int rows = x.rows;
    if (rows != train_rows_) {
      stream_.synchronize();  // queued work may still read the old buffers
      graphs_.clear();        // graphs point at them
      train_rows_ = 0;        // until every buffer below exists
      const std::size_t r = std::size_t(rows);
      // These hold the whole training set: a smaller batch cannot help.
      const char* advice = kTrainingSetAdvice;
      train_x_.reallocate(r * spec_.input_dim, "the training inputs", advice);
      train_t_.reallocate(r * spec_.target_dim, "the training targets", advice);
      iota_.reallocate(r, "the row indices", advice);
      order_.reallocate(r, "the epoch's row order", advice);
      keys_.reallocate(r, "the shuffle keys", advice);
      sorted_keys_.reallocate(r, "the sorted shuffle keys", advice);
      // Never 0 bytes: CUB reads a null scratch pointer as a size query.
      sort_temp_.reallocate(std::max<std::size_t>(shuffle_temp_bytes(rows), 16), "the shuffle's scratch", advice);
      launch_iota(iota_.data(), rows, stream());
      train_rows_ = rows;
    }
    epoch_ran_ = false;
    drop_training_weights();
    train_x_.upload(x.data.data(), x.size(), stream());
    train_t_.upload(t.data.data(), t.size(), stream());
    // The identity order until the first epoch shuffles (train_step uses it).
    copy_device_to_device(order_.data(), iota_.data(), std::size_t(rows) * sizeof(int), stream());
    stream_.synchronize();
  }

  // The weights live in train_w_ beside the rows; the captured step gathers
  // them with the minibatch (a graph with weights differs from one without,
  // so the graphs are recaptured when they come or go).
  void set_training_weights(const std::vector<float>& weights) override {
    if (weights.empty()) {
      drop_training_weights();
      return;
    }
    if (weights.size() != std::size_t(train_rows_))
      throw Error("set_training_weights: " + std::to_string(weights.size()) + " weights for " +
                  std::to_string(train_rows_) + " training rows");
    activate();
    if (!has_weights_) {
      stream_.synchronize();
      graphs_.clear();
      train_w_.reallocate(weights.size(), "the training rows' weights", kTrainingSetAdvice);
      has_weights_ = true;
    }
    train_w_.upload(weights.data(), weights.size(), stream());
    stream_.synchronize();
  }

  EpochStats train_epoch(const EpochConfig& config) override {
    if (train_rows_ == 0) throw Error("train_epoch: no training data was set");
    if (config.batch_size < 1) throw UsageError("EpochConfig::batch_size must be at least 1");
    activate();
    const int batch = std::min(config.batch_size, train_rows_);
    ensure_capacity(batch);
    set_hyper(config.adam);
    shuffle(config.shuffle_seed);
    launch_reset_epoch(state_.data(), stream());
    const int full_batches = train_rows_ / batch;
    const int last_batch = train_rows_ % batch;
    {
      const CudaGraph& step = graph_for(batch);
      for (int b = 0; b < full_batches; ++b) step.launch(stream());
    }
    if (last_batch > 0) graph_for(last_batch).launch(stream());
    epoch_ran_ = true;
    const StepState state = read_state();
    EpochStats stats;
    stats.samples = state.samples;
    stats.finite = state.failed == 0;
    stats.mean_loss = state.batches > 0 ? state.loss_sum / double(state.batches) : 0.0;
    return stats;
  }

  // Statistics and sampling run on this backend's device, with their own
  // streams and buffers (created on first use).
  PredictiveStatistics statistics(const MixtureBatch& mix, const std::vector<double>& levels) override {
    // A recalibrated mixture (PIT maps) or a transformed one (target
    // transforms) has no kernel: its moments and
    // quantiles run on the host (docs/PREDICT.md). A full-covariance batch
    // runs on the device: these statistics are per target, and its sigma
    // holds each target's marginal standard deviation (mdn/mixture.hpp).
    if (!mix.pit_maps.empty() || mix.transformed()) return Backend::statistics(mix, levels);
    if (!predictive_) predictive_ = std::make_unique<CudaPredictive>(device_);
    return predictive_->compute(mix, levels);
  }

  void sample(const Matrix& z, const Standardizer& stats, int samples, const SampleOptions& options,
              std::int64_t first_row, double* out, int* components) override {
    // Full covariance too: the kernel draws mu_k + A_k n with the CPU
    // sampler's words (kernels/sample_tile.hpp, docs/CUDA.md).
    if (!sampler_) sampler_ = std::make_unique<CudaSampler>(spec_, device_);
    sampler_->sample(z, stats, samples, options, first_row, out, components);
  }

  double train_step(const Matrix& x, const Matrix& t, const AdamConfig& adam, StepMode mode) override {
    set_training_data(x, t);  // identity order; checks shapes and rows > 0
    activate();
    const int n = x.rows;
    ensure_capacity(n);
    set_hyper(adam);
    launch_reset_epoch(state_.data(), stream());
    if (mode == StepMode::Graph)
      graph_for(n).launch(stream());
    else
      enqueue_step(n, state_.data());
    return read_state().batch_loss;
  }

  // TEST HOOK (Backend::last_epoch_order): the row order the last epoch's
  // gather read, as it is on the device.
  std::vector<int> last_epoch_order() const override {
    if (!epoch_ran_) return {};
    activate();
    std::vector<int> order(static_cast<std::size_t>(train_rows_));
    order_.download(order.data(), order.size(), stream());
    stream_.synchronize();
    return order;
  }

  double time_train_steps(int batch, int steps, const AdamConfig& adam) override {
    if (batch < 1 || steps < 1) throw Error("time_train_steps: batch and steps must be positive");
    if (std::int64_t(batch) * steps > train_rows_)
      throw Error("time_train_steps: the training data has " + std::to_string(train_rows_) + " rows; " +
                  std::to_string(steps) + " steps of " + std::to_string(batch) + " need more");
    activate();
    ensure_capacity(batch);
    set_hyper(adam);
    shuffle(0);
    const CudaGraph& step = graph_for(batch);
    launch_reset_epoch(state_.data(), stream());
    step.launch(stream());  // warm-up: first-launch costs stay out of the timing
    launch_reset_epoch(state_.data(), stream());
    Event start, stop;
    start.record(stream());
    for (int s = 0; s < steps; ++s) step.launch(stream());
    stop.record(stream());
    stop.synchronize();
    return double(stop.elapsed_ms_since(start)) * 1e-3;
  }

 private:
  // Back to unweighted training (set_training_data, or empty weights).
  void drop_training_weights() {
    if (!has_weights_) return;
    stream_.synchronize();
    graphs_.clear();  // the captured steps gather the weights
    has_weights_ = false;
  }

  cudaStream_t stream() const { return stream_.get(); }
  void activate() const { MDN_CUDA_CHECK(cudaSetDevice(device_)); }

  void check_x(const Matrix& x) const { check_batch(spec_, x); }
  void check_xt(const Matrix& x, const Matrix& t) const { check_batch(spec_, x, t); }

  // Clipping and Adam with the gradient already in dL_dparams_; returns the
  // norm before clipping (synchronises the stream).
  double adam_step_on_device_gradient(const AdamConfig& adam) {
    set_hyper(adam);
    launch_reset_epoch(state_.data(), stream());
    launch_partial_sums(dL_dparams_.data(), layout_.total, SumOf::Square, sq_partials_.data(), stream());
    launch_finish_step(nullptr, 0, 0, sq_partials_.data(), partial_sum_count(layout_.total), hyper_.data(),
                       state_.data(), stream());
    launch_adam_update(params_.data(), adam_m_.data(), adam_v_.data(), dL_dparams_.data(), layout_.total, hyper_.data(),
                       state_.data(), stream());
    return read_state().grad_norm;
  }

  StepState read_state() const {
    StepState state;
    state_.download(&state, 1, stream());
    stream_.synchronize();
    return state;
  }

  // Copies the first `count` partial sums to the host and adds them in index
  // order (the same order finish_step uses on the device). Synchronises.
  double download_partials(const DeviceBuffer<double>& partials, int count) const {
    double host[kMaxPartialSums];
    partials.download(host, std::size_t(count), stream());
    stream_.synchronize();
    double sum = 0.0;
    for (int i = 0; i < count; ++i) sum += host[i];
    return sum;
  }

  void set_hyper(const AdamConfig& adam) {
    const AdamConfig wanted = adam;
    if (same_hyper(wanted, hyper_host_)) return;
    // hyper_host_ is a member, so the host bytes outlive the asynchronous copy.
    hyper_host_ = wanted;
    hyper_.upload(&hyper_host_, 1, stream());
  }

  // Rows per chunk of forward/mean_nll: the workspace already there, or up to
  // kEvalChunk rows (growing the workspace to that once).
  int eval_chunk(int rows) {
    const int chunk = std::max(capacity_, std::min(rows, kEvalChunk));
    ensure_capacity(std::min(rows, chunk));
    return chunk;
  }

  // Grows the minibatch workspace to n rows (never shrinks it).
  void ensure_capacity(int n) {
    if (n <= capacity_) return;
    stream_.synchronize();  // queued work may still use the old buffers
    graphs_.clear();        // graphs point at them
    capacity_ = 0;          // until every buffer below exists
    const std::size_t rows = std::size_t(n);
    const std::size_t width = std::size_t(spec_.head_width());
    x_.reallocate(rows * spec_.input_dim, "a minibatch of inputs");
    t_.reallocate(rows * spec_.target_dim, "a minibatch of targets");
    hidden_.resize(spec_.hidden.size());
    for (std::size_t l = 0; l < hidden_.size(); ++l)
      hidden_[l].reallocate(rows * std::size_t(spec_.hidden[l]), "hidden-layer activations");
    z_.reallocate(rows * width, "the head pre-activations");
    dL_dz_.reallocate(rows * width, "the head gradient");
    losses_.reallocate(rows, "per-sample losses");
    w_.reallocate(rows, "a minibatch of sample weights");
    dL_dy_a_.reallocate(rows * std::size_t(max_hidden_), "backpropagation scratch");
    dL_dy_b_.reallocate(rows * std::size_t(max_hidden_), "backpropagation scratch");
    bias_partials_.reallocate(bias_grad_partials_count(n, max_out_), "bias-gradient partial sums");
    capacity_ = n;
  }

  // The epoch's order: sort the row indices by 64-bit Philox keys of `seed`.
  void shuffle(std::uint64_t seed) {
    epoch_ran_ = false;  // train_epoch sets it once its minibatches are queued
    curand_.generate_bits(seed, reinterpret_cast<unsigned int*>(keys_.data()), 2 * std::size_t(train_rows_));
    launch_sort_rows_by_keys(keys_.data(), sorted_keys_.data(), iota_.data(), order_.data(), train_rows_,
                             sort_temp_.data(), sort_temp_.size(), stream());
  }

  // The captured step for minibatches of n rows (captured on first use).
  const CudaGraph& graph_for(int n) {
    const auto found = graphs_.find(n);
    if (found != graphs_.end()) return found->second;
    if (graphs_.size() >= kMaxCachedGraphs) {
      stream_.synchronize();
      graphs_.clear();
    }
    // Run the step once, un-captured, before capturing it: any lazy
    // initialisation (module loading, cuBLAS's first use of a shape) then
    // happens outside the capture, and an error surfaces as itself rather
    // than as an invalidated capture. The warm-up uses a scratch state that
    // is marked failed, so finish_step skips the update: the parameters, the
    // Adam moments and the real state are left untouched.
    // The host source is a member: cudaMemcpyAsync may read it after this
    // function returns (nothing here synchronises the stream).
    // The warm-up and the capture hold the capture lock (capture_lock.hpp):
    // ensemble members capture in threads of their own, and nothing that
    // could synchronise the device (another member growing its workspace for
    // validation, creating or destroying its handles) may run meanwhile. The
    // warm-up is inside it too, so that the kernels it may load lazily
    // (CUDA_MODULE_LOADING=LAZY is the default) are loaded while no other
    // member captures.
    const CaptureExclusion no_concurrent_sync;
    warm_up_host_ = StepState{};
    warm_up_host_.failed = 1;
    warm_up_state_.upload(&warm_up_host_, 1, stream());
    enqueue_step(n, warm_up_state_.data());
    CudaGraph graph = CudaGraph::capture(stream(), [this, n] { enqueue_step(n, state_.data()); });
    return graphs_.emplace(n, std::move(graph)).first->second;
  }

  // z_ (n x W) = the head pre-activations of x_ (n x D); hidden_[l] keeps the
  // tanh outputs for the backward pass. Requires n <= capacity_.
  void enqueue_forward(int n) {
    const float* params = params_.data();
    const float* input = x_.data();
    const int hidden_layers = int(spec_.hidden.size());
    for (int l = 0; l < hidden_layers; ++l) {
      const LayerSlice& layer = layout_.layers[std::size_t(l)];
      float* h = hidden_[std::size_t(l)].data();
      dense_forward(cublas_, input, params + layer.weight_offset, n, layer.in, layer.out, h);
      launch_bias_activation(h, params + layer.bias_offset, n, layer.out, Activation::Tanh, stream());
      input = h;
    }
    const LayerSlice& head = layout_.head();
    dense_forward(cublas_, input, params + head.weight_offset, n, head.in, head.out, z_.data());
    launch_bias_activation(z_.data(), params + head.bias_offset, n, head.out, Activation::Identity, stream());
  }

  // dL_dparams_ (=) d(mean loss)/d(params) from dL_dz_ (already scaled by 1/n) and
  // the activations of the last enqueue_forward(n). Mirrors the CPU backend.
  void enqueue_backward(int n) {
    const float* params = params_.data();
    float* grad = dL_dparams_.data();
    const float* dL_dy = dL_dz_.data();  // dL/d(pre-activation) of layer l
    for (int l = int(spec_.hidden.size()); l >= 0; --l) {
      const LayerSlice& layer = layout_.layers[std::size_t(l)];
      const float* input = l == 0 ? x_.data() : hidden_[std::size_t(l - 1)].data();
      dense_weight_grad(cublas_, dL_dy, input, n, layer.in, layer.out, grad + layer.weight_offset);
      launch_bias_grad(dL_dy, n, layer.out, bias_partials_.data(), grad + layer.bias_offset, stream());
      if (l == 0) break;
      // dL/dh_{l-1} = dL_dy W_l (n x in), then through tanh: * (1 - h^2).
      float* next = dL_dy == dL_dy_a_.data() ? dL_dy_b_.data() : dL_dy_a_.data();
      dense_input_grad(cublas_, dL_dy, params + layer.weight_offset, n, layer.in, layer.out, next);
      launch_tanh_backward(next, hidden_[std::size_t(l - 1)].data(), std::size_t(n) * std::size_t(layer.in), stream());
      dL_dy = next;
    }
  }

  // The whole training step on the minibatch order[offset, offset + n), with
  // the bookkeeping in `state` (state_, or the warm-up's scratch); see the
  // top of this file. Requires n <= capacity_ and offset + n <= rows.
  void enqueue_step(int n, StepState* state) {
    const float* w_all = has_weights_ ? train_w_.data() : nullptr;
    launch_gather_rows(train_x_.data(), train_t_.data(), w_all, order_.data(), state, n, spec_.input_dim,
                       spec_.target_dim, x_.data(), t_.data(), w_.data(), stream());
    enqueue_forward(n);
    launch_mixture_loss_and_grad(z_.data(), t_.data(), has_weights_ ? w_.data() : nullptr, n, head(), 1.0f / float(n),
                                 losses_.data(), dL_dz_.data(), stream());
    enqueue_backward(n);
    launch_partial_sums(losses_.data(), std::size_t(n), SumOf::Value, loss_partials_.data(), stream());
    launch_partial_sums(dL_dparams_.data(), layout_.total, SumOf::Square, sq_partials_.data(), stream());
    launch_finish_step(loss_partials_.data(), partial_sum_count(std::size_t(n)), n, sq_partials_.data(),
                       partial_sum_count(layout_.total), hyper_.data(), state, stream());
    launch_adam_update(params_.data(), adam_m_.data(), adam_v_.data(), dL_dparams_.data(), layout_.total, hyper_.data(),
                       state, stream());
  }

  // Declaration order is construction order: the device is selected before
  // anything touches it; the workspace outlives the cuBLAS handle; graphs go
  // first on destruction.
  ModelSpec spec_;
  ParameterLayout layout_;
  CudaOptions options_;
  int device_ = 0;
  std::string name_;
  int max_hidden_ = 1;
  int max_out_ = 1;
  Stream stream_;
  std::unique_ptr<NcclGroup> nccl_;  // data-parallel ranks on GPUs (join_collective)
  DeviceBuffer<unsigned char> cublas_workspace_;
  CublasHandle cublas_;
  CurandGenerator curand_;

  DeviceBuffer<float> params_, dL_dparams_, adam_m_, adam_v_;
  DeviceBuffer<StepState> state_;
  DeviceBuffer<StepState> warm_up_state_;
  StepState warm_up_host_{};  // source of warm_up_state_'s upload; outlives the copy
  DeviceBuffer<AdamConfig> hyper_;
  AdamConfig hyper_host_{};
  DeviceBuffer<double> loss_partials_, sq_partials_;

  int capacity_ = 0;
  DeviceBuffer<float> x_, t_, w_, z_, dL_dz_, losses_, dL_dy_a_, dL_dy_b_;
  std::vector<DeviceBuffer<float>> hidden_;
  DeviceBuffer<double> bias_partials_;

  int train_rows_ = 0;
  bool epoch_ran_ = false;  // order_ holds an epoch's order (last_epoch_order)
  DeviceBuffer<float> train_x_, train_t_;
  DeviceBuffer<float> train_w_;  // the training rows' sample weights, when has_weights_
  bool has_weights_ = false;
  DeviceBuffer<int> iota_, order_;
  DeviceBuffer<std::uint64_t> keys_, sorted_keys_;
  DeviceBuffer<unsigned char> sort_temp_;

  std::map<int, CudaGraph> graphs_;
  DeviceBuffer<double> cells_;  // the half cells of Backend::set_target_cells (target_cells_ not empty)

  std::unique_ptr<CudaPredictive> predictive_;
  std::unique_ptr<CudaSampler> sampler_;
};

}  // namespace

DeviceProbe probe_devices() {
  DeviceProbe probe;
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status == cudaSuccess) {
    probe.count = count;
    probe.no_device = count == 0;
    return probe;
  }
  (void)cudaGetLastError();  // clear the sticky status for later calls
  // No device, or no driver installed at all (the runtime could not load
  // libcuda, so it is not in the process): a CPU-only machine. Any other
  // status is a real problem (old driver, driver/kernel mismatch, ...).
  const bool driver_loaded = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_NOLOAD) != nullptr;
  probe.no_device = status == cudaErrorNoDevice || !driver_loaded;
  if (!probe.no_device) probe.problem = std::string(cudaGetErrorName(status)) + ": " + cudaGetErrorString(status);
  return probe;
}

int device_count() { return probe_devices().count; }

std::unique_ptr<BackendWithTestHooks> make_backend_with_test_hooks(const ModelSpec& spec, const CudaOptions& options) {
  return std::make_unique<CudaBackendImpl>(spec, options);
}

std::unique_ptr<mdn::Backend> make_backend(const ModelSpec& spec, const CudaOptions& options) {
  return make_backend_with_test_hooks(spec, options);
}

}  // namespace mdn::cuda
