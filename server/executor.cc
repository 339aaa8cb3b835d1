#include "server/executor.h"

#include <algorithm>
#include <exception>
#include <new>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "engine/autograd.h"
#include "engine/backend.h"
#include "engine/cuda/context.h"
#include "engine/cuda/runtime.h"
#include "engine/device.h"
#include "engine/functional.h"
#include "engine/graph.h"
#include "engine/op.h"
#include "engine/status.h"
#include "server/convert.h"
#include "server/log.h"

namespace tensord::server {
namespace {

// Marks a status as "failed because an input was poisoned".
constexpr absl::string_view kPoisonedPayload = "type.tensord.dev/tensord.v1.Poisoned";

constexpr int kMaxDims = 64;

// Nodes a GraphCommand may report (documented in tensord.proto).
constexpr int64_t kMaxGraphNodes = 1000000;

absl::Status WithSite(const absl::Status& status, absl::string_view site) {
  if (site.empty() || status.ok()) return status;
  return absl::Status(status.code(), absl::StrCat(status.message(), " (at ", site, ")"));
}

// An op name as a metrics label: names outside the registry (a client's
// typo, or worse) share one label, so clients cannot grow the label set.
absl::string_view OpLabel(absl::string_view op) {
  static const absl::flat_hash_set<std::string>* const known = [] {
    auto* names = new absl::flat_hash_set<std::string>();
    for (const engine::OpSchema& schema : engine::ListOps()) names->insert(std::string(schema.name));
    return names;
  }();
  return known->contains(op) ? op : "unknown_op";
}

// A command's name in metrics: its op, else its kind ("fetch", "release").
absl::string_view CommandName(const v1::Command& cmd) {
  if (cmd.kind_case() == v1::Command::kOp) return OpLabel(cmd.op().op());
  if (cmd.kind_case() == v1::Command::KIND_NOT_SET) return "unset";
  return v1::Command::GetDescriptor()->FindFieldByNumber(cmd.kind_case())->name();
}

absl::Status MarkPoisoned(absl::Status status) {
  status.SetPayload(kPoisonedPayload, absl::Cord("1"));
  return status;
}

// Runs an engine call, turning exceptions into statuses: nothing a client
// sends may take the daemon down. An EngineError escaping the engine's own
// boundary (a device allocation or copy outside CallOp, e.g. creating or
// fetching a cuda tensor) carries its status: an exhausted device is
// RESOURCE_EXHAUSTED for this command, not an internal error.
template <typename Fn>
auto Guarded(absl::string_view op, Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const engine::EngineError& e) {
    return e.status();
  } catch (const std::bad_alloc&) {
    return absl::ResourceExhaustedError(absl::StrCat("[", op, "] out of memory"));
  } catch (const std::exception& e) {
    return absl::InternalError(absl::StrCat("[", op, "] internal error: ", e.what()));
  }
}

// The generator an op draws from: the session's cuda generator when the op
// runs on a cuda device (ManualSeedCommand in tensord.proto), i.e. when its
// `device` attribute names one (factories) or, without that attribute, its
// first tensor input lives on one.
engine::Generator& GeneratorFor(Session& s, absl::Span<const engine::Tensor> inputs,
                                const engine::AttrMap& attrs) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s.mu()) {
  for (const auto& [name, value] : attrs) {
    if (name != "device") continue;
    const std::string* text = std::get_if<std::string>(&value);
    if (text == nullptr) break;
    absl::StatusOr<engine::Device> d = engine::Device::Parse(*text);
    return d.ok() && d->type == engine::DeviceType::kCUDA ? s.cuda_generator() : s.generator();
  }
  for (const engine::Tensor& t : inputs) {
    if (!t.defined() || t.is_wrapped_number()) continue;
    return t.device().type == engine::DeviceType::kCUDA ? s.cuda_generator() : s.generator();
  }
  return s.generator();
}

}  // namespace

bool IsPoisoned(const absl::Status& status) {
  return status.GetPayload(kPoisonedPayload).has_value();
}

Executor::Executor(ExecutorLimits limits) : limits_(limits) {
  engine::RegisterBackends();  // Note [Backend registration]
  // The engine refuses larger op outputs before allocating (op.h).
  engine::SetMaxTensorElements(limits_.max_tensor_elements);
  for (const engine::OpSchema& schema : engine::ListOps()) {
    ops_.emplace(std::string(schema.name), &schema);
  }
  free_slots_ = limits_.compute_slots > 0
                    ? limits_.compute_slots
                    : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
}

