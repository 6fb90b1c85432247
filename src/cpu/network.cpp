#include "cpu/network.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "cpu/blas.hpp"
#include "cpu/simd/kernels.hpp"
#include "mdn/detail/cell_math.hpp"
#include "mdn/detail/full_cov_math.hpp"
#include "mdn/detail/mixture_math.hpp"

namespace mdn::cpu {

int threads_for_rows(int n) { return std::clamp(n / kRowsPerThread, 1, std::max(1, omp_get_max_threads())); }

namespace {

struct RowSlice {
  int begin = 0, end = 0;
  int size() const { return end - begin; }
};

// The calling thread's contiguous share of n rows.
RowSlice my_rows(int n) {
  const int threads = omp_get_num_threads(), t = omp_get_thread_num();
  return {int(std::int64_t(n) * t / threads), int(std::int64_t(n) * (t + 1) / threads)};
}

// The calling thread's contiguous share of the tiles [0, tile), [tile,
// 2 tile), ... of n rows, as rows. The tiles themselves do not depend on the
// thread count, so neither does any row's forward pass.
RowSlice my_tiles(int n, int tile) {
  const int tiles = (n + tile - 1) / tile;
  const int threads = omp_get_num_threads(), t = omp_get_thread_num();
  const int first = int(std::int64_t(tiles) * t / threads), last = int(std::int64_t(tiles) * (t + 1) / threads);
  return {std::min(n, first * tile), std::min(n, last * tile)};
}

// ---- element-wise passes: float through the vectorised kernels (chosen for
// this CPU at run time), double as plain loops over the C library (the
// finite-difference checks need double precision, not speed) ----------------
void fill_rows(float* y, const float* b, int rows, int cols) { simd::kernels().fill_rows(y, b, rows, cols); }
void fill_rows(double* y, const double* b, int rows, int cols) {
  for (int i = 0; i < rows; ++i) std::copy_n(b, cols, y + std::size_t(i) * cols);
}
void bias_tanh(float* y, const float* b, int rows, int cols) { simd::kernels().bias_tanh(y, b, rows, cols); }
void bias_tanh(double* y, const double* b, int rows, int cols) {
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) y[std::size_t(i) * cols + j] = std::tanh(y[std::size_t(i) * cols + j] + b[j]);
}
// d (rows x cols) *= 1 - h^2, and sums (cols) = (accumulate: +=) the column
// sums of the new d, rows in order.
void tanh_backward_sums(float* d, const float* h, int rows, int cols, float* sums, bool accumulate) {
  simd::kernels().tanh_backward_sums(d, h, rows, cols, sums, accumulate);
}
void tanh_backward_sums(double* d, const double* h, int rows, int cols, double* sums, bool accumulate) {
  if (!accumulate) std::fill_n(sums, cols, 0.0);
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) {
      const std::size_t e = std::size_t(i) * cols + j;
      d[e] = d[e] * (1.0 - h[e] * h[e]);
      sums[j] += d[e];
    }
}
// sums (cols) = (accumulate: +=) the column sums of x (rows x cols), rows in order.
void column_sums(float* sums, const float* x, int rows, int cols, bool accumulate) {
  (accumulate ? simd::kernels().add_column_sums : simd::kernels().column_sums)(sums, x, rows, cols);
}
void column_sums(double* sums, const double* x, int rows, int cols, bool accumulate) {
  if (!accumulate) std::fill_n(sums, cols, 0.0);
  for (int i = 0; i < rows; ++i)
    for (int j = 0; j < cols; ++j) sums[j] += x[std::size_t(i) * cols + j];
}

// Gridded targets: the cell loss, one row at a time (in double inside; the
// vectorised kernels keep the density's loss).
template <class R>
void cell_head_rows(const ModelSpec& spec, const std::vector<double>& cells, const R* z, const R* t, int rows,
                    R grad_scale, R* losses, R* dz) {
  const int K = spec.components, T = spec.target_dim, width = spec.head_width();
  const double lo = spec.log_sigma_min, hi = spec.log_sigma_max;
  for (int i = 0; i < rows; ++i) {
    const R* zi = z + std::size_t(i) * width;
    const R* ti = t + std::size_t(i) * T;
    losses[i] = R(dz ? detail::mixture_cell_nll_and_grad(zi, ti, cells.data(), K, T, lo, hi, double(grad_scale),
                                                         dz + std::size_t(i) * width)
                     : detail::mixture_cell_nll(zi, ti, cells.data(), K, T, lo, hi));
  }
}

