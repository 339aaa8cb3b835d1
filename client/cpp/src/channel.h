// Connection plumbing shared by the client library and tensorctl.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include <grpcpp/grpcpp.h>

namespace tensord::client {

inline constexpr char kDefaultAddress[] = "localhost:50051";
inline constexpr char kSessionMetadataKey[] = "tensord-session-id";
// The daemon run that created the session, echoed from SessionInfo
// (Note [Session home], server/service.cc).
inline constexpr char kInstanceIdMetadataKey[] = "tensord-instance-id";

// `address` if non-empty, else $TENSORD_ADDRESS, else localhost:50051.
// "unix:PATH" (and "unix:///PATH") name a Unix domain socket.
std::string ResolveAddress(std::string_view address);
// `token` if non-empty, else $TENSORD_TOKEN, else "".
std::string ResolveToken(std::string_view token);

// Transport security of a channel. TLS is on when `enabled`; empty files
// mean the system's root CAs and no client certificate.
struct TlsConfig {
  bool enabled = false;
  std::string ca_file;      // PEM roots that sign the server's certificate
  std::string cert_file;    // PEM client certificate chain (mTLS)
  std::string key_file;     // PEM private key of cert_file
  std::string server_name;  // expected name in the server certificate, "" = host
};

// `config` with unset fields filled from $TENSORD_TLS_CA, $TENSORD_TLS_CERT,
// $TENSORD_TLS_KEY and $TENSORD_TLS_SERVER_NAME; TLS is enabled if any of them
// is set or $TENSORD_TLS is 1/true/yes/on.
TlsConfig ResolveTls(TlsConfig config);

// A channel with unlimited message sizes (the server enforces its own limits
// and reports them in ServerInfo), over TLS when `tls.enabled`. Throws
// std::runtime_error if a TLS file cannot be read.
// keepalive_seconds: ping an idle connection that often (at least 10, what
// the server accepts) and drop it when a ping is not answered within
// keepalive_timeout_seconds.
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address,
                                           const TlsConfig& tls = {},
                                           double keepalive_seconds = 30,
                                           double keepalive_timeout_seconds = 10);

// Adds the session id, bearer token and the session's instance id (each
// when non-empty) to a call.
void AddCallMetadata(grpc::ClientContext* ctx, const std::string& session_id,
                     const std::string& token, const std::string& instance_id = "");

// A fresh session id to propose: 128 bits from the OS's random source, as 32
// lowercase hex digits.
std::string NewSessionId();

// Sets a deadline `seconds` from now on a call.
void SetTimeout(grpc::ClientContext* ctx, double seconds);

}  // namespace tensord::client
