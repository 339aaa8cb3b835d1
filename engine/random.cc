#include "engine/random.h"

namespace tensord::engine {

namespace {
thread_local Generator* current_generator = nullptr;
}  // namespace

Generator* CurrentGenerator() { return current_generator; }
GeneratorScope::GeneratorScope(Generator* g) : prev_(current_generator) { current_generator = g; }
GeneratorScope::~GeneratorScope() { current_generator = prev_; }

// mt19937 exactly as PyTorch's at::mt19937 (the standard 32-bit Mersenne
// Twister; the seed is truncated to 32 bits).
void Generator::ManualSeed(uint64_t seed) {
  seed_ = seed;
  state_[0] = static_cast<uint32_t>(seed & 0xffffffffu);
  for (int j = 1; j < kN; ++j) {
    state_[j] = 1812433253u * (state_[j - 1] ^ (state_[j - 1] >> 30)) + static_cast<uint32_t>(j);
  }
  left_ = 1;
  next_ = 0;
  cuda_offset_ = 0;
  next_double_normal.reset();
  next_float_normal.reset();
}

void Generator::Twist() {
  constexpr int kM = 397;
  constexpr uint32_t kMatrixA = 0x9908b0dfu, kUpper = 0x80000000u, kLower = 0x7fffffffu;
  auto mix = [](uint32_t u, uint32_t v) {
    uint32_t y = (u & kUpper) | (v & kLower);
    return (y >> 1) ^ ((v & 1u) ? kMatrixA : 0u);
  };
  int j = 0;
  for (; j < kN - kM; ++j) state_[j] = state_[j + kM] ^ mix(state_[j], state_[j + 1]);
  for (; j < kN - 1; ++j) state_[j] = state_[j + kM - kN] ^ mix(state_[j], state_[j + 1]);
  state_[kN - 1] = state_[kM - 1] ^ mix(state_[kN - 1], state_[0]);
  left_ = kN;
  next_ = 0;
}

uint32_t Generator::Random() {
  if (--left_ == 0) Twist();
  uint32_t y = state_[next_++];
  y ^= (y >> 11);
  y ^= (y << 7) & 0x9d2c5680u;
  y ^= (y << 15) & 0xefc60000u;
  y ^= (y >> 18);
  return y;
}

uint64_t Generator::Random64() {
  uint64_t hi = Random();
  uint64_t lo = Random();
  return (hi << 32) | lo;
}

}  // namespace tensord::engine
