#include "channel.h"

#include <algorithm>
#include <cstdlib>
#include <cstdint>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

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

namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

std::string ReadPem(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(std::string("cannot read the TLS ") + what + " file " + path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TlsConfig ResolveTls(TlsConfig config) {
  if (config.ca_file.empty()) config.ca_file = Env("TENSORD_TLS_CA");
  if (config.cert_file.empty()) config.cert_file = Env("TENSORD_TLS_CERT");
  if (config.key_file.empty()) config.key_file = Env("TENSORD_TLS_KEY");
  if (config.server_name.empty()) config.server_name = Env("TENSORD_TLS_SERVER_NAME");
  std::string flag = Env("TENSORD_TLS");
  for (char& c : flag) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (flag == "1" || flag == "true" || flag == "yes" || flag == "on" || !config.ca_file.empty() ||
      !config.cert_file.empty() || !config.key_file.empty()) {
    config.enabled = true;
  }
  return config;
}

std::shared_ptr<grpc::Channel> MakeChannel(const std::string& address, const TlsConfig& tls,
                                           double keepalive_seconds,
                                           double keepalive_timeout_seconds) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(-1);
  args.SetMaxSendMessageSize(-1);
  // One channel per Client: never share a subchannel with another Client in
  // this process, so that one client's stream cannot delay another's.
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  // Detect a dead or frozen peer (by default within ~40 s), also while a
  // call waits for it; the server accepts pings every 10 s, with or without
  // calls.
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS,
              static_cast<int>(std::max(10.0, keepalive_seconds) * 1000));
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
              static_cast<int>(std::max(0.1, keepalive_timeout_seconds) * 1000));
  args.SetInt(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  args.SetInt(GRPC_ARG_HTTP2_MAX_PINGS_WITHOUT_DATA, 0);
  if (!tls.enabled) {
    return grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
  }
  grpc::SslCredentialsOptions ssl;
  if (!tls.ca_file.empty()) ssl.pem_root_certs = ReadPem(tls.ca_file, "CA");
  if (!tls.cert_file.empty()) ssl.pem_cert_chain = ReadPem(tls.cert_file, "certificate");
  if (!tls.key_file.empty()) ssl.pem_private_key = ReadPem(tls.key_file, "key");
  if (!tls.server_name.empty()) args.SetSslTargetNameOverride(tls.server_name);
  return grpc::CreateCustomChannel(address, grpc::SslCredentials(ssl), args);
}

void AddCallMetadata(grpc::ClientContext* ctx, const std::string& session_id,
                     const std::string& token, const std::string& instance_id) {
  if (!session_id.empty()) ctx->AddMetadata(kSessionMetadataKey, session_id);
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  if (!instance_id.empty()) ctx->AddMetadata(kInstanceIdMetadataKey, instance_id);
}

std::string NewSessionId() {
  std::random_device random;  // getrandom(2) / /dev/urandom on Linux
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id;
  for (int i = 0; i < 4; ++i) {
    const uint32_t word = random();
    for (int shift = 28; shift >= 0; shift -= 4) id.push_back(kHex[(word >> shift) & 0xf]);
  }
  return id;
}

void SetTimeout(grpc::ClientContext* ctx, double seconds) {
  ctx->set_deadline(std::chrono::system_clock::now() +
                    std::chrono::microseconds(static_cast<int64_t>(seconds * 1e6)));
}

}  // namespace tensord::client
