// End-to-end tests of the C++ client against a real tensord process.
#include <signal.h>

#include <chrono>
#include <cmath>
#include <future>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tensord/tensord.h"
#include "client_suite.h"

namespace tensord {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::Pointwise;
using ::testing::FloatNear;
using ::testing::DoubleNear;

class ClientTest : public testing::ClientSuite<ClientTest> {
 protected:
  // Bound handles of the session, as the server counts them.
  int64_t ServerTensorCount() { return client().Session().tensors; }
};

std::vector<float> F(std::initializer_list<float> v) { return v; }

// ------------------------------------------------------------------ arithmetic

TEST_F(ClientTest, ArithmeticBroadcastsLikeTorch) {
  auto a = client().Tensor(F({1, 2, 3, 4, 5, 6}), {2, 3});
  auto b = client().Tensor(F({10, 20, 30}), {3});
  EXPECT_THAT((a + b).ToVector<float>(), ElementsAre(11, 22, 33, 14, 25, 36));
  EXPECT_THAT((a - b).ToVector<float>(), ElementsAre(-9, -18, -27, -6, -15, -24));
  EXPECT_THAT((a * b).ToVector<float>(), ElementsAre(10, 40, 90, 40, 100, 180));
  EXPECT_THAT((b / a).ToVector<float>(), Pointwise(FloatNear(1e-5), F({10, 10, 10, 2.5, 4, 5})));
  EXPECT_THAT((a + b).Shape(), ElementsAre(2, 3));

  // A column [2, 1] against a row [3] broadcasts to [2, 3].
  auto col = client().Tensor(F({1, 2}), {2, 1});
  auto row = client().Tensor(F({10, 20, 30}), {3});
  auto outer = col * row;
  EXPECT_THAT(outer.Shape(), ElementsAre(2, 3));
  EXPECT_THAT(outer.ToVector<float>(), ElementsAre(10, 20, 30, 20, 40, 60));
}

TEST_F(ClientTest, ScalarsOnEitherSide) {
  auto a = client().Tensor(F({1, 2, 4}), {3});
  EXPECT_THAT((a + 1).ToVector<float>(), ElementsAre(2, 3, 5));
  EXPECT_THAT((1.5 + a).ToVector<float>(), ElementsAre(2.5, 3.5, 5.5));
  EXPECT_THAT((10 - a).ToVector<float>(), ElementsAre(9, 8, 6));
  EXPECT_THAT((a - 1).ToVector<float>(), ElementsAre(0, 1, 3));
  EXPECT_THAT((a * 2).ToVector<float>(), ElementsAre(2, 4, 8));
  EXPECT_THAT((3 * a).ToVector<float>(), ElementsAre(3, 6, 12));
  EXPECT_THAT((a / 2).ToVector<float>(), ElementsAre(0.5, 1, 2));
  EXPECT_THAT((8.0 / a).ToVector<float>(), ElementsAre(8, 4, 2));
  EXPECT_THAT((-a).ToVector<float>(), ElementsAre(-1, -2, -4));
  EXPECT_THAT(a.Pow(2).ToVector<float>(), ElementsAre(1, 4, 16));
  EXPECT_THAT(Pow(2, a).ToVector<float>(), ElementsAre(2, 4, 16));
  EXPECT_THAT(a.Add(a, 3).ToVector<float>(), ElementsAre(4, 8, 16));  // alpha
}

TEST_F(ClientTest, PythonNumberKindsDrivePromotion) {
  auto i = client().Tensor(std::vector<int64_t>{1, 2, 3});
  EXPECT_EQ(i.DType(), DType::kInt64);
  EXPECT_EQ((i * 2).DType(), DType::kInt64);
  auto f = i * 2.5;
  EXPECT_EQ(f.DType(), DType::kFloat32);
  EXPECT_THAT(f.ToVector<float>(), ElementsAre(2.5, 5, 7.5));
  auto d = client().Tensor(std::vector<double>{1, 2});
  EXPECT_EQ((d + 1.0f).DType(), DType::kFloat64);
  // True division of integers gives float (torch.div).
  EXPECT_EQ((i / 2).DType(), DType::kFloat32);
}

TEST_F(ClientTest, UnaryMathMatchesStd) {
  std::vector<float> x = {-1.5f, -0.25f, 0.5f, 2.0f};
  auto t = client().Tensor(x);
  auto check = [&](const Tensor& got, float (*fn)(float)) {
    std::vector<float> expected;
    for (float v : x) expected.push_back(fn(v));
    EXPECT_THAT(got.ToVector<float>(), Pointwise(FloatNear(1e-5), expected));
  };
  check(t.Exp(), [](float v) { return std::exp(v); });
  check(t.Sin(), [](float v) { return std::sin(v); });
  check(t.Cos(), [](float v) { return std::cos(v); });
  check(t.Relu(), [](float v) { return v > 0 ? v : 0.0f; });
  check(t.Sigmoid(), [](float v) { return 1.0f / (1.0f + std::exp(-v)); });
  check(t.Neg(), [](float v) { return -v; });
  check(Exp(t).Log(), [](float v) { return v; });
}

// ------------------------------------------------------------------ linalg

TEST_F(ClientTest, MatmulMatchesReference) {
  // [2, 3] @ [3, 2]
  auto a = client().Tensor(F({1, 2, 3, 4, 5, 6}), {2, 3});
  auto b = client().Tensor(F({7, 8, 9, 10, 11, 12}), {3, 2});
  auto c = a.Matmul(b);
  EXPECT_THAT(c.Shape(), ElementsAre(2, 2));
  EXPECT_THAT(c.ToVector<float>(), ElementsAre(58, 64, 139, 154));
  EXPECT_THAT(Mm(a, b).ToVector<float>(), ElementsAre(58, 64, 139, 154));
  // Transposed views: (b^T @ a^T) = (a @ b)^T.
  EXPECT_THAT(b.T().Matmul(a.T()).ToVector<float>(), ElementsAre(58, 139, 64, 154));

  auto v = client().Tensor(F({1, 0, -1}));
  EXPECT_THAT(a.Mv(v).ToVector<float>(), ElementsAre(-2, -2));
  EXPECT_THAT(Matmul(a, v).ToVector<float>(), ElementsAre(-2, -2));
  EXPECT_FLOAT_EQ(v.Dot(client().Tensor(F({3, 4, 5}))).Item<float>(), -2);

  auto batch = client().Tensor(F({1, 2, 3, 4, 5, 6, 7, 8}), {2, 2, 2});
  auto eye = client().Tensor(F({1, 0, 0, 1, 0, 1, 1, 0}), {2, 2, 2});
  EXPECT_THAT(batch.Bmm(eye).ToVector<float>(), ElementsAre(1, 2, 3, 4, 6, 5, 8, 7));
}

TEST_F(ClientTest, LargerMatmulAgreesWithNaiveProduct) {
  const int n = 48, k = 33, m = 21;
  std::vector<double> a(n * k), b(k * m);
  for (int i = 0; i < n * k; ++i) a[i] = std::sin(0.1 * i);
  for (int i = 0; i < k * m; ++i) b[i] = std::cos(0.07 * i);
  std::vector<double> expected(n * m, 0.0);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < m; ++j)
      for (int p = 0; p < k; ++p) expected[i * m + j] += a[i * k + p] * b[p * m + j];
  auto c = client().Tensor(a, {n, k}).Matmul(client().Tensor(b, {k, m}));
  EXPECT_EQ(c.DType(), DType::kFloat64);
  EXPECT_THAT(c.ToVector<double>(), Pointwise(DoubleNear(1e-9), expected));
}

