#include "server/metrics.h"

#include <httplib.h>

#include <algorithm>
#include <map>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "engine/cuda/caching_allocator.h"
#include "engine/cuda/runtime.h"
#include "server/listen_address.h"
#include "server/log.h"
#include "server/session_manager.h"

namespace tensord::server {
namespace {

// A label value, escaped as the text format requires.
std::string Label(absl::string_view value) {
  return absl::StrReplaceAll(value, {{"\\", "\\\\"}, {"\"", "\\\""}, {"\n", "\\n"}});
}

std::string CodeName(int code) {
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

void Header(std::string* out, absl::string_view name, absl::string_view type,
            absl::string_view help) {
  absl::StrAppend(out, "# HELP ", name, " ", help, "\n# TYPE ", name, " ", type, "\n");
}

// Sorted copies, so scrapes list series in a stable order.
template <typename Map>
std::map<typename Map::key_type, typename Map::mapped_type> Sorted(const Map& m) {
  return {m.begin(), m.end()};
}

class RpcTimer final : public grpc::experimental::Interceptor {
 public:
  RpcTimer(grpc::experimental::ServerRpcInfo* info, Metrics* metrics)
      : method_(info->method() != nullptr ? info->method() : "unknown"),
        metrics_(metrics),
        start_(absl::Now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(
            grpc::experimental::InterceptionHookPoints::PRE_SEND_STATUS)) {
      metrics_->ObserveRpc(method_, methods->GetSendStatus().error_code(), absl::Now() - start_);
    }
    methods->Proceed();
  }

 private:
  const std::string method_;
  Metrics* const metrics_;
  const absl::Time start_;
};

class RpcTimerFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit RpcTimerFactory(Metrics* metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new RpcTimer(info, metrics_);
  }

 private:
  Metrics* const metrics_;
};

}  // namespace

void Metrics::Histogram::Observe(double seconds) {
  const auto it = std::lower_bound(kLatencyBuckets.begin(), kLatencyBuckets.end(), seconds);
  if (it != kLatencyBuckets.end()) ++counts[it - kLatencyBuckets.begin()];
  ++count;
  sum += seconds;
}

Metrics::Metrics(std::string version, std::string instance)
    : version_(std::move(version)), instance_(std::move(instance)), started_(absl::Now()) {}

void Metrics::ObserveRpc(absl::string_view method, grpc::StatusCode code,
                         absl::Duration elapsed) {
  absl::MutexLock lock(&mu_);
  ++rpcs_[Key(std::string(method), static_cast<int>(code))];
  rpc_latency_[method].Observe(absl::ToDoubleSeconds(elapsed));
}

