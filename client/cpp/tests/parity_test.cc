// The C++ client against the Python client / PyTorch: the wider op surface,
// autograd (retain_graph, autograd::Grad with create_graph, grad modes),
// seeded randomness, fused optimizers, LR schedulers and tensord::nn, all
// through a real tensord process.
//
// Expected values marked "PyTorch 1.13" were printed by Debian's PyTorch
// 1.13 (/usr/bin/python3) running the same computation; the script is
// quoted next to each block in shortened form.
#include <cmath>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tensord/nn.h"
#include "tensord/optim.h"
#include "tensord/tensord.h"
#include "client_suite.h"

namespace tensord {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::FloatEq;
using ::testing::FloatNear;
using ::testing::HasSubstr;
using ::testing::Pointwise;

class ParityTest : public testing::ClientSuite<ParityTest> {};

std::vector<float> F(const Tensor& t) { return t.ToVector<float>(); }

// ------------------------------------------------------------------ ops

TEST_F(ParityTest, ComparisonsAndLogicGiveBoolTensors) {
  Tensor a = client().Tensor({1.f, 2.f, 3.f}, {3});
  Tensor lt = a < 2;
  EXPECT_EQ(lt.DType(), DType::kBool);
  EXPECT_THAT(lt.ToVector<bool>(), ElementsAre(true, false, false));
  EXPECT_THAT((a >= 2).ToVector<bool>(), ElementsAre(false, true, true));
  EXPECT_THAT(a.Eq(2).ToVector<bool>(), ElementsAre(false, true, false));
  EXPECT_THAT(a.Ne(2).LogicalAnd(a > 1).ToVector<bool>(), ElementsAre(false, false, true));
  EXPECT_THAT((a % 2).ToVector<float>(), ElementsAre(1, 0, 1));
  EXPECT_THAT(a.Div(2, "floor").ToVector<float>(), ElementsAre(0, 1, 1));
}

TEST_F(ParityTest, ReductionsAndSoftmax) {
  Tensor a = client().Tensor({1.f, 5.f, 3.f, 4.f, 2.f, 6.f}, {2, 3});
  EXPECT_THAT(a.Amax({1}).ToVector<float>(), ElementsAre(5, 6));
  EXPECT_THAT(a.Argmax(1).ToVector<int64_t>(), ElementsAre(1, 2));
  EXPECT_EQ(a.Argmax().Item<int64_t>(), 5);
  EXPECT_EQ(a.Max().Item<float>(), 6);
  EXPECT_THAT(a.Prod({0}).ToVector<float>(), ElementsAre(4, 10, 18));
  EXPECT_THAT(a.Cumsum(1).ToVector<float>(), ElementsAre(1, 6, 9, 4, 6, 12));
  EXPECT_FLOAT_EQ(a.Var().Item<float>(), 3.5f);  // unbiased, as torch.var
  EXPECT_FLOAT_EQ(a.Var({}, 0).Item<float>(), 35.f / 12);
  std::vector<float> sm = a.Softmax(1).Sum({1}).ToVector<float>();
  EXPECT_THAT(sm, Pointwise(FloatNear(1e-6), std::vector<float>{1, 1}));
  EXPECT_THAT(F(a.LogSoftmax(1).Exp()), Pointwise(FloatNear(1e-6), F(a.Softmax(1))));
  EXPECT_NEAR(a.Norm().Item<float>(), std::sqrt(91.f), 1e-5);
}

TEST_F(ParityTest, SlicingIndexingAndJoining) {
  Tensor a = client().Arange(12, {.dtype = DType::kFloat32}).Reshape({3, 4});
  EXPECT_THAT(a.Select(0, 1).ToVector<float>(), ElementsAre(4, 5, 6, 7));
  EXPECT_THAT(a.Slice(1, 1, 3).ToVector<float>(), ElementsAre(1, 2, 5, 6, 9, 10));
  EXPECT_THAT(a.Slice(0, std::nullopt, std::nullopt, 2).Shape(), ElementsAre(2, 4));
  EXPECT_THAT(a.Narrow(0, 1, 2).Shape(), ElementsAre(2, 4));
  EXPECT_THAT(a.Flatten().Shape(), ElementsAre(12));
  Tensor idx = client().Tensor(std::vector<int64_t>{2, 0});
  EXPECT_THAT(a.Index({idx}).ToVector<float>(), ElementsAre(8, 9, 10, 11, 0, 1, 2, 3));
  EXPECT_THAT(a.IndexSelect(1, idx).ToVector<float>(), ElementsAre(2, 0, 6, 4, 10, 8));
  Tensor g = client().Tensor(std::vector<int64_t>{3, 0, 1}, {3, 1});
  EXPECT_THAT(a.Gather(1, g).ToVector<float>(), ElementsAre(3, 4, 9));
  Tensor c = Cat({a.Slice(0, 0, 1), a.Slice(0, 2, 3)});
  EXPECT_THAT(c.Shape(), ElementsAre(2, 4));
  EXPECT_THAT(Stack({idx, idx}, 1).ToVector<int64_t>(), ElementsAre(2, 2, 0, 0));
  Tensor w = Where(a > 5, a, 0.0);
  EXPECT_THAT(w.Slice(0, 1, 2).ToVector<float>(), ElementsAre(0, 0, 6, 7));
  EXPECT_THAT(a.Clamp(2, 4).Slice(0, 0, 1).ToVector<float>(), ElementsAre(2, 2, 2, 3));
  EXPECT_THAT(a.Clamp(std::nullopt, 1).Slice(0, 0, 1).ToVector<float>(), ElementsAre(0, 1, 1, 1));
  Tensor e = Einsum("ij,ij->i", {a, a});
  EXPECT_THAT(e.ToVector<float>(), ElementsAre(14, 126, 366));
}

TEST_F(ParityTest, InPlaceOpsAndCompoundAssignment) {
  Tensor a = client().Tensor({1.f, 2.f, 3.f}, {3});
  a += 1;
  a *= a;
  EXPECT_THAT(a.ToVector<float>(), ElementsAre(4, 9, 16));
  a.Sqrt_().Sub_(1, 2);
  EXPECT_THAT(a.ToVector<float>(), ElementsAre(0, 1, 2));
  a.MaskedFill_(a > 1, -1).Clamp_(0);
  EXPECT_THAT(a.ToVector<float>(), ElementsAre(0, 1, 0));
  a.Fill_(7);
  EXPECT_THAT(a.ToVector<float>(), ElementsAre(7, 7, 7));
  a.Copy_(client().Tensor({1.f, 2.f, 3.f}, {3}));
  a.Zero_();
  EXPECT_THAT(a.ToVector<float>(), ElementsAre(0, 0, 0));
  Tensor leaf = client().Ones({2}, {.requires_grad = true});
  leaf.Add_(1);
  EXPECT_THROW(client().Synchronize(), Error);
}

// Note [Client-side meta]: what the client infers through the op contract is
// what the server reports (every op-table row: tests/contract_test.cc).
TEST_F(ParityTest, InferredMetaEqualsTheServers) {
  Client& c = client();
  Tensor a = c.Randn({2, 3});
  Tensor b = c.Randn({3, 4});
  Tensor v = c.Randn({3});
  Tensor idx = c.Tensor(std::vector<int64_t>{1, 0, 1});
  Tensor d = c.Randn({2, 3}, {.dtype = DType::kFloat64});
  std::vector<std::pair<std::string, Tensor>> cases = {
      {"zeros", c.Zeros({4, 1})},
      {"full int", c.Full({2}, 3)},
      {"randint", c.Randint(0, 5, {3, 2})},
      {"randperm", c.Randperm(5)},
      {"ones_like f64", OnesLike(d)},
      {"exp", a.Exp()},
      {"tanh f64", d.Tanh()},
      {"add broadcast", a + v},
      {"scalar first", 2.0 - a},
      {"mul int scalar", d * 3},
      {"lt", a < v},
      {"eq bool", (a < 0).Eq(false)},
      {"sum all", a.Sum()},
      {"sum dim keepdim", a.Sum({-1}, true)},
      {"mean dims", a.Mean({0, 1})},
      {"amax", a.Amax({0})},
      {"var", a.Var({1})},
      {"argmax", a.Argmax(1)},
      {"argmax all", a.Argmax()},
      {"softmax", a.LogSoftmax(1)},
      {"to", a.To(DType::kFloat16)},
      {"masked_fill", a.MaskedFill(a > 0, 0)},
      {"clamp", a.Clamp(0)},
      {"mm", a.Mm(b)},
      {"matmul vec", a.Matmul(v)},
      {"matmul batch", c.Randn({5, 2, 3}).Matmul(b)},
      {"addmm", Addmm(c.Randn({4}), a, b)},
      {"t", b.T()},
      {"transpose", c.Randn({2, 3, 4}).Transpose(0, -1)},
      {"unsqueeze", a.Unsqueeze(-1)},
      {"squeeze", c.Randn({1, 3, 1}).Squeeze()},
      {"squeeze dim", c.Randn({1, 3, 1}).Squeeze({2})},
      {"view -1", a.View({-1})},
      {"reshape", a.Reshape({3, -1})},
      {"permute", c.Randn({2, 3, 4}).Permute({2, 0, 1})},
      {"select", a.Select(1, -1)},
      {"slice", c.Randn({10}).Slice(0, 2, 9, 3)},
      {"slice open", c.Randn({10}).Slice(0, -4)},
      {"slice past end", c.Randn({4}).Slice(0, 2, 100)},
      {"narrow", a.Narrow(1, 1, 2)},
      {"index", a.Index({idx})},
      {"index_select", a.IndexSelect(1, idx)},
      {"gather", a.Gather(1, idx.Reshape({1, 3}))},
      {"cat", Cat({a, a}, 1)},
      {"stack", Stack({v, v}, -1)},
      {"clone", a.Clone()},
      {"grad", [&] {
         Tensor w = c.Randn({2, 2}, {.dtype = DType::kFloat64, .requires_grad = true});
         (w * w).Sum().Backward();
         return w.Grad();
       }()},
  };
  for (auto& [name, t] : cases) {
    std::optional<TensorMeta> known = t.MetaIfKnown();
    ASSERT_TRUE(known.has_value()) << name;
    DType inferred = t.DType();  // from the cache
    TensorInfo info = t.Info();  // asks the server
    EXPECT_EQ(known->shape, info.shape) << name;
    EXPECT_EQ(inferred, info.dtype) << name;
    EXPECT_EQ(known->device, info.device) << name;
    if (known->strides.has_value()) {
      EXPECT_EQ(*known->strides, info.strides) << name;
    }
  }
  // Promotion is the engine's own rule, so mixed dtypes are inferred too.
  Tensor mixed = a + d;
  ASSERT_TRUE(mixed.ShapeIfKnown().has_value());
  EXPECT_EQ(mixed.DType(), DType::kFloat64);
  // A user error is thrown at the call, with the server's message.
  EXPECT_THROW(a.Mm(a), Error);
  // "cuda" is the server's "cuda:0", or refused as the server would refuse it.
  try {
    Tensor z = c.Zeros({2}, {.device = "cuda"});
    ASSERT_TRUE(z.MetaIfKnown().has_value());
    EXPECT_EQ(z.MetaIfKnown()->device, "cuda:0");
  } catch (const Error& e) {
    EXPECT_THAT(e.message(), HasSubstr("device 'cuda' is not available"));
  }
  Tensor up = c.Tensor({1.f}, {1}, {.device = "cuda"});
  try {
    c.Synchronize();  // a server without CUDA refused it
    EXPECT_EQ(up.Device(), "cuda:0");
  } catch (const Error&) {
    EXPECT_FALSE(up.ShapeIfKnown().has_value());  // the client left it to the server
  }
}

// Printing: the expected strings are PyTorch 1.13's repr() of the same
// tensors (torch.tensor([[1., 2.], [3., 40.]]), torch.arange(30.) / 7, ...),
// with "dtype=torch." read as "dtype=tensord.".
TEST_F(ParityTest, PrintsLikePyTorch) {
  Client& c = client();
  std::vector<std::pair<Tensor, std::string>> cases = {
      {c.Tensor({1.f, 2.f, 3.f, 40.f}, {2, 2}),
       R"(tensor([[ 1.,  2.],
        [ 3., 40.]]))"},  // int_mode
      {c.Tensor({0.5f, -1.25f, 3.14159f}, {3}),
       R"(tensor([ 0.5000, -1.2500,  3.1416]))"},  // fixed
      {c.Tensor({1e-5f, 1.0f, 3e4f}, {3}),
       R"(tensor([1.0000e-05, 1.0000e+00, 3.0000e+04]))"},  // sci
      {c.Arange(30, {.dtype = DType::kFloat32}) / 7,
       R"(tensor([0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571, 1.0000, 1.1429,
        1.2857, 1.4286, 1.5714, 1.7143, 1.8571, 2.0000, 2.1429, 2.2857, 2.4286,
        2.5714, 2.7143, 2.8571, 3.0000, 3.1429, 3.2857, 3.4286, 3.5714, 3.7143,
        3.8571, 4.0000, 4.1429]))"},  // wrap
      {c.Arange(12).Reshape({2, 3, 2}),
       R"(tensor([[[ 0,  1],
         [ 2,  3],
         [ 4,  5]],

        [[ 6,  7],
         [ 8,  9],
         [10, 11]]]))"},  // three_d
      {c.Arange(2000, {.dtype = DType::kFloat32}).Reshape({40, 50}),
       R"(tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 4.7000e+01, 4.8000e+01,
         4.9000e+01],
        [5.0000e+01, 5.1000e+01, 5.2000e+01,  ..., 9.7000e+01, 9.8000e+01,
         9.9000e+01],
        [1.0000e+02, 1.0100e+02, 1.0200e+02,  ..., 1.4700e+02, 1.4800e+02,
         1.4900e+02],
        ...,
        [1.8500e+03, 1.8510e+03, 1.8520e+03,  ..., 1.8970e+03, 1.8980e+03,
         1.8990e+03],
        [1.9000e+03, 1.9010e+03, 1.9020e+03,  ..., 1.9470e+03, 1.9480e+03,
         1.9490e+03],
        [1.9500e+03, 1.9510e+03, 1.9520e+03,  ..., 1.9970e+03, 1.9980e+03,
         1.9990e+03]]))"},  // summary
      {c.Tensor(std::vector<bool>{true, false}),
       R"(tensor([ True, False]))"},  // bool
      {c.Tensor(std::vector<double>{1.5, 2.0}, {2}, {.requires_grad = true}),
       R"(tensor([1.5000, 2.0000], dtype=tensord.float64, requires_grad=True))"},  // f64_grad
      {c.Tensor({1.f, 2.f}, {2}, {.requires_grad = true}) * 2,
       R"(tensor([2., 4.], grad_fn=<MulBackward0>))"},  // grad_fn
      {c.Zeros({0, 3}),
       R"(tensor([], size=(0, 3)))"},  // empty
      {c.Tensor({2.5f}, {}),
       R"(tensor(2.5000))"},  // scalar
      {c.Tensor({NAN, 1.5f, INFINITY}, {3}),
       R"(tensor([   nan, 1.5000,    inf]))"},  // nan
      {c.Tensor(std::vector<int64_t>{-5, 100, 7}),
       R"(tensor([ -5, 100,   7]))"},  // int_neg
  };
  for (auto& [t, want] : cases) {
    std::ostringstream os;
    os << t;
    EXPECT_EQ(os.str(), want);
  }
  PrintOptions saved = GetPrintOptions();
  PrintOptions o = saved;
  o.precision = 2;
  o.sci_mode = false;
  SetPrintOptions(o);
  std::ostringstream os;
  os << c.Tensor({1e-5f, 1.0f, 3e4f}, {3});
  SetPrintOptions(saved);
  EXPECT_EQ(os.str(), "tensor([    0.00,     1.00, 30000.00])");  // torch: same options
}