// The head of `rows` samples: float 16 at a time across vector lanes (the
// same detail::mixture_nll_and_grad, instantiated on the lane type in
// src/cpu/simd), double one row at a time.
void head_rows(const ModelSpec& spec, const std::vector<double>& cells, const float* z, const float* t, int rows,
               float grad_scale, float* losses, float* dz) {
  if (!cells.empty()) return cell_head_rows(spec, cells, z, t, rows, grad_scale, losses, dz);
  const simd::Kernels& k = simd::kernels();
  (spec.covariance == Covariance::Full ? k.full_mixture_head : k.mixture_head)(
      z, t, rows, spec.components, spec.target_dim, float(spec.log_sigma_min), float(spec.log_sigma_max), grad_scale,
      losses, dz);
}
void head_rows(const ModelSpec& spec, const std::vector<double>& cells, const double* z, const double* t, int rows,
               double grad_scale, double* losses, double* dz) {
  if (!cells.empty()) return cell_head_rows(spec, cells, z, t, rows, grad_scale, losses, dz);
  const int K = spec.components, T = spec.target_dim, width = spec.head_width();
  const double lo = spec.log_sigma_min, hi = spec.log_sigma_max;
  for (int i = 0; i < rows; ++i) {
    const double* zi = z + std::size_t(i) * width;
    const double* ti = t + std::size_t(i) * T;
    if (spec.covariance == Covariance::Full) {
      losses[i] = dz ? detail::full_mixture_nll_and_grad(zi, ti, K, T, lo, hi, grad_scale, dz + std::size_t(i) * width)
                     : detail::full_mixture_nll(zi, ti, K, T, lo, hi);
      continue;
    }
    losses[i] = dz ? detail::mixture_nll_and_grad(zi, ti, K, T, lo, hi, grad_scale, dz + std::size_t(i) * width)
                   : detail::mixture_nll(zi, ti, K, T, lo, hi);
  }
}

// Sample weights: the losses and head-gradient rows of a tile's `count` rows
// (batch rows begin .. begin + count - 1, data rows rows[...] or the same)
// times their weights. The head kernel stays unweighted; this pass over a
// tile already in cache costs little next to the GEMMs.
template <class R>
void scale_rows_by_weight(const R* weights, const int* rows, int begin, int count, int width, R* losses, R* dz) {
  for (int i = 0; i < count; ++i) {
    const R w = weights[rows ? rows[begin + i] : begin + i];
    losses[i] = w == R(0) ? R(0) : losses[i] * w;  // no influence, even where the density underflows
    R* row = dz + std::size_t(i) * width;
    for (int j = 0; j < width; ++j) row[j] *= w;
  }
}

// Each layer's W^T (in x out, row-major) at the layer's weight offset: the
// forward GEMMs read it so that they are no-transpose products, which
// small_gemm (libxsmm) takes.
template <class R>
void transpose_weights(const ParameterLayout& layout, const R* params, std::vector<R>& weights_t) {
  weights_t.resize(layout.total);
  for (const LayerSlice& layer : layout.layers) {
    const R* w = params + layer.weight_offset;
    R* wt = weights_t.data() + layer.weight_offset;
    for (int o = 0; o < layer.out; ++o)
      for (int i = 0; i < layer.in; ++i) wt[std::size_t(i) * layer.out + o] = w[std::size_t(o) * layer.in + i];
  }
}

// The calling thread's tile buffers, sized for `tile` rows.
template <class R>
TileScratch<R>& my_scratch(const ModelSpec& spec, const ParameterLayout& layout, int tile, bool with_gradient,
                           NetworkWorkspace<R>& ws) {
  TileScratch<R>& s = ws.threads[std::size_t(omp_get_thread_num())];
  std::size_t hidden = 0;
  for (int h : spec.hidden) hidden += std::size_t(h);
  s.hidden.resize(hidden * tile);
  s.z.resize(std::size_t(tile) * layout.head().out);
  if (with_gradient) {
    s.dz.resize(std::size_t(tile) * layout.head().out);
    s.delta_a.resize(std::size_t(tile) * layout.max_width());
    s.delta_b.resize(std::size_t(tile) * layout.max_width());
    s.grad.resize(layout.total);
    s.x.resize(std::size_t(tile) * spec.input_dim);
    s.t.resize(std::size_t(tile) * spec.target_dim);
  }
  return s;
}

