// tensord._core: the Python binding of the C++ client core (client/cpp).
//
// The core owns the protocol: the session, the pipelined Stream, batching,
// client-assigned handles and their release, poisoning and call-site errors
// (Note [Pipelining and sync points] in tensord.h). This module exposes a
// small object model over it, and the torch-shaped API (tensord/_tensor.py
// and friends) is written in Python on top:
//
//   Session   one server session (tensord::Client): op, create, fetch,
//             describe, backward, grad, sync, and the session's unary calls
//   Handle    a reference to one server tensor (tensord::Tensor); when the
//             last reference dies the core queues its release
//
// Note [Waiting from Python]
//   Every call that can wait for the server releases the GIL. On the main
//   thread the call runs on a helper thread while the main thread waits in
//   short slices and runs Python's signal handlers in between: Ctrl-C raises
//   KeyboardInterrupt there, after cancelling the session's stream (which
//   cancels the commands the server has not finished). A server that stops
//   answering fails the wait through the channel's keepalive (Options).
//
// Errors of the core (tensord::Error) become the exception that the factory
// registered by tensord/_errors.py builds (TensordError and its subclasses).
#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/unique_ptr.h>
#include <nanobind/stl/vector.h>

#include <Python.h>
#include <frameobject.h>

#include <chrono>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include "session_access.h"
#include "tensord/tensord.h"

namespace nb = nanobind;
namespace v1 = ::tensord::v1;
using tensord::client::SessionAccess;

namespace {

// ---------------------------------------------------------------- state

struct ModuleState {
  nb::object error_factory;   // (code, message, op, site, poisoned) -> exception
  nb::object namespace_type;  // types.SimpleNamespace
  nb::object dtype_type;      // tensord._dtype.dtype
  std::string package_dir;    // frames under it are tensord's own
  unsigned long main_thread = 0;
};

ModuleState& State() {
  static ModuleState* state = new ModuleState();  // never destroyed (interpreter exit)
  return *state;
}

// "file.py:LINE" of the innermost calling frame outside the tensord package.
std::string UserSite() {
  const std::string& pkg = State().package_dir;
  PyFrameObject* frame = PyEval_GetFrame();
  Py_XINCREF(frame);
  std::string site;
  while (frame != nullptr) {
    PyCodeObject* code = PyFrame_GetCode(frame);
    const char* file = PyUnicode_AsUTF8(code->co_filename);
    bool own = file != nullptr && !pkg.empty() && std::strncmp(file, pkg.data(), pkg.size()) == 0;
    if (!own && file != nullptr) {
      const char* base = std::strrchr(file, '/');
      site = std::string(base != nullptr ? base + 1 : file) + ":" +
             std::to_string(PyFrame_GetLineNumber(frame));
      Py_DECREF(code);
      Py_DECREF(frame);
      return site;
    }
    Py_DECREF(code);
    PyFrameObject* back = PyFrame_GetBack(frame);
    Py_DECREF(frame);
    frame = back;
  }
  PyErr_Clear();
  return site;
}

// ---------------------------------------------------------------- waiting

// One helper thread that runs the main thread's waits (Note [Waiting from Python]).
class Waiter {
 public:
  static Waiter& Get() {
    static Waiter* waiter = new Waiter();  // detached; lives until exit
    return *waiter;
  }

  // Runs `job` on the helper thread; returns when it finished. `poll` runs
  // every slice while waiting (it may call Cancel to make the job finish).
  void Run(const std::function<void()>& job, const std::function<void()>& poll) {
    std::unique_lock lock(mu_);
    job_ = &job;
    done_ = false;
    error_ = nullptr;
    work_cv_.notify_one();
    // A short spin first: most round trips answer within a few hundred us,
    // and a condition-variable wake-up costs more than that on a busy host.
    auto spin_until = std::chrono::steady_clock::now() + std::chrono::microseconds(50);
    while (!done_) {
      if (std::chrono::steady_clock::now() < spin_until) {
        lock.unlock();
        std::this_thread::yield();
        lock.lock();
        continue;
      }
      done_cv_.wait_for(lock, std::chrono::milliseconds(20));
      if (!done_) {
        lock.unlock();
        poll();
        lock.lock();
      }
    }
    job_ = nullptr;
    if (error_ != nullptr) std::rethrow_exception(error_);
  }