// ------------------------------------------------------------------ seeded randomness

// PyTorch 1.13: torch.manual_seed(42); torch.rand(5); torch.randn(5);
// torch.randint(0, 10, (6,)); torch.randperm(7)
TEST_F(ParityTest, SeededFactoriesDrawPyTorchsNumbers) {
  client().ManualSeed(42);
  EXPECT_THAT(F(client().Rand({5})),
              ElementsAre(FloatEq(0.882269263f), FloatEq(0.915003955f), FloatEq(0.38286376f),
                          FloatEq(0.959305644f), FloatEq(0.390448213f)));
  EXPECT_THAT(F(client().Randn({5})),
              ElementsAre(FloatEq(0.325751871f), FloatEq(-0.867628157f), FloatEq(1.52313387f),
                          FloatEq(0.664664865f), FloatEq(-1.0324477f)));
  EXPECT_THAT(client().Randint(0, 10, {6}).ToVector<int64_t>(), ElementsAre(5, 7, 6, 9, 6, 3));
  EXPECT_THAT(client().Randperm(7).ToVector<int64_t>(), ElementsAre(3, 6, 5, 4, 0, 1, 2));
}

// PyTorch 1.13: torch.manual_seed(3); torch.empty(5).normal_(1, 2);
// torch.empty(6).bernoulli_(0.3); torch.tensor([0.2, 0.8, 0.5, 0.9]).bernoulli();
// torch.empty(4).uniform_(-1, 1); torch.randint(3, 9, (4,), dtype=torch.int32);
// torch.randn(3, dtype=torch.float64) -- in this order, one generator.
TEST_F(ParityTest, SeededFillsDrawPyTorchsNumbers) {
  Client& c = client();
  c.ManualSeed(3);
  EXPECT_THAT(F(c.Empty({5}).Normal_(1, 2)),
              ElementsAre(FloatEq(2.60655212f), FloatEq(1.34966683f), FloatEq(1.17795622f),
                          FloatEq(-0.227436021f), FloatEq(1.09236491f)));
  EXPECT_THAT(F(c.Empty({6}).Bernoulli_(0.3)), ElementsAre(1, 0, 0, 0, 1, 0));
  EXPECT_THAT(F(c.Tensor({0.2f, 0.8f, 0.5f, 0.9f}, {4}).Bernoulli()), ElementsAre(1, 1, 1, 1));
  EXPECT_THAT(F(c.Empty({4}).Uniform_(-1, 1)),
              ElementsAre(FloatEq(-0.757489443f), FloatEq(-0.770408392f),
                          FloatEq(-0.478240728f), FloatEq(0.610343814f)));
  Tensor ri = c.Randint(3, 9, {4}, {.dtype = DType::kInt32});
  EXPECT_EQ(ri.DType(), DType::kInt32);
  EXPECT_THAT(ri.ToVector<int32_t>(), ElementsAre(7, 4, 6, 5));
  EXPECT_THAT(c.Randn({3}, {.dtype = DType::kFloat64}).ToVector<double>(),
              ElementsAre(::testing::DoubleNear(-1.36825918, 1e-8),
                          ::testing::DoubleNear(0.495189008, 1e-8),
                          ::testing::DoubleNear(-0.164316978, 1e-8)));
}

