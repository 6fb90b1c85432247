// A backend computes everything a model does on one device: the network
// (forward pass, loss and gradient, Adam, whole training epochs over data it
// holds) and what a trained model is asked (predictive statistics, sampling).
// The CPU backend is the reference; the CUDA backend computes the same math
// (detail/*.hpp). make_backend chooses the device once, at run time, so no
// caller needs to know whether CUDA was compiled in.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mdn/device.hpp"
#include "mdn/error.hpp"
#include "mdn/matrix.hpp"
#include "mdn/mixture.hpp"
#include "mdn/predictive.hpp"
#include "mdn/sampling.hpp"
#include "mdn/spec.hpp"
#include "mdn/standardizer.hpp"
#include "mdn/train_options.hpp"

namespace mdn {

// The minibatch loop every training epoch shares (the CPU backend's epochs,
// data-parallel epochs over ranks): batches [begin, begin + n) of `rows` rows
// in steps of batch_size; step(begin, n, grad_norm) trains one and returns
// its mean loss (and sets grad_norm, left 0 when it stops before the
// optimiser). The epoch stops at the first loss or gradient norm that is not
// finite (EpochStats::finite false); mean_loss is the mean of the batches'
// losses before it, samples their rows.
template <class Step>
EpochStats run_epoch_batches(int rows, int batch_size, Step&& step) {
  if (batch_size < 1) throw UsageError("EpochConfig::batch_size must be at least 1");
  EpochStats stats;
  double loss_sum = 0.0;
  int batches = 0;
  for (int begin = 0; begin < rows; begin += batch_size) {
    const int n = std::min(batch_size, rows - begin);
    double grad_norm = 0.0;
    const double loss = step(begin, n, grad_norm);
    if (!std::isfinite(loss) || !std::isfinite(grad_norm)) {
      stats.finite = false;
      break;
    }
    loss_sum += loss;
    stats.samples += n;
    ++batches;
  }
  stats.mean_loss = batches > 0 ? loss_sum / batches : 0.0;
  return stats;
}

class Backend {
 public:
  virtual ~Backend() = default;

  virtual std::string name() const = 0;  // "cpu (2 threads)", "cuda (NVIDIA H100 ...)"
  virtual const ModelSpec& spec() const = 0;

  // Parameters, flat, in ParameterLayout order. Setting them resets nothing else.
  virtual void set_parameters(const std::vector<float>& params) = 0;
  virtual std::vector<float> parameters() const = 0;
  virtual void set_optimizer_state(const OptimizerState& state) = 0;
  virtual OptimizerState optimizer_state() const = 0;

  // Head pre-activations z (n x head_width) for standardised inputs x (n x D).
  virtual Matrix forward(const Matrix& x) = 0;

  // Mean loss over the batch; writes (=) d(mean loss)/d(params) into grad
  // (resized to the parameter count). Standardised x and t.
  virtual double loss_and_gradient(const Matrix& x, const Matrix& t, std::vector<float>& grad) = 0;

  // Mean per-sample NLL over a whole data set, in chunks (standardised units).
  virtual double mean_nll(const Matrix& x, const Matrix& t) = 0;

  // One Adam step with the given gradient (clipped first if adam.clip_norm > 0).
  // Returns the gradient norm before clipping.
  virtual double adam_step(const std::vector<float>& grad, const AdamConfig& adam) = 0;

  // Training data held by the backend (on the device for CUDA). Clears the
  // sample weights.
  virtual void set_training_data(const Matrix& x, const Matrix& t) = 0;
  // The same, except that the backend may keep references to x and t rather
  // than copies (the CPU backend does): they must stay alive, at the same
  // address and unchanged, until the next set_training_* call,
  // release_training_rows or the backend's end. What the trainer uses, so
  // that its rows are held once (docs/DATA.md, "Memory"). The default copies
  // (set_training_data).
  virtual void set_training_rows(const Matrix& x, const Matrix& t) { set_training_data(x, t); }
  // Forgets rows that set_training_rows kept by reference (their owner is
  // about to free them); train_epoch then has no data. Default: nothing.
  virtual void release_training_rows() {}
  virtual EpochStats train_epoch(const EpochConfig& config) = 0;

  // ---- sample weights (Dataset::weights; docs/TRAINING.md) ------------------
  // Weights of the rows set_training_data gave (one per row; empty = every
  // row weight 1): train_epoch's minibatch loss becomes (1/n) sum_i w_i nll_i
  // and its gradient the gradient of that. The trainer scales them to mean 1
  // over the training rows, so the learning rate means what it does without
  // weights. The default refuses weights (a backend without them).
  virtual void set_training_weights(const std::vector<float>& weights);
  // loss_and_gradient with one weight per row of x: (1/n) sum_i w_i nll_i.
  // The default refuses (as set_training_weights).
  virtual double weighted_loss_and_gradient(const Matrix& x, const Matrix& t, const std::vector<float>& weights,
                                            std::vector<float>& grad);
  // sum_i w_i nll_i over the rows of x (standardised units; weights empty =
  // every row 1): the weighted validation NLL is this over the sum of the
  // weights. From forward() and the shared head math, on every backend.
  double weighted_nll_sum(const Matrix& x, const Matrix& t, const std::vector<float>& weights);

