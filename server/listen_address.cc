#include "server/listen_address.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace tensord::server {

absl::StatusOr<HostPort> ParseHostPort(absl::string_view flag, absl::string_view address) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, flag.empty() ? "" : " ", "'", address, "': ", why));
  };
  const size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos) {
    return bad("expected HOST:PORT (e.g. 127.0.0.1:50051, 0.0.0.0:50051, [::]:50051) or unix:PATH");
  }
  const absl::string_view host = address.substr(0, colon);
  const absl::string_view port = address.substr(colon + 1);
  if (host.empty()) return bad("no host before ':' (use 0.0.0.0 or [::] for every interface)");
  const bool bracketed = absl::StartsWith(host, "[") && absl::EndsWith(host, "]");
  if (!bracketed && host.find(':') != absl::string_view::npos) {
    return bad("an IPv6 address needs brackets: [ADDR]:PORT");
  }
  if (bracketed && host.size() == 2) return bad("empty IPv6 address in brackets");
  for (char c : host) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) return bad("the host contains a space");
  }
  bool digits = !port.empty();
  for (char c : port) digits = digits && absl::ascii_isdigit(static_cast<unsigned char>(c));
  int value = 0;
  if (!digits || port.size() > 5 || !absl::SimpleAtoi(port, &value)) {
    return bad(absl::StrCat("the port '", port, "' is not a number in [0, 65535]"));
  }
  if (value > 65535) {
    return bad(absl::StrCat("the port ", value, " is out of range [0, 65535] (0 picks a free port)"));
  }
  return HostPort{std::string(host), value};
}

absl::Status ValidateListenAddress(absl::string_view flag, absl::string_view address) {
  for (absl::string_view scheme : {"unix:", "unix-abstract:"}) {
    if (absl::StartsWith(address, scheme)) {
      if (address.size() == scheme.size()) {
        return absl::InvalidArgumentError(
            absl::StrCat(flag, flag.empty() ? "" : " ", "'", address, "': no socket path after '",
                         scheme, "'"));
      }
      return absl::OkStatus();
    }
  }
  return ParseHostPort(flag, address).status();
}

}  // namespace tensord::server
