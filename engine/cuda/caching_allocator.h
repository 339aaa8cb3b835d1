// The caching device allocator: steady-state training never reaches the
// driver's malloc/free.
//
// Requests are rounded to size classes (multiples of 512 B up to 1 MiB, then
// quarter octaves: at most 25% slack) and freed blocks wait on a free list
// keyed by (stream, size class) for the next request of that class on the
// same stream. Keeping blocks per stream is what makes reuse safe without
// events: work queued on one stream runs in order, so a block freed after
// its last use on stream S may be handed to the next kernel on S at once.
//
// Every live block is charged to an account (the session that allocated
// it), so the server can report and limit memory per session; a closing
// session's stream is released with ReleaseStream, which returns its cached
// blocks to the driver. When the driver says no, the allocator returns every
// cached block and retries once before reporting RESOURCE_EXHAUSTED, so one
// oversized command fails alone and the session goes on.
//
// The allocator is plain C++ over a RawMemory interface: cudaMalloc/cudaFree
// in the CUDA build (cuda/runtime.cc), a bounded host heap in the tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"

namespace tensord::engine::cuda {

// Where raw memory comes from.
class RawMemory {
 public:
  virtual ~RawMemory() = default;
  // nullptr when the device is out of memory.
  virtual void* Malloc(size_t nbytes) = 0;
  virtual void Free(void* p) = 0;
  // For error messages: "GPU 0; 79.10 GiB total capacity".
  virtual std::string Describe() const = 0;
};

using StreamId = uintptr_t;  // a cudaStream_t as an integer (0: the default stream)
using AccountId = uint64_t;  // who is charged for a block (a session); 0: nobody

struct MemoryStats {
  int64_t allocated_bytes = 0;       // live blocks (rounded sizes)
  int64_t peak_allocated_bytes = 0;  // since the last ResetPeak
  int64_t reserved_bytes = 0;        // live + cached: what the driver gave us
  int64_t peak_reserved_bytes = 0;
  int64_t num_allocs = 0;            // Allocate calls that succeeded
  int64_t num_raw_allocs = 0;        // of which reached RawMemory::Malloc
  int64_t num_raw_frees = 0;
};

class CachingAllocator {
 public:
  explicit CachingAllocator(std::unique_ptr<RawMemory> raw);
  ~CachingAllocator();  // returns every cached block; live blocks are the owners' to free
  CachingAllocator(const CachingAllocator&) = delete;
  CachingAllocator& operator=(const CachingAllocator&) = delete;

  // The size class a request of `nbytes` is served from.
  static size_t RoundSize(size_t nbytes);

  // A block of at least `nbytes` for work on `stream`, charged to `account`.
  // RESOURCE_EXHAUSTED when the device cannot hold it even after the cache
  // is emptied.
  absl::StatusOr<void*> Allocate(size_t nbytes, StreamId stream, AccountId account);
  // Returns a block from Allocate to its stream's free list.
  void Free(void* p);

  // Returns every cached (free) block to the driver.
  void EmptyCache();
  // The stream is going away (its session closed): its cached blocks go
  // back to the driver. Blocks still live stay valid until freed.
  void ReleaseStream(StreamId stream);

  // Drops the record of an account that holds no memory any more.
  void ForgetAccount(AccountId account);

  MemoryStats Stats() const;
  // allocated/peak_allocated of one account (the reserved fields are 0).
  MemoryStats AccountStats(AccountId account) const;
  void ResetPeak(AccountId account);  // and the device-wide peaks

 private:
  struct Block {
    size_t size;  // rounded
    StreamId stream;
    AccountId account;
  };
  struct Account {
    int64_t allocated = 0;
    int64_t peak = 0;
  };
  using FreeKey = std::pair<StreamId, size_t>;

  void* RawMallocLocked(size_t size);
  void ReturnToDriverLocked(const std::vector<FreeKey>& keys);

  std::unique_ptr<RawMemory> raw_;
  mutable std::mutex mu_;
  absl::flat_hash_map<void*, Block> live_;
  absl::flat_hash_map<FreeKey, std::vector<void*>> free_;
  absl::flat_hash_map<AccountId, Account> accounts_;
  MemoryStats stats_;
};

}  // namespace tensord::engine::cuda
