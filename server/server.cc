#include "server/server.h"

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "server/log.h"

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

}  // namespace

absl::StatusOr<std::unique_ptr<TensordServer>> TensordServer::Start(ServerOptions options) {
  if (options.listen.empty()) return absl::InvalidArgumentError("no --listen address");
  std::unique_ptr<TensordServer> server(new TensordServer());
  server->sessions_ = std::make_unique<SessionManager>(options.sessions);
  server->executor_ = std::make_unique<Executor>(options.executor);
  server->service_ = std::make_unique<TensordService>(*server->sessions_, *server->executor_,
                                                      options.service);

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  std::vector<int> ports(options.listen.size(), 0);
  for (size_t i = 0; i < options.listen.size(); ++i) {
    // TODO(security): TLS / mTLS and bearer tokens (DESIGN.md, Security).
    builder.AddListeningPort(options.listen[i], grpc::InsecureServerCredentials(), &ports[i]);
  }
  // Without this, Linux lets a second daemon bind the same port (SO_REUSEPORT)
  // and the two silently share its connections.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  // Sessions outlive calls: let clients keep idle connections alive with
  // pings as often as every 10 s instead of being sent GOAWAY (too_many_pings).
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
  builder.RegisterService(server->service_.get());
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
  server->sessions_->StartReaper(options.reaper_period);
  return server;
}

TensordServer::~TensordServer() { Shutdown(absl::ZeroDuration()); }

void TensordServer::Shutdown(absl::Duration drain) {
  if (server_ == nullptr) return;
  if (auto* health = server_->GetHealthCheckService()) health->Shutdown();
  server_->Shutdown(absl::ToChronoTime(absl::Now() + drain));
}

void TensordServer::Wait() {
  if (server_ != nullptr) server_->Wait();
}

}  // namespace tensord::server
