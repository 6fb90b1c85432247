// The MLP + mixture head on the CPU, templated on the scalar so the same code
// runs in float (the backend) and in double (finite-difference checks).
//
// Shapes (row-major, n = batch): x (n x D); hidden[l] (n x H_l) holds
// tanh(pre-activation); z (n x K(1+2T)) the head pre-activations.
//
// Threading: the batch is cut into one contiguous row slice per OpenMP
// thread, and each thread runs the whole network forward and backward on its
// slice with single-threaded BLAS calls (rows are independent, so no barrier
// between layers). Weight gradients are per-thread partial sums added in
// thread order at the end, so a given thread count always gives the same bits.
#pragma once
#include <vector>

#include "mdn/spec.hpp"

namespace mdn::cpu {

template <class R>
struct NetworkWorkspace {
  std::vector<std::vector<R>> hidden;  // per hidden layer, n x H_l (tanh outputs)
  std::vector<R> z;                    // n x head_width
  std::vector<R> dz;                   // n x head_width, d(mean loss)/dz
  std::vector<R> delta_a, delta_b;     // n x max_width scratch for backprop
  std::vector<R> losses;               // n per-sample losses
  std::vector<R> partial_grad;         // threads x parameter count
};

// Fills ws.hidden and ws.z for the batch.
template <class R>
void forward(const ModelSpec& spec, const ParameterLayout& layout, const R* params, const R* x, int n,
             NetworkWorkspace<R>& ws);

// Per-sample losses of ws.z into ws.losses (and dz when with_gradient);
// returns their mean, summed in a fixed order in double.
template <class R>
double head_loss(const ModelSpec& spec, const R* t, int n, NetworkWorkspace<R>& ws, bool with_gradient);

// Forward + loss + backward: writes (=) d(mean loss)/d(params) into grad
// (layout.total entries). Returns the mean loss.
template <class R>
double loss_and_gradient(const ModelSpec& spec, const ParameterLayout& layout, const R* params, const R* x,
                         const R* t, int n, R* grad, NetworkWorkspace<R>& ws);

}  // namespace mdn::cpu