Executor::ComputeSlot::ComputeSlot(Executor& e) : e_(e) {
  absl::MutexLock lock(&e_.slots_mu_);
  e_.slots_mu_.Await(absl::Condition(
      +[](int* free) { return *free > 0; }, &e_.free_slots_));
  --e_.free_slots_;
}

Executor::ComputeSlot::~ComputeSlot() {
  absl::MutexLock lock(&e_.slots_mu_);
  ++e_.free_slots_;
}

// ---------------------------------------------------------------- lookups

absl::StatusOr<engine::Tensor> Executor::Resolve(const Session& s, absl::string_view op,
                                                 uint64_t handle) const {
  const Session::Entry* entry = s.Find(handle);
  if (entry == nullptr) {
    return absl::NotFoundError(absl::StrCat("[", op, "] handle ", handle,
                                            " not found in session (released, or never bound?)"));
  }
  if (const auto* poison = std::get_if<Poison>(entry)) return MarkPoisoned(poison->status);
  return std::get<engine::Tensor>(*entry);
}

absl::StatusOr<engine::Tensor> Executor::ResolveOperand(const Session& s, absl::string_view op,
                                                        const v1::Operand& operand) const {
  switch (operand.kind_case()) {
    case v1::Operand::kHandle: return Resolve(s, op, operand.handle());
    case v1::Operand::kScalar: {
      TENSORD_ASSIGN_OR_RETURN(engine::Scalar v, ToEngineScalar(op, operand.scalar()));
      return engine::Tensor::WrappedScalar(v);
    }
    case v1::Operand::kNone: return engine::Tensor();
    case v1::Operand::KIND_NOT_SET: break;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("[", op, "] operand has no handle, scalar or none"));
}

absl::Status Executor::CheckFreshOutputs(const Session& s, absl::string_view op,
                                         absl::Span<const uint64_t> handles) const {
  absl::flat_hash_set<uint64_t> seen;
  for (uint64_t h : handles) {
    if (h == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("[", op, "] output handle 0 is reserved and never valid"));
    }
    if (s.Contains(h)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "[", op, "] output handle ", h, " is already bound; release it or use a fresh handle"));
    }
    if (!seen.insert(h).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("[", op, "] output handle ", h, " is named twice"));
    }
  }
  return absl::OkStatus();
}

absl::Status Executor::CheckOutputLimits(const Session& s, absl::string_view op,
                                         absl::Span<const engine::Tensor> tensors) const {
  for (const engine::Tensor& t : tensors) {
    if (t.defined() && t.numel() > limits_.max_tensor_elements) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "[", op, "] result ", engine::ShapeToString(t.sizes()), " has ", t.numel(),
          " elements, above the limit of ", limits_.max_tensor_elements,
          " (--max-tensor-elements)"));
    }
  }
  if (limits_.max_session_bytes > 0) {
    const int64_t added = s.AddedBytes(tensors);
    if (added > 0 && s.bytes() + added > limits_.max_session_bytes) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "[", op, "] session memory limit exceeded: ", s.bytes(), " bytes bound + ", added,
          " new > ", limits_.max_session_bytes,
          " (--max-session-bytes); release tensors you no longer need"));
    }
  }
  return absl::OkStatus();
}

absl::Status Executor::Fail(Session& s, absl::Span<const uint64_t> outputs, absl::Status status,
                            absl::string_view op, absl::string_view site) {
  const bool poisoned = IsPoisoned(status);
  if (!poisoned) status = WithSite(status, site);
  if (!poisoned && status.code() == absl::StatusCode::kInternal) {
    // A server or engine bug, not a client mistake.
    LogError("internal_error", {{"session", ShortId(s.id())},
                                {"op", std::string(op)},
                                {"message", std::string(status.message())}});
  }
  absl::Status original = status;
  original.ErasePayload(kPoisonedPayload);
  // Only fresh handles are poisoned: a failed command must not rebind a
  // handle that is already in use (Note [Ordering and poisoning]).
  absl::flat_hash_set<uint64_t> seen;
  for (uint64_t h : outputs) {
    if (h == 0 || s.Contains(h) || !seen.insert(h).second) continue;
    s.BindPoison(h, Poison{original, std::string(op), std::string(site)});
  }
  return status;
}