TEST_F(ParityTest, LikeFactoriesFollowTheirTemplate) {
  Tensor t = client().Tensor(std::vector<double>{1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor z = ZerosLike(t);
  EXPECT_EQ(z.DType(), DType::kFloat64);
  EXPECT_THAT(z.Shape(), ElementsAre(2, 3));
  EXPECT_THAT(FullLike(t, 2.5, {.dtype = DType::kFloat32}).ToVector<float>(),
              ElementsAre(2.5, 2.5, 2.5, 2.5, 2.5, 2.5));
  client().ManualSeed(42);
  std::vector<double> r1 = RandLike(t).ToVector<double>();
  client().ManualSeed(42);
  std::vector<double> r2 = client().Rand({2, 3}, {.dtype = DType::kFloat64}).ToVector<double>();
  EXPECT_EQ(r1, r2);
  EXPECT_TRUE(OnesLike(t, {.requires_grad = true}).RequiresGrad());
}

// ------------------------------------------------------------------ autograd

TEST_F(ParityTest, RetainGraphAllowsASecondBackward) {
  Tensor x = client().Tensor({1.f, 2.f}, {2}, {.requires_grad = true});
  Tensor y = (x * x).Sum();
  y.Backward(Tensor(), /*retain_graph=*/true);
  y.Backward();
  EXPECT_THAT(x.Grad().ToVector<float>(), ElementsAre(4, 8));  // 2 * 2x
  y.Backward();  // the graph is freed now
  try {
    client().Synchronize();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code_name(), "FAILED_PRECONDITION");
    EXPECT_EQ(e.op(), "backward");
  }
}

TEST_F(ParityTest, AutogradBackwardWithSeveralRoots) {
  Tensor x = client().Tensor({1.f, 2.f}, {2}, {.requires_grad = true});
  Tensor a = x * 3;
  Tensor b = (x * x).Sum();
  autograd::Backward({a, b}, {client().Tensor({1.f, 10.f}, {2})});
  EXPECT_THAT(x.Grad().ToVector<float>(), ElementsAre(3 + 2, 30 + 4));
}

TEST_F(ParityTest, AutogradGradWithCreateGraphGivesSecondDerivatives) {
  Tensor x = client().Tensor({1.f, 2.f, 3.f}, {3}, {.requires_grad = true});
  Tensor y = (x * x * x).Sum();
  std::vector<Tensor> g = autograd::Grad({y}, {x}, {}, std::nullopt, /*create_graph=*/true);
  ASSERT_EQ(g.size(), 1u);
  EXPECT_THAT(g[0].ToVector<float>(), ElementsAre(3, 12, 27));  // 3x^2
  EXPECT_FALSE(x.Grad().defined());  // nothing accumulated
  std::vector<Tensor> gg = autograd::Grad({g[0].Sum()}, {x});
  EXPECT_THAT(gg[0].ToVector<float>(), ElementsAre(6, 12, 18));  // 6x
}

TEST_F(ParityTest, AutogradGradAllowUnusedGivesUndefined) {
  Tensor x = client().Tensor({1.f}, {1}, {.requires_grad = true});
  Tensor unused = client().Tensor({1.f}, {1}, {.requires_grad = true});
  Tensor y = (x * 2).Sum();
  std::vector<Tensor> g =
      autograd::Grad({y}, {x, unused}, {}, true, false, /*allow_unused=*/true);
  EXPECT_THAT(g[0].ToVector<float>(), ElementsAre(2));
  EXPECT_FALSE(g[1].defined());
  EXPECT_THROW(autograd::Grad({y}, {unused}), Error);
  (x + 1).Sum().Item<float>();  // the session is fine afterwards
}

TEST_F(ParityTest, GradModeGuardsNest) {
  Tensor x = client().Ones({2}, {.requires_grad = true});
  {
    NoGradGuard no_grad;
    EXPECT_FALSE(IsGradEnabled());
    EXPECT_FALSE((x * 2).RequiresGrad());
    {
      GradModeGuard enable(true);
      EXPECT_EQ((x * 2).GradFn(), "MulBackward0");
    }
    EXPECT_FALSE(IsGradEnabled());
  }
  EXPECT_TRUE(IsGradEnabled());
}

// PyTorch 1.13: x = tensor([1., 2.], requires_grad=True); y = x * 3;
// y.retain_grad(); (y * y).sum().backward() -> y.grad [6, 12], x.grad [18, 36]
TEST_F(ParityTest, RetainGradKeepsANonLeafsGradient) {
  Tensor x = client().Tensor({1.f, 2.f}, {2}, {.requires_grad = true});
  Tensor y = x * 3;
  y.RetainGrad();
  (y * y).Sum().Backward();
  EXPECT_THAT(y.Grad().ToVector<float>(), ElementsAre(6, 12));
  EXPECT_THAT(x.Grad().ToVector<float>(), ElementsAre(18, 36));
  client().Ones({1}).RetainGrad();
  try {
    client().Synchronize();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.message(), HasSubstr("retain_grad"));
  }
}