// Hidden layer l's activations of the tile (rows x H_l) inside s.hidden.
template <class R>
R* hidden_of(const ParameterLayout& layout, TileScratch<R>& s, int l, int tile) {
  std::size_t offset = 0;
  for (int j = 0; j < l; ++j) offset += std::size_t(layout.layers[j].out) * tile;
  return s.hidden.data() + offset;
}

// Rows of a hidden layer's GEMM whose bias + tanh pass follows at once, while
// its output (kBlockRows x H floats: 8 KiB at H = 64) is still in L1.
constexpr int kBlockRows = 32;

// Forward pass of `rows` rows of x (row stride D) through the hidden layers
// into s.hidden, and the head into z (rows x head width). weights_t: the
// transposed weights (transpose_weights). Hidden layers, block of kBlockRows
// rows by block: y = x W^T (GEMM, beta = 0), then one pass y = tanh(y + b)
// over the block; the head: z = b, then the GEMM adds x W^T (beta = 1).
template <class R>
void forward_tile(const ModelSpec& spec, const ParameterLayout& layout, const R* params, const R* weights_t, const R* x,
                  int rows, int tile, TileScratch<R>& s, R* z) {
  const R* input = x;
  for (std::size_t l = 0; l < spec.hidden.size(); ++l) {
    const LayerSlice& layer = layout.layers[l];
    R* out = hidden_of(layout, s, int(l), tile);
    for (int b = 0; b < rows; b += kBlockRows) {
      const int block = std::min(kBlockRows, rows - b);
      R* y = out + std::size_t(b) * layer.out;
      gemm(Transpose::No, Transpose::No, block, layer.out, layer.in, R(1), input + std::size_t(b) * layer.in, layer.in,
           weights_t + layer.weight_offset, layer.out, R(0), y, layer.out);
      bias_tanh(y, params + layer.bias_offset, block, layer.out);
    }
    input = out;
  }
  const LayerSlice& head = layout.head();
  fill_rows(z, params + head.bias_offset, rows, head.out);
  gemm(Transpose::No, Transpose::No, rows, head.out, head.in, R(1), input, head.in, weights_t + head.weight_offset,
       head.out, R(1), z, head.out);
}

// Backward pass of one tile: writes (= for the thread's first tile, when
// accumulate is false) or adds (+=) its parameter gradients into s.grad.
template <class R>
void backward_tile(const ModelSpec& spec, const ParameterLayout& layout, const R* params, const R* x, int rows,
                   int tile, bool accumulate, TileScratch<R>& s) {
  const int L = int(spec.hidden.size());
  R* buffers[2] = {s.delta_a.data(), s.delta_b.data()};
  const R* delta = s.dz.data();  // dL/d(pre-activation), rows x out
  const LayerSlice& head = layout.head();
  column_sums(s.grad.data() + head.bias_offset, delta, rows, head.out, accumulate);  // db of the head
  for (int l = L; l >= 0; --l) {
    const LayerSlice& layer = layout.layers[l];
    const R* input = l == 0 ? x : hidden_of(layout, s, l - 1, tile);
    // dW += delta^T input (out x in).
    gemm(Transpose::Yes, Transpose::No, layer.out, layer.in, rows, R(1), delta, layer.out, input, layer.in,
         accumulate ? R(1) : R(0), s.grad.data() + layer.weight_offset, layer.in);
    if (l == 0) break;
    // By blocks of kBlockRows rows, while each is in L1: dL/d(input) =
    // delta W, back through tanh (* (1 - h^2)), and its column sums into
    // the layer below's db (rows in order, as one pass over the tile).
    R* next = buffers[l % 2];
    R* bias_grad = s.grad.data() + layout.layers[l - 1].bias_offset;
    for (int b = 0; b < rows; b += kBlockRows) {
      const int block = std::min(kBlockRows, rows - b);
      R* d = next + std::size_t(b) * layer.in;
      gemm(Transpose::No, Transpose::No, block, layer.in, layer.out, R(1), delta + std::size_t(b) * layer.out,
           layer.out, params + layer.weight_offset, layer.in, R(0), d, layer.in);
      tanh_backward_sums(d, input + std::size_t(b) * layer.in, block, layer.in, bias_grad, accumulate || b > 0);
    }
    delta = next;
  }
}

