#include <cuda_runtime.h>

#include <cstddef>
#include <stdexcept>
#include <string>

#include "gpu/full_cov_device.hpp"
#include "mdn/detail/full_cov_gaussian.hpp"
#include "mdn/detail/full_cov_math.hpp"

namespace mdn::test {
namespace {

__global__ void full_cov_gaussian_kernel(const double* z, int rows, int K, int T, double lo, double hi,
                                         const int* observed, const double* y, const double* normals, double* draws,
                                         double* weights, double* means, int* ok) {
  const int r = blockIdx.x * blockDim.x + threadIdx.x;
  if (r >= rows) return;
  const double* zr = z + std::size_t(r) * detail::full_cov_head_width(K, T);
  double alpha[kFullCovDeviceMaxK], beta[kFullCovDeviceMaxK];
  detail::DenseGaussian comps[kFullCovDeviceMaxK], cond[kFullCovDeviceMaxK];
  detail::full_mixture_gaussians(zr, K, T, lo, hi, alpha, comps);
  detail::full_component_draw(zr, 0, K, T, lo, hi, normals + std::size_t(r) * T, draws + std::size_t(r) * T);
  ok[r] = detail::dense_mixture_condition(alpha, comps, K, observed, y + std::size_t(r) * T, beta, cond) ? 1 : 0;
  for (int k = 0; k < K; ++k) {
    weights[std::size_t(r) * K + k] = beta[k];
    for (int j = 0; j < cond[k].n; ++j) means[(std::size_t(r) * K + k) * T + j] = cond[k].mean[j];
  }
}

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(e));
}

template <class V>
V* to_device(const V* host, std::size_t count) {
  V* p = nullptr;
  check(cudaMalloc(&p, count * sizeof(V)), "cudaMalloc");
  if (host) check(cudaMemcpy(p, host, count * sizeof(V), cudaMemcpyHostToDevice), "cudaMemcpy");
  return p;
}

template <class V>
void to_host(V* host, V* device, std::size_t count) {
  check(cudaMemcpy(host, device, count * sizeof(V), cudaMemcpyDeviceToHost), "cudaMemcpy");
  check(cudaFree(device), "cudaFree");
}

}  // namespace

void full_cov_gaussian_on_device(const double* z, int rows, int K, int T, double lo, double hi, const int* observed,
                                 const double* y, const double* normals, double* draws, double* weights,
                                 double* means, int* ok) {
  if (K > kFullCovDeviceMaxK) throw std::runtime_error("full_cov_gaussian_on_device: K too large");
  const std::size_t n = std::size_t(rows);
  double* dz = to_device(z, n * detail::full_cov_head_width(K, T));
  int* dobs = to_device(observed, std::size_t(T));
  double* dy = to_device(y, n * T);
  double* dn = to_device(normals, n * T);
  double* ddraws = to_device<double>(nullptr, n * T);
  double* dw = to_device<double>(nullptr, n * K);
  double* dm = to_device<double>(nullptr, n * K * T);
  int* dok = to_device<int>(nullptr, n);
  full_cov_gaussian_kernel<<<(rows + 63) / 64, 64>>>(dz, rows, K, T, lo, hi, dobs, dy, dn, ddraws, dw, dm, dok);
  check(cudaGetLastError(), "launch");
  check(cudaDeviceSynchronize(), "kernel");
  to_host(draws, ddraws, n * T);
  to_host(weights, dw, n * K);
  to_host(means, dm, n * K * T);
  to_host(ok, dok, n);
  check(cudaFree(dz), "cudaFree");
  check(cudaFree(dobs), "cudaFree");
  check(cudaFree(dy), "cudaFree");
  check(cudaFree(dn), "cudaFree");
}

}  // namespace mdn::test
