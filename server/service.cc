#include "server/service.h"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "engine/cuda/runtime.h"
#include "engine/device.h"
#include "engine/op.h"
#include "engine/status.h"
#include "server/convert.h"
#include "server/log.h"
#include "server/status_util.h"

#ifndef TENSORD_VERSION
#define TENSORD_VERSION "0.0.0"
#endif

namespace tensord::server {
namespace {

v1::ListOpsResponse MakeListOps() {
  v1::ListOpsResponse resp;
  for (const engine::OpSchema& schema : engine::ListOps()) *resp.add_ops() = ToProtoSchema(schema);
  return resp;
}

v1::DeviceInfo CpuDeviceInfo() {
  v1::DeviceInfo cpu;
  cpu.set_name("cpu");
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    absl::string_view rest = line;
    if (absl::ConsumePrefix(&rest, "model name")) {
      rest = rest.substr(std::min(rest.find(':') + 1, rest.size()));
      cpu.set_description(std::string(absl::StripLeadingAsciiWhitespace(rest)));
      break;
    }
  }
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGESIZE);
  if (pages > 0 && page_size > 0) cpu.set_total_memory(int64_t{pages} * page_size);
  return cpu;
}

// The process's CUDA devices (the emulator's say so in their names).
std::vector<v1::DeviceInfo> CudaDeviceInfos() {
  std::vector<v1::DeviceInfo> out;
  for (const engine::cuda::DeviceProperties& p : engine::cuda::Devices()) {
    v1::DeviceInfo& d = out.emplace_back();
    d.set_name(absl::StrCat("cuda:", p.index));
    d.set_description(p.name);
    d.set_total_memory(p.total_memory);
    d.set_compute_capability(absl::StrCat(p.major, ".", p.minor));
  }
  return out;
}

absl::string_view MetadataValue(const grpc::ServerContext* ctx, absl::string_view key) {
  const auto& md = ctx->client_metadata();
  auto it = md.find(grpc::string_ref(key.data(), key.size()));
  if (it == md.end()) return {};
  return absl::string_view(it->second.data(), it->second.size());
}

// Splits a payload into TensorChunk messages; the first carries dtype and shape.
bool WriteChunks(const v1::TensorData& data, size_t chunk_bytes,
                 grpc::ServerWriter<v1::TensorChunk>* writer) {
  const std::string& bytes = data.data();
  size_t offset = 0;
  do {
    v1::TensorChunk chunk;
    if (offset == 0) {
      chunk.set_dtype(data.dtype());
      *chunk.mutable_shape() = data.shape();
    }
    const size_t n = std::min(chunk_bytes, bytes.size() - offset);
    chunk.set_data(bytes.substr(offset, n));
    offset += n;
    if (!writer->Write(chunk)) return false;
  } while (offset < bytes.size());
  return true;
}

}  // namespace

absl::StatusOr<std::string> ChooseSessionId(absl::string_view body_id,
                                            absl::string_view metadata_id, bool required) {
  if (!body_id.empty() && !metadata_id.empty() && body_id != metadata_id) {
    return absl::InvalidArgumentError(absl::StrCat(
        "session_id in the request body does not match the ", kSessionIdMetadataKey,
        " metadata"));
  }
  if (required && body_id.empty() && metadata_id.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "no session named: set session_id or the ", kSessionIdMetadataKey, " metadata"));
  }
  return std::string(body_id.empty() ? metadata_id : body_id);
}

namespace {

// "NAME/" and 64 random bits in hex: tells two runs of one name apart.
std::string NewInstanceId(absl::string_view instance) {
  absl::BitGen gen;
  return absl::StrCat(instance, "/", absl::Hex(absl::Uniform<uint64_t>(gen), absl::kZeroPad16));
}

}  // namespace

TensordService::TensordService(SessionManager& sessions, Executor& executor,
                               ServiceOptions options)
    : sessions_(sessions), executor_(executor), options_(options), started_(absl::Now()),
      instance_id_(NewInstanceId(options_.instance)), ops_(MakeListOps()) {}

absl::StatusOr<std::string> TensordService::Caller(const grpc::ServerContext* ctx) const {
  if (options_.tokens != nullptr) {
    return options_.tokens->Authenticate(MetadataValue(ctx, "authorization"));
  }
  const std::shared_ptr<const grpc::AuthContext> auth = ctx->auth_context();
  if (auth != nullptr && auth->IsPeerAuthenticated()) {
    std::vector<grpc::string_ref> ids = auth->GetPeerIdentity();
    if (!ids.empty()) return std::string(ids.front().data(), ids.front().size());
  }
  return std::string("anonymous");
}

