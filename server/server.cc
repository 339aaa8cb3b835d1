#include "server/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <sstream>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/status.h"
#include "server/listen_address.h"
#include "server/log.h"

#ifndef TENSORD_VERSION
#define TENSORD_VERSION "0.0.0"
#endif

namespace tensord::server {
namespace {

// "host:0" with the picked port filled in; unix addresses unchanged.
std::string ResolvedAddress(const std::string& address, int port) {
  if (absl::StartsWith(address, "unix:") || absl::StartsWith(address, "unix-abstract:")) {
    return address;
  }
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) return absl::StrCat(address, ":", port);
  return absl::StrCat(address.substr(0, colon), ":", port);
}

bool IsUnixAddress(absl::string_view address) {
  return absl::StartsWith(address, "unix:") || absl::StartsWith(address, "unix-abstract:");
}

bool IsLoopbackAddress(absl::string_view address) {
  return absl::StartsWith(address, "localhost:") || absl::StartsWith(address, "127.") ||
         absl::StartsWith(address, "[::1]:") || absl::StartsWith(address, "ipv4:127.") ||
         absl::StartsWith(address, "ipv6:[::1]:");
}

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> TcpCredentials(const TlsOptions& tls) {
  if (tls.cert_file.empty()) {
    if (!tls.key_file.empty() || !tls.client_ca_file.empty()) {
      return absl::InvalidArgumentError("--tls-key and --tls-client-ca need --tls-cert");
    }
    return grpc::InsecureServerCredentials();
  }
  if (tls.key_file.empty()) return absl::InvalidArgumentError("--tls-cert needs --tls-key");
  grpc::SslServerCredentialsOptions ssl(
      tls.client_ca_file.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                 : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  grpc::SslServerCredentialsOptions::PemKeyCertPair pair;
  TENSORD_ASSIGN_OR_RETURN(pair.private_key, ReadFile(tls.key_file));
  TENSORD_ASSIGN_OR_RETURN(pair.cert_chain, ReadFile(tls.cert_file));
  ssl.pem_key_cert_pairs.push_back(std::move(pair));
  if (!tls.client_ca_file.empty()) {
    TENSORD_ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadFile(tls.client_ca_file));
  }
  return grpc::SslServerCredentials(ssl);
}

}  // namespace

absl::StatusOr<std::unique_ptr<TensordServer>> TensordServer::Start(ServerOptions options) {
  if (options.listen.empty()) return absl::InvalidArgumentError("no --listen address");
  for (const std::string& address : options.listen) {
    TENSORD_RETURN_IF_ERROR(ValidateListenAddress("--listen", address));
  }
  TENSORD_ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> tcp_credentials,
                           TcpCredentials(options.tls));
  std::unique_ptr<TensordServer> server(new TensordServer());
  server->sessions_ = std::make_unique<SessionManager>(options.sessions);
  server->metrics_ = std::make_unique<Metrics>(TENSORD_VERSION, options.service.instance);
  server->executor_ = std::make_unique<Executor>(options.executor);
  server->executor_->set_metrics(server->metrics_.get());
  server->service_ = std::make_unique<TensordService>(*server->sessions_, *server->executor_,
                                                      options.service);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  std::vector<int> ports(options.listen.size(), 0);
  for (size_t i = 0; i < options.listen.size(); ++i) {
    const std::string& address = options.listen[i];
    const bool unix_socket = IsUnixAddress(address);
    if (!unix_socket && !IsLoopbackAddress(address) &&
        (options.tls.cert_file.empty() || options.service.tokens == nullptr)) {
      LogWarning("exposed_listen",
                 {{"address", address},
                  {"tls", options.tls.cert_file.empty() ? "off" : "on"},
                  {"tokens", options.service.tokens == nullptr ? "off" : "on"},
                  {"hint", "off-host clients need --tls-cert/--tls-key and --auth-tokens"}});
    }
    builder.AddListeningPort(
        address, unix_socket ? grpc::InsecureServerCredentials() : tcp_credentials, &ports[i]);
  }
  // Without this, Linux lets a second daemon bind the same port (SO_REUSEPORT)
  // and the two silently share its connections.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // Sessions outlive calls: let clients keep idle connections alive with
  // pings as often as every 10 s instead of being sent GOAWAY (too_many_pings).
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
  builder.RegisterService(server->service_.get());
  {
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> timers;
    timers.push_back(server->metrics_->InterceptorFactory());
    builder.experimental().SetInterceptorCreators(std::move(timers));
  }
  const int max_message = static_cast<int>(
      std::min<int64_t>(options.service.max_message_bytes, std::numeric_limits<int>::max()));
  builder.SetMaxReceiveMessageSize(max_message);
  builder.SetMaxSendMessageSize(max_message);
  grpc::ResourceQuota quota("tensord");
  quota.SetMaxThreads(options.max_threads);
  builder.SetResourceQuota(quota);

  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ",
                                               absl::StrJoin(options.listen, ", "),
                                               " (address in use, or not permitted?)"));
  }
  for (size_t i = 0; i < options.listen.size(); ++i) {
    if (ports[i] == 0) {
      server->server_->Shutdown();
      return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen[i],
                                                 " (address in use, or not permitted?)"));
    }
    server->addresses_.push_back(ResolvedAddress(options.listen[i], ports[i]));
  }
  if (auto* health = server->server_->GetHealthCheckService()) {
    health->SetServingStatus(v1::Tensord::service_full_name(), true);
  }
  if (!options.metrics_listen.empty()) {
    absl::StatusOr<std::unique_ptr<MetricsHttpServer>> http = MetricsHttpServer::Start(
        options.metrics_listen, *server->metrics_, *server->sessions_);
    if (!http.ok()) {
      server->server_->Shutdown();
      return http.status();
    }
    server->metrics_http_ = std::move(*http);
  }
  server->sessions_->StartReaper(options.reaper_period);
  return server;
}

TensordServer::~TensordServer() { Shutdown(absl::ZeroDuration()); }

std::string TensordServer::metrics_address() const {
  return metrics_http_ == nullptr ? std::string() : metrics_http_->address();
}

void TensordServer::Shutdown(absl::Duration drain) {
  if (server_ == nullptr) return;
  if (auto* health = server_->GetHealthCheckService()) health->Shutdown();
  server_->Shutdown(absl::ToChronoTime(absl::Now() + drain));
}

void TensordServer::Wait() {
  if (server_ != nullptr) server_->Wait();
}

}  // namespace tensord::server