// ---------------------------------------------------------------- create

absl::StatusOr<int64_t> Executor::PayloadBytes(absl::string_view op, v1::DType dtype,
                                               absl::Span<const int64_t> shape) const {
  TENSORD_ASSIGN_OR_RETURN(engine::DType dt, ToEngineDType(op, dtype));
  if (shape.size() > kMaxDims) {
    return absl::InvalidArgumentError(absl::StrCat(
        "[", op, "] ", shape.size(), " dimensions; at most ", kMaxDims, " are supported"));
  }
  TENSORD_ASSIGN_OR_RETURN(int64_t numel, engine::CheckedNumel(std::string(op), shape));
  if (numel > limits_.max_tensor_elements) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "[", op, "] shape ", engine::ShapeToString(shape), " has ", numel,
        " elements, above the limit of ", limits_.max_tensor_elements,
        " (--max-tensor-elements)"));
  }
  int64_t nbytes = 0;
  if (__builtin_mul_overflow(numel, int64_t{engine::ItemSize(dt)}, &nbytes)) {
    return absl::InvalidArgumentError(
        absl::StrCat("[", op, "] shape ", engine::ShapeToString(shape), " is too large"));
  }
  return nbytes;
}

absl::Status Executor::BindPayloadLocked(Session& s, const TensorSpec& spec,
                                         absl::string_view data, absl::string_view op,
                                         absl::string_view site) {
  const uint64_t handle[] = {spec.handle};
  absl::Status st = [&]() -> absl::Status {
    TENSORD_RETURN_IF_ERROR(CheckFreshOutputs(s, op, handle));
    TENSORD_ASSIGN_OR_RETURN(int64_t nbytes, PayloadBytes(op, spec.dtype, spec.shape));
    if (static_cast<int64_t>(data.size()) != nbytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          "[", op, "] data has ", data.size(), " bytes; ", engine::ShapeToString(spec.shape),
          " ", v1::DType_Name(spec.dtype), " needs exactly ", nbytes));
    }
    const engine::DType dtype = static_cast<engine::DType>(spec.dtype - 1);
    if (spec.requires_grad && !engine::IsFloating(dtype)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "[", op, "] only floating point tensors can require gradients (got ",
          std::string(engine::DTypeName(dtype)), ")"));
    }
    absl::StatusOr<engine::Device> device = engine::Device::Parse(spec.device);
    if (!device.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("[", op, "] ", device.status().message()));
    }
    return Guarded(op, [&]() -> absl::Status {
      TENSORD_ASSIGN_OR_RETURN(
          engine::Tensor t,
          engine::Tensor::FromBytes(dtype, spec.shape, data.data(), data.size(), *device));
      if (spec.requires_grad) TENSORD_RETURN_IF_ERROR(engine::SetRequiresGrad(t, true));
      const engine::Tensor out[] = {t};
      TENSORD_RETURN_IF_ERROR(CheckOutputLimits(s, op, out));
      s.Bind(spec.handle, std::move(t));
      return absl::OkStatus();
    });
  }();
  if (!st.ok()) return Fail(s, handle, std::move(st), op, site);
  return absl::OkStatus();
}

absl::Status Executor::CreateLocked(Session& s, const v1::CreateCommand& cmd,
                                    absl::string_view site) {
  TensorSpec spec;
  spec.handle = cmd.handle();
  spec.dtype = cmd.data().dtype();
  spec.shape.assign(cmd.data().shape().begin(), cmd.data().shape().end());
  spec.requires_grad = cmd.requires_grad();
  spec.device = cmd.device();
  return BindPayloadLocked(s, spec, cmd.data().data(), "create", site);
}

// ---------------------------------------------------------------- op