absl::StatusOr<std::shared_ptr<Session>> TensordService::SessionFor(
    const grpc::ServerContext* ctx, absl::string_view body_id) {
  TENSORD_ASSIGN_OR_RETURN(std::string caller, Caller(ctx));
  TENSORD_ASSIGN_OR_RETURN(
      std::string id,
      ChooseSessionId(body_id, MetadataValue(ctx, kSessionIdMetadataKey), /*required=*/true));
  absl::StatusOr<std::shared_ptr<Session>> s = sessions_.Find(id, caller);
  if (!s.ok()) return ExplainMissingSession(ctx, id, s.status());
  return s;
}

// Note [Session home]
// Sessions live in one daemon's memory; behind a proxy that hashes the
// session id, a session's calls reach another daemon once its own is gone
// (killed, restarted, rescheduled). Clients echo the instance_id that
// SessionInfo reported as "tensord-instance-id" metadata, so the daemon that
// receives such a call says what happened instead of "not found (expired?)".
// The proxy covers the other half: a call it cannot deliver gets UNAVAILABLE
// with the same explanation (deploy/proxy/nginx.conf).
absl::Status TensordService::ExplainMissingSession(const grpc::ServerContext* ctx,
                                                   absl::string_view id,
                                                   absl::Status lookup) const {
  const absl::string_view home = MetadataValue(ctx, kInstanceIdMetadataKey);
  if (lookup.code() != absl::StatusCode::kNotFound || home.empty() || home == instance_id_) {
    return lookup;
  }
  return absl::UnavailableError(absl::StrCat(
      "session ", ShortId(id), "... was created on tensord instance ", home,
      ", which is gone (it restarted or was lost; this call reached ", instance_id_,
      ", which does not hold the session): its tensors are lost; start a new session"));
}

v1::SessionInfo TensordService::InfoOf(const Session& s) const {
  v1::SessionInfo info;
  info.set_session_id(s.id());
  info.set_idle_ttl_seconds(static_cast<uint32_t>(absl::ToInt64Seconds(s.idle_ttl())));
  info.set_tensors(s.num_handles());
  info.set_bytes(s.bytes());
  info.set_idle_seconds(
      std::max<int64_t>(0, absl::ToInt64Seconds(sessions_.Now() - s.last_used())));
  info.set_owner(s.owner());
  info.set_instance(options_.instance);
  info.set_instance_id(instance_id_);
  return info;
}

// ---------------------------------------------------------------- sessions

grpc::Status TensordService::CreateSession(grpc::ServerContext* ctx,
                                           const v1::CreateSessionRequest* req,
                                           v1::SessionInfo* resp) {
  absl::StatusOr<std::string> caller = Caller(ctx);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  absl::StatusOr<std::string> proposed = ChooseSessionId(
      req->session_id(), MetadataValue(ctx, kSessionIdMetadataKey), /*required=*/false);
  if (!proposed.ok()) return ToGrpcStatus(proposed.status());
  absl::StatusOr<std::shared_ptr<Session>> s =
      sessions_.Create(*proposed, *caller, req->idle_ttl_seconds());
  if (!s.ok()) return ToGrpcStatus(s.status());
  *resp = InfoOf(**s);
  LogInfo("session_created",
          {{"session", ShortId((*s)->id())}, {"owner", *caller}, {"peer", ctx->peer()}});
  return grpc::Status::OK;
}

grpc::Status TensordService::CloseSession(grpc::ServerContext* ctx, const v1::SessionRequest* req,
                                          v1::Empty*) {
  absl::StatusOr<std::string> caller = Caller(ctx);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  absl::StatusOr<std::string> id = ChooseSessionId(
      req->session_id(), MetadataValue(ctx, kSessionIdMetadataKey), /*required=*/true);
  if (!id.ok()) return ToGrpcStatus(id.status());
  absl::Status st = sessions_.Close(*id, *caller);
  if (st.ok()) LogInfo("session_closed", {{"session", ShortId(*id)}});
  return ToGrpcStatus(st);
}

grpc::Status TensordService::KeepAlive(grpc::ServerContext* ctx, const v1::SessionRequest* req,
                                       v1::SessionInfo* resp) {
  absl::StatusOr<std::shared_ptr<Session>> s = SessionFor(ctx, req->session_id());
  if (!s.ok()) return ToGrpcStatus(s.status());
  *resp = InfoOf(**s);
  return grpc::Status::OK;
}

