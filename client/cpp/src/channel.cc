#include "channel.h"

#include <cstdlib>

namespace tensord::client {

std::string ResolveAddress(std::string_view address) {
  if (!address.empty()) return std::string(address);
  if (const char* env = std::getenv("TENSORD_ADDRESS"); env != nullptr && *env != '\0') {
    return env;
  }
  return kDefaultAddress;
}

std::string ResolveToken(std::string_view token) {
  if (!token.empty()) return std::string(token);
  if (const char* env = std::getenv("TENSORD_TOKEN"); env != nullptr) return env;
  return "";
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  args.SetMaxSendMessageSize(-1);
  // One channel per Client: never share a subchannel with another Client in
  // this process, so that one client's stream cannot delay another's.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  // Detect a dead peer on an idle session within ~40 s; the server accepts
  // pings every 10 s, with or without calls.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
}

void AddCallMetadata(grpc::ClientContext* ctx, const std::string& session_id,
                     const std::string& token) {
  if (!session_id.empty()) ctx->AddMetadata(kSessionMetadataKey, session_id);
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
}

void SetTimeout(grpc::ClientContext* ctx, double seconds) {
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::microseconds(static_cast<int64_t>(seconds * 1e6)));
}

}  // namespace tensord::client
