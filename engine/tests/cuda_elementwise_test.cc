// The CUDA elementwise kernels (engine/cuda/elementwise.cc,
// kernels/elementwise.cu) against the CPU kernels they mirror: every binary
// and unary op and where, over every dtype (the CPU's errors where it has
// them), special values (NaN, infinities, signed zeros, halves for round),
// transposed, sliced and broadcast (stride-0) operands, CPU 0-dim tensors and
// Python numbers beside cuda tensors, and the integer domain errors raised
// from the device (Note [Domain errors on the device]). Needs a GPU or the
// emulator (TENSORD_CUDA_EMULATOR); skipped without. On the emulator the
// kernels call the CPU's libm, so results must be bit-identical (signed
// zeros included); on a GPU, CUDA's math library is allowed its few ulps.
#include <cmath>
#include <functional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/cuda/runtime.h"
#include "engine/tests/test_util.h"

namespace tensord::engine {
namespace {
using namespace testing;

constexpr DType kAllDTypes[] = {DType::kBool,  DType::kUInt8,   DType::kInt8,     DType::kInt16,   DType::kInt32,
                                DType::kInt64, DType::kFloat16, DType::kBFloat16, DType::kFloat32, DType::kFloat64};
constexpr DType kIntDTypes[] = {DType::kUInt8, DType::kInt8, DType::kInt16, DType::kInt32, DType::kInt64};

const double kNaN = std::nan(""), kInf = INFINITY;

// 24 values (shaped [4, 6]) per dtype kind. Floats: special values paired
// with every kind of partner; ints: no zero divisors, and -128 / -1 (wraps
// in int8). uint8 takes absolute values, bool nonzero-ness.
const std::vector<double> kFloatA = {-3.5, -2,  -1.25, -0.5, -0.0, 0,    0.5,  1,    1.5, 2,   2.5, 3,
                                     7,    -7,  1e-3,  100,  kNaN, kInf, -kInf, 0.75, 5.5, -9,  0.3, 12};
const std::vector<double> kFloatB = {2,   -2,  0.5,  -0.5, 3,     -3, 1.5, 7,    -7, 0, 1,   -1,
                                     kInf, kNaN, 2.5, 0.25, -kInf, 4,  100, -0.0, 3,  -4, 0.7, 2};
const std::vector<double> kIntA = {-7, -3, -2, -1,  0, -128, 2,  3, 7,  10, -10, 5,
                                   -5, 100, -100, 4, 6, -6,  9, 11, 127, 13, -13, 1};
const std::vector<double> kIntB = {2, -2, 3, -3,  1, -1, 5, 7,  -7, 4, -4, 6,
                                   2, 3,  -5, 9, -9, 11, 1, 2, 3,  -3, 8, -8};

std::vector<double> ForDType(DType dtype, const std::vector<double>& floats, const std::vector<double>& ints) {
  if (IsFloating(dtype)) return floats;
  std::vector<double> v = ints;
  for (double& x : v) {
    if (dtype == DType::kBool) x = x > 0;
    else if (dtype == DType::kUInt8) x = std::abs(x);
  }
  return v;
}
Tensor InputA(DType dtype) { return FromVector(ForDType(dtype, kFloatA, kIntA), {4, 6}, dtype); }
Tensor InputB(DType dtype) { return FromVector(ForDType(dtype, kFloatB, kIntB), {4, 6}, dtype); }
// Exponents: integers in [0, 5] (negative ones are the error test's).
Tensor Exponents(DType dtype) {
  if (IsFloating(dtype)) return InputB(dtype);
  std::vector<double> v;
  for (double x : kIntB) v.push_back(dtype == DType::kBool ? x > 0 : std::fmod(std::abs(x), 6));
  return FromVector(v, {4, 6}, dtype);
}

// A Python number (a wrapped CPU scalar).
Tensor Number(Scalar s) { return Tensor::WrappedScalar(s); }

double Tolerance(DType d, double expected) { return DeviceTolerance(d, expected); }

// Applied alike to the CPU inputs and their cuda copies.
using View = std::function<Tensor(const Tensor&)>;
const View kSame = [](const Tensor& t) { return t; };
Tensor Transposed(const Tensor& t) {  // the same [4, 6] values, column-major
  Tensor tt = Call1("contiguous", {Call1("transpose", {t}, {{"dim0", int64_t{0}}, {"dim1", int64_t{1}}})});
  return Call1("transpose", {tt}, {{"dim0", int64_t{0}}, {"dim1", int64_t{1}}});
}

class CudaElementwiseTest : public NeedsCuda<> {
 protected:
  static bool Exact() { return cuda::Get().emulated(); }