 private:
  Waiter() {
    std::thread([this] { Loop(); }).detach();
  }

  void Loop() {
    std::unique_lock lock(mu_);
    while (true) {
      work_cv_.wait(lock, [this] { return job_ != nullptr && !done_; });
      const std::function<void()>* job = job_;
      lock.unlock();
      std::exception_ptr error;
      try {
        (*job)();
      } catch (...) {
        error = std::current_exception();
      }
      lock.lock();
      error_ = error;
      done_ = true;
      done_cv_.notify_one();
    }
  }

  std::mutex mu_;
  std::condition_variable work_cv_;
  std::condition_variable done_cv_;
  const std::function<void()>* job_ = nullptr;
  bool done_ = false;
  std::exception_ptr error_;
};

// Runs `fn` without the GIL, interruptible by Ctrl-C on the main thread.
// `site` is the call site the core records (Note [Waiting from Python]).
template <typename R>
R Wait(tensord::Client& client, const std::string& site, const std::function<R()>& fn) {
  if (PyThread_get_thread_ident() != State().main_thread) {
    nb::gil_scoped_release release;
    tensord::client::ScopedCallSite scoped(site);
    return fn();
  }
  std::optional<R> result;
  PyObject* interrupt_type = nullptr;
  PyObject* interrupt_value = nullptr;
  PyObject* interrupt_tb = nullptr;
  {
    nb::gil_scoped_release release;
    std::thread::id caller = std::this_thread::get_id();
    std::function<void()> job = [&] {
      tensord::client::ScopedCallSite scoped(site);
      tensord::client::ScopedCallerThread as_caller(caller);
      result.emplace(fn());
    };
    std::function<void()> poll = [&] {
      if (interrupt_type != nullptr) return;
      nb::gil_scoped_acquire acquire;
      if (PyErr_CheckSignals() != 0) {
        PyErr_Fetch(&interrupt_type, &interrupt_value, &interrupt_tb);
        client.Cancel();
      }
    };
    try {
      Waiter::Get().Run(job, poll);
    } catch (...) {
      if (interrupt_type == nullptr) throw;
    }
  }
  if (interrupt_type != nullptr) {
    PyErr_Restore(interrupt_type, interrupt_value, interrupt_tb);
    throw nb::python_error();
  }
  return std::move(*result);
}

void WaitVoid(tensord::Client& client, const std::string& site,
              const std::function<void()>& fn) {
  Wait<bool>(client, site, [&] {
    fn();
    return true;
  });
}

// ---------------------------------------------------------------- conversions

// A protobuf message as nested types.SimpleNamespace objects with the
// field names of tensord.proto (enums as ints, unset messages as None).
nb::object ToPython(const google::protobuf::Message& m);

nb::object FieldValue(const google::protobuf::Message& m, const google::protobuf::FieldDescriptor* f,
                      int index) {
  using FD = google::protobuf::FieldDescriptor;
  const google::protobuf::Reflection* r = m.GetReflection();
  bool rep = index >= 0;
  switch (f->cpp_type()) {
    case FD::CPPTYPE_INT32:
      return nb::int_(rep ? r->GetRepeatedInt32(m, f, index) : r->GetInt32(m, f));
    case FD::CPPTYPE_INT64:
      return nb::int_(rep ? r->GetRepeatedInt64(m, f, index) : r->GetInt64(m, f));
    case FD::CPPTYPE_UINT32:
      return nb::int_(rep ? r->GetRepeatedUInt32(m, f, index) : r->GetUInt32(m, f));
    case FD::CPPTYPE_UINT64:
      return nb::int_(rep ? r->GetRepeatedUInt64(m, f, index) : r->GetUInt64(m, f));
    case FD::CPPTYPE_DOUBLE:
      return nb::float_(rep ? r->GetRepeatedDouble(m, f, index) : r->GetDouble(m, f));
    case FD::CPPTYPE_FLOAT:
      return nb::float_(rep ? r->GetRepeatedFloat(m, f, index) : r->GetFloat(m, f));
    case FD::CPPTYPE_BOOL:
      return nb::bool_(rep ? r->GetRepeatedBool(m, f, index) : r->GetBool(m, f));
    case FD::CPPTYPE_ENUM:
      return nb::int_(rep ? r->GetRepeatedEnumValue(m, f, index) : r->GetEnumValue(m, f));
    case FD::CPPTYPE_STRING: {
      std::string scratch;
      const std::string& v = rep ? r->GetRepeatedStringReference(m, f, index, &scratch)
                                 : r->GetStringReference(m, f, &scratch);
      if (f->type() == FD::TYPE_BYTES) return nb::bytes(v.data(), v.size());
      return nb::str(v.data(), v.size());
    }
    case FD::CPPTYPE_MESSAGE:
      if (!rep && !r->HasField(m, f)) return nb::none();
      return ToPython(rep ? r->GetRepeatedMessage(m, f, index) : r->GetMessage(m, f));
  }
  return nb::none();
}

nb::object ToPython(const google::protobuf::Message& m) {
  const google::protobuf::Descriptor* d = m.GetDescriptor();
  const google::protobuf::Reflection* r = m.GetReflection();
  nb::dict fields;
  for (int i = 0; i < d->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* f = d->field(i);
    if (f->is_repeated()) {
      nb::list items;
      int n = r->FieldSize(m, f);
      for (int j = 0; j < n; ++j) items.append(FieldValue(m, f, j));
      fields[f->name().c_str()] = items;
    } else {
      fields[f->name().c_str()] = FieldValue(m, f, -1);
    }
  }
  return State().namespace_type(**fields);
}

bool IsNumpyBool(PyObject* o) {
  const char* name = Py_TYPE(o)->tp_name;
  return std::strcmp(name, "numpy.bool_") == 0 || std::strcmp(name, "numpy.bool") == 0;
}

int64_t ToInt64(PyObject* o) {
  int overflow = 0;
  long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
  if (overflow != 0) {
    PyErr_SetString(PyExc_RuntimeError, "Overflow when unpacking long");
    throw nb::python_error();
  }
  if (v == -1 && PyErr_Occurred()) throw nb::python_error();
  return v;
}

// A Python number as a Scalar (bool / int / float kind kept); nullopt if `o`
// is not a number.
std::optional<tensord::Scalar> ToScalar(nb::handle h) {
  PyObject* o = h.ptr();
  if (PyBool_Check(o) || IsNumpyBool(o)) return tensord::Scalar(PyObject_IsTrue(o) == 1);
  if (PyLong_Check(o)) return tensord::Scalar(ToInt64(o));
  if (PyFloat_Check(o)) return tensord::Scalar(PyFloat_AS_DOUBLE(o));
  if (PyIndex_Check(o)) {
    nb::object i = nb::steal(PyNumber_Index(o));
    if (!i.is_valid()) throw nb::python_error();
    return tensord::Scalar(ToInt64(i.ptr()));
  }
  if (Py_TYPE(o)->tp_as_number != nullptr && Py_TYPE(o)->tp_as_number->nb_float != nullptr) {
    double v = PyFloat_AsDouble(o);
    if (v == -1.0 && PyErr_Occurred()) throw nb::python_error();
    return tensord::Scalar(v);
  }
  return std::nullopt;
}

struct Handle {
  tensord::Tensor tensor;
};

tensord::Operand ToOperand(nb::handle h) {
  if (h.is_none()) return tensord::kNone;
  if (nb::isinstance<Handle>(h)) return nb::cast<Handle&>(h).tensor;
  if (std::optional<tensord::Scalar> s = ToScalar(h)) return *s;
  PyErr_Format(PyExc_TypeError, "expected a Tensor or a number, got %s", Py_TYPE(h.ptr())->tp_name);
  throw nb::python_error();
}

tensord::AttrValue ToAttr(nb::handle h) {
  PyObject* o = h.ptr();
  if (h.is_none()) return tensord::kNone;
  if (PyUnicode_Check(o)) return std::string(nb::cast<std::string>(h));
  if (PyList_Check(o) || PyTuple_Check(o)) {
    std::vector<int64_t> ints;
    for (nb::handle item : h) {
      std::optional<tensord::Scalar> s = ToScalar(item);
      if (!s.has_value() || s->is_floating_point()) {
        PyErr_Format(PyExc_TypeError, "expected a sequence of ints, got an element of type %s",
                     Py_TYPE(item.ptr())->tp_name);
        throw nb::python_error();
      }
      ints.push_back(s->ToInt());
    }
    return ints;
  }
  const ModuleState& st = State();
  if (st.dtype_type.is_valid() && PyObject_TypeCheck(o, (PyTypeObject*)st.dtype_type.ptr())) {
    return static_cast<tensord::DType>(nb::cast<int>(h.attr("wire")));
  }
  if (std::optional<tensord::Scalar> s = ToScalar(h)) {
    const auto& v = s->value();
    if (const bool* b = std::get_if<bool>(&v)) return *b;
    if (const int64_t* i = std::get_if<int64_t>(&v)) return *i;
    return std::get<double>(v);
  }
  // device objects and the like: their str() ("cuda:0").
  return std::string(nb::str(h).c_str());
}

nb::list WrapAll(std::vector<tensord::Tensor> tensors) {
  nb::list out;
  for (tensord::Tensor& t : tensors) {
    if (t.defined()) {
      out.append(nb::cast(Handle{std::move(t)}));
    } else {
      out.append(nb::none());
    }
  }
  return out;
}

nb::object BytesArray(std::string bytes) {
  auto* owned = new std::string(std::move(bytes));
  nb::capsule owner(owned, [](void* p) noexcept { delete static_cast<std::string*>(p); });
  size_t n = owned->size();
  return nb::cast(nb::ndarray<nb::numpy, uint8_t, nb::ndim<1>>(owned->data(), {n}, owner));
}

// ---------------------------------------------------------------- Session

// Payloads above this may use the Upload RPC (the core's inline limit).
constexpr Py_ssize_t kUploadBytes = 1 << 20;

class Session {
 public:
  Session(tensord::Client::Options options) : client_(std::move(options)) {}

