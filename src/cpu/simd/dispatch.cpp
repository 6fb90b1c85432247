// Chooses the element-wise kernels for this CPU (see kernels.hpp).
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <string>

#include "cpu/simd/kernels.hpp"
#include "mdn/error.hpp"

namespace mdn::cpu::simd {

extern const Kernels kKernelsPortable;
#if MDN_SIMD_X86
extern const Kernels kKernelsAvx2;
extern const Kernels kKernelsAvx512;
#endif

bool supported(Isa isa) {
  switch (isa) {
    case Isa::Portable:
      return true;
#if MDN_SIMD_X86
    case Isa::Avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case Isa::Avx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw");
#else
    default:
      return false;
#endif
  }
  return false;
}

const Kernels& kernels(Isa isa) {
  if (!supported(isa))
    throw Error(std::string("this CPU cannot run the ") +
                (isa == Isa::Avx512 ? "avx512"
                 : isa == Isa::Avx2 ? "avx2"
                                    : "portable") +
                " kernels");
#if MDN_SIMD_X86
  if (isa == Isa::Avx512) return kKernelsAvx512;
  if (isa == Isa::Avx2) return kKernelsAvx2;
#endif
  return kKernelsPortable;
}

namespace {
const Kernels& choose() {
  Isa cap = Isa::Avx512;
  if (const char* env = std::getenv("MDN_CPU_ISA")) {
    if (std::strcmp(env, "portable") == 0)
      cap = Isa::Portable;
    else if (std::strcmp(env, "avx2") == 0)
      cap = Isa::Avx2;
  }
  for (Isa isa : {Isa::Avx512, Isa::Avx2})
    if (int(isa) <= int(cap) && supported(isa)) return kernels(isa);
  return kKernelsPortable;
}

std::atomic<const Kernels*>& current() {
  static std::atomic<const Kernels*> chosen{&choose()};
  return chosen;
}

}  // namespace

const Kernels& kernels() { return *current().load(std::memory_order_relaxed); }

void use(Isa isa) { current().store(&kernels(isa), std::memory_order_relaxed); }

}  // namespace mdn::cpu::simd
