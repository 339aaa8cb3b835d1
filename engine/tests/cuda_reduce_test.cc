// The CUDA reduction kernels (engine/cuda/reduce.cc, kernels/reduce.cu)
// against the CPU kernels they mirror: every reduction over every dtype,
// lists of dims, keepdim, strided and broadcast inputs, empty tensors,
// 0-dim tensors, ties and NaN for argmax/argmin, and sizes large enough for
// the two-pass path (Note [Reduce rows]). Needs a GPU or the emulator
// (TENSORD_CUDA_EMULATOR); skipped without.
#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/functional.h"
#include "engine/tests/test_util.h"

namespace tensord::engine {
namespace {
using namespace testing;

constexpr DType kAllDTypes[] = {DType::kBool,  DType::kUInt8,   DType::kInt8,     DType::kInt16,   DType::kInt32,
                                DType::kInt64, DType::kFloat16, DType::kBFloat16, DType::kFloat32, DType::kFloat64};
constexpr DType kFloatDTypes[] = {DType::kFloat16, DType::kBFloat16, DType::kFloat32, DType::kFloat64};

using View = std::function<Tensor(const Tensor&)>;
const View kSame = [](const Tensor& t) { return t; };

// Values drawn uniformly from [lo, hi]: integers for the integral dtypes
// (bool: 0/1), rounded to the dtype for the floating ones.
Tensor Random(std::vector<int64_t> shape, DType dtype, double lo, double hi, uint64_t seed) {
  std::mt19937_64 gen(seed);
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  std::vector<double> v(n);
  for (double& x : v) {
    if (dtype == DType::kBool) x = static_cast<double>(gen() % 2);
    else if (IsFloating(dtype)) x = std::uniform_real_distribution<double>(lo, hi)(gen);
    else x = static_cast<double>(std::uniform_int_distribution<int64_t>(int64_t(lo), int64_t(hi))(gen));
  }
  if (dtype == DType::kUInt8) for (double& x : v) x = std::abs(x);
  return FromVector(v, shape, dtype);
}


// Largest difference allowed between the CPU's and the GPU's result: the
// kernels accumulate alike (double / int64), so only the order of the
// additions differs, and that shows at most in the last bit of a narrower
// output. float64 outputs see the reassociation itself: a cumsum of 1 << 18
// elements drifts by about 1e-12 from the CPU's sequential sum.
double Tolerance(DType d, double expected) { return DeviceTolerance(d, expected, 1e-10); }

class CudaReduceTest : public NeedsCuda<> {
 protected:
  // `op` on view(base) on the CPU and on view(base copied to cuda:0): the
  // same status, and on success the same dtypes, shapes and values. The
  // CPU must succeed unless the test has set errors_allowed_ (then the
  // cuda call must fail with the same status).
  void ExpectMatchesCpu(const std::string& op, const Tensor& base, const AttrMap& attrs, const View& view,
                        const std::string& what) const {
    SCOPED_TRACE(what);
    const Tensor cpu_in = view(base);
    const Tensor cuda_in = view(ToCuda(base));
    auto want = CallOp(op, {cpu_in}, attrs, {});
    auto got = CallOp(op, {cuda_in}, attrs, {});
    if (!errors_allowed_) {
      ASSERT_TRUE(want.ok()) << want.status();
    }
    ASSERT_EQ(got.ok(), want.ok()) << "cpu: " << want.status() << " cuda: " << got.status();
    if (!want.ok()) {
      EXPECT_EQ(got.status(), want.status());
      return;
    }
    ASSERT_EQ(got->size(), want->size());
    for (size_t k = 0; k < got->size(); ++k) {
      const Tensor& g = (*got)[k];
      const Tensor& w = (*want)[k];
      EXPECT_EQ(g.device().ToString(), "cuda:0");
      ASSERT_EQ(g.dtype(), w.dtype());
      ASSERT_EQ(ShapeOf(g), ShapeOf(w));
      const std::vector<double> a = Values(g), b = Values(w);
      for (size_t i = 0; i < a.size(); ++i) {
        if (std::isnan(b[i])) {
          EXPECT_TRUE(std::isnan(a[i])) << "output " << k << " element " << i << ": " << a[i] << " vs NaN";
        } else if (std::isinf(b[i])) {
          EXPECT_EQ(a[i], b[i]) << "output " << k << " element " << i;
        } else {
          EXPECT_NEAR(a[i], b[i], Tolerance(w.dtype(), b[i])) << "output " << k << " element " << i;
        }
      }
    }
  }
  void ExpectMatchesCpu(const std::string& op, const Tensor& base, const AttrMap& attrs, const std::string& what) const {
    ExpectMatchesCpu(op, base, attrs, kSame, what);
  }

