// End to end: the tensord service over a real gRPC channel, in-process
// (TensordServer on an ephemeral port) and as the built `tensord` binary.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "server/auth.h"
#include "server/server.h"
#include "src/proto/grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "tensord/v1/tensord.grpc.pb.h"

namespace tensord {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::SizeIs;

constexpr int64_t kMaxMessage = 4 << 20;

std::string Bytes(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}
std::vector<float> Floats(const std::string& s) {
  std::vector<float> v(s.size() / sizeof(float));
  std::memcpy(v.data(), s.data(), v.size() * sizeof(float));
  return v;
}

v1::CreateCommand CreateF32(uint64_t handle, std::vector<int64_t> shape,
                            const std::vector<float>& values) {
  v1::CreateCommand c;
  c.set_handle(handle);
  c.mutable_data()->set_dtype(v1::DTYPE_FLOAT32);
  for (int64_t s : shape) c.mutable_data()->add_shape(s);
  c.mutable_data()->set_data(Bytes(values));
  return c;
}

v1::OpCommand OpCmd(const std::string& name, std::vector<v1::Operand> inputs,
                    std::vector<uint64_t> outputs) {
  v1::OpCommand c;
  c.set_op(name);
  for (auto& in : inputs) *c.add_inputs() = std::move(in);
  for (uint64_t o : outputs) c.add_outputs(o);
  return c;
}
v1::Operand H(uint64_t h) {
  v1::Operand o;
  o.set_handle(h);
  return o;
}
v1::Operand F(double f) {
  v1::Operand o;
  o.mutable_scalar()->set_f(f);
  return o;
}

v1::Command Cmd(v1::CreateCommand c) {
  v1::Command cmd;
  *cmd.mutable_create() = std::move(c);
  return cmd;
}
v1::Command Cmd(v1::OpCommand c, const std::string& site = "") {
  v1::Command cmd;
  *cmd.mutable_op() = std::move(c);
  cmd.set_site(site);
  return cmd;
}
v1::Command FetchCmd(uint64_t h) {
  v1::Command cmd;
  cmd.mutable_fetch()->set_handle(h);
  return cmd;
}

class E2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server::ServerOptions o;
    o.listen = {"127.0.0.1:0"};
    o.sessions.max_sessions = 8;
    o.executor.max_tensor_elements = 1 << 22;
    o.service.max_message_bytes = kMaxMessage;
    o.executor.max_inline_bytes = kMaxMessage / 8 * 7;
    o.max_threads = 16;
    o.service.instance = "e2e-0";
    absl::StatusOr<std::unique_ptr<server::TensordServer>> s =
        server::TensordServer::Start(std::move(o));
    ASSERT_TRUE(s.ok()) << s.status();
    server_ = std::move(*s);
    ASSERT_THAT(server_->addresses(), SizeIs(1));
    grpc::ChannelArguments args;
    args.SetMaxReceiveMessageSize(-1);
    args.SetMaxSendMessageSize(-1);
    channel_ = grpc::CreateCustomChannel(server_->addresses()[0],
                                         grpc::InsecureChannelCredentials(), args);
    stub_ = v1::Tensord::NewStub(channel_);
  }

  void TearDown() override {
    if (server_ != nullptr) server_->Shutdown(absl::Seconds(1));
  }

  // A context naming `session` in the metadata, as every client does.
  static std::unique_ptr<grpc::ClientContext> Ctx(const std::string& session = "") {
    auto ctx = std::make_unique<grpc::ClientContext>();
    if (!session.empty()) ctx->AddMetadata("tensord-session-id", session);
    ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return ctx;
  }

  std::string NewSession() {
    v1::CreateSessionRequest req;
    v1::SessionInfo info;
    grpc::Status st = stub_->CreateSession(Ctx().get(), req, &info);
    EXPECT_TRUE(st.ok()) << st.error_message();
    return info.session_id();
  }

  grpc::Status Create(const std::string& sid, v1::CreateCommand c) {
    v1::CreateRequest req;
    *req.mutable_create() = std::move(c);
    v1::Empty resp;
    return stub_->Create(Ctx(sid).get(), req, &resp);
  }

  grpc::Status Op(const std::string& sid, v1::OpCommand c) {
    v1::OpRequest req;
    *req.mutable_op() = std::move(c);
    v1::Empty resp;
    return stub_->Op(Ctx(sid).get(), req, &resp);
  }

  // Streamed Fetch; returns the chunks.
  std::vector<v1::TensorChunk> FetchChunks(const std::string& sid, uint64_t handle,
                                           uint32_t chunk_bytes, grpc::Status* status) {
    v1::FetchRequest req;
    req.set_handle(handle);
    req.set_chunk_bytes(chunk_bytes);
    auto ctx = Ctx(sid);
    auto reader = stub_->Fetch(ctx.get(), req);
    std::vector<v1::TensorChunk> chunks;
    v1::TensorChunk chunk;
    while (reader->Read(&chunk)) chunks.push_back(chunk);
    *status = reader->Finish();
    return chunks;
  }

  std::unique_ptr<server::TensordServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Tensord::Stub> stub_;
};

// ---------------------------------------------------------------- sessions

