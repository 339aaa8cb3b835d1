// tensorctl: the tensord command line (health, info, ops, sessions, eval, graph).
//
// Exit codes that scripts can trust:
//   0  success (health: SERVING)
//   1  the server answered, and said no (an RPC error; health: NOT_SERVING,
//      SERVICE_UNKNOWN; eval: the expression failed on the server)
//   2  usage error, or the server could not be reached
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <google/protobuf/util/json_util.h>
#include <unistd.h>

#include "channel.h"
#include "eval.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "json.h"
#include "tensord/tensord.h"
#include "tensord/v1/tensord.grpc.pb.h"

#ifndef TENSORD_VERSION
#define TENSORD_VERSION "0.0.0"
#endif

namespace tensord::tensorctl {
namespace {

namespace v1 = ::tensord::v1;

constexpr int kExitOk = 0;
constexpr int kExitServerSaidNo = 1;
constexpr int kExitUsage = 2;

constexpr char kMainHelp[] = R"(Usage: tensorctl [OPTIONS] COMMAND [ARGS...]

Talks to a tensord server.

Commands:
  health     check the server's grpc.health.v1 status
  info       server version, devices, limits and load
  ops        the op registry (names, inputs, attributes, outputs)
  sessions   live sessions (administration)
  eval       evaluate a tensor expression on a fresh session
  graph      the autograd graph of an expression, as Graphviz DOT or SVG
  upload     bind a tensor from a .npy / .safetensors file in a session
  download   write a session's tensor to a .npy / .safetensors file
  help       show help for a command

Options (accepted before or after the command):
  --address ADDR   server address: HOST:PORT or unix:PATH
                   (default: $TENSORD_ADDRESS, else localhost:50051)
  --token TOKEN    bearer token (default: $TENSORD_TOKEN)
  --tls            use TLS with the system's root CAs ($TENSORD_TLS=1)
  --tls-ca FILE    use TLS; PEM roots of the server certificate ($TENSORD_TLS_CA)
  --tls-cert FILE  client certificate for mTLS ($TENSORD_TLS_CERT)
  --tls-key FILE   its private key ($TENSORD_TLS_KEY)
  --tls-server-name NAME  name expected in the server certificate
  --timeout SECS   deadline of each call (default: 10)
  --json           machine-readable JSON on stdout (non-finite numbers are
                   the strings "NaN", "Infinity", "-Infinity", as in protobuf's
                   JSON mapping)
  -h, --help       show help
  --version        print tensorctl's version and exit

Exit codes: 0 success; 1 the server answered with an error (or NOT_SERVING);
2 usage error or server unreachable.
Run 'tensorctl COMMAND --help' for the options of a command.
)";

constexpr char kHealthHelp[] = R"(Usage: tensorctl health [--service NAME] [OPTIONS]

Calls grpc.health.v1.Health/Check and prints the status.

Options:
  --service NAME   the service to check ("" = the whole server, the default;
                   e.g. tensord.v1.Tensord)
  plus the global options (--address, --timeout, --json, --token, --tls...)

Exit codes: 0 SERVING; 1 NOT_SERVING, SERVICE_UNKNOWN or any other answer;
2 unreachable (or usage error).
)";

constexpr char kInfoHelp[] = R"(Usage: tensorctl info [OPTIONS]

Prints the server's version, devices, limits in force and load (ServerInfo).
Each cuda device comes with its name, memory and compute capability; a
server without one says why ("cuda  none: ...").
Takes the global options (--address, --timeout, --json, --token).
)";

constexpr char kOpsHelp[] = R"(Usage: tensorctl ops [NAME...] [OPTIONS]

Prints the server's op registry (ListOps): each op's tensor inputs, its
attributes with their types and defaults, its number of outputs, whether it
is differentiable, and the devices with a kernel. With NAMEs, only those ops
(exit 1 if one is unknown). With --json, also each op's doc string.
)";

constexpr char kSessionsHelp[] = R"(Usage: tensorctl sessions [OPTIONS]

Lists the server's live sessions (ListSessions): id, owner, bound tensors,
bytes, idle seconds and idle TTL.
)";

constexpr char kEvalHelp[] = R"(Usage: tensorctl eval EXPR [OPTIONS]

Evaluates EXPR in a fresh session and prints the result like torch does.
Statements may be separated by ';' and assigned to names; the value of the
last one is printed. Examples:

  tensorctl eval 'ones(2, 3) * 2 + 1'
  tensorctl eval 'a = tensor([[1., 2.], [3., 4.]]); a @ a.T'
  tensorctl eval 'manual_seed(0); randn(3).sum()'
  tensorctl eval 'x = tensor([1., 2.], requires_grad=True); y = (x * x).sum(); y.backward(); x.grad'

Any registered op can be called as a function (add(a, b, alpha=2)) or a
method (a.sum(dim=0, keepdim=True)); operators: + - * / @ ** and unary -.
Factories: tensor, zeros, ones, full, arange, rand, randn, randint, empty.
Keywords: dtype=float64 (any dtype name), requires_grad=True, True/False/None.
With --json the result is {"dtype", "shape", "data"} (data nested like the shape).

Files (upload and download): load("x.npy") and load("m.safetensors", "name")
upload a tensor from a file; --output FILE (-o FILE) downloads the result to
a .npy or .safetensors file (key "result") instead of printing it:

  tensorctl eval 'w = load("model.safetensors", "0.weight"); w.sum(dim=1)' -o rows.npy
)";

constexpr char kGraphHelp[] = R"(Usage: tensorctl graph [--expr] EXPR [--svg] [--saved] [--attrs] [OPTIONS]

Evaluates EXPR like 'tensorctl eval' and prints the autograd graph of its
value as Graphviz DOT, drawn like torchviz's make_dot: a box per grad_fn named
as PyTorch names it (AddmmBackward0, AccumulateGrad), a light blue box per leaf
tensor (labelled with the name it was assigned to, and its shape), the result
in green, and edges from inputs toward the result. Example:

  tensorctl graph 'w = randn(3, 2, requires_grad=True); b = zeros(2, requires_grad=True);
                   x = randn(4, 3); (x @ w + b).relu().sum()' --svg > graph.svg

