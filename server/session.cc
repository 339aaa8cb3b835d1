#include "server/session.h"

#include <utility>

#include "absl/container/flat_hash_set.h"

namespace tensord::server {

Session::Session(std::string id, std::string owner, absl::Duration idle_ttl, absl::Time now)
    : id_(std::move(id)), owner_(std::move(owner)), idle_ttl_(idle_ttl),
      last_used_ns_(absl::ToUnixNanos(now)) {}

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
    if (!t.defined() || t.storage() == nullptr) continue;
    const uint64_t id = t.storage()->id();
    if (storages_.contains(id) || !seen.insert(id).second) continue;
    added += static_cast<int64_t>(t.storage()->nbytes());
  }
  return added;
}

void Session::AddStorage(const engine::Tensor& t) {
  if (!t.defined() || t.storage() == nullptr) return;
  StorageUse& use = storages_[t.storage()->id()];
  if (use.handles++ == 0) {
    use.nbytes = static_cast<int64_t>(t.storage()->nbytes());
    bytes_.fetch_add(use.nbytes, std::memory_order_relaxed);
  }
}

void Session::DropStorage(const engine::Tensor& t) {
  if (!t.defined() || t.storage() == nullptr) return;
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