  tensord::Client& client() { return client_; }

  nb::list Op(const std::string& name, nb::list inputs, nb::handle attrs, bool grad_enabled) {
    std::vector<tensord::Operand> operands;
    operands.reserve(inputs.size());
    for (nb::handle h : inputs) operands.push_back(ToOperand(h));
    tensord::Attrs attr_map;
    if (!attrs.is_none()) {
      for (auto [k, v] : nb::borrow<nb::dict>(attrs)) {
        attr_map.emplace(nb::cast<std::string>(k), ToAttr(v));
      }
    }
    tensord::client::ScopedCallSite site(UserSite());
    std::vector<tensord::Tensor> outs;
    {
      nb::gil_scoped_release release;
      tensord::GradModeGuard grad(grad_enabled);
      outs = client_.Call(name, std::move(operands), std::move(attr_map));
    }
    return WrapAll(std::move(outs));
  }

  Handle Create(nb::handle data, int dtype, std::vector<int64_t> shape, bool requires_grad,
                const std::string& device) {
    Py_buffer view;
    if (PyObject_GetBuffer(data.ptr(), &view, PyBUF_SIMPLE) != 0) throw nb::python_error();
    std::unique_ptr<Py_buffer, void (*)(Py_buffer*)> guard(&view, PyBuffer_Release);
    std::string site = UserSite();
    tensord::TensorOptions opts;
    opts.device = device;
    opts.requires_grad = requires_grad;
    auto d = static_cast<tensord::DType>(dtype);
    auto create = [&] {
      return client_.FromBytes(d, shape, view.buf, static_cast<size_t>(view.len), opts);
    };
    // Large tensors go through the chunked Upload, which waits; inline ones
    // are only queued.
    if (view.len > kUploadBytes) return Handle{Wait<tensord::Tensor>(client_, site, create)};
    tensord::client::ScopedCallSite scoped(site);
    nb::gil_scoped_release release;
    return Handle{create()};
  }

