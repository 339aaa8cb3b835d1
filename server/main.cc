// tensord: the tensor compute daemon. See `tensord --help`.
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "engine/backend.h"
#include "engine/cuda/runtime.h"
#include "engine/device.h"
#include "server/auth.h"
#include "server/listen_address.h"
#include "server/log.h"
#include "server/server.h"

namespace tensord::server {
namespace {

constexpr char kDescription[] = R"(tensord: the tensor compute daemon, a networked tensor compute server
(gRPC, tensord.v1).)";

constexpr char kFooter[] = R"(
When every address is bound, one line "tensord listening on ADDR [ADDR...]"
goes to stdout. Logs go to stderr: key=value lines, or one JSON object per
line with --log-format=json (gRPC's own log lines included). SIGTERM or
SIGINT drains and exits 0; a second signal exits at once. Exit codes: 0 after
a signal, 1 when it cannot start, 2 for bad flags.

CUDA devices are the GPUs the CUDA runtime shows (CUDA_VISIBLE_DEVICES
applies); each session gets its own stream per device and its own memory
account. TENSORD_CUDA_EMULATOR=N[:MiB] offers N emulated devices of MiB each
(default 1024) instead: host memory and the kernels compiled for the host,
for tests on machines without a GPU.

Without --tls-cert and --auth-tokens anyone who can reach an address can use
the server: the default (localhost) is meant for one machine. unix: sockets
are plaintext and guarded by file permissions; tokens apply to them too.)";

#ifndef TENSORD_VERSION
#define TENSORD_VERSION "0.0.0"
#endif

struct Flags {
  ServerOptions server;
  absl::Duration drain = absl::Seconds(5);
  std::string log_format = "text";
};

int64_t DefaultSessionBytes() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGESIZE);
  return pages > 0 && page_size > 0 ? int64_t{pages} * page_size / 2 : 0;
}

// $POD_NAME (Kubernetes' downward API), else the host name.
std::string DefaultInstanceName() {
  if (const char* pod = std::getenv("POD_NAME"); pod != nullptr && *pod != '\0') return pod;
  char host[256] = {};
  if (gethostname(host, sizeof(host) - 1) == 0 && host[0] != '\0') return host;
  return "tensord";
}

// A CLI11 validator over one of the server's absl::Status rules (CLI11 puts
// the flag's name before the message).
CLI::Validator StatusValidator(absl::Status (*rule)(absl::string_view, absl::string_view)) {
  return CLI::Validator(
      [rule](std::string& value) -> std::string {
        absl::Status st = rule("", value);
        return st.ok() ? std::string() : std::string(st.message());
      },
      "");
}