TEST_F(ParityTest, SetGradReplacesAndDrops) {
  Tensor x = client().Ones({2}, {.requires_grad = true});
  x.SetGrad(client().Tensor({5.f, 6.f}, {2}));
  EXPECT_THAT(x.Grad().ToVector<float>(), ElementsAre(5, 6));
  x.SetGrad(Tensor());
  EXPECT_FALSE(x.Grad().defined());
}

// ------------------------------------------------------------------ optim

// The loss of every optimizer test, and PyTorch's values after 3 steps:
//   p = torch.tensor([0.5, -1.0, 2.0, 0.25], requires_grad=True)
//   c = torch.tensor([1.0, 2.0, -0.5, 3.0]); opt = torch.optim.X([p], ...)
//   for _ in range(3):
//       opt.zero_grad(); ((p * p * c).sum() + (p * c).sum()).backward(); opt.step()
std::vector<float> ThreeSteps(Client& client, const std::function<std::unique_ptr<optim::Optimizer>(
                                                  std::vector<Tensor>)>& make) {
  Tensor p = client.Tensor({0.5f, -1.0f, 2.0f, 0.25f}, {4}, {.requires_grad = true});
  Tensor c = client.Tensor({1.0f, 2.0f, -0.5f, 3.0f}, {4});
  std::unique_ptr<optim::Optimizer> opt = make({p});
  for (int i = 0; i < 3; ++i) {
    opt->ZeroGrad();
    ((p * p * c).Sum() + (p * c).Sum()).Backward();
    opt->Step();
  }
  return p.ToVector<float>();
}

