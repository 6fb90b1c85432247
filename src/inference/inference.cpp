#include "mdn/inference.hpp"

#include <algorithm>
#include <string>

#include "mdn/error.hpp"

namespace mdn {

namespace {

// A deep ensemble behind the Backend interface (Model::members > 1): one
// backend of the member spec runs each member's network in turn, and
// forward() returns the combined head (combine_member_heads) of the model's
// mixture_spec(), which is also this backend's spec(). Statistics run on the
// member backend's device when it takes M * K components (the CUDA kernels
// take at most kMaxComponents; beyond that they run on the host); sampling
// and the rest run on the host. It predicts only: training calls throw.
class EnsembleBackend final : public Backend {
 public:
  EnsembleBackend(std::unique_ptr<Backend> inner, const Model& model)
      : inner_(std::move(inner)), mixture_spec_(model.mixture_spec()), members_(model.members) {
    const std::size_t total = ParameterLayout(model.spec).total;
    for (int m = 0; m < members_; ++m)
      params_.emplace_back(model.params.begin() + std::ptrdiff_t(m * total),
                           model.params.begin() + std::ptrdiff_t((m + 1) * total));
  }

  std::string name() const override { return inner_->name(); }
  const ModelSpec& spec() const override { return mixture_spec_; }

  Matrix forward(const Matrix& x) override {
    std::vector<Matrix> heads;
    for (int m = 0; m < members_; ++m) {
      inner_->set_parameters(params_[m]);
      heads.push_back(inner_->forward(x));
    }
    return combine_member_heads(inner_->spec(), heads);
  }

  PredictiveStatistics statistics(const MixtureBatch& mix, const std::vector<double>& levels) override {
    if (mix.K <= kMaxComponents) return inner_->statistics(mix, levels);
    return Backend::statistics(mix, levels);
  }
  // sample(): the host implementation (Backend::sample reads z with spec()).

  void set_parameters(const std::vector<float>&) override { refuse(); }
  std::vector<float> parameters() const override { refuse(); }
  void set_optimizer_state(const OptimizerState&) override { refuse(); }
  OptimizerState optimizer_state() const override { refuse(); }
  double loss_and_gradient(const Matrix&, const Matrix&, std::vector<float>&) override { refuse(); }
  double mean_nll(const Matrix&, const Matrix&) override { refuse(); }
  double adam_step(const std::vector<float>&, const AdamConfig&) override { refuse(); }
  void set_training_data(const Matrix&, const Matrix&) override { refuse(); }
  EpochStats train_epoch(const EpochConfig&) override { refuse(); }

 private:
  [[noreturn]] static void refuse() { throw Error("an ensemble model predicts only; train its members one by one"); }

  std::unique_ptr<Backend> inner_;
  ModelSpec mixture_spec_;
  int members_;
  std::vector<std::vector<float>> params_;
};

}  // namespace

std::unique_ptr<Backend> make_backend(DeviceKind device, const Model& model, const CudaOptions& options) {
  auto backend = make_backend(device, model.spec, options);
  if (model.members > 1) return std::make_unique<EnsembleBackend>(std::move(backend), model);
  backend->set_parameters(model.params);
  return backend;
}

Matrix head_outputs(Backend& backend, const Model& model, const MatrixD& x_raw, int begin, int count,
                    long long row_offset) {
  const int D = x_raw.cols, W = model.mixture_spec().head_width();
  if (D != model.spec.input_dim)
    throw Error("data has " + std::to_string(D) + " feature columns; the model expects " +
                std::to_string(model.spec.input_dim));
  if (begin < 0 || count < 0 || begin + count > x_raw.rows)
    throw Error("rows " + std::to_string(begin) + " .. " + std::to_string(begin + count) + " are outside the " +
                std::to_string(x_raw.rows) + " rows of the data");
  if (row_offset < 0) throw Error("head_outputs: negative row offset");
  Matrix z(count, W);
  MatrixD block(kForwardBlock, D);
  // first: x_raw's row at the block's first position (negative when the
  // block starts on an earlier part's rows, which stay zero here).
  const long long aligned = (row_offset + begin) / kForwardBlock * kForwardBlock;
  for (long long first = aligned - row_offset; first < begin + count; first += kForwardBlock) {
    const long long from = std::max(0LL, first), to = std::min<long long>(x_raw.rows, first + kForwardBlock);
    std::fill(block.data.begin(), block.data.end(), 0.0);
    std::copy(x_raw.row(int(from)), x_raw.row(int(from)) + std::size_t(to - from) * D, block.row(int(from - first)));
    const Matrix zb = backend.forward(model.stats.standardize_x(block));
    const long long lo = std::max<long long>(begin, first), hi = std::min<long long>(begin + count, to);
    std::copy(zb.row(int(lo - first)), zb.row(int(hi - first)), z.row(int(lo - begin)));
  }
  return z;
}

MixtureBatch predict_mixtures(Backend& backend, const Model& model, const MatrixD& x_raw) {
  return mixtures_from_head(model, head_outputs(backend, model, x_raw, 0, x_raw.rows));
}

std::vector<long long> rows_outside_training_range(const Model& model, const MatrixD& x_raw, double margin) {
  std::vector<long long> counts;
  if (model.x_min.empty()) return counts;
  if (x_raw.cols != int(model.x_min.size()))
    throw Error("rows_outside_training_range: x has the wrong number of columns");
  counts.assign(model.x_min.size(), 0);
  for (std::size_t c = 0; c < counts.size(); ++c) {
    const double width = model.x_max[c] - model.x_min[c];
    const double lo = model.x_min[c] - margin * width, hi = model.x_max[c] + margin * width;
    for (int r = 0; r < x_raw.rows; ++r) {
      const double v = x_raw(r, int(c));
      counts[c] += (v < lo || v > hi) ? 1 : 0;
    }
  }
  return counts;
}

}  // namespace mdn