// The minibatch rows index[0..count) of x (row stride D) and t (row stride T)
// into xo (count x D) and to (count x T). Plain loops: rows are a few floats,
// and a memcpy call per row cost more than the copy (6% of the training step).
// The rows are scattered over the training set (beyond L2 for a large one):
// each is prefetched kAhead rows before it is copied.
#if defined(__GNUC__) && !defined(__clang__)
#define MDN_NO_MEMCPY_CALLS __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define MDN_NO_MEMCPY_CALLS
#endif
template <class R>
MDN_NO_MEMCPY_CALLS void gather_minibatch(const R* x, int D, const R* t, int T, const int* index, int count, R* xo,
                                          R* to) {
  constexpr int kAhead = 16;
  for (int i = 0; i < std::min(kAhead, count); ++i) {
    __builtin_prefetch(x + std::size_t(index[i]) * D);
    __builtin_prefetch(t + std::size_t(index[i]) * T);
  }
  for (int i = 0; i < count; ++i) {
    if (i + kAhead < count) {
      __builtin_prefetch(x + std::size_t(index[i + kAhead]) * D);
      __builtin_prefetch(t + std::size_t(index[i + kAhead]) * T);
    }
    const R* xs = x + std::size_t(index[i]) * D;
    const R* ts = t + std::size_t(index[i]) * T;
    R* xd = xo + std::size_t(i) * D;
    R* td = to + std::size_t(i) * T;
    for (int j = 0; j < D; ++j) xd[j] = xs[j];
    for (int j = 0; j < T; ++j) td[j] = ts[j];
  }
}

double mean_of(const std::vector<float>& v, int n) {
  double sum = 0.0;
  for (int i = 0; i < n; ++i) sum += double(v[i]);
  return sum / n;
}
double mean_of(const std::vector<double>& v, int n) {
  double sum = 0.0;
  for (int i = 0; i < n; ++i) sum += v[i];
  return sum / n;
}

}  // namespace

int tile_rows(const ParameterLayout& layout) {
  constexpr int kTileFloats = 1 << 14;  // one activation buffer of a tile: 64 KiB of floats
  const int rows = kTileFloats / std::max(1, layout.max_width());
  return std::clamp(rows / 16 * 16, 16, 512);
}

template <class R>
void forward(const ModelSpec& spec, const ParameterLayout& layout, const R* params, const R* x, int n,
             NetworkWorkspace<R>& ws, R* z) {
  // Fixed tiles: z of a row is the same bits for any thread count.
  const int width = layout.head().out, tile = tile_rows(layout);
  if (!z) {
    ws.z.resize(std::size_t(n) * width);
    z = ws.z.data();
  }
  // Grow only: a smaller pass keeps the other threads' scratch for the next.
  ws.threads.resize(std::max(ws.threads.size(), std::size_t(threads_for_rows(n))));
  transpose_weights(layout, params, ws.weights_t);
  const R* weights_t = ws.weights_t.data();
#pragma omp parallel num_threads(threads_for_rows(n))
  {
    const RowSlice slice = my_tiles(n, tile);
    TileScratch<R>& s = my_scratch(spec, layout, tile, false, ws);
    for (int begin = slice.begin; begin < slice.end; begin += tile) {
      const int rows = std::min(tile, slice.end - begin);
      forward_tile(spec, layout, params, weights_t, x + std::size_t(begin) * spec.input_dim, rows, tile, s,
                   z + std::size_t(begin) * width);
    }
  }
}

