// The CUDA runtime: device discovery, the caching allocator over cudaMalloc,
// copies and fills. Needs a GPU, or the emulator (ctest runs this binary
// again with TENSORD_CUDA_EMULATOR); skipped (and reported skipped) without.
#include "engine/cuda/runtime.h"

#include <cstring>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tensord::engine::cuda {
namespace {

TEST(CudaRuntimeTest, BuildAndDevicesAreReportedConsistently) {
  if (Get().emulated()) {
    for (const DeviceProperties& d : Devices()) EXPECT_THAT(d.name, ::testing::HasSubstr("emulator"));
  }
#ifdef TENSORD_HAVE_CUDA
  EXPECT_TRUE(CompiledWithCuda());
#else
  EXPECT_FALSE(CompiledWithCuda());
#endif
  // Either there are devices, or a reason why not; never neither.
  EXPECT_NE(Devices().empty(), UnavailableReason().empty());
  for (const DeviceProperties& d : Devices()) {
    EXPECT_FALSE(d.name.empty());
    EXPECT_GT(d.total_memory, 0);
    EXPECT_GE(d.major, 5);
  }
}

class CudaDeviceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (Devices().empty()) GTEST_SKIP() << "no GPU: " << UnavailableReason();
  }
};

TEST_F(CudaDeviceTest, FillCopyAndReadBackEveryItemSize) {
  CachingAllocator& alloc = Allocator(0);
  const int64_t n = 100003;  // not a multiple of the block size
  for (int itemsize : {1, 2, 4, 8}) {
    void* d = alloc.Allocate(n * itemsize, 0, 1).value();
    const uint64_t pattern = 0x0123456789abcdefull & ((itemsize == 8 ? 0 : (uint64_t{1} << (8 * itemsize))) - 1);
    ASSERT_TRUE(Get().Check(Get().launchers().Fill(FillArgs{d, n, itemsize, pattern}, 0), "fill").ok());
    std::vector<unsigned char> host(n * itemsize);
    ASSERT_TRUE(Get().CopyToHost(0, host.data(), d, host.size(), 0).ok());
    for (int64_t i = 0; i < n; i += 9973) {
      uint64_t v = 0;
      std::memcpy(&v, host.data() + i * itemsize, itemsize);
      EXPECT_EQ(v, pattern) << "itemsize " << itemsize << " at " << i;
    }
    // Round trip through a second block.
    void* d2 = alloc.Allocate(n * itemsize, 0, 1).value();
    ASSERT_TRUE(Get().CopyOnDevice(0, d2, d, host.size(), 0).ok());
    ASSERT_TRUE(Get().Zero(0, d, host.size(), 0).ok());
    std::vector<unsigned char> back(host.size());
    ASSERT_TRUE(Get().CopyToHost(0, back.data(), d2, back.size(), 0).ok());
    EXPECT_EQ(back, host);
    alloc.Free(d);
    alloc.Free(d2);
  }
}

TEST_F(CudaDeviceTest, OutOfMemoryIsResourceExhaustedAndTheDeviceStaysUsable) {
  CachingAllocator& alloc = Allocator(0);
  const int64_t total = Devices()[0].total_memory;
  absl::StatusOr<void*> huge = alloc.Allocate(static_cast<size_t>(total) * 2, 0, 1);
  EXPECT_EQ(huge.status().code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(std::string(huge.status().message()), ::testing::HasSubstr("CUDA out of memory"));
  void* p = alloc.Allocate(1 << 20, 0, 1).value();
  EXPECT_TRUE(Get().Zero(0, p, 1 << 20, 0).ok());
  alloc.Free(p);
}

TEST_F(CudaDeviceTest, EmptyCacheReturnsMemoryToTheDriver) {
  CachingAllocator& alloc = Allocator(0);
  alloc.EmptyCache();
  const int64_t before = alloc.Stats().reserved_bytes;
  void* p = alloc.Allocate(256 << 20, 0, 1).value();
  alloc.Free(p);
  EXPECT_EQ(alloc.Stats().reserved_bytes, before + (256 << 20));
  alloc.EmptyCache();
  EXPECT_EQ(alloc.Stats().reserved_bytes, before);
}

// Host <-> device copies go through two pinned staging buffers of 8 MiB in
// turn (runtime.cc): sizes past two chunks, with a ragged tail, on a stream.
TEST_F(CudaDeviceTest, LargeCopiesThroughTheStagingBuffersRoundTrip) {
  CachingAllocator& alloc = Allocator(0);
  StreamId stream = Get().NewStream(0).value();
  for (size_t n : {size_t{1}, size_t{8} << 20, (size_t{16} << 20) + 12345}) {
    std::vector<unsigned char> host(n), back(n, 0);
    for (size_t i = 0; i < n; ++i) host[i] = static_cast<unsigned char>((i * 2654435761u) >> 13);
    void* d = alloc.Allocate(n, stream, 1).value();
    ASSERT_TRUE(Get().CopyToDevice(0, d, host.data(), n, stream).ok());
    ASSERT_TRUE(Get().CopyToHost(0, back.data(), d, n, stream).ok());
    EXPECT_EQ(back, host) << n << " bytes";
    alloc.Free(d);
  }
  ASSERT_TRUE(Get().Synchronize(0, stream).ok());
  alloc.ReleaseStream(stream);
  Get().DestroyStream(0, stream);
}

}  // namespace
}  // namespace tensord::engine::cuda
