// Internal hooks of the CUDA backend for the GPU tests and the benchmark
// (not part of the public API; no public header includes it). Plain C++,
// like cuda_backend.hpp.
#pragma once
#include <memory>

#include "mdn/backend.hpp"
#include "mdn/matrix.hpp"
#include "mdn/spec.hpp"

namespace mdn::cuda {

// How train_step runs the step: replaying the captured CUDA graph (as
// train_epoch does), or enqueueing the same kernels and GEMMs directly.
enum class StepMode { Graph, Direct };

// The concrete CUDA backend (make_backend returns one of these).
class BackendWithTestHooks : public Backend {
 public:
  // One training step with (x, t) as the minibatch, in row order: the very
  // step train_epoch replays (gather, forward, head, backward, clipping,
  // Adam), on these rows. Replaces the training data with (x, t) and the
  // epoch's order with the identity. Returns the batch's mean loss, as
  // computed on the device; when it or the gradient norm is not finite, the
  // update is skipped and the value is returned as it is.
  virtual double train_step(const Matrix& x, const Matrix& t, const AdamConfig& adam, StepMode mode) = 0;

  // Seconds for `steps` replays of the training step's graph at batch size
  // `batch` over the training data (which must hold batch * steps rows),
  // timed with CUDA events around the replays only (the shuffle, the graph
  // capture and one warm-up replay come first and are not timed).
  virtual double time_train_steps(int batch, int steps, const AdamConfig& adam) = 0;
};

std::unique_ptr<BackendWithTestHooks> make_backend_with_test_hooks(const ModelSpec& spec, const CudaOptions& options);

}  // namespace mdn::cuda
