// Side-by-side benchmark (not a test; see bench/README.md):
//   1. per-op round-trip latency through the C++ client -- unary Op RPC, one
//      op + sync on the Stream, and N pipelined ops + one sync -- against the
//      raw gRPC floor (ServerInfo unary calls) measured in the same run;
//   2. a 1024x1024 float32 matmul on the server against cblas_sgemm in this
//      process.
// Every figure is reported as a ratio to its anchor from the same run.
#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "tensord/optim.h"
#include "tensord/tensord.h"
#include "tensord/v1/tensord.grpc.pb.h"
#include "test_util.h"

namespace {

namespace v1 = ::tensord::v1;
using Clock = std::chrono::steady_clock;

constexpr char kHelp[] = R"(Usage: op_latency [OPTIONS]

Per-op latency of tensord through the C++ client against the raw gRPC floor,
and a 1024x1024 float32 matmul on the server against cblas_sgemm here.

Options:
  --address ADDR   benchmark a running server (HOST:PORT or unix:PATH);
                   default: start this build's tensord on a free port
  --server PATH    the tensord binary to start (default: this build's)
  --calls N        calls per latency figure (default 5000)
  --pipeline N     ops per pipelined batch (default 1000)
  --rounds N       rounds per figure; medians are taken over rounds (default 5)
  --matmul N       matrix size (default 1024; 0 skips the matmul part)
  --bulk MIB       MiB uploaded and fetched back by the bulk figure
                   (default 64; 0 skips it)
  --json           one JSON object on stdout instead of the table
  -h, --help       show this help
)";

struct Options {
  std::string address;
  std::string server;
  int calls = 5000;
  int pipeline = 1000;
  int rounds = 5;
  int matmul = 1024;
  int bulk_mib = 64;
  bool json = false;
};

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5));
  return v[i];
}

double Micros(Clock::duration d) {
  return std::chrono::duration<double, std::micro>(d).count();
}

// One figure: per-call latencies of each round (µs).
struct Figure {
  std::string name;
  std::string unit = "us";
  std::vector<double> round_medians;
  std::vector<double> all;  // every sample, for p90
  double median() const { return Median(round_medians); }
  double p90() const { return Percentile(all, 0.9); }
  double min_round() const { return *std::min_element(round_medians.begin(), round_medians.end()); }
  double max_round() const { return *std::max_element(round_medians.begin(), round_medians.end()); }
};

// Runs `call` `calls` times per round (after calls/10 warm-up calls).
Figure MeasureCalls(const std::string& name, const Options& o, const std::function<void()>& call,
                    const std::function<void()>& between_rounds = {}) {
  Figure f;
  f.name = name;
  for (int i = 0; i < std::max(10, o.calls / 10); ++i) call();
  if (between_rounds) between_rounds();
  for (int r = 0; r < o.rounds; ++r) {
    std::vector<double> samples;
    samples.reserve(o.calls);
    for (int i = 0; i < o.calls; ++i) {
      auto t0 = Clock::now();
      call();
      samples.push_back(Micros(Clock::now() - t0));
    }
    if (between_rounds) between_rounds();
    f.round_medians.push_back(Median(samples));
    f.all.insert(f.all.end(), samples.begin(), samples.end());
  }
  return f;
}

std::string Fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

