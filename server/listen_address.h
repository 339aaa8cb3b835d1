// The listen-address rule: what `--listen` and `--metrics-listen` accept.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace tensord::server {

struct HostPort {
  std::string host;  // as written; an IPv6 literal keeps its brackets
  int port = 0;      // 0 = pick a free port
};

// Splits "HOST:PORT" (HOST a name, an IPv4 address or a bracketed IPv6
// literal; PORT in [0, 65535]). INVALID_ARGUMENT names the address and what
// is wrong with it; `flag` ("--listen"), when not empty, starts the message.
absl::StatusOr<HostPort> ParseHostPort(absl::string_view flag, absl::string_view address);

// OK for "unix:PATH", "unix-abstract:NAME" and anything ParseHostPort takes.
absl::Status ValidateListenAddress(absl::string_view flag, absl::string_view address);

}  // namespace tensord::server
