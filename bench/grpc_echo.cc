// grpc_echo: what gRPC itself costs on a connection, with no tensor server
// behind it -- the anchor rows of bench/remote_vs_local.py.
//
//   grpc_echo --serve 127.0.0.1:PORT        run the echo server (until SIGTERM)
//   grpc_echo --address 127.0.0.1:PORT      measure against it, print JSON
//
// The server is a plain synchronous gRPC server configured like tensord's
// (same message-size limits); the client measures a unary call with an empty
// message, a bidirectional-stream ping-pong, and `--mib` MiB moved up (client
// stream) and down (server stream) in `--chunk-kib` chunks. Benchmark only:
// it prints figures and never judges them.
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <chrono>
#include <pthread.h>
#include <signal.h>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/str_cat.h"
#include "tensord/bench/echo.grpc.pb.h"

ABSL_FLAG(std::string, serve, "", "run the echo server on this address");
ABSL_FLAG(std::string, address, "", "measure the echo server at this address");
ABSL_FLAG(int, calls, 2000, "calls per latency round");
ABSL_FLAG(int, rounds, 5, "rounds per figure (medians over rounds)");
ABSL_FLAG(int, mib, 64, "MiB moved up and down by the bulk figure");
ABSL_FLAG(int, chunk_kib, 1024, "chunk size of the bulk streams, KiB");

namespace {

namespace pb = tensord::bench;
using Clock = std::chrono::steady_clock;

class EchoService final : public pb::Echo::Service {
  grpc::Status Unary(grpc::ServerContext*, const pb::Blob* req, pb::Blob* resp) override {
    *resp = *req;
    return grpc::Status::OK;
  }
  grpc::Status PingPong(grpc::ServerContext*,
                        grpc::ServerReaderWriter<pb::Blob, pb::Blob>* stream) override {
    pb::Blob msg;
    while (stream->Read(&msg)) {
      if (!stream->Write(msg)) break;
    }
    return grpc::Status::OK;
  }
  grpc::Status Upload(grpc::ServerContext*, grpc::ServerReader<pb::Blob>* reader,
                      pb::Blob* resp) override {
    pb::Blob msg;
    int64_t total = 0;
    while (reader->Read(&msg)) total += static_cast<int64_t>(msg.data().size());
    resp->set_size(total);
    return grpc::Status::OK;
  }
  grpc::Status Download(grpc::ServerContext*, const pb::Blob* req,
                        grpc::ServerWriter<pb::Blob>* writer) override {
    if (req->size() < 0 || req->chunk() <= 0 || req->chunk() > (64 << 20)) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "bad size or chunk");
    }
    pb::Blob msg;
    msg.mutable_data()->assign(static_cast<size_t>(req->chunk()), '\x5a');
    for (int64_t left = req->size(); left > 0; left -= req->chunk()) {
      if (left < req->chunk()) msg.mutable_data()->resize(static_cast<size_t>(left));
      if (!writer->Write(msg)) break;
    }
    return grpc::Status::OK;
  }
};

std::unique_ptr<grpc::Server>* g_server = nullptr;

int Serve(const std::string& address) {
  EchoService service;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, grpc::InsecureServerCredentials());
  builder.SetMaxReceiveMessageSize(64 << 20);
  builder.SetMaxSendMessageSize(64 << 20);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server) {
    std::cerr << "grpc_echo: cannot listen on " << address << "\n";
    return 2;
  }
  g_server = &server;
  std::thread stopper([] {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    int sig = 0;
    sigwait(&set, &sig);
    (*g_server)->Shutdown();
  });
  server->Wait();
  stopper.join();
  return 0;
}

