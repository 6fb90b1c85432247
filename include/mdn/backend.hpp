// A backend computes the network: forward pass, loss and gradient, Adam, and
// whole training epochs over data it holds. The CPU backend is the reference;
// the CUDA backend computes the same math (detail/mixture_math.hpp).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mdn/matrix.hpp"
#include "mdn/spec.hpp"

namespace mdn {

enum class DeviceKind { Cpu, Cuda, Auto };

// "cpu" | "cuda" | "auto"; anything else is a UsageError naming --device.
DeviceKind parse_device(const std::string& name);

// Adam over the flat parameter buffer, with global gradient-norm clipping.
struct AdamConfig {
  float lr = 1e-3f;
  float beta1 = 0.9f;
  float beta2 = 0.999f;
  float eps = 1e-8f;
  float clip_norm = 10.0f;  // clip the global L2 norm of the gradient; 0 = off
};

// One epoch of minibatch training over the data set_training_data() gave.
struct EpochConfig {
  int batch_size = 256;
  AdamConfig adam;
  std::uint64_t shuffle_seed = 0;  // the epoch's permutation is a function of this alone
};

struct EpochStats {
  double mean_loss = 0.0;  // mean of the minibatch mean losses (standardised units)
  long long samples = 0;   // samples processed
  bool finite = true;      // false if any minibatch loss or gradient was NaN/Inf
};

// The optimiser's state, for checkpoints: Adam moments and the step count.
struct OptimizerState {
  std::vector<float> m, v;
  long long step = 0;
};

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

  // Training data held by the backend (on the device for CUDA).
  virtual void set_training_data(const Matrix& x, const Matrix& t) = 0;
  virtual EpochStats train_epoch(const EpochConfig& config) = 0;
};

// Shape checks every backend applies to its inputs: x is (n x D), t is
// (n x T). Throw mdn::Error saying what was expected.
void check_batch(const ModelSpec& spec, const Matrix& x);
void check_batch(const ModelSpec& spec, const Matrix& x, const Matrix& t);

std::unique_ptr<Backend> make_cpu_backend(const ModelSpec& spec);

// Options of the CUDA backend.
struct CudaOptions {
  bool tf32 = false;  // allow TF32 tensor-core math in cuBLAS (never on by default)
  int device = 0;
};

// True when this build has the CUDA backend and a device is present.
bool cuda_available();
// Throws mdn::Error when the build has no CUDA backend or no device is present.
std::unique_ptr<Backend> make_cuda_backend(const ModelSpec& spec, const CudaOptions& options = {});
// Auto picks CUDA when cuda_available(), else the CPU.
std::unique_ptr<Backend> make_backend(DeviceKind kind, const ModelSpec& spec, const CudaOptions& options = {});

}  // namespace mdn