// ------------------------------------------------------------------ reductions, views

TEST_F(ClientTest, ReductionsWithDimsAndKeepdim) {
  auto a = client().Tensor(F({1, 2, 3, 4, 5, 6}), {2, 3});
  EXPECT_FLOAT_EQ(a.Sum().Item<float>(), 21);
  EXPECT_FLOAT_EQ(a.Mean().Item<float>(), 3.5);
  EXPECT_THAT(a.Sum({0}).ToVector<float>(), ElementsAre(5, 7, 9));
  auto keep = a.Sum({1}, /*keepdim=*/true);
  EXPECT_THAT(keep.Shape(), ElementsAre(2, 1));
  EXPECT_THAT(keep.ToVector<float>(), ElementsAre(6, 15));
  EXPECT_THAT(a.Mean({-1}).ToVector<float>(), ElementsAre(2, 5));
  EXPECT_THAT(Sum(a, {0, 1}).Shape(), ElementsAre());
}

TEST_F(ClientTest, ViewsAndShapeOps) {
  auto a = client().Arange(6, {.dtype = DType::kFloat32});
  EXPECT_THAT(a.ToVector<float>(), ElementsAre(0, 1, 2, 3, 4, 5));
  auto m = a.View({2, 3});
  EXPECT_THAT(m.Shape(), ElementsAre(2, 3));
  EXPECT_EQ(m.Info().storage_id, a.Info().storage_id);  // a view shares storage
  auto t = m.Transpose(0, 1);
  EXPECT_THAT(t.Shape(), ElementsAre(3, 2));
  EXPECT_FALSE(t.Info().is_contiguous);
  EXPECT_THAT(t.ToVector<float>(), ElementsAre(0, 3, 1, 4, 2, 5));
  EXPECT_TRUE(t.Contiguous().Info().is_contiguous);
  EXPECT_THAT(m.Reshape({3, 2}).ToVector<float>(), ElementsAre(0, 1, 2, 3, 4, 5));
  EXPECT_THAT(m.Permute({1, 0}).Shape(), ElementsAre(3, 2));
  auto u = m.Unsqueeze(0);
  EXPECT_THAT(u.Shape(), ElementsAre(1, 2, 3));
  EXPECT_THAT(u.Squeeze().Shape(), ElementsAre(2, 3));
  EXPECT_THAT(u.Squeeze({0}).Shape(), ElementsAre(2, 3));
  auto e = client().Tensor(F({1, 2}), {2, 1}).Expand({2, 3});
  EXPECT_THAT(e.ToVector<float>(), ElementsAre(1, 1, 1, 2, 2, 2));
  auto c = m.Clone();
  EXPECT_NE(c.Info().storage_id, m.Info().storage_id);
  EXPECT_EQ(m.To(DType::kFloat64).DType(), DType::kFloat64);
  EXPECT_EQ(m.Dim(), 2);
  EXPECT_EQ(m.Numel(), 6);
  EXPECT_EQ(m.Size(-1), 3);
  EXPECT_EQ(m.Device(), "cpu");
}

