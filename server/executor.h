// The server core: runs tensord.v1 commands against a Session. No gRPC here;
// the service (service.h) only unpacks requests and converts statuses.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "engine/op.h"
#include "absl/time/time.h"
#include "server/metrics.h"
#include "server/session.h"
#include "tensord/v1/tensord.pb.h"

namespace tensord::server {

struct ExecutorLimits {
  // Applied process-wide (engine::SetMaxTensorElements) by the Executor.
  int64_t max_tensor_elements = int64_t{1} << 31;
  int64_t max_session_bytes = 0;                // 0 = unlimited
  int64_t max_inline_bytes = int64_t{60} << 20;  // fetched payload per batch response
  // Commands (or batches) computing at once across all sessions; 0 = one per
  // core. Bounds CPU oversubscription however many sessions are busy.
  int compute_slots = 0;
};

// True if `status` is the error of a poisoned input rather than of the command
// that returned it (CommandResult.poisoned).
bool IsPoisoned(const absl::Status& status);

// Header of a tensor payload (CreateCommand, UploadChunk).
struct TensorSpec {
  uint64_t handle = 0;
  v1::DType dtype = v1::DTYPE_UNSPECIFIED;
  std::vector<int64_t> shape;
  bool requires_grad = false;
  std::string device;
};

class Executor {
 public:
  explicit Executor(ExecutorLimits limits);

  // Each call holds the session's lock while it runs, so the commands of one
  // session run one at a time (Note [Ordering and poisoning]), and runs
  // under the session's CUDA context: its device memory is charged to the
  // session and its device work is queued on the session's streams. A failing
  // command poisons its output handles; `site` is appended to its error.
  absl::Status Create(Session& s, const v1::CreateCommand& cmd, absl::string_view site = "");
  absl::Status Op(Session& s, const v1::OpCommand& cmd, absl::string_view site = "");
  absl::Status Backward(Session& s, const v1::BackwardCommand& cmd, absl::string_view site = "");
  // A copy of the payload taken in command order (no inline size limit).
  absl::StatusOr<v1::TensorData> Fetch(Session& s, uint64_t handle);
  absl::StatusOr<v1::TensorInfo> Describe(Session& s, uint64_t handle);
  // The autograd graph behind a handle (GraphCommand); read-only.
  absl::StatusOr<v1::AutogradGraph> Graph(Session& s, const v1::GraphCommand& cmd);
  // Unknown handles are ignored (idempotent).
  void Release(Session& s, absl::Span<const uint64_t> handles);
  // ManualSeedCommand: `device` "" seeds both generators, "cuda[:N]" the
  // cuda one; INVALID_ARGUMENT for anything else.
  absl::Status ManualSeed(Session& s, uint64_t seed, absl::string_view device = "");
  // Binds spec.handle to `data` (Create and Upload).
  absl::Status BindPayload(Session& s, const TensorSpec& spec, absl::string_view data,
                           absl::string_view op, absl::string_view site = "");

  // Device memory of the session's account on `device` ("cuda:N"), read
  // after the session's earlier commands (Note [Device memory per session]
  // in tensord.proto); with reset_peak, the peaks restart afterwards.
  absl::StatusOr<v1::MemoryStatsResponse> MemoryStats(Session& s, absl::string_view device,
                                                       bool reset_peak);
  // Returns every device's cached blocks to the driver (all sessions').
  void EmptyCache(Session& s);
  // Waits for the work queued on the session's device streams.
  absl::Status Synchronize(Session& s);

  // Runs a batch in order under one hold of the lock. Every command runs even
  // after a failure; results are reported for failures and for commands that
  // return data (fetch, describe), in batch order.
  // With prefetch_max_elements > 0, then adds to `prefetched` the small
  // tensors the batch named, read after it ran (Note [Prefetched values] in
  // tensord.proto). Once `cancelled` (polled between commands) says the
  // caller gave up (a client's Ctrl-C), the rest of the batch is skipped but
  // for its releases: skipped commands bind nothing.
  void Execute(Session& s, const google::protobuf::RepeatedPtrField<v1::Command>& commands,
               google::protobuf::RepeatedPtrField<v1::CommandResult>* results,
               uint32_t prefetch_max_elements = 0,
               google::protobuf::RepeatedPtrField<v1::Prefetched>* prefetched = nullptr,
               const std::function<bool()>& cancelled = nullptr);

  // Validates dtype and shape against the limits; returns numel * itemsize.
  absl::StatusOr<int64_t> PayloadBytes(absl::string_view op, v1::DType dtype,
                                       absl::Span<const int64_t> shape) const;