  // (dtype, shape, uint8 array) of a tensor's values.
  nb::tuple Fetch(Handle& h) {
    std::string site = UserSite();
    SessionAccess::Fetched f = Wait<SessionAccess::Fetched>(
        client_, site, [&] { return SessionAccess::Fetch(h.tensor); });
    return nb::make_tuple(static_cast<int>(f.dtype), nb::tuple(nb::cast(f.shape)),
                          BytesArray(std::move(f.bytes)));
  }

  // Runs describe / fetch commands in one round trip: kinds[i] is "describe"
  // or "fetch" (`op` names them in errors). Returns per command a TensorInfo
  // namespace, or (dtype, shape, uint8 array).
  nb::list Query(nb::list kinds, nb::list handles, const std::string& op) {
    std::vector<v1::Command> cmds;
    std::vector<std::string> ops;
    std::vector<bool> is_fetch;
    size_t n = handles.size();
    for (size_t i = 0; i < n; ++i) {
      std::string kind = nb::cast<std::string>(kinds[i]);
      uint64_t handle = nb::cast<Handle&>(handles[i]).tensor.handle();
      v1::Command cmd;
      if (kind == "fetch") {
        cmd.mutable_fetch()->set_handle(handle);
      } else {
        cmd.mutable_describe()->set_handle(handle);
      }
      is_fetch.push_back(kind == "fetch");
      ops.push_back(op.empty() ? kind : op);
      cmds.push_back(std::move(cmd));
    }
    std::string site = UserSite();
    auto results = Wait<std::vector<v1::CommandResult>>(
        client_, site, [&] { return SessionAccess::RoundTrip(client_, std::move(cmds), ops); });
    nb::list out;
    for (size_t i = 0; i < n; ++i) {
      v1::CommandResult& r = results[i];
      if (is_fetch[i]) {
        v1::TensorData* td = r.mutable_tensor();
        out.append(nb::make_tuple(static_cast<int>(td->dtype()), nb::tuple(nb::cast(std::vector<int64_t>(
                                                   td->shape().begin(), td->shape().end()))),
                                  BytesArray(std::move(*td->mutable_data()))));
      } else {
        out.append(ToPython(r.info()));
      }
    }
    return out;
  }