TEST_F(ClientTest, ToVectorConvertsElementTypes) {
  auto f = client().Tensor(F({1.75f, -2.5f, 3.0f}));
  EXPECT_THAT(f.ToVector<double>(), ElementsAre(1.75, -2.5, 3.0));
  EXPECT_THAT(f.ToVector<int64_t>(), ElementsAre(1, -2, 3));
  auto h = f.To(DType::kFloat16);
  EXPECT_EQ(h.DType(), DType::kFloat16);
  EXPECT_THAT(h.ToVector<float>(), ElementsAre(1.75f, -2.5f, 3.0f));
  auto bf = f.To(DType::kBFloat16);
  EXPECT_THAT(bf.ToVector<float>(), ElementsAre(1.75f, -2.5f, 3.0f));
  auto b = client().Tensor(std::vector<bool>{true, false, true});
  EXPECT_EQ(b.DType(), DType::kBool);
  EXPECT_THAT(b.ToVector<bool>(), ElementsAre(true, false, true));
  EXPECT_THAT(client().Tensor({1, 2, 3}, {3}).ToVector<int32_t>(), ElementsAre(1, 2, 3));
}

TEST_F(ClientTest, FactoriesAndSeed) {
  EXPECT_THAT(client().Zeros({2, 2}).ToVector<float>(), ElementsAre(0, 0, 0, 0));
  EXPECT_THAT(client().Ones({3}, {.dtype = DType::kInt64}).ToVector<int64_t>(), ElementsAre(1, 1, 1));
  EXPECT_EQ(client().Ones({3}, {.dtype = DType::kInt64}).DType(), DType::kInt64);
  EXPECT_THAT(client().Full({2}, 7.5).ToVector<float>(), ElementsAre(7.5, 7.5));
  EXPECT_EQ(client().Full({2}, 7).DType(), DType::kInt64);
  EXPECT_THAT(client().Arange(1, 2, 0.25).ToVector<float>(), ElementsAre(1, 1.25, 1.5, 1.75));
  EXPECT_EQ(client().Arange(5).DType(), DType::kInt64);

  client().ManualSeed(1234);
  std::vector<float> first = client().Randn({16}).ToVector<float>();
  client().ManualSeed(1234);
  std::vector<float> second = client().Randn({16}).ToVector<float>();
  EXPECT_EQ(first, second);
  std::vector<float> third = client().Randn({16}).ToVector<float>();
  EXPECT_NE(first, third);

  for (float v : client().Rand({1000}).ToVector<float>()) {
    ASSERT_GE(v, 0.0f);
    ASSERT_LT(v, 1.0f);
  }
  auto r = client().Randint(3, 7, {500});
  EXPECT_EQ(r.DType(), DType::kInt64);
  std::vector<int64_t> values = r.ToVector<int64_t>();
  for (int64_t v : values) {
    ASSERT_GE(v, 3);
    ASSERT_LT(v, 7);
  }
  EXPECT_NE(std::count(values.begin(), values.end(), 3), 0);
  EXPECT_NE(std::count(values.begin(), values.end(), 6), 0);
}