absl::StatusOr<std::vector<engine::Tensor>> Executor::RunOp(Session& s,
                                                            const v1::OpCommand& cmd) {
  const std::string& op = cmd.op();
  if (op.empty()) return absl::InvalidArgumentError("op name is empty");
  auto it = ops_.find(op);
  if (it == ops_.end()) {
    return absl::NotFoundError(absl::StrCat("[", op, "] unknown op (ListOps lists the ops)"));
  }
  const engine::OpSchema& schema = *it->second;

  std::vector<engine::Tensor> inputs;
  inputs.reserve(cmd.inputs_size());
  for (const v1::Operand& operand : cmd.inputs()) {
    TENSORD_ASSIGN_OR_RETURN(engine::Tensor t, ResolveOperand(s, op, operand));
    inputs.push_back(std::move(t));
  }
  if (cmd.outputs_size() != schema.num_outputs) {
    return absl::InvalidArgumentError(absl::StrCat("[", op, "] returns ", schema.num_outputs,
                                                   " output(s) but ", cmd.outputs_size(),
                                                   " output handle(s) were given"));
  }
  TENSORD_RETURN_IF_ERROR(CheckFreshOutputs(s, op, cmd.outputs()));
  TENSORD_ASSIGN_OR_RETURN(engine::AttrMap attrs, ToEngineAttrs(op, cmd.attrs()));

  const engine::CallOptions options{&GeneratorFor(s, inputs, attrs), !cmd.no_grad()};
  TENSORD_ASSIGN_OR_RETURN(
      std::vector<engine::Tensor> outputs,
      Guarded(op, [&]() -> absl::StatusOr<std::vector<engine::Tensor>> {
        engine::GradModeGuard grad_mode(options.grad_enabled);
        return engine::CallOp(op, std::move(inputs), attrs, options);
      }));
  if (static_cast<int>(outputs.size()) != cmd.outputs_size()) {
    return absl::InternalError(absl::StrCat("[", op, "] returned ", outputs.size(),
                                            " outputs; its schema declares ",
                                            schema.num_outputs));
  }
  TENSORD_RETURN_IF_ERROR(CheckOutputLimits(s, op, outputs));
  return outputs;
}

absl::Status Executor::OpLocked(Session& s, const v1::OpCommand& cmd, absl::string_view site) {
  absl::StatusOr<std::vector<engine::Tensor>> outputs = RunOp(s, cmd);
  const absl::string_view op = cmd.op().empty() ? absl::string_view("op") : cmd.op();
  if (!outputs.ok()) return Fail(s, cmd.outputs(), std::move(outputs).status(), op, site);
  for (int i = 0; i < cmd.outputs_size(); ++i) s.Bind(cmd.outputs(i), std::move((*outputs)[i]));
  return absl::OkStatus();
}

// ---------------------------------------------------------------- backward

absl::Status Executor::BackwardLocked(Session& s, const v1::BackwardCommand& cmd,
                                      absl::string_view site) {
  constexpr absl::string_view kOp = "backward";
  absl::Status st = [&]() -> absl::Status {
    if (cmd.roots_size() == 0) return absl::InvalidArgumentError("[backward] no roots given");
    if (cmd.grads_size() != 0 && cmd.grads_size() != cmd.roots_size()) {
      return absl::InvalidArgumentError(absl::StrCat("[backward] got ", cmd.grads_size(),
                                                     " grads for ", cmd.roots_size(),
                                                     " roots"));
    }
    std::vector<engine::Tensor> roots, grads(cmd.roots_size());
    for (uint64_t h : cmd.roots()) {
      TENSORD_ASSIGN_OR_RETURN(engine::Tensor t, Resolve(s, kOp, h));
      roots.push_back(std::move(t));
    }
    for (int i = 0; i < cmd.grads_size(); ++i) {
      TENSORD_ASSIGN_OR_RETURN(grads[i], ResolveOperand(s, kOp, cmd.grads(i)));
    }
    if (cmd.inputs_size() == 0) {
      if (cmd.outputs_size() != 0) return absl::InvalidArgumentError("[backward] outputs given without inputs");
      return Guarded(kOp, [&] {
        engine::GradModeGuard grad_mode(true);
        return engine::Backward(roots, grads, cmd.retain_graph(), cmd.create_graph());
      });
    }
    // torch.autograd.grad: gradients bound to the output handles.
    if (cmd.outputs_size() != cmd.inputs_size()) {
      return absl::InvalidArgumentError(absl::StrCat("[grad] ", cmd.inputs_size(), " inputs but ",
                                                     cmd.outputs_size(), " output handles"));
    }
    TENSORD_RETURN_IF_ERROR(CheckFreshOutputs(s, "grad", cmd.outputs()));
    std::vector<engine::Tensor> inputs;
    for (uint64_t h : cmd.inputs()) {
      TENSORD_ASSIGN_OR_RETURN(engine::Tensor t, Resolve(s, "grad", h));
      inputs.push_back(std::move(t));
    }
    TENSORD_ASSIGN_OR_RETURN(
        std::vector<engine::Tensor> result,
        Guarded("grad", [&]() -> absl::StatusOr<std::vector<engine::Tensor>> {
          engine::GradModeGuard grad_mode(true);
          return engine::Grad(roots, grads, inputs, cmd.retain_graph(), cmd.create_graph(), cmd.allow_unused());
        }));
    for (int i = 0; i < cmd.outputs_size(); ++i) {
      if (result[i].defined()) {
        s.Bind(cmd.outputs(i), std::move(result[i]));
      } else {
        s.BindPoison(cmd.outputs(i),
                     Poison{absl::FailedPreconditionError(absl::StrCat(
                                "[grad] input ", i, " was not used in the graph: its gradient is None")),
                            "grad", std::string(site)});
      }
    }
    return absl::OkStatus();
  }();
  if (!st.ok()) return Fail(s, cmd.outputs(), std::move(st), kOp, site);
  return absl::OkStatus();
}

