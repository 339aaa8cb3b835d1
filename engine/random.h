// The per-session random generator, bit-compatible with PyTorch's CPU
// generator: mt19937 seeded by manual_seed, with PyTorch's draw rules; and
// the counter-based state cuda random ops draw from (a different stream, as
// PyTorch's CUDA generator's numbers differ from its CPU generator's).
#pragma once

#include <cstdint>
#include <optional>

namespace tensord::engine {

class Generator {
 public:
  static constexpr uint64_t kDefaultSeed = 67280421310721ULL;  // PyTorch's default
  explicit Generator(uint64_t seed = kDefaultSeed) { ManualSeed(seed); }

  void ManualSeed(uint64_t seed);
  uint64_t initial_seed() const { return seed_; }

  uint32_t Random();    // one 32-bit mt19937 draw
  uint64_t Random64();  // two draws, PyTorch's order (hi, lo)

  // Cached second Box-Muller value for scalar normal draws (PyTorch keeps one
  // for double and one for float).
  std::optional<double> next_double_normal;
  std::optional<float> next_float_normal;

  // The CUDA state (Note [CUDA random numbers], cuda/random.cc): cuda random
  // ops draw from Philox4x32-10 keyed by the seed, at a counter offset that
  // each launch advances by the blocks it uses; ManualSeed restarts it at 0.
  uint64_t cuda_seed() const { return seed_; }
  uint64_t cuda_offset() const { return cuda_offset_; }
  // The offset of the next `blocks` counter blocks, reserved for one launch.
  uint64_t TakeCudaBlocks(uint64_t blocks) {
    const uint64_t first = cuda_offset_;
    cuda_offset_ += blocks;
    return first;
  }

 private:
  static constexpr int kN = 624;
  uint64_t seed_ = 0;
  uint32_t state_[kN];
  int left_ = 1;
  int next_ = 0;
  uint64_t cuda_offset_ = 0;
  void Twist();
};

// The generator random ops draw from on this thread (set per CallOp).
Generator* CurrentGenerator();
class GeneratorScope {
 public:
  explicit GeneratorScope(Generator* g);
  ~GeneratorScope();
  GeneratorScope(const GeneratorScope&) = delete;
  GeneratorScope& operator=(const GeneratorScope&) = delete;

 private:
  Generator* prev_;
};

}  // namespace tensord::engine
