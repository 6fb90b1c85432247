// The MLP + mixture head on the CPU, templated on the scalar so the same code
// runs in float (the backend) and in double (finite-difference checks).
//
// Shapes (row-major, n = batch): x (n x D); z (n x K(1+2T)) the head
// pre-activations; hidden layer l of a tile (rows x H_l) holds
// tanh(pre-activation).
//
// Threading and tiles: the batch is cut into one contiguous row slice per
// thread (threads_for_rows: one per 256 rows, at most OpenMP's count), and
// each thread walks its slice in tiles of a few hundred rows, taking each
// tile through the whole network (forward, head loss, backward) while its
// activations and the weights stay in cache. Per layer:
// the bias is written into the tile's output, one single-threaded GEMM with
// beta = 1 adds x W^T to it (so no pass only zeroes memory), then tanh runs
// in place on the tile (vectorised, src/cpu/simd). Weight gradients are
// per-thread partial sums over the thread's tiles in order, added in thread
// order at the end, so a given thread count always gives the same bits.
#pragma once
#include <vector>

#include "mdn/spec.hpp"

namespace mdn::cpu {

// One thread's buffers for one tile of rows.
template <class R>
struct TileScratch {
  std::vector<R> hidden;            // tile x (sum of H_l): each hidden layer's tanh outputs
  std::vector<R> z, dz;             // tile x head_width
  std::vector<R> delta_a, delta_b;  // tile x max_width, backprop scratch
  std::vector<R> x, t;              // tile x D, tile x T: the gathered minibatch rows
  std::vector<R> grad;              // layout.total: this thread's partial gradient
  bool has_grad = false;            // whether grad was written by the last loss_and_gradient
};

template <class R>
struct NetworkWorkspace {
  std::vector<R> z;                     // n x head_width (forward's output)
  std::vector<R> dz;                    // n x head_width, d(mean loss)/dz (head_loss with the gradient)
  std::vector<R> losses;                // n per-sample losses
  std::vector<R> weights_t;             // layout.total: each layer's W^T (in x out) at its weight offset
  std::vector<TileScratch<R>> threads;  // one per OpenMP thread
  // Gridded targets (detail/cell_math.hpp): T half cells in standardised
  // units (0 = continuous), the loss then the cell-averaged density's;
  // empty = densities.
  std::vector<double> cell_half_width;
};

// Threads a pass over n rows uses: one per kRowsPerThread rows, at least 1,
// at most omp_get_max_threads(). Waking a sleeping OpenMP thread costs more
// than a small batch's work (the program lets idle threads sleep,
// tools/mdn/openmp_wait_policy.c): on 2 cores, default training at batch 32
// ran faster on one thread than on two (docs/MATH.md).
inline constexpr int kRowsPerThread = 256;
int threads_for_rows(int n);

// Rows per tile for a layout (a multiple of 16; a few hundred for the
// reference shape), chosen so a tile's activations fit in L2.
int tile_rows(const ParameterLayout& layout);

// Head pre-activations of the n rows of x into z (n x head width), or into
// ws.z when z is null.
template <class R>
void forward(const ModelSpec& spec, const ParameterLayout& layout, const R* params, const R* x, int n,
             NetworkWorkspace<R>& ws, R* z = nullptr);

// Per-sample losses of ws.z into ws.losses (and dz when with_gradient);
// returns their mean, summed in a fixed order in double.
template <class R>
double head_loss(const ModelSpec& spec, const R* t, int n, NetworkWorkspace<R>& ws, bool with_gradient);

// Forward + loss + backward: writes (=) d(mean loss)/d(params) into grad
// (layout.total entries). Returns the mean loss. The batch is rows 0..n-1 of
// x and t, or, when `rows` is not null, rows rows[0..n-1] of them: the
// minibatch gather then happens tile by tile inside the parallel region.
// `weights` (optional, indexed like the rows of x): the loss is then
// (1/n) sum_i w_i nll_i, each row's loss and head gradient scaled by its
// weight (ws.losses holds the weighted losses).
template <class R>
double loss_and_gradient(const ModelSpec& spec, const ParameterLayout& layout, const R* params, const R* x, const R* t,
                         int n, R* grad, NetworkWorkspace<R>& ws, const int* rows = nullptr,
                         const R* weights = nullptr);

}  // namespace mdn::cpu