  // ---- gridded targets (mdn/detail/cell_math.hpp; docs/TRAINING.md) --------
  // One half cell per target in standardised units (0: a continuous target;
  // empty: all continuous). Accepted, the training loss, mean_nll and
  // weighted_nll_sum become -log(P(cell) / cell volume) per row: the exact
  // likelihood of a target known only to its grid cell, as a density
  // (mdn/detail/cell_math.hpp). Returns whether the backend took them: the
  // default takes only an empty list, and the trainer then spreads the
  // targets over their cells instead (a bound on the same likelihood).
  virtual bool set_target_cells(const std::vector<double>& half_widths);

  // ---- data-parallel training over ranks (docs/DISTRIBUTED.md) -------------
  // The ranks' element-wise sum of a host buffer (Communicator::sum).
  using HostSum = std::function<void(float* values, std::size_t n)>;
  // A collective on the device for the gradient sums (NCCL on CUDA): rank 0
  // asks for an id, the caller shares it with every rank (over MPI), and each
  // rank joins with its rank. An empty id / false: this backend has none, and
  // data_parallel_step sums on the host. The default has none.
  virtual std::string new_collective_id() { return {}; }
  virtual bool join_collective(const std::string& id, int rank, int ranks);
  // One step of data-parallel training. The global minibatch has batch_rows
  // rows over all ranks; x, t are this rank's (possibly none). The gradient
  // of the batch's mean loss is this rank's rows' share, summed over the
  // ranks (on the device when a collective was joined, else by host_sum),
  // then every rank takes the same Adam step. Returns the batch's mean loss
  // over all ranks and sets grad_norm (the norm before clipping); either is
  // NaN/Inf on every rank when it is on any. The host default is
  // loss_and_gradient + host_sum + adam_step.
  // `weights`: this rank's rows' sample weights, or empty (every row 1).
  virtual double data_parallel_step(const Matrix& x, const Matrix& t, const std::vector<float>& weights, int batch_rows,
                                    const AdamConfig& adam, const HostSum& host_sum, double& grad_norm);

  // ---- ensemble members trained side by side (docs/TRAINING.md) -------------
  // How many ensemble members this backend's device gains from training at
  // once with minibatches of batch_size rows, at most `members`. The default,
  // 1, trains them one after another.
  virtual int member_concurrency(int batch_size, int members) const {
    (void)batch_size;
    (void)members;
    return 1;
  }
  // A new backend of the same kind, spec and options for one of
  // `concurrency` members trained at once, each used by a thread of its own
  // (on the CPU with its share of the threads). It computes bit for bit what
  // this backend would for that member. Null where member_concurrency is 1.
  virtual std::unique_ptr<Backend> concurrent_member_backend(int concurrency) const {
    (void)concurrency;
    return nullptr;
  }

  // ---- what a trained model is asked (original units) ----------------------
  // Marginal mean, standard deviation and quantiles of every row of `mix`, in
  // the layouts of predictive_moments / predictive_quantiles. The host
  // computes them by default; the CUDA backend runs kernels/predictive.cu
  // (same formulas, detail/quantile_math.hpp). Throws UsageError for invalid
  // levels (validate_quantile_levels).
  virtual PredictiveStatistics statistics(const MixtureBatch& mix, const std::vector<double>& levels);

  // `samples` draws per row from the mixtures of head outputs z (rows x
  // head_width, standardised units, what forward returns) of data rows
  // first_row .. first_row + z.rows - 1, in the target units of `stats`.
  // out: z.rows x samples x T doubles, index (r * samples + s) * T + d;
  // components (optional): z.rows x samples. The recipe and the counter-based
  // draws of mdn/sampling.hpp; the host by default, kernels/sample.cu on CUDA.
  virtual void sample(const Matrix& z, const Standardizer& stats, int samples, const SampleOptions& options,
                      std::int64_t first_row, double* out, int* components = nullptr);

  // Modes and highest-density regions: the host algorithms of
  // mdn/predictive.hpp on every backend (they have no GPU kernels).
  std::vector<std::vector<Mode>> modes(const MixtureBatch& mix) const { return predictive_modes(mix); }
  std::vector<DensityRegion> density_regions(const MixtureBatch& mix, int d, double coverage) const {
    return predictive_hdr(mix, d, coverage);
  }

  // TEST HOOK, not for callers: the row order the last train_epoch used
  // (minibatch b = rows order[b*B, min((b+1)*B, R))), empty when the backend
  // does not record it or no epoch ran since set_training_data. Lets the
  // tests check an epoch's traversal against the batches actually used.
  virtual std::vector<int> last_epoch_order() const { return {}; }

 protected:
  std::vector<double> target_cells_;  // what set_target_cells took (empty: densities)
};

std::unique_ptr<Backend> make_cpu_backend(const ModelSpec& spec);

// Options of the CUDA backend.
struct CudaOptions {
  bool tf32 = false;  // allow TF32 tensor-core math in cuBLAS (never on by default)
  int device = 0;
};

// True when this build has the CUDA backend and a device is present.
bool cuda_available();
// Empty when CUDA works or there is simply no GPU (or no driver); otherwise the
// runtime's status (an old driver, a driver/library mismatch, ...), which a
// caller should show when DeviceKind::Auto falls back to the CPU.
std::string cuda_problem();
// Whether this build has the CUDA backend, in words ("CUDA backend: ..."), for
// `mdn --version`. Probes no device.
std::string cuda_description();
// Throws mdn::Error when the build has no CUDA backend or no device is present.
std::unique_ptr<Backend> make_cuda_backend(const ModelSpec& spec, const CudaOptions& options = {});
// Auto picks CUDA when cuda_available(), else the CPU (Backend::name says which).
std::unique_ptr<Backend> make_backend(DeviceKind kind, const ModelSpec& spec, const CudaOptions& options = {});

}  // namespace mdn