MATCHER_P(EqualsFloat32, expected, "") {
  // PyTorch's float32 results, printed with 9 significant digits.
  return ::testing::ExplainMatchResult(
      Pointwise(FloatNear(2e-7), expected), arg, result_listener);
}

TEST_F(ParityTest, SgdEqualsPyTorch) {
  auto plain = ThreeSteps(client(), [](std::vector<Tensor> ps) {
    return std::make_unique<optim::SGD>(ps, optim::SGDOptions{.lr = 0.1});
  });
  EXPECT_THAT(plain, EqualsFloat32(std::vector<float>{0.0120000169f, -0.60799998f, 2.8275001f,
                                                      -0.451999992f}));
  // momentum=0.9, dampening=0.1, weight_decay=0.01
  auto momentum = ThreeSteps(client(), [](std::vector<Tensor> ps) {
    return std::make_unique<optim::SGD>(
        ps, optim::SGDOptions{.lr = 0.1, .momentum = 0.9, .dampening = 0.1, .weight_decay = 0.01});
  });
  EXPECT_THAT(momentum, EqualsFloat32(std::vector<float>{-0.402750224f, -0.245442271f,
                                                         3.42518353f, -1.13242185f}));
  // lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.1
  auto nesterov = ThreeSteps(client(), [](std::vector<Tensor> ps) {
    return std::make_unique<optim::SGD>(
        ps, optim::SGDOptions{.lr = 0.05, .momentum = 0.8, .weight_decay = 0.1, .nesterov = true});
  });
  EXPECT_THAT(nesterov, EqualsFloat32(std::vector<float>{-0.114362247f, -0.477922171f,
                                                         2.89066243f, -0.670204461f}));
}

TEST_F(ParityTest, AdamAndAdamWEqualPyTorch) {
  auto adam = ThreeSteps(client(), [](std::vector<Tensor> ps) {
    return std::make_unique<optim::Adam>(ps, optim::AdamOptions{.lr = 0.1});
  });
  EXPECT_THAT(adam, EqualsFloat32(std::vector<float>{0.201586291f, -0.704871297f, 2.3003006f,
                                                     -0.047543332f}));
  // lr=0.1, betas=(0.8, 0.9), weight_decay=0.1, amsgrad=True
  auto ams = ThreeSteps(client(), [](std::vector<Tensor> ps) {
    return std::make_unique<optim::Adam>(
        ps, optim::AdamOptions{.lr = 0.1, .beta1 = 0.8, .beta2 = 0.9, .weight_decay = 0.1,
                               .amsgrad = true});
  });
  EXPECT_THAT(ams, EqualsFloat32(std::vector<float>{0.201780275f, -0.70500946f, 2.30033779f,
                                                    -0.0473040193f}));
  // torch.optim.AdamW(lr=0.1): weight_decay defaults to 1e-2
  auto adamw = ThreeSteps(client(), [](std::vector<Tensor> ps) {
    optim::AdamOptions o = optim::AdamW::DefaultOptions();
    o.lr = 0.1;
    return std::make_unique<optim::AdamW>(ps, o);
  });
  EXPECT_THAT(adamw, EqualsFloat32(std::vector<float>{0.200398058f, -0.702258289f, 2.29400206f,
                                                      -0.0479849838f}));
}

TEST_F(ParityTest, ZeroGradDropsOrZeroes) {
  Tensor p = client().Ones({2}, {.requires_grad = true});
  optim::SGD opt({p}, {.lr = 0.1});
  (p * 3).Sum().Backward();
  opt.ZeroGrad(/*set_to_none=*/false);
  ASSERT_TRUE(p.Grad().defined());
  EXPECT_THAT(p.Grad().ToVector<float>(), ElementsAre(0, 0));
  opt.ZeroGrad();
  EXPECT_FALSE(p.Grad().defined());
  opt.Step();  // no .grad: the server skips the parameter, as PyTorch does
  EXPECT_THAT(p.ToVector<float>(), ElementsAre(1, 1));
}

TEST_F(ParityTest, OptimizersRejectBadOptions) {
  Tensor p = client().Ones({2}, {.requires_grad = true});
  EXPECT_THROW(optim::SGD({p}, {.lr = 0.1, .nesterov = true}), Error);
  EXPECT_THROW(optim::Adam({p}, {.beta1 = 1.0}), Error);
  EXPECT_THROW(optim::SGD(std::vector<Tensor>{}, {}), Error);
  EXPECT_THROW(optim::SGD({p, p}, {}), Error);
}

