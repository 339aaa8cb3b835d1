// The C++ client: a session plus a pipelined command stream (see
// Note [Pipelining and sync points] in tensord.h).
#include "tensord/tensord.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <deque>
#include <mutex>
#include <thread>
#include <sstream>
#include <unordered_map>
#include <utility>

#include "channel.h"
#include "contract.h"
#include "session_access.h"
#include "tensord/v1/tensord.grpc.pb.h"

namespace tensord {
namespace v1 = ::tensord::v1;

static_assert(std::endian::native == std::endian::little,
              "the wire format is little-endian; add byte swapping for this host");

// ================================================================== small types

std::string_view DTypeName(DType dtype) {
  switch (dtype) {
    case DType::kBool: return "bool";
    case DType::kUInt8: return "uint8";
    case DType::kInt8: return "int8";
    case DType::kInt16: return "int16";
    case DType::kInt32: return "int32";
    case DType::kInt64: return "int64";
    case DType::kFloat16: return "float16";
    case DType::kBFloat16: return "bfloat16";
    case DType::kFloat32: return "float32";
    case DType::kFloat64: return "float64";
    case DType::kUndefined: break;
  }
  return "undefined";
}

size_t ItemSize(DType dtype) {
  switch (dtype) {
    case DType::kBool:
    case DType::kUInt8:
    case DType::kInt8: return 1;
    case DType::kInt16:
    case DType::kFloat16:
    case DType::kBFloat16: return 2;
    case DType::kInt32:
    case DType::kFloat32: return 4;
    case DType::kInt64:
    case DType::kFloat64: return 8;
    case DType::kUndefined: break;
  }
  return 0;
}

bool IsFloatingPoint(DType dtype) {
  return dtype == DType::kFloat16 || dtype == DType::kBFloat16 ||
         dtype == DType::kFloat32 || dtype == DType::kFloat64;
}

std::ostream& operator<<(std::ostream& os, DType dtype) {
  return os << "tensord." << DTypeName(dtype);
}

std::string_view StatusCodeName(int code) {
  static constexpr std::string_view kNames[] = {
      "OK",           "CANCELLED",         "UNKNOWN",          "INVALID_ARGUMENT",
      "DEADLINE_EXCEEDED", "NOT_FOUND",    "ALREADY_EXISTS",   "PERMISSION_DENIED",
      "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",  "OUT_OF_RANGE",
      "UNIMPLEMENTED", "INTERNAL",         "UNAVAILABLE",      "DATA_LOSS",
      "UNAUTHENTICATED"};
  if (code >= 0 && code < static_cast<int>(std::size(kNames))) return kNames[code];
  return "UNKNOWN";
}

namespace {

std::string FormatWhat(int code, const std::string& message, const std::string& op,
                       const std::string& site) {
  std::string out(StatusCodeName(code));
  out += ": ";
  if (!op.empty() && (message.empty() || message[0] != '[')) {
    out += "[" + op + "] ";
  }
  out += message;
  if (!site.empty() && message.find("(at " + site + ")") == std::string::npos) {
    out += " (at " + site + ")";
  }
  return out;
}

thread_local std::string g_site_override;
thread_local bool g_site_overridden = false;
thread_local std::thread::id g_caller_thread;  // default id: none set

// The thread whose sync points raise the errors of this thread's commands
// (Note [Errors per thread]).
std::thread::id CallerThread() {
  return g_caller_thread == std::thread::id() ? std::this_thread::get_id() : g_caller_thread;
}

// "file.cc:12": the basename keeps messages short and build-dir independent.
// A binding's ScopedCallSite takes precedence.
std::string SiteOf(const std::source_location& loc) {
  if (g_site_overridden) return g_site_override;
  std::string_view file = loc.file_name();
  if (size_t slash = file.find_last_of('/'); slash != std::string_view::npos) {
    file.remove_prefix(slash + 1);
  }
  if (file.empty()) return "";
  std::string site(file);
  site += ':';
  site += std::to_string(loc.line());
  return site;
}

thread_local bool g_grad_enabled = true;

}  // namespace

Error::Error(int code, std::string message, std::string op, std::string site,
             bool poisoned)
    : std::runtime_error(FormatWhat(code, message, op, site)),
      code_(code),
      message_(std::move(message)),
      op_(std::move(op)),
      site_(std::move(site)),
      poisoned_(poisoned) {}

std::string_view Error::code_name() const { return StatusCodeName(code_); }

const std::vector<Error>& Error::others() const {
  static const std::vector<Error> kNone;
  return others_ != nullptr ? *others_ : kNone;
}

void Error::set_others(std::vector<Error> others) {
  others_ = others.empty() ? nullptr
                           : std::make_shared<const std::vector<Error>>(std::move(others));
}

namespace client {
ScopedCallSite::ScopedCallSite(std::string site)
    : previous_(std::move(g_site_override)), had_previous_(g_site_overridden) {
  g_site_override = std::move(site);
  g_site_overridden = true;
}
ScopedCallSite::~ScopedCallSite() {
  g_site_override = std::move(previous_);
  g_site_overridden = had_previous_;
}
ScopedCallerThread::ScopedCallerThread(std::thread::id caller) : previous_(g_caller_thread) {
  g_caller_thread = caller;
}
ScopedCallerThread::~ScopedCallerThread() { g_caller_thread = previous_; }
}  // namespace client

double Scalar::ToDouble() const {
  return std::visit([](auto v) { return static_cast<double>(v); }, value_);
}

int64_t Scalar::ToInt() const {
  return std::visit([](auto v) { return static_cast<int64_t>(v); }, value_);
}

NoGradGuard::NoGradGuard() : previous_(g_grad_enabled) { g_grad_enabled = false; }
NoGradGuard::~NoGradGuard() { g_grad_enabled = previous_; }
GradModeGuard::GradModeGuard(bool enabled) : previous_(g_grad_enabled) {
  g_grad_enabled = enabled;
}
GradModeGuard::~GradModeGuard() { g_grad_enabled = previous_; }
bool IsGradEnabled() { return g_grad_enabled; }

// ================================================================== conversions

namespace client {
namespace {

float HalfToFloat(uint16_t h) {
  uint32_t sign = static_cast<uint32_t>(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f;
  uint32_t mant = h & 0x3ff;
  uint32_t bits;
  if (exp == 0) {
    if (mant == 0) {
      bits = sign;
    } else {  // subnormal: normalize
      int e = -1;
      do {
        ++e;
        mant <<= 1;
      } while ((mant & 0x400) == 0);
      bits = sign | static_cast<uint32_t>(127 - 15 - e) << 23 | (mant & 0x3ff) << 13;
    }
  } else if (exp == 0x1f) {
    bits = sign | 0x7f800000u | mant << 13;
  } else {
    bits = sign | (exp + 127 - 15) << 23 | mant << 13;
  }
  return std::bit_cast<float>(bits);
}

float BFloat16ToFloat(uint16_t b) { return std::bit_cast<float>(static_cast<uint32_t>(b) << 16); }

// Element-wise conversion of `count` little-endian Src values into `out`
// (already sized): a plain indexed loop, so the compiler vectorizes it, and a
// memcpy when the types match (Note: ToVector of a 64 MiB tensor).
template <typename Src, typename T>
void ConvertFrom(const void* data, size_t count, std::vector<T>* out) {
  if constexpr (std::is_same_v<Src, T>) {
    std::memcpy(out->data(), data, count * sizeof(T));
  } else {
    const auto* bytes = static_cast<const unsigned char*>(data);
    for (size_t i = 0; i < count; ++i) {
      Src v;
      std::memcpy(&v, bytes + i * sizeof(Src), sizeof(Src));
      if constexpr (std::is_same_v<T, bool>) {
        (*out)[i] = v != Src{};
      } else {
        (*out)[i] = static_cast<T>(v);
      }
    }
  }
}

template <typename T, typename Decode>
void ConvertHalf(const void* data, size_t count, Decode decode, std::vector<T>* out) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < count; ++i) {
    uint16_t v;
    std::memcpy(&v, bytes + 2 * i, 2);
    float f = decode(v);
    if constexpr (std::is_same_v<T, bool>) {
      (*out)[i] = f != 0.0f;
    } else {
      (*out)[i] = static_cast<T>(f);
    }
  }
}

}  // namespace

template <Element T>
std::vector<T> ConvertElements(DType dtype, const void* data, size_t count) {
  std::vector<T> out(count);
  switch (dtype) {
    case DType::kBool: {
      const auto* bytes = static_cast<const uint8_t*>(data);
      for (size_t i = 0; i < count; ++i) out[i] = static_cast<T>(bytes[i] != 0);
      break;
    }
    case DType::kUInt8: ConvertFrom<uint8_t>(data, count, &out); break;
    case DType::kInt8: ConvertFrom<int8_t>(data, count, &out); break;
    case DType::kInt16: ConvertFrom<int16_t>(data, count, &out); break;
    case DType::kInt32: ConvertFrom<int32_t>(data, count, &out); break;
    case DType::kInt64: ConvertFrom<int64_t>(data, count, &out); break;
    case DType::kFloat16: ConvertHalf(data, count, HalfToFloat, &out); break;
    case DType::kBFloat16: ConvertHalf(data, count, BFloat16ToFloat, &out); break;
    case DType::kFloat32: ConvertFrom<float>(data, count, &out); break;
    case DType::kFloat64: ConvertFrom<double>(data, count, &out); break;
    case DType::kUndefined:
      throw Error(13, "tensor data has no dtype", "fetch");
  }
  return out;
}

template std::vector<bool> ConvertElements<bool>(DType, const void*, size_t);
template std::vector<uint8_t> ConvertElements<uint8_t>(DType, const void*, size_t);
template std::vector<int8_t> ConvertElements<int8_t>(DType, const void*, size_t);
template std::vector<int16_t> ConvertElements<int16_t>(DType, const void*, size_t);
template std::vector<int32_t> ConvertElements<int32_t>(DType, const void*, size_t);
template std::vector<int64_t> ConvertElements<int64_t>(DType, const void*, size_t);
template std::vector<float> ConvertElements<float>(DType, const void*, size_t);
template std::vector<double> ConvertElements<double>(DType, const void*, size_t);

void ThrowNotOneElement(size_t numel, const std::source_location& loc) {
  throw Error(3,
              "a Tensor with " + std::to_string(numel) +
                  " elements cannot be converted to Scalar",
              "item", SiteOf(loc));
}

// ================================================================== ClientImpl

// Note [Handle lifetime]: one HandleState per bound handle, shared by the
// Tensor copies; its destructor queues the release.
struct HandleState {
  HandleState(std::shared_ptr<ClientImpl> c, uint64_t h) : impl(std::move(c)), handle(h) {}
  ~HandleState();
  HandleState(const HandleState&) = delete;
  HandleState& operator=(const HandleState&) = delete;

