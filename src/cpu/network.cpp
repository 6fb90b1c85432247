#include "cpu/network.hpp"

#include <cmath>
#include <cstddef>

#include "cpu/blas.hpp"
#include "mdn/detail/mixture_math.hpp"

namespace mdn::cpu {
namespace {

// y (n x out) = tanh(x W^T + b)   or, for the head, x W^T + b.
template <class R>
void dense(const LayerSlice& layer, const R* params, const R* x, int n, bool apply_tanh, R* y) {
  const R* w = params + layer.weight_offset;
  const R* b = params + layer.bias_offset;
  gemm(Transpose::No, Transpose::Yes, n, layer.out, layer.in, R(1), x, layer.in, w, layer.in, R(0), y, layer.out);
#pragma omp parallel for schedule(static)
  for (int i = 0; i < n; ++i) {
    R* row = y + std::size_t(i) * layer.out;
    for (int j = 0; j < layer.out; ++j) row[j] = apply_tanh ? std::tanh(row[j] + b[j]) : row[j] + b[j];
  }
}

// Parameter gradients of one dense layer from dL/d(pre-activation) `delta`
// (n x out) and its input `input` (n x in): dW = delta^T input, db = column
// sums of delta (fixed row order, so deterministic). Both written with `=`.
template <class R>
void dense_param_grad(const LayerSlice& layer, const R* delta, const R* input, int n, R* grad) {
  gemm(Transpose::Yes, Transpose::No, layer.out, layer.in, n, R(1), delta, layer.out, input, layer.in, R(0),
       grad + layer.weight_offset, layer.in);
  R* db = grad + layer.bias_offset;
  std::vector<double> acc(layer.out, 0.0);
  for (int i = 0; i < n; ++i) {
    const R* row = delta + std::size_t(i) * layer.out;
    for (int j = 0; j < layer.out; ++j) acc[j] += row[j];
  }
  for (int j = 0; j < layer.out; ++j) db[j] = R(acc[j]);
}

}  // namespace

template <class R>
void forward(const ModelSpec& spec, const ParameterLayout& layout, const R* params, const R* x, int n,
             NetworkWorkspace<R>& ws) {
  const std::size_t hidden_layers = spec.hidden.size();
  ws.hidden.resize(hidden_layers);
  const R* input = x;
  for (std::size_t l = 0; l < hidden_layers; ++l) {
    ws.hidden[l].resize(std::size_t(n) * layout.layers[l].out);
    dense(layout.layers[l], params, input, n, true, ws.hidden[l].data());
    input = ws.hidden[l].data();
  }
  ws.z.resize(std::size_t(n) * layout.head().out);
  dense(layout.head(), params, input, n, false, ws.z.data());
}

template <class R>
double head_loss(const ModelSpec& spec, const R* t, int n, NetworkWorkspace<R>& ws, bool with_gradient) {
  const int K = spec.components, T = spec.target_dim, width = spec.head_width();
  const R lo = R(spec.log_sigma_min), hi = R(spec.log_sigma_max);
  const R scale = R(1) / R(n);
  ws.losses.resize(n);
  if (with_gradient) ws.dz.resize(std::size_t(n) * width);
#pragma omp parallel for schedule(static)
  for (int i = 0; i < n; ++i) {
    const R* zi = ws.z.data() + std::size_t(i) * width;
    const R* ti = t + std::size_t(i) * T;
    ws.losses[i] = with_gradient
                       ? detail::mixture_nll_and_grad(zi, ti, K, T, lo, hi, scale, ws.dz.data() + std::size_t(i) * width)
                       : detail::mixture_nll(zi, ti, K, T, lo, hi);
  }
  double sum = 0.0;
  for (int i = 0; i < n; ++i) sum += double(ws.losses[i]);
  return sum / n;
}

template <class R>
double loss_and_gradient(const ModelSpec& spec, const ParameterLayout& layout, const R* params, const R* x,
                         const R* t, int n, R* grad, NetworkWorkspace<R>& ws) {
  forward(spec, layout, params, x, n, ws);
  const double loss = head_loss(spec, t, n, ws, true);

  const int L = int(spec.hidden.size());
  const std::size_t scratch = std::size_t(n) * layout.max_width();
  ws.delta_a.resize(scratch);
  ws.delta_b.resize(scratch);

  // delta = dL/d(pre-activation) of the current layer; starts as dz.
  const R* delta = ws.dz.data();
  for (int l = L; l >= 0; --l) {
    const LayerSlice& layer = layout.layers[l];
    const R* input = l == 0 ? x : ws.hidden[l - 1].data();
    dense_param_grad(layer, delta, input, n, grad);
    if (l == 0) break;
    // dL/d(input) = delta W, then through tanh: * (1 - h^2).
    R* next = (delta == ws.delta_a.data()) ? ws.delta_b.data() : ws.delta_a.data();
    gemm(Transpose::No, Transpose::No, n, layer.in, layer.out, R(1), delta, layer.out, params + layer.weight_offset,
         layer.in, R(0), next, layer.in);
    const R* h = ws.hidden[l - 1].data();
    const std::size_t count = std::size_t(n) * layer.in;
#pragma omp parallel for schedule(static)
    for (std::size_t i = 0; i < count; ++i) next[i] *= R(1) - h[i] * h[i];
    delta = next;
  }
  return loss;
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