  nb::object Graph(nb::list handles, nb::list leaves, bool saved_tensors, bool attributes) {
    v1::Command cmd;
    v1::GraphCommand* g = cmd.mutable_graph();
    for (nb::handle h : handles) g->add_handles(nb::cast<Handle&>(h).tensor.handle());
    for (nb::handle h : leaves) g->add_leaves(nb::cast<Handle&>(h).tensor.handle());
    g->set_saved_tensors(saved_tensors);
    g->set_attributes(attributes);
    std::string site = UserSite();
    std::vector<v1::Command> cmds;
    cmds.push_back(std::move(cmd));
    auto results = Wait<std::vector<v1::CommandResult>>(
        client_, site, [&] { return SessionAccess::RoundTrip(client_, std::move(cmds), {"graph"}); });
    return ToPython(results[0].graph());
  }

  void Backward(nb::list roots, nb::list grads, bool retain_graph, bool create_graph) {
    std::vector<tensord::Tensor> r, g;
    for (nb::handle h : roots) r.push_back(nb::cast<Handle&>(h).tensor);
    for (nb::handle h : grads) {
      g.push_back(h.is_none() ? tensord::Tensor() : nb::cast<Handle&>(h).tensor);
    }
    tensord::client::ScopedCallSite site(UserSite());
    nb::gil_scoped_release release;
    tensord::autograd::Backward(r, g, retain_graph, create_graph);
  }