  std::shared_ptr<ClientImpl> impl;
  uint64_t handle;
  // Cached metadata (guarded by the client's mutex; Note [Client-side meta]
  // in src/contract.h). A handle's meta changes only through in-place ops,
  // whose inference updates or clears it.
  MetaCache meta;
};

namespace {

struct CommandMeta {
  std::string op;
  std::string site;
  // Note [Errors per thread]: a deferred error is raised in the thread that
  // issued the failing command.
  std::thread::id thread = CallerThread();
};

struct OpEntry {
  int num_outputs = 1;
  bool inplace = false;
  std::unordered_map<std::string, std::string> attr_types;
};

v1::DType ToProto(DType d) { return static_cast<v1::DType>(static_cast<int>(d)); }
DType FromProto(int d) { return static_cast<DType>(d); }

int64_t NumelOf(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

std::string ShapeString(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

void EncodeScalar(const Scalar& s, v1::Scalar* out) {
  std::visit(
      [out](auto v) {
        using V = decltype(v);
        if constexpr (std::is_same_v<V, double>) {
          out->set_f(v);
        } else if constexpr (std::is_same_v<V, bool>) {
          out->set_b(v);
        } else {
          out->set_i(v);
        }
      },
      s.value());
}

// Encodes an attribute, coerced to the type the op declares (`type` may be
// "" when unknown; then the value's own kind is sent).
void EncodeAttr(const AttrValue& value, const std::string& type, v1::AttrValue* out) {
  const auto& v = value.value();
  if (std::holds_alternative<None>(v)) {
    out->set_none(true);
  } else if (const bool* b = std::get_if<bool>(&v)) {
    if (type == "scalar") {
      out->mutable_scalar()->set_b(*b);
    } else if (type == "int") {
      out->set_i(*b);
    } else if (type == "float") {
      out->set_f(*b ? 1.0 : 0.0);
    } else {
      out->set_b(*b);
    }
  } else if (const int64_t* i = std::get_if<int64_t>(&v)) {
    if (type == "scalar") {
      out->mutable_scalar()->set_i(*i);
    } else if (type == "float") {
      out->set_f(static_cast<double>(*i));
    } else if (type == "ints") {
      out->mutable_ints()->add_values(*i);
    } else if (type == "bool") {
      out->set_b(*i != 0);
    } else {
      out->set_i(*i);
    }
  } else if (const double* f = std::get_if<double>(&v)) {
    // An int or bool attribute given as a float takes its value as Python's
    // int() / bool() would (the Python client's rule too).
    if (type == "scalar") {
      out->mutable_scalar()->set_f(*f);
    } else if (type == "int" && std::isfinite(*f)) {
      out->set_i(static_cast<int64_t>(*f));
    } else if (type == "ints" && std::isfinite(*f)) {
      out->mutable_ints()->add_values(static_cast<int64_t>(*f));
    } else if (type == "bool") {
      out->set_b(*f != 0.0);
    } else {
      out->set_f(*f);
    }
  } else if (const std::string* s = std::get_if<std::string>(&v)) {
    out->set_s(*s);
  } else if (const auto* ints = std::get_if<std::vector<int64_t>>(&v)) {
    auto* list = out->mutable_ints();
    for (int64_t x : *ints) list->add_values(x);
  } else if (const DType* d = std::get_if<DType>(&v)) {
    out->set_dtype(ToProto(*d));
  } else if (const Scalar* sc = std::get_if<Scalar>(&v)) {
    if (type == "float") {
      out->set_f(sc->ToDouble());
    } else if (type == "int") {
      out->set_i(sc->ToInt());
    } else if (type == "bool" && sc->is_bool()) {
      out->set_b(std::get<bool>(sc->value()));
    } else {
      EncodeScalar(*sc, out->mutable_scalar());
    }
  }
}

TensorInfo InfoFromProto(const v1::TensorInfo& p) {
  TensorInfo info;
  info.dtype = FromProto(p.dtype());
  info.shape.assign(p.shape().begin(), p.shape().end());
  info.strides.assign(p.strides().begin(), p.strides().end());
  info.storage_offset = p.storage_offset();
  info.device = p.device();
  info.requires_grad = p.requires_grad();
  info.is_leaf = p.is_leaf();
  info.grad_fn = p.grad_fn();
  info.has_grad = p.has_grad();
  info.is_contiguous = p.is_contiguous();
  info.storage_id = p.storage_id();
  info.version = p.version();
  return info;
}

Error FromStatus(const grpc::Status& status, std::string op, std::string site) {
  return Error(static_cast<int>(status.error_code()), status.error_message(), std::move(op),
               std::move(site));
}

}  // namespace

class ClientImpl : public std::enable_shared_from_this<ClientImpl> {
 public:
  explicit ClientImpl(Client::Options options) : options_(std::move(options)) {
    address_ = ResolveAddress(options_.address);
    token_ = ResolveToken(options_.token);
    inline_limit_ = options_.inline_payload_limit;
  }

  ~ClientImpl() { Close(); }

  // Connects and creates the session.
  void Open() {
    TlsConfig tls;
    tls.enabled = options_.tls;
    tls.ca_file = options_.tls_ca_file;
    tls.cert_file = options_.tls_cert_file;
    tls.key_file = options_.tls_key_file;
    tls.server_name = options_.tls_server_name;
    try {
      channel_ = MakeChannel(address_, ResolveTls(tls), options_.keepalive_seconds,
                             options_.keepalive_timeout_seconds);
    } catch (const std::runtime_error& e) {
      throw Error(3, e.what(), "connect");
    }
    stub_ = v1::Tensord::NewStub(channel_);
    grpc::ClientContext ctx;
    SetTimeout(&ctx, options_.connect_timeout_seconds);
    // The client names the session, so that a proxy hashing the id routes
    // CreateSession to the daemon that will get every later call.
    const std::string proposed =
        options_.session_id.empty() ? NewSessionId() : options_.session_id;
    AddCallMetadata(&ctx, proposed, token_);
    v1::CreateSessionRequest req;
    req.set_session_id(proposed);
    req.set_idle_ttl_seconds(options_.idle_ttl_seconds);
    v1::SessionInfo info;
    grpc::Status status = stub_->CreateSession(&ctx, req, &info);
    if (!status.ok()) {
      std::string message = status.error_message();
      if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
          status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
        message = "cannot reach tensord at " + address_ + ": " + message;
      }
      throw Error(static_cast<int>(status.error_code()), message, "create_session");
    }
    session_id_ = info.session_id();
    instance_id_ = info.instance_id();
  }

  const std::string& address() const { return address_; }
  const std::string& session_id() const { return session_id_; }

  bool closed() {
    std::lock_guard lock(mu_);
    return closed_;
  }

  void Close() noexcept {
    std::lock_guard lock(mu_);
    if (closed_ || stub_ == nullptr) {
      closed_ = true;
      return;
    }
    closed_ = true;
    SetCancelTarget(nullptr);
    if (stream_ != nullptr) {
      // Half-close, then read what the server still sends so that Finish
      // sees a drained stream.
      if (stream_->WritesDone()) {
        v1::StreamResponse resp;
        while (stream_->Read(&resp)) {
        }
      }
      stream_->Finish();
      stream_.reset();
      stream_ctx_.reset();
    }
    grpc::ClientContext ctx;
    SetTimeout(&ctx, 5);
    AddCallMetadata(&ctx, session_id_, token_, instance_id_);
    v1::SessionRequest req;
    req.set_session_id(session_id_);
    v1::Empty empty;
    stub_->CloseSession(&ctx, req, &empty);  // best effort
    pending_.Clear();
    pending_meta_.clear();
    inflight_.clear();
  }

  // ---------------------------------------------------------- commands

  std::vector<Tensor> RunOp(std::string_view name, const std::vector<Operand>& inputs,
                            const Attrs& attrs, const std::source_location& loc) {
    std::lock_guard lock(mu_);
    CheckOpen(loc);
    const OpEntry& schema = Schema(name, loc);
    v1::Command cmd;
    v1::OpCommand* op = cmd.mutable_op();
    op->set_op(std::string(name));
    for (const Operand& input : inputs) EncodeOperand(input, op->add_inputs(), name, loc);
    for (const auto& [attr_name, value] : attrs) {
      auto it = schema.attr_types.find(attr_name);
      EncodeAttr(value, it == schema.attr_types.end() ? "" : it->second,
                 &(*op->mutable_attrs())[attr_name]);
    }
    op->set_no_grad(!g_grad_enabled);
    // Note [Client-side meta] (src/contract.h): a user error is thrown here,
    // at the call site, and the command is not sent (unless the client defers
    // errors to sync points: Options::errors_at_call).
    Inference inferred = InferOutputs(name, inputs, op->attrs());
    if (inferred.outcome == Inference::kError && options_.errors_at_call) {
      throw Error(inferred.code, std::move(inferred.message), std::string(name), SiteOf(loc));
    }
    std::vector<Tensor> outputs;
    outputs.reserve(schema.num_outputs);
    for (int i = 0; i < schema.num_outputs; ++i) {
      uint64_t h = next_handle_++;
      op->add_outputs(h);
      outputs.push_back(Wrap(h));
    }
    Enqueue(std::move(cmd), std::string(name), SiteOf(loc));
    if (schema.inplace || name.ends_with('_')) {
      prefetched_.clear();  // it may change any tensor (views share storage)
    } else if (name == "grad" && outputs.size() == 1 && !inputs.empty() && inputs[0].is_tensor()) {
      PrefetchGrad(std::get<Tensor>(inputs[0].value()).state_->handle, outputs[0].handle());
    }
    const bool known = inferred.outcome == Inference::kKnown;
    if (schema.inplace && !inputs.empty() && inputs[0].is_tensor()) {
      // The op's meta is its input's after the call (t_, resize_ change it).
      MetaCache& self = std::get<Tensor>(inputs[0].value()).state_->meta;
      if (known && !inferred.outputs.empty()) {
        self = std::move(inferred.outputs[0]);
      } else if (!InplaceKeepsMeta(name)) {
        self = MetaCache{};
      }
    } else if (known && inferred.outputs.size() == outputs.size()) {
      for (size_t i = 0; i < outputs.size(); ++i) outputs[i].state_->meta = std::move(inferred.outputs[i]);
    }
    return outputs;
  }

  // The op's outputs as the op contract infers them from the cached metas.
  Inference InferOutputs(std::string_view name, const std::vector<Operand>& inputs,
                         const google::protobuf::Map<std::string, v1::AttrValue>& attrs) {
    std::vector<MetaInput> metas(inputs.size());
    for (size_t i = 0; i < inputs.size(); ++i) {
      const auto& v = inputs[i].value();
      MetaInput& m = metas[i];
      if (const Tensor* t = std::get_if<Tensor>(&v)) {
        m.kind = MetaInput::kTensor;
        if (!t->state_->meta.known) return {};  // unknown: the server answers later
        m.meta = &t->state_->meta;
      } else if (const Scalar* sc = std::get_if<Scalar>(&v)) {
        m.kind = MetaInput::kScalar;
        m.scalar = *sc;
      }
    }
    return InferOp(name, metas, attrs, server_facts_);
  }

  Tensor Create(DType dtype, std::vector<int64_t> shape, const void* data, size_t nbytes,
                const TensorOptions& opts, const std::source_location& loc) {
    std::lock_guard lock(mu_);
    CheckOpen(loc);
    std::string site = SiteOf(loc);
    for (int64_t s : shape) {
      if (s < 0) {
        throw Error(3, "negative dimension in shape " + ShapeString(shape), "create", site);
      }
    }
    size_t expected = static_cast<size_t>(NumelOf(shape)) * ItemSize(dtype);
    if (expected != nbytes) {
      throw Error(3,
                  "shape " + ShapeString(shape) + " of " + std::string(DTypeName(dtype)) +
                      " needs " + std::to_string(expected) + " bytes, got " +
                      std::to_string(nbytes),
                  "create", site);
    }
    EnsureServerInfo();
    bool convert = opts.dtype.has_value() && *opts.dtype != dtype;
    bool requires_grad_now = opts.requires_grad && !convert;
    uint64_t h = next_handle_++;
    Tensor t = Wrap(h);
    if (nbytes > inline_limit_) {
      Upload(h, dtype, shape, data, nbytes, requires_grad_now, opts.device, site);
    } else {
      v1::Command cmd;
      v1::CreateCommand* create = cmd.mutable_create();
      create->set_handle(h);
      create->set_requires_grad(requires_grad_now);
      if (!opts.device.empty()) create->set_device(opts.device);
      v1::TensorData* td = create->mutable_data();
      td->set_dtype(ToProto(dtype));
      for (int64_t s : shape) td->add_shape(s);
      td->set_data(data, nbytes);
      Enqueue(std::move(cmd), "create", site);
    }
    // The server's name for the device ("cuda" is "cuda:0"), or ask later.
    MetaCache& meta = t.state_->meta;
    if (std::optional<std::string> device = CanonicalDevice(opts.device, server_facts_)) {
      meta.known = meta.layout_known = true;
      meta.device = *std::move(device);
    }
    meta.dtype = dtype;
    meta.strides = ContiguousStridesOf(shape);
    meta.shape = shape;
    if (convert) {
      t = RunOp("to", {t}, {{"dtype", *opts.dtype}}, loc)[0];
      if (opts.requires_grad) RequiresGrad(t, true, loc);
    }
    return t;
  }

  void RequiresGrad(const Tensor& t, bool requires_grad, const std::source_location& loc) {
    RunOp("requires_grad_", {t}, {{"requires_grad", requires_grad}}, loc);
  }

  void Backward(const Tensor& root, const Tensor* gradient, bool retain_graph,
                bool create_graph, const std::source_location& loc) {
    std::lock_guard lock(mu_);
    CheckOpen(loc);
    v1::Command cmd;
    v1::BackwardCommand* bw = cmd.mutable_backward();
    bw->add_roots(HandleOf(root, "backward", loc));
    if (gradient != nullptr && gradient->defined()) {
      bw->add_grads()->set_handle(HandleOf(*gradient, "backward", loc));
    } else {
      bw->add_grads()->set_none(true);
    }
    bw->set_retain_graph(retain_graph);
    bw->set_create_graph(create_graph);
    Enqueue(std::move(cmd), "backward", SiteOf(loc));
    prefetched_.clear();  // gradients accumulate into leaves
  }

  // torch.autograd.backward / torch.autograd.grad (`inputs` non-empty): one
  // BackwardCommand; for grad, returns one fresh handle per input.
  std::vector<Tensor> BackwardMany(const std::vector<Tensor>& roots,
                                   const std::vector<Tensor>& grads, bool retain_graph,
                                   bool create_graph, const std::vector<Tensor>& inputs,
                                   bool allow_unused, std::string_view op,
                                   const std::source_location& loc) {
    std::lock_guard lock(mu_);
    CheckOpen(loc);
    if (grads.size() > roots.size()) {
      throw Error(3,
                  "grad_tensors has " + std::to_string(grads.size()) +
                      " elements but tensors has " + std::to_string(roots.size()),
                  std::string(op), SiteOf(loc));
    }
    v1::Command cmd;
    v1::BackwardCommand* bw = cmd.mutable_backward();
    for (size_t i = 0; i < roots.size(); ++i) {
      bw->add_roots(HandleOf(roots[i], op, loc));
      if (i < grads.size() && grads[i].defined()) {
        bw->add_grads()->set_handle(HandleOf(grads[i], op, loc));
      } else {
        bw->add_grads()->set_none(true);
      }
    }
    bw->set_retain_graph(retain_graph);
    bw->set_create_graph(create_graph);
    std::vector<Tensor> outputs;
    for (const Tensor& in : inputs) {
      bw->add_inputs(HandleOf(in, op, loc));
      uint64_t h = next_handle_++;
      bw->add_outputs(h);
      outputs.push_back(Wrap(h));
    }
    bw->set_allow_unused(allow_unused);
    Enqueue(std::move(cmd), std::string(op), SiteOf(loc));
    prefetched_.clear();
    return outputs;
  }

  void ManualSeed(uint64_t seed, const std::source_location& loc) {
    std::lock_guard lock(mu_);
    CheckOpen(loc);
    v1::Command cmd;
    cmd.mutable_manual_seed()->set_seed(seed);
    Enqueue(std::move(cmd), "manual_seed", SiteOf(loc));
  }

  TensorInfo Describe(HandleState& state, const std::source_location& loc) {
    std::lock_guard lock(mu_);
    CheckOpen(loc);
    TensorInfo info;
    if (auto it = prefetched_.find(state.handle); it != prefetched_.end()) {
      RaisePendingError();  // errors already known surface here, as at a sync
      info = InfoFromProto(it->second.info());
    } else {
      v1::Command cmd;
      cmd.mutable_describe()->set_handle(state.handle);
      v1::CommandResult result = RoundTrip(std::move(cmd), "describe", SiteOf(loc));
      if (!result.has_info()) throw Error(13, "server sent no TensorInfo", "describe", SiteOf(loc));
      info = InfoFromProto(result.info());
    }
    state.meta = {.known = true, .layout_known = true, .dtype = info.dtype, .shape = info.shape,
                  .device = info.device, .strides = info.strides, .storage_offset = info.storage_offset};
    return info;
  }

  struct Meta {
    DType dtype;
    std::vector<int64_t> shape;
    std::string device;
  };

  // dtype, shape and device without the layout (a .grad's strides are its own).
  void SetMeta(HandleState& state, DType dtype, std::vector<int64_t> shape, std::string device) {
    std::lock_guard lock(mu_);
    state.meta = {.known = true, .dtype = dtype, .shape = std::move(shape), .device = std::move(device)};
  }

  std::optional<std::vector<int64_t>> KnownShape(HandleState& state) {
    std::lock_guard lock(mu_);
    if (closed_ || !state.meta.known) return std::nullopt;
    return state.meta.shape;
  }

  std::optional<TensorMeta> KnownMeta(HandleState& state) {
    std::lock_guard lock(mu_);
    if (closed_ || !state.meta.known) return std::nullopt;
    const MetaCache& m = state.meta;
    TensorMeta out{.dtype = m.dtype, .shape = m.shape, .device = m.device};
    if (m.layout_known) {
      out.strides = m.strides;
      out.storage_offset = m.storage_offset;
    }
    return out;
  }

  // Shape, dtype and device, from the cache or a Describe.
  Meta GetMeta(HandleState& state, const std::source_location& loc) {
    std::lock_guard lock(mu_);
    CheckOpen(loc);  // tensors of a closed client are inert, cached meta too
    if (!state.meta.known) Describe(state, loc);
    return {state.meta.dtype, state.meta.shape, state.meta.device};
  }

  Tensor::Fetched Fetch(HandleState& state, const std::source_location& loc) {
    std::lock_guard lock(mu_);
    CheckOpen(loc);
    std::string site = SiteOf(loc);
    if (auto it = prefetched_.find(state.handle); it != prefetched_.end()) {
      RaisePendingError();
      const v1::TensorData& td = it->second.value();
      Tensor::Fetched out;
      out.dtype = FromProto(td.dtype());
      out.shape.assign(td.shape().begin(), td.shape().end());
      out.bytes = td.data();
      CheckFetched(out, site);
      return out;
    }
    EnsureServerInfo();
    if (state.meta.known &&
        static_cast<size_t>(NumelOf(state.meta.shape)) * ItemSize(state.meta.dtype) > inline_limit_) {
      return FetchStreamed(state, site);
    }
    v1::Command cmd;
    cmd.mutable_fetch()->set_handle(state.handle);
    v1::CommandResult result;
    try {
      result = RoundTrip(std::move(cmd), "fetch", site);
    } catch (const Error& e) {
      // Too large for one message: fall back to the chunked Fetch RPC.
      if (e.code() == 8 && e.op() == "fetch" && !e.poisoned()) {
        return FetchStreamed(state, site);
      }
      throw;
    }
    if (!result.has_tensor()) throw Error(13, "server sent no tensor data", "fetch", site);
    v1::TensorData* td = result.mutable_tensor();
    Tensor::Fetched out;
    out.dtype = FromProto(td->dtype());
    out.shape.assign(td->shape().begin(), td->shape().end());
    out.bytes = std::move(*td->mutable_data());
    CheckFetched(out, site);
    return out;
  }

  void Synchronize(const std::source_location& loc) {
    std::lock_guard lock(mu_);
    CheckOpen(loc);
    if (pending_.commands_size() > 0 || !inflight_.empty()) {
      uint64_t seq = Send(/*reply=*/true, SiteOf(loc));
      WaitFor(seq, SiteOf(loc));
    }
    RaisePendingError();
  }

  void Flush() {
    std::lock_guard lock(mu_);
    if (closed_) return;
    if (pending_.commands_size() > 0) SendUnsynced("");
  }

  SessionInfo Session(const std::source_location& loc) {
    std::lock_guard lock(mu_);
    Synchronize(loc);
    grpc::ClientContext ctx;
    AddCallMetadata(&ctx, session_id_, token_, instance_id_);
    v1::SessionRequest req;
    req.set_session_id(session_id_);
    v1::SessionInfo p;
    grpc::Status status = stub_->KeepAlive(&ctx, req, &p);
    if (!status.ok()) throw FromStatus(status, "keep_alive", SiteOf(loc));
    SessionInfo info;
    info.session_id = p.session_id();
    info.idle_ttl_seconds = p.idle_ttl_seconds();
    info.tensors = p.tensors();
    info.bytes = p.bytes();
    info.idle_seconds = p.idle_seconds();
    info.owner = p.owner();
    info.instance = p.instance();
    info.instance_id = p.instance_id();
    return info;
  }

  std::vector<OpInfo> Ops() {
    std::lock_guard lock(mu_);
    LoadOps();
    return op_infos_;
  }

  // Queues the release of a handle (never throws; see Note [Handle lifetime]).
  void Release(uint64_t handle) noexcept {
    std::lock_guard lock(mu_);
    if (closed_) return;
    prefetched_.erase(handle);
    try {
      int n = pending_.commands_size();
      if (n > 0 && pending_.commands(n - 1).has_release()) {
        pending_.mutable_commands(n - 1)->mutable_release()->add_handles(handle);
        return;
      }
      v1::Command cmd;
      cmd.mutable_release()->add_handles(handle);
      pending_.add_commands()->Swap(&cmd);
      pending_meta_.push_back({"release", ""});
    } catch (...) {
      // Out of memory while queueing: the handle stays bound until the
      // session ends.
    }
  }

  // Note [Prefetched values]: describe and fetch commands answered from what
  // the last syncs sent along, when every one of them can be (else none is).
  bool AnswerFromPrefetched(const std::vector<v1::Command>& cmds,
                            std::vector<v1::CommandResult>* out) {
    if (cmds.empty()) return false;
    std::vector<v1::CommandResult> local(cmds.size());
    for (size_t i = 0; i < cmds.size(); ++i) {
      const v1::Command& c = cmds[i];
      const uint64_t h = c.has_fetch() ? c.fetch().handle() : c.has_describe() ? c.describe().handle() : 0;
      auto it = h != 0 ? prefetched_.find(h) : prefetched_.end();
      if (it == prefetched_.end()) return false;
      v1::CommandResult& r = local[i];
      r.set_index(static_cast<uint32_t>(i));
      if (c.has_fetch()) {
        *r.mutable_tensor() = it->second.value();
      } else {
        *r.mutable_info() = it->second.info();
      }
    }
    *out = std::move(local);
    return true;
  }

  // Note [Prefetched values]: `x.grad` is a fresh handle for the gradient
  // the last sync reported with x's value.
  void PrefetchGrad(uint64_t of, uint64_t grad_handle) {
    auto it = prefetched_.find(of);
    if (it == prefetched_.end() || !it->second.has_grad_value()) return;
    v1::Prefetched grad;
    grad.set_handle(grad_handle);
    *grad.mutable_info() = it->second.grad_info();
    grad.mutable_info()->set_handle(grad_handle);
    *grad.mutable_value() = it->second.grad_value();
    prefetched_[grad_handle] = std::move(grad);
  }

  // Runs `op` on the client of the first tensor among `inputs`.
  static std::vector<Tensor> RunOnOperands(std::string_view op,
                                           const std::vector<Operand>& inputs,
                                           const Attrs& attrs,
                                           const std::source_location& loc) {
    for (const Operand& in : inputs) {
      if (!in.is_tensor()) continue;
      const Tensor& t = std::get<Tensor>(in.value());
      if (!t.defined()) {
        throw Error(3, "an undefined Tensor was passed", std::string(op), SiteOf(loc));
      }
      return t.state_->impl->RunOp(op, inputs, attrs, loc);
    }
    throw Error(3, "needs at least one Tensor operand", std::string(op), SiteOf(loc));
  }

  static ClientImpl* ImplOf(const Tensor& t) { return t.state_->impl.get(); }
  static HandleState* StateOf(const Tensor& t) { return t.state_.get(); }

  Tensor Wrap(uint64_t handle) {
    return Tensor(std::make_shared<HandleState>(shared_from_this(), handle));
  }

 private:
  void CheckOpen(const std::source_location& loc) {
    if (closed_) throw Error(9, "the client is closed", "", SiteOf(loc));
  }

  uint64_t HandleOf(const Tensor& t, std::string_view op, const std::source_location& loc) {
    if (!t.defined()) {
      throw Error(3, "an undefined Tensor was passed", std::string(op), SiteOf(loc));
    }
    if (t.state_->impl.get() != this) {
      throw Error(3, "a Tensor of another Client was passed", std::string(op), SiteOf(loc));
    }
    return t.state_->handle;
  }

  void EncodeOperand(const Operand& operand, v1::Operand* out, std::string_view op,
                     const std::source_location& loc) {
    const auto& v = operand.value();
    if (const Tensor* t = std::get_if<Tensor>(&v)) {
      out->set_handle(HandleOf(*t, op, loc));
    } else if (const Scalar* s = std::get_if<Scalar>(&v)) {
      EncodeScalar(*s, out->mutable_scalar());
    } else {
      out->set_none(true);
    }
  }

  // ---------------------------------------------------------- registry

  const OpEntry& Schema(std::string_view name, const std::source_location& loc) {
    LoadOps();
    auto it = ops_.find(std::string(name));
    if (it != ops_.end()) return it->second;
    if (ops_unavailable_) {  // a server without ListOps: guess from the name
      OpEntry guess;
      guess.inplace = !name.empty() && name.back() == '_';
      guess.num_outputs = guess.inplace ? 0 : 1;
      return ops_.emplace(std::string(name), std::move(guess)).first->second;
    }
    throw Error(5, "unknown op '" + std::string(name) + "' (not in the server's ListOps)",
                std::string(name), SiteOf(loc));
  }

  void LoadOps() {
    if (ops_loaded_) return;
    grpc::ClientContext ctx;
    AddCallMetadata(&ctx, session_id_, token_, instance_id_);
    v1::Empty req;
    v1::ListOpsResponse resp;
    grpc::Status status = stub_->ListOps(&ctx, req, &resp);
    if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
      ops_unavailable_ = true;
      ops_loaded_ = true;
      return;
    }
    if (!status.ok()) throw FromStatus(status, "list_ops", "");
    for (const v1::OpSchema& s : resp.ops()) {
      OpEntry entry;
      entry.num_outputs = s.num_outputs();
      entry.inplace = s.inplace();
      OpInfo info;
      info.name = s.name();
      for (const auto& in : s.inputs()) {
        info.inputs.push_back(in.name());
        info.optional_inputs.push_back(in.optional());
        info.variadic = info.variadic || in.variadic();
      }
      for (const auto& a : s.attrs()) {
        entry.attr_types[a.name()] = a.type();
        info.attrs.push_back({a.name(), a.type(), a.default_value()});
      }
      info.num_outputs = s.num_outputs();
      info.differentiable = s.differentiable();
      info.inplace = s.inplace();
      info.doc = s.doc();
      info.devices.assign(s.devices().begin(), s.devices().end());
      ops_[s.name()] = std::move(entry);
      op_infos_.push_back(std::move(info));
    }
    ops_loaded_ = true;
  }

