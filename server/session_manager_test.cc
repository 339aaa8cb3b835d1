#include "server/session_manager.h"

#include <atomic>
#include <string>
#include <thread>

#include "absl/container/flat_hash_set.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/status_matchers.h"

namespace tensord::server {
namespace {

using ::tensord::server::testing::IsOk;
using ::tensord::server::testing::StatusIs;

// A clock the test moves by hand.
class FakeClock {
 public:
  absl::Time Now() const { return absl::FromUnixNanos(ns_.load()); }
  void Advance(absl::Duration d) { ns_.fetch_add(absl::ToInt64Nanoseconds(d)); }
  SessionManager::Clock AsClock() {
    return [this] { return Now(); };
  }

 private:
  std::atomic<int64_t> ns_{absl::ToUnixNanos(absl::FromUnixSeconds(1'700'000'000))};
};

SessionLimits Limits(int64_t max_sessions = 16, int ttl_seconds = 300) {
  SessionLimits l;
  l.max_sessions = max_sessions;
  l.default_idle_ttl = absl::Seconds(ttl_seconds);
  l.max_idle_ttl = absl::Hours(1);
  return l;
}

TEST(SessionManagerTest, GeneratedIdsAre32LowercaseHexAndDistinct) {
  SessionManager m(Limits(1000));
  absl::flat_hash_set<std::string> ids;
  for (int i = 0; i < 200; ++i) {
    auto s = m.Create("", "alice", 0);
    ASSERT_THAT(s, IsOk());
    EXPECT_TRUE(SessionManager::IsValidSessionId((*s)->id())) << (*s)->id();
    ids.insert((*s)->id());
  }
  EXPECT_EQ(ids.size(), 200u);
}

TEST(SessionManagerTest, AcceptsWellFormedProposedId) {
  SessionManager m(Limits());
  const std::string id = "0123456789abcdef0123456789abcdef";
  auto s = m.Create(id, "alice", 0);
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ((*s)->id(), id);
  EXPECT_THAT(m.Find(id, "alice"), IsOk());
}

TEST(SessionManagerTest, RejectsMalformedProposedIds) {
  SessionManager m(Limits());
  for (const char* bad : {"0123456789ABCDEF0123456789ABCDEF",   // uppercase
                          "0123456789abcdef0123456789abcde",    // 31 chars
                          "0123456789abcdef0123456789abcdef0",  // 33 chars
                          "0123456789abcdef0123456789abcdeg",   // not hex
                          "../../etc/passwd"}) {
    EXPECT_THAT(m.Create(bad, "alice", 0),
                StatusIs(absl::StatusCode::kInvalidArgument, "32 lowercase hex"))
        << bad;
  }
  EXPECT_EQ(m.size(), 0);
}

TEST(SessionManagerTest, ProposedIdTakenIsAlreadyExists) {
  SessionManager m(Limits());
  const std::string id(32, 'a');
  ASSERT_THAT(m.Create(id, "alice", 0), IsOk());
  EXPECT_THAT(m.Create(id, "alice", 0), StatusIs(absl::StatusCode::kAlreadyExists, id));
}

TEST(SessionManagerTest, MaxSessionsIsResourceExhaustedUntilOneCloses) {
  SessionManager m(Limits(/*max_sessions=*/2));
  auto a = m.Create("", "alice", 0);
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(m.Create("", "alice", 0), IsOk());
  EXPECT_THAT(m.Create("", "alice", 0),
              StatusIs(absl::StatusCode::kResourceExhausted, "too many sessions (max 2)"));
  ASSERT_THAT(m.Close((*a)->id(), "alice"), IsOk());
  EXPECT_THAT(m.Create("", "alice", 0), IsOk());
}

TEST(SessionManagerTest, UnknownIdIsNotFoundWithHint) {
  SessionManager m(Limits(16, 300));
  const std::string id(32, 'b');
  EXPECT_THAT(m.Find(id, "alice"),
              StatusIs(absl::StatusCode::kNotFound,
                       "session " + id + " not found (expired after 300 s idle, or closed?)"));
  EXPECT_THAT(m.Close(id, "alice"), StatusIs(absl::StatusCode::kNotFound, "not found"));
}

TEST(SessionManagerTest, ClosedSessionIsNotFoundNamingTheCause) {
  SessionManager m(Limits());
  auto s = m.Create("", "alice", 0);
  ASSERT_THAT(s, IsOk());
  const std::string id = (*s)->id();
  ASSERT_THAT(m.Close(id, "alice"), IsOk());
  EXPECT_THAT(m.Find(id, "alice"), StatusIs(absl::StatusCode::kNotFound, "(closed)"));
}

TEST(SessionManagerTest, OtherOwnerIsPermissionDenied) {
  SessionManager m(Limits());
  auto s = m.Create("", "alice", 0);
  ASSERT_THAT(s, IsOk());
  EXPECT_THAT(m.Find((*s)->id(), "mallory"),
              StatusIs(absl::StatusCode::kPermissionDenied, "another identity"));
  EXPECT_THAT(m.Close((*s)->id(), "mallory"),
              StatusIs(absl::StatusCode::kPermissionDenied, "another identity"));
  EXPECT_THAT(m.Find((*s)->id(), "alice"), IsOk());
}

TEST(SessionManagerTest, IdleSessionExpiresAfterTtlAndUseRefreshesIt) {
  FakeClock clock;
  SessionManager m(Limits(16, 300), clock.AsClock());
  auto s = m.Create("", "alice", /*idle_ttl_seconds=*/10);
  ASSERT_THAT(s, IsOk());
  const std::string id = (*s)->id();
  EXPECT_EQ((*s)->idle_ttl(), absl::Seconds(10));

  clock.Advance(absl::Seconds(8));
  EXPECT_EQ(m.ReapExpired(), 0);
  ASSERT_THAT(m.Find(id, "alice"), IsOk());  // refreshes
  clock.Advance(absl::Seconds(8));
  EXPECT_EQ(m.ReapExpired(), 0);  // 16 s since creation, 8 s idle
  clock.Advance(absl::Seconds(3));
  EXPECT_EQ(m.ReapExpired(), 1);
  EXPECT_EQ(m.size(), 0);
  EXPECT_THAT(m.Find(id, "alice"),
              StatusIs(absl::StatusCode::kNotFound, "(expired after 10 s idle)"));
}

TEST(SessionManagerTest, RunningSessionIsNotReaped) {
  FakeClock clock;
  SessionManager m(Limits(16, 5), clock.AsClock());
  auto s = m.Create("", "alice", 0);
  ASSERT_THAT(s, IsOk());
  clock.Advance(absl::Seconds(60));
  {
    absl::MutexLock running(&(*s)->mu());
    EXPECT_EQ(m.ReapExpired(), 0);
  }
  EXPECT_EQ(m.ReapExpired(), 1);
}

TEST(SessionManagerTest, RequestedTtlIsClampedToMaximum) {
  SessionManager m(Limits());
  auto s = m.Create("", "alice", /*idle_ttl_seconds=*/1'000'000);
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ((*s)->idle_ttl(), absl::Hours(1));
  auto d = m.Create("", "alice", 0);
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ((*d)->idle_ttl(), absl::Seconds(300));
}

TEST(SessionManagerTest, ReaperThreadExpiresIdleSessions) {
  FakeClock clock;
  SessionManager m(Limits(16, 1), clock.AsClock());
  ASSERT_THAT(m.Create("", "alice", 0), IsOk());
  m.StartReaper(absl::Milliseconds(5));
  clock.Advance(absl::Seconds(2));
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (m.size() != 0 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
  EXPECT_EQ(m.size(), 0);
}

TEST(SessionManagerTest, ListIsSortedById) {
  SessionManager m(Limits());
  for (int i = 0; i < 5; ++i) ASSERT_THAT(m.Create("", "alice", 0), IsOk());
  auto list = m.List();
  ASSERT_EQ(list.size(), 5u);
  for (size_t i = 1; i < list.size(); ++i) EXPECT_LT(list[i - 1]->id(), list[i]->id());
}

}  // namespace
}  // namespace tensord::server
