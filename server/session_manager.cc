#include "server/session_manager.h"

#include <sys/random.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "server/log.h"

namespace tensord::server {
namespace {

constexpr size_t kMaxGoneRemembered = 4096;

std::string TtlText(absl::Duration ttl) {
  return absl::StrCat(absl::ToInt64Seconds(ttl), " s");
}

}  // namespace

SessionManager::SessionManager(SessionLimits limits, Clock clock)
    : limits_(limits), clock_(std::move(clock)) {}

SessionManager::~SessionManager() {
  stop_reaper_.Notify();
  if (reaper_.joinable()) reaper_.join();
}

bool SessionManager::IsValidSessionId(absl::string_view id) {
  return id.size() == 32 && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string SessionManager::NewSessionId() {
  unsigned char bytes[16];
  size_t got = 0;
  while (got < sizeof(bytes)) {
    ssize_t n = getrandom(bytes + got, sizeof(bytes) - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      // Without a CSPRNG session ids would be guessable; refuse to run.
      LogError("getrandom_failed", {{"errno", absl::StrCat(errno)}});
      std::abort();
    }
    got += static_cast<size_t>(n);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(32, '0');
  for (size_t i = 0; i < sizeof(bytes); ++i) {
    id[2 * i] = kHex[bytes[i] >> 4];
    id[2 * i + 1] = kHex[bytes[i] & 0xf];
  }
  return id;
}

absl::StatusOr<std::shared_ptr<Session>> SessionManager::Create(absl::string_view proposed_id,
                                                                absl::string_view owner,
                                                                uint32_t idle_ttl_seconds) {
  if (!proposed_id.empty() && !IsValidSessionId(proposed_id)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "proposed session id must be 32 lowercase hex characters (128 bits); got ",
        proposed_id.size(), " characters"));
  }
  absl::Duration ttl = idle_ttl_seconds == 0 ? limits_.default_idle_ttl
                                             : absl::Seconds(idle_ttl_seconds);
  ttl = std::min(ttl, limits_.max_idle_ttl);

  absl::MutexLock lock(&mu_);
  if (static_cast<int64_t>(sessions_.size()) >= limits_.max_sessions) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "too many sessions (max ", limits_.max_sessions,
        "); close unused sessions or raise --max-sessions"));
  }
  std::string id(proposed_id);
  if (id.empty()) {
    do id = NewSessionId();
    while (sessions_.contains(id));
  } else if (sessions_.contains(id)) {
    return absl::AlreadyExistsError(absl::StrCat("session ", id, " already exists"));
  }
  auto session = std::make_shared<Session>(id, std::string(owner), ttl, clock_());
  sessions_.emplace(id, session);
  gone_.erase(id);
  return session;
}

absl::StatusOr<std::shared_ptr<Session>> SessionManager::Find(absl::string_view id,
                                                              absl::string_view owner) {
  absl::MutexLock lock(&mu_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return NotFound(id);
  if (it->second->owner() != owner) {
    return absl::PermissionDeniedError(
        absl::StrCat("session ", ShortId(id), "... belongs to another identity"));
  }
  it->second->Touch(clock_());
  return it->second;
}

absl::Status SessionManager::Close(absl::string_view id, absl::string_view owner) {
  std::shared_ptr<Session> closed;  // freed outside the lock
  {
    absl::MutexLock lock(&mu_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return NotFound(id);
    if (it->second->owner() != owner) {
      return absl::PermissionDeniedError(
          absl::StrCat("session ", ShortId(id), "... belongs to another identity"));
    }
    closed = std::move(it->second);
    sessions_.erase(it);
    RememberGone(closed->id(), "closed");
  }
  return absl::OkStatus();
}

std::vector<std::shared_ptr<Session>> SessionManager::List() const {
  absl::MutexLock lock(&mu_);
  std::vector<std::shared_ptr<Session>> out;
  out.reserve(sessions_.size());
  for (const auto& [id, s] : sessions_) out.push_back(s);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a->id() < b->id(); });
  return out;
}

int64_t SessionManager::size() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int64_t>(sessions_.size());
}

int SessionManager::ReapExpired() {
  std::vector<std::shared_ptr<Session>> expired;  // freed outside the lock
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_();
    for (auto it = sessions_.begin(); it != sessions_.end();) {
      Session& s = *it->second;
      // A session whose lock is held is running a command: not idle.
      if (now - s.last_used() > s.idle_ttl() && s.mu().TryLock()) {
        s.mu().Unlock();
        RememberGone(s.id(), absl::StrCat("expired after ", TtlText(s.idle_ttl()), " idle"));
        expired.push_back(std::move(it->second));
        sessions_.erase(it++);
      } else {
        ++it;
      }
    }
  }
  for (const auto& s : expired) {
    LogInfo("session_expired", {{"session", ShortId(s->id())},
                                {"tensors", absl::StrCat(s->num_handles())},
                                {"bytes", absl::StrCat(s->bytes())}});
  }
  return static_cast<int>(expired.size());
}

void SessionManager::StartReaper(absl::Duration period) {
  if (reaper_.joinable()) return;
  reaper_ = std::thread([this, period] {
    while (!stop_reaper_.WaitForNotificationWithTimeout(period)) ReapExpired();
  });
}

void SessionManager::RememberGone(const std::string& id, std::string reason) {
  if (gone_.insert_or_assign(id, std::move(reason)).second) gone_order_.push_back(id);
  while (gone_order_.size() > kMaxGoneRemembered) {
    gone_.erase(gone_order_.front());
    gone_order_.pop_front();
  }
}

absl::Status SessionManager::NotFound(absl::string_view id) const {
  if (id.size() > 64) id = id.substr(0, 64);  // a garbage id is not echoed in full
  auto it = gone_.find(id);
  if (it != gone_.end()) {
    return absl::NotFoundError(absl::StrCat("session ", id, " not found (", it->second, ")"));
  }
  return absl::NotFoundError(absl::StrCat("session ", id, " not found (expired after ",
                                          TtlText(limits_.default_idle_ttl),
                                          " idle, or closed?)"));
}

}  // namespace tensord::server