double Micros(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// Median over rounds of the mean per-call time of `calls` calls, in µs.
template <typename Fn>
double PerCall(int calls, int rounds, Fn&& fn) {
  for (int i = 0; i < std::min(calls, 200); ++i) fn();  // warm-up
  std::vector<double> per_round;
  for (int r = 0; r < rounds; ++r) {
    auto t0 = Clock::now();
    for (int i = 0; i < calls; ++i) fn();
    per_round.push_back(Micros(Clock::now() - t0) / calls);
  }
  return Median(per_round);
}

void Check(const grpc::Status& s, const char* what) {
  if (!s.ok()) throw std::runtime_error(absl::StrCat(what, ": ", s.error_message()));
}

int Measure(const std::string& address) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(64 << 20);
  args.SetMaxSendMessageSize(64 << 20);
  auto channel = grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args);
  if (!channel->WaitForConnected(std::chrono::system_clock::now() + std::chrono::seconds(10))) {
    std::cerr << "grpc_echo: no server at " << address << "\n";
    return 2;
  }
  auto stub = pb::Echo::NewStub(channel);
  const int calls = absl::GetFlag(FLAGS_calls);
  const int rounds = absl::GetFlag(FLAGS_rounds);

  const double unary_us = PerCall(calls, rounds, [&] {
    grpc::ClientContext ctx;
    pb::Blob req, resp;
    Check(stub->Unary(&ctx, req, &resp), "Unary");
  });

  grpc::ClientContext pp_ctx;
  auto pp = stub->PingPong(&pp_ctx);
  pb::Blob ping, pong;
  ping.set_size(1);
  const double pingpong_us = PerCall(calls, rounds, [&] {
    if (!pp->Write(ping) || !pp->Read(&pong)) throw std::runtime_error("PingPong broke");
  });
  pp->WritesDone();
  Check(pp->Finish(), "PingPong");

  const int64_t chunk = int64_t{absl::GetFlag(FLAGS_chunk_kib)} << 10;
  const int64_t total = int64_t{absl::GetFlag(FLAGS_mib)} << 20;
  pb::Blob piece;
  piece.mutable_data()->assign(static_cast<size_t>(chunk), '\x33');
  auto up_down = [&] {
    grpc::ClientContext up_ctx;
    pb::Blob ack;
    auto writer = stub->Upload(&up_ctx, &ack);
    for (int64_t sent = 0; sent < total; sent += chunk) {
      if (!writer->Write(piece)) break;
    }
    writer->WritesDone();
    Check(writer->Finish(), "Upload");
    if (ack.size() < total) throw std::runtime_error("Upload lost bytes");
    grpc::ClientContext down_ctx;
    pb::Blob req, msg;
    req.set_size(total);
    req.set_chunk(chunk);
    auto reader = stub->Download(&down_ctx, req);
    int64_t got = 0;
    while (reader->Read(&msg)) got += static_cast<int64_t>(msg.data().size());
    Check(reader->Finish(), "Download");
    if (got != total) throw std::runtime_error("Download lost bytes");
  };
  const double bulk_us = PerCall(1, rounds, up_down);

  std::printf(
      "{\"address\": \"%s\", \"unary_us\": %.3f, \"pingpong_us\": %.3f, "
      "\"bulk_mib\": %d, \"chunk_kib\": %d, \"bulk_up_down_ms\": %.3f, \"bulk_gb_per_s\": %.4f}\n",
      address.c_str(), unary_us, pingpong_us, absl::GetFlag(FLAGS_mib),
      absl::GetFlag(FLAGS_chunk_kib), bulk_us / 1000, 2.0 * static_cast<double>(total) / (bulk_us * 1e3));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "the raw-gRPC anchor of bench/remote_vs_local.py:\n"
      "  grpc_echo --serve ADDR     run the echo server\n"
      "  grpc_echo --address ADDR   measure it (one JSON line)");
  absl::ParseCommandLine(argc, argv);
  const std::string serve = absl::GetFlag(FLAGS_serve);
  const std::string address = absl::GetFlag(FLAGS_address);
  if (serve.empty() == address.empty()) {
    std::cerr << "grpc_echo: give exactly one of --serve ADDR or --address ADDR (see --help)\n";
    return 2;
  }
  try {
    if (!serve.empty()) {
      // SIGTERM/SIGINT are taken by sigwait in Serve's stopper thread.
      sigset_t set;
      sigemptyset(&set);
      sigaddset(&set, SIGTERM);
      sigaddset(&set, SIGINT);
      pthread_sigmask(SIG_BLOCK, &set, nullptr);
      return Serve(serve);
    }
    return Measure(address);
  } catch (const std::exception& e) {
    std::cerr << "grpc_echo: " << e.what() << "\n";
    return 1;
  }
}