  static void ExpectSameValues(const Tensor& got, const Tensor& want) {
    EXPECT_EQ(got.device().ToString(), "cuda:0");
    ASSERT_EQ(got.dtype(), want.dtype());
    ASSERT_EQ(ShapeOf(got), ShapeOf(want));
    const std::vector<double> a = Values(got), b = Values(want);
    for (size_t i = 0; i < a.size(); ++i) {
      if (std::isnan(b[i])) {
        EXPECT_TRUE(std::isnan(a[i])) << "element " << i << ": " << a[i] << " vs NaN";
      } else if (Exact() || std::isinf(b[i]) || !IsFloating(want.dtype())) {
        EXPECT_EQ(a[i], b[i]) << "element " << i;
        if (Exact()) {
          EXPECT_EQ(std::signbit(a[i]), std::signbit(b[i])) << "element " << i << ": " << a[i] << " vs " << b[i];
        }
      } else {
        EXPECT_NEAR(a[i], b[i], Tolerance(want.dtype(), b[i])) << "element " << i;
      }
    }
  }

  // `op` on the CPU inputs and on `cuda_in`: the same status (the same
  // error, when the CPU errs), and the same dtype, shape and values.
  static void ExpectMatchesCpu(const std::string& op, const std::vector<Tensor>& cpu_in,
                               const std::vector<Tensor>& cuda_in, const AttrMap& attrs, const std::string& what) {
    SCOPED_TRACE(what);
    auto want = CallOp(op, cpu_in, attrs, {});
    auto got = CallOp(op, cuda_in, attrs, {});
    ASSERT_EQ(got.ok(), want.ok()) << "cpu: " << want.status() << " cuda: " << got.status();
    if (!want.ok()) {
      EXPECT_EQ(got.status(), want.status());
      return;
    }
    ASSERT_EQ(got->size(), 1u);
    ExpectSameValues((*got)[0], (*want)[0]);
  }