TEST_F(ParityTest, ParamGroupsKeepTheirOwnOptions) {
  Tensor a = client().Ones({1}, {.requires_grad = true});
  Tensor b = client().Ones({1}, {.requires_grad = true});
  optim::SGD opt({{{a}, {.lr = 0.1}}, {{b}, {.lr = 0.5}}});
  (a * 2 + b * 2).Sum().Backward();
  opt.Step();
  EXPECT_THAT(a.ToVector<float>(), ElementsAre(FloatEq(0.8f)));
  EXPECT_THAT(b.ToVector<float>(), ElementsAre(FloatEq(0.0f)));
  Tensor c = client().Ones({1}, {.requires_grad = true});
  opt.AddParamGroup({{c}, {.lr = 1.0}});
  EXPECT_EQ(opt.NumGroups(), 3u);
  EXPECT_THROW(opt.AddParamGroup({{a}, {.lr = 1.0}}), Error);  // already in group 0
  EXPECT_THROW(opt.AddParamGroup({{client().Ones({1})}, {.lr = -1.0}}), Error);
  opt.ZeroGrad();
  (c * 3).Sum().Backward();
  opt.Step();
  EXPECT_THAT(c.ToVector<float>(), ElementsAre(FloatEq(-2.0f)));
}

// PyTorch 1.13: o = SGD([p], lr=0.1); s = StepLR(o, 3, 0.5) /
// CosineAnnealingLR(o, 4, 0.01); then o.step(); s.step(); s.get_last_lr().
TEST_F(ParityTest, LrSchedulersEqualPyTorch) {
  Tensor p = client().Zeros({1}, {.requires_grad = true});
  optim::SGD opt({p}, {.lr = 0.1});
  optim::StepLR step(opt, 3, 0.5);
  std::vector<double> got;
  for (int i = 0; i < 8; ++i) {
    step.Step();
    got.push_back(step.GetLastLr()[0]);
  }
  EXPECT_THAT(got, ElementsAreArray({0.10000000000000001, 0.10000000000000001,
                                     0.050000000000000003, 0.050000000000000003,
                                     0.050000000000000003, 0.025000000000000001,
                                     0.025000000000000001, 0.025000000000000001}));
  optim::SGD opt2({p}, {.lr = 0.1});
  optim::CosineAnnealingLR cosine(opt2, 4, 0.01);
  got.clear();
  for (int i = 0; i < 10; ++i) {
    cosine.Step();
    got.push_back(cosine.GetLastLr()[0]);
  }
  std::vector<double> want = {0.086819805153394644, 0.055000000000000007, 0.023180194846605363,
                              0.01,                 0.023180194846605363, 0.055000000000000021,
                              0.086819805153394686, 0.10000000000000006,  0.0868198051533947,
                              0.055000000000000049};
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_DOUBLE_EQ(got[i], want[i]) << i;
  EXPECT_DOUBLE_EQ(opt2.Lr(0), want.back());
}

// PyTorch 1.13, as above: ExponentialLR(o, 0.9), MultiStepLR(o, [2, 5, 5], 0.5),
// LambdaLR(o, lambda e: 1.0 / (e + 1)); 8 steps each.
TEST_F(ParityTest, MoreLrSchedulersEqualPyTorch) {
  Tensor p = client().Zeros({1}, {.requires_grad = true});
  auto run = [](optim::LRScheduler& s) {
    std::vector<double> got;
    for (int i = 0; i < 8; ++i) {
      s.Step();
      got.push_back(s.GetLastLr()[0]);
    }
    return got;
  };
  auto expect = [](const std::vector<double>& got, const std::vector<double>& want) {
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) EXPECT_DOUBLE_EQ(got[i], want[i]) << i;
  };
  optim::SGD o1({p}, {.lr = 0.1});
  optim::ExponentialLR exp(o1, 0.9);
  expect(run(exp), {0.090000000000000011, 0.081000000000000016, 0.07290000000000002,
                    0.065610000000000016, 0.059049000000000018, 0.05314410000000002,
                    0.047829690000000022, 0.043046721000000024});
  optim::SGD o2({p}, {.lr = 0.1});
  optim::MultiStepLR multi(o2, {2, 5, 5}, 0.5);
  expect(run(multi), {0.10000000000000001, 0.050000000000000003, 0.050000000000000003,
                      0.050000000000000003, 0.012500000000000001, 0.012500000000000001,
                      0.012500000000000001, 0.012500000000000001});
  optim::SGD o3({p}, {.lr = 0.1});
  optim::LambdaLR lambda(o3, [](int64_t e) { return 1.0 / static_cast<double>(e + 1); });
  expect(run(lambda), {0.050000000000000003, 0.033333333333333333, 0.025000000000000001,
                       0.020000000000000004, 0.016666666666666666, 0.014285714285714285,
                       0.012500000000000001, 0.011111111111111112});
}

// ------------------------------------------------------------------ nn

// PyTorch 1.13: torch.manual_seed(0); torch.nn.Linear(3, 4);
// torch.nn.Linear(4, 2, bias=False)
TEST_F(ParityTest, SeededLinearInitEqualsPyTorch) {
  client().ManualSeed(0);
  nn::Linear lin(client(), 3, 4);
  nn::Linear lin2(client(), 4, 2, /*bias=*/false);
  EXPECT_THAT(F(lin.weight()),
              ElementsAreArray({FloatEq(-0.00432251766f), FloatEq(0.309715837f),
                                FloatEq(-0.475185335f), FloatEq(-0.424894601f),
                                FloatEq(-0.222368971f), FloatEq(0.154820725f),
                                FloatEq(-0.0114391446f), FloatEq(0.457774937f),
                                FloatEq(-0.0512363985f), FloatEq(0.152774125f),
                                FloatEq(-0.174482793f), FloatEq(-0.11348708f)}));
  EXPECT_THAT(F(lin.bias()), ElementsAre(FloatEq(-0.551570714f), FloatEq(-0.382368743f),
                                         FloatEq(-0.237997115f), FloatEq(0.0213871151f)));
  EXPECT_THAT(F(lin2.weight()),
              ElementsAre(FloatEq(0.197667599f), FloatEq(0.300011396f), FloatEq(-0.338970542f),
                          FloatEq(-0.217731416f), FloatEq(0.181608558f), FloatEq(0.415193975f),
                          FloatEq(-0.102900088f), FloatEq(0.374155879f)));
  EXPECT_FALSE(lin2.bias().defined());
  EXPECT_TRUE(lin.weight().RequiresGrad());
  EXPECT_TRUE(lin.weight().IsLeaf());
}

