// A session: the handle table, random generator and usage of one client
// session (Note [Sessions] and Note [Handles] in tensord.proto).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <variant>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "engine/cuda/context.h"
#include "engine/random.h"
#include "engine/tensor.h"

namespace tensord::server {

// A handle bound to the failure of the command that should have produced it
// (Note [Ordering and poisoning]). Readers fail with `status` unchanged.
struct Poison {
  absl::Status status;  // the original error, site suffix included
  std::string op;       // the failed command: "matmul", "create", ...
  std::string site;     // the client call site that issued it, if sent
};

class Session {
 public:
  using Entry = std::variant<engine::Tensor, Poison>;

  Session(std::string id, std::string owner, absl::Duration idle_ttl, absl::Time now);
  // Frees the session's tensors, then its CUDA context (Note [Streams and
  // sessions] in engine/cuda/context.h).
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  const std::string& id() const { return id_; }
  const std::string& owner() const { return owner_; }
  absl::Duration idle_ttl() const { return idle_ttl_; }

  // Serialises the session's commands (they run one at a time, in order).
  absl::Mutex& mu() const ABSL_LOCK_RETURNED(mu_) { return mu_; }

  // The bound entry of `handle`, or null. The pointer is valid until the
  // table next changes.
  const Entry* Find(uint64_t handle) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool Contains(uint64_t handle) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // `handle` must be nonzero and unbound.
  void Bind(uint64_t handle, engine::Tensor tensor) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void BindPoison(uint64_t handle, Poison poison) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Returns false if `handle` was not bound.
  bool Unbind(uint64_t handle) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Host bytes that binding `tensors` would add: cpu storages no handle
  // references yet, each counted once.
  int64_t AddedBytes(absl::Span<const engine::Tensor> tensors) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  // The generator of ops on the cpu, and of ops on a cuda device
  // (ManualSeedCommand in tensord.proto).
  engine::Generator& generator() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return generator_; }
  engine::Generator& cuda_generator() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return cuda_generator_; }

  // Who the session's device work is done for: its memory account (a
  // process-unique number, never 0) and its stream on each device. Every
  // command of the session runs under an engine::cuda::ContextScope of it.
  engine::cuda::Context& cuda_context() const { return *cuda_context_; }

  // Usage, readable from any thread without the lock.
  int64_t num_handles() const { return num_handles_.load(std::memory_order_relaxed); }
  // Sum of nbytes of the distinct cpu storages referenced by bound handles
  // (--max-session-bytes limits it). Device memory is not counted here: the
  // device bounds it, and its caching allocator accounts for it per session
  // (Executor::MemoryStats).
  int64_t bytes() const { return bytes_.load(std::memory_order_relaxed); }

  // Idle accounting; any thread.
  void Touch(absl::Time now);
  absl::Time last_used() const;

 private:
  struct StorageUse {
    int64_t handles = 0;
    int64_t nbytes = 0;
  };
  void AddStorage(const engine::Tensor& t) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void DropStorage(const engine::Tensor& t) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const std::string id_;
  const std::string owner_;
  const absl::Duration idle_ttl_;
  // Outlives handles_ (the destructor frees the tensors first).
  std::unique_ptr<engine::cuda::Context> cuda_context_;

  mutable absl::Mutex mu_;
  absl::flat_hash_map<uint64_t, Entry> handles_ ABSL_GUARDED_BY(mu_);
  // Storage id -> how many bound handles reference it (for bytes()).
  absl::flat_hash_map<uint64_t, StorageUse> storages_ ABSL_GUARDED_BY(mu_);
  engine::Generator generator_ ABSL_GUARDED_BY(mu_);
  engine::Generator cuda_generator_ ABSL_GUARDED_BY(mu_);

  std::atomic<int64_t> num_handles_{0};
  std::atomic<int64_t> bytes_{0};
  std::atomic<int64_t> last_used_ns_;
};

}  // namespace tensord::server