  // Every input copied to cuda:0, then viewed by `view` on both sides.
  static void ExpectMatchesCpu(const std::string& op, const std::vector<Tensor>& in, const AttrMap& attrs,
                               const View& view, const std::string& what) {
    std::vector<Tensor> cpu_in, cuda_in;
    for (const Tensor& t : in) {
      cpu_in.push_back(view(t));
      cuda_in.push_back(view(ToCuda(t)));
    }
    ExpectMatchesCpu(op, cpu_in, cuda_in, attrs, what);
  }
};

struct OpAttrs {
  std::string op;
  AttrMap attrs;
};

const std::vector<OpAttrs>& BinaryOps() {
  static const std::vector<OpAttrs> ops = {
      {"add", {}}, {"add", {{"alpha", Scalar(int64_t{2})}}}, {"add", {{"alpha", Scalar(0.5)}}},
      {"sub", {}}, {"sub", {{"alpha", Scalar(int64_t{3})}}}, {"rsub", {{"alpha", Scalar(int64_t{2})}}},
      {"mul", {}}, {"div", {}}, {"div", {{"rounding_mode", std::string("trunc")}}},
      {"div", {{"rounding_mode", std::string("floor")}}}, {"remainder", {}}, {"fmod", {}},
      {"maximum", {}}, {"minimum", {}}, {"eq", {}}, {"ne", {}}, {"lt", {}}, {"le", {}}, {"gt", {}}, {"ge", {}},
      {"logical_and", {}}, {"logical_or", {}}, {"logical_xor", {}},
      {"bitwise_and", {}}, {"bitwise_or", {}}, {"bitwise_xor", {}}};
  return ops;
}

const std::vector<OpAttrs>& UnaryOps() {
  static const std::vector<OpAttrs> ops = {
      {"neg", {}}, {"exp", {}}, {"log", {}}, {"sin", {}}, {"cos", {}}, {"relu", {}}, {"sigmoid", {}},
      {"abs", {}}, {"sign", {}}, {"sqrt", {}}, {"rsqrt", {}}, {"expm1", {}}, {"log1p", {}}, {"log2", {}},
      {"tan", {}}, {"tanh", {}}, {"erf", {}}, {"gelu", {}}, {"gelu", {{"approximate", std::string("tanh")}}},
      {"silu", {}}, {"softplus", {}}, {"softplus", {{"beta", Scalar(2.0)}, {"threshold", Scalar(3.0)}}},
      {"floor", {}}, {"ceil", {}}, {"round", {}}, {"trunc", {}}, {"reciprocal", {}},
      {"clamp", {{"min", Scalar(int64_t{-1})}}}, {"clamp", {{"max", Scalar(int64_t{2})}}},
      {"clamp", {{"min", Scalar(int64_t{-1})}, {"max", Scalar(int64_t{2})}}},
      {"clamp", {{"min", Scalar(int64_t{3})}, {"max", Scalar(int64_t{1})}}},  // min > max: max
      {"clamp", {{"min", Scalar(0.5)}, {"max", Scalar(2.5)}}},                 // promotes integers
      {"logical_not", {}}, {"bitwise_not", {}}, {"isnan", {}}, {"isinf", {}}, {"isfinite", {}},
      {"nan_to_num", {}},
      {"nan_to_num", {{"nan", 1.5}, {"posinf", 7.0}, {"neginf", -7.0}}}};
  return ops;
}

std::string Name(const OpAttrs& o, DType dtype) {
  std::string s = absl::StrCat(o.op, " ", DTypeName(dtype));
  for (const auto& [k, v] : o.attrs) absl::StrAppend(&s, " ", k);
  return s;
}

TEST_F(CudaElementwiseTest, BinaryOpsMatchCpuForEveryDType) {
  for (DType dtype : kAllDTypes) {
    for (const OpAttrs& o : BinaryOps()) {
      ExpectMatchesCpu(o.op, {InputA(dtype), InputB(dtype)}, o.attrs, kSame, Name(o, dtype));
    }
    ExpectMatchesCpu("pow", {InputA(dtype), Exponents(dtype)}, {}, kSame, absl::StrCat("pow ", DTypeName(dtype)));
  }
}

TEST_F(CudaElementwiseTest, MixedDTypesPromoteAsOnCpu) {
  const std::vector<std::pair<DType, DType>> pairs = {{DType::kInt32, DType::kFloat16}, {DType::kUInt8, DType::kInt8},
                                                      {DType::kBool, DType::kInt64}, {DType::kBFloat16, DType::kFloat16},
                                                      {DType::kFloat32, DType::kFloat64}, {DType::kInt16, DType::kBool}};
  for (const auto& [da, db] : pairs) {
    for (const char* op : {"add", "mul", "div", "maximum", "lt", "eq", "logical_xor", "remainder"}) {
      ExpectMatchesCpu(op, {InputA(da), InputB(db)}, {}, kSame, absl::StrCat(op, " ", DTypeName(da), " ", DTypeName(db)));
    }
  }
}

TEST_F(CudaElementwiseTest, UnaryOpsMatchCpuForEveryDType) {
  for (DType dtype : kAllDTypes) {
    for (const OpAttrs& o : UnaryOps()) ExpectMatchesCpu(o.op, {InputA(dtype)}, o.attrs, kSame, Name(o, dtype));
  }
}

TEST_F(CudaElementwiseTest, WhereMatchesCpuForEveryDType) {
  std::vector<double> c;
  for (int i = 0; i < 24; ++i) c.push_back((i * 7) % 3 == 0);
  const Tensor cond = FromVector(c, {4, 6}, DType::kBool);
  const Tensor row = FromVector({1, 0, 0, 1, 1, 0}, {6}, DType::kBool);
  for (DType dtype : kAllDTypes) {
    ExpectMatchesCpu("where", {cond, InputA(dtype), InputB(dtype)}, {}, kSame, absl::StrCat("where ", DTypeName(dtype)));
    ExpectMatchesCpu("where", {cond, InputA(dtype), InputB(dtype)}, {}, Transposed,
                     absl::StrCat("where transposed ", DTypeName(dtype)));
    ExpectMatchesCpu("where", {row, InputA(dtype), InputB(dtype)}, {ToCuda(row), ToCuda(InputA(dtype)), ToCuda(InputB(dtype))},
                     {}, absl::StrCat("where broadcast condition ", DTypeName(dtype)));
    // Scalars beside cuda tensors: a Python number and a CPU 0-dim tensor.
    const Tensor a = InputA(dtype), cpu0 = FromVector({1}, {}, dtype);
    ExpectMatchesCpu("where", {cond, a, Number(Scalar(2.5))}, {ToCuda(cond), ToCuda(a), Number(Scalar(2.5))}, {},
                     absl::StrCat("where tensor, number ", DTypeName(dtype)));
    ExpectMatchesCpu("where", {cond, cpu0, a}, {ToCuda(cond), cpu0, ToCuda(a)}, {},
                     absl::StrCat("where cpu 0-dim, tensor ", DTypeName(dtype)));
    const Tensor true0 = FromVector({1}, {}, DType::kBool);
    ExpectMatchesCpu("where", {true0, a, InputB(dtype)}, {true0, ToCuda(a), ToCuda(InputB(dtype))}, {},
                     absl::StrCat("where cpu 0-dim condition ", DTypeName(dtype)));
  }
}

TEST_F(CudaElementwiseTest, StridedAndBroadcastOperands) {
  const View slice_cols = [](const Tensor& t) {  // [4, 6] -> [4, 3], every other column
    return Call1("slice", {t}, {{"dim", int64_t{1}}, {"start", int64_t{0}}, {"end", int64_t{6}}, {"step", int64_t{2}}});
  };
  const View first_row_expanded = [](const Tensor& t) {  // [4, 6] -> row 0 broadcast to [4, 6] (stride 0)
    Tensor row = Call1("slice", {t}, {{"dim", int64_t{0}}, {"start", int64_t{0}}, {"end", int64_t{1}}});
    return Call1("expand", {row}, {{"size", std::vector<int64_t>{4, 6}}});
  };
  for (DType dtype : kAllDTypes) {
    const std::string d(DTypeName(dtype));
    for (const char* op : {"add", "mul", "div", "maximum", "ge", "logical_and", "bitwise_xor", "remainder"}) {
      ExpectMatchesCpu(op, {InputA(dtype), InputB(dtype)}, {}, Transposed, absl::StrCat(op, " transposed ", d));
      ExpectMatchesCpu(op, {InputA(dtype), InputB(dtype)}, {}, slice_cols, absl::StrCat(op, " sliced ", d));
      ExpectMatchesCpu(op, {InputA(dtype), InputB(dtype)}, {}, first_row_expanded, absl::StrCat(op, " expanded ", d));
      // One transposed operand beside a contiguous one, and implicit broadcasting of [6] and [4, 1].
      const Tensor a = InputA(dtype), b = InputB(dtype);
      const Tensor b_row = slice_cols(b), b_col = Call1("slice", {b}, {{"dim", int64_t{1}}, {"start", int64_t{1}}, {"end", int64_t{2}}});
      ExpectMatchesCpu(op, {Transposed(a), b}, {ToCuda(Transposed(a)), ToCuda(b)}, {}, absl::StrCat(op, " mixed ", d));
      ExpectMatchesCpu(op, {slice_cols(a), b_row}, {slice_cols(ToCuda(a)), ToCuda(b_row)}, {},
                       absl::StrCat(op, " sliced with contiguous ", d));
      ExpectMatchesCpu(op, {a, b_col}, {ToCuda(a), ToCuda(b_col)}, {}, absl::StrCat(op, " [4, 6] with [4, 1] ", d));
      const Tensor b_last = Call1("contiguous", {Call1("slice", {b}, {{"dim", int64_t{0}}, {"start", int64_t{3}}})});
      ExpectMatchesCpu(op, {a, Call1("view", {b_last}, {{"size", std::vector<int64_t>{6}}})},
                       {ToCuda(a), ToCuda(Call1("view", {b_last}, {{"size", std::vector<int64_t>{6}}}))}, {},
                       absl::StrCat(op, " [4, 6] with [6] ", d));
    }
    for (const char* op : {"neg", "exp", "abs", "isnan", "logical_not", "sign", "round"}) {
      ExpectMatchesCpu(op, {InputA(dtype)}, {}, Transposed, absl::StrCat(op, " transposed ", d));
      ExpectMatchesCpu(op, {InputA(dtype)}, {}, slice_cols, absl::StrCat(op, " sliced ", d));
      ExpectMatchesCpu(op, {InputA(dtype)}, {}, first_row_expanded, absl::StrCat(op, " expanded ", d));
    }
  }
  // Larger than a block, three non-mergeable dims.
  const Tensor big = FromVector(std::vector<double>(5 * 67 * 301, 1.25), {5, 67, 301});
  const View permuted = [](const Tensor& t) { return Call1("permute", {t}, {{"dims", std::vector<int64_t>{2, 0, 1}}}); };
  std::vector<double> ramp(5 * 67 * 301);
  for (size_t i = 0; i < ramp.size(); ++i) ramp[i] = static_cast<double>(i % 1000) - 500;
  ExpectMatchesCpu("mul", {FromVector(ramp, {5, 67, 301}), big}, {}, permuted, "mul permuted [301, 5, 67]");
}

TEST_F(CudaElementwiseTest, CpuScalarsAndNumbersBesideCudaTensors) {
  for (DType dtype : kAllDTypes) {
    const std::string d(DTypeName(dtype));
    const Tensor a = InputA(dtype), da = ToCuda(a);
    const std::vector<Tensor> scalars = {Number(Scalar(int64_t{3})), Number(Scalar(-2.5)), Number(Scalar(true)),
                                         FromVector({2}, {}, dtype), FromVector({-3}, {}, DType::kInt64),
                                         FromVector({0.5}, {}, DType::kFloat64)};
    for (const OpAttrs& o : BinaryOps()) {
      for (size_t k = 0; k < scalars.size(); ++k) {
        const Tensor& s = scalars[k];
        ExpectMatchesCpu(o.op, {a, s}, {da, s}, o.attrs, absl::StrCat(Name(o, dtype), " tensor, scalar ", k));
        ExpectMatchesCpu(o.op, {s, a}, {s, da}, o.attrs, absl::StrCat(Name(o, dtype), " scalar ", k, ", tensor"));
      }
    }
    // pow's exact special cases for one broadcast exponent: a number, a
    // CPU 0-dim tensor, a cuda 0-dim tensor.
    for (double e : {2.0, 3.0, 0.5, -1.0, 1.5}) {
      const std::string what = absl::StrCat("pow ", d, " ** ", e);
      ExpectMatchesCpu("pow", {a, Number(Scalar(e))}, {da, Number(Scalar(e))}, {}, what + " (number)");
      const Tensor e0 = FromVector({e}, {}, DType::kFloat64);
      ExpectMatchesCpu("pow", {a, e0}, {da, e0}, {}, what + " (cpu 0-dim)");
      ExpectMatchesCpu("pow", {a, e0}, {da, ToCuda(e0)}, {}, what + " (cuda 0-dim)");
    }
    ExpectMatchesCpu("pow", {Number(Scalar(2.0)), a}, {Number(Scalar(2.0)), da}, {}, "2.0 ** tensor " + d);
  }
}

TEST_F(CudaElementwiseTest, IntegerDomainErrorsMatchCpu) {
  for (DType dtype : kIntDTypes) {
    const std::string d(DTypeName(dtype));
    std::vector<double> divisor = ForDType(dtype, kFloatB, kIntB);
    divisor[17] = 0;  // one zero among many
    const Tensor a = InputA(dtype), zero_in = FromVector(divisor, {4, 6}, dtype);
    const Tensor da = ToCuda(a);
    const std::vector<OpAttrs> divisions = {{"div", {{"rounding_mode", std::string("trunc")}}},
                                            {"div", {{"rounding_mode", std::string("floor")}}},
                                            {"remainder", {}}, {"fmod", {}}};
    for (const OpAttrs& o : divisions) {
      // A cuda divisor: found by the kernel; a CPU 0-dim one and a number: checked before the launch.
      ExpectMatchesCpu(o.op, {a, zero_in}, {da, ToCuda(zero_in)}, o.attrs, Name(o, dtype) + " by a zero element");
      ExpectMatchesCpu(o.op, {a, zero_in}, {}, Transposed, Name(o, dtype) + " by a zero element, transposed");
      const Tensor z0 = FromVector({0}, {}, dtype);
      ExpectMatchesCpu(o.op, {a, z0}, {da, z0}, o.attrs, Name(o, dtype) + " by a CPU 0-dim zero");
      ExpectMatchesCpu(o.op, {a, z0}, {da, ToCuda(z0)}, o.attrs, Name(o, dtype) + " by a cuda 0-dim zero");
      ExpectMatchesCpu(o.op, {a, Number(Scalar(int64_t{0}))}, {da, Number(Scalar(int64_t{0}))}, o.attrs,
                       Name(o, dtype) + " by the number 0");
      auto status = CallOp(o.op, {da, ToCuda(zero_in)}, o.attrs, {}).status();
      EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument, "ZeroDivisionError")) << Name(o, dtype);
    }
    if (dtype != DType::kUInt8) {
      std::vector<double> exps(24, 2);
      exps[9] = -1;
      const Tensor neg = FromVector(exps, {4, 6}, dtype);
      ExpectMatchesCpu("pow", {a, neg}, {da, ToCuda(neg)}, {}, "pow by a negative element " + d);
      const Tensor n0 = FromVector({-2}, {}, dtype);
      ExpectMatchesCpu("pow", {a, n0}, {da, n0}, {}, "pow by a CPU 0-dim negative " + d);
      EXPECT_THAT(CallOp("pow", {da, ToCuda(neg)}, {}, {}).status(),
                  StatusIs(absl::StatusCode::kInvalidArgument, "Integers to negative integer powers are not allowed"));
    }
    // The device is still usable, and a divisor without zeros still divides.
    ExpectMatchesCpu("remainder", {a, InputB(dtype)}, {}, kSame, "remainder after the errors " + d);
  }
}