  // The server's message-size limit bounds what may travel inline.
  void EnsureServerInfo() {
    if (server_info_loaded_) return;
    server_info_loaded_ = true;
    grpc::ClientContext ctx;
    AddCallMetadata(&ctx, session_id_, token_, instance_id_);
    v1::Empty req;
    v1::ServerInfoResponse resp;
    const bool ok = stub_->ServerInfo(&ctx, req, &resp).ok();
    if (ok) {  // what metadata inference needs (Note [Client-side meta])
      server_facts_.loaded = true;
      server_facts_.cuda_status = resp.cuda_status();
      server_facts_.max_tensor_elements = resp.max_tensor_elements();
      for (const v1::DeviceInfo& d : resp.devices()) {
        if (d.name().rfind("cuda:", 0) == 0) ++server_facts_.cuda_devices;
      }
    }
    if (ok && resp.max_message_bytes() > 0) {
      size_t limit = static_cast<size_t>(resp.max_message_bytes());
      size_t headroom = 64 << 10;
      size_t usable = limit > 2 * headroom ? limit / 2 - headroom : limit / 4;
      inline_limit_ = std::min(inline_limit_, usable);
      max_batch_bytes_ = std::min(options_.max_batch_bytes, usable);
    } else {
      max_batch_bytes_ = options_.max_batch_bytes;
    }
  }