TEST_F(ParityTest, SequentialNamesParametersAndPrintsLikeTorch) {
  nn::Sequential model;
  model.Add(std::make_shared<nn::Linear>(client(), 2, 3))
      .Add(std::make_shared<nn::ReLU>())
      .Add(std::make_shared<nn::Linear>(client(), 3, 1, false));
  std::vector<std::string> names;
  for (auto& [name, t] : model.NamedParameters()) names.push_back(name);
  EXPECT_THAT(names, ElementsAre("0.weight", "0.bias", "2.weight"));
  EXPECT_EQ(model.Parameters().size(), 3u);
  EXPECT_EQ(model.Repr(),
            "Sequential(\n"
            "  (0): Linear(in_features=2, out_features=3, bias=True)\n"
            "  (1): ReLU()\n"
            "  (2): Linear(in_features=3, out_features=1, bias=False)\n"
            ")");
  Tensor out = model(client().Ones({5, 2}));
  EXPECT_THAT(out.Shape(), ElementsAre(5, 1));
  EXPECT_EQ(out.GradFn(), "MmBackward0");
}

// PyTorch 1.13: x = [[1, 2, 0.5], [-1, 0, 3]], y = [2, 0],
// p = [[0.2, 0.3, 0.5], [1, 0, 0]]; F.cross_entropy(x, y) (mean/sum/none),
// F.cross_entropy(x, p), F.mse_loss(x, p)
TEST_F(ParityTest, LossesEqualPyTorch) {
  Tensor x = client().Tensor({1.f, 2.f, 0.5f, -1.f, 0.f, 3.f}, {2, 3});
  Tensor y = client().Tensor(std::vector<int64_t>{2, 0});
  Tensor p = client().Tensor({0.2f, 0.3f, 0.5f, 1.f, 0.f, 0.f}, {2, 3});
  EXPECT_FLOAT_EQ(nn::CrossEntropyLoss()(x, y).Item<float>(), 3.01512647f);
  EXPECT_FLOAT_EQ(nn::CrossEntropyLoss(nn::Reduction::kSum)(x, y).Item<float>(), 6.03025293f);
  EXPECT_THAT(F(nn::CrossEntropyLoss(nn::Reduction::kNone)(x, y)),
              ElementsAre(FloatEq(1.96436882f), FloatEq(4.06588411f)));
  EXPECT_FLOAT_EQ(nn::functional::CrossEntropy(x, p).Item<float>(), 2.74012661f);
  EXPECT_FLOAT_EQ(nn::MSELoss()(x, p).Item<float>(), 2.75500011f);
  Tensor y_ignored = client().Tensor(std::vector<int64_t>{2, -100});
  EXPECT_FLOAT_EQ(nn::CrossEntropyLoss()(x, y_ignored).Item<float>(), 1.96436882f);
  // One sample without a batch dim: F.cross_entropy(x[0], tensor(2)), shape ().
  Tensor none1d = nn::CrossEntropyLoss(nn::Reduction::kNone)(
      x.Select(0, 0), client().Tensor(std::vector<int64_t>{2}, {}));
  EXPECT_THAT(none1d.Shape(), ElementsAre());
  EXPECT_FLOAT_EQ(none1d.Item<float>(), 1.96436882f);
  // Its gradient: x.requires_grad_(); F.cross_entropy(x, y).backward(); x.grad
  Tensor xg = client().Tensor({1.f, 2.f, 0.5f, -1.f, 0.f, 3.f}, {2, 3}, {.requires_grad = true});
  nn::CrossEntropyLoss()(xg, y).Backward();
  EXPECT_THAT(F(xg.Grad()), Pointwise(FloatNear(1e-7), std::vector<float>{
                                0.115611941f, 0.314265847f, -0.429877818f, -0.49142608f,
                                0.023306312f, 0.46811977f}));
}

// A model of one's own, as a PyTorch user writes it:
//   class Net(nn.Module): fc1 = Linear(2, 3); fc2 = Linear(3, 1);
//       forward(x) = fc2(relu(fc1(x)))
//   torch.manual_seed(11); Net()([[1, -2], [0.5, 0.25]])  (PyTorch 1.13)
class Net : public nn::Module {
 public:
  explicit Net(Client& c)
      : fc1_(RegisterModule("fc1", std::make_shared<nn::Linear>(c, 2, 3))),
        fc2_(RegisterModule("fc2", std::make_shared<nn::Linear>(c, 3, 1))) {}
  Tensor Forward(const Tensor& x) override { return fc2_->Forward(fc1_->Forward(x).Relu()); }

 protected:
  std::string Name() const override { return "Net"; }

 private:
  std::shared_ptr<nn::Linear> fc1_, fc2_;
};

TEST_F(ParityTest, CustomModuleEqualsPyTorch) {
  client().ManualSeed(11);
  Net net(client());
  std::vector<std::string> names;
  for (auto& [name, t] : net.NamedParameters()) names.push_back(name);
  EXPECT_THAT(names, ElementsAre("fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"));
  Tensor out = net(client().Tensor({1.f, -2.f, 0.5f, 0.25f}, {2, 2}));
  EXPECT_THAT(F(out), ElementsAre(FloatEq(-0.556185603f), FloatEq(-0.188451067f)));
  EXPECT_EQ(net.Repr(),
            "Net(\n"
            "  (fc1): Linear(in_features=2, out_features=3, bias=True)\n"
            "  (fc2): Linear(in_features=3, out_features=1, bias=True)\n"
            ")");
}

// PyTorch 1.13: torch.manual_seed(5); F.dropout(torch.ones(10), 0.3)
TEST_F(ParityTest, SeededDropoutEqualsPyTorchAndEvalIsIdentity) {
  client().ManualSeed(5);
  nn::Dropout dropout(0.3);
  const float k = 1.42857146f;
  EXPECT_THAT(F(dropout(client().Ones({10}))),
              ElementsAre(FloatEq(k), FloatEq(k), FloatEq(k), FloatEq(k), FloatEq(k), 0,
                          FloatEq(k), 0, 0, FloatEq(k)));
  dropout.Eval();
  EXPECT_THAT(F(dropout(client().Ones({3}))), ElementsAre(1, 1, 1));
  EXPECT_THROW(nn::Dropout(1.5), Error);
}

