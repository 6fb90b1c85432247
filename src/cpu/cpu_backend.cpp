// The CPU backend: OpenBLAS GEMMs, OpenMP over samples. The reference the
// CUDA backend is tested against, and the baseline it is timed against.
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>
#include <random>
#include <string>

#include "core/permutation.hpp"
#include "cpu/network.hpp"
#include "mdn/backend.hpp"
#include "mdn/detail/adam_math.hpp"
#include "mdn/error.hpp"

namespace mdn {
namespace {

constexpr int kEvalChunk = 8192;
constexpr std::size_t kParallelParameterCount = 1 << 16;

class CpuBackend final : public Backend {
 public:
  explicit CpuBackend(const ModelSpec& spec) : spec_(spec), layout_(spec) {
    spec_.validate();
    params_.assign(layout_.total, 0.0f);
    reset_optimizer();
  }

  std::string name() const override { return "cpu (" + std::to_string(omp_get_max_threads()) + " threads)"; }
  const ModelSpec& spec() const override { return spec_; }

  void set_parameters(const std::vector<float>& params) override {
    if (params.size() != layout_.total)
      throw Error("parameter buffer has " + std::to_string(params.size()) + " floats; the model needs " +
                  std::to_string(layout_.total));
    params_ = params;
  }
  std::vector<float> parameters() const override { return params_; }

  void set_optimizer_state(const OptimizerState& state) override {
    if (state.m.size() != layout_.total || state.v.size() != layout_.total)
      throw Error("optimizer state does not match the model's parameter count");
    adam_ = state;
  }
  OptimizerState optimizer_state() const override { return adam_; }

  Matrix forward(const Matrix& x) override {
    use_thread_budget();
    check_x(x);
    Matrix z(x.rows, spec_.head_width());
    cpu::forward(spec_, layout_, params_.data(), x.data.data(), x.rows, ws_, z.data.data());
    return z;
  }

  double loss_and_gradient(const Matrix& x, const Matrix& t, std::vector<float>& grad) override {
    use_thread_budget();
    check_xt(x, t);
    grad.resize(layout_.total);
    return cpu::loss_and_gradient(spec_, layout_, params_.data(), x.data.data(), t.data.data(), x.rows, grad.data(),
                                  ws_);
  }

  double weighted_loss_and_gradient(const Matrix& x, const Matrix& t, const std::vector<float>& weights,
                                    std::vector<float>& grad) override {
    use_thread_budget();
    check_xt(x, t);
    if (weights.size() != std::size_t(x.rows)) throw Error("weighted_loss_and_gradient: one weight per row is needed");
    grad.resize(layout_.total);
    return cpu::loss_and_gradient(spec_, layout_, params_.data(), x.data.data(), t.data.data(), x.rows, grad.data(),
                                  ws_, nullptr, weights.data());
  }

  double mean_nll(const Matrix& x, const Matrix& t) override {
    use_thread_budget();
    check_xt(x, t);
    double sum = 0.0;
    for (int begin = 0; begin < x.rows; begin += kEvalChunk) {
      const int n = std::min(kEvalChunk, x.rows - begin);
      cpu::forward(spec_, layout_, params_.data(), x.row(begin), n, ws_);
      sum += cpu::head_loss(spec_, t.row(begin), n, ws_, false) * n;
    }
    return sum / x.rows;
  }

  double adam_step(const std::vector<float>& grad, const AdamConfig& adam) override {
    use_thread_budget();
    if (grad.size() != layout_.total) throw Error("gradient size does not match the model");
    double sq = 0.0;
    for (float g : grad) sq += double(g) * double(g);
    const double norm = std::sqrt(sq);
    const float scale = (adam.clip_norm > 0.0f && norm > adam.clip_norm) ? float(adam.clip_norm / norm) : 1.0f;
    adam_.step += 1;
    const float bias1 = 1.0f - std::pow(adam.beta1, float(adam_.step));
    const float bias2 = 1.0f - std::pow(adam.beta2, float(adam_.step));
    const std::size_t count = params_.size();
    // Threads only pay off for large models: a fork/join costs more than a
    // few thousand updates, and on a busy machine far more.
#pragma omp parallel for schedule(static) if (count >= kParallelParameterCount)
    for (std::size_t i = 0; i < count; ++i)
      detail::adam_update(params_[i], adam_.m[i], adam_.v[i], grad[i] * scale, adam.lr, adam.beta1, adam.beta2,
                          adam.eps, bias1, bias2, adam.weight_decay);
    return norm;
  }

  void set_training_data(const Matrix& x, const Matrix& t) override {
    check_xt(x, t);
    own_x_ = x;
    own_t_ = t;
    use_rows(own_x_, own_t_);
  }