Options:
  --expr EXPR   the expression (or give it as the argument)
  --svg         print SVG instead of DOT (runs Graphviz's `dot`; apt-get install graphviz)
  --saved       also draw the tensors each node saved for backward (orange)
  --attrs       list each node's op attributes and saved tensors under its name
  --json        the graph as JSON (the AutogradGraph message of tensord.proto)
  plus the global options (--address, --timeout, --token, --tls...)
)";

constexpr char kUploadHelp[] = R"(Usage: tensorctl upload FILE [--name NAME] [--session ID --handle N]
                        [--requires-grad] [--ttl SECS] [OPTIONS]

Uploads one tensor of a .npy or .safetensors file (--name picks one of a
safetensors file's tensors) with the chunked Upload RPC and prints the session
id and handle it is bound to. Without --session a new session is created and
left open: it lives until its idle TTL (--ttl, default the server's) runs out,
so that 'tensorctl download' or another client can use the tensor. With
--session ID the tensor goes into that session under handle N; choose a handle
its client does not use. A progress bar is drawn on a terminal.
)";

constexpr char kDownloadHelp[] = R"(Usage: tensorctl download --session ID --handle N FILE [--name NAME]
                          [OPTIONS]

Fetches the tensor bound to handle N of session ID (streamed Fetch) and writes
it to FILE: .npy, or .safetensors under the key NAME (default "tensor").
A Python client shows its ids as tensord.default_session().id and
tensor._handle. A progress bar is drawn on a terminal.
)";

// Draws "name [#####.....] 45% 12.3/27.0 MiB" on a terminal's stderr.
class Progress {
 public:
  Progress(std::string what, size_t total)
      : what_(std::move(what)), total_(total), on_(isatty(2) && total >= (size_t{1} << 20)) {}
  void Update(size_t done) {
    if (!on_) return;
    const int width = 30;
    const double f = total_ ? static_cast<double>(done) / static_cast<double>(total_) : 1.0;
    const int fill = static_cast<int>(f * width);
    std::fprintf(stderr, "\r%s [%s%s] %3d%% %.1f/%.1f MiB", what_.c_str(),
                 std::string(fill, '#').c_str(), std::string(width - fill, '.').c_str(),
                 static_cast<int>(f * 100), done / 1048576.0, total_ / 1048576.0);
    if (done >= total_) std::fprintf(stderr, "\n");
  }

 private:
  std::string what_;
  size_t total_;
  bool on_;
};

// ---------------------------------------------------------------- graph

std::string DotQuote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";  // DOT's centred line break
      continue;
    }
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string SizeText(const google::protobuf::RepeatedField<int64_t>& shape) {
  std::string out = "(";
  for (int i = 0; i < shape.size(); ++i) out += (i ? ", " : "") + std::to_string(shape[i]);
  return out + ")";
}

// torchviz's node label with show_attrs: the name, a rule, "key: value" rows.
std::string FnLabel(const v1::GraphNode& n, bool show_attrs) {
  constexpr size_t kMaxAttrChars = 50;
  if (!show_attrs) return n.name();
  std::map<std::string, std::string> attrs;
  for (const v1::GraphAttr& a : n.attrs()) attrs[a.name()] = a.value();
  for (const v1::GraphTensor& s : n.saved()) attrs[s.name()] = "[saved tensor]";
  if (attrs.empty()) return n.name();
  size_t col1 = 0, col2 = 0;
  for (const auto& [k, v] : attrs) {
    col1 = std::max(col1, k.size());
    col2 = std::max(col2, v.size());
  }
  col2 = std::min(col2, kMaxAttrChars);
  std::string out = n.name() + "\n" + std::string(std::max(col1 + col2 + 2, n.name().size()), '-');
  for (const auto& [k, v] : attrs) {
    std::string value = v.size() > col2 ? v.substr(0, col2 - 3) + "..." : v;
    out += "\n" + k + std::string(col1 - k.size(), ' ') + ": ";
    out += std::string(col2 - value.size(), ' ') + value;
  }
  return out;
}