// ------------------------------------------------------------------ autograd

TEST_F(ClientTest, AutogradComputesGrads) {
  auto x = client().Tensor(F({1, 2, 3}), {3}, {.requires_grad = true});
  EXPECT_TRUE(x.RequiresGrad());
  EXPECT_TRUE(x.IsLeaf());
  EXPECT_FALSE(x.Grad().defined());

  auto y = (x * x + 3 * x).Sum();  // dy/dx = 2x + 3
  EXPECT_FALSE(y.IsLeaf());
  EXPECT_EQ(y.GradFn(), "SumBackward0");
  EXPECT_EQ((x * x).GradFn(), "MulBackward0");
  y.Backward();
  Tensor g = x.Grad();
  ASSERT_TRUE(g.defined());
  EXPECT_THAT(g.ToVector<float>(), ElementsAre(5, 7, 9));

  // Gradients accumulate into .grad.
  (x * 10).Sum().Backward();
  EXPECT_THAT(x.Grad().ToVector<float>(), ElementsAre(15, 17, 19));
}

TEST_F(ClientTest, MatmulAndBroadcastGrads) {
  // loss = sum(x @ w + b): dL/dw = x^T @ 1, dL/db = column count of rows.
  auto x = client().Tensor(F({1, 2, 3, 4}), {2, 2});
  auto w = client().Tensor(F({1, 0, 0, 1}), {2, 2}, {.requires_grad = true});
  auto b = client().Zeros({2}, {.requires_grad = true});
  auto loss = (x.Matmul(w) + b).Sum();
  loss.Backward();
  EXPECT_THAT(w.Grad().ToVector<float>(), ElementsAre(4, 4, 6, 6));
  EXPECT_THAT(b.Grad().ToVector<float>(), ElementsAre(2, 2));
  EXPECT_THAT(b.Grad().Shape(), ElementsAre(2));
}

TEST_F(ClientTest, ExplicitGradientForNonScalarRoot) {
  auto x = client().Tensor(F({1, 2}), {2}, {.requires_grad = true});
  auto y = x.Sin();
  y.Backward(client().Tensor(F({1, 10})));
  EXPECT_THAT(x.Grad().ToVector<float>(),
              Pointwise(FloatNear(1e-5), F({std::cos(1.0f), 10 * std::cos(2.0f)})));
}

TEST_F(ClientTest, RequiresGradInPlaceAndDetach) {
  auto x = client().Tensor(F({2, 3}));
  EXPECT_FALSE(x.RequiresGrad());
  x.RequiresGrad_();
  EXPECT_TRUE(x.RequiresGrad());
  auto d = (x * 2).Detach();
  EXPECT_FALSE(d.RequiresGrad());
  EXPECT_EQ(d.GradFn(), "");
  (x * x).Sum().Backward();
  EXPECT_THAT(x.Grad().ToVector<float>(), ElementsAre(4, 6));
}

TEST_F(ClientTest, NoGradGuardRecordsNoGraph) {
  auto x = client().Tensor(F({1, 2}), {2}, {.requires_grad = true});
  {
    NoGradGuard guard;
    EXPECT_FALSE(IsGradEnabled());
    auto y = x * 2;
    EXPECT_FALSE(y.RequiresGrad());
    EXPECT_EQ(y.GradFn(), "");
  }
  EXPECT_TRUE(IsGradEnabled());
  EXPECT_TRUE((x * 2).RequiresGrad());
}

