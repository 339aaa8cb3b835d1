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
