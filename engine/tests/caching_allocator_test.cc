// The caching device allocator's policy, over a bounded host heap standing in
// for cudaMalloc/cudaFree: runs on every machine, GPU or not.
#include "engine/cuda/caching_allocator.h"

#include <cstdlib>
#include <map>
#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tensord::engine::cuda {
namespace {

using ::testing::HasSubstr;

// A "device" with `capacity` bytes that counts driver calls.
class FakeDevice : public RawMemory {
 public:
  explicit FakeDevice(size_t capacity, int* mallocs, int* frees, size_t* in_use)
      : capacity_(capacity), mallocs_(mallocs), frees_(frees), in_use_(in_use) {}
  void* Malloc(size_t n) override {
    if (*in_use_ + n > capacity_) return nullptr;
    ++*mallocs_;
    *in_use_ += n;
    void* p = std::malloc(n);
    sizes_[p] = n;
    return p;
  }
  void Free(void* p) override {
    ++*frees_;
    *in_use_ -= sizes_.at(p);
    sizes_.erase(p);
    std::free(p);
  }
  std::string Describe() const override { return "fake GPU; 1.00 MiB total capacity"; }

 private:
  size_t capacity_;
  int* mallocs_;
  int* frees_;
  size_t* in_use_;
  std::map<void*, size_t> sizes_;
};

class CachingAllocatorTest : public ::testing::Test {
 protected:
  std::unique_ptr<CachingAllocator> Make(size_t capacity) {
    return std::make_unique<CachingAllocator>(std::make_unique<FakeDevice>(capacity, &mallocs_, &frees_, &in_use_));
  }
  int mallocs_ = 0, frees_ = 0;
  size_t in_use_ = 0;
};

TEST(RoundSizeTest, SmallRequestsRoundTo512BytesLargeOnesToQuarterOctaves) {
  EXPECT_EQ(CachingAllocator::RoundSize(0), 512u);
  EXPECT_EQ(CachingAllocator::RoundSize(1), 512u);
  EXPECT_EQ(CachingAllocator::RoundSize(513), 1024u);
  EXPECT_EQ(CachingAllocator::RoundSize(4000), 4096u);
  EXPECT_EQ(CachingAllocator::RoundSize(1 << 20), 1u << 20);
  EXPECT_EQ(CachingAllocator::RoundSize((1 << 20) + 1), (1u << 20) + (1u << 18));
  EXPECT_EQ(CachingAllocator::RoundSize(100u << 20), 112u << 20);  // 64 MiB octave: 16 MiB steps
  for (size_t n : {size_t{1000}, size_t{123457}, size_t{3} << 20, (size_t{1} << 33) + 5}) {
    const size_t r = CachingAllocator::RoundSize(n);
    EXPECT_GE(r, n);
    EXPECT_LE(static_cast<double>(r), 1.25 * static_cast<double>(n) + 512) << n;
  }
}

TEST_F(CachingAllocatorTest, SteadyStateNeverReachesTheDriver) {
  auto alloc = Make(64 << 20);
  auto step = [&] {  // one "training step": the same sizes each time
    std::vector<void*> blocks;
    for (size_t n : {4096u, 4096u, 1u << 20, 3u << 20, 777u}) blocks.push_back(alloc->Allocate(n, 1, 7).value());
    for (void* p : blocks) alloc->Free(p);
  };
  step();
  const int warm_mallocs = mallocs_;
  for (int i = 0; i < 1000; ++i) step();
  EXPECT_EQ(mallocs_, warm_mallocs);
  EXPECT_EQ(frees_, 0);
  EXPECT_EQ(alloc->Stats().num_allocs, 5 * 1001);
  EXPECT_EQ(alloc->Stats().num_raw_allocs, warm_mallocs);
}

TEST_F(CachingAllocatorTest, BlocksAreReusedOnlyOnTheirOwnStream) {
  auto alloc = Make(64 << 20);
  void* a = alloc->Allocate(4096, /*stream=*/1, 7).value();
  alloc->Free(a);
  void* b = alloc->Allocate(4096, /*stream=*/2, 7).value();
  EXPECT_NE(a, b);
  EXPECT_EQ(mallocs_, 2);
  void* c = alloc->Allocate(4000, /*stream=*/1, 7).value();  // same size class, same stream
  EXPECT_EQ(a, c);
  alloc->Free(b);
  alloc->Free(c);
}

TEST_F(CachingAllocatorTest, ChargesEachAccountAndTracksPeaks) {
  auto alloc = Make(64 << 20);
  void* a = alloc->Allocate(1000, 1, /*account=*/1).value();
  void* b = alloc->Allocate(5000, 2, /*account=*/2).value();
  void* c = alloc->Allocate(5000, 2, /*account=*/2).value();
  EXPECT_EQ(alloc->AccountStats(1).allocated_bytes, 1024);
  EXPECT_EQ(alloc->AccountStats(2).allocated_bytes, 2 * 5120);
  EXPECT_EQ(alloc->Stats().allocated_bytes, 1024 + 2 * 5120);
  alloc->Free(b);
  EXPECT_EQ(alloc->AccountStats(2).allocated_bytes, 5120);
  EXPECT_EQ(alloc->AccountStats(2).peak_allocated_bytes, 2 * 5120);
  alloc->ResetPeak(2);
  EXPECT_EQ(alloc->AccountStats(2).peak_allocated_bytes, 5120);
  EXPECT_EQ(alloc->Stats().reserved_bytes, 1024 + 2 * 5120);  // b is cached, still reserved
  alloc->Free(a);
  alloc->Free(c);
  EXPECT_EQ(alloc->Stats().allocated_bytes, 0);
  alloc->ForgetAccount(2);
  EXPECT_EQ(alloc->AccountStats(2).peak_allocated_bytes, 0);
}

TEST_F(CachingAllocatorTest, EmptyCacheAndReleaseStreamReturnMemoryToTheDriver) {
  auto alloc = Make(64 << 20);
  void* a = alloc->Allocate(4096, 1, 1).value();
  void* b = alloc->Allocate(4096, 2, 2).value();
  void* live = alloc->Allocate(4096, 2, 2).value();
  alloc->Free(a);
  alloc->Free(b);
  alloc->ReleaseStream(2);  // session 2 closed: its cached block goes back; `live` stays
  EXPECT_EQ(frees_, 1);
  EXPECT_EQ(in_use_, 2u * 4096);
  alloc->EmptyCache();
  EXPECT_EQ(frees_, 2);
  EXPECT_EQ(in_use_, 4096u);
  EXPECT_EQ(alloc->Stats().reserved_bytes, 4096);
  alloc->Free(live);
}

TEST_F(CachingAllocatorTest, OutOfMemoryEmptiesTheCacheRetriesThenFailsAlone) {
  auto alloc = Make(1 << 20);
  // Fill the device with cached blocks of another size class and stream.
  std::vector<void*> blocks;
  for (int i = 0; i < 4; ++i) blocks.push_back(alloc->Allocate(256 << 10, 1, 1).value());
  for (void* p : blocks) alloc->Free(p);
  EXPECT_EQ(in_use_, 1u << 20);
  // A request that fits only after the cache is returned succeeds.
  void* big = alloc->Allocate(512 << 10, 2, 2).value();
  EXPECT_EQ(frees_, 4);
  // One that can never fit fails with RESOURCE_EXHAUSTED and a useful message...
  absl::StatusOr<void*> huge = alloc->Allocate(2 << 20, 2, 2);
  EXPECT_EQ(huge.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(huge.status().message()),
              HasSubstr("CUDA out of memory. Tried to allocate 2.00 MiB (fake GPU; 1.00 MiB total capacity"));
  // ...and leaves the allocator usable.
  void* small = alloc->Allocate(1024, 2, 2).value();
  EXPECT_EQ(alloc->AccountStats(2).allocated_bytes, (512 << 10) + 1024);
  alloc->Free(big);
  alloc->Free(small);
}

TEST_F(CachingAllocatorTest, DestructionReturnsTheCache) {
  {
    auto alloc = Make(64 << 20);
    alloc->Free(alloc->Allocate(4096, 1, 1).value());
  }
  EXPECT_EQ(mallocs_, 1);
  EXPECT_EQ(frees_, 1);
  EXPECT_EQ(in_use_, 0u);
}

}  // namespace
}  // namespace tensord::engine::cuda
