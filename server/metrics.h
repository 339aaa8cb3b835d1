// Prometheus metrics of the daemon (tensord --metrics-listen): counters and
// latency histograms fed by the RPC interceptor and the executor, gauges read
// from the session manager and the device allocators at scrape time, all
// rendered in the Prometheus text exposition format (version 0.0.4).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include <grpcpp/grpcpp.h>
#include <grpcpp/support/server_interceptor.h>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace tensord::server {

class SessionManager;

// Upper bounds of the latency histograms, in seconds (+Inf is implied).
inline constexpr std::array<double, 16> kLatencyBuckets = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
    0.05,   0.1,     0.25,   0.5,   1,      2.5,   10,    60};

class Metrics {
 public:
  Metrics(std::string version, std::string instance);

  // One finished RPC: its full method name ("/tensord.v1.Tensord/Op") and
  // its status code.
  void ObserveRpc(absl::string_view method, grpc::StatusCode code, absl::Duration elapsed);
  // One command of a batch or a unary command RPC: the op name ("matmul"),
  // or the command kind ("fetch", "backward", ...), and its status code.
  void ObserveCommand(absl::string_view op, absl::StatusCode code, absl::Duration elapsed);

  // The exposition text; gauges are read from `sessions` now.
  std::string Render(const SessionManager& sessions) const;

  // An interceptor factory for grpc::ServerBuilder that times every RPC.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> InterceptorFactory();

 private:
  struct Histogram {
    std::array<int64_t, kLatencyBuckets.size()> counts{};  // not cumulative
    int64_t count = 0;
    double sum = 0;
    void Observe(double seconds);
  };
  using Key = std::pair<std::string, int>;  // (method or op, status code)

  const std::string version_;
  const std::string instance_;
  const absl::Time started_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<Key, int64_t> rpcs_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Histogram> rpc_latency_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<Key, int64_t> commands_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Histogram> command_latency_ ABSL_GUARDED_BY(mu_);
};

// Serves GET /metrics (and / with a pointer to it) over HTTP/1.1 on its own
// thread until destroyed.
class MetricsHttpServer {
 public:
  // Binds `address` (HOST:PORT; port 0 picks one) or fails with UNAVAILABLE.
  static absl::StatusOr<std::unique_ptr<MetricsHttpServer>> Start(
      const std::string& address, const Metrics& metrics, const SessionManager& sessions);
  ~MetricsHttpServer();

  // "HOST:PORT" with the bound port.
  const std::string& address() const { return address_; }

 private:
  struct Impl;
  explicit MetricsHttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::string address_;
};

}  // namespace tensord::server
