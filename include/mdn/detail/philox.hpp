// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3",
// SC'11), written out for the host. It is the same function as cuRAND's
// curand_Philox4x32_10(uint4 counter, uint2 key): the sampling kernel calls
// cuRAND's, the CPU sampler calls this one, so one (counter, key) gives the
// same four words on both sides. Checked against the Random123 known-answer
// vectors in tests/cpu/sampling_test.cpp.
#pragma once
#include <cstdint>

#include "mdn/detail/host_device.hpp"

namespace mdn::detail {

struct Philox4x32 {
  std::uint32_t v[4];
};

MDN_HD Philox4x32 philox4x32_round(Philox4x32 c, std::uint32_t k0, std::uint32_t k1) {
  const std::uint64_t p0 = std::uint64_t(0xD2511F53u) * c.v[0];
  const std::uint64_t p1 = std::uint64_t(0xCD9E8D57u) * c.v[2];
  const std::uint32_t hi0 = std::uint32_t(p0 >> 32), lo0 = std::uint32_t(p0);
  const std::uint32_t hi1 = std::uint32_t(p1 >> 32), lo1 = std::uint32_t(p1);
  return Philox4x32{{hi1 ^ c.v[1] ^ k0, lo1, hi0 ^ c.v[3] ^ k1, lo0}};
}

// Ten rounds with the Weyl key schedule (key bumped between rounds).
MDN_HD Philox4x32 philox4x32_10(Philox4x32 counter, std::uint32_t k0, std::uint32_t k1) {
  for (int round = 0; round < 9; ++round) {
    counter = philox4x32_round(counter, k0, k1);
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return philox4x32_round(counter, k0, k1);
}

}  // namespace mdn::detail
