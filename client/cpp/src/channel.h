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

// `address` if non-empty, else $TENSORD_ADDRESS, else localhost:50051.
// "unix:PATH" (and "unix:///PATH") name a Unix domain socket.
std::string ResolveAddress(std::string_view address);
// `token` if non-empty, else $TENSORD_TOKEN, else "".
std::string ResolveToken(std::string_view token);

// An insecure channel with unlimited message sizes (the server enforces its
// own limits and reports them in ServerInfo).
std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address);

// Adds the session id and bearer token (when non-empty) to a call.
void AddCallMetadata(grpc::ClientContext* ctx, const std::string& session_id,
                     const std::string& token);

// Sets a deadline `seconds` from now on a call.
void SetTimeout(grpc::ClientContext* ctx, double seconds);

}  // namespace tensord::client