  // ---------------------------------------------------------- the stream

  void Enqueue(v1::Command&& cmd, std::string op, std::string site) {
    size_t bytes = cmd.has_create() ? cmd.create().data().data().size() : 64;
    if (pending_.commands_size() > 0 &&
        (static_cast<size_t>(pending_.commands_size()) >= options_.max_batch_commands ||
         pending_bytes_ + bytes > std::max<size_t>(max_batch_bytes_, 1))) {
      SendUnsynced(site);
    }
    if (!site.empty()) cmd.set_site(site);
    pending_.add_commands()->Swap(&cmd);
    pending_meta_.push_back({std::move(op), std::move(site)});
    pending_bytes_ += bytes;
  }

  // Sends the pending batch without asking for a reply. Every
  // kMaxUnsyncedBatches such batches one reply is awaited, so that responses
  // carrying errors cannot pile up unread (flow control would stall both
  // sides); errors seen then are raised at the next sync point.
  void SendUnsynced(const std::string& site) {
    static constexpr int kMaxUnsyncedBatches = 16;
    if (++unsynced_batches_ >= kMaxUnsyncedBatches) {
      uint64_t seq = Send(/*reply=*/true, site);
      WaitFor(seq, site);
    } else {
      Send(/*reply=*/false, site);
    }
  }

