// The CUDA backend's indexing, random and fused-optimizer kernels against
// the CPU's (on a GPU, or the host emulator: TENSORD_CUDA_EMULATOR=N), and
// the Philox4x32-10 generator they draw from against its published answers.
// Tests that need a cuda device skip without one.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

#include "engine/cuda/kernels/philox.cuh"
#include "engine/device.h"
#include "engine/tests/test_util.h"

namespace tensord::engine {
namespace {

using namespace testing;  // NOLINT
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;

// Random123's kat_vectors, the three philox4x32 10 lines: counter, key, result.
TEST(PhiloxTest, MatchesRandom123KnownAnswers) {
  struct Case {
    uint32_t ctr[4], key[2], want[4];
  };
  const Case cases[] = {
      {{0, 0, 0, 0}, {0, 0}, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
      {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, {0xffffffff, 0xffffffff},
       {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
      {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, {0xa4093822, 0x299f31d0},
       {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
  };
  for (const Case& c : cases) {
    const cuda::emu::Philox4x32 out =
        cuda::emu::Philox4x32_10({{c.ctr[0], c.ctr[1], c.ctr[2], c.ctr[3]}}, c.key[0], c.key[1]);
    EXPECT_THAT(out.v, ElementsAre(c.want[0], c.want[1], c.want[2], c.want[3]));
  }
  // PhiloxBlock's layout: counter (block lo, block hi, 0, 0), key (seed lo, seed hi).
  const cuda::emu::Philox4x32 b = cuda::emu::PhiloxBlock(0, 0);
  EXPECT_THAT(b.v, ElementsAre(0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u));
}

bool HaveCuda() { return Device::Parse("cuda:0").ok(); }
#define SKIP_WITHOUT_CUDA() \
  if (!HaveCuda()) GTEST_SKIP() << "no cuda device: " << CudaUnavailableReason()

Tensor Long(std::vector<double> v, std::vector<int64_t> shape) { return FromVector(v, shape, DType::kInt64); }

// Runs op on CPU inputs and on their cuda copies; expects equal results
// (exactly: every case below is exact in every dtype) on cuda:0.
void ExpectSameOnCuda(absl::string_view op, const std::vector<Tensor>& in, const AttrMap& attrs,
                      const std::string& what) {
  std::vector<Tensor> din;
  for (const Tensor& t : in) din.push_back(ToCuda(t));
  auto want = CallOp(op, in, attrs, {});
  auto got = CallOp(op, din, attrs, {});
  ASSERT_TRUE(want.ok()) << what << ": " << want.status();
  ASSERT_TRUE(got.ok()) << what << ": " << got.status();
  const Tensor& g = (*got)[0];
  EXPECT_EQ(g.device().ToString(), "cuda:0") << what;
  EXPECT_EQ(g.dtype(), (*want)[0].dtype()) << what;
  EXPECT_EQ(ShapeOf(g), ShapeOf((*want)[0])) << what;
  EXPECT_EQ(Values(g), Values((*want)[0])) << what;
}

const DType kAllDTypes[] = {DType::kBool,    DType::kUInt8,    DType::kInt8,    DType::kInt16,   DType::kInt32,
                            DType::kInt64,   DType::kFloat16,  DType::kBFloat16, DType::kFloat32, DType::kFloat64};

std::vector<double> Small(int64_t n, DType dtype, int salt) {  // exact in every dtype, sums too
  std::vector<double> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = dtype == DType::kBool ? (i * 7 + salt) % 3 == 0 : (i * 7 + salt) % 10;
  return v;
}

TEST(CudaIndexTest, IndexFamilyMatchesCpuForEveryDType) {
  SKIP_WITHOUT_CUDA();
  for (DType dt : kAllDTypes) {
    const std::string name(DTypeName(dt));
    const Tensor x = FromVector(Small(20, dt, 1), {4, 5}, dt);
    const Tensor xt = Call1("t", {FromVector(Small(20, dt, 2), {5, 4}, dt)});  // [4, 5], not contiguous
    const Tensor rows = Long({3, -1, 0, 3}, {4});                               // negative and repeated
    ExpectSameOnCuda("index", {x, rows}, {}, "index rows " + name);
    ExpectSameOnCuda("index", {xt, Tensor(), Long({4, -5, 2}, {3})}, {}, "index cols of a transpose " + name);
    ExpectSameOnCuda("index", {x, Long({0, 3}, {2, 1}), Long({1, -2, 4}, {3})}, {}, "index pairs " + name);
    // index_put: unique positions, then duplicates accumulated.
    const Tensor vals = FromVector(Small(10, dt, 3), {2, 5}, dt);
    ExpectSameOnCuda("index_put", {x, vals, Long({2, -4}, {2})}, {}, "index_put " + name);
    const Tensor dup_vals = FromVector(Small(20, dt, 4), {4, 5}, dt);
    ExpectSameOnCuda("index_put", {xt, dup_vals, Long({1, 1, -3, 1}, {4})}, {{"accumulate", true}},
                     "index_put accumulate duplicates " + name);
    ExpectSameOnCuda("index_put", {x, FromVector(Small(3, dt, 5), {3}, dt), Long({0, 0, 3}, {3}), Long({2, 2, -1}, {3})},
                     {{"accumulate", true}}, "index_put accumulate element duplicates " + name);
    // gather / scatter / scatter_add along both dims.
    const Tensor gidx = Long({0, 4, 2, 1, 1, 3, 4, 0, 2, 0, 3, 3}, {4, 3});
    ExpectSameOnCuda("gather", {xt, gidx}, {{"dim", int64_t{1}}}, "gather " + name);
    ExpectSameOnCuda("gather", {x, Long({3, 0, 1, 2, 2, 1}, {2, 3})}, {{"dim", int64_t{0}}}, "gather dim 0 " + name);
    const Tensor src = FromVector(Small(15, dt, 6), {3, 5}, dt);
    ExpectSameOnCuda("scatter", {x, Long({3, 0, 1, 2, 1, 0}, {2, 3}), src}, {{"dim", int64_t{0}}}, "scatter " + name);
    ExpectSameOnCuda("scatter", {xt, Long({4, 0, 2, 3}, {2, 2}), Tensor()}, {{"dim", int64_t{1}}, {"value", Scalar(1)}},
                     "scatter value " + name);
    ExpectSameOnCuda("scatter_add", {x, Long({1, 1, 1, 0, 1, 1, 3, 1, 0}, {3, 3}), src}, {{"dim", int64_t{0}}},
                     "scatter_add duplicates " + name);
  }
}

// Out-of-range indices: the CPU's error, word for word; nothing written.
TEST(CudaIndexTest, OutOfRangeIndicesFailAsOnCpu) {
  SKIP_WITHOUT_CUDA();
  const Tensor x = FromVector({0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, {3, 4});
  const Tensor dx = ToCuda(x);
  struct Case {
    std::string op;
    std::vector<Tensor> in;  // CPU inputs, x first
    AttrMap attrs;
  };
  const Tensor row = FromVector({1, 1, 1, 1}, {4});
  const std::vector<Case> cases = {
      {"index", {x, Long({0, 2, 3, 1}, {4})}, {}},
      {"index", {x, Long({0, 1}, {2}), Long({1, -5}, {2})}, {}},
      {"index", {x, Long({-4}, {1})}, {}},
      {"index_put", {x, row, Long({5}, {1})}, {}},
      {"index_put", {x, FromVector({1, 2}, {2}), Long({0, 2}, {2}), Long({-7, 4}, {2})}, {{"accumulate", true}}},
      {"index_select", {x, Long({0, 4}, {2})}, {{"dim", int64_t{1}}}},
      {"index_select", {x, Long({-1}, {1})}, {{"dim", int64_t{0}}}},
      {"gather", {x, Long({0, 1, 4, 2}, {2, 2})}, {{"dim", int64_t{1}}}},
      {"gather", {x, Long({0, -1}, {1, 2})}, {{"dim", int64_t{0}}}},
      {"scatter", {x, Long({0, 3}, {1, 2}), FromVector({7, 7}, {1, 2})}, {{"dim", int64_t{0}}}},
      {"scatter", {x, Long({-1}, {1, 1}), Tensor()}, {{"dim", int64_t{1}}, {"value", Scalar(2)}}},
      {"scatter_add", {x, Long({1, 9}, {1, 2}), FromVector({7, 7}, {1, 2})}, {{"dim", int64_t{1}}}},
  };
  for (const Case& c : cases) {
    auto want = CallOp(c.op, c.in, c.attrs, {});
    ASSERT_FALSE(want.ok()) << c.op;
    ASSERT_EQ(want.status().code(), absl::StatusCode::kInvalidArgument) << want.status();
    std::vector<Tensor> din{dx};
    for (size_t i = 1; i < c.in.size(); ++i) din.push_back(ToCuda(c.in[i]));
    auto got = CallOp(c.op, din, c.attrs, {});
    ASSERT_FALSE(got.ok()) << c.op;
    EXPECT_EQ(got.status(), want.status()) << c.op;
  }
  EXPECT_EQ(Values(dx), Values(x));  // every failed op left its input alone
  // The session goes on: the device still works.
  ExpectSameOnCuda("index", {x, Long({2, 0}, {2})}, {}, "index after errors");
}

// PyTorch's exception to the same-device rule: CPU indices (and masks) for a cuda self.
TEST(CudaIndexTest, CpuIndicesIndexACudaTensor) {
  SKIP_WITHOUT_CUDA();
  const Tensor x = FromVector({0, 1, 2, 3, 4, 5}, {2, 3});
  const Tensor dx = ToCuda(x);
  const Tensor idx = Long({2, 0, -1}, {3});
  Tensor got = Call1("index", {dx, Tensor(), idx});
  EXPECT_EQ(got.device().ToString(), "cuda:0");
  EXPECT_EQ(Values(got), Values(Call1("index", {x, Tensor(), idx})));
  const Tensor mask = FromVector({1, 0, 1, 0, 1, 1}, {2, 3}, DType::kBool);
  got = Call1("index", {dx, mask});
  EXPECT_EQ(got.device().ToString(), "cuda:0");
  EXPECT_THAT(Values(got), ElementsAre(0, 2, 4, 5));
  got = Call1("index_put", {dx, FromVector({9}, {}), Long({1}, {1})}, {{"accumulate", true}});
  EXPECT_EQ(got.device().ToString(), "cuda:0");
  EXPECT_THAT(Values(got), ElementsAre(0, 1, 2, 12, 13, 14));
  // But not the other way round, nor cuda values for a CPU self.
  EXPECT_THAT(CallOp("index", {x, ToCuda(idx)}, {}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "indices should be either on cpu or on the same device"));
  EXPECT_THAT(CallOp("index_put", {x, ToCuda(FromVector({1, 2, 3}, {3})), Long({0}, {1})}, {}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "Expected all tensors to be on the same device"));
  EXPECT_THAT(CallOp("index_put", {dx, FromVector({1, 2, 3}, {3}), Long({0}, {1})}, {}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "Expected all tensors to be on the same device"));
}

TEST(CudaIndexTest, NonzeroAndMasksOnCuda) {
  SKIP_WITHOUT_CUDA();
  const Tensor x = FromVector({0, 1.5, 0, -2, 0, 0, 3, 0}, {2, 2, 2});
  const Tensor got = Call1("nonzero", {ToCuda(x)});
  EXPECT_EQ(got.device().ToString(), "cuda:0");
  EXPECT_EQ(ShapeOf(got), (std::vector<int64_t>{3, 3}));
  EXPECT_EQ(Values(got), Values(Call1("nonzero", {x})));
  const Tensor none = Call1("nonzero", {ToCuda(FromVector({0, 0}, {2}))});
  EXPECT_EQ(ShapeOf(none), (std::vector<int64_t>{0, 1}));
  const Tensor mask = Call1("gt", {ToCuda(x), ToCuda(FromVector({0}, {}))});
  EXPECT_THAT(Values(Call1("index", {ToCuda(x), mask})), ElementsAre(1.5, 3));
}

// ---------------------------------------------------------------- random

Tensor CudaRandom(Generator& g, absl::string_view op, std::vector<int64_t> size, DType dtype, AttrMap extra = {}) {
  extra.push_back({"size", size});
  extra.push_back({"dtype", dtype});
  extra.push_back({"device", std::string("cuda:0")});
  return Call1(op, {}, extra, &g);
}

double Mean(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / v.size(); }
double Var(const std::vector<double>& v) {
  const double m = Mean(v);
  double s = 0;
  for (double x : v) s += (x - m) * (x - m);
  return s / v.size();
}

// Element i of a launch is a function of (seed, offset + i) alone
// (Note [CUDA random numbers]): float32 rand is the top 24 bits of word 0.
TEST(CudaRandomTest, SeededDrawsFollowPhiloxAndReproduce) {
  SKIP_WITHOUT_CUDA();
  constexpr uint64_t kSeed = 0x123456789abcdefull;
  Generator g(kSeed);
  const std::vector<double> first = Values(CudaRandom(g, "rand", {3, 100}, DType::kFloat32));
  const std::vector<double> second = Values(CudaRandom(g, "rand", {50}, DType::kFloat32));
  EXPECT_EQ(g.cuda_offset(), 350u);
  for (int i = 0; i < 300; ++i) {
    const double want = (cuda::emu::PhiloxBlock(kSeed, i).v[0] >> 8) * 0x1p-24;
    ASSERT_EQ(first[i], want) << i;
  }
  for (int i = 0; i < 50; ++i) ASSERT_EQ(second[i], (cuda::emu::PhiloxBlock(kSeed, 300 + i).v[0] >> 8) * 0x1p-24);
  g.ManualSeed(kSeed);
  EXPECT_EQ(g.cuda_offset(), 0u);
  EXPECT_EQ(Values(CudaRandom(g, "rand", {3, 100}, DType::kFloat32)), first);
  const std::vector<double> n1 = Values(CudaRandom(g, "randn", {257}, DType::kFloat64));
  g.ManualSeed(kSeed);
  CudaRandom(g, "rand", {3, 100}, DType::kFloat32);
  EXPECT_EQ(Values(CudaRandom(g, "randn", {257}, DType::kFloat64)), n1);
  Generator other(kSeed + 1);
  EXPECT_NE(Values(CudaRandom(other, "rand", {3, 100}, DType::kFloat32)), first);
  // The CPU generator is not consumed by cuda draws (and vice versa).
  Generator cpu_then(7), cuda_between(7);
  const std::vector<double> a = Values(Call1("rand", {}, {{"size", std::vector<int64_t>{4}}}, &cpu_then));
  CudaRandom(cuda_between, "rand", {4}, DType::kFloat32);
  EXPECT_EQ(Values(Call1("rand", {}, {{"size", std::vector<int64_t>{4}}}, &cuda_between)), a);
}

TEST(CudaRandomTest, DistributionsHaveSaneMoments) {
  SKIP_WITHOUT_CUDA();
  Generator g(42);
  constexpr int64_t kN = 1 << 15;
  for (DType dt : {DType::kFloat16, DType::kBFloat16, DType::kFloat32, DType::kFloat64}) {
    const std::string name(DTypeName(dt));
    const std::vector<double> u = Values(CudaRandom(g, "rand", {kN}, dt));
    EXPECT_GE(*std::min_element(u.begin(), u.end()), 0.0) << name;
    EXPECT_LT(*std::max_element(u.begin(), u.end()), 1.0) << name;
    EXPECT_NEAR(Mean(u), 0.5, 0.01) << name;
    EXPECT_NEAR(Var(u), 1.0 / 12, 0.005) << name;
    const std::vector<double> n = Values(CudaRandom(g, "randn", {kN}, dt));
    EXPECT_NEAR(Mean(n), 0.0, 0.03) << name;
    EXPECT_NEAR(std::sqrt(Var(n)), 1.0, 0.03) << name;
    const double within1 = std::count_if(n.begin(), n.end(), [](double z) { return std::abs(z) < 1; }) / double(kN);
    const double within2 = std::count_if(n.begin(), n.end(), [](double z) { return std::abs(z) < 2; }) / double(kN);
    EXPECT_NEAR(within1, 0.6827, 0.015) << name;
    EXPECT_NEAR(within2, 0.9545, 0.01) << name;
  }
  // In-place fills of a non-contiguous view.
  Tensor base = ToCuda(Tensor::Empty({256, 128}, DType::kFloat32));
  Tensor view = Call1("t", {base});
  ASSERT_TRUE(CallOp("normal_", {view}, {{"mean", 3.0}, {"std", 2.0}}, CallOptions{&g, false}).ok());
  std::vector<double> v = Values(view);
  EXPECT_NEAR(Mean(v), 3.0, 0.05);
  EXPECT_NEAR(std::sqrt(Var(v)), 2.0, 0.05);
  ASSERT_TRUE(CallOp("uniform_", {view}, {{"from", -2.0}, {"to", 5.0}}, CallOptions{&g, false}).ok());
  v = Values(view);
  EXPECT_GE(*std::min_element(v.begin(), v.end()), -2.0);
  EXPECT_LT(*std::max_element(v.begin(), v.end()), 5.0);
  EXPECT_NEAR(Mean(v), 1.5, 0.05);
  ASSERT_TRUE(CallOp("bernoulli_", {view}, {{"p", 0.3}}, CallOptions{&g, false}).ok());
  v = Values(view);
  EXPECT_EQ(std::set<double>(v.begin(), v.end()), (std::set<double>{0, 1}));
  EXPECT_NEAR(Mean(v), 0.3, 0.015);
  // bernoulli(probs): p = 0 and 1 are certain; 0.5 is a coin.
  std::vector<double> p(3000);
  for (size_t i = 0; i < p.size(); ++i) p[i] = i % 3 * 0.5;
  for (DType dt : {DType::kFloat32, DType::kFloat64}) {
    const std::vector<double> b = Values(Call1("bernoulli", {ToCuda(FromVector(p, {3000}, dt))}, {}, &g));
    double heads = 0;
    for (size_t i = 0; i < p.size(); ++i) {
      if (p[i] != 0.5) ASSERT_EQ(b[i], p[i]) << i;
      else heads += b[i];
    }
    EXPECT_NEAR(heads / 1000, 0.5, 0.06);
  }
  // randint covers [low, high) and nothing else; wide ranges draw 64 bits.
  const std::vector<double> r = Values(CudaRandom(g, "randint", {4000}, DType::kInt32,
                                                  {{"low", int64_t{-3}}, {"high", int64_t{7}}}));
  EXPECT_EQ(std::set<double>(r.begin(), r.end()), (std::set<double>{-3, -2, -1, 0, 1, 2, 3, 4, 5, 6}));
  const std::vector<double> wide = Values(CudaRandom(g, "randint", {1000}, DType::kInt64,
                                                     {{"low", int64_t{0}}, {"high", int64_t{1} << 40}}));
  EXPECT_GT(*std::max_element(wide.begin(), wide.end()), std::ldexp(1.0, 36));
  // randperm: a permutation, reproducible from the seed.
  Generator h(5);
  const Tensor perm = Call1("randperm", {}, {{"n", int64_t{1000}}, {"device", std::string("cuda:0")}}, &h);
  EXPECT_EQ(perm.device().ToString(), "cuda:0");
  std::vector<double> sorted = Values(perm);
  std::sort(sorted.begin(), sorted.end());
  std::vector<double> iota(1000);
  std::iota(iota.begin(), iota.end(), 0.0);
  EXPECT_EQ(sorted, iota);
  EXPECT_NE(Values(perm), iota);
  h.ManualSeed(5);
  EXPECT_EQ(Values(Call1("randperm", {}, {{"n", int64_t{1000}}, {"device", std::string("cuda:0")}}, &h)), Values(perm));
}

// ---------------------------------------------------------------- fused optimizers

// `steps` steps of `op` on the CPU and on cuda from the same parameters and
// gradients; parameters and state must agree exactly (the kernels repeat the
// CPU's arithmetic, fused multiply-adds included).
void ExpectOptimizerMatchesCpu(absl::string_view op, AttrMap attrs, int state_tensors, DType dtype) {
  const int64_t n = 37;
  std::vector<double> init(n);
  for (int64_t i = 0; i < n; ++i) init[i] = std::sin(0.7 * i) * 2;
  struct Side {
    std::vector<Tensor> tensors;
  } cpu, dev;
  for (Side* s : {&cpu, &dev}) {
    const bool on_cuda = s == &dev;
    Tensor p = FromVector(init, {n}, dtype);
    if (on_cuda) p = ToCuda(p);
    ASSERT_TRUE(SetRequiresGrad(p, true).ok());
    s->tensors.push_back(p);
    for (int k = 0; k < state_tensors; ++k) {
      Tensor z = FromVector(std::vector<double>(n, 0.0), {n}, dtype);
      s->tensors.push_back(on_cuda ? ToCuda(z) : z);
    }
  }
  for (int step = 1; step <= 5; ++step) {
    std::vector<double> grad(n);
    for (int64_t i = 0; i < n; ++i) grad[i] = std::cos(1.3 * i + step) * (1 + i % 5);
    AttrMap a = attrs;
    if (op == "_fused_adam_") a.push_back({"step", int64_t{step}});
    else a.push_back({"first_step", step == 1});
    for (Side* s : {&cpu, &dev}) {
      Tensor g = FromVector(grad, {n}, dtype);
      if (s == &dev) g = ToCuda(g);
      ASSERT_TRUE(CallOp("set_grad_", {s->tensors[0], g}, {}, {}).ok());
      auto r = CallOp(op, s->tensors, a, CallOptions{nullptr, false});
      ASSERT_TRUE(r.ok()) << r.status();
    }
    for (size_t k = 0; k < cpu.tensors.size(); ++k) {
      ASSERT_EQ(dev.tensors[k].device().ToString(), "cuda:0");
      ASSERT_EQ(Values(dev.tensors[k]), Values(cpu.tensors[k]))
          << op << " " << DTypeName(dtype) << " step " << step << " tensor " << k;
    }
  }
}

TEST(CudaOptimTest, FusedSgdMatchesCpu) {
  SKIP_WITHOUT_CUDA();
  for (DType dt : {DType::kFloat32, DType::kFloat64, DType::kFloat16, DType::kBFloat16}) {
    ExpectOptimizerMatchesCpu("_fused_sgd_", {{"lr", 0.1}}, 0, dt);
    ExpectOptimizerMatchesCpu("_fused_sgd_", {{"lr", 0.05}, {"weight_decay", 0.01}, {"maximize", true}}, 0, dt);
    ExpectOptimizerMatchesCpu("_fused_sgd_", {{"lr", 0.1}, {"momentum", 0.9}, {"dampening", 0.1}, {"weight_decay", 0.01}},
                              1, dt);
    ExpectOptimizerMatchesCpu("_fused_sgd_", {{"lr", 0.1}, {"momentum", 0.8}, {"nesterov", true}}, 1, dt);
  }
}

TEST(CudaOptimTest, FusedAdamMatchesCpu) {
  SKIP_WITHOUT_CUDA();
  for (DType dt : {DType::kFloat32, DType::kFloat64, DType::kFloat16, DType::kBFloat16}) {
    ExpectOptimizerMatchesCpu("_fused_adam_", {{"lr", 0.01}}, 2, dt);
    ExpectOptimizerMatchesCpu("_fused_adam_", {{"lr", 0.01}, {"weight_decay", 0.01}, {"maximize", true}}, 2, dt);
    ExpectOptimizerMatchesCpu("_fused_adam_", {{"lr", 0.02}, {"beta1", 0.3}, {"weight_decay", 0.1}, {"amsgrad", true},
                                               {"decoupled_weight_decay", true}}, 3, dt);
  }
}

}  // namespace
}  // namespace tensord::engine