  void set_training_rows(const Matrix& x, const Matrix& t) override {
    check_xt(x, t);
    own_x_ = Matrix();
    own_t_ = Matrix();
    use_rows(x, t);
  }

  void release_training_rows() override {
    if (train_x_ != &own_x_) use_rows(own_x_ = Matrix(), own_t_ = Matrix());
  }

  void set_training_weights(const std::vector<float>& weights) override {
    if (!weights.empty() && weights.size() != std::size_t(training_rows()))
      throw Error("set_training_weights: " + std::to_string(weights.size()) + " weights for " +
                  std::to_string(training_rows()) + " training rows");
    train_w_ = weights;
  }

  EpochStats train_epoch(const EpochConfig& config) override {
    use_thread_budget();
    const int rows = training_rows();
    if (rows == 0) throw Error("train_epoch: no training data was set");
    if (config.batch_size < 1) throw UsageError("EpochConfig::batch_size must be at least 1");
    order_ = detail::random_permutation(rows, config.shuffle_seed);
    const std::vector<int>& order = order_;
    return run_epoch_batches(rows, config.batch_size, [&](int begin, int n, double& grad_norm) {
      // The minibatch is rows order[begin, begin + n); the network gathers
      // them tile by tile inside its parallel region.
      grad_.resize(layout_.total);
      const double loss =
          cpu::loss_and_gradient(spec_, layout_, params_.data(), train_x_->data.data(), train_t_->data.data(), n,
                                 grad_.data(), ws_, order.data() + begin, train_w_.empty() ? nullptr : train_w_.data());
      if (std::isfinite(loss)) grad_norm = adam_step(grad_, config.adam);
      return loss;
    });
  }

  // Members side by side when a member's minibatch needs fewer threads than
  // there are (threads_for_rows): each gets its share of the threads, and
  // since every pass of a member then uses as many threads as it would alone
  // (and forward passes do not depend on the count), the bits are the same.
  int member_concurrency(int batch_size, int members) const override {
    const int all = std::max(1, omp_get_max_threads());
    return std::clamp(all / cpu::threads_for_rows(batch_size), 1, std::max(1, members));
  }
  std::unique_ptr<Backend> concurrent_member_backend(int concurrency) const override {
    auto member = std::make_unique<CpuBackend>(spec_);
    member->thread_budget_ = std::max(1, omp_get_max_threads() / std::max(1, concurrency));
    member->set_target_cells(target_cells_);
    return member;
  }

  // Diagonal mixtures only: a full covariance's cell is a multivariate
  // normal probability (the trainer spreads those targets over their cells).
  bool set_target_cells(const std::vector<double>& half_widths) override {
    if (!half_widths.empty() && (spec_.covariance == Covariance::Full || int(half_widths.size()) != spec_.target_dim))
      return false;
    target_cells_ = half_widths;
    ws_.cell_half_width = half_widths;
    return true;
  }

  // TEST HOOK (Backend::last_epoch_order): the order the last epoch read.
  std::vector<int> last_epoch_order() const override { return order_; }

 private:
  // A concurrent member's backend runs on a thread of its own: OpenMP's
  // thread count is a per-thread setting, so it is set on each call.
  void use_thread_budget() const {
    if (thread_budget_ > 0) omp_set_num_threads(thread_budget_);
  }

  void reset_optimizer() {
    adam_.m.assign(layout_.total, 0.0f);
    adam_.v.assign(layout_.total, 0.0f);
    adam_.step = 0;
  }

  void use_rows(const Matrix& x, const Matrix& t) {
    train_x_ = &x;
    train_t_ = &t;
    train_w_.clear();
    order_.clear();
  }
  int training_rows() const { return train_x_ != nullptr ? train_x_->rows : 0; }

  void check_x(const Matrix& x) const { check_batch(spec_, x); }
  void check_xt(const Matrix& x, const Matrix& t) const { check_batch(spec_, x, t); }

  ModelSpec spec_;
  ParameterLayout layout_;
  std::vector<float> params_;
  OptimizerState adam_;
  cpu::NetworkWorkspace<float> ws_;
  // The training rows: own_x_/own_t_ (set_training_data's copies) or the
  // caller's (set_training_rows).
  Matrix own_x_, own_t_;
  const Matrix* train_x_ = nullptr;
  const Matrix* train_t_ = nullptr;
  std::vector<float> train_w_;  // sample weights of the training rows; empty = every row 1
  std::vector<int> order_;      // the last epoch's row order (test hook)
  std::vector<float> grad_;
  int thread_budget_ = 0;  // > 0: a concurrent member's share of the threads (concurrent_member_backend)
};

}  // namespace

std::unique_ptr<Backend> make_cpu_backend(const ModelSpec& spec) { return std::make_unique<CpuBackend>(spec); }

}  // namespace mdn