TEST_F(E2eTest, SessionLifecycle) {
  const std::string sid = NewSession();
  ASSERT_THAT(sid, SizeIs(32));

  v1::SessionRequest req;
  v1::SessionInfo info;
  ASSERT_TRUE(stub_->KeepAlive(Ctx(sid).get(), req, &info).ok());
  EXPECT_EQ(info.session_id(), sid);
  EXPECT_EQ(info.idle_ttl_seconds(), 300u);
  EXPECT_EQ(info.owner(), "anonymous");

  ASSERT_TRUE(Create(sid, CreateF32(1, {4}, {1, 2, 3, 4})).ok());
  ASSERT_TRUE(stub_->KeepAlive(Ctx(sid).get(), req, &info).ok());
  EXPECT_EQ(info.tensors(), 1);
  EXPECT_EQ(info.bytes(), 16);

  v1::ListSessionsResponse list;
  ASSERT_TRUE(stub_->ListSessions(Ctx().get(), v1::Empty(), &list).ok());
  std::vector<std::string> ids;
  for (const auto& s : list.sessions()) ids.push_back(s.session_id());
  EXPECT_THAT(ids, Contains(sid));

  v1::Empty empty;
  req.set_session_id(sid);  // in the body this time
  ASSERT_TRUE(stub_->CloseSession(Ctx().get(), req, &empty).ok());
  grpc::Status st = stub_->KeepAlive(Ctx(sid).get(), v1::SessionRequest(), &info);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(st.error_message(), HasSubstr("session " + sid + " not found (closed)"));
}