TEST_F(ClientTest, BackwardThroughFreedGraphIsFailedPrecondition) {
  auto x = client().Tensor(F({1, 2}), {2}, {.requires_grad = true});
  auto y = (x * x).Sum();
  y.Backward();
  y.Backward();  // graph freed by the first backward
  try {
    client().Synchronize();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), 9) << e.what();  // FAILED_PRECONDITION
    EXPECT_EQ(e.op(), "backward");
  }
  // retain_graph keeps it.
  auto z = (x * x).Sum();
  z.Backward(client().Ones({}), /*retain_graph=*/true);
  z.Backward();
  client().Synchronize();
}

// ------------------------------------------------------------------ errors

// Errors only values can cause (an index out of range) surface at the next
// sync point; shape errors are thrown at the call (Note [Client-side meta]).
Tensor OutOfRange(Client& c) { return c.Tensor(std::vector<int64_t>{0, 7}); }

TEST_F(ClientTest, ErrorSurfacesAtSyncPointWithOpAndSite) {
  auto a = client().Ones({3, 2});
  auto b = client().Ones({3, 2});
  const int line = __LINE__ + 1;
  auto c = a.Index({OutOfRange(client())});  // queued: no error yet
  try {
    c.ToVector<float>();
    FAIL() << "expected an error at the sync point";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), 3) << e.what();  // INVALID_ARGUMENT
    EXPECT_EQ(e.code_name(), "INVALID_ARGUMENT");
    EXPECT_EQ(e.op(), "index");
    EXPECT_EQ(e.site(), "client_test.cc:" + std::to_string(line));
    EXPECT_THAT(e.message(), HasSubstr("index 7 is out of bounds for dimension 0 with size 3"));
    EXPECT_THAT(std::string(e.what()), HasSubstr("client_test.cc:" + std::to_string(line)));
    EXPECT_FALSE(e.poisoned());
  }
  // A shape error is thrown where the op is issued, with the server's words.
  const int matmul_line = __LINE__ + 2;
  try {
    a.Matmul(b);
    FAIL() << "expected an error at the call";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), 3) << e.what();
    EXPECT_EQ(e.op(), "matmul");
    EXPECT_EQ(e.site(), "client_test.cc:" + std::to_string(matmul_line));
    EXPECT_THAT(e.message(), HasSubstr("mat1 and mat2 shapes cannot be multiplied (3x2 and 3x2)"));
  }
  // The session stays usable.
  EXPECT_FLOAT_EQ((a + 1).Sum().Item<float>(), 12);
  EXPECT_THAT(a.Matmul(b.T()).Shape(), ElementsAre(3, 3));
}

TEST_F(ClientTest, OperatorErrorsNameTheOperatorLine) {
  auto a = client().Ones({2, 3});
  auto b = client().Ones({4});
  const int line = __LINE__ + 2;
  try {
    auto c = a + b;
    FAIL() << "expected a broadcasting error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), 3) << e.what();
    EXPECT_EQ(e.op(), "add");
    EXPECT_EQ(e.site(), "client_test.cc:" + std::to_string(line));
  }
}

TEST_F(ClientTest, PoisonedHandleRepeatsTheOriginalError) {
  auto a = client().Ones({2, 2});
  auto bad = a.Index({OutOfRange(client())});
  auto worse = bad + 1;  // reads a poisoned handle
  std::string original;
  try {
    worse.ToVector<float>();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.op(), "index");  // the first failure is raised
    EXPECT_FALSE(e.poisoned());
    original = e.message();
  }
  try {
    worse.ToVector<float>();  // only the fetch fails now: poisoned
    FAIL();
  } catch (const Error& e) {
    EXPECT_TRUE(e.poisoned()) << e.what();
    EXPECT_EQ(e.code(), 3);
    EXPECT_THAT(e.message(), HasSubstr("is out of bounds"));
    EXPECT_THAT(original, HasSubstr("is out of bounds"));
  }
  EXPECT_FLOAT_EQ(a.Sum().Item<float>(), 4);
}