// The graph as DOT, laid out like torchviz's make_dot (and tensord.viz).
std::string GraphToDot(const v1::AutogradGraph& g, const std::map<uint64_t, std::string>& names,
                       bool show_saved, bool show_attrs) {
  std::vector<std::string> body;
  auto node = [&](const std::string& id, const std::string& label, const std::string& fill) {
    std::string line = "\t" + DotQuote(id) + " [label=" + DotQuote(label);
    if (!fill.empty()) line += " fillcolor=" + DotQuote(fill);
    body.push_back(line + "]");
  };
  auto edge = [&](const std::string& from, const std::string& to, bool undirected = false) {
    body.push_back("\t" + DotQuote(from) + " -> " + DotQuote(to) +
                   (undirected ? " [dir=" + DotQuote("none") + "]" : ""));
  };
  auto fn_id = [](uint32_t i) { return "fn" + std::to_string(i); };
  // Depth-first from each root, as torchviz visits the nodes.
  std::vector<uint32_t> order;
  std::vector<bool> seen(g.nodes_size(), false);
  for (const v1::GraphTensor& root : g.roots()) {
    if (root.grad_fn().none()) continue;
    std::vector<uint32_t> stack = {root.grad_fn().node()};
    while (!stack.empty()) {
      uint32_t i = stack.back();
      stack.pop_back();
      if (i >= seen.size() || seen[i]) continue;
      seen[i] = true;
      order.push_back(i);
      const auto& next = g.nodes(i).next();
      for (int e = next.size() - 1; e >= 0; --e) {
        if (!next[e].none()) stack.push_back(next[e].node());
      }
    }
  }
  for (int r = 0; r < g.roots_size(); ++r) {
    node("out" + std::to_string(r), "\n " + SizeText(g.roots(r).shape()), "darkolivegreen1");
  }
  for (uint32_t i : order) {
    const v1::GraphNode& n = g.nodes(i);
    if (show_saved) {
      for (int j = 0; j < n.saved_size(); ++j) {
        const v1::GraphTensor& st = n.saved(j);
        std::string id = "saved" + std::to_string(i) + "_" + std::to_string(j);
        std::string what = st.freed() ? "(freed)" : st.modified() ? "(modified in place)"
                                                                 : SizeText(st.shape());
        edge(fn_id(i), id, /*undirected=*/true);
        node(id, st.name() + "\n " + what, "orange");
      }
    }
    if (n.name() == "AccumulateGrad" && n.has_variable()) {
      std::string id = "var" + std::to_string(i);
      auto it = names.find(n.variable().handle());
      node(id, (it == names.end() ? "" : it->second) + "\n " + SizeText(n.variable().shape()),
           "lightblue");
      edge(id, fn_id(i));
    }
    node(fn_id(i), FnLabel(n, show_attrs), "");
    for (const v1::GraphEdge& e : n.next()) {
      if (!e.none()) edge(fn_id(e.node()), fn_id(i));
    }
  }
  for (int r = 0; r < g.roots_size(); ++r) {
    if (!g.roots(r).grad_fn().none()) edge(fn_id(g.roots(r).grad_fn().node()), "out" + std::to_string(r));
  }
  // torchviz's resize_graph: the page grows with the graph.
  std::ostringstream size;
  size << std::max(12.0, 0.15 * static_cast<double>(body.size()));
  std::string out = "digraph {\n\tgraph [size=" + DotQuote(size.str() + "," + size.str()) + "]\n";
  out += "\tnode [style=\"filled\" shape=\"box\" align=\"left\" fontsize=\"10\" "
         "ranksep=\"0.1\" height=\"0.2\" fontname=\"monospace\"]\n";
  for (const std::string& line : body) out += line + "\n";
  return out + "}\n";
}

// The path of Graphviz's `dot` on $PATH, or "".
std::string FindDot() {
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/bin:/bin";
  size_t start = 0;
  while (start <= dirs.size()) {
    size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string candidate = dirs.substr(start, end - start) + "/dot";
    if (end > start && access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return "";
}

// Runs `dot -Tsvg` on `source`; false (with `error`) if it fails.
bool RenderSvg(const std::string& dot, const std::string& source, std::string* svg,
               std::string* error) {
  char path[] = "/tmp/tensorctl-graph-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) {
    *error = "cannot create a temporary file";
    return false;
  }
  bool wrote = write(fd, source.data(), source.size()) == static_cast<ssize_t>(source.size());
  close(fd);
  if (!wrote) {
    unlink(path);
    *error = "cannot write a temporary file";
    return false;
  }
  std::string cmd = "'" + dot + "' -Tsvg '" + path + "' 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) {
    unlink(path);
    *error = "cannot run " + dot;
    return false;
  }
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) svg->append(buf, n);
  int rc = pclose(p);
  unlink(path);
  if (rc != 0) {
    *error = dot + " -Tsvg failed: " + *svg;
    return false;
  }
  return true;
}

struct GlobalOptions {
  std::string address;
  std::string token;
  client::TlsConfig tls;
  double timeout = 10;
  bool json = false;
  bool help = false;
};

bool IsUnreachable(grpc::StatusCode code) {
  return code == grpc::StatusCode::UNAVAILABLE ||
         code == grpc::StatusCode::DEADLINE_EXCEEDED;
}

class Cli {
 public:
  explicit Cli(GlobalOptions options) : options_(std::move(options)) {
    address_ = client::ResolveAddress(options_.address);
    token_ = client::ResolveToken(options_.token);
    tls_ = client::ResolveTls(options_.tls);
  }

  int Health(const std::vector<std::string>& args) {
    std::string service;
    for (size_t i = 0; i < args.size(); ++i) {
      if (args[i] == "--service" && i + 1 < args.size()) {
        service = args[++i];
      } else if (args[i].rfind("--service=", 0) == 0) {
        service = args[i].substr(10);
      } else {
        return UsageError("health: unexpected argument '" + args[i] + "'", kHealthHelp);
      }
    }
    auto stub = grpc::health::v1::Health::NewStub(client::MakeChannel(address_, tls_));
    grpc::ClientContext ctx;
    Prepare(&ctx);
    grpc::health::v1::HealthCheckRequest req;
    req.set_service(service);
    grpc::health::v1::HealthCheckResponse resp;
    grpc::Status status = stub->Check(&ctx, req, &resp);

    std::string state;
    int exit_code;
    if (status.ok()) {
      state = grpc::health::v1::HealthCheckResponse::ServingStatus_Name(resp.status());
      exit_code = resp.status() == grpc::health::v1::HealthCheckResponse::SERVING
                      ? kExitOk
                      : kExitServerSaidNo;
    } else if (IsUnreachable(status.error_code())) {
      state = "UNREACHABLE";
      exit_code = kExitUsage;
    } else if (status.error_code() == grpc::StatusCode::NOT_FOUND) {
      state = "SERVICE_UNKNOWN";
      exit_code = kExitServerSaidNo;
    } else {
      state = "ERROR";
      exit_code = kExitServerSaidNo;
    }
    if (options_.json) {
      JsonWriter w;
      w.BeginObject();
      w.Key("address").String(address_);
      w.Key("service").String(service);
      w.Key("status").String(state);
      if (!status.ok()) {
        w.Key("code").String(StatusCodeName(status.error_code()));
        w.Key("error").String(status.error_message());
      }
      w.EndObject();
      std::cout << w.str();
    } else {
      std::cout << state << "\n";
      if (!status.ok()) {
        std::cerr << "tensorctl: health check of " << address_ << " failed: "
                  << StatusCodeName(status.error_code()) << ": " << status.error_message()
                  << "\n";
      }
    }
    return exit_code;
  }

