// What a language binding of the client core needs beyond the public C++
// API (client/python/src/core.cc): raw commands on the session's pipelined
// stream, its stub for the unary RPCs, and raw tensor bytes. Everything
// else (session, stream, batching, handles and their release, poisoning and
// call-site errors) stays inside the core; see Note [Pipelining and sync
// points] in tensord.h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "tensord/tensord.h"
#include "tensord/v1/tensord.grpc.pb.h"

namespace tensord::client {

class SessionAccess {
 public:
  struct Fetched {
    DType dtype;
    std::vector<int64_t> shape;
    std::string bytes;  // little-endian, row-major
  };

  // Queues `cmd` into the current batch (pipelined, like an op); `op` names
  // it in a deferred error, the site comes from ScopedCallSite.
  static void Enqueue(Client& client, v1::Command cmd, std::string op);
  // A sync point: sends `cmds` (after everything queued), waits, throws the
  // first deferred error, and returns one result per command (default
  // results for commands that answer nothing).
  static std::vector<v1::CommandResult> RoundTrip(Client& client, std::vector<v1::Command> cmds,
                                                  const std::vector<std::string>& ops);
  // The tensor's values (a sync point; large tensors use the chunked Fetch).
  static Fetched Fetch(const Tensor& t);
  // For unary RPCs: the stub, and a context with the session's metadata
  // (session id, bearer token) and a deadline (none if timeout_seconds <= 0).
  static v1::Tensord::Stub& Stub(Client& client);
  static void PrepareCall(Client& client, grpc::ClientContext* ctx, double timeout_seconds);
  // True once a broken stream was found to have lost the session itself
  // (the server restarted or expired it).
  static bool SessionGone(Client& client);
};

}  // namespace tensord::client
