// The per-session random generator, bit-compatible with PyTorch's CPU
// generator: mt19937 seeded by manual_seed, with PyTorch's draw rules.
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

 private:
  static constexpr int kN = 624;
  uint64_t seed_ = 0;
  uint32_t state_[kN];
  int left_ = 1;
  int next_ = 0;
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
