// The gRPC face of the daemon: tensord.v1.Tensord. Handlers only unpack the
// request, call the SessionManager / Executor, and convert the status.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "server/auth.h"
#include "server/executor.h"
#include "server/session_manager.h"
#include "server/status_util.h"
#include "tensord/v1/tensord.grpc.pb.h"

namespace tensord::server {

// Request metadata that names the session (Note [Sessions]).
inline constexpr char kSessionIdMetadataKey[] = "tensord-session-id";
// Request metadata: the instance_id of the daemon that created the session,
// as SessionInfo reported it (Note [Session home]).
inline constexpr char kInstanceIdMetadataKey[] = "tensord-instance-id";

struct ServiceOptions {
  int64_t default_chunk_bytes = int64_t{1} << 20;  // streamed Fetch
  int64_t max_message_bytes = int64_t{64} << 20;
  // When set, every tensord.v1 call needs "authorization: Bearer <token>"
  // and acts as the token's identity (health and reflection stay open).
  std::shared_ptr<const TokenAuthenticator> tokens;
  // This daemon's name in ServerInfo/SessionInfo (tensord --instance-name).
  std::string instance = "tensord";
};

class TensordService final : public v1::Tensord::Service {
 public:
  TensordService(SessionManager& sessions, Executor& executor, ServiceOptions options);

  grpc::Status CreateSession(grpc::ServerContext* ctx, const v1::CreateSessionRequest* req,
                             v1::SessionInfo* resp) override;
  grpc::Status CloseSession(grpc::ServerContext* ctx, const v1::SessionRequest* req,
                            v1::Empty* resp) override;
  grpc::Status KeepAlive(grpc::ServerContext* ctx, const v1::SessionRequest* req,
                         v1::SessionInfo* resp) override;
  grpc::Status ListSessions(grpc::ServerContext* ctx, const v1::Empty* req,
                            v1::ListSessionsResponse* resp) override;
  grpc::Status Create(grpc::ServerContext* ctx, const v1::CreateRequest* req,
                      v1::Empty* resp) override;
  grpc::Status Upload(grpc::ServerContext* ctx, grpc::ServerReader<v1::UploadChunk>* reader,
                      v1::Empty* resp) override;
  grpc::Status Op(grpc::ServerContext* ctx, const v1::OpRequest* req, v1::Empty* resp) override;
  grpc::Status Backward(grpc::ServerContext* ctx, const v1::BackwardRequest* req,
                        v1::Empty* resp) override;
  grpc::Status Fetch(grpc::ServerContext* ctx, const v1::FetchRequest* req,
                     grpc::ServerWriter<v1::TensorChunk>* writer) override;
  grpc::Status Release(grpc::ServerContext* ctx, const v1::ReleaseRequest* req,
                       v1::Empty* resp) override;
  grpc::Status Describe(grpc::ServerContext* ctx, const v1::DescribeRequest* req,
                        v1::TensorInfo* resp) override;
  grpc::Status Graph(grpc::ServerContext* ctx, const v1::GraphRequest* req,
                     v1::AutogradGraph* resp) override;
  grpc::Status Execute(grpc::ServerContext* ctx, const v1::ExecuteRequest* req,
                       v1::ExecuteResponse* resp) override;
  grpc::Status Stream(
      grpc::ServerContext* ctx,
      grpc::ServerReaderWriter<v1::StreamResponse, v1::StreamRequest>* stream) override;
  grpc::Status ListOps(grpc::ServerContext* ctx, const v1::Empty* req,
                       v1::ListOpsResponse* resp) override;
  grpc::Status ServerInfo(grpc::ServerContext* ctx, const v1::Empty* req,
                          v1::ServerInfoResponse* resp) override;
  grpc::Status MemoryStats(grpc::ServerContext* ctx, const v1::MemoryStatsRequest* req,
                           v1::MemoryStatsResponse* resp) override;
  grpc::Status EmptyCache(grpc::ServerContext* ctx, const v1::SessionRequest* req,
                          v1::Empty* resp) override;
  grpc::Status Synchronize(grpc::ServerContext* ctx, const v1::SessionRequest* req,
                           v1::Empty* resp) override;

  const std::string& instance_id() const { return instance_id_; }

 private:
  // Who is calling: the bearer token's identity when tokens are configured
  // (UNAUTHENTICATED without a valid one), else the TLS peer identity when
  // the client presented a verified certificate, else "anonymous".
  absl::StatusOr<std::string> Caller(const grpc::ServerContext* ctx) const;
  // The session named by `body_id` and/or the metadata; both present must
  // agree. Refreshes its idle TTL.
  absl::StatusOr<std::shared_ptr<Session>> SessionFor(const grpc::ServerContext* ctx,
                                                      absl::string_view body_id);
  // Runs fn(session) for the session the call names and converts the status.
  // The idle clock restarts when fn returns: a long command is use, not
  // idleness.
  template <typename Fn>
  grpc::Status WithSession(const grpc::ServerContext* ctx, absl::string_view body_id, Fn&& fn) {
    absl::StatusOr<std::shared_ptr<Session>> s = SessionFor(ctx, body_id);
    if (!s.ok()) return ToGrpcStatus(s.status());
    absl::Status st = fn(**s);
    (*s)->Touch(sessions_.Now());
    return ToGrpcStatus(st);
  }
  v1::SessionInfo InfoOf(const Session& s) const;
  // `lookup` (a failed session lookup) reworded when the call says its
  // session was created by another daemon or another run of this one.
  absl::Status ExplainMissingSession(const grpc::ServerContext* ctx, absl::string_view id,
                                     absl::Status lookup) const;

  SessionManager& sessions_;
  Executor& executor_;
  const ServiceOptions options_;
  const absl::Time started_;
  const std::string instance_id_;  // "NAME/RANDOM", new at every start
  const v1::ListOpsResponse ops_;
};

// Chooses the session id from the request body and the metadata value
// (either may be empty). INVALID_ARGUMENT if both are set and differ, or if
// `required` and neither is set.
absl::StatusOr<std::string> ChooseSessionId(absl::string_view body_id,
                                            absl::string_view metadata_id, bool required);

}  // namespace tensord::server
