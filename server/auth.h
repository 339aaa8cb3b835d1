// Bearer-token authentication (DESIGN.md, Security). A token names an
// identity; sessions belong to the identity that created them.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tensord::server {

class TokenAuthenticator {
 public:
  // (identity, token) pairs. Tokens must be distinct and non-empty.
  static absl::StatusOr<TokenAuthenticator> FromPairs(
      std::vector<std::pair<std::string, std::string>> pairs);
  // A file of "IDENTITY TOKEN" lines; blank lines and '#' comments ignored.
  static absl::StatusOr<TokenAuthenticator> FromFile(const std::string& path);

  // The identity for an `authorization` metadata value "Bearer TOKEN".
  // UNAUTHENTICATED if it is missing, malformed or unknown.
  absl::StatusOr<std::string> Authenticate(absl::string_view authorization) const;

  size_t size() const { return entries_.size(); }

 private:
  std::vector<std::pair<std::string, std::string>> entries_;  // identity, token
};

}  // namespace tensord::server
