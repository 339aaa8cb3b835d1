#include "engine/random.h"

#include "engine/tests/test_util.h"

namespace tensord::engine {
namespace {
using namespace testing;
using ::testing::DoubleNear;
using ::testing::ElementsAre;
using ::testing::Pointwise;

TEST(GeneratorTest, Mt19937ReferenceSequence) {
  Generator g(5489);  // std::mt19937's default seed: its 10000th output is 4123659995
  uint32_t v = 0;
  for (int i = 0; i < 10000; ++i) v = g.Random();
  EXPECT_EQ(v, 4123659995u);
}

std::vector<double> Draw(Generator& g, absl::string_view op, std::vector<int64_t> size) {
  return Values(Call1(op, {}, {{"size", size}}, &g));
}

// Printed by PyTorch in the seed tutorials (shared/seeds/001, 002).
TEST(GeneratorTest, RandnMatchesPyTorchSmallTensors) {
  Generator g;
  g.ManualSeed(7);
  EXPECT_THAT(Draw(g, "randn", {1, 5}), Pointwise(DoubleNear(5e-5), {-0.1468, 0.7861, 0.9468, -1.1143, 1.6908}));
  EXPECT_THAT(Draw(g, "randn", {1, 5}), Pointwise(DoubleNear(5e-5), {-0.8948, -0.3556, 1.2324, 0.1382, -1.6822}));
  EXPECT_THAT(Draw(g, "randn", {1, 1}), Pointwise(DoubleNear(5e-5), {0.3177}));
}

TEST(GeneratorTest, RandnMatchesPyTorchVectorisedPath) {
  Generator g;
  g.ManualSeed(1);
  std::vector<double> v = Draw(g, "randn", {3, 4, 5});
  ASSERT_EQ(v.size(), 60u);
  EXPECT_THAT(std::vector<double>(v.begin(), v.begin() + 5),
              Pointwise(DoubleNear(5e-5), {-1.5256, -0.7502, -0.6540, -1.6095, -0.1002}));
  EXPECT_THAT(std::vector<double>(v.end() - 5, v.end()),
              Pointwise(DoubleNear(5e-5), {1.6103, -0.7040, -0.1853, -0.9962, -0.8313}));
}

TEST(GeneratorTest, SameSeedSameNumbersAndRanges) {
  Generator a, b;
  a.ManualSeed(123);
  b.ManualSeed(123);
  EXPECT_EQ(Draw(a, "rand", {100}), Draw(b, "rand", {100}));
  for (double x : Draw(a, "rand", {1000})) { EXPECT_GE(x, 0.0); EXPECT_LT(x, 1.0); }
  Tensor r = Call1("randint", {}, {{"low", int64_t{3}}, {"high", int64_t{7}}, {"size", std::vector<int64_t>{500}}}, &a);
  EXPECT_EQ(r.dtype(), DType::kInt64);
  std::set<double> seen;
  for (double x : Values(r)) seen.insert(x);
  EXPECT_THAT(seen, ElementsAre(3, 4, 5, 6));
}

TEST(GeneratorTest, RandintMatchesPyTorch) {
  // torch.manual_seed(0); torch.randint(0, 10, (5,)) -> tensor([4, 9, 3, 0, 3])
  Generator g;
  g.ManualSeed(0);
  Tensor r = Call1("randint", {}, {{"high", int64_t{10}}, {"size", std::vector<int64_t>{5}}}, &g);
  EXPECT_THAT(Values(r), ElementsAre(4, 9, 3, 0, 3));
}

TEST(GeneratorTest, RandMatchesPyTorch) {
  // torch.manual_seed(0); torch.rand(3) -> tensor([0.4963, 0.7682, 0.0885])
  Generator g;
  g.ManualSeed(0);
  EXPECT_THAT(Draw(g, "rand", {3}), Pointwise(DoubleNear(5e-5), {0.4963, 0.7682, 0.0885}));
}

}  // namespace
}  // namespace tensord::engine