  const ExecutorLimits& limits() const { return limits_; }
  // Where each command's op, status code and latency are counted; null = nowhere.
  void set_metrics(Metrics* metrics) { metrics_ = metrics; }

 private:
  void PrefetchLocked(const Session& s,
                      const google::protobuf::RepeatedPtrField<v1::Command>& commands,
                      uint32_t max_elements,
                      google::protobuf::RepeatedPtrField<v1::Prefetched>* out) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(s.mu());
  absl::Status CreateLocked(Session& s, const v1::CreateCommand& cmd, absl::string_view site)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(s.mu());
  absl::Status BindPayloadLocked(Session& s, const TensorSpec& spec, absl::string_view data,
                                 absl::string_view op, absl::string_view site)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(s.mu());
  absl::Status OpLocked(Session& s, const v1::OpCommand& cmd, absl::string_view site)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(s.mu());
  absl::StatusOr<std::vector<engine::Tensor>> RunOp(Session& s, const v1::OpCommand& cmd)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(s.mu());
  absl::Status BackwardLocked(Session& s, const v1::BackwardCommand& cmd, absl::string_view site)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(s.mu());
  void ReleaseLocked(Session& s, absl::Span<const uint64_t> handles)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(s.mu());
  absl::Status ManualSeedLocked(Session& s, uint64_t seed, absl::string_view device)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(s.mu());
  absl::StatusOr<v1::AutogradGraph> GraphLocked(const Session& s, const v1::GraphCommand& cmd) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(s.mu());

  // The tensor bound to `handle`; NOT_FOUND if unbound, the original error
  // (marked poisoned) if poisoned. `op` tags the NOT_FOUND message.
  absl::StatusOr<engine::Tensor> Resolve(const Session& s, absl::string_view op, uint64_t handle)
      const ABSL_EXCLUSIVE_LOCKS_REQUIRED(s.mu());
  absl::StatusOr<engine::Tensor> ResolveOperand(const Session& s, absl::string_view op,
                                                const v1::Operand& operand) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(s.mu());
  // INVALID_ARGUMENT unless `handles` are nonzero, distinct and unbound.
  absl::Status CheckFreshOutputs(const Session& s, absl::string_view op,
                                 absl::Span<const uint64_t> handles) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(s.mu());
  // RESOURCE_EXHAUSTED if binding `tensors` would exceed a limit.
  absl::Status CheckOutputLimits(const Session& s, absl::string_view op,
                                 absl::Span<const engine::Tensor> tensors) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(s.mu());
  // Finishes a failed command: appends the site (unless poisoned: the original
  // error travels unchanged) and poisons those `outputs` that are fresh.
  absl::Status Fail(Session& s, absl::Span<const uint64_t> outputs, absl::Status status,
                    absl::string_view op, absl::string_view site)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(s.mu());

  // Holds one compute slot for its lifetime. Always taken after the session
  // lock (never before), so the two cannot deadlock.
  class ComputeSlot {
   public:
    explicit ComputeSlot(Executor& e);
    ~ComputeSlot();
    ComputeSlot(const ComputeSlot&) = delete;
    ComputeSlot& operator=(const ComputeSlot&) = delete;

   private:
    Executor& e_;
  };

  // Counts one command in metrics_ (when set): its op name or kind.
  void Observe(absl::string_view op, const absl::Status& status, absl::Time start) const;

  const ExecutorLimits limits_;
  Metrics* metrics_ = nullptr;
  absl::flat_hash_map<std::string, const engine::OpSchema*> ops_;
  absl::Mutex slots_mu_;
  int free_slots_ ABSL_GUARDED_BY(slots_mu_);
};

// Assembles a client-streamed Upload: the first chunk carries the header,
// every chunk may carry data (UploadChunk in tensord.proto).
class UploadAssembler {
 public:
  explicit UploadAssembler(Executor& executor) : executor_(executor) {}

  // Validates the header and reserves the payload.
  absl::Status Start(const v1::UploadChunk& first);
  // INVALID_ARGUMENT as soon as the data grows past numel * itemsize.
  absl::Status Append(absl::string_view data);
  // Checks the size and binds the handle.
  absl::Status Finish(Session& s);

  const TensorSpec& spec() const { return spec_; }

 private:
  Executor& executor_;
  TensorSpec spec_;
  int64_t expected_bytes_ = 0;
  std::string data_;
};

}  // namespace tensord::server