  void EnsureStream() {
    if (stream_ != nullptr) return;
    stream_ctx_ = std::make_unique<grpc::ClientContext>();
    AddCallMetadata(stream_ctx_.get(), session_id_, token_, instance_id_);
    stream_ = stub_->Stream(stream_ctx_.get());
    stream_fresh_ = true;
    SetCancelTarget(stream_ctx_.get());
  }

  uint64_t Send(bool reply, const std::string& site) {
    EnsureStream();
    uint64_t seq = next_seq_++;
    pending_.set_seq(seq);
    pending_.set_reply(reply);
    if (reply) pending_.set_prefetch_max_elements(options_.prefetch_max_elements);
    if (stream_fresh_) pending_.set_session_id(session_id_);
    inflight_.emplace_back(seq, std::move(pending_meta_));
    pending_meta_.clear();
    ++stats_.batches;
    stats_.commands += pending_.commands_size();
    bool ok = stream_->Write(pending_);
    pending_.Clear();
    pending_bytes_ = 0;
    stream_fresh_ = false;
    if (!ok) StreamBroken(site);
    if (reply) unsynced_batches_ = 0;
    return seq;
  }

  // Reads responses up to batch `seq`; records each failure of any
  // batch (Note [Errors per thread]). Returns the results of batch `seq`.
  std::vector<v1::CommandResult> WaitFor(uint64_t seq, const std::string& site) {
    ++stats_.round_trips;
    v1::StreamResponse resp;
    while (true) {
      if (!stream_->Read(&resp)) StreamBroken(site);
      const std::vector<CommandMeta>* metas = nullptr;
      for (const auto& [s, m] : inflight_) {
        if (s == resp.seq()) {
          metas = &m;
          break;
        }
      }
      for (v1::Prefetched& p : *resp.mutable_prefetched()) {
        const uint64_t handle = p.handle();
        prefetched_[handle] = std::move(p);
      }
      for (const v1::CommandResult& r : resp.results()) {
        if (r.code() == 0) continue;
        CommandMeta meta;
        if (metas != nullptr && r.index() < metas->size()) meta = (*metas)[r.index()];
        RecordError(meta.thread,
                    Error(r.code(), r.message(), meta.op, meta.site, r.poisoned()));
      }
      if (resp.seq() >= seq) break;
    }
    while (!inflight_.empty() && inflight_.front().first <= seq) inflight_.pop_front();
    if (resp.seq() != seq) {
      throw Error(13,
                  "stream out of order: expected the response to batch " +
                      std::to_string(seq) + ", got " + std::to_string(resp.seq()),
                  "stream", site);
    }
    return {resp.results().begin(), resp.results().end()};
  }

  void RaisePendingError() {
    std::optional<Error> error = TakeError();
    if (error.has_value()) {
      Error e = std::move(*error);
      throw e;
    }
  }

  // The stream failed: collect its status, forget it (the next command opens
  // a new one) and throw. Commands in flight are lost with it.
  [[noreturn]] void StreamBroken(const std::string& site) {
    SetCancelTarget(nullptr);
    grpc::Status status = stream_->Finish();
    stream_.reset();
    stream_ctx_.reset();
    inflight_.clear();
    pending_errors_.clear();
    prefetched_.clear();
    unsynced_batches_ = 0;
    if (status.ok()) {
      status = grpc::Status(grpc::StatusCode::UNAVAILABLE, "the server closed the stream");
    }
    // A stream cut by a proxy says little; a unary call on the session asks
    // the proxy or the daemon behind it why (Note [Session home]). A frozen
    // server does not answer it either: then that is the error.
    const grpc::Status why = ProbeSession();
    if (!why.ok()) status = why;
    std::string message = status.error_message();
    if (status.error_code() == grpc::StatusCode::UNAVAILABLE) {
      message = "lost the stream to tensord at " + address_ + ": " + message;
      if (SessionGone()) {
        throw Error(5,
                    "session " + session_id_ + " is gone: the server at " + address_ +
                        " restarted or dropped it, and its tensors with it (" + message + ")",
                    "session", site);
      }
    }
    throw Error(static_cast<int>(status.error_code()), message, "stream", site);
  }

  // KeepAlive with a short deadline: OK while the session is reachable.
  // `with_home` sends the session's instance id (Note [Session home]); without
  // it a daemon that does not hold the session says just NOT_FOUND.
  grpc::Status ProbeSession(bool with_home = true) {
    grpc::ClientContext ctx;
    SetTimeout(&ctx, 2);
    AddCallMetadata(&ctx, session_id_, token_, with_home ? instance_id_ : std::string());
    v1::SessionRequest req;
    req.set_session_id(session_id_);
    v1::SessionInfo info;
    return stub_->KeepAlive(&ctx, req, &info);
  }

  // Sends `cmd` as the last command of a batch that asks for a reply, waits,
  // raises any deferred error, and returns the command's own result.
  v1::CommandResult RoundTrip(v1::Command&& cmd, std::string op, const std::string& site) {
    Enqueue(std::move(cmd), std::move(op), site);
    uint32_t index = static_cast<uint32_t>(pending_.commands_size() - 1);
    uint64_t seq = Send(/*reply=*/true, site);
    std::vector<v1::CommandResult> results = WaitFor(seq, site);
    RaisePendingError();
    for (v1::CommandResult& r : results) {
      if (r.index() == index) return std::move(r);
    }
    throw Error(13, "the server sent no result for the command", "stream", site);
  }

  // ---------------------------------------------------------- bulk RPCs

  void Upload(uint64_t handle, DType dtype, const std::vector<int64_t>& shape,
              const void* data, size_t nbytes, bool requires_grad, const std::string& device,
              const std::string& site) {
    static constexpr size_t kChunk = 1 << 20;
    ++stats_.uploads;
    grpc::ClientContext ctx;
    AddCallMetadata(&ctx, session_id_, token_, instance_id_);
    v1::Empty empty;
    auto writer = stub_->Upload(&ctx, &empty);
    const char* bytes = static_cast<const char*>(data);
    size_t offset = 0;
    bool first = true;
    while (first || offset < nbytes) {
      v1::UploadChunk chunk;
      if (first) {
        chunk.set_session_id(session_id_);
        chunk.set_handle(handle);
        chunk.set_dtype(ToProto(dtype));
        for (int64_t s : shape) chunk.add_shape(s);
        chunk.set_requires_grad(requires_grad);
        if (!device.empty()) chunk.set_device(device);
      }
      size_t n = std::min(kChunk, nbytes - offset);
      chunk.set_data(bytes + offset, n);
      offset += n;
      first = false;
      if (!writer->Write(chunk)) break;
    }
    writer->WritesDone();
    grpc::Status status = writer->Finish();
    if (!status.ok()) throw FromStatus(status, "upload", site);
  }

  Tensor::Fetched FetchStreamed(HandleState& state, const std::string& site) {
    // Earlier commands (the ones computing this tensor) must have run.
    if (pending_.commands_size() > 0 || !inflight_.empty()) {
      uint64_t seq = Send(/*reply=*/true, site);
      WaitFor(seq, site);
    }
    RaisePendingError();
    ++stats_.streamed_fetches;
    grpc::ClientContext ctx;
    AddCallMetadata(&ctx, session_id_, token_, instance_id_);
    v1::FetchRequest req;
    req.set_session_id(session_id_);
    req.set_handle(state.handle);
    req.set_chunk_bytes(1 << 20);
    auto reader = stub_->Fetch(&ctx, req);
    v1::TensorChunk chunk;
    Tensor::Fetched out;
    bool first = true;
    while (reader->Read(&chunk)) {
      if (first) {
        out.dtype = FromProto(chunk.dtype());
        out.shape.assign(chunk.shape().begin(), chunk.shape().end());
        out.bytes.reserve(static_cast<size_t>(NumelOf(out.shape)) * ItemSize(out.dtype));
        first = false;
      }
      out.bytes += chunk.data();
    }
    grpc::Status status = reader->Finish();
    if (!status.ok()) throw FromStatus(status, "fetch", site);
    CheckFetched(out, site);
    return out;
  }

  static void CheckFetched(const Tensor::Fetched& f, const std::string& site) {
    size_t expected = static_cast<size_t>(NumelOf(f.shape)) * ItemSize(f.dtype);
    if (f.bytes.size() != expected) {
      throw Error(13,
                  "fetched " + std::to_string(f.bytes.size()) + " bytes for shape " +
                      ShapeString(f.shape) + " of " + std::string(DTypeName(f.dtype)) +
                      " (expected " + std::to_string(expected) + ")",
                  "fetch", site);
    }
  }

  // Note [Errors per thread]: a sync point raises the calling thread's first
  // deferred error that is not a mere consequence of an earlier one (or
  // else its first), and forgets the rest of that thread's errors. Errors of
  // other threads wait for their own sync points (bounded, oldest dropped).
  void RecordError(std::thread::id thread, Error error) {
    static constexpr size_t kMaxPendingErrors = 256;
    if (pending_errors_.size() >= kMaxPendingErrors) pending_errors_.pop_front();
    pending_errors_.emplace_back(thread, std::move(error));
  }

  std::optional<Error> TakeError() {
    std::thread::id me = CallerThread();
    std::vector<Error> mine;
    for (auto it = pending_errors_.begin(); it != pending_errors_.end();) {
      if (it->first != me) {
        ++it;
        continue;
      }
      mine.push_back(std::move(it->second));
      it = pending_errors_.erase(it);
    }
    if (mine.empty()) return std::nullopt;
    auto primary = std::find_if(mine.begin(), mine.end(),
                                [](const Error& e) { return !e.poisoned(); });
    if (primary == mine.end()) primary = mine.begin();
    Error chosen = std::move(*primary);
    mine.erase(primary);
    chosen.set_others(std::move(mine));
    return chosen;
  }

  // The stream's context, for Cancel() from another thread.
  void SetCancelTarget(grpc::ClientContext* ctx) {
    std::lock_guard lock(cancel_mu_);
    cancel_target_ = ctx;
  }

  // After the stream broke: true when the server answers but no longer
  // knows this session (it restarted, or the session expired).
  bool SessionGone() {
    session_gone_ = ProbeSession(/*with_home=*/false).error_code() == grpc::StatusCode::NOT_FOUND;
    return session_gone_;
  }

