#include <cmath>
#include <limits>

#include "engine/dtype.h"
#include "engine/layout.h"
#include "engine/tests/test_util.h"

namespace tensord::engine {
namespace {
using namespace testing;
using ::testing::ElementsAre;

TEST(DTypeTest, TableAndParsing) {
  EXPECT_EQ(DTypeName(DType::kFloat32), "float32");
  EXPECT_EQ(ItemSize(DType::kBFloat16), 2);
  DType d;
  ASSERT_TRUE(ParseDType("torch.long", &d));
  EXPECT_EQ(d, DType::kInt64);
  ASSERT_TRUE(ParseDType("float64", &d));
  EXPECT_EQ(d, DType::kFloat64);
  EXPECT_FALSE(ParseDType("complex64", &d));
}

TEST(DTypeTest, PromotionMatchesTorch) {
  EXPECT_EQ(PromoteTypes(DType::kUInt8, DType::kInt8), DType::kInt16);
  EXPECT_EQ(PromoteTypes(DType::kFloat16, DType::kBFloat16), DType::kFloat32);
  EXPECT_EQ(PromoteTypes(DType::kBool, DType::kInt32), DType::kInt32);
  EXPECT_EQ(PromoteTypes(DType::kInt64, DType::kFloat16), DType::kFloat16);
  EXPECT_EQ(PromoteTypes(DType::kInt32, DType::kFloat64), DType::kFloat64);
}

TEST(DTypeTest, HalfAndBFloat16RoundToNearestEven) {
  EXPECT_EQ(Half(1.0f).bits, 0x3c00);
  EXPECT_EQ(Half(65504.0f).bits, 0x7bff);
  EXPECT_EQ(Half(1e6f).bits, 0x7c00);        // overflow -> inf
  EXPECT_EQ(float(Half(0.1f)), 0.0999755859375f);
  EXPECT_EQ(float(Half(5.96046448e-8f)), 5.96046448e-8f);  // smallest subnormal
  EXPECT_EQ(float(BFloat16(1.00390625f)), 1.0f);           // tie -> even
  EXPECT_EQ(float(BFloat16(3.14159f)), 3.140625f);
}

TEST(TensorTest, FromBytesValidatesSize) {
  float data[6] = {1, 2, 3, 4, 5, 6};
  auto ok = Tensor::FromBytes(DType::kFloat32, {2, 3}, data, sizeof(data));
  ASSERT_THAT(ok.status(), IsOk());
  EXPECT_THAT(Values(*ok), ElementsAre(1, 2, 3, 4, 5, 6));
  EXPECT_THAT(Tensor::FromBytes(DType::kFloat32, {2, 4}, data, sizeof(data)),
              StatusIs(absl::StatusCode::kInvalidArgument, "needs 32"));
  EXPECT_THAT(Tensor::FromBytes(DType::kFloat32, {-1, 3}, data, sizeof(data)),
              StatusIs(absl::StatusCode::kInvalidArgument, "negative dimension"));
  EXPECT_THAT(Tensor::FromBytes(DType::kFloat32, {INT64_MAX, 4}, data, sizeof(data)),
              StatusIs(absl::StatusCode::kInvalidArgument, "too many elements"));
}

TEST(TensorTest, ViewsShareStorageAndVersion) {
  Tensor a = FromVector({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor t = Call1("transpose", {a}, {{"dim0", int64_t{0}}, {"dim1", int64_t{1}}});
  EXPECT_EQ(t.storage().get(), a.storage().get());
  EXPECT_THAT(ShapeOf(t), ElementsAre(3, 2));
  EXPECT_FALSE(t.is_contiguous());
  EXPECT_THAT(Values(t), ElementsAre(1, 4, 2, 5, 3, 6));
  a.storage()->BumpVersion();
  EXPECT_EQ(t.version(), 1u);
  Tensor v = Call1("view", {a}, {{"size", std::vector<int64_t>{3, -1}}});
  EXPECT_EQ(v.storage().get(), a.storage().get());
  EXPECT_THAT(ShapeOf(v), ElementsAre(3, 2));
}

TEST(TensorTest, ViewOfNonContiguousFailsButReshapeCopies) {
  Tensor a = FromVector({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor t = Call1("t", {a});
  auto bad = CallOp("view", {t}, {{"size", std::vector<int64_t>{6}}}, {});
  EXPECT_THAT(bad, StatusIs(absl::StatusCode::kInvalidArgument, "view size is not compatible"));
  Tensor r = Call1("reshape", {t}, {{"shape", std::vector<int64_t>{6}}});
  EXPECT_NE(r.storage().get(), a.storage().get());
  EXPECT_THAT(Values(r), ElementsAre(1, 4, 2, 5, 3, 6));
}

// Note [Memory layouts]: PyTorch's strides for new tensors.
TEST(LayoutTest, DenseAndNonOverlapping) {
  EXPECT_TRUE(IsNonOverlappingAndDense({2, 3}, {3, 1}));
  EXPECT_TRUE(IsNonOverlappingAndDense({2, 3}, {1, 2}));     // a transpose
  EXPECT_TRUE(IsNonOverlappingAndDense({2, 1, 3}, {3, 7, 1}));  // size-1 dims take any stride
  EXPECT_FALSE(IsNonOverlappingAndDense({2, 3}, {6, 2}));    // a step-2 slice
  EXPECT_FALSE(IsNonOverlappingAndDense({2, 3}, {0, 1}));    // expanded
}

TEST(LayoutTest, PreserveFormatKeepsDenseStridesAndOrdersOthers) {
  EXPECT_THAT(PreservedStrides({4, 3}, {1, 4}), ElementsAre(1, 4));
  EXPECT_THAT(PreservedStrides({3, 2}, {1, 6}), ElementsAre(1, 3));  // x[::2].t()-like: dense, same order
  EXPECT_THAT(PreservedStrides({2, 3}, {0, 1}), ElementsAre(3, 1));  // expanded: row-major
}

TEST(LayoutTest, ElementwiseResultsFollowTheFirstInputsOrder) {
  EXPECT_TRUE(ElementwiseStrides({2, 3}, {{3, 1}, {3, 1}}).empty());          // contiguous
  EXPECT_THAT(ElementwiseStrides({2, 3}, {{1, 2}, {1, 2}}), ElementsAre(1, 2));  // same dense layout
  EXPECT_THAT(ElementwiseStrides({2, 3}, {{1, 2}, {3, 1}}), ElementsAre(1, 2));  // the first decides
  EXPECT_TRUE(ElementwiseStrides({2, 3}, {{3, 1}, {1, 2}}).empty());
  EXPECT_THAT(ElementwiseStrides({2, 3}, {{0, 0}, {1, 2}}), ElementsAre(1, 2));  // a broadcast scalar defers
  EXPECT_THAT(ElementwiseStrides({3, 2}, {{1, 6}}), ElementsAre(1, 3));          // strided: dense, same order
  // (1, 3) with strides (1, 1) plus a broadcast (3,): no fast path; equal strides order by size
  EXPECT_THAT(ElementwiseStrides({1, 3}, {{1, 1}, {0, 1}}, /*same_shapes=*/false), ElementsAre(1, 1));
  EXPECT_TRUE(ElementwiseStrides({1, 3}, {{1, 1}, {3, 1}}).empty());
}

TEST(LayoutTest, CloneKeepsATransposeAndContiguousDoesNot) {
  Tensor a = FromVector({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor t = Call1("t", {a});
  Tensor c = Call1("clone", {t});
  EXPECT_THAT(c.strides(), ElementsAre(1, 3));
  EXPECT_FALSE(c.is_contiguous());
  EXPECT_THAT(Values(c), ElementsAre(1, 4, 2, 5, 3, 6));
  EXPECT_TRUE(Call1("clone", {t}, {{"memory_format", std::string("contiguous_format")}}).is_contiguous());
  EXPECT_TRUE(Call1("contiguous", {t}).is_contiguous());
  EXPECT_THAT(Call1("exp", {t}).strides(), ElementsAre(1, 3));
  EXPECT_THAT(Call1("add", {t, Tensor::WrappedScalar(Scalar(1))}).strides(), ElementsAre(1, 3));
  EXPECT_THAT(Call1("to", {t}, {{"dtype", DType::kFloat64}}).strides(), ElementsAre(1, 3));
  EXPECT_TRUE(Call1("sum", {t}, {{"dim", std::vector<int64_t>{0}}, {"keepdim", true}}).is_contiguous());
  EXPECT_THAT(CallOp("clone", {t}, {{"memory_format", std::string("channels_last")}}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "[clone] memory_format must be"));
}

TEST(TensorTest, ExpandIsStrideZeroView) {
  Tensor a = FromVector({1, 2, 3}, {3});
  Tensor e = Call1("expand", {a}, {{"size", std::vector<int64_t>{2, 3}}});
  EXPECT_THAT(std::vector<int64_t>(e.strides().begin(), e.strides().end()), ElementsAre(0, 1));
  EXPECT_THAT(Values(e), ElementsAre(1, 2, 3, 1, 2, 3));
  EXPECT_THAT(CallOp("expand", {a}, {{"size", std::vector<int64_t>{2, 4}}}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "must match the existing size (3)"));
}

TEST(TensorTest, OversizedOutputIsResourceExhausted) {
  EXPECT_THAT(CallOp("zeros", {}, {{"size", std::vector<int64_t>{int64_t{1} << 40}}}, {}),
              StatusIs(absl::StatusCode::kResourceExhausted, "exceeds the limit"));
  EXPECT_THAT(CallOp("zeros", {}, {{"size", std::vector<int64_t>{INT64_MAX, 3}}}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "too many elements"));
}

TEST(OpRegistryTest, ErrorsNameTheOpAndArgument) {
  Tensor a = FromVector({1, 2, 3, 4, 5, 6}, {3, 2});
  EXPECT_THAT(CallOp("nosuchop", {a}, {}, {}), StatusIs(absl::StatusCode::kNotFound, "unknown op 'nosuchop'"));
  EXPECT_THAT(CallOp("mm", {a, a}, {}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "[mm] mat1 and mat2 shapes cannot be multiplied (3x2 and 3x2)"));
  EXPECT_THAT(CallOp("matmul", {a, a}, {}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "[matmul] mat1 and mat2 shapes cannot be multiplied (3x2 and 3x2)"));
  EXPECT_THAT(CallOp("matmul", {FromVector({1, 2}, {2}), a}, {}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "[matmul] mat1 and mat2 shapes cannot be multiplied (1x2 and 3x2)"));
  EXPECT_THAT(CallOp("add", {a}, {}, {}), StatusIs(absl::StatusCode::kInvalidArgument, "takes 2 tensor inputs"));
  EXPECT_THAT(CallOp("sum", {a}, {{"bogus", true}}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "unexpected keyword argument 'bogus'"));
  EXPECT_THAT(CallOp("sum", {a}, {{"keepdim", std::string("yes")}}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "'keepdim' must be bool, not str"));
  EXPECT_THAT(CallOp("mean", {FromVector({1, 2}, {2}, DType::kInt64)}, {}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "Got: Long"));
  EXPECT_THAT(CallOp("sum", {a}, {{"dim", int64_t{5}}}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "Dimension out of range"));
  EXPECT_THAT(CallOp("randn", {}, {{"size", std::vector<int64_t>{2}}}, {}),
              StatusIs(absl::StatusCode::kFailedPrecondition, "no random generator"));
  EXPECT_THAT(CallOp("add", {a, FromVector({1, 2, 3}, {3})}, {}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "size of tensor a (2) must match the size of tensor b (3)"));
}

TEST(OpRegistryTest, ListOpsCoversTheOpList) {
  const auto& ops = ListOps();
  auto find = [&](absl::string_view n) {
    return std::find_if(ops.begin(), ops.end(), [&](const OpSchema& s) { return s.name == n; });
  };
  ASSERT_NE(find("matmul"), ops.end());
  EXPECT_TRUE(find("matmul")->differentiable);
  EXPECT_FALSE(find("eq")->differentiable);
  EXPECT_TRUE(find("requires_grad_")->inplace);
  EXPECT_EQ(find("requires_grad_")->num_outputs, 0);
  auto sum = find("sum");
  ASSERT_EQ(sum->attrs.size(), 3u);
  EXPECT_EQ(sum->attrs[1].name, "keepdim");
  EXPECT_EQ(AttrValueRepr(sum->attrs[1].default_value), "False");
}

TEST(ElementwiseTest, NanInfPredicatesAndNanToNum) {
  Tensor x = FromVector({NAN, INFINITY, -INFINITY, 1.5}, {4});
  EXPECT_THAT(Values(Call1("isnan", {x})), ElementsAre(1, 0, 0, 0));
  EXPECT_THAT(Values(Call1("isinf", {x})), ElementsAre(0, 1, 1, 0));
  EXPECT_THAT(Values(Call1("isfinite", {x})), ElementsAre(0, 0, 0, 1));
  EXPECT_THAT(Values(Call1("nan_to_num", {x}, {{"nan", 2.0}, {"posinf", 9.0}})),
              ElementsAre(2, 9, double(std::numeric_limits<float>::lowest()), 1.5));
}

TEST(ElementwiseTest, IntegerDivisionRules) {
  Tensor a = FromVector({7, -7, 7, -7}, {4}, DType::kInt64);
  Tensor b = FromVector({2, 2, -2, -2}, {4}, DType::kInt64);
  EXPECT_THAT(Values(Call1("div", {a, b}, {{"rounding_mode", std::string("floor")}})), ElementsAre(3, -4, -4, 3));
  EXPECT_THAT(Values(Call1("div", {a, b}, {{"rounding_mode", std::string("trunc")}})), ElementsAre(3, -3, -3, 3));
  EXPECT_THAT(Values(Call1("remainder", {a, b})), ElementsAre(1, 1, -1, -1));
  EXPECT_THAT(Values(Call1("fmod", {a, b})), ElementsAre(1, -1, 1, -1));
  EXPECT_EQ(Call1("div", {a, b}, {{"rounding_mode", std::string("floor")}}).dtype(), DType::kInt64);
  EXPECT_THAT(CallOp("remainder", {a, FromVector({0, 1, 1, 1}, {4}, DType::kInt64)}, {}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "ZeroDivisionError"));
  EXPECT_THAT(CallOp("div", {a, b}, {{"rounding_mode", std::string("round")}}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "rounding_mode to be one of None, 'trunc', or 'floor'"));
  EXPECT_THAT(CallOp("bitwise_and", {FromVector({1.5}, {1}), FromVector({1}, {1})}, {}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "not implemented for 'Float'"));
}

// The minimum divided by -1 overflows: the hardware traps (SIGFPE) on x86,
// so the kernels must not divide; the result wraps, as on PyTorch's GPUs.
TEST(ElementwiseTest, MinimumDividedByMinusOneWrapsInsteadOfTrapping) {
  for (DType dtype : {DType::kInt32, DType::kInt64}) {
    const double lo = dtype == DType::kInt32 ? double(INT32_MIN) : double(INT64_MIN);
    Tensor a = FromVector({lo, 6}, {2}, dtype);
    Tensor m1 = FromVector({-1, -1}, {2}, dtype);
    for (const char* mode : {"floor", "trunc"}) {
      EXPECT_THAT(Values(Call1("div", {a, m1}, {{"rounding_mode", std::string(mode)}})), ElementsAre(lo, -6));
    }
    EXPECT_THAT(Values(Call1("remainder", {a, m1})), ElementsAre(0, 0));
    EXPECT_THAT(Values(Call1("fmod", {a, m1})), ElementsAre(0, 0));
  }
}

TEST(FactoryTest, LinspaceEyeArange) {
  Tensor l = Call1("linspace", {}, {{"start", Scalar(0.0)}, {"end", Scalar(1.0)}, {"steps", int64_t{5}}});
  EXPECT_THAT(Values(l), ElementsAre(0, 0.25, 0.5, 0.75, 1));
  EXPECT_EQ(l.dtype(), DType::kFloat32);
  EXPECT_THAT(Values(Call1("linspace", {}, {{"start", Scalar(0.0)}, {"end", Scalar(1.0)}, {"steps", int64_t{1}}})),
              ElementsAre(0));
  Tensor e = Call1("eye", {}, {{"n", int64_t{2}}, {"m", int64_t{3}}});
  EXPECT_THAT(ShapeOf(e), ElementsAre(2, 3));
  EXPECT_THAT(Values(e), ElementsAre(1, 0, 0, 0, 1, 0));
  Tensor a = Call1("arange", {}, {{"start", Scalar(1)}, {"end", Scalar(2.0)}, {"step", Scalar(0.25)}});
  EXPECT_THAT(Values(a), ElementsAre(1, 1.25, 1.5, 1.75));
  EXPECT_EQ(Call1("arange", {}, {{"end", Scalar(5)}}).dtype(), DType::kInt64);
  EXPECT_THAT(CallOp("arange", {}, {{"end", Scalar(5)}, {"step", Scalar(0)}}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "step must be nonzero"));
}

TEST(ReductionTest, EdgeCasesMatchPyTorch) {
  EXPECT_THAT(Values(Call1("norm", {FromVector({3, 0, 4}, {3})}, {{"p", Scalar(0.0)}})), ElementsAre(2));
  EXPECT_EQ(Call1("any", {FromVector({0, 3}, {2}, DType::kUInt8)}).dtype(), DType::kUInt8);
  EXPECT_EQ(Call1("all", {FromVector({0, 3}, {2})}).dtype(), DType::kBool);
  EXPECT_THAT(ShapeOf(Call1("nonzero", {FromVector({5}, {})})), ElementsAre(1, 0));
  EXPECT_THAT(ShapeOf(Call1("nonzero", {FromVector({0}, {})})), ElementsAre(0, 0));
  EXPECT_THAT(CallOp("gather", {FromVector({1, 2, 3}, {3}), FromVector({-1}, {1}, DType::kInt64)}, {{"dim", int64_t{0}}}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "index -1 is out of bounds"));
  Generator g;
  EXPECT_EQ(Call1("bernoulli", {FromVector({0.2, 0.9}, {2})}, {}, &g).dtype(), DType::kFloat32);
}

TEST(PromotionTest, PythonScalarsFollowTorchRules) {
  Tensor i32 = FromVector({1, 2}, {2}, DType::kInt32);
  EXPECT_EQ(Call1("mul", {i32, Tensor::WrappedScalar(Scalar(2))}).dtype(), DType::kInt32);
  EXPECT_EQ(Call1("mul", {i32, Tensor::WrappedScalar(Scalar(2.5))}).dtype(), DType::kFloat32);
  Tensor f64 = FromVector({1, 2}, {2}, DType::kFloat64);
  EXPECT_EQ(Call1("add", {f64, Tensor::WrappedScalar(Scalar(1.5))}).dtype(), DType::kFloat64);
  Tensor b = FromVector({1, 0}, {2}, DType::kBool);
  EXPECT_EQ(Call1("add", {b, Tensor::WrappedScalar(Scalar(1))}).dtype(), DType::kInt64);
  Tensor zero_dim_f64 = FromVector({3}, {}, DType::kFloat64);
  Tensor f32 = FromVector({1, 2}, {2});
  EXPECT_EQ(Call1("add", {f32, zero_dim_f64}).dtype(), DType::kFloat32);  // dim-0 tensors rank lower
  EXPECT_EQ(Call1("div", {i32, i32}).dtype(), DType::kFloat32);             // true division
  EXPECT_THAT(Values(Call1("div", {i32, FromVector({2, 4}, {2}, DType::kInt32)})), ElementsAre(0.5, 0.5));
  EXPECT_EQ(Call1("gt", {i32, Tensor::WrappedScalar(Scalar(1.5))}).dtype(), DType::kBool);
}

}  // namespace
}  // namespace tensord::engine
