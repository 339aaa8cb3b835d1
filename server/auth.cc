#include "server/auth.h"

#include <fstream>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace tensord::server {
namespace {

// Compares without an early exit, so timing does not reveal how much of a
// guessed token matched.
bool ConstantTimeEquals(absl::string_view a, absl::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace

absl::StatusOr<TokenAuthenticator> TokenAuthenticator::FromPairs(
    std::vector<std::pair<std::string, std::string>> pairs) {
  absl::flat_hash_set<std::string> tokens;
  for (const auto& [identity, token] : pairs) {
    if (identity.empty() || token.empty()) {
      return absl::InvalidArgumentError("auth tokens: identity and token must be non-empty");
    }
    if (!tokens.insert(token).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("auth tokens: a token is listed twice (identity ", identity, ")"));
    }
  }
  TokenAuthenticator auth;
  auth.entries_ = std::move(pairs);
  return auth;
}

absl::StatusOr<TokenAuthenticator> TokenAuthenticator::FromFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read auth token file ", path));
  std::vector<std::pair<std::string, std::string>> pairs;
  int line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    absl::string_view l = absl::StripAsciiWhitespace(line);
    if (l.empty() || l[0] == '#') continue;
    std::vector<std::string> fields = absl::StrSplit(l, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (fields.size() != 2) {
      // The line may hold a token: name the line, never echo it.
      return absl::InvalidArgumentError(absl::StrCat(
          path, ":", line_no, ": expected \"IDENTITY TOKEN\""));
    }
    pairs.emplace_back(std::move(fields[0]), std::move(fields[1]));
  }
  if (pairs.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": no tokens"));
  return FromPairs(std::move(pairs));
}

absl::StatusOr<std::string> TokenAuthenticator::Authenticate(
    absl::string_view authorization) const {
  if (authorization.empty()) {
    return absl::UnauthenticatedError(
        "missing credentials: send metadata \"authorization: Bearer <token>\"");
  }
  absl::string_view token = authorization;
  if (!absl::ConsumePrefix(&token, "Bearer ") && !absl::ConsumePrefix(&token, "bearer ")) {
    return absl::UnauthenticatedError("authorization metadata must be \"Bearer <token>\"");
  }
  token = absl::StripAsciiWhitespace(token);
  const std::string* found = nullptr;
  for (const auto& [identity, expected] : entries_) {
    if (ConstantTimeEquals(token, expected)) found = &identity;
  }
  if (found == nullptr) return absl::UnauthenticatedError("invalid bearer token");
  return *found;
}

}  // namespace tensord::server