 public:
  void Cancel() {
    std::lock_guard lock(cancel_mu_);
    if (cancel_target_ != nullptr) cancel_target_->TryCancel();
  }

  Client::Stats GetStats() {
    std::lock_guard lock(mu_);
    return stats_;
  }

  bool session_gone() {
    std::lock_guard lock(mu_);
    return session_gone_;
  }

  v1::Tensord::Stub& stub() { return *stub_; }
  const std::string& token() const { return token_; }
  std::recursive_mutex& mutex() { return mu_; }

  // Queues a raw command (SessionAccess).
  void EnqueueRaw(v1::Command&& cmd, std::string op) {
    std::lock_guard lock(mu_);
    CheckOpen(std::source_location::current());
    std::string site = SiteOf(std::source_location());
    Enqueue(std::move(cmd), std::move(op), std::move(site));
  }

  // Sends raw commands at the end of one batch (a sync point), waits and
  // returns their results in order; raises the first deferred error.
  std::vector<v1::CommandResult> RoundTripMany(std::vector<v1::Command> cmds,
                                               const std::vector<std::string>& ops) {
    std::lock_guard lock(mu_);
    std::string site = SiteOf(std::source_location());
    CheckOpen(std::source_location());
    std::vector<v1::CommandResult> out(cmds.size());
    if (AnswerFromPrefetched(cmds, &out)) {
      RaisePendingError();  // errors already known surface here, as at a sync
      return out;
    }
    size_t per_batch = std::max<size_t>(1, options_.max_batch_commands / 2);
    for (size_t begin = 0; begin < cmds.size(); begin += per_batch) {
      size_t end = std::min(cmds.size(), begin + per_batch);
      if (pending_.commands_size() > 0 &&
          static_cast<size_t>(pending_.commands_size()) + (end - begin) >
              options_.max_batch_commands) {
        SendUnsynced(site);
      }
      uint32_t first = static_cast<uint32_t>(pending_.commands_size());
      for (size_t i = begin; i < end; ++i) {
        std::string op = i < ops.size() ? ops[i] : std::string();
        if (!site.empty()) cmds[i].set_site(site);
        pending_.add_commands()->Swap(&cmds[i]);
        pending_meta_.push_back({std::move(op), site});
        pending_bytes_ += 64;
      }
      uint64_t seq = Send(/*reply=*/true, site);
      std::vector<v1::CommandResult> results = WaitFor(seq, site);
      RaisePendingError();
      for (v1::CommandResult& r : results) {
        if (r.index() >= first && r.index() < first + (end - begin)) {
          out[begin + (r.index() - first)] = std::move(r);
        }
      }
    }
    return out;
  }

 private:
  std::mutex cancel_mu_;
  grpc::ClientContext* cancel_target_ = nullptr;
  Client::Stats stats_;
  bool session_gone_ = false;

  Client::Options options_;
  std::string address_;
  std::string token_;
  std::string session_id_;
  std::string instance_id_;  // the daemon run holding the session (Note [Session home])
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Tensord::Stub> stub_;

  std::recursive_mutex mu_;
  bool closed_ = false;
  uint64_t next_handle_ = 1;  // handle 0 is reserved (Note [Handles])

  // The stream and its batches.
  std::unique_ptr<grpc::ClientContext> stream_ctx_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::StreamRequest, v1::StreamResponse>> stream_;
  bool stream_fresh_ = false;
  uint64_t next_seq_ = 1;
  v1::StreamRequest pending_;
  std::vector<CommandMeta> pending_meta_;
  size_t pending_bytes_ = 0;
  std::deque<std::pair<uint64_t, std::vector<CommandMeta>>> inflight_;
  int unsynced_batches_ = 0;
  // Note [Errors per thread]: the deferred errors of each thread, oldest first.
  std::deque<std::pair<std::thread::id, Error>> pending_errors_;
  // Values and descriptions the last syncs sent along (Note [Prefetched
  // values]), valid until a command that may change a tensor is queued.
  std::unordered_map<uint64_t, v1::Prefetched> prefetched_;

  // Registry and limits, fetched once per connection.
  bool ops_loaded_ = false;
  bool ops_unavailable_ = false;
  std::unordered_map<std::string, OpEntry> ops_;
  std::vector<OpInfo> op_infos_;
  bool server_info_loaded_ = false;
  ServerFacts server_facts_;
  size_t inline_limit_;
  size_t max_batch_bytes_ = 1 << 20;
};

HandleState::~HandleState() {
  if (impl != nullptr) impl->Release(handle);
}

}  // namespace client

// ================================================================== Client

Client::Client() : Client(Options{}) {}

namespace {
Client::Options WithAddress(std::string address) {
  Client::Options options;
  options.address = std::move(address);
  return options;
}
}  // namespace

Client::Client(std::string address) : Client(WithAddress(std::move(address))) {}

Client::Client(Options options)
    : impl_(std::make_shared<client::ClientImpl>(std::move(options))) {
  impl_->Open();
}

Client::~Client() {
  if (impl_ != nullptr) impl_->Close();
}

Client::Client(Client&& other) noexcept = default;

Client& Client::operator=(Client&& other) noexcept {
  if (this != &other) {
    if (impl_ != nullptr) impl_->Close();
    impl_ = std::move(other.impl_);
  }
  return *this;
}

const std::string& Client::address() const { return impl_->address(); }
const std::string& Client::session_id() const { return impl_->session_id(); }

Tensor Client::CreateFromBytes(DType dtype, std::vector<int64_t> shape, const void* data,
                               size_t nbytes, const TensorOptions& opts,
                               std::source_location loc) {
  return impl_->Create(dtype, std::move(shape), data, nbytes, opts, loc);
}

Tensor Client::FromBytes(DType dtype, std::vector<int64_t> shape, const void* data,
                         size_t nbytes, TensorOptions opts, std::source_location loc) {
  return impl_->Create(dtype, std::move(shape), data, nbytes, opts, loc);
}

namespace {

void AddFactoryOptions(const TensorOptions& opts, Attrs* attrs) {
  if (opts.dtype.has_value()) (*attrs)["dtype"] = *opts.dtype;
  if (!opts.device.empty()) (*attrs)["device"] = opts.device;
}

}  // namespace

// Factories: the op, then requires_grad_ on the (leaf) result if asked.
#define TENSORD_FACTORY_(Name, op_name)                                              \
  Tensor Client::Name(std::vector<int64_t> size, TensorOptions opts,                 \
                      std::source_location loc) {                                    \
    Attrs attrs{{"size", std::move(size)}};                                          \
    AddFactoryOptions(opts, &attrs);                                                 \
    tensord::Tensor t = impl_->RunOp(op_name, {}, attrs, loc)[0];                             \
    if (opts.requires_grad) impl_->RequiresGrad(t, true, loc);                       \
    return t;                                                                        \
  }
TENSORD_FACTORY_(Zeros, "zeros")
TENSORD_FACTORY_(Ones, "ones")
TENSORD_FACTORY_(Empty, "empty")
TENSORD_FACTORY_(Rand, "rand")
TENSORD_FACTORY_(Randn, "randn")
#undef TENSORD_FACTORY_

Tensor Client::Full(std::vector<int64_t> size, Scalar fill_value, TensorOptions opts,
                    std::source_location loc) {
  Attrs attrs{{"size", std::move(size)}, {"fill_value", fill_value}};
  AddFactoryOptions(opts, &attrs);
  tensord::Tensor t = impl_->RunOp("full", {}, attrs, loc)[0];
  if (opts.requires_grad) impl_->RequiresGrad(t, true, loc);
  return t;
}

Tensor Client::Arange(Scalar end, TensorOptions opts, std::source_location loc) {
  return Arange(0, end, 1, std::move(opts), loc);
}

Tensor Client::Arange(Scalar start, Scalar end, Scalar step, TensorOptions opts,
                      std::source_location loc) {
  Attrs attrs{{"start", start}, {"end", end}, {"step", step}};
  AddFactoryOptions(opts, &attrs);
  tensord::Tensor t = impl_->RunOp("arange", {}, attrs, loc)[0];
  if (opts.requires_grad) impl_->RequiresGrad(t, true, loc);
  return t;
}

Tensor Client::Randint(int64_t low, int64_t high, std::vector<int64_t> size,
                       TensorOptions opts, std::source_location loc) {
  Attrs attrs{{"low", low}, {"high", high}, {"size", std::move(size)}};
  AddFactoryOptions(opts, &attrs);
  tensord::Tensor t = impl_->RunOp("randint", {}, attrs, loc)[0];
  if (opts.requires_grad) impl_->RequiresGrad(t, true, loc);
  return t;
}

Tensor Client::Randint(int64_t high, std::vector<int64_t> size, TensorOptions opts,
                       std::source_location loc) {
  return Randint(0, high, std::move(size), std::move(opts), loc);
}

Tensor Client::Randperm(int64_t n, TensorOptions opts, std::source_location loc) {
  Attrs attrs{{"n", n}};
  AddFactoryOptions(opts, &attrs);
  tensord::Tensor t = impl_->RunOp("randperm", {}, attrs, loc)[0];
  if (opts.requires_grad) impl_->RequiresGrad(t, true, loc);
  return t;
}

Tensor Client::Linspace(Scalar start, Scalar end, int64_t steps, TensorOptions opts,
                        std::source_location loc) {
  Attrs attrs{{"start", start}, {"end", end}, {"steps", steps}};
  AddFactoryOptions(opts, &attrs);
  tensord::Tensor t = impl_->RunOp("linspace", {}, attrs, loc)[0];
  if (opts.requires_grad) impl_->RequiresGrad(t, true, loc);
  return t;
}

Tensor Client::Eye(int64_t n, std::optional<int64_t> m, TensorOptions opts,
                   std::source_location loc) {
  Attrs attrs{{"n", n}};
  if (m.has_value()) attrs["m"] = *m;
  AddFactoryOptions(opts, &attrs);
  tensord::Tensor t = impl_->RunOp("eye", {}, attrs, loc)[0];
  if (opts.requires_grad) impl_->RequiresGrad(t, true, loc);
  return t;
}

void Client::ManualSeed(uint64_t seed, std::source_location loc) { impl_->ManualSeed(seed, loc); }

// ================================================================== like-factories