  int Info(const std::vector<std::string>& args) {
    if (!args.empty()) return UsageError("info: unexpected argument '" + args[0] + "'", kInfoHelp);
    auto stub = Stub();
    grpc::ClientContext ctx;
    Prepare(&ctx);
    v1::ServerInfoResponse info;
    grpc::Status status = stub->ServerInfo(&ctx, v1::Empty(), &info);
    if (!status.ok()) return RpcError("ServerInfo", status);
    if (options_.json) {
      JsonWriter w;
      w.BeginObject();
      w.Key("address").String(address_);
      w.Key("version").String(info.version());
      w.Key("instance").String(info.instance());
      w.Key("instance_id").String(info.instance_id());
      w.Key("uptime_seconds").Int(info.uptime_seconds());
      w.Key("sessions").Int(info.sessions());
      w.Key("num_ops").Int(info.num_ops());
      w.Key("intra_op_threads").Int(info.intra_op_threads());
      w.Key("devices").BeginArray();
      for (const auto& d : info.devices()) {
        w.BeginObject();
        w.Key("name").String(d.name());
        w.Key("description").String(d.description());
        w.Key("total_memory").Int(d.total_memory());
        if (!d.compute_capability().empty()) {
          w.Key("compute_capability").String(d.compute_capability());
        }
        w.EndObject();
      }
      w.EndArray();
      if (!info.cuda_status().empty()) w.Key("cuda_status").String(info.cuda_status());
      w.Key("limits").BeginObject();
      w.Key("max_tensor_elements").Int(info.max_tensor_elements());
      w.Key("max_message_bytes").Int(info.max_message_bytes());
      w.Key("max_sessions").Int(info.max_sessions());
      w.Key("max_session_bytes").Int(info.max_session_bytes());
      w.Key("default_idle_ttl_seconds").Uint(info.default_idle_ttl_seconds());
      w.EndObject();
      w.EndObject();
      std::cout << w.str();
      return kExitOk;
    }
    std::cout << "tensord " << info.version() << " at " << address_ << "\n";
    Row("instance", info.instance_id());
    Row("uptime", std::to_string(info.uptime_seconds()) + " s");
    Row("sessions", std::to_string(info.sessions()) + " (max " +
                        Limit(info.max_sessions()) + ")");
    Row("ops", std::to_string(info.num_ops()));
    Row("intra-op threads", std::to_string(info.intra_op_threads()));
    std::cout << "devices:\n";
    for (const auto& d : info.devices()) {
      std::string line = d.description();
      if (d.total_memory() > 0) line += ", " + Bytes(d.total_memory());
      if (!d.compute_capability().empty()) {
        line += ", compute capability " + d.compute_capability();
      }
      Row("  " + d.name(), line);
    }
    if (!info.cuda_status().empty()) Row("  cuda", "none: " + info.cuda_status());
    std::cout << "limits:\n";
    Row("  max tensor elements", Limit(info.max_tensor_elements()));
    Row("  max message size", info.max_message_bytes() > 0 ? Bytes(info.max_message_bytes())
                                                            : "unlimited");
    Row("  max session memory", info.max_session_bytes() > 0 ? Bytes(info.max_session_bytes())
                                                              : "unlimited");
    Row("  default idle TTL", std::to_string(info.default_idle_ttl_seconds()) + " s");
    return kExitOk;
  }

  int Ops(const std::vector<std::string>& args) {
    for (const std::string& a : args) {
      if (!a.empty() && a[0] == '-') return UsageError("ops: unknown option '" + a + "'", kOpsHelp);
    }
    auto stub = Stub();
    grpc::ClientContext ctx;
    Prepare(&ctx);
    v1::ListOpsResponse resp;
    grpc::Status status = stub->ListOps(&ctx, v1::Empty(), &resp);
    if (!status.ok()) return RpcError("ListOps", status);

    std::vector<const v1::OpSchema*> ops;
    std::vector<std::string> missing;
    if (args.empty()) {
      for (const auto& op : resp.ops()) ops.push_back(&op);
    } else {
      for (const std::string& name : args) {
        const v1::OpSchema* found = nullptr;
        for (const auto& op : resp.ops()) {
          if (op.name() == name) found = &op;
        }
        if (found != nullptr) {
          ops.push_back(found);
        } else {
          missing.push_back(name);
        }
      }
    }
    if (options_.json) {
      JsonWriter w;
      w.BeginArray();
      for (const v1::OpSchema* op : ops) {
        w.BeginObject();
        w.Key("name").String(op->name());
        w.Key("inputs").BeginArray();
        for (const auto& in : op->inputs()) {
          w.BeginObject();
          w.Key("name").String(in.name());
          w.Key("optional").Bool(in.optional());
          w.Key("variadic").Bool(in.variadic());
          w.EndObject();
        }
        w.EndArray();
        w.Key("attrs").BeginArray();
        for (const auto& a : op->attrs()) {
          w.BeginObject();
          w.Key("name").String(a.name());
          w.Key("type").String(a.type());
          w.Key("default");
          if (a.default_value().empty()) {
            w.Null();
          } else {
            w.String(a.default_value());
          }
          w.EndObject();
        }
        w.EndArray();
        w.Key("num_outputs").Int(op->num_outputs());
        w.Key("differentiable").Bool(op->differentiable());
        w.Key("inplace").Bool(op->inplace());
        w.Key("devices").BeginArray();
        for (const auto& d : op->devices()) w.String(d);
        w.EndArray();
        w.Key("doc").String(op->doc());
        w.EndObject();
      }
      w.EndArray();
      std::cout << w.str();
    } else {
      std::vector<std::vector<std::string>> rows;
      rows.push_back({"OP", "INPUTS", "ATTRIBUTES", "OUT", "GRAD", "DEVICES"});
      for (const v1::OpSchema* op : ops) {
        std::string inputs, attrs, devices;
        for (const auto& in : op->inputs()) {
          if (!inputs.empty()) inputs += ", ";
          inputs += in.name() + (in.variadic() ? "..." : "") + (in.optional() ? "?" : "");
        }
        for (const auto& a : op->attrs()) {
          if (!attrs.empty()) attrs += ", ";
          attrs += a.name() + ":" + a.type();
          if (!a.default_value().empty()) attrs += "=" + a.default_value();
        }
        for (const auto& d : op->devices()) {
          if (!devices.empty()) devices += ",";
          devices += d;
        }
        std::string outputs = op->inplace() ? "in-place" : std::to_string(op->num_outputs());
        rows.push_back({op->name(), inputs.empty() ? "-" : inputs, attrs.empty() ? "-" : attrs,
                        outputs, op->differentiable() ? "yes" : "no",
                        devices.empty() ? "-" : devices});
      }
      PrintTable(rows);
      if (args.empty()) std::cout << ops.size() << " ops\n";
    }
    if (!missing.empty()) {
      for (const std::string& name : missing) {
        std::cerr << "tensorctl: unknown op '" << name << "'\n";
      }
      return kExitServerSaidNo;
    }
    return kExitOk;
  }