TEST_F(E2eTest, ProposedSessionIdFromMetadataIsUsed) {
  const std::string id = "00112233445566778899aabbccddeeff";
  v1::SessionInfo info;
  ASSERT_TRUE(stub_->CreateSession(Ctx(id).get(), v1::CreateSessionRequest(), &info).ok());
  EXPECT_EQ(info.session_id(), id);
  grpc::Status st = stub_->CreateSession(Ctx(id).get(), v1::CreateSessionRequest(), &info);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::ALREADY_EXISTS);
  v1::CreateSessionRequest bad;
  bad.set_session_id("XYZ");
  st = stub_->CreateSession(Ctx().get(), bad, &info);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(E2eTest, SessionIdMustBeNamedAndAgree) {
  const std::string a = NewSession();
  const std::string b = NewSession();
  v1::CreateRequest req;
  *req.mutable_create() = CreateF32(1, {1}, {1});
  req.set_session_id(a);
  v1::Empty resp;
  grpc::Status st = stub_->Create(Ctx(b).get(), req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(st.error_message(), HasSubstr("does not match"));

  req.clear_session_id();
  st = stub_->Create(Ctx().get(), req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(st.error_message(), HasSubstr("tensord-session-id"));

  st = stub_->Create(Ctx(std::string(32, 'f')).get(), req, &resp);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(st.error_message(), HasSubstr("expired after 300 s idle, or closed?"));

  req.set_session_id(a);  // body only
  EXPECT_TRUE(stub_->Create(Ctx().get(), req, &resp).ok());
}

// Note [Session home]: SessionInfo and ServerInfo name the daemon; a call
// for a session that another daemon run created says that daemon is gone.
TEST_F(E2eTest, InstanceIsReportedAndForeignSessionSaysItsDaemonIsGone) {
  v1::ServerInfoResponse server_info;
  ASSERT_TRUE(stub_->ServerInfo(Ctx().get(), v1::Empty(), &server_info).ok());
  EXPECT_EQ(server_info.instance(), "e2e-0");
  EXPECT_TRUE(absl::StartsWith(server_info.instance_id(), "e2e-0/")) << server_info.instance_id();

  v1::CreateSessionRequest create;
  v1::SessionInfo info;
  ASSERT_TRUE(stub_->CreateSession(Ctx().get(), create, &info).ok());
  EXPECT_EQ(info.instance(), "e2e-0");
  EXPECT_EQ(info.instance_id(), server_info.instance_id());

  // Its own instance id: the session is found.
  v1::SessionRequest req;
  auto own = Ctx(info.session_id());
  own->AddMetadata("tensord-instance-id", info.instance_id());
  EXPECT_TRUE(stub_->KeepAlive(own.get(), req, &info).ok());

  // Unknown session, no instance id: the plain lookup error.
  const std::string unknown(32, 'a');
  grpc::Status st = stub_->KeepAlive(Ctx(unknown).get(), req, &info);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND) << st.error_message();

  // Unknown session created by another daemon run: UNAVAILABLE, saying so.
  auto foreign = Ctx(unknown);
  foreign->AddMetadata("tensord-instance-id", "e2e-1/00000000deadbeef");
  st = stub_->KeepAlive(foreign.get(), req, &info);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(st.error_message(), HasSubstr("e2e-1/00000000deadbeef, which is gone"));
  EXPECT_THAT(st.error_message(), HasSubstr("restarted or was lost"));
  EXPECT_THAT(st.error_message(), HasSubstr("start a new session"));
  EXPECT_THAT(st.error_message(), Not(HasSubstr(unknown))) << "session ids are capabilities";
}

TEST_F(E2eTest, MaxSessionsIsResourceExhausted) {
  std::vector<std::string> ids;
  for (int i = 0; i < 8; ++i) ids.push_back(NewSession());
  v1::SessionInfo info;
  grpc::Status st = stub_->CreateSession(Ctx().get(), v1::CreateSessionRequest(), &info);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

// ---------------------------------------------------------------- commands

TEST_F(E2eTest, CreateMatmulAndStreamedFetch) {
  const std::string sid = NewSession();
  constexpr int n = 64;
  std::vector<float> a(n * n), b(n * n);
  for (int i = 0; i < n * n; ++i) {
    a[i] = static_cast<float>((i % 7) - 3);
    b[i] = static_cast<float>((i % 5) - 2) * 0.5f;
  }
  ASSERT_TRUE(Create(sid, CreateF32(1, {n, n}, a)).ok());
  ASSERT_TRUE(Create(sid, CreateF32(2, {n, n}, b)).ok());
  ASSERT_TRUE(Op(sid, OpCmd("matmul", {H(1), H(2)}, {3})).ok());

  grpc::Status st;
  std::vector<v1::TensorChunk> chunks = FetchChunks(sid, 3, 1000, &st);
  ASSERT_TRUE(st.ok()) << st.error_message();
  ASSERT_EQ(chunks.size(), (n * n * 4 + 999) / 1000u);
  EXPECT_EQ(chunks[0].dtype(), v1::DTYPE_FLOAT32);
  EXPECT_THAT(chunks[0].shape(), ElementsAre(n, n));
  std::string data;
  for (const auto& c : chunks) {
    EXPECT_LE(c.data().size(), 1000u);
    data += c.data();
  }
  std::vector<float> c = Floats(data);
  ASSERT_EQ(c.size(), static_cast<size_t>(n * n));
  for (int i = 0; i < n; ++i) {
    for (int j = 0; j < n; ++j) {
      double want = 0;
      for (int k = 0; k < n; ++k) want += double{a[i * n + k]} * b[k * n + j];
      ASSERT_NEAR(c[i * n + j], want, 1e-3) << i << "," << j;
    }
  }

  // Default chunking: one chunk for 16 KiB.
  chunks = FetchChunks(sid, 3, 0, &st);
  ASSERT_TRUE(st.ok());
  EXPECT_THAT(chunks, SizeIs(1));

  // Describe and Release over their unary RPCs.
  v1::DescribeRequest dreq;
  dreq.set_handle(3);
  v1::TensorInfo info;
  ASSERT_TRUE(stub_->Describe(Ctx(sid).get(), dreq, &info).ok());
  EXPECT_THAT(info.shape(), ElementsAre(n, n));
  v1::ReleaseRequest rreq;
  rreq.add_handles(3);
  rreq.add_handles(3);
  v1::Empty empty;
  ASSERT_TRUE(stub_->Release(Ctx(sid).get(), rreq, &empty).ok());
  st = stub_->Describe(Ctx(sid).get(), dreq, &info);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(st.error_message(), HasSubstr("handle 3 not found in session"));
}

TEST_F(E2eTest, FetchOfEmptyTensorSendsOneHeaderChunk) {
  const std::string sid = NewSession();
  ASSERT_TRUE(Create(sid, CreateF32(1, {0, 3}, {})).ok());
  grpc::Status st;
  std::vector<v1::TensorChunk> chunks = FetchChunks(sid, 1, 0, &st);
  ASSERT_TRUE(st.ok());
  ASSERT_THAT(chunks, SizeIs(1));
  EXPECT_THAT(chunks[0].shape(), ElementsAre(0, 3));
  EXPECT_TRUE(chunks[0].data().empty());
}

TEST_F(E2eTest, ExecuteBatchPoisonsOutputsOfAFailedCommand) {
  const std::string sid = NewSession();
  v1::ExecuteRequest req;
  *req.add_commands() = Cmd(CreateF32(1, {3, 2}, {1, 2, 3, 4, 5, 6}));
  *req.add_commands() = Cmd(OpCmd("matmul", {H(1), H(1)}, {2}), "e2e.py:10");
  *req.add_commands() = Cmd(OpCmd("add", {H(2), F(1)}, {3}), "e2e.py:11");
  *req.add_commands() = FetchCmd(3);
  *req.add_commands() = FetchCmd(1);
  v1::ExecuteResponse resp;
  ASSERT_TRUE(stub_->Execute(Ctx(sid).get(), req, &resp).ok());
  ASSERT_THAT(resp.results(), SizeIs(4));
  const auto& failed = resp.results(0);
  EXPECT_EQ(failed.index(), 1u);
  EXPECT_EQ(failed.code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(failed.message(),
              HasSubstr("mat1 and mat2 shapes cannot be multiplied (3x2 and 3x2) (at e2e.py:10)"));
  EXPECT_FALSE(failed.poisoned());
  for (int i : {1, 2}) {
    EXPECT_EQ(resp.results(i).index(), static_cast<uint32_t>(i + 1));
    EXPECT_EQ(resp.results(i).code(), failed.code());
    EXPECT_EQ(resp.results(i).message(), failed.message());
    EXPECT_TRUE(resp.results(i).poisoned());
  }
  EXPECT_EQ(resp.results(3).index(), 4u);
  EXPECT_THAT(Floats(resp.results(3).tensor().data()), ElementsAre(1, 2, 3, 4, 5, 6));

  // A later unary call reading the poisoned handle fails with the original error.
  grpc::Status st = Op(sid, OpCmd("neg", {H(3)}, {4}));
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(st.error_message(), failed.message());
  // The session is still usable.
  EXPECT_TRUE(Op(sid, OpCmd("neg", {H(1)}, {5})).ok());
}

TEST_F(E2eTest, StreamRepliesAtSyncPointsAndOnFailures) {
  const std::string sid = NewSession();
  auto ctx = Ctx(sid);
  auto stream = stub_->Stream(ctx.get());

  v1::StreamRequest r1;  // no reply wanted, nothing fails: silent
  r1.set_seq(1);
  *r1.add_commands() = Cmd(CreateF32(1, {2}, {1, 2}));
  *r1.add_commands() = Cmd(OpCmd("mul", {H(1), F(10)}, {2}));
  ASSERT_TRUE(stream->Write(r1));

  v1::StreamRequest r2;  // a failure: answered although reply=false
  r2.set_seq(2);
  *r2.add_commands() = Cmd(OpCmd("matmul", {H(1), H(404)}, {3}), "s.py:2");
  ASSERT_TRUE(stream->Write(r2));

  v1::StreamRequest r3;  // sync point
  r3.set_seq(3);
  r3.set_reply(true);
  *r3.add_commands() = FetchCmd(2);
  ASSERT_TRUE(stream->Write(r3));

  v1::StreamRequest r4;  // an empty sync point still answers
  r4.set_seq(4);
  r4.set_reply(true);
  ASSERT_TRUE(stream->Write(r4));

  v1::StreamResponse resp;
  ASSERT_TRUE(stream->Read(&resp));
  EXPECT_EQ(resp.seq(), 2u);
  ASSERT_THAT(resp.results(), SizeIs(1));
  EXPECT_EQ(resp.results(0).code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(resp.results(0).message(), HasSubstr("handle 404 not found in session (released"));
  EXPECT_THAT(resp.results(0).message(), HasSubstr("(at s.py:2)"));

  ASSERT_TRUE(stream->Read(&resp));
  EXPECT_EQ(resp.seq(), 3u);
  ASSERT_THAT(resp.results(), SizeIs(1));
  EXPECT_THAT(Floats(resp.results(0).tensor().data()), ElementsAre(10, 20));

  ASSERT_TRUE(stream->Read(&resp));
  EXPECT_EQ(resp.seq(), 4u);
  EXPECT_THAT(resp.results(), SizeIs(0));

  ASSERT_TRUE(stream->WritesDone());
  EXPECT_FALSE(stream->Read(&resp));
  grpc::Status st = stream->Finish();
  EXPECT_TRUE(st.ok()) << st.error_message();
}

TEST_F(E2eTest, StreamNamesItsSessionInTheFirstMessage) {
  const std::string sid = NewSession();
  auto ctx = Ctx();
  auto stream = stub_->Stream(ctx.get());
  v1::StreamRequest r1;
  r1.set_session_id(sid);
  r1.set_seq(1);
  *r1.add_commands() = Cmd(CreateF32(1, {1}, {5}));
  ASSERT_TRUE(stream->Write(r1));
  v1::StreamRequest r2;  // later batches may omit it
  r2.set_seq(2);
  r2.set_reply(true);
  *r2.add_commands() = FetchCmd(1);
  ASSERT_TRUE(stream->Write(r2));
  v1::StreamResponse resp;
  ASSERT_TRUE(stream->Read(&resp));
  EXPECT_EQ(resp.seq(), 2u);
  EXPECT_THAT(Floats(resp.results(0).tensor().data()), ElementsAre(5));

  v1::StreamRequest r3;  // but may not switch sessions
  r3.set_session_id(NewSession());
  r3.set_seq(3);
  ASSERT_TRUE(stream->Write(r3));
  stream->WritesDone();
  while (stream->Read(&resp)) {
  }
  grpc::Status st = stream->Finish();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(E2eTest, StreamEndsWithNotFoundWhenItsSessionCloses) {
  const std::string sid = NewSession();
  auto ctx = Ctx(sid);
  auto stream = stub_->Stream(ctx.get());
  v1::StreamRequest r;
  r.set_seq(1);
  r.set_reply(true);
  ASSERT_TRUE(stream->Write(r));
  v1::StreamResponse resp;
  ASSERT_TRUE(stream->Read(&resp));

  v1::SessionRequest close;
  v1::Empty empty;
  ASSERT_TRUE(stub_->CloseSession(Ctx(sid).get(), close, &empty).ok());
  r.set_seq(2);
  stream->Write(r);
  EXPECT_FALSE(stream->Read(&resp));
  grpc::Status st = stream->Finish();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::NOT_FOUND);
}

TEST_F(E2eTest, UploadInChunks) {
  const std::string sid = NewSession();
  std::vector<float> values(1000);
  for (int i = 0; i < 1000; ++i) values[i] = i * 0.25f;
  const std::string bytes = Bytes(values);

  v1::Empty resp;
  {
    auto ctx = Ctx(sid);
    auto writer = stub_->Upload(ctx.get(), &resp);
    for (size_t off = 0, i = 0; off < bytes.size(); off += 600, ++i) {
      v1::UploadChunk chunk;
      if (i == 0) {
        chunk.set_handle(7);
        chunk.set_dtype(v1::DTYPE_FLOAT32);
        chunk.add_shape(10);
        chunk.add_shape(100);
      }
      chunk.set_data(bytes.substr(off, 600));
      ASSERT_TRUE(writer->Write(chunk));
    }
    ASSERT_TRUE(writer->WritesDone());
    grpc::Status st = writer->Finish();
    ASSERT_TRUE(st.ok()) << st.error_message();
  }
  grpc::Status st;
  std::vector<v1::TensorChunk> chunks = FetchChunks(sid, 7, 0, &st);
  ASSERT_TRUE(st.ok());
  ASSERT_THAT(chunks, SizeIs(1));
  EXPECT_THAT(chunks[0].shape(), ElementsAre(10, 100));
  EXPECT_EQ(chunks[0].data(), bytes);

  // Too many bytes: refused as soon as they exceed the declared size.
  auto ctx = Ctx(sid);
  auto writer = stub_->Upload(ctx.get(), &resp);
  v1::UploadChunk chunk;
  chunk.set_handle(8);
  chunk.set_dtype(v1::DTYPE_FLOAT32);
  chunk.add_shape(2);
  chunk.set_data(std::string(12, '\0'));
  writer->Write(chunk);
  writer->WritesDone();
  st = writer->Finish();
  EXPECT_EQ(st.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(st.error_message(), HasSubstr("[upload] received 12 bytes"));
}

TEST_F(E2eTest, MessagesAboveTheLimitAreResourceExhausted) {
  const std::string sid = NewSession();
  std::vector<float> big(kMaxMessage / sizeof(float) + 1024);
  grpc::Status st = Create(sid, CreateF32(1, {static_cast<int64_t>(big.size())}, big));
  EXPECT_EQ(st.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  // Uploads of the same tensor in chunks pass; streamed Fetch returns it.
  v1::Empty resp;
  auto ctx = Ctx(sid);
  auto writer = stub_->Upload(ctx.get(), &resp);
  const std::string bytes = Bytes(big);
  for (size_t off = 0; off < bytes.size(); off += 1 << 20) {
    v1::UploadChunk chunk;
    if (off == 0) {
      chunk.set_handle(1);
      chunk.set_dtype(v1::DTYPE_FLOAT32);
      chunk.add_shape(static_cast<int64_t>(big.size()));
    }
    chunk.set_data(bytes.substr(off, 1 << 20));
    ASSERT_TRUE(writer->Write(chunk));
  }
  writer->WritesDone();
  st = writer->Finish();
  ASSERT_TRUE(st.ok()) << st.error_message();
  std::vector<v1::TensorChunk> chunks = FetchChunks(sid, 1, 0, &st);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(chunks.size(), (bytes.size() + (1 << 20) - 1) >> 20);
  // The same tensor does not fit inline in an Execute response.
  v1::ExecuteRequest req;
  *req.add_commands() = FetchCmd(1);
  v1::ExecuteResponse eresp;
  ASSERT_TRUE(stub_->Execute(Ctx(sid).get(), req, &eresp).ok());
  ASSERT_THAT(eresp.results(), SizeIs(1));
  EXPECT_EQ(eresp.results(0).code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

// ---------------------------------------------------------------- introspection

TEST_F(E2eTest, ListOpsDescribesTheRegistry) {
  v1::ListOpsResponse resp;
  ASSERT_TRUE(stub_->ListOps(Ctx().get(), v1::Empty(), &resp).ok());
  const v1::OpSchema* matmul = nullptr;
  const v1::OpSchema* add = nullptr;
  const v1::OpSchema* cat = nullptr;
  for (const auto& op : resp.ops()) {
    if (op.name() == "matmul") matmul = &op;
    if (op.name() == "add") add = &op;
    if (op.name() == "cat") cat = &op;
  }
  ASSERT_NE(matmul, nullptr);
  ASSERT_NE(add, nullptr);
  ASSERT_NE(cat, nullptr);
  ASSERT_GE(cat->inputs_size(), 1);
  EXPECT_TRUE(cat->inputs(cat->inputs_size() - 1).variadic());
  EXPECT_FALSE(matmul->inputs(1).variadic());
  EXPECT_EQ(matmul->num_outputs(), 1);
  ASSERT_THAT(matmul->inputs(), SizeIs(2));
  EXPECT_EQ(matmul->inputs(0).name(), "self");
  bool has_alpha = false;
  for (const auto& a : add->attrs()) {
    if (a.name() == "alpha") {
      has_alpha = true;
      EXPECT_EQ(a.type(), "scalar");
      EXPECT_EQ(a.default_value(), "1");
    }
  }
  EXPECT_TRUE(has_alpha);

  v1::ServerInfoResponse info;
  ASSERT_TRUE(stub_->ServerInfo(Ctx().get(), v1::Empty(), &info).ok());
  EXPECT_FALSE(info.version().empty());
  EXPECT_EQ(info.num_ops(), resp.ops_size());
  ASSERT_GE(info.devices_size(), 1);
  EXPECT_EQ(info.devices(0).name(), "cpu");
  // No cuda device is offered yet (engine/device.cc, Note [Device
  // availability]), so ServerInfo says why.
  bool has_cuda = false;
  for (const auto& d : info.devices()) has_cuda = has_cuda || d.name().rfind("cuda", 0) == 0;
  EXPECT_EQ(info.cuda_status().empty(), has_cuda);
  if (!has_cuda) {
    EXPECT_THAT(info.cuda_status(),
                ::testing::AnyOf(::testing::HasSubstr("without CUDA"), ::testing::HasSubstr("visible")));
  }
  EXPECT_EQ(info.max_tensor_elements(), 1 << 22);
  EXPECT_EQ(info.max_message_bytes(), kMaxMessage);
  EXPECT_EQ(info.max_sessions(), 8);
  EXPECT_EQ(info.default_idle_ttl_seconds(), 300u);
}

TEST_F(E2eTest, HealthCheckServes) {
  auto health = grpc::health::v1::Health::NewStub(channel_);
  for (const char* service : {"", "tensord.v1.Tensord"}) {
    grpc::health::v1::HealthCheckRequest req;
    req.set_service(service);
    grpc::health::v1::HealthCheckResponse resp;
    grpc::Status st = health->Check(Ctx().get(), req, &resp);
    ASSERT_TRUE(st.ok()) << service << ": " << st.error_message();
    EXPECT_EQ(resp.status(), grpc::health::v1::HealthCheckResponse::SERVING) << service;
  }
}

TEST_F(E2eTest, ReflectionListsAndDescribesTheService) {
  namespace refl = grpc::reflection::v1alpha;
  auto stub = refl::ServerReflection::NewStub(channel_);
  auto ctx = Ctx();
  auto stream = stub->ServerReflectionInfo(ctx.get());
  refl::ServerReflectionRequest req;
  req.set_list_services("");
  ASSERT_TRUE(stream->Write(req));
  refl::ServerReflectionResponse resp;
  ASSERT_TRUE(stream->Read(&resp));
  std::vector<std::string> services;
  for (const auto& s : resp.list_services_response().service()) services.push_back(s.name());
  EXPECT_THAT(services, Contains("tensord.v1.Tensord"));

  req.set_file_containing_symbol("tensord.v1.Tensord");
  ASSERT_TRUE(stream->Write(req));
  ASSERT_TRUE(stream->Read(&resp));
  ASSERT_GE(resp.file_descriptor_response().file_descriptor_proto_size(), 1);
  EXPECT_THAT(resp.file_descriptor_response().file_descriptor_proto(0),
              HasSubstr("tensord/v1/tensord.proto"));
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

// ---------------------------------------------------------------- shutdown

TEST_F(E2eTest, ShutdownDrainsThenCancelsOpenStreams) {
  const std::string sid = NewSession();
  auto ctx = Ctx(sid);
  auto stream = stub_->Stream(ctx.get());
  v1::StreamRequest r;
  r.set_seq(1);
  r.set_reply(true);
  ASSERT_TRUE(stream->Write(r));
  v1::StreamResponse resp;
  ASSERT_TRUE(stream->Read(&resp));

  const absl::Time start = absl::Now();
  server_->Shutdown(absl::Milliseconds(300));
  server_->Wait();
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  EXPECT_FALSE(stream->Read(&resp));
  EXPECT_FALSE(stream->Finish().ok());
  server_.reset();
}

// ---------------------------------------------------------------- authentication

// Starts a server on 127.0.0.1:0 with `options` (listen is overridden).
std::unique_ptr<server::TensordServer> StartServer(server::ServerOptions options) {
  options.listen = {"127.0.0.1:0"};
  absl::StatusOr<std::unique_ptr<server::TensordServer>> s =
      server::TensordServer::Start(std::move(options));
  EXPECT_TRUE(s.ok()) << s.status();
  return s.ok() ? std::move(*s) : nullptr;
}

std::unique_ptr<grpc::ClientContext> AuthCtx(const std::string& token,
                                             const std::string& session = "") {
  auto ctx = std::make_unique<grpc::ClientContext>();
  if (!token.empty()) ctx->AddMetadata("authorization", "Bearer " + token);
  if (!session.empty()) ctx->AddMetadata("tensord-session-id", session);
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return ctx;
}

TEST(AuthE2eTest, BearerTokensNameOwnersAndGuardSessions) {
  server::ServerOptions o;
  auto tokens = server::TokenAuthenticator::FromPairs({{"alice", "tok-a"}, {"bob", "tok-b"}});
  ASSERT_TRUE(tokens.ok());
  o.service.tokens = std::make_shared<const server::TokenAuthenticator>(std::move(*tokens));
  auto srv = StartServer(std::move(o));
  ASSERT_NE(srv, nullptr);
  auto channel = grpc::CreateChannel(srv->addresses()[0], grpc::InsecureChannelCredentials());
  auto stub = v1::Tensord::NewStub(channel);

  v1::SessionInfo info;
  grpc::Status st = stub->CreateSession(AuthCtx("").get(), v1::CreateSessionRequest(), &info);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  st = stub->CreateSession(AuthCtx("tok-x").get(), v1::CreateSessionRequest(), &info);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  v1::ServerInfoResponse server_info;
  st = stub->ServerInfo(AuthCtx("").get(), v1::Empty(), &server_info);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);

  ASSERT_TRUE(stub->CreateSession(AuthCtx("tok-a").get(), v1::CreateSessionRequest(), &info).ok());
  EXPECT_EQ(info.owner(), "alice");
  const std::string alice_session = info.session_id();

  v1::CreateRequest create;
  *create.mutable_create() = CreateF32(1, {1}, {1});
  v1::Empty empty;
  EXPECT_TRUE(stub->Create(AuthCtx("tok-a", alice_session).get(), create, &empty).ok());
  st = stub->Create(AuthCtx("tok-b", alice_session).get(), create, &empty);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  st = stub->Create(AuthCtx("", alice_session).get(), create, &empty);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  st = stub->CloseSession(AuthCtx("tok-b", alice_session).get(), v1::SessionRequest(), &empty);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::PERMISSION_DENIED);

  v1::ListSessionsResponse list;
  ASSERT_TRUE(stub->ListSessions(AuthCtx("tok-b").get(), v1::Empty(), &list).ok());
  EXPECT_EQ(list.sessions_size(), 0) << "bob must not see alice's session ids";
  ASSERT_TRUE(stub->ListSessions(AuthCtx("tok-a").get(), v1::Empty(), &list).ok());
  EXPECT_EQ(list.sessions_size(), 1);

  // Health stays open for probes.
  auto health = grpc::health::v1::Health::NewStub(channel);
  grpc::health::v1::HealthCheckResponse hresp;
  EXPECT_TRUE(health->Check(AuthCtx("").get(), grpc::health::v1::HealthCheckRequest(), &hresp).ok());
  srv->Shutdown(absl::ZeroDuration());
}

// A throwaway CA, a server certificate for localhost/127.0.0.1 and a client
// certificate for "alice", made with the openssl command line.
class TlsE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string(absl::StrCat(::testing::TempDir(), "tensord-tls-", getpid()));
    std::system(absl::StrCat("mkdir -p ", *dir_).c_str());
    {
      std::ofstream script(*dir_ + "/make-certs.sh");
      script << "set -e\n"
             << "cd " << *dir_ << "\n"
             << "K='-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes'\n"
             << "openssl req -x509 $K -keyout ca.key -out ca.pem -days 2"
             << " -subj /CN=tensord-test-ca\n"
             << "printf 'subjectAltName=DNS:localhost,IP:127.0.0.1' > server.ext\n"
             << "openssl req $K -keyout server.key -out server.csr -subj /CN=localhost\n"
             << "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial"
             << " -out server.pem -days 2 -extfile server.ext\n"
             << "printf 'subjectAltName=DNS:alice' > client.ext\n"
             << "openssl req $K -keyout client.key -out client.csr -subj /CN=alice\n"
             << "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial"
             << " -out client.pem -days 2 -extfile client.ext\n";
    }
    ok_ = std::system(absl::StrCat("sh ", *dir_, "/make-certs.sh >/dev/null 2>&1").c_str()) == 0;
  }
  static void TearDownTestSuite() {
    std::system(absl::StrCat("rm -rf ", *dir_).c_str());
    delete dir_;
  }
  void SetUp() override {
    if (!ok_) GTEST_SKIP() << "openssl could not make test certificates";
  }
  static std::string File(const std::string& name) {
    std::ifstream in(*dir_ + "/" + name);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
  }
  static std::string Path(const std::string& name) { return *dir_ + "/" + name; }

  static std::shared_ptr<grpc::Channel> TlsChannel(const std::string& address, bool client_cert) {
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = File("ca.pem");
    if (client_cert) {
      ssl.pem_private_key = File("client.key");
      ssl.pem_cert_chain = File("client.pem");
    }
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride("localhost");
    return grpc::CreateCustomChannel(address, grpc::SslCredentials(ssl), args);
  }

  static std::string* dir_;
  static bool ok_;
};
std::string* TlsE2eTest::dir_ = nullptr;
bool TlsE2eTest::ok_ = false;

TEST_F(TlsE2eTest, ServesTlsAndRefusesPlaintext) {
  server::ServerOptions o;
  o.tls.cert_file = Path("server.pem");
  o.tls.key_file = Path("server.key");
  auto srv = StartServer(std::move(o));
  ASSERT_NE(srv, nullptr);
  const std::string address = srv->addresses()[0];

  auto stub = v1::Tensord::NewStub(TlsChannel(address, /*client_cert=*/false));
  v1::SessionInfo info;
  grpc::Status st = stub->CreateSession(AuthCtx("").get(), v1::CreateSessionRequest(), &info);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(info.owner(), "anonymous");

  auto plain = v1::Tensord::NewStub(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  auto ctx = AuthCtx("");
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  st = plain->CreateSession(ctx.get(), v1::CreateSessionRequest(), &info);
  EXPECT_FALSE(st.ok());
  srv->Shutdown(absl::ZeroDuration());
}

TEST_F(TlsE2eTest, MutualTlsNamesTheCallerByItsCertificate) {
  server::ServerOptions o;
  o.tls.cert_file = Path("server.pem");
  o.tls.key_file = Path("server.key");
  o.tls.client_ca_file = Path("ca.pem");
  auto srv = StartServer(std::move(o));
  ASSERT_NE(srv, nullptr);
  const std::string address = srv->addresses()[0];

  auto stub = v1::Tensord::NewStub(TlsChannel(address, /*client_cert=*/true));
  v1::SessionInfo info;
  grpc::Status st = stub->CreateSession(AuthCtx("").get(), v1::CreateSessionRequest(), &info);
  ASSERT_TRUE(st.ok()) << st.error_message();
  EXPECT_EQ(info.owner(), "alice");

  auto anonymous = v1::Tensord::NewStub(TlsChannel(address, /*client_cert=*/false));
  auto ctx = AuthCtx("");
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  st = anonymous->CreateSession(ctx.get(), v1::CreateSessionRequest(), &info);
  EXPECT_FALSE(st.ok()) << "a client without a certificate must be refused";
  srv->Shutdown(absl::ZeroDuration());
}

TEST(ServerStartTest, RejectsIncompleteTlsFlags) {
  server::ServerOptions o;
  o.listen = {"127.0.0.1:0"};
  o.tls.cert_file = "/nonexistent.pem";
  auto s = server::TensordServer::Start(o);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  o.tls.key_file = "/nonexistent.key";
  s = server::TensordServer::Start(o);
  EXPECT_EQ(s.status().code(), absl::StatusCode::kNotFound);
}

// ---------------------------------------------------------------- the binary

// Runs the built tensord binary with `args`, capturing stdout.
class Daemon {
 public:
  // With `merge_stderr`, ReadLine reads stderr's lines too.
  explicit Daemon(std::vector<std::string> args, bool merge_stderr = false) {
    int out[2];
    EXPECT_EQ(pipe(out), 0);
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], STDOUT_FILENO);
      if (merge_stderr) dup2(out[1], STDERR_FILENO);
      close(out[0]);
      close(out[1]);
      std::vector<char*> argv;
      std::string bin = TENSORD_BINARY;
      argv.push_back(bin.data());
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(bin.c_str(), argv.data());
      _exit(127);
    }
    close(out[1]);
    out_ = out[0];
  }
  ~Daemon() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    close(out_);
  }

  // Reads stdout until `n` bytes, EOF, or the timeout.
  std::string ReadLine(absl::Duration timeout) {
    std::string line;
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      pollfd p{out_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char c;
      if (read(out_, &c, 1) != 1) break;
      if (c == '\n') return line;
      line.push_back(c);
    }
    return line;
  }

  // Reads lines until EOF or the timeout.
  std::string ReadAll(absl::Duration timeout) {
    std::string all;
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      pollfd p{out_, POLLIN, 0};
      if (poll(&p, 1, 100) <= 0) continue;
      char buf[4096];
      const ssize_t n = read(out_, buf, sizeof(buf));
      if (n <= 0) break;
      all.append(buf, n);
    }
    return all;
  }

  // Sends `sig` and returns the exit status (-1 on timeout or signal death).
  int Stop(int sig, absl::Duration timeout) {
    kill(pid_, sig);
    return Wait(timeout);
  }
  int Wait(absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (absl::Now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  bool exited_ = false;
};

TEST(TensordBinaryTest, ListensOnTcpAndUnixSocketAndExitsCleanlyOnSigterm) {
  const std::string sock =
      absl::StrCat(::testing::TempDir(), "tensord-e2e-", getpid(), ".sock");
  Daemon d({"--listen", "127.0.0.1:0", "--listen=unix:" + sock, "--idle-ttl-seconds", "60"});
  const std::string line = d.ReadLine(absl::Seconds(30));
  ASSERT_TRUE(absl::StartsWith(line, "tensord listening on ")) << line;
  std::vector<std::string> addrs =
      absl::StrSplit(line.substr(strlen("tensord listening on ")), ' ');
  ASSERT_THAT(addrs, SizeIs(2));
  EXPECT_TRUE(absl::StartsWith(addrs[0], "127.0.0.1:")) << addrs[0];
  EXPECT_NE(addrs[0], "127.0.0.1:0");
  EXPECT_EQ(addrs[1], "unix:" + sock);

  for (const std::string& addr : addrs) {
    auto stub = v1::Tensord::NewStub(grpc::CreateChannel(addr, grpc::InsecureChannelCredentials()));
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    v1::CreateSessionRequest req;
    v1::SessionInfo info;
    grpc::Status st = stub->CreateSession(&ctx, req, &info);
    ASSERT_TRUE(st.ok()) << addr << ": " << st.error_message();
    EXPECT_EQ(info.idle_ttl_seconds(), 60u);
  }
  EXPECT_EQ(d.Stop(SIGTERM, absl::Seconds(20)), 0);
}

TEST(TensordBinaryTest, HelpAndBadFlags) {
  {
    Daemon d({"--help"});
    const std::string help = d.ReadAll(absl::Seconds(10));
    EXPECT_THAT(help, HasSubstr("Usage: tensord"));
    EXPECT_THAT(help, HasSubstr("--listen"));
    EXPECT_THAT(help, HasSubstr("--metrics-listen"));
    EXPECT_THAT(help, HasSubstr("a second signal exits at once"));
    EXPECT_EQ(d.Wait(absl::Seconds(10)), 0);
  }
  {
    Daemon d({"--max-sessions", "many"});
    EXPECT_EQ(d.Wait(absl::Seconds(10)), 2);
  }
  {
    Daemon d({"--no-such-flag", "1"});
    EXPECT_EQ(d.Wait(absl::Seconds(10)), 2);
  }
  {
    Daemon d({"--version"});
    EXPECT_THAT(d.ReadLine(absl::Seconds(10)), HasSubstr("tensord "));
    EXPECT_EQ(d.Wait(absl::Seconds(10)), 0);
  }
}

// A bad --listen is refused before gRPC sees it, with a message that says why.
TEST(TensordBinaryTest, BadListenAddressesAreRefusedClearly) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"127.0.0.1:99999", "the port 99999 is out of range [0, 65535]"},
      {"127.0.0.1", "expected HOST:PORT"},
      {"127.0.0.1:http", "the port 'http' is not a number"},
      {":50051", "no host before ':'"},
      {"::1:50051", "an IPv6 address needs brackets"},
      {"unix:", "no socket path"},
  };
  for (const auto& [address, message] : cases) {
    Daemon d({"--listen", address}, /*merge_stderr=*/true);
    const std::string all = d.ReadAll(absl::Seconds(10));
    EXPECT_THAT(all, HasSubstr(message)) << address;
    EXPECT_THAT(all, HasSubstr("'" + address + "'")) << address;
    EXPECT_EQ(d.Wait(absl::Seconds(10)), 2) << address;
  }
  Daemon d({"--metrics-listen", "0.0.0.0:70000"}, /*merge_stderr=*/true);
  EXPECT_THAT(d.ReadAll(absl::Seconds(10)), HasSubstr("--metrics-listen: '0.0.0.0:70000': the port 70000 is out of range"));
  EXPECT_EQ(d.Wait(absl::Seconds(10)), 2);
}

TEST(TensordBinaryTest, PortInUseFailsWithExitCode1) {
  Daemon first({"--listen", "127.0.0.1:0"});
  const std::string line = first.ReadLine(absl::Seconds(30));
  ASSERT_TRUE(absl::StartsWith(line, "tensord listening on ")) << line;
  const std::string addr = line.substr(strlen("tensord listening on "));
  Daemon second({"--listen", addr});
  EXPECT_EQ(second.Wait(absl::Seconds(20)), 1);
  EXPECT_EQ(first.Stop(SIGINT, absl::Seconds(20)), 0);
}

}  // namespace
}  // namespace tensord