namespace {

Tensor LikeFactory(std::string_view op, const Tensor& t, TensorOptions opts, Attrs attrs,
                   const std::source_location& loc) {
  if (!t.defined()) {
    throw Error(3, "an undefined Tensor was passed", std::string(op) + "_like", SiteOf(loc));
  }
  client::ClientImpl& impl = *client::ClientImpl::ImplOf(t);
  client::ClientImpl::Meta meta = impl.GetMeta(*client::ClientImpl::StateOf(t), loc);
  attrs["size"] = meta.shape;
  attrs["dtype"] = opts.dtype.value_or(meta.dtype);
  attrs["device"] = opts.device.empty() ? meta.device : opts.device;
  Tensor out = impl.RunOp(op, {}, attrs, loc)[0];
  if (opts.requires_grad) impl.RequiresGrad(out, true, loc);
  return out;
}

}  // namespace

Tensor ZerosLike(const Tensor& t, TensorOptions opts, std::source_location loc) {
  return LikeFactory("zeros", t, std::move(opts), {}, loc);
}
Tensor OnesLike(const Tensor& t, TensorOptions opts, std::source_location loc) {
  return LikeFactory("ones", t, std::move(opts), {}, loc);
}
Tensor EmptyLike(const Tensor& t, TensorOptions opts, std::source_location loc) {
  return LikeFactory("empty", t, std::move(opts), {}, loc);
}
Tensor FullLike(const Tensor& t, Scalar fill_value, TensorOptions opts,
                std::source_location loc) {
  return LikeFactory("full", t, std::move(opts), {{"fill_value", fill_value}}, loc);
}
Tensor RandLike(const Tensor& t, TensorOptions opts, std::source_location loc) {
  return LikeFactory("rand", t, std::move(opts), {}, loc);
}
Tensor RandnLike(const Tensor& t, TensorOptions opts, std::source_location loc) {
  return LikeFactory("randn", t, std::move(opts), {}, loc);
}
Tensor RandintLike(const Tensor& t, int64_t low, int64_t high, TensorOptions opts,
                   std::source_location loc) {
  return LikeFactory("randint", t, std::move(opts), {{"low", low}, {"high", high}}, loc);
}

std::vector<Tensor> Call(std::string_view op, std::vector<Operand> inputs, Attrs attrs,
                         std::source_location loc) {
  return client::ClientImpl::RunOnOperands(op, inputs, attrs, loc);
}

// ================================================================== autograd

namespace autograd {

namespace {
client::ClientImpl& ImplOfAll(std::string_view op, const std::vector<Tensor>& a,
                              const std::vector<Tensor>& b, const std::source_location& loc) {
  if (a.empty()) {
    throw Error(3, std::string(op) + "() needs at least one tensor", std::string(op),
                SiteOf(loc));
  }
  for (const auto* list : {&a, &b}) {
    for (const Tensor& t : *list) {
      if (!t.defined()) {
        throw Error(3, "an undefined Tensor was passed", std::string(op), SiteOf(loc));
      }
    }
  }
  return *client::ClientImpl::ImplOf(a[0]);
}
}  // namespace

void Backward(const std::vector<Tensor>& tensors, const std::vector<Tensor>& grad_tensors,
              std::optional<bool> retain_graph, bool create_graph, std::source_location loc) {
  client::ClientImpl& impl = ImplOfAll("backward", tensors, {}, loc);
  impl.BackwardMany(tensors, grad_tensors, retain_graph.value_or(create_graph), create_graph,
                    {}, false, "backward", loc);
}

std::vector<Tensor> Grad(const std::vector<Tensor>& outputs, const std::vector<Tensor>& inputs,
                         const std::vector<Tensor>& grad_outputs,
                         std::optional<bool> retain_graph, bool create_graph,
                         bool allow_unused, std::source_location loc) {
  client::ClientImpl& impl = ImplOfAll("grad", outputs, inputs, loc);
  if (inputs.empty()) {
    throw Error(3, "grad() needs at least one output and one input", "grad", SiteOf(loc));
  }
  std::vector<Tensor> results =
      impl.BackwardMany(outputs, grad_outputs, retain_graph.value_or(create_graph),
                        create_graph, inputs, allow_unused, "grad", loc);
  impl.Synchronize(loc);
  if (allow_unused) {
    // Unused inputs have poisoned result handles ("... gradient is None ...").
    for (Tensor& r : results) {
      try {
        r.Info(loc);
      } catch (const Error& e) {
        if (e.message().find("gradient is None") == std::string::npos) throw;
        r = Tensor();
      }
    }
  }
  return results;
}

}  // namespace autograd

std::vector<Tensor> Client::Call(std::string_view op, std::vector<Operand> inputs, Attrs attrs,
                                 std::source_location loc) {
  return impl_->RunOp(op, inputs, attrs, loc);
}

void Client::Flush() { impl_->Flush(); }
void Client::Synchronize(std::source_location loc) { impl_->Synchronize(loc); }
SessionInfo Client::Session(std::source_location loc) { return impl_->Session(loc); }
std::vector<OpInfo> Client::Ops() { return impl_->Ops(); }

void Client::Close() {
  if (impl_ != nullptr) impl_->Close();
}

bool Client::closed() const { return impl_ == nullptr || impl_->closed(); }

Client::Stats Client::GetStats() const { return impl_->GetStats(); }

void Client::Cancel() {
  if (impl_ != nullptr) impl_->Cancel();
}

// ================================================================== Tensor

namespace {

[[noreturn]] void ThrowUndefined(std::string_view what, const std::source_location& loc) {
  throw Error(3, "called " + std::string(what) + " on an undefined Tensor", "",
              SiteOf(loc));
}

}  // namespace

client::ClientImpl& Tensor::impl() const { return *state_->impl; }

uint64_t Tensor::handle() const { return state_ ? state_->handle : 0; }

TensorInfo Tensor::Info(std::source_location loc) const {
  if (!state_) ThrowUndefined("Info", loc);
  return impl().Describe(*state_, loc);
}

std::optional<std::vector<int64_t>> Tensor::ShapeIfKnown() const {
  if (!state_) return std::nullopt;
  return impl().KnownShape(*state_);
}

std::optional<TensorMeta> Tensor::MetaIfKnown() const {
  if (!state_) return std::nullopt;
  return impl().KnownMeta(*state_);
}

std::vector<int64_t> Tensor::Shape(std::source_location loc) const {
  if (!state_) ThrowUndefined("Shape", loc);
  return impl().GetMeta(*state_, loc).shape;
}

int64_t Tensor::Dim(std::source_location loc) const {
  return static_cast<int64_t>(Shape(loc).size());
}

int64_t Tensor::Size(int64_t dim, std::source_location loc) const {
  std::vector<int64_t> shape = Shape(loc);
  int64_t ndim = static_cast<int64_t>(shape.size());
  int64_t d = dim < 0 ? dim + ndim : dim;
  if (d < 0 || d >= ndim) {
    throw Error(3,
                "Dimension out of range (expected to be in range of [" +
                    std::to_string(-std::max<int64_t>(ndim, 1)) + ", " +
                    std::to_string(std::max<int64_t>(ndim, 1) - 1) + "], but got " +
                    std::to_string(dim) + ")",
                "size", SiteOf(loc));
  }
  return shape[d];
}

int64_t Tensor::Numel(std::source_location loc) const {
  return client::NumelOf(Shape(loc));
}

DType Tensor::DType(std::source_location loc) const {
  if (!state_) ThrowUndefined("DType", loc);
  return impl().GetMeta(*state_, loc).dtype;
}

std::string Tensor::Device(std::source_location loc) const {
  if (!state_) ThrowUndefined("Device", loc);
  return impl().GetMeta(*state_, loc).device;
}

Tensor::Fetched Tensor::FetchBytes(std::source_location loc) const {
  if (!state_) ThrowUndefined("ToVector", loc);
  return impl().Fetch(*state_, loc);
}

bool Tensor::RequiresGrad(std::source_location loc) const { return Info(loc).requires_grad; }
bool Tensor::IsLeaf(std::source_location loc) const { return Info(loc).is_leaf; }
std::string Tensor::GradFn(std::source_location loc) const { return Info(loc).grad_fn; }

Tensor& Tensor::RequiresGrad_(bool requires_grad, std::source_location loc) {
  if (!state_) ThrowUndefined("RequiresGrad_", loc);
  impl().RequiresGrad(*this, requires_grad, loc);
  return *this;
}

void Tensor::SetGrad(const Tensor& grad, std::source_location loc) {
  if (!state_) ThrowUndefined("SetGrad", loc);
  Operand g = grad.defined() ? Operand(grad) : Operand(kNone);
  impl().RunOp("set_grad_", {*this, g}, {}, loc);
}

Tensor Tensor::Grad(std::source_location loc) const {
  TensorInfo info = Info(loc);
  if (!info.has_grad) return Tensor();
  Tensor grad = impl().RunOp("grad", {*this}, {}, loc)[0];
  impl().SetMeta(*grad.state_, info.dtype, info.shape, info.device);  // .grad matches its tensor
  return grad;
}

void Tensor::Backward(std::source_location loc) const {
  if (!state_) ThrowUndefined("Backward", loc);
  impl().Backward(*this, nullptr, false, false, loc);
}

void Tensor::Backward(const Tensor& gradient, bool retain_graph, bool create_graph,
                      std::source_location loc) const {
  if (!state_) ThrowUndefined("Backward", loc);
  impl().Backward(*this, &gradient, retain_graph, create_graph, loc);
}

std::vector<Tensor> Tensor::Call(std::string_view op, std::vector<Operand> more_inputs,
                                 Attrs attrs, std::source_location loc) const {
  if (!state_) ThrowUndefined(op, loc);
  std::vector<Operand> inputs;
  inputs.reserve(more_inputs.size() + 1);
  inputs.emplace_back(*this);
  for (Operand& o : more_inputs) inputs.push_back(std::move(o));
  return impl().RunOp(op, inputs, attrs, loc);
}

namespace {

Tensor Op1(std::string_view op, std::vector<Operand> inputs, Attrs attrs,
           const std::source_location& loc) {
  return client::ClientImpl::RunOnOperands(op, inputs, attrs, loc)[0];
}

std::vector<int64_t> Dims(std::vector<int64_t> dims) { return dims; }

}  // namespace