  int Sessions(const std::vector<std::string>& args) {
    if (!args.empty()) {
      return UsageError("sessions: unexpected argument '" + args[0] + "'", kSessionsHelp);
    }
    auto stub = Stub();
    grpc::ClientContext ctx;
    Prepare(&ctx);
    v1::ListSessionsResponse resp;
    grpc::Status status = stub->ListSessions(&ctx, v1::Empty(), &resp);
    if (!status.ok()) return RpcError("ListSessions", status);
    if (options_.json) {
      JsonWriter w;
      w.BeginArray();
      for (const auto& s : resp.sessions()) {
        w.BeginObject();
        w.Key("session_id").String(s.session_id());
        w.Key("owner").String(s.owner());
        w.Key("instance").String(s.instance());
        w.Key("tensors").Int(s.tensors());
        w.Key("bytes").Int(s.bytes());
        w.Key("idle_seconds").Int(s.idle_seconds());
        w.Key("idle_ttl_seconds").Uint(s.idle_ttl_seconds());
        w.EndObject();
      }
      w.EndArray();
      std::cout << w.str();
      return kExitOk;
    }
    std::vector<std::vector<std::string>> rows;
    rows.push_back({"SESSION", "OWNER", "INSTANCE", "TENSORS", "BYTES", "IDLE", "TTL"});
    for (const auto& s : resp.sessions()) {
      rows.push_back({s.session_id(), s.owner().empty() ? "-" : s.owner(),
                      s.instance().empty() ? "-" : s.instance(),
                      std::to_string(s.tensors()), Bytes(s.bytes()),
                      std::to_string(s.idle_seconds()) + " s",
                      std::to_string(s.idle_ttl_seconds()) + " s"});
    }
    PrintTable(rows);
    std::cout << resp.sessions_size() << " session" << (resp.sessions_size() == 1 ? "" : "s")
              << "\n";
    return kExitOk;
  }

  int Eval(const std::vector<std::string>& args) {
    std::string expr;
    std::string output;
    for (size_t i = 0; i < args.size(); ++i) {
      const std::string& a = args[i];
      if (a == "--output" || a == "-o") {
        if (i + 1 >= args.size()) return UsageError("eval: " + a + " needs a file name", kEvalHelp);
        output = args[++i];
        continue;
      }
      if (a.rfind("--output=", 0) == 0) {
        output = a.substr(9);
        continue;
      }
      if (a.size() > 1 && a[0] == '-' && !std::isdigit(static_cast<unsigned char>(a[1])) &&
          a[1] != '.') {
        return UsageError("eval: unknown option '" + a + "'", kEvalHelp);
      }
      if (!expr.empty()) expr += ' ';
      expr += a;
    }
    if (expr.empty()) return UsageError("eval: missing EXPR", kEvalHelp);
    std::unique_ptr<Client> client;
    try {
      client = std::make_unique<Client>(ClientOptions());
    } catch (const Error& e) {
      // op "connect": the channel could not even be made (a TLS file).
      return ReportError("connect", e.code(), e.message(), /*usage=*/e.op() == "connect");
    }
    EvalResult result = Evaluate(*client, expr);
    if (!result.ok) {
      if (result.syntax_error) {
        return ReportError("eval", 3, result.error, /*usage=*/true);
      }
      return ReportError("eval", result.code, result.error);
    }
    if (!output.empty()) return Download(*client, result.tensor, output);
    std::cout << (options_.json ? result.json : result.text);
    return kExitOk;
  }

  // Writes `t`'s values to `path` (.npy / .safetensors) via the Fetch RPC.
  int Download(Client& client, const tensord::Tensor& t, const std::string& path) {
    if (!t.defined()) return UsageError("eval: --output needs EXPR to end in a tensor", kEvalHelp);
    return FetchToFile(client.session_id(), t.handle(), path, "result");
  }

  int FetchToFile(const std::string& session, uint64_t handle, const std::string& path,
                  const std::string& name) {
    v1::FetchRequest req;
    req.set_session_id(session);
    req.set_handle(handle);
    auto stub = Stub();
    grpc::ClientContext ctx;
    client::SetTimeout(&ctx, options_.timeout);
    client::AddCallMetadata(&ctx, session, token_);
    auto reader = stub->Fetch(&ctx, req);
    FileTensor file;
    file.name = name;
    v1::TensorChunk chunk;
    bool first = true;
    std::unique_ptr<Progress> progress;
    while (reader->Read(&chunk)) {
      if (first) {
        file.dtype = static_cast<DType>(chunk.dtype());
        file.shape.assign(chunk.shape().begin(), chunk.shape().end());
        int64_t numel = 1;
        for (int64_t s : file.shape) numel *= s;
        progress = std::make_unique<Progress>("download", static_cast<size_t>(numel) * ItemSize(file.dtype));
        first = false;
      }
      file.data += chunk.data();
      progress->Update(file.data.size());
    }
    grpc::Status status = reader->Finish();
    if (!status.ok()) return RpcError("Fetch", status);
    try {
      WriteTensorFile(path, {file});
    } catch (const std::runtime_error& e) {
      std::cerr << "tensorctl: " << e.what() << "\n";
      return kExitUsage;
    }
    if (options_.json) {
      JsonWriter w;
      w.BeginObject();
      w.Key("path").String(path);
      w.Key("dtype").String(DTypeName(file.dtype));
      w.Key("shape").BeginArray();
      for (int64_t s : file.shape) w.Int(s);
      w.EndArray();
      w.Key("bytes").Int(static_cast<int64_t>(file.data.size()));
      w.EndObject();
      std::cout << w.str();
    }
    return kExitOk;
  }