// Lists the caller's own sessions: a session id is a capability, so other
// identities' ids are never shown.
grpc::Status TensordService::ListSessions(grpc::ServerContext* ctx, const v1::Empty*,
                                          v1::ListSessionsResponse* resp) {
  absl::StatusOr<std::string> caller = Caller(ctx);
  if (!caller.ok()) return ToGrpcStatus(caller.status());
  for (const std::shared_ptr<Session>& s : sessions_.List()) {
    if (s->owner() == *caller) *resp->add_sessions() = InfoOf(*s);
  }
  return grpc::Status::OK;
}

// ---------------------------------------------------------------- commands

grpc::Status TensordService::Create(grpc::ServerContext* ctx, const v1::CreateRequest* req,
                                    v1::Empty*) {
  return WithSession(ctx, req->session_id(),
                     [&](Session& s) { return executor_.Create(s, req->create()); });
}

grpc::Status TensordService::Upload(grpc::ServerContext* ctx,
                                    grpc::ServerReader<v1::UploadChunk>* reader, v1::Empty*) {
  v1::UploadChunk chunk;
  if (!reader->Read(&chunk)) {
    return ToGrpcStatus(absl::InvalidArgumentError("[upload] no chunks received"));
  }
  return WithSession(ctx, chunk.session_id(), [&](Session& s) {
    UploadAssembler upload(executor_);
    TENSORD_RETURN_IF_ERROR(upload.Start(chunk));
    while (reader->Read(&chunk)) {
      TENSORD_RETURN_IF_ERROR(upload.Append(chunk.data()));
      s.Touch(sessions_.Now());  // a long upload is use, not idleness
    }
    return upload.Finish(s);
  });
}

grpc::Status TensordService::Op(grpc::ServerContext* ctx, const v1::OpRequest* req, v1::Empty*) {
  return WithSession(ctx, req->session_id(),
                     [&](Session& s) { return executor_.Op(s, req->op()); });
}

grpc::Status TensordService::Backward(grpc::ServerContext* ctx, const v1::BackwardRequest* req,
                                      v1::Empty*) {
  return WithSession(ctx, req->session_id(),
                     [&](Session& s) { return executor_.Backward(s, req->backward()); });
}

grpc::Status TensordService::Fetch(grpc::ServerContext* ctx, const v1::FetchRequest* req,
                                   grpc::ServerWriter<v1::TensorChunk>* writer) {
  // A chunk plus its header must fit in one message.
  const int64_t max_chunk = std::max<int64_t>(1, options_.max_message_bytes - (64 << 10));
  const int64_t requested =
      req->chunk_bytes() == 0 ? options_.default_chunk_bytes : int64_t{req->chunk_bytes()};
  return WithSession(ctx, req->session_id(), [&](Session& s) -> absl::Status {
    TENSORD_ASSIGN_OR_RETURN(v1::TensorData data, executor_.Fetch(s, req->handle()));
    if (!WriteChunks(data, static_cast<size_t>(std::min(requested, max_chunk)), writer)) {
      return absl::CancelledError("client went away during Fetch");
    }
    return absl::OkStatus();
  });
}

grpc::Status TensordService::Release(grpc::ServerContext* ctx, const v1::ReleaseRequest* req,
                                     v1::Empty*) {
  return WithSession(ctx, req->session_id(), [&](Session& s) {
    executor_.Release(s, req->handles());
    return absl::OkStatus();
  });
}

grpc::Status TensordService::Describe(grpc::ServerContext* ctx, const v1::DescribeRequest* req,
                                      v1::TensorInfo* resp) {
  return WithSession(ctx, req->session_id(), [&](Session& s) -> absl::Status {
    TENSORD_ASSIGN_OR_RETURN(*resp, executor_.Describe(s, req->handle()));
    return absl::OkStatus();
  });
}

grpc::Status TensordService::Graph(grpc::ServerContext* ctx, const v1::GraphRequest* req,
                                   v1::AutogradGraph* resp) {
  return WithSession(ctx, req->session_id(), [&](Session& s) -> absl::Status {
    TENSORD_ASSIGN_OR_RETURN(*resp, executor_.Graph(s, req->graph()));
    return absl::OkStatus();
  });
}

grpc::Status TensordService::Execute(grpc::ServerContext* ctx, const v1::ExecuteRequest* req,
                                     v1::ExecuteResponse* resp) {
  return WithSession(ctx, req->session_id(), [&](Session& s) {
    executor_.Execute(s, req->commands(), resp->mutable_results());
    return absl::OkStatus();
  });
}

