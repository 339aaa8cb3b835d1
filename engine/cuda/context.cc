#include "engine/cuda/context.h"

#include "engine/cuda/runtime.h"

namespace tensord::engine::cuda {

namespace {
thread_local Context* current_context = nullptr;
}  // namespace

Context::~Context() {
  for (size_t device = 0; device < streams_.size(); ++device) {
    const StreamId stream = streams_[device];
    if (stream == 0) continue;
    Backend& backend = Get();
    (void)backend.Synchronize(static_cast<int>(device), stream);
    backend.allocator(static_cast<int>(device)).ReleaseStream(stream);
    backend.DestroyStream(static_cast<int>(device), stream);
    backend.allocator(static_cast<int>(device)).ForgetAccount(account_);
  }
}

absl::StatusOr<StreamId> Context::Stream(int device) {
  std::lock_guard<std::mutex> lock(mu_);
  if (static_cast<size_t>(device) >= streams_.size()) streams_.resize(device + 1, 0);
  if (streams_[device] == 0) {
    absl::StatusOr<StreamId> stream = Get().NewStream(device);
    if (!stream.ok()) return stream.status();
    streams_[device] = *stream;
  }
  return streams_[device];
}

absl::Status Context::Synchronize() {
  std::vector<StreamId> streams;
  {
    std::lock_guard<std::mutex> lock(mu_);
    streams = streams_;
  }
  for (size_t device = 0; device < streams.size(); ++device) {
    if (streams[device] == 0) continue;
    if (absl::Status s = Get().Synchronize(static_cast<int>(device), streams[device]); !s.ok()) return s;
  }
  return absl::OkStatus();
}

Context* CurrentContext() { return current_context; }

ContextScope::ContextScope(Context* context) : prev_(current_context) { current_context = context; }
ContextScope::~ContextScope() { current_context = prev_; }

absl::StatusOr<StreamId> CurrentStream(int device) {
  if (current_context == nullptr) return StreamId{0};
  return current_context->Stream(device);
}

AccountId CurrentAccount() { return current_context == nullptr ? 0 : current_context->account(); }

}  // namespace tensord::engine::cuda