int Main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << "op_latency: " << a << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "-h" || a == "--help") {
      std::cout << kHelp;
      return 0;
    } else if (a == "--address") {
      o.address = next();
    } else if (a == "--server") {
      o.server = next();
    } else if (a == "--calls") {
      o.calls = std::max(1, std::atoi(next().c_str()));
    } else if (a == "--pipeline") {
      o.pipeline = std::max(1, std::atoi(next().c_str()));
    } else if (a == "--rounds") {
      o.rounds = std::max(1, std::atoi(next().c_str()));
    } else if (a == "--matmul") {
      o.matmul = std::max(0, std::atoi(next().c_str()));
    } else if (a == "--bulk") {
      o.bulk_mib = std::max(0, std::atoi(next().c_str()));
    } else if (a == "--json") {
      o.json = true;
    } else {
      std::cerr << "op_latency: unknown argument '" << a << "'\n\n" << kHelp;
      return 2;
    }
  }

  std::unique_ptr<tensord::testing::ServerProcess> server;
  if (o.address.empty()) {
    if (!o.server.empty()) ::setenv("TENSORD_BIN", o.server.c_str(), 1);
    server = std::make_unique<tensord::testing::ServerProcess>();
    std::string error;
    if (!server->Start("", {}, &error)) {
      std::cerr << "op_latency: " << error << "\n";
      return 2;
    }
    o.address = server->address();
  }

  tensord::Client client(o.address);
  auto channel = grpc::CreateChannel(o.address, grpc::InsecureChannelCredentials());
  auto stub = v1::Tensord::NewStub(channel);
  const std::string& sid = client.session_id();
  auto context = [&](grpc::ClientContext* ctx) { ctx->AddMetadata("tensord-session-id", sid); };

  std::vector<Figure> figures;

  // (a) The floor: the cheapest unary RPC the server has.
  figures.push_back(MeasureCalls("gRPC floor: ServerInfo unary", o, [&] {
    grpc::ClientContext ctx;
    v1::ServerInfoResponse resp;
    if (!stub->ServerInfo(&ctx, v1::Empty(), &resp).ok()) throw std::runtime_error("ServerInfo failed");
  }));

  // Operands: two one-element float32 tensors.
  auto a = client.Tensor(std::vector<float>{1.0f});
  auto b = client.Tensor(std::vector<float>{2.0f});
  client.Synchronize();

  // (b) Unary Op RPC: c = a + b, one call per op. Outputs use a handle range
  // far from the client's own counter and are released between rounds.
  uint64_t next_handle = uint64_t{1} << 48;
  std::vector<uint64_t> bound;
  auto release_bound = [&] {
    v1::ReleaseRequest req;
    req.set_session_id(sid);
    for (uint64_t h : bound) req.add_handles(h);
    grpc::ClientContext ctx;
    context(&ctx);
    v1::Empty empty;
    stub->Release(&ctx, req, &empty);
    bound.clear();
  };
  figures.push_back(MeasureCalls("Op RPC (unary), add", o, [&] {
    v1::OpRequest req;
    req.set_session_id(sid);
    v1::OpCommand* op = req.mutable_op();
    op->set_op("add");
    op->add_inputs()->set_handle(a.handle());
    op->add_inputs()->set_handle(b.handle());
    uint64_t h = next_handle++;
    op->add_outputs(h);
    bound.push_back(h);
    grpc::ClientContext ctx;
    context(&ctx);
    v1::Empty empty;
    grpc::Status s = stub->Op(&ctx, req, &empty);
    if (!s.ok()) throw std::runtime_error("Op failed: " + s.error_message());
  }, release_bound));
  release_bound();

  // (c) Stream, one op and one sync per op (what a client pays when every
  // op is followed by a sync point).
  figures.push_back(MeasureCalls("Stream: add + Synchronize each", o, [&] {
    auto c = a + b;
    client.Synchronize();
  }, [&] { client.Synchronize(); }));

  // (d) Stream, pipelined: N ops, then one sync; per-op cost.
  {
    Figure f;
    f.name = "Stream: " + std::to_string(o.pipeline) + " adds + 1 Synchronize, per op";
    std::vector<tensord::Tensor> keep;
    keep.reserve(o.pipeline);
    int batches = std::max(3, o.calls / o.pipeline);
    for (int r = -1; r < o.rounds; ++r) {  // round -1 warms up
      std::vector<double> per_op;
      for (int k = 0; k < batches; ++k) {
        auto t0 = Clock::now();
        for (int i = 0; i < o.pipeline; ++i) keep.push_back(a + b);
        client.Synchronize();
        double us = Micros(Clock::now() - t0) / o.pipeline;
        keep.clear();
        client.Synchronize();  // send the releases outside the timed region
        per_op.push_back(us);
      }
      if (r < 0) continue;
      f.round_medians.push_back(Median(per_op));
      f.all.insert(f.all.end(), per_op.begin(), per_op.end());
    }
    figures.push_back(f);
  }

  // (d2) The seed tutorial's loop: Adam on sin(log(x^2 + 1)) reading three
  // values per step (x, y, x.grad), as its print line does; per iteration.
  // Measured with the client's prefetch of small values (the default) and
  // without it (Note [Prefetched values]): one round trip per step vs three.
  for (uint32_t prefetch : {16u, 0u}) {
    tensord::Client::Options copts;
    copts.address = o.address;
    copts.prefetch_max_elements = prefetch;
    tensord::Client seed_client(copts);
    Figure f;
    f.name = prefetch ? "seed loop: Adam step + 3 Item(), per iter"
                      : "seed loop, prefetch off (3 round trips)";
    auto x = seed_client.Tensor(std::vector<float>{1.0f}, {1}, {.requires_grad = true});
    tensord::optim::Adam opt({x}, {.lr = 0.1});
    auto step = [&] {
      opt.ZeroGrad();
      auto y = (x * x + 1.0).Log().Sin();
      auto loss = y * y;
      y.Backward();
      volatile float sink = x.Item<float>() + y.Item<float>() + x.Grad().Item<float>();
      (void)sink;
      opt.Step();
    };
    const int iters = 200;
    for (int r = -1; r < o.rounds; ++r) {  // round -1 warms up
      auto t0 = Clock::now();
      for (int i = 0; i < iters; ++i) step();
      double us = Micros(Clock::now() - t0) / iters;
      if (r < 0) continue;
      f.round_medians.push_back(us);
      f.all.push_back(us);
    }
    figures.push_back(f);
  }

  // (e) Matmul n x n float32: server vs cblas_sgemm in this process.
  std::vector<Figure> mm;
  if (o.matmul > 0) {
    const int n = o.matmul;
    std::vector<float> ha(static_cast<size_t>(n) * n), hb(ha.size()), hc(ha.size());
    for (size_t i = 0; i < ha.size(); ++i) {
      ha[i] = static_cast<float>((i * 7919) % 1000) / 1000.0f - 0.5f;
      hb[i] = static_cast<float>((i * 104729) % 1000) / 1000.0f - 0.5f;
    }
    int reps = std::max(3, 2 * o.rounds);
    auto direct = [&] {
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, ha.data(), n,
                  hb.data(), n, 0.0f, hc.data(), n);
    };
    auto ta = client.Tensor(ha, {n, n});
    auto tb = client.Tensor(hb, {n, n});
    client.Synchronize();
    auto remote = [&] {
      auto c = ta.Matmul(tb);
      client.Synchronize();
    };
    auto remote_fetch = [&] {
      auto c = ta.Matmul(tb);
      std::vector<float> out = c.ToVector<float>();
      if (out.size() != hc.size()) throw std::runtime_error("bad matmul result size");
    };
    auto time_it = [&](const std::string& name, const std::function<void()>& fn) {
      Figure f;
      f.name = name;
      f.unit = "ms";
      fn();  // warm-up
      for (int r = 0; r < reps; ++r) {
        auto t0 = Clock::now();
        fn();
        double ms = Micros(Clock::now() - t0) / 1000;
        f.round_medians.push_back(ms);
        f.all.push_back(ms);
      }
      return f;
    };
    // Interleave so that drift affects all three alike.
    Figure fd = time_it("direct cblas_sgemm (this process)", direct);
    Figure fr = time_it("remote matmul + Synchronize", remote);
    Figure ff = time_it("remote matmul + fetch of the result", remote_fetch);
    auto resident = ta.Matmul(tb);
    client.Synchronize();
    Figure fx = time_it("fetch of a resident n x n result", [&] {
      if (resident.ToVector<float>().size() != hc.size()) throw std::runtime_error("bad fetch size");
    });
    // Check the remote result against the local one.
    std::vector<float> got = ta.Matmul(tb).ToVector<float>();
    direct();
    double max_err = 0;
    for (size_t i = 0; i < got.size(); ++i) {
      max_err = std::max(max_err, static_cast<double>(std::abs(got[i] - hc[i])));
    }
    if (max_err > 1e-2) {
      std::cerr << "op_latency: remote matmul differs from cblas_sgemm by " << max_err << "\n";
      return 1;
    }
    mm = {fd, fr, ff, fx};
  }

  // (f) Bulk bytes: upload N MiB of float32 from this process and fetch them
  // back (the chunked Upload and Fetch RPCs), best of the rounds.
  std::optional<Figure> bulk;
  if (o.bulk_mib > 0) {
    std::vector<float> host(static_cast<size_t>(o.bulk_mib) << 18);
    for (size_t i = 0; i < host.size(); ++i) host[i] = static_cast<float>(i % 1000);
    Figure f;
    f.name = std::to_string(o.bulk_mib) + " MiB up + down";
    f.unit = "ms";
    for (int r = -1; r < o.rounds; ++r) {
      auto t0 = Clock::now();
      auto t = client.Tensor(host, {static_cast<int64_t>(host.size())});
      std::vector<float> back = t.ToVector<float>();
      double ms = Micros(Clock::now() - t0) / 1000;
      if (back.size() != host.size() || back.back() != host.back()) {
        throw std::runtime_error("bulk round trip changed the data");
      }
      if (r < 0) continue;
      f.round_medians.push_back(ms);
      f.all.push_back(ms);
    }
    bulk = f;
  }
  auto bulk_gbps = [&] { return 2.0 * (double(o.bulk_mib) * (1 << 20)) / (bulk->median() * 1e6); };

  const char* coretype = std::getenv("OPENBLAS_CORETYPE");
  double floor = figures[0].median();
  if (o.json) {
    std::cout << "{\n  \"address\": \"" << o.address << "\",\n";
    std::cout << "  \"openblas_coretype\": \"" << (coretype ? coretype : "") << "\",\n";
    std::cout << "  \"client_blas_threads\": " << openblas_get_num_threads() << ",\n";
    std::cout << "  \"latency\": [\n";
    for (size_t i = 0; i < figures.size(); ++i) {
      const Figure& f = figures[i];
      std::cout << "    {\"name\": \"" << f.name << "\", \"median_us\": " << f.median()
                << ", \"p90_us\": " << f.p90() << ", \"min_round_us\": " << f.min_round()
                << ", \"max_round_us\": " << f.max_round()
                << ", \"ratio_to_floor\": " << f.median() / floor << "}"
                << (i + 1 < figures.size() ? "," : "") << "\n";
    }
    std::cout << "  ],\n  \"matmul\": [\n";
    for (size_t i = 0; i < mm.size(); ++i) {
      std::cout << "    {\"name\": \"" << mm[i].name << "\", \"n\": " << o.matmul
                << ", \"median_ms\": " << mm[i].median()
                << ", \"ratio_to_direct\": " << mm[i].median() / mm[0].median() << "}"
                << (i + 1 < mm.size() ? "," : "") << "\n";
    }
    std::cout << "  ]";
    if (bulk) {
      std::cout << ",\n  \"bulk\": {\"name\": \"" << bulk->name << "\", \"mib\": " << o.bulk_mib
                << ", \"median_ms\": " << bulk->median() << ", \"gb_per_s\": " << bulk_gbps() << "}";
    }
    std::cout << "\n}\n";
    return 0;
  }

  std::cout << "tensord op latency at " << o.address << " (" << o.rounds << " rounds; median of round medians, min-max of rounds)\n";
  std::cout << "OPENBLAS_CORETYPE=" << (coretype ? coretype : "(unset)")
            << ", client OpenBLAS threads " << openblas_get_num_threads() << "\n\n";
  std::printf("%-48s %12s %18s %9s %8s\n", "per-op latency", "median us", "rounds min-max", "p90 us",
              "x floor");
  for (const Figure& f : figures) {
    std::printf("%-48s %12s %18s %9s %8s\n", f.name.c_str(), Fixed(f.median(), 2).c_str(),
                (Fixed(f.min_round(), 2) + "-" + Fixed(f.max_round(), 2)).c_str(),
                Fixed(f.p90(), 2).c_str(), Fixed(f.median() / floor, 2).c_str());
  }
  if (!mm.empty()) {
    double gflop = 2.0 * o.matmul * o.matmul * static_cast<double>(o.matmul) / 1e9;
    std::printf("\n%-48s %12s %18s %9s %8s\n",
                ("matmul " + std::to_string(o.matmul) + "x" + std::to_string(o.matmul) + " float32").c_str(),
                "median ms", "rounds min-max", "GFLOP/s", "x direct");
    for (const Figure& f : mm) {
      std::printf("%-48s %12s %18s %9s %8s\n", f.name.c_str(), Fixed(f.median(), 2).c_str(),
                  (Fixed(f.min_round(), 2) + "-" + Fixed(f.max_round(), 2)).c_str(),
                  Fixed(gflop / (f.median() / 1000), 1).c_str(),
                  Fixed(f.median() / mm[0].median(), 2).c_str());
    }
  }
  if (bulk) {
    std::printf("\n%-48s %12s %18s %9s\n", "bulk transfer", "median ms", "rounds min-max", "GB/s");
    std::printf("%-48s %12s %18s %9s\n", bulk->name.c_str(), Fixed(bulk->median(), 2).c_str(),
                (Fixed(bulk->min_round(), 2) + "-" + Fixed(bulk->max_round(), 2)).c_str(),
                Fixed(bulk_gbps(), 3).c_str());
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Main(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "op_latency: " << e.what() << "\n";
    return 1;
  }
}