  int Upload(const std::vector<std::string>& args) {
    std::string path, name, session, handle_text, ttl_text;
    bool requires_grad = false;
    for (size_t i = 0; i < args.size(); ++i) {
      const std::string& a = args[i];
      std::string* value = a == "--name" ? &name : a == "--session" ? &session
                         : a == "--handle" ? &handle_text : a == "--ttl" ? &ttl_text : nullptr;
      if (value != nullptr) {
        if (i + 1 >= args.size()) return UsageError("upload: " + a + " needs a value", kUploadHelp);
        *value = args[++i];
      } else if (a == "--requires-grad") {
        requires_grad = true;
      } else if (a.size() > 1 && a[0] == '-') {
        return UsageError("upload: unknown option '" + a + "'", kUploadHelp);
      } else if (path.empty()) {
        path = a;
      } else {
        return UsageError("upload: unexpected argument '" + a + "'", kUploadHelp);
      }
    }
    if (path.empty()) return UsageError("upload: missing FILE", kUploadHelp);
    if (session.empty() != handle_text.empty()) {
      return UsageError("upload: --session and --handle go together", kUploadHelp);
    }
    uint64_t handle = 1;
    uint32_t ttl = 0;
    if (!handle_text.empty() && !ParseUint(handle_text, &handle)) {
      return UsageError("upload: --handle needs a positive integer", kUploadHelp);
    }
    uint64_t ttl64 = 0;
    if (!ttl_text.empty() && (!ParseUint(ttl_text, &ttl64) || ttl64 > UINT32_MAX)) {
      return UsageError("upload: --ttl needs a number of seconds", kUploadHelp);
    }
    ttl = static_cast<uint32_t>(ttl64);
    std::vector<FileTensor> tensors;
    try {
      tensors = ReadTensorFile(path);
    } catch (const std::runtime_error& e) {
      std::cerr << "tensorctl: upload: " << e.what() << "\n";
      return kExitUsage;
    }
    const FileTensor* pick = nullptr;
    for (const FileTensor& t : tensors) {
      if (name.empty() ? tensors.size() == 1 : t.name == name) pick = &t;
    }
    if (pick == nullptr) {
      std::string names;
      for (const FileTensor& t : tensors) names += (names.empty() ? "" : ", ") + t.name;
      std::cerr << "tensorctl: upload: " << path
                << (name.empty() ? " holds several tensors; pick one with --name: "
                                 : " has no tensor '" + name + "'; it holds: ")
                << names << "\n";
      return kExitUsage;
    }
    auto stub = Stub();
    if (session.empty()) {
      grpc::ClientContext ctx;
      Prepare(&ctx);
      v1::CreateSessionRequest req;
      req.set_idle_ttl_seconds(ttl);
      v1::SessionInfo info;
      grpc::Status status = stub->CreateSession(&ctx, req, &info);
      if (!status.ok()) return RpcError("CreateSession", status);
      session = info.session_id();
    }
    grpc::ClientContext ctx;
    client::SetTimeout(&ctx, std::max(options_.timeout, 1e-6 * static_cast<double>(pick->data.size())));
    client::AddCallMetadata(&ctx, session, token_);
    v1::Empty empty;
    auto writer = stub->Upload(&ctx, &empty);
    constexpr size_t kChunk = 1 << 20;
    Progress progress("upload", pick->data.size());
    size_t sent = 0;
    bool first = true;
    while (first || sent < pick->data.size()) {
      v1::UploadChunk chunk;
      if (first) {
        chunk.set_session_id(session);
        chunk.set_handle(handle);
        chunk.set_dtype(static_cast<v1::DType>(pick->dtype));
        for (int64_t s : pick->shape) chunk.add_shape(s);
        chunk.set_requires_grad(requires_grad);
        first = false;
      }
      const size_t n = std::min(kChunk, pick->data.size() - sent);
      chunk.set_data(pick->data.substr(sent, n));
      if (!writer->Write(chunk)) break;
      sent += n;
      progress.Update(sent);
    }
    writer->WritesDone();
    grpc::Status status = writer->Finish();
    if (!status.ok()) return RpcError("Upload", status);
    if (options_.json) {
      JsonWriter w;
      w.BeginObject();
      w.Key("session_id").String(session);
      w.Key("handle").Uint(handle);
      w.Key("dtype").String(DTypeName(pick->dtype));
      w.Key("shape").BeginArray();
      for (int64_t s : pick->shape) w.Int(s);
      w.EndArray();
      w.Key("bytes").Int(static_cast<int64_t>(pick->data.size()));
      w.EndObject();
      std::cout << w.str();
    } else {
      std::cout << "session " << session << " handle " << handle << "\n";
    }
    return kExitOk;
  }