  nb::list Grad(nb::list outputs, nb::list inputs, nb::list grad_outputs, bool retain_graph,
                bool create_graph, bool allow_unused) {
    std::vector<tensord::Tensor> o, in, g;
    for (nb::handle h : outputs) o.push_back(nb::cast<Handle&>(h).tensor);
    for (nb::handle h : inputs) in.push_back(nb::cast<Handle&>(h).tensor);
    for (nb::handle h : grad_outputs) {
      g.push_back(h.is_none() ? tensord::Tensor() : nb::cast<Handle&>(h).tensor);
    }
    std::string site = UserSite();
    return WrapAll(Wait<std::vector<tensord::Tensor>>(client_, site, [&] {
      return tensord::autograd::Grad(o, in, g, retain_graph, create_graph, allow_unused);
    }));
  }

  void ManualSeed(uint64_t seed, const std::string& device) {
    v1::Command cmd;
    cmd.mutable_manual_seed()->set_seed(seed);
    if (!device.empty()) cmd.mutable_manual_seed()->set_device(device);
    tensord::client::ScopedCallSite site(UserSite());
    nb::gil_scoped_release release;
    SessionAccess::Enqueue(client_, std::move(cmd), "manual_seed");
  }

  void Sync() {
    std::string site = UserSite();
    WaitVoid(client_, site, [&] { client_.Synchronize(); });
  }

  void Flush() {
    nb::gil_scoped_release release;
    client_.Flush();
  }

  // Unary RPCs of the session.
  template <typename Req, typename Resp, typename Call>
  nb::object Unary(const std::string& what, const Req& req, Call call, double timeout) {
    Resp resp;
    grpc::Status status = Wait<grpc::Status>(client_, UserSite(), [&] {
      grpc::ClientContext ctx;
      SessionAccess::PrepareCall(client_, &ctx, timeout);
      return call(SessionAccess::Stub(client_), &ctx, req, &resp);
    });
    if (!status.ok()) {
      throw tensord::Error(static_cast<int>(status.error_code()), status.error_message(), what);
    }
    return ToPython(resp);
  }

  nb::object KeepAlive(double timeout) {
    v1::SessionRequest req;
    req.set_session_id(client_.session_id());
    return Unary<v1::SessionRequest, v1::SessionInfo>(
        "keep_alive", req,
        [](v1::Tensord::Stub& s, grpc::ClientContext* c, const v1::SessionRequest& r,
           v1::SessionInfo* out) { return s.KeepAlive(c, r, out); },
        timeout);
  }

  nb::object ServerInfo(double timeout) {
    return Unary<v1::Empty, v1::ServerInfoResponse>(
        "server_info", v1::Empty(),
        [](v1::Tensord::Stub& s, grpc::ClientContext* c, const v1::Empty& r,
           v1::ServerInfoResponse* out) { return s.ServerInfo(c, r, out); },
        timeout);
  }

  nb::object ListOps(double timeout) {
    return Unary<v1::Empty, v1::ListOpsResponse>(
        "list_ops", v1::Empty(),
        [](v1::Tensord::Stub& s, grpc::ClientContext* c, const v1::Empty& r,
           v1::ListOpsResponse* out) { return s.ListOps(c, r, out); },
        timeout);
  }

  nb::object MemoryStats(const std::string& device, bool reset_peak, double timeout) {
    v1::MemoryStatsRequest req;
    req.set_session_id(client_.session_id());
    req.set_device(device);
    req.set_reset_peak(reset_peak);
    return Unary<v1::MemoryStatsRequest, v1::MemoryStatsResponse>(
        "memory_stats", req,
        [](v1::Tensord::Stub& s, grpc::ClientContext* c, const v1::MemoryStatsRequest& r,
           v1::MemoryStatsResponse* out) { return s.MemoryStats(c, r, out); },
        timeout);
  }

