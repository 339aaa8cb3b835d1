// Assembles and runs the daemon: session manager, executor, the gRPC
// service, health checking and reflection. main.cc and the end-to-end tests
// start the same thing.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "server/executor.h"
#include "server/metrics.h"
#include "server/service.h"
#include "server/session_manager.h"

namespace tensord::server {

struct TlsOptions {
  std::string cert_file;       // PEM certificate chain; empty = no TLS
  std::string key_file;        // PEM private key of cert_file
  std::string client_ca_file;  // PEM CAs; set = mTLS, clients must present a cert they signed
};

struct ServerOptions {
  // "HOST:PORT" (port 0 = pick one) or "unix:PATH".
  std::vector<std::string> listen = {"localhost:50051"};
  SessionLimits sessions;
  ExecutorLimits executor;
  ServiceOptions service;
  // Applies to TCP addresses; unix: sockets are guarded by file permissions
  // and stay plaintext (bearer tokens still apply to them).
  TlsOptions tls;
  // gRPC sync-server threads. Each open Stream parks one in Read (no CPU);
  // CPU use is bounded by ExecutorLimits::compute_slots instead.
  int max_threads = 64;
  absl::Duration reaper_period = absl::Seconds(1);
  // "HOST:PORT": serve Prometheus metrics over HTTP there; empty = off.
  std::string metrics_listen;
};

class TensordServer {
 public:
  // Binds every address or fails (UNAVAILABLE, naming the address).
  static absl::StatusOr<std::unique_ptr<TensordServer>> Start(ServerOptions options);
  ~TensordServer();

  // The bound addresses, with picked ports filled in.
  const std::vector<std::string>& addresses() const { return addresses_; }
  SessionManager& sessions() { return *sessions_; }
  // The metrics address with its picked port; empty without metrics_listen.
  std::string metrics_address() const;

  // Reports NOT_SERVING to health checks, lets calls in flight finish for up
  // to `drain`, then cancels the rest. Idempotent.
  void Shutdown(absl::Duration drain);
  // Blocks until Shutdown has finished.
  void Wait();

 private:
  TensordServer() = default;

  std::unique_ptr<SessionManager> sessions_;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<Executor> executor_;
  std::unique_ptr<TensordService> service_;
  std::unique_ptr<MetricsHttpServer> metrics_http_;
  std::unique_ptr<grpc::Server> server_;  // declared last: destroyed first
  std::vector<std::string> addresses_;
};

}  // namespace tensord::server