// ---------------------------------------------------------------- the rest

void Executor::ReleaseLocked(Session& s, absl::Span<const uint64_t> handles) {
  for (uint64_t h : handles) s.Unbind(h);
}

void Executor::Observe(absl::string_view op, const absl::Status& status,
                       absl::Time start) const {
  if (metrics_ != nullptr) metrics_->ObserveCommand(op, status.code(), absl::Now() - start);
}

absl::Status Executor::Create(Session& s, const v1::CreateCommand& cmd, absl::string_view site) {
  absl::MutexLock lock(&s.mu());
  engine::cuda::ContextScope device_work(&s.cuda_context());
  ComputeSlot slot(*this);
  const absl::Time start = absl::Now();
  absl::Status st = CreateLocked(s, cmd, site);
  Observe("create", st, start);
  return st;
}

absl::Status Executor::BindPayload(Session& s, const TensorSpec& spec, absl::string_view data,
                                   absl::string_view op, absl::string_view site) {
  absl::MutexLock lock(&s.mu());
  engine::cuda::ContextScope device_work(&s.cuda_context());
  ComputeSlot slot(*this);
  return BindPayloadLocked(s, spec, data, op, site);
}

absl::Status Executor::Op(Session& s, const v1::OpCommand& cmd, absl::string_view site) {
  absl::MutexLock lock(&s.mu());
  engine::cuda::ContextScope device_work(&s.cuda_context());
  ComputeSlot slot(*this);
  const absl::Time start = absl::Now();
  absl::Status st = OpLocked(s, cmd, site);
  Observe(OpLabel(cmd.op()), st, start);
  return st;
}

absl::Status Executor::Backward(Session& s, const v1::BackwardCommand& cmd,
                                absl::string_view site) {
  absl::MutexLock lock(&s.mu());
  engine::cuda::ContextScope device_work(&s.cuda_context());
  ComputeSlot slot(*this);
  const absl::Time start = absl::Now();
  absl::Status st = BackwardLocked(s, cmd, site);
  Observe("backward", st, start);
  return st;
}

absl::StatusOr<v1::TensorData> Executor::Fetch(Session& s, uint64_t handle) {
  absl::MutexLock lock(&s.mu());
  engine::cuda::ContextScope device_work(&s.cuda_context());
  TENSORD_ASSIGN_OR_RETURN(engine::Tensor t, Resolve(s, "fetch", handle));
  ComputeSlot slot(*this);
  return Guarded("fetch", [&]() -> absl::StatusOr<v1::TensorData> { return ToTensorData(t); });
}

absl::StatusOr<v1::TensorInfo> Executor::Describe(Session& s, uint64_t handle) {
  absl::MutexLock lock(&s.mu());
  engine::cuda::ContextScope device_work(&s.cuda_context());
  TENSORD_ASSIGN_OR_RETURN(engine::Tensor t, Resolve(s, "describe", handle));
  return ToTensorInfo(handle, t);
}

absl::StatusOr<v1::AutogradGraph> Executor::Graph(Session& s, const v1::GraphCommand& cmd) {
  absl::MutexLock lock(&s.mu());
  engine::cuda::ContextScope device_work(&s.cuda_context());
  return GraphLocked(s, cmd);
}