Tensor Tensor::Add(const Operand& other, Scalar alpha, std::source_location loc) const {
  return Op1("add", {*this, other}, {{"alpha", alpha}}, loc);
}
Tensor Tensor::Sub(const Operand& other, Scalar alpha, std::source_location loc) const {
  return Op1("sub", {*this, other}, {{"alpha", alpha}}, loc);
}
Tensor Tensor::Mul(const Operand& other, std::source_location loc) const {
  return Op1("mul", {*this, other}, {}, loc);
}
Tensor Tensor::Div(const Operand& other, std::source_location loc) const {
  return Op1("div", {*this, other}, {}, loc);
}
Tensor Tensor::Pow(const Operand& exponent, std::source_location loc) const {
  return Op1("pow", {*this, exponent}, {}, loc);
}

#define TENSORD_UNARY_(Name, op_name)                            \
  Tensor Tensor::Name(std::source_location loc) const {          \
    return Op1(op_name, {*this}, {}, loc);                       \
  }                                                              \
  Tensor Name(const Tensor& x, std::source_location loc) {       \
    return Op1(op_name, {x}, {}, loc);                           \
  }
TENSORD_UNARY_(Neg, "neg")
TENSORD_UNARY_(Exp, "exp")
TENSORD_UNARY_(Log, "log")
TENSORD_UNARY_(Sin, "sin")
TENSORD_UNARY_(Cos, "cos")
TENSORD_UNARY_(Relu, "relu")
TENSORD_UNARY_(Sigmoid, "sigmoid")
TENSORD_UNARY_(Clone, "clone")
TENSORD_UNARY_(Detach, "detach")
#undef TENSORD_UNARY_

Tensor Tensor::Contiguous(std::source_location loc) const {
  return Op1("contiguous", {*this}, {}, loc);
}
Tensor Tensor::T(std::source_location loc) const { return Op1("t", {*this}, {}, loc); }

namespace {
Attrs ReduceAttrs(std::vector<int64_t> dims, bool keepdim) {
  Attrs attrs{{"keepdim", keepdim}};
  if (!dims.empty()) attrs["dim"] = std::move(dims);
  return attrs;
}
}  // namespace

Tensor Tensor::Sum(std::source_location loc) const { return Op1("sum", {*this}, {}, loc); }
Tensor Tensor::Sum(std::vector<int64_t> dims, bool keepdim, std::source_location loc) const {
  return Op1("sum", {*this}, ReduceAttrs(std::move(dims), keepdim), loc);
}
Tensor Tensor::Mean(std::source_location loc) const { return Op1("mean", {*this}, {}, loc); }
Tensor Tensor::Mean(std::vector<int64_t> dims, bool keepdim, std::source_location loc) const {
  return Op1("mean", {*this}, ReduceAttrs(std::move(dims), keepdim), loc);
}

Tensor Tensor::Matmul(const Tensor& other, std::source_location loc) const {
  return Op1("matmul", {*this, other}, {}, loc);
}
Tensor Tensor::Mm(const Tensor& mat2, std::source_location loc) const {
  return Op1("mm", {*this, mat2}, {}, loc);
}
Tensor Tensor::Mv(const Tensor& vec, std::source_location loc) const {
  return Op1("mv", {*this, vec}, {}, loc);
}
Tensor Tensor::Dot(const Tensor& other, std::source_location loc) const {
  return Op1("dot", {*this, other}, {}, loc);
}
Tensor Tensor::Bmm(const Tensor& mat2, std::source_location loc) const {
  return Op1("bmm", {*this, mat2}, {}, loc);
}

Tensor Tensor::Transpose(int64_t dim0, int64_t dim1, std::source_location loc) const {
  return Op1("transpose", {*this}, {{"dim0", dim0}, {"dim1", dim1}}, loc);
}
Tensor Tensor::View(std::vector<int64_t> size, std::source_location loc) const {
  return Op1("view", {*this}, {{"size", std::move(size)}}, loc);
}
Tensor Tensor::Reshape(std::vector<int64_t> shape, std::source_location loc) const {
  return Op1("reshape", {*this}, {{"shape", std::move(shape)}}, loc);
}
Tensor Tensor::Expand(std::vector<int64_t> size, std::source_location loc) const {
  return Op1("expand", {*this}, {{"size", std::move(size)}}, loc);
}
Tensor Tensor::Unsqueeze(int64_t dim, std::source_location loc) const {
  return Op1("unsqueeze", {*this}, {{"dim", dim}}, loc);
}
Tensor Tensor::Squeeze(std::source_location loc) const {
  return Op1("squeeze", {*this}, {}, loc);
}
Tensor Tensor::Squeeze(std::vector<int64_t> dims, std::source_location loc) const {
  return Op1("squeeze", {*this}, {{"dim", Dims(std::move(dims))}}, loc);
}
Tensor Tensor::Permute(std::vector<int64_t> dims, std::source_location loc) const {
  return Op1("permute", {*this}, {{"dims", std::move(dims)}}, loc);
}
Tensor Tensor::To(tensord::DType dtype, std::source_location loc) const {
  return Op1("to", {*this}, {{"dtype", dtype}}, loc);
}

Tensor Tensor::To(const std::string& device, std::source_location loc) const {
  return Op1("to", {*this}, {{"device", device}}, loc);
}

Tensor Tensor::Cuda(int index, std::source_location loc) const {
  return To("cuda:" + std::to_string(index), loc);
}

Tensor Tensor::Cpu(std::source_location loc) const { return To(std::string("cpu"), loc); }

// ================================================================== free functions

Tensor Add(const Operand& self, const Operand& other, Scalar alpha, std::source_location loc) {
  return Op1("add", {self, other}, {{"alpha", alpha}}, loc);
}
Tensor Sub(const Operand& self, const Operand& other, Scalar alpha, std::source_location loc) {
  return Op1("sub", {self, other}, {{"alpha", alpha}}, loc);
}
Tensor Mul(const Operand& self, const Operand& other, std::source_location loc) {
  return Op1("mul", {self, other}, {}, loc);
}
Tensor Div(const Operand& self, const Operand& other, std::source_location loc) {
  return Op1("div", {self, other}, {}, loc);
}
Tensor Pow(const Operand& self, const Operand& exponent, std::source_location loc) {
  return Op1("pow", {self, exponent}, {}, loc);
}
Tensor Sum(const Tensor& x, std::vector<int64_t> dims, bool keepdim, std::source_location loc) {
  return Op1("sum", {x}, ReduceAttrs(std::move(dims), keepdim), loc);
}
Tensor Mean(const Tensor& x, std::vector<int64_t> dims, bool keepdim, std::source_location loc) {
  return Op1("mean", {x}, ReduceAttrs(std::move(dims), keepdim), loc);
}
Tensor Matmul(const Tensor& a, const Tensor& b, std::source_location loc) {
  return Op1("matmul", {a, b}, {}, loc);
}
Tensor Mm(const Tensor& a, const Tensor& b, std::source_location loc) {
  return Op1("mm", {a, b}, {}, loc);
}
Tensor Mv(const Tensor& a, const Tensor& v, std::source_location loc) {
  return Op1("mv", {a, v}, {}, loc);
}
Tensor Dot(const Tensor& a, const Tensor& b, std::source_location loc) {
  return Op1("dot", {a, b}, {}, loc);
}
Tensor Bmm(const Tensor& a, const Tensor& b, std::source_location loc) {
  return Op1("bmm", {a, b}, {}, loc);
}
Tensor Transpose(const Tensor& x, int64_t dim0, int64_t dim1, std::source_location loc) {
  return x.Transpose(dim0, dim1, loc);
}
Tensor Reshape(const Tensor& x, std::vector<int64_t> shape, std::source_location loc) {
  return x.Reshape(std::move(shape), loc);
}
Tensor Permute(const Tensor& x, std::vector<int64_t> dims, std::source_location loc) {
  return x.Permute(std::move(dims), loc);
}
Tensor Unsqueeze(const Tensor& x, int64_t dim, std::source_location loc) {
  return x.Unsqueeze(dim, loc);
}
Tensor Squeeze(const Tensor& x, std::source_location loc) { return x.Squeeze(loc); }

// ================================================================== operators

Tensor operator+(const Tensor& a, client::SitedOperand b) {
  return Op1("add", {a, b.operand}, {}, b.loc);
}
Tensor operator-(const Tensor& a, client::SitedOperand b) {
  return Op1("sub", {a, b.operand}, {}, b.loc);
}
Tensor operator*(const Tensor& a, client::SitedOperand b) {
  return Op1("mul", {a, b.operand}, {}, b.loc);
}
Tensor operator/(const Tensor& a, client::SitedOperand b) {
  return Op1("div", {a, b.operand}, {}, b.loc);
}
Tensor operator+(client::SitedScalar a, const Tensor& b) {
  return Op1("add", {a.value, b}, {}, a.loc);
}
Tensor operator-(client::SitedScalar a, const Tensor& b) {
  return Op1("sub", {a.value, b}, {}, a.loc);
}
Tensor operator*(client::SitedScalar a, const Tensor& b) {
  return Op1("mul", {a.value, b}, {}, a.loc);
}
Tensor operator/(client::SitedScalar a, const Tensor& b) {
  return Op1("div", {a.value, b}, {}, a.loc);
}
Tensor operator-(const Tensor& a) { return Op1("neg", {a}, {}, std::source_location()); }

}  // namespace tensord

// ================================================================== SessionAccess

namespace tensord::client {

void SessionAccess::Enqueue(Client& client, v1::Command cmd, std::string op) {
  client.impl_->EnqueueRaw(std::move(cmd), std::move(op));
}

std::vector<v1::CommandResult> SessionAccess::RoundTrip(Client& client,
                                                        std::vector<v1::Command> cmds,
                                                        const std::vector<std::string>& ops) {
  return client.impl_->RoundTripMany(std::move(cmds), ops);
}

SessionAccess::Fetched SessionAccess::Fetch(const Tensor& t) {
  Tensor::Fetched f = t.FetchBytes(std::source_location());
  return {f.dtype, std::move(f.shape), std::move(f.bytes)};
}

v1::Tensord::Stub& SessionAccess::Stub(Client& client) { return client.impl_->stub(); }

void SessionAccess::PrepareCall(Client& client, grpc::ClientContext* ctx, double timeout_seconds) {
  AddCallMetadata(ctx, client.impl_->session_id(), client.impl_->token());
  if (timeout_seconds > 0) SetTimeout(ctx, timeout_seconds);
}

bool SessionAccess::SessionGone(Client& client) { return client.impl_->session_gone(); }

}  // namespace tensord::client