// Parses argv; exits 0 after --help/--version and 2 on a bad flag.
Flags ParseFlags(int argc, char** argv) {
  Flags flags;
  ServerOptions& o = flags.server;
  o.executor.max_session_bytes = DefaultSessionBytes();
  o.service.instance = DefaultInstanceName();
  int64_t idle_ttl_s = absl::ToInt64Seconds(o.sessions.default_idle_ttl);
  int64_t max_idle_ttl_s = absl::ToInt64Seconds(o.sessions.max_idle_ttl);
  int64_t drain_s = absl::ToInt64Seconds(flags.drain);
  std::string auth_tokens;
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();

  CLI::App app(kDescription, "tensord");
  app.footer(kFooter);
  app.set_version_flag("--version", std::string("tensord ") + TENSORD_VERSION,
                       "print the version and exit");
  app.get_formatter()->column_width(34);
  app.add_option("--listen", o.listen,
                 "HOST:PORT or unix:PATH; repeatable (port 0 picks a free port)")
      ->type_name("ADDR")
      ->check(StatusValidator(ValidateListenAddress))
      ->capture_default_str();
  app.add_option("--instance-name", o.service.instance,
                 "name this daemon reports in ServerInfo/SessionInfo and its metrics "
                 "(default: $POD_NAME, else the host name)")
      ->type_name("NAME");
  app.add_option("--max-sessions", o.sessions.max_sessions, "live sessions at most")
      ->check(CLI::Range(int64_t{1}, kMax))
      ->capture_default_str();
  app.add_option("--idle-ttl-seconds", idle_ttl_s, "default idle TTL of a session")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 30))
      ->capture_default_str();
  app.add_option("--max-idle-ttl-seconds", max_idle_ttl_s, "largest TTL a client may ask for")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 30))
      ->capture_default_str();
  app.add_option("--max-tensor-elements", o.executor.max_tensor_elements,
                 "elements per tensor at most")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 48))
      ->capture_default_str();
  app.add_option("--max-session-bytes", o.executor.max_session_bytes,
                 "host (cpu) tensor bytes bound per session at most; 0 = no limit "
                 "(default: half of physical memory). Device memory is bounded by the "
                 "device: a command that does not fit fails alone (RESOURCE_EXHAUSTED)")
      ->check(CLI::Range(int64_t{0}, kMax));
  app.add_option("--max-message-bytes", o.service.max_message_bytes,
                 "largest gRPC message in either direction")
      ->check(CLI::Range(int64_t{1} << 20, int64_t{std::numeric_limits<int>::max()}))
      ->capture_default_str();
  app.add_option("--compute-slots", o.executor.compute_slots,
                 "commands computing at once across sessions (default: one per core)")
      ->check(CLI::Range(1, 1024));
  app.add_option("--threads", o.max_threads, "RPC threads at most; each open Stream holds one")
      ->check(CLI::Range(2, 4096))
      ->capture_default_str();
  app.add_option("--drain-seconds", drain_s,
                 "on SIGTERM/SIGINT, time given to calls in flight")
      ->check(CLI::Range(int64_t{0}, int64_t{3600}))
      ->capture_default_str();
  app.add_option("--tls-cert", o.tls.cert_file,
                 "PEM certificate chain: serve TCP addresses over TLS")
      ->type_name("FILE");
  app.add_option("--tls-key", o.tls.key_file, "PEM private key of --tls-cert")
      ->type_name("FILE");
  app.add_option("--tls-client-ca", o.tls.client_ca_file,
                 "PEM CAs: require client certificates they signed (mTLS); the "
                 "certificate names the caller")
      ->type_name("FILE");
  app.add_option("--auth-tokens", auth_tokens,
                 "lines \"IDENTITY TOKEN\": every call must send \"authorization: Bearer "
                 "TOKEN\" and acts as IDENTITY (sessions belong to the identity that "
                 "created them)")
      ->type_name("FILE");
  app.add_option("--metrics-listen", o.metrics_listen,
                 "HOST:PORT: serve Prometheus metrics at http://HOST:PORT/metrics "
                 "(default: off)")
      ->type_name("ADDR")
      ->check(StatusValidator([](absl::string_view flag, absl::string_view v) {
        return ParseHostPort(flag, v).status();
      }));
  app.add_option("--log-format", flags.log_format, "stderr log lines: text (key=value) or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints help or the version to stdout, an error to stderr
    std::exit(e.get_exit_code() == 0 ? 0 : 2);
  }
  if (!auth_tokens.empty()) {
    absl::StatusOr<TokenAuthenticator> tokens = TokenAuthenticator::FromFile(auth_tokens);
    if (!tokens.ok()) {
      std::cerr << "tensord: --auth-tokens: " << tokens.status().message()
                << "\n(see tensord --help)\n";
      std::exit(2);
    }
    o.service.tokens = std::make_shared<const TokenAuthenticator>(std::move(*tokens));
  }
  o.sessions.default_idle_ttl = absl::Seconds(idle_ttl_s);
  o.sessions.max_idle_ttl = std::max(absl::Seconds(max_idle_ttl_s), o.sessions.default_idle_ttl);
  flags.drain = absl::Seconds(drain_s);
  // Fetched payloads in one batch response leave room for the results.
  o.executor.max_inline_bytes = o.service.max_message_bytes / 8 * 7;
  return flags;
}

