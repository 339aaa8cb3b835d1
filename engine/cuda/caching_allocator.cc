#include "engine/cuda/caching_allocator.h"

#include <algorithm>
#include <bit>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace tensord::engine::cuda {

namespace {

constexpr size_t kMinBlock = 512;
constexpr size_t kSmallLimit = size_t{1} << 20;  // 1 MiB

std::string Bytes(int64_t n) {
  if (n >= (int64_t{1} << 30)) return absl::StrFormat("%.2f GiB", static_cast<double>(n) / (1 << 30));
  return absl::StrFormat("%.2f MiB", static_cast<double>(n) / (1 << 20));
}

}  // namespace

CachingAllocator::CachingAllocator(std::unique_ptr<RawMemory> raw) : raw_(std::move(raw)) {}

CachingAllocator::~CachingAllocator() { EmptyCache(); }

size_t CachingAllocator::RoundSize(size_t nbytes) {
  if (nbytes <= kMinBlock) return kMinBlock;
  if (nbytes <= kSmallLimit) return (nbytes + kMinBlock - 1) / kMinBlock * kMinBlock;
  const size_t step = std::bit_floor(nbytes) / 4;  // quarter octave
  return (nbytes + step - 1) / step * step;
}

void* CachingAllocator::RawMallocLocked(size_t size) {
  void* p = raw_->Malloc(size);
  if (p == nullptr) return nullptr;
  ++stats_.num_raw_allocs;
  stats_.reserved_bytes += static_cast<int64_t>(size);
  stats_.peak_reserved_bytes = std::max(stats_.peak_reserved_bytes, stats_.reserved_bytes);
  return p;
}

void CachingAllocator::ReturnToDriverLocked(const std::vector<FreeKey>& keys) {
  for (const FreeKey& key : keys) {
    auto it = free_.find(key);
    if (it == free_.end()) continue;
    for (void* p : it->second) {
      raw_->Free(p);
      ++stats_.num_raw_frees;
      stats_.reserved_bytes -= static_cast<int64_t>(key.second);
    }
    free_.erase(it);
  }
}

absl::StatusOr<void*> CachingAllocator::Allocate(size_t nbytes, StreamId stream, AccountId account) {
  const size_t size = RoundSize(nbytes);
  std::lock_guard<std::mutex> lock(mu_);
  void* p = nullptr;
  if (auto it = free_.find(FreeKey{stream, size}); it != free_.end() && !it->second.empty()) {
    p = it->second.back();
    it->second.pop_back();
  } else {
    p = RawMallocLocked(size);
    if (p == nullptr) {  // out of memory: give back everything cached, then try once more
      std::vector<FreeKey> all;
      for (const auto& [key, blocks] : free_) all.push_back(key);
      ReturnToDriverLocked(all);
      p = RawMallocLocked(size);
    }
    if (p == nullptr) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "CUDA out of memory. Tried to allocate ", Bytes(static_cast<int64_t>(size)), " (", raw_->Describe(), "; ",
          Bytes(stats_.allocated_bytes), " already allocated; ", Bytes(stats_.reserved_bytes),
          " reserved in total by tensord)"));
    }
  }
  live_.emplace(p, Block{size, stream, account});
  ++stats_.num_allocs;
  stats_.allocated_bytes += static_cast<int64_t>(size);
  stats_.peak_allocated_bytes = std::max(stats_.peak_allocated_bytes, stats_.allocated_bytes);
  Account& a = accounts_[account];
  a.allocated += static_cast<int64_t>(size);
  a.peak = std::max(a.peak, a.allocated);
  return p;
}

void CachingAllocator::Free(void* p) {
  if (p == nullptr) return;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = live_.find(p);
  if (it == live_.end()) return;  // not ours: a programming error, but never a double free
  const Block b = it->second;
  live_.erase(it);
  stats_.allocated_bytes -= static_cast<int64_t>(b.size);
  if (auto acc = accounts_.find(b.account); acc != accounts_.end()) acc->second.allocated -= static_cast<int64_t>(b.size);
  free_[FreeKey{b.stream, b.size}].push_back(p);
}

void CachingAllocator::EmptyCache() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<FreeKey> all;
  for (const auto& [key, blocks] : free_) all.push_back(key);
  ReturnToDriverLocked(all);
}

void CachingAllocator::ReleaseStream(StreamId stream) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<FreeKey> mine;
  for (const auto& [key, blocks] : free_) {
    if (key.first == stream) mine.push_back(key);
  }
  ReturnToDriverLocked(mine);
}

void CachingAllocator::ForgetAccount(AccountId account) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = accounts_.find(account); it != accounts_.end() && it->second.allocated == 0) accounts_.erase(it);
}

MemoryStats CachingAllocator::Stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

MemoryStats CachingAllocator::AccountStats(AccountId account) const {
  std::lock_guard<std::mutex> lock(mu_);
  MemoryStats s;
  if (auto it = accounts_.find(account); it != accounts_.end()) {
    s.allocated_bytes = it->second.allocated;
    s.peak_allocated_bytes = it->second.peak;
  }
  return s;
}

void CachingAllocator::ResetPeak(AccountId account) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = accounts_.find(account); it != accounts_.end()) it->second.peak = it->second.allocated;
  stats_.peak_allocated_bytes = stats_.allocated_bytes;
  stats_.peak_reserved_bytes = stats_.reserved_bytes;
}

}  // namespace tensord::engine::cuda