void Metrics::ObserveCommand(absl::string_view op, absl::StatusCode code,
                             absl::Duration elapsed) {
  absl::MutexLock lock(&mu_);
  ++commands_[Key(std::string(op), static_cast<int>(code))];
  command_latency_[op].Observe(absl::ToDoubleSeconds(elapsed));
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
Metrics::InterceptorFactory() {
  return std::make_unique<RpcTimerFactory>(this);
}

std::string Metrics::Render(const SessionManager& sessions) const {
  std::string out;
  Header(&out, "tensord_build_info", "gauge", "Version and instance name of this daemon.");
  absl::StrAppend(&out, "tensord_build_info{version=\"", Label(version_), "\",instance=\"",
                  Label(instance_), "\"} 1\n");
  Header(&out, "tensord_uptime_seconds", "gauge", "Seconds since the daemon started.");
  absl::StrAppend(&out, "tensord_uptime_seconds ",
                  absl::ToDoubleSeconds(absl::Now() - started_), "\n");

  // Sessions and their memory. Labels name a session by ShortId only: a
  // session id is a capability.
  const auto live = sessions.List();
  const auto& cuda_devices = engine::cuda::Devices();
  Header(&out, "tensord_sessions", "gauge", "Live sessions.");
  absl::StrAppend(&out, "tensord_sessions ", live.size(), "\n");
  Header(&out, "tensord_session_bytes", "gauge",
          "Bytes a session holds per device: host storage its handles reference (cpu), "
          "allocated device memory (cuda:N).");
  int64_t host_bytes = 0;
  for (const auto& s : live) {
    const std::string session = Label(ShortId(s->id()));
    host_bytes += s->bytes();
    absl::StrAppend(&out, "tensord_session_bytes{session=\"", session, "\",device=\"cpu\"} ",
                    s->bytes(), "\n");
    for (const auto& d : cuda_devices) {
      const engine::cuda::MemoryStats mine =
          engine::cuda::Allocator(d.index).AccountStats(s->cuda_context().account());
      absl::StrAppend(&out, "tensord_session_bytes{session=\"", session, "\",device=\"cuda:",
                      d.index, "\"} ", mine.allocated_bytes, "\n");
    }
  }
  Header(&out, "tensord_device_allocated_bytes", "gauge",
         "Bytes allocated per device: host storage of all sessions (cpu), the caching "
         "allocator's live blocks (cuda:N).");
  absl::StrAppend(&out, "tensord_device_allocated_bytes{device=\"cpu\"} ", host_bytes, "\n");
  for (const auto& d : cuda_devices) {
    absl::StrAppend(&out, "tensord_device_allocated_bytes{device=\"cuda:", d.index, "\"} ",
                    engine::cuda::Allocator(d.index).Stats().allocated_bytes, "\n");
  }
  if (!cuda_devices.empty()) {
    Header(&out, "tensord_device_reserved_bytes", "gauge",
           "Device memory the caching allocator holds from the driver.");
    for (const auto& d : cuda_devices) {
      absl::StrAppend(&out, "tensord_device_reserved_bytes{device=\"cuda:", d.index, "\"} ",
                      engine::cuda::Allocator(d.index).Stats().reserved_bytes, "\n");
    }
  }

  absl::MutexLock lock(&mu_);
  auto histogram = [&](absl::string_view name, absl::string_view label,
                       const absl::flat_hash_map<std::string, Histogram>& series) {
    for (const auto& [key, h] : Sorted(series)) {
      const std::string l = absl::StrCat(label, "=\"", Label(key), "\"");
      int64_t cumulative = 0;
      for (size_t i = 0; i < kLatencyBuckets.size(); ++i) {
        cumulative += h.counts[i];
        absl::StrAppend(&out, name, "_bucket{", l, ",le=\"", kLatencyBuckets[i], "\"} ",
                        cumulative, "\n");
      }
      absl::StrAppend(&out, name, "_bucket{", l, ",le=\"+Inf\"} ", h.count, "\n");
      absl::StrAppend(&out, name, "_sum{", l, "} ", h.sum, "\n");
      absl::StrAppend(&out, name, "_count{", l, "} ", h.count, "\n");
    }
  };
  Header(&out, "tensord_rpcs_total", "counter", "Finished RPCs by method and status code.");
  for (const auto& [key, n] : Sorted(rpcs_)) {
    absl::StrAppend(&out, "tensord_rpcs_total{method=\"", Label(key.first), "\",code=\"",
                    CodeName(key.second), "\"} ", n, "\n");
  }
  Header(&out, "tensord_rpc_duration_seconds", "histogram", "RPC latency by method.");
  histogram("tensord_rpc_duration_seconds", "method", rpc_latency_);
  Header(&out, "tensord_commands_total", "counter",
         "Commands run (ops by name, other commands by kind) and their status code; "
         "errors are the series with code other than OK.");
  for (const auto& [key, n] : Sorted(commands_)) {
    absl::StrAppend(&out, "tensord_commands_total{op=\"", Label(key.first), "\",code=\"",
                    CodeName(key.second), "\"} ", n, "\n");
  }
  Header(&out, "tensord_command_duration_seconds", "histogram",
         "Command latency by op, from the start of its run to its result.");
  histogram("tensord_command_duration_seconds", "op", command_latency_);
  return out;
}

// ---------------------------------------------------------------- HTTP

struct MetricsHttpServer::Impl {
  httplib::Server http;
  std::thread thread;
};

MetricsHttpServer::MetricsHttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

MetricsHttpServer::~MetricsHttpServer() {
  impl_->http.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

absl::StatusOr<std::unique_ptr<MetricsHttpServer>> MetricsHttpServer::Start(
    const std::string& address, const Metrics& metrics, const SessionManager& sessions) {
  absl::StatusOr<HostPort> hp = ParseHostPort("--metrics-listen", address);
  if (!hp.ok()) return hp.status();
  std::string host = hp->host;
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  auto impl = std::make_unique<Impl>();
  // Scrapes are rare and small: two threads, not httplib's default pool.
  impl->http.new_task_queue = [] { return new httplib::ThreadPool(2); };
  impl->http.Get("/metrics", [&metrics, &sessions](const httplib::Request&,
                                                   httplib::Response& res) {
    res.set_content(metrics.Render(sessions), "text/plain; version=0.0.4; charset=utf-8");
  });
  impl->http.Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("tensord metrics: /metrics\n", "text/plain");
  });
  const int port = hp->port == 0 ? impl->http.bind_to_any_port(host)
                                 : (impl->http.bind_to_port(host, hp->port) ? hp->port : -1);
  if (port <= 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on --metrics-listen ", address,
                                               " (address in use, or not permitted?)"));
  }
  impl->thread = std::thread([http = &impl->http] { http->listen_after_bind(); });
  std::unique_ptr<MetricsHttpServer> server(new MetricsHttpServer(std::move(impl)));
  server->address_ = absl::StrCat(hp->host, ":", port);
  return server;
}

}  // namespace tensord::server
