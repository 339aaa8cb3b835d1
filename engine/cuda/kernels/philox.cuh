// Philox4x32-10 (Salmon, Moraes, Dror, Shaw: "Parallel random numbers: as
// easy as 1, 2, 3", SC 2011), the counter-based generator behind cuRAND's
// and PyTorch's CUDA random numbers. Pure integer arithmetic, so the GPU and
// the host emulator produce the same bits; engine tests check it against
// Random123's published known-answer vectors (kat_vectors).
#pragma once

#include "engine/cuda/kernels/common.cuh"

namespace tensord::engine::cuda::TENSORD_KERNEL_NS {

struct Philox4x32 {
  uint32_t v[4];
};

// Ten rounds of Philox4x32 on `counter` under `key` (Random123's
// philox4x32_R(10, ctr, key): round, then bump the key, with the final bump
// unused).
TD_HD inline Philox4x32 Philox4x32_10(Philox4x32 counter, uint32_t key0, uint32_t key1) {
  constexpr uint32_t kM0 = 0xD2511F53u, kM1 = 0xCD9E8D57u;  // multipliers
  constexpr uint32_t kW0 = 0x9E3779B9u, kW1 = 0xBB67AE85u;  // Weyl key increments
  uint32_t c0 = counter.v[0], c1 = counter.v[1], c2 = counter.v[2], c3 = counter.v[3];
  for (int round = 0; round < 10; ++round) {
    const uint64_t p0 = static_cast<uint64_t>(kM0) * c0;
    const uint64_t p1 = static_cast<uint64_t>(kM1) * c2;
    const uint32_t hi0 = static_cast<uint32_t>(p0 >> 32), lo0 = static_cast<uint32_t>(p0);
    const uint32_t hi1 = static_cast<uint32_t>(p1 >> 32), lo1 = static_cast<uint32_t>(p1);
    c0 = hi1 ^ c1 ^ key0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ key1;
    c3 = lo0;
    key0 += kW0;
    key1 += kW1;
  }
  return Philox4x32{{c0, c1, c2, c3}};
}

// The four words of block `block` of the stream keyed by `seed`: counter
// (block low, block high, 0, 0), key (seed low, seed high).
TD_HD inline Philox4x32 PhiloxBlock(uint64_t seed, uint64_t block) {
  return Philox4x32_10(Philox4x32{{static_cast<uint32_t>(block), static_cast<uint32_t>(block >> 32), 0u, 0u}},
                       static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32));
}

}  // namespace tensord::engine::cuda::TENSORD_KERNEL_NS
