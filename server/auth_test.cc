#include "server/auth.h"

#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/status_matchers.h"

namespace tensord::server {
namespace {

using ::testing::Not;
using ::testing::HasSubstr;
using ::tensord::server::testing::IsOk;
using ::tensord::server::testing::StatusIs;

TEST(TokenAuthenticatorTest, BearerTokenNamesItsIdentity) {
  auto auth = TokenAuthenticator::FromPairs({{"alice", "s3cret-a"}, {"bob", "s3cret-b"}});
  ASSERT_THAT(auth, IsOk());
  EXPECT_EQ(*auth->Authenticate("Bearer s3cret-a"), "alice");
  EXPECT_EQ(*auth->Authenticate("bearer s3cret-b"), "bob");
  EXPECT_THAT(auth->Authenticate(""), StatusIs(absl::StatusCode::kUnauthenticated, "missing"));
  EXPECT_THAT(auth->Authenticate("Bearer nope"),
              StatusIs(absl::StatusCode::kUnauthenticated, "invalid bearer token"));
  EXPECT_THAT(auth->Authenticate("Bearer s3cret-"),
              StatusIs(absl::StatusCode::kUnauthenticated, "invalid bearer token"));
  EXPECT_THAT(auth->Authenticate("Basic s3cret-a"),
              StatusIs(absl::StatusCode::kUnauthenticated, "Bearer <token>"));
}

TEST(TokenAuthenticatorTest, RejectsEmptyAndDuplicateTokens) {
  EXPECT_THAT(TokenAuthenticator::FromPairs({{"alice", ""}}),
              StatusIs(absl::StatusCode::kInvalidArgument, "non-empty"));
  EXPECT_THAT(TokenAuthenticator::FromPairs({{"alice", "t"}, {"bob", "t"}}),
              StatusIs(absl::StatusCode::kInvalidArgument, "listed twice"));
}

TEST(TokenAuthenticatorTest, ReadsTokenFilesWithoutEchoingTokens) {
  const std::string path = ::testing::TempDir() + "tensord_tokens_test.txt";
  {
    std::ofstream out(path);
    out << "# identity token\n\nalice  tok-alice\n\tbob tok-bob  \n";
  }
  auto auth = TokenAuthenticator::FromFile(path);
  ASSERT_THAT(auth, IsOk());
  EXPECT_EQ(auth->size(), 2u);
  EXPECT_EQ(*auth->Authenticate("Bearer tok-bob"), "bob");
  {
    std::ofstream out(path);
    out << "alice tok-alice\nlonely-secret-token\n";
  }
  absl::StatusOr<TokenAuthenticator> bad = TokenAuthenticator::FromFile(path);
  EXPECT_THAT(bad, StatusIs(absl::StatusCode::kInvalidArgument, ":2: expected"));
  EXPECT_THAT(std::string(bad.status().message()), Not(HasSubstr("lonely-secret-token")));
  EXPECT_THAT(TokenAuthenticator::FromFile(path + ".missing"),
              StatusIs(absl::StatusCode::kNotFound, "cannot read"));
}

}  // namespace
}  // namespace tensord::server