absl::StatusOr<v1::AutogradGraph> Executor::GraphLocked(const Session& s, const v1::GraphCommand& cmd) const {
  if (cmd.handles().empty()) return absl::InvalidArgumentError("[graph] no handles given");
  std::vector<engine::Tensor> roots;
  for (uint64_t h : cmd.handles()) {
    TENSORD_ASSIGN_OR_RETURN(roots.emplace_back(), Resolve(s, "graph", h));
  }
  absl::flat_hash_map<const engine::TensorImpl*, uint64_t> leaves;
  for (uint64_t h : cmd.leaves()) {
    TENSORD_ASSIGN_OR_RETURN(engine::Tensor leaf, Resolve(s, "graph", h));
    leaves.try_emplace(leaf.impl(), h);
  }
  return Guarded("graph", [&]() -> absl::StatusOr<v1::AutogradGraph> {
    engine::GraphOptions options;
    options.saved_tensors = cmd.saved_tensors();
    options.attributes = cmd.attributes();
    options.max_nodes = kMaxGraphNodes;
    TENSORD_ASSIGN_OR_RETURN(engine::GraphInfo graph, engine::AutogradGraphOf(roots, options));
    return ToProtoGraph(graph, cmd.handles(), roots, leaves);
  });
}

void Executor::Release(Session& s, absl::Span<const uint64_t> handles) {
  absl::MutexLock lock(&s.mu());
  engine::cuda::ContextScope device_work(&s.cuda_context());
  ReleaseLocked(s, handles);
}

absl::Status Executor::ManualSeedLocked(Session& s, uint64_t seed, absl::string_view device) {
  if (device.empty()) {
    s.generator().ManualSeed(seed);
    s.cuda_generator().ManualSeed(seed);
    return absl::OkStatus();
  }
  // Only the device's type matters (the cuda generator is shared by the
  // session's devices), but a named device must exist.
  absl::StatusOr<engine::Device> d = engine::Device::Parse(device);
  if (!d.ok()) return absl::InvalidArgumentError(absl::StrCat("[manual_seed] ", d.status().message()));
  if (d->type != engine::DeviceType::kCUDA) {
    return absl::InvalidArgumentError(absl::StrCat(
        "[manual_seed] device must be empty (every generator) or a cuda device, got '", device, "'"));
  }
  s.cuda_generator().ManualSeed(seed);
  return absl::OkStatus();
}

absl::Status Executor::ManualSeed(Session& s, uint64_t seed, absl::string_view device) {
  absl::MutexLock lock(&s.mu());
  return ManualSeedLocked(s, seed, device);
}

absl::StatusOr<v1::MemoryStatsResponse> Executor::MemoryStats(Session& s,
                                                               absl::string_view device,
                                                               bool reset_peak) {
  absl::StatusOr<engine::Device> d = engine::Device::Parse(device);
  if (!d.ok()) return absl::InvalidArgumentError(absl::StrCat("[memory_stats] ", d.status().message()));
  if (d->type != engine::DeviceType::kCUDA) {
    return absl::InvalidArgumentError(absl::StrCat(
        "[memory_stats] expected a cuda device, got '", device, "'"));
  }
  absl::MutexLock lock(&s.mu());
  engine::cuda::CachingAllocator& allocator = engine::cuda::Allocator(d->index);
  const engine::cuda::AccountId account = s.cuda_context().account();
  const engine::cuda::MemoryStats mine = allocator.AccountStats(account);
  const engine::cuda::MemoryStats all = allocator.Stats();
  v1::MemoryStatsResponse out;
  out.set_device(d->ToString());
  out.set_allocated_bytes(mine.allocated_bytes);
  out.set_peak_allocated_bytes(mine.peak_allocated_bytes);
  out.set_reserved_bytes(all.reserved_bytes);
  out.set_peak_reserved_bytes(all.peak_reserved_bytes);
  out.set_device_allocated_bytes(all.allocated_bytes);
  out.set_num_allocs(all.num_allocs);
  out.set_num_raw_allocs(all.num_raw_allocs);
  out.set_num_raw_frees(all.num_raw_frees);
  if (reset_peak) allocator.ResetPeak(account);
  return out;
}

void Executor::EmptyCache(Session& s) {
  absl::MutexLock lock(&s.mu());
  const int n = static_cast<int>(engine::cuda::Devices().size());
  for (int device = 0; device < n; ++device) engine::cuda::Allocator(device).EmptyCache();
}

absl::Status Executor::Synchronize(Session& s) {
  absl::MutexLock lock(&s.mu());
  absl::Status st = s.cuda_context().Synchronize();
  if (!st.ok()) return absl::Status(st.code(), absl::StrCat("[synchronize] ", st.message()));
  return absl::OkStatus();
}