// PyTorch 1.13: x = [0.2, 0.9, 0.5, 0.01], t = [0, 1, 1, 0], z = [-2, 0.5, 3, -0.1];
// F.binary_cross_entropy(x, t), F.binary_cross_entropy_with_logits(z, t),
// F.l1_loss(z, t), F.nll_loss([[-0.5, -1.2, -2], [-0.1, -3, -2.5]], [1, 0])
TEST_F(ParityTest, MoreLossesEqualPyTorch) {
  Tensor x = client().Tensor({0.2f, 0.9f, 0.5f, 0.01f}, {4});
  Tensor t = client().Tensor({0.f, 1.f, 1.f, 0.f}, {4});
  Tensor z = client().Tensor({-2.f, 0.5f, 3.f, -0.1f}, {4});
  EXPECT_FLOAT_EQ(nn::BCELoss()(x, t).Item<float>(), 0.257925391f);
  EXPECT_FLOAT_EQ(nn::BCEWithLogitsLoss()(z, t).Item<float>(), 0.323497236f);
  EXPECT_FLOAT_EQ(nn::L1Loss()(z, t).Item<float>(), 1.14999998f);
  Tensor lp = client().Tensor({-0.5f, -1.2f, -2.f, -0.1f, -3.f, -2.5f}, {2, 3});
  Tensor y = client().Tensor(std::vector<int64_t>{1, 0});
  EXPECT_FLOAT_EQ(nn::NLLLoss()(lp, y).Item<float>(), 0.650000036f);
}

// PyTorch 1.13: torch.manual_seed(7); w = torch.empty(2, 3); xavier_uniform_(w);
// w = torch.empty(3, 2); kaiming_normal_(w, mode="fan_out", nonlinearity="relu")
TEST_F(ParityTest, SeededInitFunctionsEqualPyTorch) {
  client().ManualSeed(7);
  Tensor w = client().Empty({2, 3});
  nn::init::XavierUniform_(w);
  EXPECT_THAT(F(w), ElementsAre(FloatEq(0.0765114576f), FloatEq(-0.659889162f),
                                FloatEq(0.348815352f), FloatEq(0.343729377f),
                                FloatEq(-0.585490108f), FloatEq(-0.164182246f)));
  Tensor k = client().Empty({3, 2});
  nn::init::KaimingNormal_(k, 0, "fan_out", "relu");
  EXPECT_THAT(F(k), ElementsAre(FloatEq(-1.02176392f), FloatEq(-1.53833473f),
                                FloatEq(0.363947153f), FloatEq(-0.577126265f),
                                FloatEq(-1.28595579f), FloatEq(-0.515902519f)));
  EXPECT_DOUBLE_EQ(nn::init::CalculateGain("leaky_relu", 0.2), 1.3867504905630728);
  EXPECT_DOUBLE_EQ(nn::init::CalculateGain("tanh"), 1.6666666666666667);
  EXPECT_THROW(nn::init::CalculateGain("swish"), Error);
  Tensor v = client().Empty({3});
  EXPECT_THROW(nn::init::XavierUniform_(v), Error);
}

TEST_F(ParityTest, LayersPrintLikeTorch) {
  nn::Sequential model({std::make_shared<nn::Flatten>(), std::make_shared<nn::Dropout>(0.25),
                        std::make_shared<nn::LogSoftmax>(1)});
  EXPECT_EQ(model.Repr(),
            "Sequential(\n"
            "  (0): Flatten(start_dim=1, end_dim=-1)\n"
            "  (1): Dropout(p=0.25, inplace=False)\n"
            "  (2): LogSoftmax(dim=1)\n"
            ")");
  EXPECT_THAT(model(client().Ones({2, 2, 3})).Shape(), ElementsAre(2, 6));
}

TEST_F(ParityTest, StateDictRoundTrips) {
  client().ManualSeed(0);
  nn::Linear a(client(), 3, 2);
  client().ManualSeed(1);
  nn::Linear b(client(), 3, 2);
  EXPECT_NE(F(a.weight()), F(b.weight()));
  auto state = a.StateDict();
  ASSERT_EQ(state.size(), 2u);
  EXPECT_EQ(state[0].first, "weight");
  EXPECT_FALSE(state[0].second.RequiresGrad());
  b.LoadStateDict(state);
  EXPECT_EQ(F(a.weight()), F(b.weight()));
  EXPECT_EQ(F(a.bias()), F(b.bias()));
  EXPECT_TRUE(b.weight().IsLeaf());
  EXPECT_TRUE(b.weight().RequiresGrad());
  nn::Linear no_bias(client(), 3, 2, false);
  try {
    no_bias.LoadStateDict(state);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.message(), HasSubstr("Unexpected key(s) in state_dict: \"bias\""));
  }
  no_bias.LoadStateDict(state, /*strict=*/false);
  EXPECT_EQ(F(no_bias.weight()), F(a.weight()));
}

TEST_F(ParityTest, TrainingStepReducesTheLoss) {
  client().ManualSeed(1);
  nn::Sequential model;
  model.Add(std::make_shared<nn::Linear>(client(), 2, 8))
      .Add(std::make_shared<nn::Tanh>())
      .Add(std::make_shared<nn::Linear>(client(), 8, 1));
  Tensor x = client().Randn({16, 2});
  Tensor target = x.Sum({1}, true);
  optim::SGD opt(model.Parameters(), {.lr = 0.1, .momentum = 0.9});
  nn::MSELoss loss_fn;
  float first = 0, last = 0;
  for (int i = 0; i < 20; ++i) {
    opt.ZeroGrad();
    Tensor loss = loss_fn(model(x), target);
    loss.Backward();
    opt.Step();
    (i == 0 ? first : last) = loss.Item<float>();
  }
  EXPECT_LT(last, first / 4);
}

}  // namespace
}  // namespace tensord
