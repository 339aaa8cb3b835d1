// The CUDA backend's indexing, random and fused-optimizer kernels against
// the CPU's (on a GPU, or the host emulator: TENSORD_CUDA_EMULATOR), and the
// Philox4x32-10 generator they draw from against its published answers.
#include <cmath>

#include "engine/cuda/kernels/philox.cuh"
#include "engine/tests/test_util.h"

namespace tensord::engine {
namespace {

using namespace testing;  // NOLINT

// Random123's kat_vectors, the three philox4x32 10 lines: counter, key, result.
TEST(PhiloxTest, MatchesRandom123KnownAnswers) {
  struct Case {
    uint32_t ctr[4], key[2], want[4];
  };
  const Case cases[] = {
      {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
      {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff},
       {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
      {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0},
       {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
  };
  for (const Case& c : cases) {
    const cuda::emu::Philox4x32 out =
        cuda::emu::Philox4x32_10({{c.ctr[0], c.ctr[1], c.ctr[2], c.ctr[3]}}, c.key[0], c.key[1]);
    EXPECT_THAT(out.v, ::testing::ElementsAre(c.want[0], c.want[1], c.want[2], c.want[3]));
  }
}

}  // namespace
}  // namespace tensord::engine