  void EmptyCache(double timeout) {
    v1::SessionRequest req;
    req.set_session_id(client_.session_id());
    Unary<v1::SessionRequest, v1::Empty>(
        "empty_cache", req,
        [](v1::Tensord::Stub& s, grpc::ClientContext* c, const v1::SessionRequest& r,
           v1::Empty* out) { return s.EmptyCache(c, r, out); },
        timeout);
  }

  void DeviceSynchronize(double timeout) {
    v1::SessionRequest req;
    req.set_session_id(client_.session_id());
    Unary<v1::SessionRequest, v1::Empty>(
        "synchronize", req,
        [](v1::Tensord::Stub& s, grpc::ClientContext* c, const v1::SessionRequest& r,
           v1::Empty* out) { return s.Synchronize(c, r, out); },
        timeout);
  }

  nb::dict Stats() {
    tensord::Client::Stats s = client_.GetStats();
    nb::dict d;
    d["batches"] = s.batches;
    d["commands"] = s.commands;
    d["round_trips"] = s.round_trips;
    d["uploads"] = s.uploads;
    d["streamed_fetches"] = s.streamed_fetches;
    return d;
  }

  void Close() {
    nb::gil_scoped_release release;
    client_.Close();
  }

 private:
  tensord::Client client_;
};

std::unique_ptr<Session> OpenSession(const std::string& address, const std::string& token,
                                     bool tls, const std::string& tls_ca_file,
                                     const std::string& tls_cert_file,
                                     const std::string& tls_key_file,
                                     const std::string& tls_server_name,
                                     const std::string& session_id, uint32_t idle_ttl_seconds,
                                     double connect_timeout, double keepalive_seconds,
                                     double keepalive_timeout, size_t max_batch_commands,
                                     size_t max_batch_bytes) {
  tensord::Client::Options o;
  o.address = address;
  o.token = token;
  o.tls = tls;
  o.tls_ca_file = tls_ca_file;
  o.tls_cert_file = tls_cert_file;
  o.tls_key_file = tls_key_file;
  o.tls_server_name = tls_server_name;
  o.session_id = session_id;
  o.idle_ttl_seconds = idle_ttl_seconds;
  o.connect_timeout_seconds = connect_timeout;
  o.keepalive_seconds = keepalive_seconds;
  o.keepalive_timeout_seconds = keepalive_timeout;
  o.max_batch_commands = max_batch_commands;
  o.max_batch_bytes = max_batch_bytes;
  // Errors of pipelined commands surface at the next sync point in Python
  // (README "Differences from PyTorch you can see"), those the client's op
  // contract could name at the call included.
  o.errors_at_call = false;
  nb::gil_scoped_release release;
  return std::make_unique<Session>(std::move(o));
}

}  // namespace

