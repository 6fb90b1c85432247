// BM_VectorMath/<function>/<path>/<count>: the CPU backend's vectorised
// tanh, exp and log (src/cpu/simd) on each dispatch path this CPU can run,
// and the C library's scalar tanhf/expf/logf (path "libm") for scale, over
// `count` floats that stay in L1/L2. items_per_second = floats per second.
// Paths this CPU cannot run report SkipWithError.
#include <benchmark/benchmark.h>

#include <cmath>
#include <string>
#include <vector>

#include "cpu/simd/kernels.hpp"

namespace {

using mdn::cpu::simd::Isa;

enum class Function { Tanh, Exp, Log };

void vector_math(benchmark::State& state, Function function, int path) {
  const std::size_t count = std::size_t(state.range(0));
  std::vector<float> x(count), y(count);
  for (std::size_t i = 0; i < count; ++i) {
    const float u = float(i) / float(count);
    x[i] = function == Function::Log ? 1e-3f + 100.0f * u : -6.0f + 12.0f * u;  // where the network evaluates them
  }
  if (path < 0) {  // the C library, one float at a time
    float (*f)(float) = function == Function::Tanh ? tanhf : function == Function::Exp ? expf : logf;
    for (auto _ : state) {
      for (std::size_t i = 0; i < count; ++i) y[i] = f(x[i]);
      benchmark::DoNotOptimize(y.data());
    }
  } else {
    const Isa isa = Isa(path);
    if (!mdn::cpu::simd::supported(isa)) {
      state.SkipWithError("this CPU cannot run this path");
      return;
    }
    const mdn::cpu::simd::Kernels& k = mdn::cpu::simd::kernels(isa);
    auto f = function == Function::Tanh ? k.tanh : function == Function::Exp ? k.exp : k.log;
    for (auto _ : state) {
      f(x.data(), y.data(), count);
      benchmark::DoNotOptimize(y.data());
    }
  }
  state.SetItemsProcessed(std::int64_t(state.iterations()) * std::int64_t(count));
}

const bool registered = [] {
  const char* functions[] = {"tanh", "exp", "log"};
  const char* paths[] = {"portable", "avx2", "avx512"};
  for (int f = 0; f < 3; ++f)
    for (int path = -1; path < 3; ++path) {
      const std::string name = std::string("BM_VectorMath/") + functions[f] + "/" + (path < 0 ? "libm" : paths[path]);
      benchmark::RegisterBenchmark(name.c_str(), vector_math, Function(f), path)->Arg(16384);
    }
  return true;
}();

}  // namespace