// The minimum divided by -1 overflows: the kernel wraps (as PyTorch's CUDA
// kernels) where the CPU's `x / y` would trap, so this checks values, not
// the CPU.
TEST_F(CudaElementwiseTest, MinimumByMinusOneWrapsInsteadOfTrapping) {
  for (DType dtype : {DType::kInt8, DType::kInt16, DType::kInt32, DType::kInt64}) {
    const double lo = dtype == DType::kInt8 ? -128 : dtype == DType::kInt16 ? -32768
                    : dtype == DType::kInt32 ? -2147483648.0 : -9223372036854775808.0;
    const Tensor x = ToCuda(FromVector({lo, 7, -7}, {3}, dtype));
    const Tensor m1 = ToCuda(FromVector({-1, -1, -1}, {3}, dtype));
    for (const char* mode : {"trunc", "floor"}) {
      EXPECT_EQ(Values(Call1("div", {x, m1}, {{"rounding_mode", std::string(mode)}})), (std::vector<double>{lo, -7, 7}))
          << DTypeName(dtype) << " " << mode;
    }
    EXPECT_EQ(Values(Call1("remainder", {x, m1})), (std::vector<double>{0, 0, 0})) << DTypeName(dtype);
    EXPECT_EQ(Values(Call1("fmod", {x, m1})), (std::vector<double>{0, 0, 0})) << DTypeName(dtype);
  }
}

TEST_F(CudaElementwiseTest, EmptyAndZeroDimTensors) {
  for (DType dtype : {DType::kInt32, DType::kFloat16, DType::kFloat32}) {
    const Tensor empty = FromVector({}, {0, 3}, dtype), zero0 = FromVector({0}, {}, dtype);
    ExpectMatchesCpu("add", {empty, empty}, {}, kSame, "add empty");
    ExpectMatchesCpu("remainder", {empty, empty}, {}, kSame, "remainder empty (no divisor to check)");
    ExpectMatchesCpu("exp", {empty}, {}, kSame, "exp empty");
    ExpectMatchesCpu("where", {FromVector({}, {0, 3}, DType::kBool), empty, empty}, {}, kSame, "where empty");
    const Tensor x0 = FromVector({-2}, {}, dtype);
    ExpectMatchesCpu("mul", {x0, x0}, {}, kSame, "mul 0-dim");
    ExpectMatchesCpu("abs", {x0}, {}, kSame, "abs 0-dim");
    ExpectMatchesCpu("fmod", {x0, zero0}, {}, kSame, "fmod 0-dim by 0");
  }
}

}  // namespace
}  // namespace tensord::engine