namespace tensord::engine {
namespace {
using namespace testing;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

// Expected values below were printed by PyTorch 1.13 (Debian python3-torch)
// for the same seeds; float32 results are compared exactly.
Tensor Filled(Generator& g, absl::string_view op, std::vector<int64_t> shape, const AttrMap& attrs) {
  Tensor t = Tensor::Empty(shape, DType::kFloat32);
  auto r = CallOp(op, {t}, attrs, CallOptions{&g, true});
  EXPECT_TRUE(r.ok()) << r.status();
  return t;
}

TEST(RandomFillTest, UniformMatchesPyTorchBitForBit) {
  Generator g;
  g.ManualSeed(0);
  EXPECT_THAT(Values(Filled(g, "uniform_", {5}, {{"from", -0.3}, {"to", 0.3}})),
              ElementsAre(float(-0.002246046205982566), float(0.16093307733535767), float(-0.24691355228424072),
                          float(-0.22078171372413635), float(-0.115546315908432)));
  // nn.Linear(3, 2)'s weight init under manual_seed(0): kaiming_uniform_(a=sqrt(5)) = uniform_(-1/sqrt(3), 1/sqrt(3)).
  g.ManualSeed(0);
  EXPECT_THAT(Values(Filled(g, "uniform_", {2, 3}, {{"from", -0.57735026918962573}, {"to", 0.57735026918962573}})),
              ElementsAre(float(-0.004322517663240433), float(0.3097158372402191), float(-0.4751853346824646),
                          float(-0.4248946011066437), float(-0.2223689705133438), float(0.15482072532176971)));
}

TEST(RandomFillTest, NormalBothPathsMatchPyTorch) {
  Generator g;
  g.ManualSeed(0);
  std::vector<double> big = Values(Filled(g, "normal_", {20}, {{"mean", 1.0}, {"std", 2.0}}));
  EXPECT_NEAR(big[0], -1.2516796588897705, 1e-6);
  EXPECT_NEAR(big[1], -1.304720401763916, 1e-6);
  EXPECT_NEAR(big[2], 0.49884283542633057, 1e-6);
  EXPECT_THAT(Values(Filled(g, "normal_", {3}, {{"mean", 1.0}, {"std", 2.0}})),
              ElementsAre(float(-0.7839906215667725), float(-2.0182154178619385), float(1.7407870292663574)));
}

// normal_ in every floating dtype, both of PyTorch's paths (serial below 16
// elements or non-contiguous; uniforms + Box-Muller in blocks of 16 above,
// with float32 in the AVX2 kernel's polynomial log/sincos), compared bit for
// bit: the expected value is the 64-bit FNV-1a hash of the bytes PyTorch 1.13
// (Debian python3-torch, CPU capability AVX2) produced for
//   torch.manual_seed(seed); torch.empty(n, dtype=dt).normal_(mean, std)
// (or `.t().normal_` on an (n/4, 4) tensor for the transposed case, which
// PyTorch fills serially in memory order).
uint64_t Fnv1a(const Tensor& t) {
  uint64_t h = 0xcbf29ce484222325ull;
  const auto* p = static_cast<const unsigned char*>(t.raw_data());
  for (size_t i = 0; i < static_cast<size_t>(t.numel()) * ItemSize(t.dtype()); ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

TEST(RandomFillTest, NormalMatchesPyTorchBitForBitInEveryFloatingDType) {
  struct Case {
    uint64_t seed;
    int64_t n;
    DType dtype;
    double mean, std;
    bool transposed;
    uint64_t torch_hash;
  };
  const Case cases[] = {
      {0, 1000, DType::kFloat32, 0.0, 1.0, false, 0x31ae67821ca5077eull},  // [0] = -1.1258398294448853
      {7, 37, DType::kFloat32, 0.0, 1.0, false, 0x35de5cb7a2811f4eull},  // [0] = -0.8201345205307007
      {1, 4099, DType::kFloat32, 1.5, 0.25, false, 0xce9783d22669dba7ull},  // [0] = 1.1186010837554932
      {0, 33, DType::kFloat64, 0.0, 1.0, false, 0xf9f2b3f05ce4bd39ull},  // [0] = -2.310411800234176
      {0, 100, DType::kFloat16, 0.0, 1.0, false, 0xd8f3dae89270c1b9ull},  // [0] = -0.90087890625
      {0, 100, DType::kBFloat16, -1.0, 3.0, false, 0xf4a4e73dca435933ull},  // [0] = 3.375
      {5, 64, DType::kFloat32, 0.0, 1.0, true, 0x50ad18c7d4a0ec90ull},  // [0] = -0.4867807626724243
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(absl::StrCat("seed ", c.seed, " n ", c.n, " ", DTypeName(c.dtype), c.transposed ? " transposed" : ""));
    Generator g;
    g.ManualSeed(c.seed);
    Tensor t = c.transposed ? Tensor::Empty({c.n / 4, 4}, c.dtype) : Tensor::Empty({c.n}, c.dtype);
    Tensor target = c.transposed ? Call1("t", {t}, {}) : t;
    ASSERT_TRUE(CallOp("normal_", {target}, {{"mean", c.mean}, {"std", c.std}}, CallOptions{&g, true}).ok());
    EXPECT_EQ(Fnv1a(t), c.torch_hash);
  }
}

TEST(RandomFillTest, RefusesToFillExpandedTensors) {
  Generator g;
  Tensor e = Call1("expand", {FromVector({1}, {1})}, {{"size", std::vector<int64_t>{4}}});
  EXPECT_THAT(CallOp("uniform_", {e}, {}, CallOptions{&g, true}),
              StatusIs(absl::StatusCode::kInvalidArgument, "more than one element of the written-to tensor"));
}

TEST(RandomFillTest, BernoulliAndRandpermMatchPyTorch) {
  Generator g;
  g.ManualSeed(0);
  EXPECT_THAT(Values(Filled(g, "bernoulli_", {6}, {{"p", 0.6}})), ElementsAre(0, 0, 1, 0, 0, 0));
  g.ManualSeed(0);
  Tensor probs = FromVector({0.3, 0.3, 0.3, 0.3, 0.3, 0.3}, {6});
  EXPECT_THAT(Values(Call1("bernoulli", {probs}, {}, &g)), ElementsAre(0, 0, 1, 1, 0, 0));
  g.ManualSeed(0);
  EXPECT_THAT(Values(Call1("randperm", {}, {{"n", int64_t{8}}}, &g)), ElementsAre(4, 0, 7, 3, 2, 5, 1, 6));
}

TEST(RandomFillTest, RefusesLeavesThatRequireGradOutsideNoGrad) {
  Generator g;
  Tensor w = FromVector({1, 2}, {2});
  ASSERT_TRUE(SetRequiresGrad(w, true).ok());
  EXPECT_THAT(CallOp("uniform_", {w}, {}, CallOptions{&g, true}),
              StatusIs(absl::StatusCode::kInvalidArgument, "leaf Variable that requires grad"));
  EXPECT_TRUE(CallOp("uniform_", {w}, {}, CallOptions{&g, false}).ok());
  EXPECT_EQ(w.version(), 1u);
}

// Three steps of loss = sum(c * p^2) + sum(p), c = [1, 2, 3], from p = [0.5, -1.5, 2],
// against torch.optim (PyTorch 1.13, CPU, single-tensor path).
std::vector<double> RunOptimizer(absl::string_view op, AttrMap attrs, int state_tensors) {
  Tensor p = FromVector({0.5, -1.5, 2.0}, {3});
  EXPECT_TRUE(SetRequiresGrad(p, true).ok());
  std::vector<Tensor> tensors{p};
  for (int k = 0; k < state_tensors; ++k) tensors.push_back(FromVector({0, 0, 0}, {3}));
  Tensor c = FromVector({1, 2, 3}, {3});
  for (int step = 1; step <= 3; ++step) {
    EXPECT_TRUE(CallOp("set_grad_", {p, Tensor()}, {}, {}).ok());
    Tensor loss = Call1("add", {Call1("sum", {Call1("mul", {Call1("mul", {p, p}), c})}), Call1("sum", {p})});
    EXPECT_TRUE(Backward({loss}, {}, false, false).ok());
    AttrMap a = attrs;
    if (op == "_fused_adam_") a.push_back({"step", int64_t{step}});
    else a.push_back({"first_step", step == 1});
    auto r = CallOp(op, tensors, a, CallOptions{nullptr, false});
    EXPECT_TRUE(r.ok()) << r.status();
  }
  return Values(p);
}

TEST(FusedOptimizerTest, SgdMatchesTorchOptim) {
  auto p = RunOptimizer("_fused_sgd_", {{"lr", 0.1}, {"momentum", 0.9}, {"dampening", 0.1}, {"weight_decay", 0.01}}, 1);
  EXPECT_THAT(p, ElementsAre(float(-0.4027502238750458), float(0.38264042139053345), float(-1.9975863695144653)));
  auto n = RunOptimizer("_fused_sgd_", {{"lr", 0.1}, {"momentum", 0.9}, {"weight_decay", 0.01}, {"nesterov", true}}, 1);
  EXPECT_THAT(n, ElementsAre(float(-0.6088858246803284), float(0.2927751839160919), float(-0.8224360346794128)));
}

TEST(FusedOptimizerTest, AdamAndAdamWMatchTorchOptim) {
  auto a = RunOptimizer("_fused_adam_", {{"lr", 0.01}, {"weight_decay", 0.01}}, 2);
  EXPECT_THAT(a, ElementsAre(float(0.4700101315975189), float(-1.4700080156326294), float(1.9700045585632324)));
  auto w = RunOptimizer("_fused_adam_", {{"lr", 0.01}, {"weight_decay", 0.1}, {"amsgrad", true},
                                         {"decoupled_weight_decay", true}}, 3);
  EXPECT_THAT(w, ElementsAre(float(0.4685421288013458), float(-1.4655437469482422), float(1.9640414714813232)));
}

TEST(FusedOptimizerTest, ValidatesStateLists) {
  Tensor p = FromVector({1, 2}, {2});
  EXPECT_THAT(CallOp("_fused_adam_", {p, p}, {{"lr", 0.1}, {"step", int64_t{1}}}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "expected 3 lists of equal length"));
  EXPECT_THAT(CallOp("_fused_sgd_", {p, FromVector({1, 2, 3}, {3})}, {{"lr", 0.1}, {"momentum", 0.9}}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "must match its shape [2]"));
}

}  // namespace
}  // namespace tensord::engine
