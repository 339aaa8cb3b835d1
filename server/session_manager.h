// Creates, finds, closes and expires sessions (Note [Sessions]).
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "server/session.h"

namespace tensord::server {

struct SessionLimits {
  int64_t max_sessions = 1024;
  absl::Duration default_idle_ttl = absl::Seconds(300);
  absl::Duration max_idle_ttl = absl::Hours(24);  // a requested TTL is clamped to this
};

class SessionManager {
 public:
  using Clock = std::function<absl::Time()>;

  explicit SessionManager(SessionLimits limits, Clock clock = [] { return absl::Now(); });
  ~SessionManager();  // stops the reaper
  SessionManager(const SessionManager&) = delete;
  SessionManager& operator=(const SessionManager&) = delete;

  // `proposed_id` empty = a fresh random id. `idle_ttl_seconds` 0 = default.
  // Errors: INVALID_ARGUMENT (malformed id), ALREADY_EXISTS, RESOURCE_EXHAUSTED.
  absl::StatusOr<std::shared_ptr<Session>> Create(absl::string_view proposed_id,
                                                  absl::string_view owner,
                                                  uint32_t idle_ttl_seconds);
  // Looks a session up and refreshes its idle TTL. NOT_FOUND if unknown,
  // expired or closed; PERMISSION_DENIED if it belongs to another owner.
  absl::StatusOr<std::shared_ptr<Session>> Find(absl::string_view id, absl::string_view owner);
  absl::Status Close(absl::string_view id, absl::string_view owner);
  std::vector<std::shared_ptr<Session>> List() const;
  int64_t size() const;

  // Drops sessions idle longer than their TTL (skipping any that is running a
  // command right now). Returns how many it dropped.
  int ReapExpired();
  // Runs ReapExpired every `period` on a background thread until destruction.
  void StartReaper(absl::Duration period);

  absl::Time Now() const { return clock_(); }
  const SessionLimits& limits() const { return limits_; }

  // 32 lowercase hex characters.
  static bool IsValidSessionId(absl::string_view id);
  // 128 bits from the kernel CSPRNG, as 32 lowercase hex characters.
  static std::string NewSessionId();

 private:
  // Why a recently removed id is gone, for a NOT_FOUND message that names
  // the cause. Bounded: the oldest reasons are forgotten first.
  void RememberGone(const std::string& id, std::string reason) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status NotFound(absl::string_view id) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const SessionLimits limits_;
  const Clock clock_;

  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<Session>> sessions_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::string> gone_ ABSL_GUARDED_BY(mu_);
  std::deque<std::string> gone_order_ ABSL_GUARDED_BY(mu_);

  absl::Notification stop_reaper_;
  std::thread reaper_;
};

}  // namespace tensord::server