TEST_F(ClientTest, ErrorInAnEarlierBatchIsRaisedAtTheNextSync) {
  auto a = client().Ones({4});
  auto bad = a.Index({OutOfRange(client())});
  Tensor acc = a;
  for (int i = 0; i < 5000; ++i) acc = acc + 1;  // spans several batches
  try {
    acc.Sum().Item<float>();
    FAIL() << "expected the index error";
  } catch (const Error& e) {
    EXPECT_EQ(e.op(), "index") << e.what();
    EXPECT_EQ(e.code(), 3);
  }
  EXPECT_FLOAT_EQ(acc.Sum().Item<float>(), 4 * 5001);
}

TEST_F(ClientTest, FlushedErrorIsRaisedByAnEmptySynchronize) {
  auto bad = client().Ones({2}).Index({OutOfRange(client())});
  client().Flush();  // sent without asking for a reply
  try {
    client().Synchronize();  // nothing queued: an empty batch asks for the reply
    FAIL() << "expected the deferred error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), 3) << e.what();
    EXPECT_EQ(e.op(), "index");
  }
  client().Synchronize();  // raised once only
}

TEST_F(ClientTest, ClientIsUsableFromSeveralThreads) {
  auto base = client().Arange(100, {.dtype = DType::kFloat64});
  std::vector<std::thread> threads;
  std::vector<double> sums(4, 0.0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        auto x = base * (t + 1) + i;
        sums[t] = x.Sum().Item<double>();
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < 4; ++t) EXPECT_DOUBLE_EQ(sums[t], 4950.0 * (t + 1) + 49 * 100);
  EXPECT_EQ(ServerTensorCount(), 1);  // only `base` is left
}

TEST_F(ClientTest, ItemOnManyElementsAndUnknownOpThrowImmediately) {
  auto a = client().Ones({2});
  EXPECT_THROW(a.Item<float>(), Error);
  try {
    client().Call("no_such_op", {a});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), 5);  // NOT_FOUND
  }
  try {
    client().Tensor(F({1, 2, 3}), {2, 2});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), 3);
    EXPECT_EQ(e.op(), "create");
  }
}

// ------------------------------------------------------------------ lifetime

TEST_F(ClientTest, ReleasesHandleWhenLastCopyDies) {
  int64_t base = ServerTensorCount();
  std::optional<Tensor> t = client().Ones({8});
  std::optional<Tensor> copy = *t;
  EXPECT_EQ(ServerTensorCount(), base + 1);
  t.reset();
  EXPECT_EQ(ServerTensorCount(), base + 1);  // a copy still holds it
  copy.reset();
  EXPECT_EQ(ServerTensorCount(), base);

  // Temporaries of an expression are released too.
  {
    auto x = client().Ones({4});
    auto y = ((x + 1) * 2 - 3).Sum();
    EXPECT_FLOAT_EQ(y.Item<float>(), 4);
    EXPECT_EQ(ServerTensorCount(), base + 2);  // x and y
  }
  EXPECT_EQ(ServerTensorCount(), base);
}