NB_MODULE(_core, m) {
  m.doc() = "The C++ client core of tensord (see client/python/src/core.cc).";
  // Sessions and handles referenced from module globals (the default
  // session) may outlive the module at interpreter exit: that is expected.
  nb::set_leak_warnings(false);

  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const tensord::Error& e) {
      const ModuleState& st = State();
      if (!st.error_factory.is_valid()) {
        PyErr_SetString(PyExc_RuntimeError, e.what());
        return;
      }
      nb::object exc = st.error_factory(e.code(), e.message(), e.op(), e.site(), e.poisoned());
      nb::list others;
      for (const tensord::Error& o : e.others()) {
        others.append(st.error_factory(o.code(), o.message(), o.op(), o.site(), o.poisoned()));
      }
      exc.attr("others") = others;
      PyErr_SetObject((PyObject*)Py_TYPE(exc.ptr()), exc.ptr());
    }
  });

  m.def("_configure",
        [](nb::object error_factory, nb::object namespace_type, nb::object dtype_type,
           const std::string& package_dir, unsigned long main_thread) {
          ModuleState& st = State();
          st.error_factory = std::move(error_factory);
          st.namespace_type = std::move(namespace_type);
          st.dtype_type = std::move(dtype_type);
          st.package_dir = package_dir;
          st.main_thread = main_thread;
        },
        "Sets the error factory, SimpleNamespace, the dtype class, the package "
        "directory (frames there are not call sites) and the main thread's id.");
  m.def("user_site", &UserSite, "'file.py:LINE' of the innermost frame outside tensord.");

  nb::class_<Handle>(m, "Handle", "A reference to one server tensor; released when the last "
                                  "reference dies.")
      .def_prop_ro("id", [](const Handle& h) { return h.tensor.handle(); },
                   "The 64-bit handle the server knows the tensor by.")
      .def("__repr__", [](const Handle& h) {
        return "<tensord._core.Handle " + std::to_string(h.tensor.handle()) + ">";
      });

  nb::class_<Session>(m, "Session", "One server session over one channel (tensord::Client).")
      .def_static("open", &OpenSession, nb::arg("address"), nb::arg("token"), nb::arg("tls"),
                  nb::arg("tls_ca_file"), nb::arg("tls_cert_file"), nb::arg("tls_key_file"),
                  nb::arg("tls_server_name"), nb::arg("session_id"),
                  nb::arg("idle_ttl_seconds"), nb::arg("connect_timeout"),
                  nb::arg("keepalive_seconds"), nb::arg("keepalive_timeout"),
                  nb::arg("max_batch_commands"), nb::arg("max_batch_bytes"),
                  "Connects and creates the session (raises TensordError if it cannot).")
      .def_prop_ro("id", [](Session& s) { return s.client().session_id(); })
      .def_prop_ro("address", [](Session& s) { return s.client().address(); })
      .def_prop_ro("closed", [](Session& s) { return s.client().closed(); })
      .def_prop_ro("gone", [](Session& s) { return SessionAccess::SessionGone(s.client()); },
                   "True once the server was found to have lost this session.")
      .def("op", &Session::Op, nb::arg("name"), nb::arg("inputs"), nb::arg("attrs").none(),
           nb::arg("grad_enabled"),
           "Queues op `name` (inputs: Handles, numbers, None); returns its output Handles.")
      .def("create", &Session::Create, nb::arg("data"), nb::arg("dtype"), nb::arg("shape"),
           nb::arg("requires_grad"), nb::arg("device"),
           "A tensor from a buffer of little-endian row-major bytes (dtype: wire number).")
      .def("fetch", &Session::Fetch, "(dtype, shape, uint8 array) of a tensor; a sync point.")
      .def("query", &Session::Query, nb::arg("kinds"), nb::arg("handles"), nb::arg("op") = "",
           "Describe/fetch commands in one round trip (a sync point).")
      .def("graph", &Session::Graph, "The AutogradGraph behind tensors (a sync point).")
      .def("backward", &Session::Backward, "Queues a backward pass from `roots`.")
      .def("grad", &Session::Grad, "torch.autograd.grad; None for unused inputs.")
      .def("manual_seed", &Session::ManualSeed, "Queues a reseed of a generator.")
      .def("sync", &Session::Sync, "Waits for everything sent; raises the first deferred error.")
      .def("flush", &Session::Flush, "Sends the queued commands without waiting.")
      .def("keep_alive", &Session::KeepAlive, "SessionInfo (refreshes the idle TTL).")
      .def("server_info", &Session::ServerInfo)
      .def("list_ops", &Session::ListOps)
      .def("memory_stats", &Session::MemoryStats)
      .def("empty_cache", &Session::EmptyCache)
      .def("device_synchronize", &Session::DeviceSynchronize)
      .def("cancel", [](Session& s) { s.client().Cancel(); },
           "Cancels what the session waits for (thread-safe).")
      .def_prop_ro("stats", &Session::Stats)
      .def("close", &Session::Close);
}