  int DownloadCommand(const std::vector<std::string>& args) {
    std::string path, name = "tensor", session, handle_text;
    for (size_t i = 0; i < args.size(); ++i) {
      const std::string& a = args[i];
      std::string* value = a == "--name" ? &name : a == "--session" ? &session
                         : a == "--handle" ? &handle_text : nullptr;
      if (value != nullptr) {
        if (i + 1 >= args.size()) return UsageError("download: " + a + " needs a value", kDownloadHelp);
        *value = args[++i];
      } else if (a.size() > 1 && a[0] == '-') {
        return UsageError("download: unknown option '" + a + "'", kDownloadHelp);
      } else if (path.empty()) {
        path = a;
      } else {
        return UsageError("download: unexpected argument '" + a + "'", kDownloadHelp);
      }
    }
    uint64_t handle = 0;
    if (path.empty() || session.empty() || !ParseUint(handle_text, &handle)) {
      return UsageError("download: needs --session ID, --handle N and FILE", kDownloadHelp);
    }
    return FetchToFile(session, handle, path, name);
  }

  static bool ParseUint(const std::string& text, uint64_t* out) {
    if (text.empty() || !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return false;
    }
    *out = std::strtoull(text.c_str(), nullptr, 10);
    return *out > 0;
  }

  int Graph(const std::vector<std::string>& args) {
    std::string expr;
    bool svg = false;
    bool saved = false;
    bool attrs = false;
    for (size_t i = 0; i < args.size(); ++i) {
      const std::string& a = args[i];
      if (a == "--svg") {
        svg = true;
      } else if (a == "--saved") {
        saved = true;
      } else if (a == "--attrs") {
        attrs = true;
      } else if (a == "--expr" || a.rfind("--expr=", 0) == 0) {
        if (a == "--expr" && i + 1 >= args.size()) {
          return UsageError("graph: --expr needs a value", kGraphHelp);
        }
        if (!expr.empty()) expr += ' ';
        expr += a == "--expr" ? args[++i] : a.substr(7);
      } else if (a.size() > 1 && a[0] == '-' && !std::isdigit(static_cast<unsigned char>(a[1])) &&
                 a[1] != '.') {
        return UsageError("graph: unknown option '" + a + "'", kGraphHelp);
      } else {
        if (!expr.empty()) expr += ' ';
        expr += a;
      }
    }
    if (expr.empty()) return UsageError("graph: missing EXPR", kGraphHelp);
    if (svg && options_.json) return UsageError("graph: --svg and --json exclude each other", kGraphHelp);
    std::string dot;
    if (svg && (dot = FindDot()).empty()) {
      std::cerr << "tensorctl: graph --svg needs Graphviz's `dot` program, which is not on PATH "
                   "(Debian/Ubuntu: apt-get install graphviz); without --svg the graph is "
                   "printed as DOT\n";
      return kExitUsage;
    }
    std::unique_ptr<Client> client;
    try {
      client = std::make_unique<Client>(ClientOptions());
    } catch (const Error& e) {
      return ReportError("connect", e.code(), e.message(), /*usage=*/e.op() == "connect");
    }
    EvalResult result = Evaluate(*client, expr);
    if (!result.ok) {
      if (result.syntax_error) return ReportError("eval", 3, result.error, /*usage=*/true);
      return ReportError("eval", result.code, result.error);
    }
    if (!result.tensor.defined()) {
      return UsageError("graph: the last statement of EXPR must be a tensor expression", kGraphHelp);
    }
    v1::GraphRequest req;
    req.set_session_id(client->session_id());
    req.mutable_graph()->add_handles(result.tensor.handle());
    req.mutable_graph()->set_saved_tensors(saved || attrs);
    req.mutable_graph()->set_attributes(attrs);
    std::map<uint64_t, std::string> names;
    for (const auto& [name, t] : result.names) {
      if (names.emplace(t.handle(), name).second) req.mutable_graph()->add_leaves(t.handle());
    }
    auto stub = Stub();
    grpc::ClientContext ctx;
    client::SetTimeout(&ctx, options_.timeout);
    client::AddCallMetadata(&ctx, client->session_id(), token_);
    v1::AutogradGraph graph;
    grpc::Status status = stub->Graph(&ctx, req, &graph);
    if (!status.ok()) return RpcError("Graph", status);
    if (options_.json) {
      std::string json;
      google::protobuf::util::JsonPrintOptions opts;
      opts.always_print_primitive_fields = true;
      (void)google::protobuf::util::MessageToJsonString(graph, &json, opts);
      std::cout << json << "\n";
      return kExitOk;
    }
    std::string source = GraphToDot(graph, names, saved, attrs);
    if (!svg) {
      std::cout << source;
      return kExitOk;
    }
    std::string out, error;
    if (!RenderSvg(dot, source, &out, &error)) {
      std::cerr << "tensorctl: graph: " << error << "\n";
      return kExitUsage;
    }
    std::cout << out;
    return kExitOk;
  }

 private:
  Client::Options ClientOptions() const {
    Client::Options opts;
    opts.address = address_;
    opts.token = token_;
    opts.tls = tls_.enabled;
    opts.tls_ca_file = tls_.ca_file;
    opts.tls_cert_file = tls_.cert_file;
    opts.tls_key_file = tls_.key_file;
    opts.tls_server_name = tls_.server_name;
    opts.connect_timeout_seconds = options_.timeout;
    return opts;
  }

  std::unique_ptr<v1::Tensord::Stub> Stub() {
    return v1::Tensord::NewStub(client::MakeChannel(address_, tls_));
  }

  void Prepare(grpc::ClientContext* ctx) {
    client::SetTimeout(ctx, options_.timeout);
    client::AddCallMetadata(ctx, "", token_);
  }

  int UsageError(const std::string& message, const char* help) {
    std::cerr << "tensorctl: " << message << "\n\n" << help;
    return kExitUsage;
  }

  int RpcError(const std::string& rpc, const grpc::Status& status) {
    return ReportError(rpc, static_cast<int>(status.error_code()), status.error_message());
  }

