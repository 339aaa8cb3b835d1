#include "engine/autograd.h"

#include <functional>

#include "engine/functional.h"
#include "engine/tests/test_util.h"

namespace tensord::engine {
namespace {
using namespace testing;
using ::testing::ElementsAre;
using ::testing::Pointwise;
using ::testing::DoubleNear;

Tensor Leaf(const std::vector<double>& v, std::vector<int64_t> shape, DType dtype = DType::kFloat32) {
  Tensor t = FromVector(v, std::move(shape), dtype);
  EXPECT_TRUE(SetRequiresGrad(t, true).ok());
  return t;
}
Tensor S(double v) { return Tensor::WrappedScalar(Scalar(v)); }

TEST(AutogradTest, GradFnNamesMatchPyTorch) {
  Tensor x = Leaf({1, 2, 3}, {3});
  Tensor y = Leaf({4, 5, 6}, {3});
  EXPECT_EQ(Call1("add", {x, y}).grad_fn_name(), "AddBackward0");
  EXPECT_EQ(Call1("sum", {x}).grad_fn_name(), "SumBackward0");
  EXPECT_EQ(Call1("sum", {x}, {{"dim", int64_t{0}}}).grad_fn_name(), "SumBackward1");
  EXPECT_EQ(Call1("pow", {x, S(2)}).grad_fn_name(), "PowBackward0");
  EXPECT_EQ(Call1("pow", {x, y}).grad_fn_name(), "PowBackward1");
  EXPECT_EQ(Call1("pow", {S(2), x}).grad_fn_name(), "PowBackward2");
  EXPECT_EQ(Call1("mul", {x, S(3)}).grad_fn_name(), "MulBackward0");
  EXPECT_EQ(Call1("log", {x}).grad_fn_name(), "LogBackward0");
  EXPECT_EQ(Call1("sigmoid", {x}).grad_fn_name(), "SigmoidBackward0");
  EXPECT_EQ(Call1("matmul", {x, y}).grad_fn_name(), "DotBackward0");
  Tensor m = Leaf({1, 2, 3, 4}, {2, 2});
  EXPECT_EQ(Call1("matmul", {m, m}).grad_fn_name(), "MmBackward0");
  EXPECT_EQ(Call1("mean", {m}).grad_fn_name(), "MeanBackward0");
  EXPECT_EQ(x.grad_fn_name(), "");
  EXPECT_TRUE(x.is_leaf());
  EXPECT_FALSE(Call1("add", {x, y}).is_leaf());
}

TEST(AutogradTest, SeedTutorialChain) {
  // x = 1; y = sin(log(x**2 + 1)); dy/dx = cos(log 2) * 2x / (x^2 + 1) = cos(log 2)
  Tensor x = Leaf({1.0}, {1});
  Tensor y = Call1("sin", {Call1("log", {Call1("add", {Call1("pow", {x, S(2)}), S(1)})})});
  EXPECT_NEAR(Values(y)[0], 0.6390, 1e-4);
  ASSERT_TRUE(Backward({y}, {}, false, false).ok());
  EXPECT_NEAR(Values(x.grad())[0], std::cos(std::log(2.0)), 1e-6);
}

TEST(AutogradTest, GradientsAccumulateAcrossBackwardCalls) {
  Tensor x = Leaf({1, 2}, {2});
  for (int i = 0; i < 3; ++i) {
    Tensor loss = Call1("sum", {Call1("mul", {x, x})});
    ASSERT_TRUE(Backward({loss}, {}, false, false).ok());
  }
  EXPECT_THAT(Values(x.grad()), ElementsAre(6, 12));  // 3 * 2x
}

TEST(AutogradTest, SecondBackwardNeedsRetainGraph) {
  Tensor x = Leaf({1, 2}, {2});
  Tensor loss = Call1("sum", {Call1("mul", {x, x})});
  ASSERT_TRUE(Backward({loss}, {}, /*retain_graph=*/true, false).ok());
  ASSERT_TRUE(Backward({loss}, {}, false, false).ok());
  EXPECT_THAT(Values(x.grad()), ElementsAre(4, 8));
  EXPECT_THAT(Backward({loss}, {}, false, false),
              StatusIs(absl::StatusCode::kFailedPrecondition, "backward through the graph a second time"));
}

TEST(AutogradTest, NonScalarRootNeedsExplicitGradient) {
  Tensor x = Leaf({1, 2, 3}, {3});
  Tensor y = Call1("mul", {x, S(2)});
  EXPECT_THAT(Backward({y}, {}, true, false),
              StatusIs(absl::StatusCode::kInvalidArgument, "implicitly created only for scalar outputs"));
  EXPECT_THAT(Backward({y}, {FromVector({1, 1}, {2})}, true, false),
              StatusIs(absl::StatusCode::kInvalidArgument, "Mismatch in shape"));
  ASSERT_TRUE(Backward({y}, {FromVector({1, 0.5, 0.25}, {3})}, false, false).ok());
  EXPECT_THAT(Values(x.grad()), ElementsAre(2, 1, 0.5));
}

TEST(AutogradTest, BroadcastGradientsSumBackToInputShape) {
  Tensor a = Leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor b = Leaf({10, 20, 30}, {3});
  Tensor c = Leaf({2}, {});
  Tensor loss = Call1("sum", {Call1("mul", {Call1("add", {a, b}), c})});
  ASSERT_TRUE(Backward({loss}, {}, false, false).ok());
  EXPECT_THAT(ShapeOf(b.grad()), ElementsAre(3));
  EXPECT_THAT(Values(b.grad()), ElementsAre(4, 4, 4));
  EXPECT_THAT(ShapeOf(c.grad()), ElementsAre());
  EXPECT_THAT(Values(c.grad()), ElementsAre(21 + 120));
}

TEST(AutogradTest, PromotionCastsGradientBackToLeafDtype) {
  Tensor a = Leaf({1, 2}, {2}, DType::kFloat32);
  Tensor b = Leaf({3, 4}, {2}, DType::kFloat64);
  Tensor loss = Call1("sum", {Call1("mul", {a, b})});
  EXPECT_EQ(loss.dtype(), DType::kFloat64);
  ASSERT_TRUE(Backward({loss}, {}, false, false).ok());
  EXPECT_EQ(a.grad().dtype(), DType::kFloat32);
  EXPECT_THAT(Values(a.grad()), ElementsAre(3, 4));
}

TEST(AutogradTest, NoGradAndDetachBuildNoGraph) {
  Tensor x = Leaf({1, 2}, {2});
  auto r = CallOp("mul", {x, x}, {}, CallOptions{nullptr, /*grad_enabled=*/false});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE((*r)[0].requires_grad());
  Tensor d = Call1("detach", {x});
  EXPECT_FALSE(d.requires_grad());
  EXPECT_EQ(d.storage().get(), x.storage().get());
  EXPECT_THAT(Backward({d}, {}, false, false),
              StatusIs(absl::StatusCode::kFailedPrecondition, "does not require grad"));
}

TEST(AutogradTest, RequiresGradRules) {
  Tensor i = FromVector({1, 2}, {2}, DType::kInt64);
  EXPECT_THAT(SetRequiresGrad(i, true), StatusIs(absl::StatusCode::kInvalidArgument, "floating point"));
  Tensor x = Leaf({1, 2}, {2});
  Tensor y = Call1("mul", {x, x});
  EXPECT_THAT(SetRequiresGrad(y, false), StatusIs(absl::StatusCode::kInvalidArgument, "leaf variables"));
  EXPECT_TRUE(Call1("gt", {y, S(0)}).dtype() == DType::kBool);
}

TEST(AutogradTest, GradAccessorAliasesLeafGrad) {
  Tensor x = Leaf({1, 2}, {2});
  EXPECT_THAT(CallOp("grad", {x}, {}, {}), StatusIs(absl::StatusCode::kFailedPrecondition, "no .grad"));
  ASSERT_TRUE(Backward({Call1("sum", {x})}, {}, false, false).ok());
  Tensor g = Call1("grad", {x});
  ASSERT_TRUE(Backward({Call1("sum", {x})}, {}, false, false).ok());
  EXPECT_THAT(Values(g), ElementsAre(2, 2));  // accumulation shows through the alias
}

TEST(AutogradTest, MillionNodeChainNeitherRecursesNorOverflows) {
  Tensor x = Leaf({1.0}, {1});
  Tensor y = x;
  for (int i = 0; i < 1000000; ++i) y = Call1("mul", {y, S(1.0)});
  ASSERT_TRUE(Backward({Call1("sum", {y})}, {}, false, false).ok());
  EXPECT_THAT(Values(x.grad()), ElementsAre(1.0));
  y = Tensor();  // dropping the graph must not recurse either
}

TEST(InplaceTest, LeafThatRequiresGradRefusesInplace) {
  Tensor x = Leaf({1, 2}, {2});
  EXPECT_THAT(CallOp("add_", {x, S(1)}, {}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "a leaf Variable that requires grad is being used in an in-place"));
  // Under no_grad it is allowed (the optimizer-update pattern).
  ASSERT_TRUE(CallOp("sub_", {x, S(0.5)}, {}, CallOptions{nullptr, false}).ok());
  EXPECT_THAT(Values(x), ElementsAre(0.5, 1.5));
  EXPECT_TRUE(x.is_leaf());
}

TEST(InplaceTest, ModifyingASavedTensorFailsBackwardWithVersions) {
  Tensor x = Leaf({1, 2}, {2});
  Tensor a = Call1("mul", {x, S(1.0)});
  Tensor y = Call1("sin", {a});  // saves a at version 0
  ASSERT_TRUE(CallOp("add_", {a, S(1)}, {}, {}).ok());
  EXPECT_EQ(a.version(), 1u);
  EXPECT_EQ(a.grad_fn_name(), "AddBackward0");
  EXPECT_THAT(Backward({Call1("sum", {y})}, {}, false, false),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "modified by an inplace operation: [torch.FloatTensor [2]], which is an input of SinBackward0, "
                       "is at version 1; expected version 0 instead"));
}

// Note [Saved for backward]: an op saves what the gradients of the inputs
// that require grad read, decided per call, as PyTorch does.
TEST(SavedForBackwardTest, ProductWithAConstantSavesNothingOfTheTensor) {
  // x = ones(3); y = x.clone(); y[0] = y[-1] * 2; (y + x).sum().backward()
  Tensor x = Leaf({1, 1, 1}, {3});
  Tensor y = Call1("clone", {x});
  Tensor last = Call1("select", {y}, {{"dim", int64_t{0}}, {"index", int64_t{-1}}});
  Tensor twice = Call1("mul", {last, S(2)});
  Tensor first = Call1("select", {y}, {{"dim", int64_t{0}}, {"index", int64_t{0}}});
  ASSERT_TRUE(CallOp("copy_", {first, twice}, {}, {}).ok());
  ASSERT_TRUE(Backward({Call1("sum", {Call1("add", {y, x})})}, {}, false, false).ok());
  EXPECT_THAT(Values(x.grad()), ElementsAre(1, 2, 4));
}

TEST(SavedForBackwardTest, EachFactorIsSavedOnlyForTheOthersGradient) {
  Tensor x = Leaf({1, 2}, {2});
  Tensor w = Leaf({3, 4}, {2});
  Tensor a = Call1("mul", {x, S(1.0)});
  Tensor y = Call1("mul", {a, w});  // w's gradient reads a: a is saved
  ASSERT_TRUE(CallOp("add_", {a, S(1)}, {}, {}).ok());
  EXPECT_THAT(Backward({Call1("sum", {y})}, {}, false, false),
              StatusIs(absl::StatusCode::kInvalidArgument, "which is an input of MulBackward0"));
  // Without w requiring grad nothing reads a.
  Tensor c = Call1("mul", {x, S(1.0)});
  Tensor z = Call1("mul", {c, Call1("detach", {w})});
  ASSERT_TRUE(CallOp("add_", {c, S(1)}, {}, {}).ok());
  ASSERT_TRUE(Backward({Call1("sum", {z})}, {}, false, false).ok());
}

TEST(SavedForBackwardTest, WhereSavesOnlyTheCondition) {
  Tensor x = Leaf({-1, 2}, {2});
  Tensor a = Call1("mul", {x, S(1.0)});
  Tensor y = Call1("where", {Call1("gt", {a, S(0.0)}), a, S(0.0)});
  ASSERT_TRUE(CallOp("mul_", {a, S(3)}, {}, {}).ok());
  ASSERT_TRUE(Backward({Call1("sum", {y})}, {}, false, false).ok());
  EXPECT_THAT(Values(x.grad()), ElementsAre(0, 1));  // y read a before the write
}

TEST(SavedForBackwardTest, AnInplaceResultSavedForBackwardIsSelfAfterTheWrite) {
  Tensor x = Leaf({1, 2}, {2});
  Tensor a = Call1("mul", {x, S(1.0)});
  ASSERT_TRUE(CallOp("exp_", {a}, {}, {}).ok());  // ExpBackward0 saves its result: a itself
  ASSERT_TRUE(CallOp("add_", {a, S(1)}, {}, {}).ok());
  EXPECT_THAT(Backward({Call1("sum", {a})}, {}, false, false),
              StatusIs(absl::StatusCode::kInvalidArgument, "which is output 0 of ExpBackward0"));
}

TEST(SavedForBackwardTest, ReluGradientKeepsTheGraphForDoubleBackward) {
  Tensor x = Leaf({-1, 2, 3}, {3}, DType::kFloat64);
  auto g = Grad({Call1("sum", {Call1("relu", {x})})}, {}, {x}, /*retain_graph=*/true, /*create_graph=*/true, false);
  ASSERT_TRUE(g.ok());
  EXPECT_THAT(Values((*g)[0]), ElementsAre(0, 1, 1));
  ASSERT_TRUE((*g)[0].requires_grad());
  EXPECT_EQ((*g)[0].grad_fn_name(), "ThresholdBackwardBackward0");
  ASSERT_TRUE(Backward({Call1("sum", {(*g)[0]})}, {}, false, false).ok());
  ASSERT_TRUE(x.grad().defined());  // a defined zero second derivative, as PyTorch's
  EXPECT_THAT(Values(x.grad()), ElementsAre(0, 0, 0));
}

TEST(InplaceTest, DtypeAndShapeRules) {
  Tensor i = FromVector({1, 2}, {2}, DType::kInt64);
  EXPECT_THAT(CallOp("mul_", {i, S(1.5)}, {}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "result type float32 can't be cast to the desired output type int64"));
  Tensor small = FromVector({1, 2}, {2});
  EXPECT_THAT(CallOp("add_", {small, FromVector({1, 2, 3, 4}, {2, 2})}, {}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "output with shape [2] doesn't match the broadcast shape [2, 2]"));
  Tensor m = FromVector({1, 2, 3, 4, 5, 6}, {2, 3});
  ASSERT_TRUE(CallOp("copy_", {m, FromVector({7, 8, 9}, {3})}, {}, {}).ok());
  EXPECT_THAT(Values(m), ElementsAre(7, 8, 9, 7, 8, 9));
  ASSERT_TRUE(CallOp("zero_", {m}, {}, {}).ok());
  EXPECT_THAT(Values(m), ElementsAre(0, 0, 0, 0, 0, 0));
  ASSERT_TRUE(CallOp("t_", {m}, {}, {}).ok());
  EXPECT_THAT(ShapeOf(m), ElementsAre(3, 2));
}

TEST(InplaceTest, ResizeKeepsDataAndGrowsStorage) {
  Tensor t = FromVector({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor view = Call1("view", {t}, {{"size", std::vector<int64_t>{6}}});
  ASSERT_TRUE(CallOp("resize_", {t}, {{"size", std::vector<int64_t>{3, 2}}}, {}).ok());
  EXPECT_THAT(ShapeOf(t), ElementsAre(3, 2));
  EXPECT_THAT(Values(t), ElementsAre(1, 2, 3, 4, 5, 6));
  ASSERT_TRUE(CallOp("resize_", {t}, {{"size", std::vector<int64_t>{2, 4}}}, {}).ok());
  EXPECT_THAT(Values(t), ElementsAre(1, 2, 3, 4, 5, 6, 0, 0));
  EXPECT_THAT(Values(view), ElementsAre(1, 2, 3, 4, 5, 6));  // views follow the grown storage
  Tensor w = Leaf({1, 2}, {2});
  EXPECT_THAT(CallOp("resize_", {w}, {{"size", std::vector<int64_t>{4}}}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "cannot resize variables that require grad"));
}

TEST(InplaceTest, CopyIntoNonLeafCarriesGradientToSource) {
  Tensor x = Leaf({1, 2, 3}, {3});
  Tensor src = Leaf({5}, {1});
  Tensor a = Call1("mul", {x, S(2.0)});
  ASSERT_TRUE(CallOp("copy_", {a, src}, {}, {}).ok());
  ASSERT_TRUE(Backward({Call1("sum", {a})}, {}, false, false).ok());
  EXPECT_THAT(Values(src.grad()), ElementsAre(3));
}

TEST(AutogradTest, IntegerResultsLeaveTheGraph) {
  Tensor x = Leaf({0.5, 1.5}, {2});
  Tensor l = Call1("to", {x}, {{"dtype", DType::kInt64}});
  EXPECT_FALSE(l.requires_grad());
  EXPECT_EQ(l.grad_fn_name(), "");
  EXPECT_FALSE(Call1("mul", {l, S(2)}).requires_grad());
}

TEST(AutogradTest, RsubAndBoolSubtraction) {
  Tensor x = Leaf({1, 2}, {2});
  Tensor y = Call1("rsub", {x, S(2)});  // 2 - x
  EXPECT_EQ(y.grad_fn_name(), "RsubBackward1");
  EXPECT_THAT(Values(y), ElementsAre(1, 0));
  ASSERT_TRUE(Backward({Call1("sum", {y})}, {}, false, false).ok());
  EXPECT_THAT(Values(x.grad()), ElementsAre(-1, -1));
  EXPECT_THAT(CallOp("sub", {x, Tensor::WrappedScalar(Scalar(true))}, {}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "with a bool tensor is not supported"));
}

TEST(AutogradTest, SetGradAssignsAndClears) {
  Tensor x = Leaf({1, 2}, {2});
  ASSERT_TRUE(Backward({Call1("sum", {x})}, {}, false, false).ok());
  ASSERT_TRUE(CallOp("set_grad_", {x, Tensor()}, {}, {}).ok());
  EXPECT_FALSE(x.grad().defined());
  EXPECT_THAT(CallOp("set_grad_", {x, FromVector({1, 2, 3}, {3})}, {}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "different size"));
  ASSERT_TRUE(CallOp("set_grad_", {x, FromVector({5, 6}, {2})}, {}, {}).ok());
  EXPECT_THAT(Values(x.grad()), ElementsAre(5, 6));
}

TEST(AutogradTest, GradReturnsGradientsWithoutTouchingDotGrad) {
  Tensor x = Leaf({1, 2}, {2});
  Tensor y = Leaf({3, 4}, {2});
  Tensor h = Call1("mul", {x, y});
  Tensor loss = Call1("sum", {Call1("mul", {h, h})});
  auto g = Grad({loss}, {}, {x, h}, true, false, false);
  ASSERT_TRUE(g.ok()) << g.status();
  EXPECT_THAT(Values((*g)[0]), ElementsAre(2 * 3 * 3, 2 * 2 * 4 * 4));  // d/dx (xy)^2 = 2 x y^2
  EXPECT_THAT(Values((*g)[1]), ElementsAre(6, 16));                     // d/dh h^2 = 2h
  EXPECT_FALSE(x.grad().defined());
  Tensor z = Leaf({1}, {1});
  EXPECT_THAT(Grad({loss}, {}, {z}, true, false, false),
              StatusIs(absl::StatusCode::kInvalidArgument, "appears to not have been used in the graph"));
  auto unused = Grad({loss}, {}, {z}, true, false, true);
  ASSERT_TRUE(unused.ok());
  EXPECT_FALSE((*unused)[0].defined());
}

TEST(AutogradTest, DoubleBackwardThroughCreateGraph) {
  // y = x^3: dy/dx = 3x^2, d2y/dx2 = 6x
  Tensor x = Leaf({2.0}, {1}, DType::kFloat64);
  Tensor y = Call1("pow", {x, S(3)});
  auto g = Grad({Call1("sum", {y})}, {}, {x}, false, /*create_graph=*/true, false);
  ASSERT_TRUE(g.ok());
  EXPECT_THAT(Values((*g)[0]), ElementsAre(12));
  EXPECT_TRUE((*g)[0].requires_grad());
  ASSERT_TRUE(Backward({Call1("sum", {(*g)[0]})}, {}, false, false).ok());
  EXPECT_THAT(Values(x.grad()), ElementsAre(12));
  // Through matmul too: f = sum((W x)^2), d/dW = 2 (W x) x^T; the gradient of sum(d/dW) wrt x is nonzero.
  Tensor w = Leaf({1, 2, 3, 4}, {2, 2}, DType::kFloat64);
  Tensor v = Leaf({1, -1}, {2}, DType::kFloat64);
  Tensor wx = Call1("matmul", {w, v});
  auto gw = Grad({Call1("sum", {Call1("mul", {wx, wx})})}, {}, {w}, /*retain_graph=*/true, true, false);
  ASSERT_TRUE(gw.ok());
  EXPECT_THAT(Values((*gw)[0]), ElementsAre(-2, 2, -2, 2));
  { absl::Status st = Backward({Call1("sum", {(*gw)[0]})}, {}, false, false); ASSERT_TRUE(st.ok()) << st; }
  // sum(2 (Wv) v^T) = 2 (sum Wv)(sum v); d/dv = 2 [(sum v) W^T 1 + (sum Wv) 1] = 2 [0 + (-2)] at v = (1, -1)
  EXPECT_THAT(Values(v.grad()), ElementsAre(-4, -4));
}

TEST(AutogradTest, StdAndNormHaveZeroGradientWhereTheSqrtIsZero) {
  Tensor c = Leaf({1, 1, 1}, {3});
  ASSERT_TRUE(Backward({Call1("std", {c})}, {}, false, false).ok());
  EXPECT_THAT(Values(c.grad()), ElementsAre(0, 0, 0));
  Tensor z = Leaf({0, 0, 0}, {3});
  ASSERT_TRUE(Backward({Call1("norm", {z})}, {}, false, false).ok());
  EXPECT_THAT(Values(z.grad()), ElementsAre(0, 0, 0));
}

TEST(AutogradTest, ProdGradientWithZeros) {
  Tensor one = Leaf({2, 0, 3}, {3});
  ASSERT_TRUE(Backward({Call1("prod", {one})}, {}, false, false).ok());
  EXPECT_THAT(Values(one.grad()), ElementsAre(0, 6, 0));
  Tensor two = Leaf({2, 0, 0}, {3});
  ASSERT_TRUE(Backward({Call1("prod", {two})}, {}, false, false).ok());
  EXPECT_THAT(Values(two.grad()), ElementsAre(0, 0, 0));
  Tensor rows = Leaf({2, 0, 3, 4}, {2, 2});  // per row: [2, 0] and [3, 4]
  ASSERT_TRUE(Backward({Call1("sum", {Call1("prod", {rows}, {{"dim", std::vector<int64_t>{1}}})})}, {}, false, false).ok());
  EXPECT_THAT(Values(rows.grad()), ElementsAre(0, 2, 4, 3));
}

// ---------------------------------------------------------------- in-place on views (CopySlices)

using Ints = std::vector<int64_t>;
Tensor Select(const Tensor& t, int64_t dim, int64_t i) { return Call1("select", {t}, {{"dim", dim}, {"index", i}}); }
Tensor Sum(const Tensor& t) { return Call1("sum", {t}); }
Tensor Mul(const Tensor& a, const Tensor& b) { return Call1("mul", {a, b}); }

// Central differences of the scalar f at `inputs` (float64), compared with
// the gradients backward() accumulates into them.
void ExpectGradientsMatchCentralDifferences(const std::function<Tensor(const std::vector<Tensor>&)>& f,
                                            const std::vector<std::pair<std::vector<double>, Ints>>& inputs) {
  std::vector<Tensor> leaves;
  for (const auto& [v, shape] : inputs) leaves.push_back(Leaf(v, shape, DType::kFloat64));
  { absl::Status st = Backward({f(leaves)}, {}, false, false); ASSERT_TRUE(st.ok()) << st; }
  const double h = 1e-6;
  for (size_t k = 0; k < inputs.size(); ++k) {
    std::vector<double> numeric;
    for (size_t i = 0; i < inputs[k].first.size(); ++i) {
      double sides[2];
      for (int s = 0; s < 2; ++s) {
        std::vector<Tensor> plain;
        for (size_t j = 0; j < inputs.size(); ++j) {
          std::vector<double> v = inputs[j].first;
          if (j == k) v[i] += s == 0 ? h : -h;
          plain.push_back(FromVector(v, inputs[j].second, DType::kFloat64));
        }
        sides[s] = Values(f(plain))[0];
      }
      numeric.push_back((sides[0] - sides[1]) / (2 * h));
    }
    ASSERT_TRUE(leaves[k].grad().defined()) << "input " << k;
    EXPECT_THAT(Values(leaves[k].grad()), Pointwise(DoubleNear(1e-6), numeric)) << "input " << k;
  }
}

TEST(InplaceOnViewTest, MulIntoARowRebasesTheBaseOntoCopySlices) {
  // torch 1.13: x.grad_fn CopySlices, x[0].grad_fn AsStridedBackward0, a.grad [[6,6,6],[2,2,2]]
  Tensor a = Leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor x = Mul(a, S(2));
  Tensor row = Select(x, 0, 0);
  EXPECT_EQ(row.grad_fn_name(), "SelectBackward0");
  ASSERT_THAT(CallOp("mul_", {row, S(3)}, {}, {}), IsOk());
  EXPECT_THAT(Values(x), ElementsAre(6, 12, 18, 8, 10, 12));
  EXPECT_EQ(x.grad_fn_name(), "CopySlices");
  EXPECT_EQ(row.grad_fn_name(), "AsStridedBackward0");
  ASSERT_THAT(Backward({Sum(x)}, {}, false, false), IsOk());
  EXPECT_THAT(Values(a.grad()), ElementsAre(6, 6, 6, 2, 2, 2));
}

TEST(InplaceOnViewTest, FillingAColumnCutsItsGradient) {
  Tensor a = Leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor x = Mul(a, S(2));
  Tensor col = Call1("slice", {x}, {{"dim", int64_t{1}}, {"start", int64_t{1}}, {"end", int64_t{2}}});
  ASSERT_THAT(CallOp("fill_", {col}, {{"value", Scalar(0)}}, {}), IsOk());  // x[:, 1:2] = 0
  EXPECT_THAT(Values(x), ElementsAre(2, 0, 6, 8, 0, 12));
  ASSERT_THAT(Backward({Sum(x)}, {}, false, false), IsOk());
  EXPECT_THAT(Values(a.grad()), ElementsAre(2, 0, 2, 2, 0, 2));
}

TEST(InplaceOnViewTest, FlatViewGradientUsesTheNewValues) {
  // y = x.view(-1); y.add_(1); sum(y*y): d/da = 2 (2a + 1) * 2
  Tensor a = Leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor x = Mul(a, S(2));
  Tensor y = Call1("view", {x}, {{"size", Ints{-1}}});
  ASSERT_THAT(CallOp("add_", {y, S(1)}, {}, {}), IsOk());
  ASSERT_THAT(Backward({Sum(Mul(y, y))}, {}, false, false), IsOk());
  EXPECT_THAT(Values(a.grad()), ElementsAre(12, 20, 28, 36, 44, 52));
}

TEST(InplaceOnViewTest, ViewsOfAModifiedBaseRegenerateTheirGradFn) {
  // y = x[0]; x.mul_(3): y's history must include the mul (torch: a.grad [[6,6,6],[0,0,0]])
  Tensor a = Leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor x = Mul(a, S(2));
  Tensor y = Select(x, 0, 0);
  ASSERT_THAT(CallOp("mul_", {x, S(3)}, {}, {}), IsOk());
  EXPECT_EQ(x.grad_fn_name(), "MulBackward0");
  EXPECT_EQ(y.grad_fn_name(), "AsStridedBackward0");
  ASSERT_THAT(Backward({Sum(y)}, {}, false, false), IsOk());
  EXPECT_THAT(Values(a.grad()), ElementsAre(6, 6, 6, 0, 0, 0));
}

TEST(InplaceOnViewTest, CopyIntoAViewOfAPlainTensorMakesItRequireGrad) {
  // b = zeros(2, 3); b[1] = w * w; sum(b * b) -> dw = 4 w^3
  Tensor b = FromVector({0, 0, 0, 0, 0, 0}, {2, 3});
  Tensor w = Leaf({1, 2, 3}, {3});
  Tensor row = Select(b, 0, 1);
  Tensor other_row = Select(b, 0, 0);
  EXPECT_FALSE(b.requires_grad());
  ASSERT_THAT(CallOp("copy_", {row, Mul(w, w)}, {}, {}), IsOk());
  EXPECT_TRUE(b.requires_grad());
  EXPECT_FALSE(b.is_leaf());
  EXPECT_EQ(b.grad_fn_name(), "CopySlices");
  EXPECT_EQ(row.grad_fn_name(), "AsStridedBackward0");
  EXPECT_TRUE(other_row.requires_grad());  // every view of b now sees its history
  ASSERT_THAT(Backward({Sum(Mul(b, b))}, {}, false, false), IsOk());
  EXPECT_THAT(Values(w.grad()), ElementsAre(4, 32, 108));
}

TEST(InplaceOnViewTest, IndexPutIntoAViewSendsGradientsToTheValues) {
  // x = a * 2; x[1, [0, 2]] = v -> a.grad [[2,2,2],[0,2,0]], v.grad [1, 1]
  Tensor a = Leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor v = Leaf({7, 8}, {2});
  Tensor x = Mul(a, S(2));
  ASSERT_THAT(CallOp("index_put_", {Select(x, 0, 1), v, FromVector({0, 2}, {2}, DType::kInt64)}, {}, {}), IsOk());
  EXPECT_THAT(Values(x), ElementsAre(2, 4, 6, 7, 10, 8));
  ASSERT_THAT(Backward({Sum(x)}, {}, false, false), IsOk());
  EXPECT_THAT(Values(a.grad()), ElementsAre(2, 2, 2, 0, 2, 0));
  EXPECT_THAT(Values(v.grad()), ElementsAre(1, 1));
}

TEST(InplaceOnViewTest, ViewOfALeafThatRequiresGradRefuses) {
  Tensor a = Leaf({1, 2, 3, 4}, {2, 2});
  EXPECT_THAT(CallOp("mul_", {Select(a, 0, 0), S(2)}, {}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "a view of a leaf Variable that requires grad is being used in an in-place operation."));
  EXPECT_THAT(Values(a), ElementsAre(1, 2, 3, 4));
  // Under no_grad it is allowed (optimizers, nn.init).
  ASSERT_THAT(CallOp("mul_", {Select(a, 0, 0), S(2)}, {}, CallOptions{nullptr, false}), IsOk());
  EXPECT_THAT(Values(a), ElementsAre(2, 4, 3, 4));
  EXPECT_TRUE(a.is_leaf());
}

TEST(InplaceOnViewTest, ViewMadeUnderNoGradRefusesARecordedInplace) {
  Tensor a = Leaf({1, 2, 3}, {3});
  Tensor x = Mul(a, S(2));
  auto row = CallOp("slice", {x}, {{"start", int64_t{1}}}, CallOptions{nullptr, false});
  ASSERT_THAT(row, IsOk());
  EXPECT_THAT(CallOp("mul_", {(*row)[0], S(2)}, {}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "A view was created in no_grad mode and is being modified "
                                                           "inplace with grad mode enabled"));
}

TEST(InplaceOnViewTest, VersionCountersStillCatchASavedBase) {
  Tensor a = Leaf({1, 2}, {2});
  Tensor x = Call1("exp", {a});  // saves its output x
  ASSERT_THAT(CallOp("fill_", {Select(x, 0, 0)}, {{"value", Scalar(0)}}, {}), IsOk());
  EXPECT_THAT(Backward({Sum(x)}, {}, false, false),
              StatusIs(absl::StatusCode::kInvalidArgument, "which is output 0 of ExpBackward0, is at version 1; "
                                                           "expected version 0 instead"));
}

TEST(InplaceOnViewTest, WritingIntoAnExpandedTensorIsRefused) {
  Tensor x = FromVector({1, 2}, {2});
  Tensor e = Call1("expand", {x}, {{"size", Ints{3, 2}}});
  EXPECT_THAT(CallOp("add_", {e, S(1)}, {}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "more than one element of the written-to tensor refers to "
                                                           "a single memory location"));
}

TEST(InplaceOnViewTest, SavedViewsOfTheBaseLeaveNoCycle) {
  // x.add_(sum(x[0] * x[0])): mul saves the view x[0], whose base x ends in
  // that mul's graph. Dropping every handle must free x (no reference cycle).
  Tensor a = Leaf({1, 2, 3, 4}, {2, 2});
  std::weak_ptr<TensorImpl> watch;
  {
    Tensor x = Mul(a, S(2));
    Tensor row = Select(x, 0, 0);
    ASSERT_THAT(CallOp("add_", {x, Sum(Mul(row, row))}, {}, {}), IsOk());
    watch = x.shared_impl();
  }
  EXPECT_TRUE(watch.expired());
  // ... and backward still sees that the saved view changed (as PyTorch does).
  Tensor x = Mul(a, S(2));
  Tensor row = Select(x, 0, 0);
  ASSERT_THAT(CallOp("add_", {x, Sum(Mul(row, row))}, {}, {}), IsOk());
  EXPECT_THAT(Backward({Sum(x)}, {}, false, false),
              StatusIs(absl::StatusCode::kInvalidArgument, "[torch.FloatTensor [2]], which is an input of MulBackward0, "
                                                           "is at version 1; expected version 0"));
}

TEST(InplaceOnViewTest, ABaseTransposedInPlaceStillLocatesItsViews) {
  // x = a * 1; x.t_(); x[1] *= [2, 3]; sum(x * x): torch 1.13 a.grad [[2, 16, 6], [8, 90, 12]]
  Tensor a = Leaf({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor x = Mul(a, S(1));
  ASSERT_THAT(CallOp("t_", {x}, {}, {}), IsOk());
  ASSERT_THAT(CallOp("mul_", {Select(x, 0, 1), FromVector({2, 3}, {2})}, {}, {}), IsOk());
  EXPECT_EQ(x.grad_fn_name(), "CopySlices");
  EXPECT_THAT(Values(x), ElementsAre(1, 4, 4, 15, 3, 6));
  ASSERT_THAT(Backward({Sum(Mul(x, x))}, {}, false, false), IsOk());
  EXPECT_THAT(Values(a.grad()), ElementsAre(2, 16, 6, 8, 90, 12));
}

TEST(InplaceOnViewTest, GradientsMatchCentralDifferences) {
  // x = a * a; x.t()[1] *= w (a column of x); y = x[0]; y.mul_(y.clone()); sum(sin(x))
  ExpectGradientsMatchCentralDifferences(
      [](const std::vector<Tensor>& in) {
        Tensor x = Mul(in[0], in[0]);
        Tensor col = Select(Call1("t", {x}), 0, 1);
        ThrowIfError(CallOp("mul_", {col, in[1]}, {}, {}).status());
        Tensor y = Select(x, 0, 2);
        ThrowIfError(CallOp("mul_", {y, Call1("clone", {y})}, {}, {}).status());
        return Sum(Call1("sin", {x}));
      },
      {{{0.3, -0.7, 1.1, 0.5, 0.9, -0.2, 0.4, 1.3, -0.6, 0.8, 0.1, -1.2}, {4, 3}}, {{0.5, -1.5, 2.0, 0.7}, {4}}});
  // A view of a view, then the middle view used after the write.
  ExpectGradientsMatchCentralDifferences(
      [](const std::vector<Tensor>& in) {
        Tensor x = Call1("exp", {in[0]});
        x = Mul(x, S(1.0));  // exp saves its output: write into a copy
        Tensor mid = Call1("slice", {x}, {{"dim", int64_t{1}}, {"start", int64_t{1}}});
        Tensor inner = Select(mid, 0, 0);
        ThrowIfError(CallOp("copy_", {inner, Mul(in[1], in[1])}, {}, {}).status());
        return Call1("add", {Sum(Call1("cos", {mid})), Sum(Mul(x, x))});
      },
      {{{0.3, -0.7, 1.1, 0.5, 0.9, -0.2}, {2, 3}}, {{0.5, -1.5}, {2}}});
}

TEST(InplaceOnViewTest, DoubleBackwardThroughCopySlices) {
  // x = a * a; x[0] *= a[1] (values used before the write); f = sum(x); df/da; then d(sum df/da)/da
  Tensor a = Leaf({1.5, -2.0}, {2}, DType::kFloat64);
  Tensor x = Mul(a, a);
  ASSERT_THAT(CallOp("mul_", {Select(x, 0, 0), Select(a, 0, 1)}, {}, {}), IsOk());
  // f = a0^2 a1 + a1^2: df/da0 = 2 a0 a1 = -6, df/da1 = a0^2 + 2 a1 = -1.75
  auto g = Grad({Sum(x)}, {}, {a}, /*retain_graph=*/true, /*create_graph=*/true, false);
  ASSERT_THAT(g, IsOk());
  EXPECT_THAT(Values((*g)[0]), Pointwise(DoubleNear(1e-12), {-6.0, -1.75}));
  // sum = 2 a0 a1 + a0^2 + 2 a1: d/da0 = 2 a1 + 2 a0 = -1, d/da1 = 2 a0 + 2 = 5
  ASSERT_THAT(Backward({Sum((*g)[0])}, {}, false, false), IsOk());
  EXPECT_THAT(Values(a.grad()), Pointwise(DoubleNear(1e-12), {-1.0, 5.0}));
}

TEST(AutogradTest, CumprodGradientWithZerosIsExact) {
  // torch 1.13: x.cumprod(dim) * w summed, with zeros first, inside, twice and last in a line.
  const std::vector<double> xv = {2, 0, 3, 0.5, 0, 1.5, 0, 2, 1, 2, 3, 0};
  const std::vector<double> wv = {1, -2, 0.5, 3, 2, 1, -1, 0.5, -1, 2, 1, 1.5};
  Tensor w = FromVector(wv, {3, 4}, DType::kFloat64);
  for (int64_t dim : {1, 0}) {
    Tensor x = Leaf(xv, {3, 4}, DType::kFloat64);
    ASSERT_THAT(Backward({Sum(Mul(Call1("cumprod", {x}, {{"dim", dim}}), w))}, {}, false, false), IsOk());
    if (dim == 1) {
      EXPECT_THAT(Values(x.grad()), ElementsAre(1, 8, 0, 0, 3.5, 0, 0, 0, 9, 5, 2, 9));
    } else {
      EXPECT_THAT(Values(x.grad()), ElementsAre(1, 5.5, 0.5, 4, 2, 0, 6, 0.25, 0, 0, 0, 1.5));
    }
    // The same against central differences (cumprod is a polynomial: smooth through zero).
    ExpectGradientsMatchCentralDifferences(
        [&](const std::vector<Tensor>& in) { return Sum(Mul(Call1("cumprod", {in[0]}, {{"dim", dim}}), w)); },
        {{xv, {3, 4}}});
  }
  // Double backward through the zero path: f = sum(cumprod([a, b, c])) = a + ab + abc; at b = 0
  // grad = (1 + b + bc, a + ac, ab); its sum S has dS/d(a, b, c) = (1 + c + b, 1 + c + a, b + a) (torch: 4, 6, 2)
  Tensor x = Leaf({2, 0, 3}, {3}, DType::kFloat64);
  auto g = Grad({Sum(Call1("cumprod", {x}, {{"dim", int64_t{0}}}))}, {}, {x}, true, /*create_graph=*/true, false);
  ASSERT_THAT(g, IsOk());
  EXPECT_THAT(Values((*g)[0]), ElementsAre(1, 8, 0));
  ASSERT_THAT(Backward({Sum((*g)[0])}, {}, false, false), IsOk());
  EXPECT_THAT(Values(x.grad()), ElementsAre(4, 6, 2));
}

TEST(AutogradTest, RetainGradKeepsANonLeafsGradient) {
  Tensor x = Leaf({1, 2, 3}, {3});
  Tensor y = Mul(x, S(2));
  Tensor z = Mul(y, y);
  ASSERT_THAT(RetainGrad(y), IsOk());
  ASSERT_THAT(RetainGrad(y), IsOk());  // twice is once
  ASSERT_THAT(RetainGrad(x), IsOk());  // a leaf: nothing to do
  ASSERT_THAT(Backward({Sum(z)}, {}, /*retain_graph=*/true, false), IsOk());
  EXPECT_THAT(Values(y.grad()), ElementsAre(4, 8, 12));  // 2y
  EXPECT_THAT(Values(x.grad()), ElementsAre(8, 16, 24));
  EXPECT_FALSE(z.grad().defined());
  ASSERT_THAT(Backward({Sum(z)}, {}, false, false), IsOk());
  EXPECT_THAT(Values(y.grad()), ElementsAre(8, 16, 24));  // accumulates like a leaf
  // grad() does not touch it
  Tensor w = Mul(x, S(3));
  ASSERT_THAT(RetainGrad(w), IsOk());
  ASSERT_THAT(Grad({Sum(w)}, {}, {x}, false, false, false), IsOk());
  EXPECT_FALSE(w.grad().defined());
  // follows the tensor through an in-place op: the gradient of its new value
  Tensor u = Mul(x, S(1));
  ASSERT_THAT(RetainGrad(u), IsOk());
  ASSERT_THAT(CallOp("mul_", {u, S(5)}, {}, {}), IsOk());
  ASSERT_THAT(Backward({Sum(Mul(u, S(2)))}, {}, false, false), IsOk());
  EXPECT_THAT(Values(u.grad()), ElementsAre(2, 2, 2));
  EXPECT_THAT(RetainGrad(FromVector({1}, {1})),
              StatusIs(absl::StatusCode::kFailedPrecondition, "can't retain_grad on Tensor that has requires_grad=False"));
}

TEST(AutogradTest, SigmoidNetworkOfTheTutorials) {
  // h = sigmoid(x @ W1 + b1); out = sigmoid(h @ W2 + b2); gradients vs closed form.
  Tensor x = FromVector({0.5, -1.0, 2.0}, {1, 3}, DType::kFloat64);
  Tensor w1 = Leaf({0.1, -0.2, 0.3, 0.4, -0.5, 0.6}, {3, 2}, DType::kFloat64);
  Tensor w2 = Leaf({0.7, -0.8}, {2, 1}, DType::kFloat64);
  Tensor h = Call1("sigmoid", {Call1("matmul", {x, w1})});
  Tensor out = Call1("sigmoid", {Call1("matmul", {h, w2})});
  ASSERT_TRUE(Backward({Call1("sum", {out})}, {}, false, false).ok());
  std::vector<double> hv = Values(h), ov = Values(out);
  double dz2 = ov[0] * (1 - ov[0]);
  EXPECT_THAT(Values(w2.grad()), Pointwise(DoubleNear(1e-12), {dz2 * hv[0], dz2 * hv[1]}));
  std::vector<double> xv = {0.5, -1.0, 2.0}, w2v = {0.7, -0.8}, expected;
  for (int i = 0; i < 3; ++i) for (int j = 0; j < 2; ++j) expected.push_back(xv[i] * dz2 * w2v[j] * hv[j] * (1 - hv[j]));
  EXPECT_THAT(Values(w1.grad()), Pointwise(DoubleNear(1e-12), expected));
}

}  // namespace
}  // namespace tensord::engine
