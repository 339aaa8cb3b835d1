#include "server/session.h"

#include <atomic>
#include <utility>

#include "absl/container/flat_hash_set.h"

namespace tensord::server {
namespace {

// Device memory accounts: one per session, never reused within a process
// (0 is the engine's "nobody").
engine::cuda::AccountId NextAccount() {
  static std::atomic<engine::cuda::AccountId> next{1};
  return next.fetch_add(1, std::memory_order_relaxed);
}

// Only host storage counts (bytes() in session.h): device memory is bounded
// by the device and accounted per session by its caching allocator.
bool IsHostStorage(const engine::Tensor& t) {
  return t.defined() && t.storage() != nullptr && t.storage()->device() == engine::kCPU;
}

}  // namespace

Session::Session(std::string id, std::string owner, absl::Duration idle_ttl, absl::Time now)
    : id_(std::move(id)), owner_(std::move(owner)), idle_ttl_(idle_ttl),
      cuda_context_(std::make_unique<engine::cuda::Context>(NextAccount())),
      last_used_ns_(absl::ToUnixNanos(now)) {}

// The order matters: tensor storages return their device blocks to the free
// lists of this session's streams, and only then does the Context wait for
// those streams, destroy them and hand their cached blocks back to the
// driver. Destroying the Context first would leave the blocks of every
// still-bound tensor cached on a destroyed stream, lost to other sessions.
// Nothing else holds the session now (commands hold its shared_ptr while
// they run), so no lock is needed.
Session::~Session() {
  handles_.clear();
  storages_.clear();
  cuda_context_.reset();
}

const Session::Entry* Session::Find(uint64_t handle) const {
  auto it = handles_.find(handle);
  return it == handles_.end() ? nullptr : &it->second;
}

bool Session::Contains(uint64_t handle) const { return handles_.contains(handle); }

void Session::Bind(uint64_t handle, engine::Tensor tensor) {
  AddStorage(tensor);
  handles_.emplace(handle, std::move(tensor));
  num_handles_.store(static_cast<int64_t>(handles_.size()), std::memory_order_relaxed);
}

void Session::BindPoison(uint64_t handle, Poison poison) {
  handles_.emplace(handle, std::move(poison));
  num_handles_.store(static_cast<int64_t>(handles_.size()), std::memory_order_relaxed);
}

bool Session::Unbind(uint64_t handle) {
  auto it = handles_.find(handle);
  if (it == handles_.end()) return false;
  if (const auto* t = std::get_if<engine::Tensor>(&it->second)) DropStorage(*t);
  handles_.erase(it);
  num_handles_.store(static_cast<int64_t>(handles_.size()), std::memory_order_relaxed);
  return true;
}

int64_t Session::AddedBytes(absl::Span<const engine::Tensor> tensors) const {
  int64_t added = 0;
  absl::flat_hash_set<uint64_t> seen;
  for (const engine::Tensor& t : tensors) {
    if (!IsHostStorage(t)) continue;
    const uint64_t id = t.storage()->id();
    if (storages_.contains(id) || !seen.insert(id).second) continue;
    added += static_cast<int64_t>(t.storage()->nbytes());
  }
  return added;
}

void Session::AddStorage(const engine::Tensor& t) {
  if (!IsHostStorage(t)) return;
  StorageUse& use = storages_[t.storage()->id()];
  if (use.handles++ == 0) {
    use.nbytes = static_cast<int64_t>(t.storage()->nbytes());
    bytes_.fetch_add(use.nbytes, std::memory_order_relaxed);
  }
}

void Session::DropStorage(const engine::Tensor& t) {
  if (!IsHostStorage(t)) return;
  auto it = storages_.find(t.storage()->id());
  if (it == storages_.end()) return;
  if (--it->second.handles == 0) {
    bytes_.fetch_sub(it->second.nbytes, std::memory_order_relaxed);
    storages_.erase(it);
  }
}

void Session::Touch(absl::Time now) {
  last_used_ns_.store(absl::ToUnixNanos(now), std::memory_order_relaxed);
}

absl::Time Session::last_used() const {
  return absl::FromUnixNanos(last_used_ns_.load(std::memory_order_relaxed));
}

}  // namespace tensord::server
