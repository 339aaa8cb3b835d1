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

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "engine/backend.h"
#include "engine/cuda/runtime.h"
#include "engine/device.h"
#include "server/auth.h"
#include "server/log.h"
#include "server/server.h"

namespace tensord::server {
namespace {

constexpr char kUsage[] = R"(usage: tensord [flags]

The tensord daemon: a networked tensor compute server (gRPC, tensord.v1).

Flags:
  --listen ADDR              HOST:PORT or unix:PATH; repeatable
                             (default localhost:50051; port 0 picks a free port)
  --max-sessions N           live sessions at most (default 1024)
  --idle-ttl-seconds N       default idle TTL of a session (default 300)
  --max-idle-ttl-seconds N   largest TTL a client may ask for (default 86400)
  --max-tensor-elements N    elements per tensor at most (default 2147483648)
  --max-session-bytes N      host (cpu) tensor bytes bound per session at most;
                             0 = no limit (default: half of physical memory).
                             Device memory is bounded by the device: a command
                             that does not fit fails alone (RESOURCE_EXHAUSTED)
  --max-message-bytes N      largest gRPC message in either direction
                             (default 67108864)
  --compute-slots N          commands computing at once across sessions
                             (default: one per core)
  --threads N                RPC threads at most; each open Stream holds one
                             (default 64)
  --drain-seconds N          on SIGTERM/SIGINT, time given to calls in flight
                             (default 5)
  --tls-cert FILE            PEM certificate chain: serve TCP addresses over TLS
  --tls-key FILE             PEM private key of --tls-cert
  --tls-client-ca FILE       PEM CAs: require client certificates they signed
                             (mTLS); the certificate names the caller
  --auth-tokens FILE         lines "IDENTITY TOKEN": every call must send
                             "authorization: Bearer TOKEN" and acts as IDENTITY
                             (sessions belong to the identity that created them)
  --help                     print this and exit
  --version                  print the version and exit

When every address is bound, one line "tensord listening on ADDR [ADDR...]"
goes to stdout. Logs are key=value lines on stderr. SIGTERM or SIGINT drains
and exits 0; a second signal exits at once. Exit codes: 0 after a signal,
1 when it cannot start, 2 for bad flags.

CUDA devices are the GPUs the CUDA runtime shows (CUDA_VISIBLE_DEVICES
applies); each session gets its own stream per device and its own memory
account. TENSORD_CUDA_EMULATOR=N[:MiB] offers N emulated devices of MiB each
(default 1024) instead: host memory and the kernels compiled for the host,
for tests on machines without a GPU.

Without --tls-cert and --auth-tokens anyone who can reach an address can use
the server: the default (localhost) is meant for one machine. unix: sockets
are plaintext and guarded by file permissions; tokens apply to them too.
)";

#ifndef TENSORD_VERSION
#define TENSORD_VERSION "0.0.0"
#endif

[[noreturn]] void Usage(absl::string_view error) {
  std::cerr << "tensord: " << error << "\n(see tensord --help)\n";
  std::exit(2);
}

struct Flags {
  ServerOptions server;
  absl::Duration drain = absl::Seconds(5);
};

int64_t ParseInt(absl::string_view flag, absl::string_view value, int64_t min, int64_t max) {
  int64_t v = 0;
  if (!absl::SimpleAtoi(value, &v) || v < min || v > max) {
    Usage(absl::StrCat(flag, " expects an integer in [", min, ", ", max, "], got '", value,
                       "'"));
  }
  return v;
}

int64_t DefaultSessionBytes() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGESIZE);
  return pages > 0 && page_size > 0 ? int64_t{pages} * page_size / 2 : 0;
}

Flags ParseFlags(int argc, char** argv) {
  Flags flags;
  ServerOptions& o = flags.server;
  o.executor.max_session_bytes = DefaultSessionBytes();
  bool listen_given = false;
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << kUsage;
      std::exit(0);
    }
    if (arg == "--version") {
      std::cout << "tensord " << TENSORD_VERSION << "\n";
      std::exit(0);
    }
    if (arg.substr(0, 2) != "--") Usage(absl::StrCat("unexpected argument '", arg, "'"));
    absl::string_view name = arg;
    std::optional<absl::string_view> value;
    if (size_t eq = arg.find('='); eq != absl::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    } else if (i + 1 < argc) {
      value = argv[++i];
    }
    if (!value) Usage(absl::StrCat(name, " needs a value"));
    if (name == "--listen") {
      if (!listen_given) o.listen.clear();
      listen_given = true;
      if (value->empty()) Usage("--listen needs an address");
      o.listen.emplace_back(*value);
    } else if (name == "--max-sessions") {
      o.sessions.max_sessions = ParseInt(name, *value, 1, kMax);
    } else if (name == "--idle-ttl-seconds") {
      o.sessions.default_idle_ttl = absl::Seconds(ParseInt(name, *value, 1, 1 << 30));
    } else if (name == "--max-idle-ttl-seconds") {
      o.sessions.max_idle_ttl = absl::Seconds(ParseInt(name, *value, 1, 1 << 30));
    } else if (name == "--max-tensor-elements") {
      o.executor.max_tensor_elements = ParseInt(name, *value, 1, int64_t{1} << 48);
    } else if (name == "--max-session-bytes") {
      o.executor.max_session_bytes = ParseInt(name, *value, 0, kMax);
    } else if (name == "--max-message-bytes") {
      o.service.max_message_bytes =
          ParseInt(name, *value, 1 << 20, std::numeric_limits<int>::max());
    } else if (name == "--compute-slots") {
      o.executor.compute_slots = static_cast<int>(ParseInt(name, *value, 1, 1024));
    } else if (name == "--threads") {
      o.max_threads = static_cast<int>(ParseInt(name, *value, 2, 4096));
    } else if (name == "--tls-cert") {
      o.tls.cert_file = std::string(*value);
    } else if (name == "--tls-key") {
      o.tls.key_file = std::string(*value);
    } else if (name == "--tls-client-ca") {
      o.tls.client_ca_file = std::string(*value);
    } else if (name == "--auth-tokens") {
      absl::StatusOr<TokenAuthenticator> tokens = TokenAuthenticator::FromFile(std::string(*value));
      if (!tokens.ok()) Usage(tokens.status().message());
      o.service.tokens = std::make_shared<const TokenAuthenticator>(std::move(*tokens));
    } else if (name == "--drain-seconds") {
      flags.drain = absl::Seconds(ParseInt(name, *value, 0, 3600));
    } else {
      Usage(absl::StrCat("unknown flag ", name));
    }
  }
  o.sessions.max_idle_ttl = std::max(o.sessions.max_idle_ttl, o.sessions.default_idle_ttl);
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
           {"addresses", absl::StrJoin((*server)->addresses(), ",")},
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