  // Unreachable -> 2, any other server answer -> 1 (or 2 when `usage`).
  int ReportError(const std::string& what, int code, const std::string& message,
                  bool usage = false) {
    bool unreachable = IsUnreachable(static_cast<grpc::StatusCode>(code));
    if (options_.json) {
      JsonWriter w;
      w.BeginObject();
      w.Key("address").String(address_);
      w.Key("error").BeginObject();
      w.Key("call").String(what);
      w.Key("code").String(StatusCodeName(code));
      w.Key("message").String(message);
      w.EndObject();
      w.EndObject();
      std::cout << w.str();
    }
    std::cerr << "tensorctl: " << what << " failed: " << StatusCodeName(code) << ": "
              << message;
    if (unreachable) std::cerr << " (is tensord running at " << address_ << "?)";
    std::cerr << "\n";
    return unreachable || usage ? kExitUsage : kExitServerSaidNo;
  }

  static void Row(const std::string& key, const std::string& value) {
    std::cout << std::left << std::setw(24) << key << value << "\n";
  }

  static std::string Limit(int64_t v) { return v > 0 ? std::to_string(v) : "unlimited"; }

  static std::string Bytes(int64_t v) {
    static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double x = static_cast<double>(v);
    int unit = 0;
    while (x >= 1024 && unit < 4) {
      x /= 1024;
      ++unit;
    }
    std::ostringstream os;
    if (unit == 0) {
      os << v << " B";
    } else {
      os << std::fixed << std::setprecision(1) << x << " " << kUnits[unit];
    }
    return os.str();
  }

  static void PrintTable(const std::vector<std::vector<std::string>>& rows) {
    std::vector<size_t> widths;
    for (const auto& row : rows) {
      widths.resize(std::max(widths.size(), row.size()), 0);
      for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
    }
    for (const auto& row : rows) {
      std::string line;
      for (size_t i = 0; i < row.size(); ++i) {
        line += row[i];
        if (i + 1 < row.size()) line.append(widths[i] - row[i].size() + 2, ' ');
      }
      std::cout << line << "\n";
    }
  }

  GlobalOptions options_;
  std::string address_;
  std::string token_;
  client::TlsConfig tls_;
};

const std::map<std::string, const char*>& CommandHelp() {
  static const auto* help = new std::map<std::string, const char*>{
      {"health", kHealthHelp}, {"info", kInfoHelp},   {"ops", kOpsHelp},
      {"sessions", kSessionsHelp}, {"eval", kEvalHelp},   {"graph", kGraphHelp},
      {"upload", kUploadHelp}, {"download", kDownloadHelp}};
  return *help;
}

int Main(int argc, char** argv) {
  GlobalOptions options;
  std::string command;
  std::vector<std::string> args;
  bool after_dashdash = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const std::string& name, std::string* out) -> bool {
      if (a == name) {
        if (i + 1 >= argc) return false;
        *out = argv[++i];
        return true;
      }
      *out = a.substr(name.size() + 1);
      return true;
    };
    auto is = [&](const std::string& name) {
      return a == name || a.rfind(name + "=", 0) == 0;
    };
    if (after_dashdash) {
      args.push_back(a);
    } else if (a == "--") {
      after_dashdash = true;
    } else if (a == "-h" || a == "--help") {
      options.help = true;
    } else if (a == "--version") {
      std::cout << "tensorctl " << TENSORD_VERSION << "\n";
      return kExitOk;
    } else if (a == "--json") {
      options.json = true;
    } else if (a == "--tls") {
      options.tls.enabled = true;
    } else if (is("--address") || is("--token") || is("--timeout") || is("--tls-ca") ||
               is("--tls-cert") || is("--tls-key") || is("--tls-server-name")) {
      std::string name = a.substr(0, a.find('='));
      std::string v;
      if (!value(name, &v)) {
        std::cerr << "tensorctl: " << name << " needs a value\n\n" << kMainHelp;
        return kExitUsage;
      }
      if (name == "--address") {
        options.address = v;
      } else if (name == "--token") {
        options.token = v;
      } else if (name == "--tls-ca") {
        options.tls.ca_file = v;
      } else if (name == "--tls-cert") {
        options.tls.cert_file = v;
      } else if (name == "--tls-key") {
        options.tls.key_file = v;
      } else if (name == "--tls-server-name") {
        options.tls.server_name = v;
      } else {
        char* end = nullptr;
        options.timeout = std::strtod(v.c_str(), &end);
        if (end == v.c_str() || *end != '\0' || options.timeout <= 0) {
          std::cerr << "tensorctl: --timeout needs a positive number of seconds, got '" << v
                    << "'\n";
          return kExitUsage;
        }
      }
    } else if (command.empty()) {
      command = a;
    } else {
      args.push_back(a);
    }
  }

  if (command == "help") {
    if (args.empty()) {
      std::cout << kMainHelp;
      return kExitOk;
    }
    auto it = CommandHelp().find(args[0]);
    if (it == CommandHelp().end()) {
      std::cerr << "tensorctl: unknown command '" << args[0] << "'\n\n" << kMainHelp;
      return kExitUsage;
    }
    std::cout << it->second;
    return kExitOk;
  }
  if (command.empty()) {
    if (options.help) {
      std::cout << kMainHelp;
      return kExitOk;
    }
    std::cerr << "tensorctl: missing COMMAND\n\n" << kMainHelp;
    return kExitUsage;
  }
  auto it = CommandHelp().find(command);
  if (it == CommandHelp().end()) {
    std::cerr << "tensorctl: unknown command '" << command << "'\n\n" << kMainHelp;
    return kExitUsage;
  }
  if (options.help) {
    std::cout << it->second;
    return kExitOk;
  }

  Cli cli(options);
  if (command == "health") return cli.Health(args);
  if (command == "info") return cli.Info(args);
  if (command == "ops") return cli.Ops(args);
  if (command == "sessions") return cli.Sessions(args);
  if (command == "graph") return cli.Graph(args);
  if (command == "upload") return cli.Upload(args);
  if (command == "download") return cli.DownloadCommand(args);
  return cli.Eval(args);
}

}  // namespace
}  // namespace tensord::tensorctl

int main(int argc, char** argv) {
  try {
    return tensord::tensorctl::Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "tensorctl: " << e.what() << "\n";
    return 2;  // e.g. an unreadable TLS file
  }
}