  bool errors_allowed_ = false;
};

const std::vector<std::vector<int64_t>> kDimLists = {{}, {0}, {1}, {2}, {-1}, {0, 2}, {2, 0}, {0, 1}, {0, 1, 2}};

std::string DimsName(const std::vector<int64_t>& dims) {
  std::string s = "[";
  for (int64_t d : dims) absl::StrAppend(&s, d, ",");
  return s + "]";
}

TEST_F(CudaReduceTest, DimReductionsMatchCpuForEveryDTypeDimListAndKeepdim) {
  for (DType dtype : kAllDTypes) {
    // Small values so that products of up to 60 of them stay exact in int64.
    const Tensor x = Random({3, 4, 5}, dtype, -2, 2, 1 + static_cast<int>(dtype));
    for (const char* op : {"sum", "mean", "prod", "amax", "amin", "all", "any"}) {
      errors_allowed_ = std::string(op) == "mean" && !IsFloating(dtype);  // mean(): could not infer output dtype
      for (const auto& dims : kDimLists) {
        for (bool keepdim : {false, true}) {
          AttrMap attrs{{"keepdim", keepdim}};
          if (!dims.empty()) attrs.push_back({"dim", dims});
          ExpectMatchesCpu(op, x, attrs,
                           absl::StrCat(op, " ", DTypeName(dtype), " dims ", DimsName(dims), " keepdim ", keepdim));
        }
      }
    }
    for (const char* op : {"max", "min"}) ExpectMatchesCpu(op, x, {}, absl::StrCat(op, " ", DTypeName(dtype)));
  }
}

TEST_F(CudaReduceTest, DTypeAttrCastsBeforeReducing) {
  const Tensor ints = Random({4, 6}, DType::kInt32, -100, 100, 7);
  const Tensor halves = Random({4, 6}, DType::kFloat16, -100, 100, 8);
  for (DType to : {DType::kFloat64, DType::kFloat16, DType::kInt8, DType::kInt64}) {
    ExpectMatchesCpu("sum", ints, {{"dim", std::vector<int64_t>{1}}, {"dtype", to}}, absl::StrCat("sum int32 as ", DTypeName(to)));
    ExpectMatchesCpu("prod", halves, {{"dtype", to}}, absl::StrCat("prod float16 as ", DTypeName(to)));
  }
  ExpectMatchesCpu("mean", ints, {{"dtype", DType::kFloat32}}, "mean int32 as float32");
  ExpectMatchesCpu("mean", halves, {{"dim", std::vector<int64_t>{0}}, {"dtype", DType::kFloat64}}, "mean f16 as f64");
}

TEST_F(CudaReduceTest, StridedAndBroadcastInputs) {
  const Tensor base = Random({4, 5, 6}, DType::kFloat32, -3, 3, 11);
  const Tensor ints = Random({4, 5, 6}, DType::kInt64, -3, 3, 12);
  const std::vector<std::pair<std::string, View>> views = {
      {"transpose(0,2)", [](const Tensor& t) { return fn::Transpose(t, 0, 2); }},
      {"permute(1,2,0)", [](const Tensor& t) { return fn::Permute(t, {1, 2, 0}); }},
      {"slice step 2", [](const Tensor& t) { return fn::Call1(OpId::kSlice, {t}, {int64_t{2}, int64_t{1}, int64_t{6}, int64_t{2}}); }},
      {"expand", [](const Tensor& t) {
         Tensor row = fn::Call1(OpId::kSelect, {t}, {int64_t{0}, int64_t{1}});  // [5, 6]
         return fn::Expand(fn::Unsqueeze(row, 1), std::vector<int64_t>{5, 3, 6});
       }},
  };
  for (const auto& [name, view] : views) {
    for (const Tensor& x : {base, ints}) {
      for (const char* op : {"sum", "prod", "amax", "amin", "any"}) {
        for (const auto& dims : kDimLists) {
          AttrMap attrs{{"keepdim", false}};
          if (!dims.empty()) attrs.push_back({"dim", dims});
          ExpectMatchesCpu(op, x, attrs, view, absl::StrCat(op, " of ", name, " ", DTypeName(x.dtype()), " dims ", DimsName(dims)));
        }
      }
      for (int64_t d : {0, 1, 2}) {
        for (const char* op : {"argmax", "argmin", "cumsum", "cumprod"}) {
          ExpectMatchesCpu(op, x, {{"dim", d}}, view, absl::StrCat(op, " of ", name, " dim ", d));
        }
        ExpectMatchesCpu("softmax", base, {{"dim", d}}, view, absl::StrCat("softmax of ", name, " dim ", d));
      }
    }
  }
}

TEST_F(CudaReduceTest, EmptyAndZeroDimTensors) {
  errors_allowed_ = true;  // max-like reductions over nothing fail, alike on both devices
  for (DType dtype : {DType::kFloat32, DType::kInt64, DType::kBool, DType::kFloat16}) {
    const Tensor empty = Tensor::Empty({0, 3}, dtype);
    for (const char* op : {"sum", "mean", "prod", "amax", "amin", "all", "any"}) {
      for (const auto& dims : std::vector<std::vector<int64_t>>{{}, {0}, {1}}) {
        for (bool keepdim : {false, true}) {
          AttrMap attrs{{"keepdim", keepdim}};
          if (!dims.empty()) attrs.push_back({"dim", dims});
          ExpectMatchesCpu(op, empty, attrs, absl::StrCat(op, " of [0, 3] ", DTypeName(dtype), " dims ", DimsName(dims)));
        }
      }
    }
    for (const char* op : {"max", "min", "argmax", "argmin"}) ExpectMatchesCpu(op, empty, {}, absl::StrCat(op, " of [0, 3]"));
    for (int64_t d : {0, 1}) {
      for (const char* op : {"argmax", "argmin", "cumsum", "cumprod", "softmax", "log_softmax"}) {
        ExpectMatchesCpu(op, empty, {{"dim", d}}, absl::StrCat(op, " of [0, 3] dim ", d));
      }
    }
    const Tensor scalar = Random({}, dtype, -3, 3, 5);
    for (const char* op : {"sum", "mean", "prod", "amax", "max", "all", "any", "argmax", "argmin"}) {
      ExpectMatchesCpu(op, scalar, {}, absl::StrCat(op, " of a 0-dim ", DTypeName(dtype)));
    }
    for (const char* op : {"sum", "amin", "argmax", "cumsum", "cumprod", "softmax", "log_softmax"}) {
      ExpectMatchesCpu(op, scalar, {{"dim", op[0] == 'a' && op[1] == 'm' ? AttrValue(std::vector<int64_t>{0}) : AttrValue(int64_t{0})}},
                       absl::StrCat(op, " of a 0-dim ", DTypeName(dtype), " along dim 0"));
    }
  }
}

TEST_F(CudaReduceTest, ArgReductionsTakeTheFirstExtremumAndTheFirstNaN) {
  // Ties everywhere: values from {-1, 0, 1}.
  for (DType dtype : kAllDTypes) {
    const Tensor x = Random({4, 7, 3}, dtype, -1, 1, 21);
    for (const char* op : {"argmax", "argmin"}) {
      ExpectMatchesCpu(op, x, {}, absl::StrCat(op, " flat ", DTypeName(dtype)));
      ExpectMatchesCpu(op, x, {{"keepdim", true}}, absl::StrCat(op, " flat keepdim ", DTypeName(dtype)));
      for (int64_t d : {0, 1, 2, -1}) {
        for (bool keepdim : {false, true}) {
          ExpectMatchesCpu(op, x, {{"dim", d}, {"keepdim", keepdim}}, absl::StrCat(op, " ", DTypeName(dtype), " dim ", d));
        }
      }
    }
  }
  const double nan = std::nan("");
  const Tensor with_nan = FromVector({1, nan, 3, nan, 3, -1, 2, 2, 5, 5, nan, 0}, {3, 4});
  for (const char* op : {"argmax", "argmin", "amax", "amin", "max", "min"}) {
    ExpectMatchesCpu(op, with_nan, {}, absl::StrCat(op, " with NaN"));
  }
  for (int64_t d : {0, 1}) {
    ExpectMatchesCpu("argmax", with_nan, {{"dim", d}}, absl::StrCat("argmax with NaN dim ", d));
    ExpectMatchesCpu("argmin", with_nan, {{"dim", d}}, absl::StrCat("argmin with NaN dim ", d));
    ExpectMatchesCpu("amax", with_nan, {{"dim", std::vector<int64_t>{d}}}, absl::StrCat("amax with NaN dim ", d));
  }
  const Tensor got = Call1("argmax", {ToCuda(with_nan)});
  EXPECT_EQ(Values(got), std::vector<double>{1});
}

TEST_F(CudaReduceTest, LargeReductionsRunInTwoPasses) {
  const int64_t n = int64_t{1} << 20;
  std::vector<double> v(n);
  std::mt19937_64 gen(3);
  for (double& x : v) x = std::uniform_real_distribution<double>(-1, 1)(gen);
  // The maximum thrice (across pass-1 chunks), the minimum twice: the first wins.
  v[1000] = v[524288] = v[900000] = 7;
  v[4097] = v[4096 * 200 + 5] = -7;
  for (DType dtype : {DType::kFloat32, DType::kFloat64, DType::kBFloat16}) {
    const Tensor x = FromVector(v, {n}, dtype);
    for (const char* op : {"sum", "mean", "amax", "amin", "any", "all", "argmax", "argmin"}) {
      ExpectMatchesCpu(op, x, {}, absl::StrCat(op, " of 1<<20 ", DTypeName(dtype)));
    }
    EXPECT_EQ(Values(Call1("argmax", {ToCuda(x)})), std::vector<double>{1000});
    EXPECT_EQ(Values(Call1("argmin", {ToCuda(x)})), std::vector<double>{4097});
    const Tensor rows = FromVector(v, {4, n / 4}, dtype);
    for (int64_t d : {0, 1}) {
      for (const char* op : {"sum", "amax", "argmax"}) {
        AttrMap attrs{{"dim", op[0] == 'a' && op[3] == 'm' ? AttrValue(int64_t{d}) : AttrValue(std::vector<int64_t>{d})}};
        ExpectMatchesCpu(op, rows, attrs, absl::StrCat(op, " of [4, 1<<18] dim ", d));
        ExpectMatchesCpu(op, rows, attrs, [](const Tensor& t) { return fn::Transpose(t, 0, 1); },
                         absl::StrCat(op, " of [1<<18, 4] (transposed) dim ", d));
      }
    }
    ExpectMatchesCpu("softmax", rows, {{"dim", int64_t{1}}}, absl::StrCat("softmax of [4, 1<<18] ", DTypeName(dtype)));
    ExpectMatchesCpu("cumsum", rows, {{"dim", int64_t{1}}}, absl::StrCat("cumsum of [4, 1<<18] ", DTypeName(dtype)));
  }
  // Integers: exact, however the additions are ordered.
  std::vector<double> iv(n);
  for (int64_t i = 0; i < n; ++i) iv[i] = static_cast<double>((i * 7919) % 2001 - 1000);
  const Tensor ints = FromVector(iv, {n}, DType::kInt32);
  for (const char* op : {"sum", "amax", "amin", "argmax", "argmin"}) ExpectMatchesCpu(op, ints, {}, absl::StrCat(op, " of 1<<20 int32"));
  // Long cumulative lines run in chunks with carries (Note [Ops along one dim]).
  ExpectMatchesCpu("cumsum", FromVector(iv, {4, n / 4}, DType::kInt32), {{"dim", int64_t{1}}}, "cumsum of [4, 1<<18] int32");
  ExpectMatchesCpu("cumsum", FromVector(iv, {n / 4, 4}, DType::kInt64), {{"dim", int64_t{0}}}, "cumsum of [1<<18, 4] dim 0");
  std::vector<double> near_one(n);
  for (int64_t i = 0; i < n; ++i) near_one[i] = 1 + 1e-3 * std::sin(static_cast<double>(i));
  for (DType dtype : {DType::kFloat64, DType::kFloat32}) {
    ExpectMatchesCpu("cumprod", FromVector(near_one, {2, n / 2}, dtype), {{"dim", int64_t{1}}},
                     absl::StrCat("cumprod of [2, 1<<19] ", DTypeName(dtype)));
  }
  const Tensor ones = FromVector(std::vector<double>(n, 1), {n}, DType::kInt64);
  EXPECT_EQ(Values(Call1("sum", {ToCuda(ones)})), std::vector<double>{static_cast<double>(n)});
  // NaN in a late chunk still wins.
  v[700000] = v[800000] = std::nan("");
  const Tensor x = FromVector(v, {n});
  EXPECT_EQ(Values(Call1("argmax", {ToCuda(x)})), std::vector<double>{700000});
  EXPECT_EQ(Values(Call1("argmin", {ToCuda(x)})), std::vector<double>{700000});
  EXPECT_TRUE(std::isnan(Values(Call1("amax", {ToCuda(x)}))[0]));
  EXPECT_TRUE(std::isnan(Values(Call1("sum", {ToCuda(x)}))[0]));
}

TEST_F(CudaReduceTest, StridedRunsAreCutIntoPiecesToo) {
  // Column reductions and strided full reductions: one thread per piece,
  // several pieces per output (reduce.cc's thread policy).
  const Tensor cols = Random({2048, 64}, DType::kFloat32, -1, 1, 61);
  const Tensor icols = Random({2048, 64}, DType::kInt16, -50, 50, 62);
  ExpectMatchesCpu("mean", cols, {{"dim", std::vector<int64_t>{0}}}, "mean of [2048, 64] dim 0");
  for (const Tensor& x : {cols, icols}) {
    for (const char* op : {"sum", "amax", "amin", "any"}) {
      ExpectMatchesCpu(op, x, {{"dim", std::vector<int64_t>{0}}}, absl::StrCat(op, " of [2048, 64] ", DTypeName(x.dtype()), " dim 0"));
    }
    ExpectMatchesCpu("cumsum", x, {{"dim", int64_t{0}}}, absl::StrCat("cumsum of [2048, 64] ", DTypeName(x.dtype()), " dim 0"));
  }
  const Tensor cube = Random({64, 300, 3}, DType::kFloat64, -1, 1, 63);
  ExpectMatchesCpu("sum", cube, {{"dim", std::vector<int64_t>{0, 1}}}, "sum of [64, 300, 3] over dims 0, 1");
  ExpectMatchesCpu("prod", cube, {{"dim", std::vector<int64_t>{0, 1}}}, "prod of [64, 300, 3] over dims 0, 1");
  const Tensor flat = Random({int64_t{1} << 20}, DType::kFloat32, -1, 1, 64);
  const View every_other = [](const Tensor& t) { return fn::Call1(OpId::kSlice, {t}, {int64_t{0}, int64_t{0}, AttrValue{}, int64_t{2}}); };
  for (const char* op : {"sum", "amax", "argmin", "all"}) {
    ExpectMatchesCpu(op, flat, {}, every_other, absl::StrCat(op, " of every other of 1<<20"));
  }
}

TEST_F(CudaReduceTest, SoftmaxIsMaxShiftedAlongAnyDim) {
  for (DType dtype : kFloatDTypes) {
    const Tensor x = Random({3, 4, 5}, dtype, -5, 5, 31);
    for (const char* op : {"softmax", "log_softmax"}) {
      for (int64_t d : {0, 1, 2, -1}) {
        ExpectMatchesCpu(op, x, {{"dim", d}}, absl::StrCat(op, " ", DTypeName(dtype), " dim ", d));
      }
    }
  }
  const double inf = INFINITY;
  // Large values (exp overflows without the shift), -inf entries, a row of
  // only -inf (NaN, as the CPU), a NaN.
  const Tensor x = FromVector({1000, 1001, 999, -inf, -inf, -inf, -inf, 0, 1, std::nan(""), 2, 3}, {4, 3});
  for (DType dtype : {DType::kFloat32, DType::kFloat64}) {
    for (const char* op : {"softmax", "log_softmax"}) {
      for (int64_t d : {0, 1}) {
        ExpectMatchesCpu(op, fn::To(x, dtype), {{"dim", d}}, absl::StrCat(op, " extreme ", DTypeName(dtype), " dim ", d));
      }
    }
  }
  const Tensor ints = Random({3, 4}, DType::kInt64, -5, 5, 32);
  errors_allowed_ = true;
  ExpectMatchesCpu("softmax", ints, {{"dim", int64_t{1}}}, "softmax of int64 (an error)");
  errors_allowed_ = false;
  ExpectMatchesCpu("log_softmax", ints, {{"dim", int64_t{0}}, {"dtype", DType::kFloat64}}, "log_softmax int64 as float64");
  // A long contiguous line (the GPU's block-per-line path).
  const Tensor long_rows = Random({3, 5000}, DType::kFloat32, -20, 20, 33);
  ExpectMatchesCpu("softmax", long_rows, {{"dim", int64_t{1}}}, "softmax of [3, 5000]");
  ExpectMatchesCpu("log_softmax", long_rows, {{"dim", int64_t{1}}}, "log_softmax of [3, 5000]");
}

TEST_F(CudaReduceTest, CumulativeOpsMatchCpuForEveryDType) {
  for (DType dtype : kAllDTypes) {
    const Tensor x = Random({3, 4, 5}, dtype, -2, 2, 41);
    for (const char* op : {"cumsum", "cumprod"}) {
      for (int64_t d : {0, 1, 2, -1}) {
        ExpectMatchesCpu(op, x, {{"dim", d}}, absl::StrCat(op, " ", DTypeName(dtype), " dim ", d));
      }
      for (DType to : {DType::kFloat64, DType::kInt16, DType::kBool, DType::kFloat16}) {
        ExpectMatchesCpu(op, x, {{"dim", int64_t{1}}, {"dtype", to}},
                         absl::StrCat(op, " ", DTypeName(dtype), " as ", DTypeName(to)));
      }
    }
  }
}

TEST_F(CudaReduceTest, MaxMinAlongADimReturnValuesAndFirstIndices) {
  // max_dim/min_dim are argmax/argmin then gather (ops/reduce.cc).
  for (DType dtype : kAllDTypes) {
    const Tensor x = Random({4, 7, 3}, dtype, -1, 1, 51);  // ties everywhere
    for (const char* op : {"max_dim", "min_dim"}) {
      for (int64_t d : {0, 1, 2, -1}) {
        for (bool keepdim : {false, true}) {
          ExpectMatchesCpu(op, x, {{"dim", d}, {"keepdim", keepdim}},
                           absl::StrCat(op, " ", DTypeName(dtype), " dim ", d, " keepdim ", keepdim));
        }
      }
      ExpectMatchesCpu(op, x, {{"dim", int64_t{1}}}, [](const Tensor& t) { return fn::Transpose(t, 0, 2); },
                       absl::StrCat(op, " of a transposed ", DTypeName(dtype)));
    }
  }
}

}  // namespace
}  // namespace tensord::engine