TEST_F(ClientTest, DestructorClosesTheSession) {
  std::string id;
  {
    Client other(address());
    id = other.session_id();
    EXPECT_EQ(id.size(), 32u);
    other.Ones({2}).Sum().Item<float>();
  }
  auto stub = v1::Tensord::NewStub(grpc::CreateChannel(address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  v1::ListSessionsResponse resp;
  ASSERT_TRUE(stub->ListSessions(&ctx, v1::Empty(), &resp).ok());
  for (const auto& s : resp.sessions()) EXPECT_NE(s.session_id(), id);
  EXPECT_NE(client().session_id(), id);
}

TEST_F(ClientTest, TensorsOutliveTheirClient) {
  Tensor t;
  {
    Client other(address());
    t = other.Ones({2});
  }
  EXPECT_TRUE(t.defined());
  EXPECT_THROW(t.Shape(), Error);  // closed client: an error, not a crash
}

// ------------------------------------------------------------------ transport

TEST_F(ClientTest, LargeTensorsUseChunkedUploadAndFetch) {
  std::vector<float> big(3 << 20);  // 12 MiB
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<float>(i % 1000);
  auto t = client().Tensor(big, {static_cast<int64_t>(big.size())});
  std::vector<float> back = (t + 0).ToVector<float>();
  ASSERT_EQ(back.size(), big.size());
  EXPECT_EQ(back, big);
  EXPECT_EQ(t.ToVector<float>(), big);
}

TEST_F(ClientTest, UnixSocketAndEnvironmentAddress) {
  testing::ServerProcess unix_server;
  std::string path = server_->dir() + "/tensord.sock";
  std::string error;
  ASSERT_TRUE(unix_server.Start("unix:" + path, {}, &error)) << error;
  ::setenv("TENSORD_ADDRESS", ("unix:" + path).c_str(), 1);
  Client c;  // from $TENSORD_ADDRESS
  ::unsetenv("TENSORD_ADDRESS");
  EXPECT_EQ(c.address(), "unix:" + path);
  EXPECT_FLOAT_EQ((c.Ones({3}) * 2).Sum().Item<float>(), 6);
}

TEST_F(ClientTest, TlsAndBearerToken) {
  std::string dir = testing::MakeTempDir();
  if (!testing::MakeSelfSignedCert(dir)) GTEST_SKIP() << "no openssl CLI to make a certificate";
  {
    std::ofstream tokens(dir + "/tokens");
    tokens << "alice tok-alice\n";
  }
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = testing::ReadFile(dir + "/cert.pem");
  testing::ServerProcess tls_server;
  std::string error;
  ASSERT_TRUE(tls_server.Start("", {"--tls-cert", dir + "/cert.pem", "--tls-key", dir + "/key.pem",
                                    "--auth-tokens", dir + "/tokens"},
                               &error, grpc::SslCredentials(ssl), "tok-alice"))
      << error;

  Client::Options opts;
  opts.address = tls_server.address();
  opts.tls_ca_file = dir + "/cert.pem";  // implies TLS
  opts.token = "tok-alice";
  {
    Client c(opts);
    EXPECT_FLOAT_EQ((c.Ones({2}) + 1).Sum().Item<float>(), 4);
    EXPECT_EQ(c.Session().owner, "alice");
  }
  opts.token = "wrong";
  try {
    Client c(opts);
    FAIL() << "a wrong token was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), 16) << e.what();  // UNAUTHENTICATED
  }
  Client::Options plain;
  plain.address = tls_server.address();
  plain.token = "tok-alice";
  plain.connect_timeout_seconds = 5;
  EXPECT_THROW(Client{plain}, Error);  // plaintext to a TLS port
  Client::Options missing = opts;
  missing.tls_ca_file = dir + "/no-such.pem";
  try {
    Client c(missing);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), 3);
    EXPECT_THAT(e.message(), HasSubstr("no-such.pem"));
  }
}

TEST_F(ClientTest, UnreachableServerIsUnavailable) {
  std::string dead = "127.0.0.1:" + std::to_string(testing::FreePort());
  try {
    Client c(dead);
    FAIL() << "connected to a dead port";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), 14) << e.what();  // UNAVAILABLE
    EXPECT_THAT(e.message(), HasSubstr(dead));
  }
}

TEST_F(ClientTest, OpsComeFromTheRegistry) {
  std::vector<OpInfo> ops = client().Ops();
  bool found = false;
  for (const OpInfo& op : ops) {
    if (op.name != "matmul") continue;
    found = true;
    EXPECT_EQ(op.num_outputs, 1);
    EXPECT_THAT(op.inputs, ElementsAre("self", "other"));
  }
  EXPECT_TRUE(found);
  // Any registered op is callable by name.
  auto x = client().Tensor(F({1, -2}));
  EXPECT_THAT(client().Call("relu", {x})[0].ToVector<float>(), ElementsAre(1, 0));
  EXPECT_THAT(x.Call("sum_to_size", {}, {{"size", std::vector<int64_t>{1}}})[0].ToVector<float>(),
              ElementsAre(-1));
}

TEST_F(ClientTest, PrintsLikeTorch) {
  std::ostringstream os;
  os << client().Tensor(F({1, 2, 3}));
  EXPECT_EQ(os.str(), "tensor([1., 2., 3.])");
  os.str("");
  os << client().Tensor(F({0.5, 1.25, 2, 3}), {2, 2}, {.requires_grad = true});
  EXPECT_EQ(os.str(), "tensor([[0.5000, 1.2500],\n        [2.0000, 3.0000]], requires_grad=True)");
  os.str("");
  os << client().Tensor(std::vector<int64_t>{1, 20});
  EXPECT_EQ(os.str(), "tensor([ 1, 20])");
}

