#include "cpu/network.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "cpu/blas.hpp"
#include "mdn/detail/mixture_math.hpp"

namespace mdn::cpu {
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

template <class R>
void allocate(const ModelSpec& spec, const ParameterLayout& layout, int n, NetworkWorkspace<R>& ws) {
  ws.hidden.resize(spec.hidden.size());
  for (std::size_t l = 0; l < spec.hidden.size(); ++l) ws.hidden[l].resize(std::size_t(n) * layout.layers[l].out);
  ws.z.resize(std::size_t(n) * layout.head().out);
  ws.losses.resize(n);
}

// y (rows x out) = tanh(x W^T + b), or x W^T + b for the head.
template <class R>
void dense_rows(const LayerSlice& layer, const R* params, const R* x, int rows, bool apply_tanh, R* y) {
  const R* w = params + layer.weight_offset;
  const R* b = params + layer.bias_offset;
  gemm(Transpose::No, Transpose::Yes, rows, layer.out, layer.in, R(1), x, layer.in, w, layer.in, R(0), y, layer.out);
  for (int i = 0; i < rows; ++i) {
    R* row = y + std::size_t(i) * layer.out;
    for (int j = 0; j < layer.out; ++j) row[j] = apply_tanh ? std::tanh(row[j] + b[j]) : row[j] + b[j];
  }
}

// Forward pass of rows [s.begin, s.end) through every layer.
template <class R>
void forward_rows(const ModelSpec& spec, const ParameterLayout& layout, const R* params, const R* x, RowSlice s,
                  NetworkWorkspace<R>& ws) {
  if (s.size() == 0) return;
  const R* input = x + std::size_t(s.begin) * spec.input_dim;
  for (std::size_t l = 0; l < spec.hidden.size(); ++l) {
    R* out = ws.hidden[l].data() + std::size_t(s.begin) * layout.layers[l].out;
    dense_rows(layout.layers[l], params, input, s.size(), true, out);
    input = out;
  }
  dense_rows(layout.head(), params, input, s.size(), false, ws.z.data() + std::size_t(s.begin) * layout.head().out);
}

template <class R>
void head_loss_rows(const ModelSpec& spec, const R* t, RowSlice s, bool with_gradient, R grad_scale,
                    NetworkWorkspace<R>& ws) {
  const int K = spec.components, T = spec.target_dim, width = spec.head_width();
  const R lo = R(spec.log_sigma_min), hi = R(spec.log_sigma_max);
  for (int i = s.begin; i < s.end; ++i) {
    const R* zi = ws.z.data() + std::size_t(i) * width;
    const R* ti = t + std::size_t(i) * T;
    ws.losses[i] = with_gradient ? detail::mixture_nll_and_grad(zi, ti, K, T, lo, hi, grad_scale,
                                                                 ws.dz.data() + std::size_t(i) * width)
                                 : detail::mixture_nll(zi, ti, K, T, lo, hi);
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

// Backward pass of one thread's rows: parameter gradients of its slice go
// (=) into `grad` (the thread's partial buffer).
template <class R>
void backward_rows(const ModelSpec& spec, const ParameterLayout& layout, const R* params, const R* x, RowSlice s,
                   NetworkWorkspace<R>& ws, R* grad) {
  const int rows = s.size();
  const int L = int(spec.hidden.size());
  if (rows == 0) {
    std::fill(grad, grad + layout.total, R(0));
    return;
  }
  const std::size_t scratch = std::size_t(s.begin) * layout.max_width();
  R* buffers[2] = {ws.delta_a.data() + scratch, ws.delta_b.data() + scratch};
  const R* delta = ws.dz.data() + std::size_t(s.begin) * layout.head().out;  // dL/d(pre-activation)
  for (int l = L; l >= 0; --l) {
    const LayerSlice& layer = layout.layers[l];
    const R* input = l == 0 ? x + std::size_t(s.begin) * layer.in : ws.hidden[l - 1].data() + std::size_t(s.begin) * layer.in;
    // dW = delta^T input (out x in); db = column sums of delta.
    gemm(Transpose::Yes, Transpose::No, layer.out, layer.in, rows, R(1), delta, layer.out, input, layer.in, R(0),
         grad + layer.weight_offset, layer.in);
    R* db = grad + layer.bias_offset;
    std::fill(db, db + layer.out, R(0));
    for (int i = 0; i < rows; ++i)
      for (int j = 0; j < layer.out; ++j) db[j] += delta[std::size_t(i) * layer.out + j];
    if (l == 0) break;
    // dL/d(input) = delta W, then through tanh: * (1 - h^2).
    R* next = buffers[l % 2];
    gemm(Transpose::No, Transpose::No, rows, layer.in, layer.out, R(1), delta, layer.out,
         params + layer.weight_offset, layer.in, R(0), next, layer.in);
    for (std::size_t i = 0; i < std::size_t(rows) * layer.in; ++i) next[i] *= R(1) - input[i] * input[i];
    delta = next;
  }
}

}  // namespace

template <class R>
void forward(const ModelSpec& spec, const ParameterLayout& layout, const R* params, const R* x, int n,
             NetworkWorkspace<R>& ws) {
  allocate(spec, layout, n, ws);
#pragma omp parallel
  forward_rows(spec, layout, params, x, my_rows(n), ws);
}

template <class R>
double head_loss(const ModelSpec& spec, const R* t, int n, NetworkWorkspace<R>& ws, bool with_gradient) {
  ws.losses.resize(n);
  if (with_gradient) ws.dz.resize(std::size_t(n) * spec.head_width());
#pragma omp parallel
  head_loss_rows(spec, t, my_rows(n), with_gradient, R(1) / R(n), ws);
  return mean_of(ws.losses, n);
}

template <class R>
double loss_and_gradient(const ModelSpec& spec, const ParameterLayout& layout, const R* params, const R* x,
                         const R* t, int n, R* grad, NetworkWorkspace<R>& ws) {
  allocate(spec, layout, n, ws);
  ws.dz.resize(std::size_t(n) * spec.head_width());
  const std::size_t scratch = std::size_t(n) * layout.max_width();
  ws.delta_a.resize(scratch);
  ws.delta_b.resize(scratch);
  const int threads = omp_get_max_threads();
  ws.partial_grad.resize(std::size_t(threads) * layout.total);

#pragma omp parallel num_threads(threads)
  {
    const RowSlice rows = my_rows(n);
    forward_rows(spec, layout, params, x, rows, ws);
    head_loss_rows(spec, t, rows, true, R(1) / R(n), ws);
    backward_rows(spec, layout, params, x, rows, ws, ws.partial_grad.data() + std::size_t(omp_get_thread_num()) * layout.total);
  }
  // Sum the per-thread partials in thread order (deterministic).
  const int used = threads;
#pragma omp parallel for schedule(static) if (layout.total >= (1 << 16))
  for (std::size_t p = 0; p < layout.total; ++p) {
    R sum = ws.partial_grad[p];
    for (int th = 1; th < used; ++th) sum += ws.partial_grad[std::size_t(th) * layout.total + p];
    grad[p] = sum;
  }
  return mean_of(ws.losses, n);
}

#define MDN_INSTANTIATE_NETWORK(R)                                                                           \
  template void forward<R>(const ModelSpec&, const ParameterLayout&, const R*, const R*, int,               \
                           NetworkWorkspace<R>&);                                                            \
  template double head_loss<R>(const ModelSpec&, const R*, int, NetworkWorkspace<R>&, bool);                \
  template double loss_and_gradient<R>(const ModelSpec&, const ParameterLayout&, const R*, const R*, const R*, \
                                       int, R*, NetworkWorkspace<R>&);
MDN_INSTANTIATE_NETWORK(float)
MDN_INSTANTIATE_NETWORK(double)
#undef MDN_INSTANTIATE_NETWORK

}  // namespace mdn::cpu
