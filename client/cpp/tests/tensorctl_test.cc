// Tests of the tensorctl binary against a real tensord process: exit codes,
// --json validity, --help.
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <gtest/gtest.h>

#include "server_suite.h"

#ifndef TENSORCTL_BIN
#error "TENSORCTL_BIN must name the tensorctl binary"
#endif

namespace tensord {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// Parses `text` as any JSON value; fails the test if it is not valid JSON.
google::protobuf::Value ParseJson(const std::string& text) {
  google::protobuf::Value value;
  auto status = google::protobuf::util::JsonStringToMessage(text, &value);
  EXPECT_TRUE(status.ok()) << status.ToString() << "\nin:\n" << text;
  return value;
}

const google::protobuf::Value& Field(const google::protobuf::Value& v, const std::string& key) {
  static const google::protobuf::Value kMissing;
  auto it = v.struct_value().fields().find(key);
  return it == v.struct_value().fields().end() ? kMissing : it->second;
}

class TensorctlTest : public testing::ServerSuite<TensorctlTest> {
 protected:
  static testing::RunResult Ctl(std::vector<std::string> args) {
    args.insert(args.begin(), TENSORCTL_BIN);
    return testing::Run(args, 60, {{"TENSORD_ADDRESS", server_->address()}});
  }

  static std::string DeadAddress() {
    return "127.0.0.1:" + std::to_string(testing::FreePort());
  }
};

TEST_F(TensorctlTest, HealthServingExitsZero) {
  auto r = Ctl({"health"});
  EXPECT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_EQ(r.out, "SERVING\n");
  auto named = Ctl({"health", "--service", "tensord.v1.Tensord"});
  EXPECT_EQ(named.exit_code, 0) << named.out << named.err;
}

TEST_F(TensorctlTest, HealthUnknownServiceExitsOne) {
  auto r = Ctl({"health", "--service=no.such.Service"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_EQ(r.out, "SERVICE_UNKNOWN\n");
}

TEST_F(TensorctlTest, HealthOfDeadPortExitsTwo) {
  std::string dead = DeadAddress();
  auto r = Ctl({"health", "--address", dead, "--timeout", "5"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
  EXPECT_EQ(r.out, "UNREACHABLE\n");
  EXPECT_THAT(r.err, HasSubstr(dead));

  auto j = Ctl({"--json", "health", "--address=" + dead});
  EXPECT_EQ(j.exit_code, 2);
  auto v = ParseJson(j.out);
  EXPECT_EQ(Field(v, "status").string_value(), "UNREACHABLE");
  EXPECT_EQ(Field(v, "code").string_value(), "UNAVAILABLE");
}

TEST_F(TensorctlTest, HealthJsonIsValid) {
  auto r = Ctl({"health", "--json"});
  EXPECT_EQ(r.exit_code, 0);
  auto v = ParseJson(r.out);
  EXPECT_EQ(Field(v, "status").string_value(), "SERVING");
  EXPECT_EQ(Field(v, "address").string_value(), server_->address());
}

TEST_F(TensorctlTest, InfoJsonHasVersionDevicesLimits) {
  auto r = Ctl({"info", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  auto v = ParseJson(r.out);
  EXPECT_FALSE(Field(v, "version").string_value().empty());
  ASSERT_GE(Field(v, "devices").list_value().values_size(), 1);
  EXPECT_EQ(Field(Field(v, "devices").list_value().values(0), "name").string_value(), "cpu");
  EXPECT_GT(Field(v, "num_ops").number_value(), 10);
  EXPECT_GT(Field(Field(v, "limits"), "max_sessions").number_value(), 0);

  auto text = Ctl({"info"});
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_THAT(text.out, StartsWith("tensord "));
  EXPECT_THAT(text.out, HasSubstr("devices:"));
  // This server offers no cuda device (none visible, or the backend does not
  // run ops yet): info says why, in both forms.
  EXPECT_FALSE(Field(v, "cuda_status").string_value().empty());
  EXPECT_THAT(text.out, HasSubstr("cuda"));
}

TEST_F(TensorctlTest, OpsListsTheRegistry) {
  auto r = Ctl({"ops", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto v = ParseJson(r.out);
  bool found = false;
  for (const auto& op : v.list_value().values()) {
    if (Field(op, "name").string_value() != "matmul") continue;
    found = true;
    EXPECT_EQ(Field(op, "num_outputs").number_value(), 1);
    EXPECT_TRUE(Field(op, "differentiable").bool_value());
  }
  EXPECT_TRUE(found);

  auto table = Ctl({"ops", "matmul", "sum"});
  EXPECT_EQ(table.exit_code, 0);
  EXPECT_THAT(table.out, HasSubstr("matmul"));
  EXPECT_THAT(table.out, HasSubstr("keepdim:bool=False"));

  auto missing = Ctl({"ops", "no_such_op"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("no_such_op"));
}

TEST_F(TensorctlTest, SessionsJsonIsValid) {
  auto r = Ctl({"sessions", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto v = ParseJson(r.out);
  EXPECT_TRUE(v.has_list_value()) << r.out;
  auto text = Ctl({"sessions"});
  EXPECT_EQ(text.exit_code, 0);
  EXPECT_THAT(text.out, HasSubstr("SESSION"));
}

TEST_F(TensorctlTest, EvalPrintsLikeTorch) {
  auto r = Ctl({"eval", "ones(2, 3) * 2 + 1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "tensor([[3., 3., 3.],\n        [3., 3., 3.]])\n");

  auto mm = Ctl({"eval", "a = tensor([[1., 2.], [3., 4.]]); a @ a.T"});
  ASSERT_EQ(mm.exit_code, 0) << mm.err;
  EXPECT_EQ(mm.out, "tensor([[ 5., 11.],\n        [11., 25.]])\n");

  auto grad = Ctl({"eval",
                   "x = tensor([1., 2.], requires_grad=True); (x * x).sum().backward(); x.grad"});
  ASSERT_EQ(grad.exit_code, 0) << grad.err;
  EXPECT_EQ(grad.out, "tensor([2., 4.])\n");

  auto reduce = Ctl({"eval", "arange(6).view(2, 3).sum(dim=1, keepdim=True).shape"});
  ASSERT_EQ(reduce.exit_code, 0) << reduce.err;
  EXPECT_EQ(reduce.out, "[2, 1]\n");
}

// JSON has no NaN or infinities: they are protobuf's strings, never null.
TEST_F(TensorctlTest, EvalJsonKeepsNonFiniteValues) {
  auto r = Ctl({"eval", "--json", "tensor([0., 1., -1., 2.5]) / tensor([0., 0., 0., 1.])"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, Not(HasSubstr("null")));
  auto data = Field(ParseJson(r.out), "data").list_value();
  ASSERT_EQ(data.values_size(), 4) << r.out;
  EXPECT_EQ(data.values(0).string_value(), "NaN");
  EXPECT_EQ(data.values(1).string_value(), "Infinity");
  EXPECT_EQ(data.values(2).string_value(), "-Infinity");
  EXPECT_EQ(data.values(3).number_value(), 2.5);
}

TEST_F(TensorctlTest, VersionAndInstance) {
  auto v = Ctl({"--version"});
  EXPECT_EQ(v.exit_code, 0) << v.err;
  EXPECT_THAT(v.out, StartsWith("tensorctl "));
  auto info = Ctl({"info", "--json"});
  ASSERT_EQ(info.exit_code, 0) << info.err;
  auto j = ParseJson(info.out);
  EXPECT_FALSE(Field(j, "instance").string_value().empty());
  EXPECT_THAT(Field(j, "instance_id").string_value(),
              StartsWith(Field(j, "instance").string_value() + "/"));
  EXPECT_THAT(Ctl({"info"}).out, HasSubstr("instance"));
}

TEST_F(TensorctlTest, EvalJsonAndErrors) {
  auto r = Ctl({"eval", "--json", "tensor([[1, 2], [3, 4]]).sum(dim=0)"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto v = ParseJson(r.out);
  EXPECT_EQ(Field(v, "dtype").string_value(), "int64");
  ASSERT_EQ(Field(v, "data").list_value().values_size(), 2);
  EXPECT_EQ(Field(v, "data").list_value().values(0).number_value(), 4);
  EXPECT_EQ(Field(v, "data").list_value().values(1).number_value(), 6);

  auto bad = Ctl({"eval", "ones(3, 2) @ ones(3, 2)"});
  EXPECT_EQ(bad.exit_code, 1);  // the server said no
  EXPECT_THAT(bad.err, HasSubstr("cannot be multiplied"));

  auto syntax = Ctl({"eval", "ones(2,"});
  EXPECT_EQ(syntax.exit_code, 2);  // malformed expression: usage error
}

// Counts non-overlapping occurrences of `needle`.
int Count(const std::string& hay, const std::string& needle) {
  int n = 0;
  for (size_t at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + needle.size())) ++n;
  return n;
}

constexpr char kGraphExpr[] =
    "w = ones(3, 2, requires_grad=True); b = zeros(4, 2, requires_grad=True); x = ones(4, 3); "
    "(x @ w + b).relu().sum()";

TEST_F(TensorctlTest, GraphPrintsTheAutogradGraphAsDot) {
  auto r = Ctl({"graph", kGraphExpr});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("digraph {\n"));
  // PyTorch's grad_fn names, one box each (torchviz's layout).
  for (const char* name : {"SumBackward0", "ReluBackward0", "AddBackward0", "MmBackward0"}) {
    EXPECT_EQ(Count(r.out, std::string("[label=\"") + name + "\"]"), 1) << name << "\n" << r.out;
  }
  EXPECT_EQ(Count(r.out, "[label=\"AccumulateGrad\"]"), 2) << r.out;
  // Leaves carry the names they were assigned to and their shapes; x needs no
  // gradient and is not drawn.
  EXPECT_THAT(r.out, HasSubstr("[label=\"w\\n (3, 2)\" fillcolor=\"lightblue\"]"));
  EXPECT_THAT(r.out, HasSubstr("[label=\"b\\n (4, 2)\" fillcolor=\"lightblue\"]"));
  EXPECT_THAT(r.out, HasSubstr("[label=\"\\n ()\" fillcolor=\"darkolivegreen1\"]"));
  // Edges: 2 leaf -> AccumulateGrad, 2 AccumulateGrad -> op, Mm -> Add,
  // Add -> Relu, Relu -> Sum, Sum -> output.
  EXPECT_EQ(Count(r.out, " -> "), 8) << r.out;

  auto saved = Ctl({"graph", "--saved", "--expr", kGraphExpr});
  ASSERT_EQ(saved.exit_code, 0) << saved.err;
  EXPECT_THAT(saved.out, HasSubstr("fillcolor=\"orange\""));
  EXPECT_THAT(saved.out, HasSubstr("[dir=\"none\"]"));

  auto attrs = Ctl({"graph", "--attrs", "x = ones(2, 3, requires_grad=True); x.sum(dim=1, keepdim=True)"});
  ASSERT_EQ(attrs.exit_code, 0) << attrs.err;
  EXPECT_THAT(attrs.out, HasSubstr("[label=\"SumBackward1\\n-------------\\ndim    : (1,)\\n"
                                   "dtype  : None\\nkeepdim: True\"]"));
  EXPECT_THAT(attrs.out, Not(HasSubstr("orange")));
}

TEST_F(TensorctlTest, GraphSvgJsonAndErrors) {
  auto svg = Ctl({"graph", "--svg", kGraphExpr});
  if (svg.exit_code == 2 && svg.err.find("needs Graphviz") != std::string::npos) {
    GTEST_SKIP() << "Graphviz's dot is not installed";
  }
  ASSERT_EQ(svg.exit_code, 0) << svg.err;
  EXPECT_THAT(svg.out, HasSubstr("<svg"));
  EXPECT_THAT(svg.out, HasSubstr("MmBackward0"));

  auto json = Ctl({"graph", "--json", kGraphExpr});
  ASSERT_EQ(json.exit_code, 0) << json.err;
  auto v = ParseJson(json.out);
  ASSERT_EQ(Field(v, "nodes").list_value().values_size(), 6) << json.out;
  EXPECT_EQ(Field(Field(v, "nodes").list_value().values(0), "name").string_value(), "SumBackward0");

  auto not_tensor = Ctl({"graph", "x = ones(2)"});
  EXPECT_EQ(not_tensor.exit_code, 2);
  EXPECT_THAT(not_tensor.err, HasSubstr("must be a tensor expression"));
  auto bad = Ctl({"graph", "ones(3, 2) @ ones(3, 2)"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err, HasSubstr("cannot be multiplied"));
  auto no_dot = testing::Run({TENSORCTL_BIN, "graph", "--svg", "ones(2).sum()"}, 60,
                             {{"TENSORD_ADDRESS", server_->address()}, {"PATH", "/nonexistent"}});
  EXPECT_EQ(no_dot.exit_code, 2);
  EXPECT_THAT(no_dot.err, HasSubstr("apt-get install graphviz"));
}

TEST_F(TensorctlTest, EvalUploadsAndDownloadsNpyAndSafetensorsFiles) {
  std::string dir = testing::MakeTempDir();
  auto out = Ctl({"eval", "arange(6.).view(2, 3) * 1.5", "-o", dir + "/x.npy"});
  ASSERT_EQ(out.exit_code, 0) << out.err;
  EXPECT_EQ(out.out, "");
  std::string npy = testing::ReadFile(dir + "/x.npy");
  ASSERT_GT(npy.size(), 24u);
  EXPECT_EQ(npy.substr(0, 8), std::string("\x93NUMPY\x01\x00", 8));
  EXPECT_THAT(npy, HasSubstr("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"));
  EXPECT_EQ((npy.size() - 24) % 64, 0u);  // data 64-byte aligned, 24 data bytes
  float last;
  std::memcpy(&last, npy.data() + npy.size() - 4, 4);
  EXPECT_EQ(last, 7.5f);

  auto back = Ctl({"eval", "x = load('" + dir + "/x.npy'); x.sum(dim=1)"});
  ASSERT_EQ(back.exit_code, 0) << back.err;
  EXPECT_EQ(back.out, "tensor([ 4.5000, 18.0000])\n");

  // safetensors keeps every dtype bit-exactly (bfloat16 has no .npy type).
  auto st = Ctl({"eval", "--json", "tensor([1.5, -2.25, 3.0], dtype=bfloat16)", "--output",
                 dir + "/b.safetensors"});
  ASSERT_EQ(st.exit_code, 0) << st.err;
  EXPECT_EQ(Field(ParseJson(st.out), "dtype").string_value(), "bfloat16");
  EXPECT_THAT(testing::ReadFile(dir + "/b.safetensors"),
              HasSubstr("\"result\":{\"dtype\":\"BF16\",\"shape\":[3]"));
  auto st_back = Ctl({"eval", "--json", "load('" + dir + "/b.safetensors', 'result') * 2"});
  ASSERT_EQ(st_back.exit_code, 0) << st_back.err;
  auto v = ParseJson(st_back.out);
  EXPECT_EQ(Field(v, "dtype").string_value(), "bfloat16");
  ASSERT_EQ(Field(v, "data").list_value().values_size(), 3);
  EXPECT_EQ(Field(v, "data").list_value().values(1).number_value(), -4.5);
  auto bf_npy = Ctl({"eval", "ones(2, dtype=bfloat16)", "-o", dir + "/b.npy"});
  EXPECT_EQ(bf_npy.exit_code, 2);
  EXPECT_THAT(bf_npy.err, HasSubstr("bfloat16 has no .npy type"));

  auto missing = Ctl({"eval", "load('" + dir + "/nope.npy')"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("nope.npy: cannot open it"));
  auto unnamed = Ctl({"eval", "load('" + dir + "/b.safetensors', 'other')"});
  EXPECT_EQ(unnamed.exit_code, 2);
  EXPECT_THAT(unnamed.err, HasSubstr("has no tensor 'other'"));
}

TEST_F(TensorctlTest, UploadThenDownloadThroughALiveSession) {
  std::string dir = testing::MakeTempDir();
  ASSERT_EQ(Ctl({"eval", "arange(3 * 1024 * 100, dtype=int32).view(3, -1)", "-o", dir + "/a.npy"})
                .exit_code,
            0);
  ASSERT_EQ(Ctl({"eval", "tensor([[1.5, 2.]], dtype=float16)", "-o", dir + "/h.safetensors"}).exit_code, 0);
  auto up = Ctl({"upload", dir + "/a.npy", "--json", "--ttl", "60"});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  auto v = ParseJson(up.out);
  std::string session = Field(v, "session_id").string_value();
  EXPECT_EQ(session.size(), 32u);
  EXPECT_EQ(Field(v, "handle").number_value(), 1);
  EXPECT_EQ(Field(v, "bytes").number_value(), 3 * 1024 * 100 * 4);  // 1.2 MB: two chunks
  // A second tensor into the same session, then both back out.
  auto up2 = Ctl({"upload", dir + "/h.safetensors", "--name", "result", "--session", session,
                  "--handle", "7"});
  ASSERT_EQ(up2.exit_code, 0) << up2.err;
  EXPECT_EQ(up2.out, "session " + session + " handle 7\n");
  auto down = Ctl({"download", "--session", session, "--handle", "1", dir + "/b.npy"});
  ASSERT_EQ(down.exit_code, 0) << down.err;
  EXPECT_EQ(testing::ReadFile(dir + "/b.npy"), testing::ReadFile(dir + "/a.npy"));
  auto down2 = Ctl({"download", "--session", session, "--handle", "7", "--name", "h",
                    dir + "/h2.safetensors"});
  ASSERT_EQ(down2.exit_code, 0) << down2.err;
  EXPECT_THAT(testing::ReadFile(dir + "/h2.safetensors"),
              HasSubstr("\"h\":{\"dtype\":\"F16\",\"shape\":[1,2]"));
  // Errors: an unknown handle (the server says no), a taken handle, usage.
  auto missing = Ctl({"download", "--session", session, "--handle", "99", dir + "/x.npy"});
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, HasSubstr("NOT_FOUND"));
  auto taken = Ctl({"upload", dir + "/a.npy", "--session", session, "--handle", "7"});
  EXPECT_EQ(taken.exit_code, 1);
  EXPECT_EQ(Ctl({"upload", dir + "/a.npy", "--session", session}).exit_code, 2);
  EXPECT_EQ(Ctl({"download", dir + "/x.npy"}).exit_code, 2);
  auto several = Ctl({"upload", dir + "/h2.safetensors", "--name", "nope"});
  EXPECT_EQ(several.exit_code, 2);
  EXPECT_THAT(several.err, HasSubstr("has no tensor 'nope'"));
}

TEST_F(TensorctlTest, TlsAndTokenFlags) {
  std::string dir = testing::MakeTempDir();
  if (!testing::MakeSelfSignedCert(dir)) GTEST_SKIP() << "no openssl CLI to make a certificate";
  {
    std::ofstream tokens(dir + "/tokens");
    tokens << "ops-team s3cret\n";
  }
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = testing::ReadFile(dir + "/cert.pem");
  testing::ServerProcess server;
  std::string error;
  ASSERT_TRUE(server.Start("", {"--tls-cert", dir + "/cert.pem", "--tls-key", dir + "/key.pem",
                                "--auth-tokens", dir + "/tokens"},
                           &error, grpc::SslCredentials(ssl), "s3cret"))
      << error;
  std::vector<std::string> tls = {"--address", server.address(), "--tls-ca", dir + "/cert.pem"};
  auto with = [&](std::vector<std::string> args) {
    args.insert(args.end(), tls.begin(), tls.end());
    return Ctl(args);
  };
  auto ok = with({"info", "--token", "s3cret", "--json"});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  auto no_token = with({"info"});
  EXPECT_EQ(no_token.exit_code, 1) << no_token.err;  // the server said UNAUTHENTICATED
  EXPECT_THAT(no_token.err, HasSubstr("UNAUTHENTICATED"));
  auto eval = with({"eval", "--token=s3cret", "ones(2).sum()"});
  EXPECT_EQ(eval.exit_code, 0) << eval.err;
  EXPECT_EQ(eval.out, "tensor(2.)\n");
  // Environment variables work as well as flags.
  auto env = testing::Run({TENSORCTL_BIN, "info"}, 60,
                          {{"TENSORD_ADDRESS", server.address()},
                           {"TENSORD_TLS_CA", dir + "/cert.pem"},
                           {"TENSORD_TOKEN", "s3cret"}});
  EXPECT_EQ(env.exit_code, 0) << env.err;
  auto bad_file = Ctl({"info", "--address", server.address(), "--tls-ca", dir + "/missing.pem"});
  EXPECT_EQ(bad_file.exit_code, 2);
  EXPECT_THAT(bad_file.err, HasSubstr("missing.pem"));
}

TEST_F(TensorctlTest, HelpExitsZeroEverywhere) {
  for (std::vector<std::string> args :
       std::vector<std::vector<std::string>>{{"--help"},
                                             {"-h"},
                                             {"help"},
                                             {"help", "ops"},
                                             {"health", "--help"},
                                             {"info", "--help"},
                                             {"ops", "-h"},
                                             {"sessions", "--help"},
                                             {"eval", "--help"},
                                             {"graph", "--help"},
                                             {"upload", "--help"},
                                             {"download", "--help"}}) {
    auto r = Ctl(args);
    EXPECT_EQ(r.exit_code, 0) << args[0];
    EXPECT_THAT(r.out, HasSubstr("Usage: tensorctl"));
  }
}

TEST_F(TensorctlTest, UsageErrorsExitTwo) {
  EXPECT_EQ(Ctl({}).exit_code, 2);
  EXPECT_EQ(Ctl({"frobnicate"}).exit_code, 2);
  EXPECT_EQ(Ctl({"info", "extra"}).exit_code, 2);
  EXPECT_EQ(Ctl({"health", "--address"}).exit_code, 2);
  EXPECT_EQ(Ctl({"health", "--timeout", "abc"}).exit_code, 2);
  auto r = Ctl({"info", "--address", DeadAddress()});
  EXPECT_EQ(r.exit_code, 2);  // unreachable
}

}  // namespace
}  // namespace tensord