// ------------------------------------------------------------------ prefetch

// Note [Prefetched values]: after a sync the small tensors of the synced batch
// (and their gradients) are read without asking the server again, and a
// command that may change them makes the next read ask.
class PrefetchTest : public ClientTest {
 protected:
  // Runs `read` while the server is stopped (SIGSTOP): true if it finished
  // within two seconds, i.e. without waiting for the server.
  template <typename Fn>
  bool RunsWithServerStopped(Fn read) {
    ::kill(server_->pid(), SIGSTOP);
    std::string stat;
    for (int i = 0; i < 100 && stat.find(") T ") == std::string::npos; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      std::ifstream in("/proc/" + std::to_string(server_->pid()) + "/stat");
      std::getline(in, stat);
    }
    EXPECT_NE(stat.find(") T "), std::string::npos) << "server not stopped: " << stat;
    auto done = std::async(std::launch::async, read);
    const bool local = done.wait_for(std::chrono::seconds(2)) == std::future_status::ready;
    ::kill(server_->pid(), SIGCONT);
    done.get();
    return local;
  }
};

TEST_F(PrefetchTest, SmallResultsOfASyncedBatchAreReadLocally) {
  auto x = client().Tensor(F({1, 2}), {2}, {.requires_grad = true});
  auto y = (x * x).Sum();
  auto z = x + 1;
  y.Backward();
  EXPECT_FLOAT_EQ(y.Item<float>(), 5);  // the sync
  std::vector<float> zs, grad;
  std::string grad_fn;
  EXPECT_TRUE(RunsWithServerStopped([&] {
    zs = z.ToVector<float>();
    grad_fn = z.GradFn();
    grad = x.Grad().ToVector<float>();
  }));
  EXPECT_THAT(zs, ElementsAre(2, 3));
  EXPECT_EQ(grad_fn, "AddBackward0");
  EXPECT_THAT(grad, ElementsAre(2, 4));
}

TEST_F(PrefetchTest, InPlaceOpsAndBackwardInvalidateWhatWasPrefetched) {
  auto x = client().Tensor(F({1, 2}), {2}, {.requires_grad = true});
  auto v = x.Detach();
  auto y = (x * 3).Sum();
  EXPECT_FLOAT_EQ(y.Item<float>(), 9);
  y.Backward();
  EXPECT_THAT(x.Grad().ToVector<float>(), ElementsAre(3, 3));
  v.Add_(10);  // changes x through a view
  EXPECT_THAT(x.ToVector<float>(), ElementsAre(11, 12));
  auto y2 = (x * 2).Sum();
  y2.Backward();  // accumulates
  EXPECT_THAT(x.Grad().ToVector<float>(), ElementsAre(5, 5));
}

TEST_F(PrefetchTest, LargeTensorsAreNotPrefetchedAndOffMeansOff) {
  auto big = client().Zeros({64});
  auto s = big.Sum();
  EXPECT_FLOAT_EQ(s.Item<float>(), 0);
  EXPECT_FALSE(RunsWithServerStopped([&] { big.ToVector<float>(); }));

  tensord::Client::Options options;
  options.address = address();
  options.prefetch_max_elements = 0;
  tensord::Client off(options);
  auto a = off.Tensor(F({1}), {1});
  auto b = a + 1;
  EXPECT_FLOAT_EQ(a.Item<float>(), 1);
  EXPECT_FALSE(RunsWithServerStopped([&] { b.Item<float>(); }));
}

TEST_F(PrefetchTest, ErrorsOfTheSyncedBatchStillRaiseAndValuesStayRight) {
  auto a = client().Tensor(F({1, 2, 3}), {3});
  auto bad = a.Index({client().Tensor(std::vector<int64_t>{5})});  // out of range: the server says so
  auto ok = a * 2;
  EXPECT_THROW(ok.ToVector<float>(), Error);  // the sync raises index's error
  EXPECT_THROW(bad.ToVector<float>(), Error);
  EXPECT_THAT(ok.ToVector<float>(), ElementsAre(2, 4, 6));
}

}  // namespace
}  // namespace tensord