int g_signal_pipe[2] = {-1, -1};

void OnSignal(int sig) {
  const unsigned char byte = static_cast<unsigned char>(sig);
  [[maybe_unused]] ssize_t n = write(g_signal_pipe[1], &byte, 1);
}

// Blocks until OnSignal forwards a signal; returns its number.
int NextSignal() {
  unsigned char byte = 0;
  while (true) {
    const ssize_t n = read(g_signal_pipe[0], &byte, 1);
    if (n == 1) return byte;
    if (n < 0 && errno == EINTR) continue;
    return SIGTERM;  // the pipe broke: shut down rather than hang
  }
}

int Main(int argc, char** argv) {
  const Flags flags = ParseFlags(argc, argv);
  SetLogFormat(flags.log_format == "json" ? LogFormat::kJson : LogFormat::kText);
  RouteGrpcLogs();
  engine::RegisterBackends();  // Note [Backend registration]

  // Threads that exist before main (OpenBLAS starts its pool when loaded)
  // would take a blocked-everywhere-else signal with its default action, so
  // a handler forwards SIGTERM/SIGINT through a pipe to a watcher thread.
  if (pipe(g_signal_pipe) != 0) {
    LogError("start_failed", {{"error", "pipe() failed"}});
    return 1;
  }
  struct sigaction action = {};
  action.sa_handler = OnSignal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  signal(SIGPIPE, SIG_IGN);

  absl::StatusOr<std::unique_ptr<TensordServer>> server = TensordServer::Start(flags.server);
  if (!server.ok()) {
    LogError("start_failed", {{"error", std::string(server.status().message())}});
    return 1;
  }
  const ServerOptions& o = flags.server;
  LogInfo("started",
          {{"version", TENSORD_VERSION},
           {"instance", o.service.instance},
           {"addresses", absl::StrJoin((*server)->addresses(), ",")},
           {"metrics", (*server)->metrics_address().empty()
                           ? std::string("off")
                           : absl::StrCat("http://", (*server)->metrics_address(), "/metrics")},
           {"max_sessions", absl::StrCat(o.sessions.max_sessions)},
           {"idle_ttl_s", absl::StrCat(absl::ToInt64Seconds(o.sessions.default_idle_ttl))},
           {"max_tensor_elements", absl::StrCat(o.executor.max_tensor_elements)},
           {"max_session_bytes", absl::StrCat(o.executor.max_session_bytes)},
           {"max_message_bytes", absl::StrCat(o.service.max_message_bytes)},
           {"threads", absl::StrCat(o.max_threads)},
           {"tls", o.tls.cert_file.empty() ? "off" : o.tls.client_ca_file.empty() ? "on" : "mtls"},
           {"auth_tokens", absl::StrCat(o.service.tokens == nullptr ? 0 : o.service.tokens->size())},
           {"cuda_devices", absl::StrCat(engine::cuda::Devices().size())},
           {"cuda_status", engine::CudaUnavailableReason()}});
  std::cout << "tensord listening on " << absl::StrJoin((*server)->addresses(), " ")
            << std::endl;

  std::thread signal_thread([&server, drain = flags.drain] {
    const int sig = NextSignal();
    LogInfo("shutdown", {{"signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"},
                         {"drain_s", absl::StrCat(absl::ToInt64Seconds(drain))}});
    std::thread second([] {
      NextSignal();
      LogWarning("shutdown_forced", {});
      std::_Exit(1);
    });
    second.detach();
    (*server)->Shutdown(drain);
  });
  (*server)->Wait();
  signal_thread.join();
  LogInfo("stopped", {});
  return 0;
}

}  // namespace
}  // namespace tensord::server

int main(int argc, char** argv) { return tensord::server::Main(argc, argv); }