void Executor::Execute(Session& s, const google::protobuf::RepeatedPtrField<v1::Command>& commands,
                       google::protobuf::RepeatedPtrField<v1::CommandResult>* results,
                       uint32_t prefetch_max_elements,
                       google::protobuf::RepeatedPtrField<v1::Prefetched>* prefetched,
                       const std::function<bool()>& cancelled) {
  absl::MutexLock lock(&s.mu());
  engine::cuda::ContextScope device_work(&s.cuda_context());
  ComputeSlot slot(*this);
  // Fetched payloads share one response message; keep it under the limit.
  int64_t inline_budget = limits_.max_inline_bytes;
  bool skipping = false;
  for (int i = 0; i < commands.size(); ++i) {
    const v1::Command& cmd = commands[i];
    // Polled every few commands: a long op is one command, short ones are cheap.
    if (!skipping && cancelled && i % 8 == 0) skipping = cancelled();
    if (skipping && cmd.kind_case() != v1::Command::kRelease) continue;
    absl::Status st;
    v1::CommandResult result;
    const absl::Time start = absl::Now();
    switch (cmd.kind_case()) {
      case v1::Command::kCreate: st = CreateLocked(s, cmd.create(), cmd.site()); break;
      case v1::Command::kOp: st = OpLocked(s, cmd.op(), cmd.site()); break;
      case v1::Command::kBackward: st = BackwardLocked(s, cmd.backward(), cmd.site()); break;
      case v1::Command::kFetch: {
        absl::StatusOr<engine::Tensor> t = Resolve(s, "fetch", cmd.fetch().handle());
        if (!t.ok()) {
          st = IsPoisoned(t.status()) ? t.status() : WithSite(t.status(), cmd.site());
        } else if (static_cast<int64_t>(t->nbytes()) > inline_budget) {
          st = WithSite(absl::ResourceExhaustedError(absl::StrCat(
                            "[fetch] tensor of ", t->nbytes(), " bytes does not fit in the ",
                            inline_budget, " bytes left for inline payloads in this "
                            "response; use the streamed Fetch RPC")),
                        cmd.site());
        } else {
          absl::StatusOr<v1::TensorData> data = Guarded(
              "fetch", [&]() -> absl::StatusOr<v1::TensorData> { return ToTensorData(*t); });
          if (data.ok()) {
            inline_budget -= static_cast<int64_t>(data->data().size());
            *result.mutable_tensor() = std::move(*data);
          }
          st = data.status();
        }
        break;
      }
      case v1::Command::kDescribe: {
        absl::StatusOr<engine::Tensor> t = Resolve(s, "describe", cmd.describe().handle());
        if (t.ok()) *result.mutable_info() = ToTensorInfo(cmd.describe().handle(), *t);
        st = t.ok() || IsPoisoned(t.status()) ? t.status() : WithSite(t.status(), cmd.site());
        break;
      }
      case v1::Command::kGraph: {
        absl::StatusOr<v1::AutogradGraph> graph = GraphLocked(s, cmd.graph());
        if (graph.ok() && static_cast<int64_t>(graph->ByteSizeLong()) > inline_budget) {
          graph = absl::ResourceExhaustedError(absl::StrCat(
              "[graph] the graph takes ", graph->ByteSizeLong(), " bytes; ", inline_budget,
              " bytes are left for inline payloads in this response; use the Graph RPC"));
        }
        if (graph.ok()) {
          inline_budget -= static_cast<int64_t>(graph->ByteSizeLong());
          *result.mutable_graph() = std::move(*graph);
        }
        st = graph.ok() || IsPoisoned(graph.status()) ? graph.status() : WithSite(graph.status(), cmd.site());
        break;
      }
      case v1::Command::kRelease:
        ReleaseLocked(s, cmd.release().handles());
        break;
      case v1::Command::kManualSeed:
        st = WithSite(ManualSeedLocked(s, cmd.manual_seed().seed(), cmd.manual_seed().device()),
                      cmd.site());
        break;
      case v1::Command::KIND_NOT_SET:
        st = WithSite(absl::InvalidArgumentError("command has no kind set"), cmd.site());
        break;
    }
    if (metrics_ != nullptr) Observe(CommandName(cmd), st, start);
    if (st.ok() && result.payload_case() == v1::CommandResult::PAYLOAD_NOT_SET) continue;
    result.set_index(static_cast<uint32_t>(i));
    if (!st.ok()) {
      result.clear_payload();
      result.set_code(st.raw_code());
      result.set_message(std::string(st.message()));
      result.set_poisoned(IsPoisoned(st));
    }
    *results->Add() = std::move(result);
  }
  if (prefetch_max_elements > 0 && prefetched != nullptr) {
    PrefetchLocked(s, commands, prefetch_max_elements, prefetched);
  }
}