// The stream names its session once (metadata or the first message); every
// batch looks it up again, so closing or expiry ends the stream with NOT_FOUND.
grpc::Status TensordService::Stream(
    grpc::ServerContext* ctx,
    grpc::ServerReaderWriter<v1::StreamResponse, v1::StreamRequest>* stream) {
  std::string body_id;
  v1::StreamRequest req;
  while (stream->Read(&req)) {
    if (body_id.empty()) {
      body_id = req.session_id();
    } else if (!req.session_id().empty() && req.session_id() != body_id) {
      return ToGrpcStatus(absl::InvalidArgumentError(
          "a Stream carries one session; a later batch named another session_id"));
    }
    v1::StreamResponse resp;
    grpc::Status st = WithSession(ctx, body_id, [&](Session& s) {
      executor_.Execute(s, req.commands(), resp.mutable_results(),
                        req.reply() ? req.prefetch_max_elements() : 0, resp.mutable_prefetched(),
                        [ctx] { return ctx->IsCancelled(); });
      return absl::OkStatus();
    });
    if (!st.ok()) return st;
    if (!req.reply() && resp.results().empty()) continue;
    resp.set_seq(req.seq());
    if (!stream->Write(resp)) break;
  }
  return grpc::Status::OK;
}

// ---------------------------------------------------------------- devices

grpc::Status TensordService::MemoryStats(grpc::ServerContext* ctx,
                                         const v1::MemoryStatsRequest* req,
                                         v1::MemoryStatsResponse* resp) {
  return WithSession(ctx, req->session_id(), [&](Session& s) -> absl::Status {
    TENSORD_ASSIGN_OR_RETURN(*resp, executor_.MemoryStats(s, req->device(), req->reset_peak()));
    return absl::OkStatus();
  });
}

grpc::Status TensordService::EmptyCache(grpc::ServerContext* ctx, const v1::SessionRequest* req,
                                        v1::Empty*) {
  return WithSession(ctx, req->session_id(), [&](Session& s) {
    executor_.EmptyCache(s);
    return absl::OkStatus();
  });
}

grpc::Status TensordService::Synchronize(grpc::ServerContext* ctx, const v1::SessionRequest* req,
                                         v1::Empty*) {
  return WithSession(ctx, req->session_id(),
                     [&](Session& s) { return executor_.Synchronize(s); });
}

// ---------------------------------------------------------------- server

grpc::Status TensordService::ListOps(grpc::ServerContext* ctx, const v1::Empty*,
                                     v1::ListOpsResponse* resp) {
  if (absl::StatusOr<std::string> caller = Caller(ctx); !caller.ok()) {
    return ToGrpcStatus(caller.status());
  }
  *resp = ops_;
  return grpc::Status::OK;
}

grpc::Status TensordService::ServerInfo(grpc::ServerContext* ctx, const v1::Empty*,
                                        v1::ServerInfoResponse* resp) {
  if (absl::StatusOr<std::string> caller = Caller(ctx); !caller.ok()) {
    return ToGrpcStatus(caller.status());
  }
  static const v1::DeviceInfo* const cpu = new v1::DeviceInfo(CpuDeviceInfo());
  static const std::vector<v1::DeviceInfo>* const cuda =
      new std::vector<v1::DeviceInfo>(CudaDeviceInfos());
  const ExecutorLimits& limits = executor_.limits();
  resp->set_version(TENSORD_VERSION);
  *resp->add_devices() = *cpu;
  for (const v1::DeviceInfo& d : *cuda) *resp->add_devices() = d;
  resp->set_sessions(sessions_.size());
  resp->set_uptime_seconds(absl::ToInt64Seconds(absl::Now() - started_));
  resp->set_num_ops(ops_.ops_size());
  // The engine sizes its pool to the machine (engine/cpu/parallel.cc); it has
  // no public accessor yet, and server/ includes no kernel headers.
  resp->set_intra_op_threads(static_cast<int32_t>(std::thread::hardware_concurrency()));
  resp->set_max_tensor_elements(limits.max_tensor_elements);
  resp->set_max_message_bytes(options_.max_message_bytes);
  resp->set_max_sessions(sessions_.limits().max_sessions);
  resp->set_default_idle_ttl_seconds(
      static_cast<uint32_t>(absl::ToInt64Seconds(sessions_.limits().default_idle_ttl)));
  resp->set_max_session_bytes(limits.max_session_bytes);
  resp->set_cuda_status(engine::CudaUnavailableReason());
  resp->set_instance(options_.instance);
  resp->set_instance_id(instance_id_);
  return grpc::Status::OK;
}

}  // namespace tensord::server