template <class R>
double head_loss(const ModelSpec& spec, const R* t, int n, NetworkWorkspace<R>& ws, bool with_gradient) {
  const int width = spec.head_width();
  ws.losses.resize(n);
  if (with_gradient) ws.dz.resize(std::size_t(n) * width);
#pragma omp parallel num_threads(threads_for_rows(n))
  {
    const RowSlice s = my_rows(n);
    head_rows(spec, ws.cell_half_width, ws.z.data() + std::size_t(s.begin) * width,
              t + std::size_t(s.begin) * spec.target_dim, s.size(), R(1) / R(n), ws.losses.data() + s.begin,
              with_gradient ? ws.dz.data() + std::size_t(s.begin) * width : nullptr);
  }
  return mean_of(ws.losses, n);
}

template <class R>
double loss_and_gradient(const ModelSpec& spec, const ParameterLayout& layout, const R* params, const R* x, const R* t,
                         int n, R* grad, NetworkWorkspace<R>& ws, const int* rows, const R* weights) {
  const int D = spec.input_dim, T = spec.target_dim;
  const int threads = threads_for_rows(n);
  // Tiles shrink to a thread's share, in multiples of 16 rows.
  const int share = (n + threads - 1) / std::max(1, threads);
  const int tile = std::max(16, std::min(tile_rows(layout), (share + 15) / 16 * 16));
  ws.losses.resize(n);
  ws.threads.resize(std::max(ws.threads.size(), std::size_t(threads)));
  transpose_weights(layout, params, ws.weights_t);
  const R* weights_t = ws.weights_t.data();
  int used = threads;  // the team OpenMP actually gave us (at most `threads`)

#pragma omp parallel num_threads(threads)
  {
#pragma omp master
    used = omp_get_num_threads();
    const RowSlice slice = my_tiles(n, tile);
    TileScratch<R>& s = my_scratch(spec, layout, tile, true, ws);
    // The first tile writes the thread's partial gradient (=), the others add
    // to it; a thread without rows leaves it unwritten and out of the sum.
    s.has_grad = slice.size() > 0;
    for (int begin = slice.begin; begin < slice.end; begin += tile) {
      const int count = std::min(tile, slice.end - begin);
      const R* xt = x + std::size_t(begin) * D;
      const R* tt = t + std::size_t(begin) * T;
      if (rows) {  // gather the tile's minibatch rows
        gather_minibatch(x, D, t, T, rows + begin, count, s.x.data(), s.t.data());
        xt = s.x.data();
        tt = s.t.data();
      }
      forward_tile(spec, layout, params, weights_t, xt, count, tile, s, s.z.data());
      head_rows(spec, ws.cell_half_width, s.z.data(), tt, count, R(1) / R(n), ws.losses.data() + begin, s.dz.data());
      if (weights)
        scale_rows_by_weight(weights, rows, begin, count, spec.head_width(), ws.losses.data() + begin, s.dz.data());
      backward_tile(spec, layout, params, xt, count, tile, begin != slice.begin, s);
    }
  }
  // Sum the partials of the threads that had rows, in thread order
  // (deterministic).
  std::vector<const R*> partials;
  for (int th = 0; th < used; ++th)
    if (ws.threads[std::size_t(th)].has_grad) partials.push_back(ws.threads[std::size_t(th)].grad.data());
  if (partials.empty()) {
    std::fill_n(grad, layout.total, R(0));
    return mean_of(ws.losses, n);
  }
  const int count = int(partials.size());
#pragma omp parallel for schedule(static) if (layout.total >= (1 << 16))
  for (std::size_t p = 0; p < layout.total; ++p) {
    R sum = partials[0][p];
    for (int th = 1; th < count; ++th) sum += partials[std::size_t(th)][p];
    grad[p] = sum;
  }
  return mean_of(ws.losses, n);
}

#define MDN_INSTANTIATE_NETWORK(R)                                                                                  \
  template void forward<R>(const ModelSpec&, const ParameterLayout&, const R*, const R*, int, NetworkWorkspace<R>&, \
                           R*);                                                                                     \
  template double head_loss<R>(const ModelSpec&, const R*, int, NetworkWorkspace<R>&, bool);                        \
  template double loss_and_gradient<R>(const ModelSpec&, const ParameterLayout&, const R*, const R*, const R*, int, \
                                       R*, NetworkWorkspace<R>&, const int*, const R*);
MDN_INSTANTIATE_NETWORK(float)
MDN_INSTANTIATE_NETWORK(double)
#undef MDN_INSTANTIATE_NETWORK

}  // namespace mdn::cpu