// Note [Prefetched values] (tensord.proto): the handles a batch named, in
// command order, each once; unbound or poisoned ones are skipped.
void Executor::PrefetchLocked(const Session& s,
                              const google::protobuf::RepeatedPtrField<v1::Command>& commands,
                              uint32_t max_elements,
                              google::protobuf::RepeatedPtrField<v1::Prefetched>* out) const {
  constexpr int kMaxPrefetched = 64;
  absl::flat_hash_set<uint64_t> seen;
  auto small = [&](const engine::Tensor& t) {
    return t.defined() && t.numel() <= static_cast<int64_t>(max_elements);
  };
  auto add = [&](uint64_t handle) {
    if (handle == 0 || out->size() >= kMaxPrefetched || !seen.insert(handle).second) return;
    absl::StatusOr<engine::Tensor> t = Resolve(s, "prefetch", handle);
    if (!t.ok() || !small(*t)) return;
    v1::Prefetched p;
    p.set_handle(handle);
    absl::StatusOr<v1::TensorData> value =
        Guarded("prefetch", [&]() -> absl::StatusOr<v1::TensorData> { return ToTensorData(*t); });
    if (!value.ok()) return;
    *p.mutable_info() = ToTensorInfo(handle, *t);
    *p.mutable_value() = std::move(*value);
    if (engine::Tensor g = t->grad(); small(g)) {
      absl::StatusOr<v1::TensorData> grad_value =
          Guarded("prefetch", [&]() -> absl::StatusOr<v1::TensorData> { return ToTensorData(g); });
      if (grad_value.ok()) {
        *p.mutable_grad_info() = ToTensorInfo(0, g);
        *p.mutable_grad_value() = std::move(*grad_value);
      }
    }
    *out->Add() = std::move(p);
  };
  auto add_operands = [&](const auto& operands) {
    for (const v1::Operand& o : operands) {
      if (o.kind_case() == v1::Operand::kHandle) add(o.handle());
    }
  };
  for (const v1::Command& cmd : commands) {
    switch (cmd.kind_case()) {
      case v1::Command::kCreate: add(cmd.create().handle()); break;
      case v1::Command::kOp:
        add_operands(cmd.op().inputs());
        for (uint64_t h : cmd.op().outputs()) add(h);
        break;
      case v1::Command::kBackward:
        for (uint64_t h : cmd.backward().roots()) add(h);
        for (uint64_t h : cmd.backward().inputs()) add(h);
        for (uint64_t h : cmd.backward().outputs()) add(h);
        break;
      default: break;
    }
  }
}

// ---------------------------------------------------------------- upload

absl::Status UploadAssembler::Start(const v1::UploadChunk& first) {
  spec_.handle = first.handle();
  spec_.dtype = first.dtype();
  spec_.shape.assign(first.shape().begin(), first.shape().end());
  spec_.requires_grad = first.requires_grad();
  spec_.device = first.device();
  TENSORD_ASSIGN_OR_RETURN(expected_bytes_,
                           executor_.PayloadBytes("upload", spec_.dtype, spec_.shape));
  data_.reserve(static_cast<size_t>(expected_bytes_));
  return Append(first.data());
}

absl::Status UploadAssembler::Append(absl::string_view data) {
  if (static_cast<int64_t>(data_.size() + data.size()) > expected_bytes_) {
    return absl::InvalidArgumentError(absl::StrCat(
        "[upload] received ", data_.size() + data.size(), " bytes; ",
        engine::ShapeToString(spec_.shape), " ", v1::DType_Name(spec_.dtype), " needs exactly ",
        expected_bytes_));
  }
  data_.append(data.data(), data.size());
  return absl::OkStatus();
}

absl::Status UploadAssembler::Finish(Session& s) {
  return executor_.BindPayload(s, spec_, data_, "upload");
}

}  // namespace tensord::server
