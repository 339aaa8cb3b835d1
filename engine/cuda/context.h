// Who device work is done for: the account memory is charged to and the
// stream per device that work is queued on.
//
// Note [Streams and sessions]
//   The server gives every session a Context: its own stream on each device
//   it uses (created on first use), so sessions overlap on one GPU while each
//   session's work stays in order, and every block it allocates is charged to
//   its account (memory_allocated, per-session limits). Closing a session
//   drops its tensors first, then its Context, which waits for its streams,
//   destroys them and returns their cached blocks to the driver. Code that
//   runs without a Context (engine tests, tools) uses account 0 and each
//   device's default stream.
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

#include "absl/status/statusor.h"
#include "engine/cuda/caching_allocator.h"

namespace tensord::engine::cuda {

class Context {
 public:
  explicit Context(AccountId account) : account_(account) {}
  ~Context();
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  AccountId account() const { return account_; }
  // This context's stream on `device`, created on first use.
  absl::StatusOr<StreamId> Stream(int device);
  // Waits for the work queued on every stream of this context.
  absl::Status Synchronize();

 private:
  const AccountId account_;
  std::mutex mu_;
  std::vector<StreamId> streams_;  // by device; 0 = not created yet
};

// The Context of the work running on this thread (nullptr: none).
Context* CurrentContext();
// Sets the current context for a scope (nullptr allowed), restoring the previous one.
class ContextScope {
 public:
  explicit ContextScope(Context* context);
  ~ContextScope();
  ContextScope(const ContextScope&) = delete;
  ContextScope& operator=(const ContextScope&) = delete;

 private:
  Context* prev_;
};

// The stream and account work on `device` uses on this thread.
absl::StatusOr<StreamId> CurrentStream(int device);
AccountId CurrentAccount();

}  // namespace tensord::engine::cuda
