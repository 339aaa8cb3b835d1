#include "server/executor.h"

#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "engine/cuda/runtime.h"
#include "engine/device.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/convert.h"
#include "server/status_matchers.h"

namespace tensord::server {
namespace {

using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::tensord::server::testing::IsOk;
using ::tensord::server::testing::StatusIs;

// ---------------------------------------------------------------- builders

template <typename T>
v1::TensorData Data(v1::DType dtype, std::vector<int64_t> shape, const std::vector<T>& values) {
  v1::TensorData d;
  d.set_dtype(dtype);
  for (int64_t s : shape) d.add_shape(s);
  d.set_data(std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T)));
  return d;
}

v1::CreateCommand CreateF32(uint64_t handle, std::vector<int64_t> shape,
                            const std::vector<float>& values, bool requires_grad = false) {
  v1::CreateCommand c;
  c.set_handle(handle);
  *c.mutable_data() = Data(v1::DTYPE_FLOAT32, std::move(shape), values);
  c.set_requires_grad(requires_grad);
  return c;
}

v1::Operand H(uint64_t handle) {
  v1::Operand o;
  o.set_handle(handle);
  return o;
}
v1::Operand F(double v) {
  v1::Operand o;
  o.mutable_scalar()->set_f(v);
  return o;
}
v1::Operand I(int64_t v) {
  v1::Operand o;
  o.mutable_scalar()->set_i(v);
  return o;
}

v1::AttrValue Ints(std::vector<int64_t> v) {
  v1::AttrValue a;
  for (int64_t x : v) a.mutable_ints()->add_values(x);
  return a;
}
v1::AttrValue Bool(bool b) {
  v1::AttrValue a;
  a.set_b(b);
  return a;
}
v1::AttrValue Int(int64_t i) {
  v1::AttrValue a;
  a.set_i(i);
  return a;
}

v1::OpCommand OpCmd(std::string name, std::vector<v1::Operand> inputs,
                    std::vector<uint64_t> outputs,
                    std::vector<std::pair<std::string, v1::AttrValue>> attrs = {}) {
  v1::OpCommand c;
  c.set_op(std::move(name));
  for (auto& in : inputs) *c.add_inputs() = std::move(in);
  for (uint64_t o : outputs) c.add_outputs(o);
  for (auto& [k, v] : attrs) (*c.mutable_attrs())[k] = std::move(v);
  return c;
}

v1::Command Cmd(v1::CreateCommand c, std::string site = "") {
  v1::Command cmd;
  *cmd.mutable_create() = std::move(c);
  cmd.set_site(std::move(site));
  return cmd;
}
v1::Command Cmd(v1::OpCommand c, std::string site = "") {
  v1::Command cmd;
  *cmd.mutable_op() = std::move(c);
  cmd.set_site(std::move(site));
  return cmd;
}
v1::Command FetchCmd(uint64_t handle) {
  v1::Command cmd;
  cmd.mutable_fetch()->set_handle(handle);
  return cmd;
}
v1::Command DescribeCmd(uint64_t handle) {
  v1::Command cmd;
  cmd.mutable_describe()->set_handle(handle);
  return cmd;
}

std::vector<float> Floats(const v1::TensorData& d) {
  std::vector<float> out(d.data().size() / sizeof(float));
  std::memcpy(out.data(), d.data().data(), out.size() * sizeof(float));
  return out;
}

ExecutorLimits TestLimits() {
  ExecutorLimits l;
  l.max_tensor_elements = 1 << 20;
  l.max_inline_bytes = 1 << 20;
  return l;
}

class ExecutorTest : public ::testing::Test {
 protected:
  explicit ExecutorTest(ExecutorLimits limits = TestLimits())
      : executor_(limits), session_("0123", "alice", absl::Seconds(300), absl::Now()) {}

  std::vector<float> FetchF32(uint64_t handle) {
    absl::StatusOr<v1::TensorData> d = executor_.Fetch(session_, handle);
    EXPECT_THAT(d, IsOk());
    if (!d.ok()) return {};
    EXPECT_EQ(d->dtype(), v1::DTYPE_FLOAT32);
    return Floats(*d);
  }

  google::protobuf::RepeatedPtrField<v1::CommandResult> Run(std::vector<v1::Command> cmds) {
    google::protobuf::RepeatedPtrField<v1::Command> batch;
    for (auto& c : cmds) *batch.Add() = std::move(c);
    google::protobuf::RepeatedPtrField<v1::CommandResult> results;
    executor_.Execute(session_, batch, &results);
    return results;
  }

  Executor executor_;
  Session session_;
};

// ---------------------------------------------------------------- prefetch

// Note [Prefetched values]: a batch that asks for them gets the description
// and value of the small tensors it named, after it ran, with their grads.
TEST_F(ExecutorTest, PrefetchSendsSmallNamedTensorsAndTheirGradsAfterTheBatch) {
  v1::CreateCommand x = CreateF32(1, {2}, {1, 2});
  x.set_requires_grad(true);
  google::protobuf::RepeatedPtrField<v1::Command> batch;
  *batch.Add() = Cmd(std::move(x));
  *batch.Add() = Cmd(CreateF32(2, {32}, std::vector<float>(32, 1.0f)));          // too large
  *batch.Add() = Cmd(OpCmd("mul", {H(1), H(1)}, {3}));
  *batch.Add() = Cmd(OpCmd("sum", {H(3)}, {4}));
  *batch.Add() = Cmd(OpCmd("matmul", {H(1), H(2)}, {5}));                        // fails
  v1::Command backward;
  backward.mutable_backward()->add_roots(4);
  *batch.Add() = std::move(backward);
  v1::OpCommand add = OpCmd("add_", {H(1), F(10)}, {});  // after backward, as optim.step
  add.set_no_grad(true);
  *batch.Add() = Cmd(std::move(add));
  google::protobuf::RepeatedPtrField<v1::CommandResult> results;
  google::protobuf::RepeatedPtrField<v1::Prefetched> prefetched;
  executor_.Execute(session_, batch, &results, /*prefetch_max_elements=*/4, &prefetched);

  std::vector<uint64_t> handles;
  for (const v1::Prefetched& p : prefetched) handles.push_back(p.handle());
  EXPECT_THAT(handles, ElementsAre(1, 3, 4));  // command order; 2 too large, 5 poisoned
  const v1::Prefetched& p1 = prefetched[0];
  EXPECT_THAT(Floats(p1.value()), ElementsAre(11, 12));  // the value after the batch
  EXPECT_TRUE(p1.info().has_grad());
  EXPECT_THAT(p1.info().shape(), ElementsAre(2));
  ASSERT_TRUE(p1.has_grad_value());
  EXPECT_THAT(Floats(p1.grad_value()), ElementsAre(2, 4));
  EXPECT_EQ(prefetched[2].info().grad_fn(), "SumBackward0");
  EXPECT_THAT(Floats(prefetched[2].value()), ElementsAre(5));

  // Without the request, or with reply-less batches, nothing is added.
  google::protobuf::RepeatedPtrField<v1::Prefetched> none;
  results.Clear();
  google::protobuf::RepeatedPtrField<v1::Command> again;
  *again.Add() = Cmd(OpCmd("neg", {H(1)}, {6}));
  executor_.Execute(session_, again, &results, 0, &none);
  EXPECT_TRUE(none.empty());
}

// ---------------------------------------------------------------- create / fetch

TEST_F(ExecutorTest, CreateFetchRoundTripsBytesShapeAndDtype) {
  ASSERT_THAT(executor_.Create(session_, CreateF32(1, {2, 3}, {1, 2, 3, 4, 5, 6})), IsOk());
  absl::StatusOr<v1::TensorData> d = executor_.Fetch(session_, 1);
  ASSERT_THAT(d, IsOk());
  EXPECT_EQ(d->dtype(), v1::DTYPE_FLOAT32);
  EXPECT_THAT(d->shape(), ElementsAre(2, 3));
  EXPECT_THAT(Floats(*d), ElementsAre(1, 2, 3, 4, 5, 6));
}

TEST_F(ExecutorTest, CreateRoundTripsEveryDtype) {
  uint64_t handle = 100;
  for (int wire = v1::DType_MIN + 1; wire <= v1::DType_MAX; ++wire) {
    const auto dtype = static_cast<v1::DType>(wire);
    const int itemsize = engine::ItemSize(*ToEngineDType("test", dtype));
    std::string bytes(3 * itemsize, '\0');
    // bool must be 0 or 1; other dtypes get arbitrary but valid bit patterns.
    for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<char>(i % itemsize == 0);
    v1::CreateCommand c;
    c.set_handle(++handle);
    c.mutable_data()->set_dtype(dtype);
    c.mutable_data()->add_shape(3);
    c.mutable_data()->set_data(bytes);
    ASSERT_THAT(executor_.Create(session_, c), IsOk()) << v1::DType_Name(dtype);
    absl::StatusOr<v1::TensorData> d = executor_.Fetch(session_, handle);
    ASSERT_THAT(d, IsOk());
    EXPECT_EQ(d->dtype(), dtype);
    EXPECT_EQ(d->data(), bytes) << v1::DType_Name(dtype);
  }
}

TEST(DTypeMappingTest, WireNamesMatchEngineNames) {
  for (int i = 0; i < engine::kNumDTypes; ++i) {
    const auto d = static_cast<engine::DType>(i);
    EXPECT_EQ(v1::DType_Name(ToProtoDType(d)),
              "DTYPE_" + absl::AsciiStrToUpper(std::string(engine::DTypeName(d))));
    EXPECT_EQ(*ToEngineDType("test", ToProtoDType(d)), d);
  }
}

TEST_F(ExecutorTest, CreateRejectsBadInputsWithPreciseCodes) {
  struct Case {
    const char* name;
    v1::CreateCommand cmd;
    absl::StatusCode code;
    const char* message;
  };
  auto with = [](auto mutate) {
    v1::CreateCommand c = CreateF32(7, {2}, {1, 2});
    mutate(c);
    return c;
  };
  std::vector<Case> cases = {
      {"handle 0", with([](auto& c) { c.set_handle(0); }), absl::StatusCode::kInvalidArgument,
       "handle 0 is reserved"},
      {"unspecified dtype",
       with([](auto& c) { c.mutable_data()->set_dtype(v1::DTYPE_UNSPECIFIED); }),
       absl::StatusCode::kInvalidArgument, "dtype is unspecified"},
      {"unknown dtype",
       with([](auto& c) { c.mutable_data()->set_dtype(static_cast<v1::DType>(42)); }),
       absl::StatusCode::kInvalidArgument, "unknown dtype enum value 42"},
      {"negative dim", with([](auto& c) { c.mutable_data()->set_shape(0, -2); }),
       absl::StatusCode::kInvalidArgument,
       "[create] Trying to create tensor with negative dimension -2"},
      {"overflowing shape",
       with([](auto& c) {
         c.mutable_data()->set_shape(0, int64_t{1} << 40);
         c.mutable_data()->add_shape(int64_t{1} << 40);
       }),
       absl::StatusCode::kInvalidArgument, "has too many elements"},
      {"over element limit", with([](auto& c) { c.mutable_data()->set_shape(0, (1 << 20) + 1); }),
       absl::StatusCode::kResourceExhausted, "--max-tensor-elements"},
      {"truncated bytes", with([](auto& c) { c.mutable_data()->mutable_data()->resize(7); }),
       absl::StatusCode::kInvalidArgument, "data has 7 bytes"},
      {"extra bytes", with([](auto& c) { c.mutable_data()->mutable_data()->append("x"); }),
       absl::StatusCode::kInvalidArgument, "needs exactly 8"},
      {"too many dims",
       with([](auto& c) {
         c.mutable_data()->clear_shape();
         for (int i = 0; i < 65; ++i) c.mutable_data()->add_shape(1);
         c.mutable_data()->mutable_data()->resize(4);
       }),
       absl::StatusCode::kInvalidArgument, "65 dimensions"},
      {"int requires grad",
       with([](auto& c) {
         *c.mutable_data() = Data<int32_t>(v1::DTYPE_INT32, {2}, {1, 2});
         c.set_requires_grad(true);
       }),
       absl::StatusCode::kInvalidArgument, "only floating point tensors can require gradients"},
      {"bad device", with([](auto& c) { c.set_device("tpu:9"); }),
       absl::StatusCode::kInvalidArgument, "tpu:9"},
  };
  uint64_t handle = 100;
  for (Case& c : cases) {
    if (c.cmd.handle() != 0) c.cmd.set_handle(++handle);
    absl::Status st = executor_.Create(session_, c.cmd);
    EXPECT_THAT(st, StatusIs(c.code, c.message)) << c.name;
    if (c.cmd.handle() == 0) continue;
    // The failure poisoned the handle: readers get the same error.
    EXPECT_THAT(executor_.Fetch(session_, handle), StatusIs(c.code, c.message)) << c.name;
    EXPECT_FALSE(IsPoisoned(st));
  }
  // A poisoned handle can be released and bound for real.
  executor_.Release(session_, {handle});
  EXPECT_THAT(executor_.Create(session_, CreateF32(handle, {2}, {1, 2})), IsOk());
  EXPECT_THAT(FetchF32(handle), ElementsAre(1, 2));
}

TEST_F(ExecutorTest, RebindingABoundHandleFailsAndKeepsTheOriginal) {
  ASSERT_THAT(executor_.Create(session_, CreateF32(1, {1}, {42})), IsOk());
  EXPECT_THAT(executor_.Create(session_, CreateF32(1, {1}, {7})),
              StatusIs(absl::StatusCode::kInvalidArgument, "output handle 1 is already bound"));
  EXPECT_THAT(FetchF32(1), ElementsAre(42));
}

TEST_F(ExecutorTest, FetchUnknownHandleIsNotFound) {
  EXPECT_THAT(executor_.Fetch(session_, 9),
              StatusIs(absl::StatusCode::kNotFound, "handle 9 not found in session"));
  EXPECT_THAT(executor_.Describe(session_, 9),
              StatusIs(absl::StatusCode::kNotFound, "handle 9 not found in session"));
}

// ---------------------------------------------------------------- ops

TEST_F(ExecutorTest, MatmulComputesTheProduct) {
  ASSERT_THAT(executor_.Create(session_, CreateF32(1, {2, 3}, {1, 2, 3, 4, 5, 6})), IsOk());
  ASSERT_THAT(executor_.Create(session_, CreateF32(2, {3, 2}, {7, 8, 9, 10, 11, 12})), IsOk());
  ASSERT_THAT(executor_.Op(session_, OpCmd("matmul", {H(1), H(2)}, {3})), IsOk());
  // [1 2 3; 4 5 6] @ [7 8; 9 10; 11 12]
  EXPECT_THAT(FetchF32(3), ElementsAre(58, 64, 139, 154));
  absl::StatusOr<v1::TensorInfo> info = executor_.Describe(session_, 3);
  ASSERT_THAT(info, IsOk());
  EXPECT_THAT(info->shape(), ElementsAre(2, 2));
}

TEST_F(ExecutorTest, VariadicInputsTakeAnyNumberOfHandles) {
  ASSERT_THAT(executor_.Create(session_, CreateF32(1, {1, 2}, {1, 2})), IsOk());
  ASSERT_THAT(executor_.Create(session_, CreateF32(2, {2, 2}, {3, 4, 5, 6})), IsOk());
  ASSERT_THAT(executor_.Op(session_, OpCmd("cat", {H(1), H(2), H(1)}, {3}, {{"dim", Int(0)}})),
              IsOk());
  EXPECT_THAT(executor_.Describe(session_, 3)->shape(), ElementsAre(4, 2));
  EXPECT_THAT(FetchF32(3), ElementsAre(1, 2, 3, 4, 5, 6, 1, 2));
}

TEST_F(ExecutorTest, ScalarOperandsPromoteLikePythonNumbers) {
  v1::CreateCommand ints;
  ints.set_handle(1);
  *ints.mutable_data() = Data<int64_t>(v1::DTYPE_INT64, {3}, {1, 2, 3});
  ASSERT_THAT(executor_.Create(session_, ints), IsOk());
  ASSERT_THAT(executor_.Op(session_, OpCmd("mul", {H(1), F(2.5)}, {2})), IsOk());
  ASSERT_THAT(executor_.Op(session_, OpCmd("mul", {H(1), I(2)}, {3})), IsOk());
  EXPECT_EQ(executor_.Describe(session_, 2)->dtype(), v1::DTYPE_FLOAT32);
  EXPECT_EQ(executor_.Describe(session_, 3)->dtype(), v1::DTYPE_INT64);
  EXPECT_THAT(FetchF32(2), ElementsAre(2.5, 5, 7.5));
}

TEST_F(ExecutorTest, AttributesReachTheOp) {
  ASSERT_THAT(executor_.Create(session_, CreateF32(1, {2, 3}, {1, 2, 3, 4, 5, 6})), IsOk());
  ASSERT_THAT(executor_.Op(session_, OpCmd("sum", {H(1)}, {2},
                                           {{"dim", Ints({1})}, {"keepdim", Bool(true)}})),
              IsOk());
  EXPECT_THAT(executor_.Describe(session_, 2)->shape(), ElementsAre(2, 1));
  EXPECT_THAT(FetchF32(2), ElementsAre(6, 15));
  ASSERT_THAT(executor_.Op(session_, OpCmd("add", {H(1), H(1)}, {3}, {{"alpha", [] {
                                             v1::AttrValue a;
                                             a.mutable_scalar()->set_i(10);
                                             return a;
                                           }()}})),
              IsOk());
  EXPECT_THAT(FetchF32(3), ElementsAre(11, 22, 33, 44, 55, 66));
}

TEST_F(ExecutorTest, OpRejectsBadRequestsWithPreciseCodes) {
  ASSERT_THAT(executor_.Create(session_, CreateF32(1, {2, 2}, {1, 2, 3, 4})), IsOk());
  struct Case {
    const char* name;
    v1::OpCommand cmd;
    absl::StatusCode code;
    const char* message;
  };
  v1::OpCommand bad_attr = OpCmd("sum", {H(1)}, {20});
  (*bad_attr.mutable_attrs())["dtype"].set_dtype(static_cast<v1::DType>(77));
  v1::OpCommand no_value_attr = OpCmd("sum", {H(1)}, {21});
  (*no_value_attr.mutable_attrs())["keepdim"];
  v1::OpCommand empty_operand = OpCmd("neg", {}, {22});
  empty_operand.add_inputs();
  std::vector<Case> cases = {
      {"unknown op", OpCmd("frobnicate", {H(1)}, {10}), absl::StatusCode::kNotFound,
       "[frobnicate] unknown op"},
      {"empty op name", OpCmd("", {H(1)}, {11}), absl::StatusCode::kInvalidArgument,
       "op name is empty"},
      {"unknown handle", OpCmd("neg", {H(7)}, {12}), absl::StatusCode::kNotFound,
       "[neg] handle 7 not found in session"},
      {"too few outputs", OpCmd("neg", {H(1)}, {}), absl::StatusCode::kInvalidArgument,
       "[neg] returns 1 output(s) but 0 output handle(s) were given"},
      {"too many outputs", OpCmd("neg", {H(1)}, {13, 14}), absl::StatusCode::kInvalidArgument,
       "returns 1 output(s) but 2"},
      {"bound output", OpCmd("neg", {H(1)}, {1}), absl::StatusCode::kInvalidArgument,
       "output handle 1 is already bound"},
      {"output 0", OpCmd("neg", {H(1)}, {0}), absl::StatusCode::kInvalidArgument,
       "output handle 0 is reserved"},
      {"bad dtype attr", bad_attr, absl::StatusCode::kInvalidArgument, "77 is not a dtype"},
      {"attr without value", no_value_attr, absl::StatusCode::kInvalidArgument,
       "attribute 'keepdim' has no value"},
      {"empty operand", empty_operand, absl::StatusCode::kInvalidArgument,
       "operand has no handle, scalar or none"},
      {"unknown second operand", OpCmd("matmul", {H(1), H(30)}, {15}),
       absl::StatusCode::kNotFound, "[matmul] handle 30 not found"},
      {"huge factory", OpCmd("zeros", {}, {16}, {{"size", Ints({1 << 20, 1 << 20})}}),
       absl::StatusCode::kResourceExhausted, "exceeds the limit of 1048576 elements"},
      {"unknown attribute", OpCmd("neg", {H(1)}, {17}, {{"bogus", Int(1)}}),
       absl::StatusCode::kInvalidArgument, "[neg]"},
      {"wrong arity", OpCmd("neg", {H(1), H(1)}, {18}), absl::StatusCode::kInvalidArgument,
       "[neg]"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(executor_.Op(session_, c.cmd), StatusIs(c.code, c.message)) << c.name;
  }
  // The session still works and handle 1 is untouched.
  ASSERT_THAT(executor_.Op(session_, OpCmd("neg", {H(1)}, {99})), IsOk());
  EXPECT_THAT(FetchF32(99), ElementsAre(-1, -2, -3, -4));
  EXPECT_THAT(FetchF32(1), ElementsAre(1, 2, 3, 4));
}

TEST_F(ExecutorTest, EngineShapeErrorsKeepTheirMessageAndGainTheSite) {
  ASSERT_THAT(executor_.Create(session_, CreateF32(1, {3, 2}, {1, 2, 3, 4, 5, 6})), IsOk());
  EXPECT_THAT(
      executor_.Op(session_, OpCmd("matmul", {H(1), H(1)}, {2}), "train.py:12"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               "mat1 and mat2 shapes cannot be multiplied (3x2 and 3x2) (at train.py:12)"));
}

// ---------------------------------------------------------------- poisoning

TEST_F(ExecutorTest, FailurePoisonsOutputsAndLaterReadersGetTheOriginalError) {
  auto results = Run({
      Cmd(CreateF32(1, {3, 2}, {1, 2, 3, 4, 5, 6})),                   // 0
      Cmd(OpCmd("matmul", {H(1), H(1)}, {2}), "model.py:7"),          // 1 fails
      Cmd(OpCmd("add", {H(2), F(1)}, {3}), "model.py:8"),             // 2 poisoned
      Cmd(OpCmd("neg", {H(3)}, {4})),                                 // 3 poisoned (transitively)
      FetchCmd(4),                                                    // 4 poisoned
      DescribeCmd(2),                                                 // 5 poisoned
      FetchCmd(1),                                                    // 6 ok, data
      Cmd(OpCmd("neg", {H(1)}, {5})),                                 // 7 ok, no result
      FetchCmd(5),                                                    // 8 ok, data
  });
  ASSERT_EQ(results.size(), 7);
  const std::string original = results[0].message();
  EXPECT_THAT(original, HasSubstr("mat1 and mat2 shapes cannot be multiplied (3x2 and 3x2) "
                                  "(at model.py:7)"));
  EXPECT_EQ(results[0].index(), 1u);
  EXPECT_EQ(results[0].code(), static_cast<int>(absl::StatusCode::kInvalidArgument));
  EXPECT_FALSE(results[0].poisoned());
  for (int i = 1; i <= 4; ++i) {
    EXPECT_EQ(results[i].index(), static_cast<uint32_t>(i + 1));
    EXPECT_EQ(results[i].code(), static_cast<int>(absl::StatusCode::kInvalidArgument));
    EXPECT_EQ(results[i].message(), original) << "the original error travels unchanged";
    EXPECT_TRUE(results[i].poisoned());
    EXPECT_FALSE(results[i].has_tensor());
  }
  EXPECT_EQ(results[5].index(), 6u);
  EXPECT_EQ(results[5].code(), 0);
  EXPECT_THAT(Floats(results[5].tensor()), ElementsAre(1, 2, 3, 4, 5, 6));
  EXPECT_EQ(results[6].index(), 8u);
  EXPECT_THAT(Floats(results[6].tensor()), ElementsAre(-1, -2, -3, -4, -5, -6));

  // Poisoned handles can be released and their names reused.
  executor_.Release(session_, {2, 3, 4});
  ASSERT_THAT(executor_.Op(session_, OpCmd("neg", {H(1)}, {2})), IsOk());
  EXPECT_THAT(FetchF32(2), ElementsAre(-1, -2, -3, -4, -5, -6));
}

TEST_F(ExecutorTest, PoisonedInputOfUnaryCallReturnsOriginalCode) {
  ASSERT_THAT(executor_.Op(session_, OpCmd("neg", {H(50)}, {51})),
              StatusIs(absl::StatusCode::kNotFound, "handle 50 not found"));
  absl::Status st = executor_.Op(session_, OpCmd("neg", {H(51)}, {52}), "x.py:1");
  EXPECT_THAT(st, StatusIs(absl::StatusCode::kNotFound, "handle 50 not found"));
  EXPECT_TRUE(IsPoisoned(st));
  EXPECT_THAT(std::string(st.message()), ::testing::Not(HasSubstr("x.py:1")));
  EXPECT_THAT(executor_.Fetch(session_, 52),
              StatusIs(absl::StatusCode::kNotFound, "handle 50 not found"));
}

TEST_F(ExecutorTest, CommandWithoutKindFailsAloneInItsBatch) {
  auto results = Run({v1::Command(), Cmd(CreateF32(1, {1}, {3})), FetchCmd(1)});
  ASSERT_EQ(results.size(), 2);
  EXPECT_EQ(results[0].index(), 0u);
  EXPECT_EQ(results[0].code(), static_cast<int>(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Floats(results[1].tensor()), ElementsAre(3));
}

TEST_F(ExecutorTest, CancelledBatchSkipsTheRestButStillReleases) {
  ASSERT_THAT(executor_.Create(session_, CreateF32(1, {1}, {3})), IsOk());
  std::vector<v1::Command> cmds;
  for (uint64_t h = 10; h < 30; ++h) cmds.push_back(Cmd(CreateF32(h, {1}, {1})));
  v1::Command release;
  release.mutable_release()->add_handles(1);
  cmds.push_back(release);
  google::protobuf::RepeatedPtrField<v1::Command> batch;
  for (auto& c : cmds) *batch.Add() = std::move(c);
  google::protobuf::RepeatedPtrField<v1::CommandResult> results;
  int polls = 0;
  // The client gives up after the first command: the creates after the
  // next poll are skipped, the release still runs.
  executor_.Execute(session_, batch, &results, 0, nullptr, [&] { return ++polls > 1; });
  EXPECT_THAT(results, ::testing::IsEmpty());
  EXPECT_THAT(executor_.Describe(session_, 10), IsOk());
  EXPECT_THAT(executor_.Describe(session_, 29),
              StatusIs(absl::StatusCode::kNotFound, "handle 29 not found"));
  EXPECT_THAT(executor_.Describe(session_, 1),
              StatusIs(absl::StatusCode::kNotFound, "handle 1 not found"));
}

TEST_F(ExecutorTest, InlineFetchBeyondTheBudgetAsksForStreamedFetch) {
  std::vector<float> big((1 << 20) / sizeof(float) - 10, 1.0f);  // just under 1 MiB
  ASSERT_THAT(executor_.Create(session_, CreateF32(1, {static_cast<int64_t>(big.size())}, big)),
              IsOk());
  auto results = Run({FetchCmd(1), FetchCmd(1)});
  ASSERT_EQ(results.size(), 2);
  EXPECT_TRUE(results[0].has_tensor());
  EXPECT_EQ(results[1].code(), static_cast<int>(absl::StatusCode::kResourceExhausted));
  EXPECT_THAT(results[1].message(), HasSubstr("use the streamed Fetch RPC"));
}

// ---------------------------------------------------------------- autograd, random

TEST_F(ExecutorTest, BackwardAccumulatesGradAndGradOpBindsIt) {
  ASSERT_THAT(executor_.Create(session_, CreateF32(1, {3}, {1, 2, 3}, /*requires_grad=*/true)),
              IsOk());
  ASSERT_THAT(executor_.Op(session_, OpCmd("mul", {H(1), H(1)}, {2})), IsOk());
  ASSERT_THAT(executor_.Op(session_, OpCmd("sum", {H(2)}, {3})), IsOk());
  absl::StatusOr<v1::TensorInfo> y = executor_.Describe(session_, 3);
  ASSERT_THAT(y, IsOk());
  EXPECT_TRUE(y->requires_grad());
  EXPECT_FALSE(y->is_leaf());
  EXPECT_EQ(y->grad_fn(), "SumBackward0");
  EXPECT_FALSE(executor_.Describe(session_, 1)->has_grad());

  v1::BackwardCommand bw;
  bw.add_roots(3);
  ASSERT_THAT(executor_.Backward(session_, bw), IsOk());
  EXPECT_TRUE(executor_.Describe(session_, 1)->has_grad());
  ASSERT_THAT(executor_.Op(session_, OpCmd("grad", {H(1)}, {4})), IsOk());
  EXPECT_THAT(FetchF32(4), ElementsAre(2, 4, 6));  // d/dx sum(x*x) = 2x

  // The graph was freed: a second backward without retain_graph fails.
  EXPECT_THAT(executor_.Backward(session_, bw),
              StatusIs(absl::StatusCode::kFailedPrecondition, ""));
}

TEST_F(ExecutorTest, GraphReportsNodesEdgesLeavesAndSavedTensors) {
  ASSERT_THAT(executor_.Create(session_, CreateF32(1, {3}, {1, 2, 3}, /*requires_grad=*/true)), IsOk());
  ASSERT_THAT(executor_.Create(session_, CreateF32(2, {3}, {4, 5, 6})), IsOk());
  ASSERT_THAT(executor_.Op(session_, OpCmd("mul", {H(1), H(2)}, {3})), IsOk());
  ASSERT_THAT(executor_.Op(session_, OpCmd("sum", {H(3)}, {4})), IsOk());
  v1::GraphCommand cmd;
  cmd.add_handles(4);
  cmd.add_leaves(1);
  cmd.set_saved_tensors(true);
  cmd.set_attributes(true);
  absl::StatusOr<v1::AutogradGraph> g = executor_.Graph(session_, cmd);
  ASSERT_THAT(g, IsOk());
  ASSERT_EQ(g->roots_size(), 1);
  EXPECT_THAT(g->roots(0).shape(), ElementsAre());
  EXPECT_EQ(g->roots(0).handle(), 4u);
  EXPECT_FALSE(g->roots(0).grad_fn().none());
  EXPECT_EQ(g->roots(0).grad_fn().node(), 0u);
  ASSERT_EQ(g->nodes_size(), 3);
  EXPECT_EQ(g->nodes(0).name(), "SumBackward0");
  ASSERT_EQ(g->nodes(0).next_size(), 1);
  EXPECT_EQ(g->nodes(0).next(0).node(), 1u);
  EXPECT_EQ(g->nodes(1).name(), "MulBackward0");
  ASSERT_EQ(g->nodes(1).next_size(), 2);
  EXPECT_FALSE(g->nodes(1).next(0).none());
  EXPECT_EQ(g->nodes(1).next(0).node(), 2u);
  EXPECT_TRUE(g->nodes(1).next(1).none());  // the constant needs no gradient
  // x's gradient reads the constant; x itself is saved only for the constant's (Note [Saved for backward])
  ASSERT_EQ(g->nodes(1).saved_size(), 1);
  EXPECT_EQ(g->nodes(1).saved(0).name(), "other");
  EXPECT_THAT(g->nodes(1).saved(0).shape(), ElementsAre(3));
  ASSERT_EQ(g->nodes(0).attrs_size(), 3);  // sum(self, dim, keepdim, dtype)
  EXPECT_EQ(g->nodes(0).attrs(1).name(), "keepdim");
  EXPECT_EQ(g->nodes(0).attrs(1).value(), "False");
  EXPECT_EQ(g->nodes(2).name(), "AccumulateGrad");
  EXPECT_EQ(g->nodes(2).variable().handle(), 1u);
  EXPECT_THAT(g->nodes(2).variable().shape(), ElementsAre(3));
  EXPECT_EQ(g->nodes(2).variable().dtype(), v1::DTYPE_FLOAT32);

  // After backward the structure stays and the saved tensors read as freed.
  v1::BackwardCommand bw;
  bw.add_roots(4);
  ASSERT_THAT(executor_.Backward(session_, bw), IsOk());
  google::protobuf::RepeatedPtrField<v1::CommandResult> results = [&] {
    v1::Command c;
    *c.mutable_graph() = cmd;
    return Run({c});
  }();
  ASSERT_EQ(results.size(), 1);
  ASSERT_EQ(results[0].code(), 0) << results[0].message();
  ASSERT_EQ(results[0].graph().nodes_size(), 3);
  EXPECT_TRUE(results[0].graph().nodes(1).saved(0).freed());

  // A leaf has no graph; unknown handles are NOT_FOUND.
  cmd.set_handles(0, 1);
  absl::StatusOr<v1::AutogradGraph> leaf = executor_.Graph(session_, cmd);
  ASSERT_THAT(leaf, IsOk());
  EXPECT_EQ(leaf->nodes_size(), 0);
  EXPECT_TRUE(leaf->roots(0).grad_fn().none());
  // Two roots sharing a subgraph: shared nodes appear once.
  ASSERT_THAT(executor_.Op(session_, OpCmd("exp", {H(3)}, {5})), IsOk());
  cmd.set_handles(0, 4);
  cmd.add_handles(5);
  absl::StatusOr<v1::AutogradGraph> two = executor_.Graph(session_, cmd);
  ASSERT_THAT(two, IsOk());
  ASSERT_EQ(two->nodes_size(), 4);
  EXPECT_EQ(two->nodes(3).name(), "ExpBackward0");
  EXPECT_EQ(two->roots(1).grad_fn().node(), 3u);
  EXPECT_EQ(two->nodes(3).next(0).node(), 1u);  // the MulBackward0 of the first root
  cmd.set_handles(0, 99);
  EXPECT_THAT(executor_.Graph(session_, cmd), StatusIs(absl::StatusCode::kNotFound, "99"));
  cmd.set_handles(0, 4);
  cmd.add_leaves(98);
  EXPECT_THAT(executor_.Graph(session_, cmd), StatusIs(absl::StatusCode::kNotFound, "98"));
}

TEST_F(ExecutorTest, BackwardErrors) {
  ASSERT_THAT(executor_.Create(session_, CreateF32(1, {2}, {1, 2})), IsOk());
  v1::BackwardCommand bw;
  bw.add_roots(1);
  EXPECT_THAT(executor_.Backward(session_, bw, "t.py:3"),
              StatusIs(absl::StatusCode::kFailedPrecondition, "(at t.py:3)"));
  bw.set_roots(0, 9);
  EXPECT_THAT(executor_.Backward(session_, bw),
              StatusIs(absl::StatusCode::kNotFound, "handle 9 not found"));
  bw.set_roots(0, 1);
  bw.add_grads();
  bw.add_grads();
  EXPECT_THAT(executor_.Backward(session_, bw),
              StatusIs(absl::StatusCode::kInvalidArgument, "got 2 grads for 1 roots"));
  EXPECT_THAT(executor_.Backward(session_, v1::BackwardCommand()),
              StatusIs(absl::StatusCode::kInvalidArgument, "no roots"));
}

TEST_F(ExecutorTest, GradBindsGradientsWithoutTouchingDotGrad) {
  // x = [1, 2, 3] (requires grad), u = [4] (requires grad, unused); y = sum(x * x)
  ASSERT_THAT(executor_.Create(session_, CreateF32(1, {3}, {1, 2, 3}, /*requires_grad=*/true)), IsOk());
  ASSERT_THAT(executor_.Create(session_, CreateF32(2, {1}, {4}, /*requires_grad=*/true)), IsOk());
  ASSERT_THAT(executor_.Op(session_, OpCmd("mul", {H(1), H(1)}, {3})), IsOk());
  ASSERT_THAT(executor_.Op(session_, OpCmd("sum", {H(3)}, {4})), IsOk());
  v1::BackwardCommand g;
  g.add_roots(4);
  g.add_inputs(1);
  g.add_outputs(10);
  g.set_retain_graph(true);
  ASSERT_THAT(executor_.Backward(session_, g), IsOk());
  EXPECT_THAT(FetchF32(10), ElementsAre(2, 4, 6));
  EXPECT_FALSE(executor_.Describe(session_, 1)->has_grad());
  g.add_inputs(2);
  g.set_outputs(0, 11);
  g.add_outputs(12);
  EXPECT_THAT(executor_.Backward(session_, g),
              StatusIs(absl::StatusCode::kInvalidArgument, "not have been used in the graph"));
  g.set_outputs(0, 13);
  g.set_outputs(1, 14);
  g.set_allow_unused(true);
  ASSERT_THAT(executor_.Backward(session_, g), IsOk());
  EXPECT_THAT(FetchF32(13), ElementsAre(2, 4, 6));
  EXPECT_THAT(executor_.Fetch(session_, 14), StatusIs(absl::StatusCode::kFailedPrecondition, "gradient is None"));
  g.clear_outputs();
  EXPECT_THAT(executor_.Backward(session_, g), StatusIs(absl::StatusCode::kInvalidArgument, "2 inputs but 0 output"));
}

TEST_F(ExecutorTest, NoGradOpsRecordNoGraph) {
  ASSERT_THAT(executor_.Create(session_, CreateF32(1, {2}, {1, 2}, /*requires_grad=*/true)),
              IsOk());
  v1::OpCommand op = OpCmd("mul", {H(1), F(2)}, {2});
  op.set_no_grad(true);
  ASSERT_THAT(executor_.Op(session_, op), IsOk());
  EXPECT_FALSE(executor_.Describe(session_, 2)->requires_grad());
  op.set_no_grad(false);
  op.set_outputs(0, 3);
  ASSERT_THAT(executor_.Op(session_, op), IsOk());
  EXPECT_TRUE(executor_.Describe(session_, 3)->requires_grad());
}

TEST_F(ExecutorTest, ManualSeedMakesRandomOpsRepeatable) {
  auto draw = [&](uint64_t out) {
    EXPECT_THAT(executor_.Op(session_, OpCmd("randn", {}, {out}, {{"size", Ints({8})}})),
                IsOk());
    return FetchF32(out);
  };
  ASSERT_TRUE(executor_.ManualSeed(session_, 1234).ok());
  std::vector<float> a = draw(1);
  std::vector<float> b = draw(2);
  ASSERT_TRUE(executor_.ManualSeed(session_, 1234).ok());
  std::vector<float> c = draw(3);
  ASSERT_EQ(a.size(), 8u);
  EXPECT_EQ(a, c);
  EXPECT_NE(a, b);
}

TEST_F(ExecutorTest, SessionsHaveIndependentGenerators) {
  Session other("4567", "alice", absl::Seconds(300), absl::Now());
  ASSERT_TRUE(executor_.ManualSeed(session_, 7).ok());
  ASSERT_TRUE(executor_.ManualSeed(other, 7).ok());
  ASSERT_THAT(executor_.Op(session_, OpCmd("rand", {}, {1}, {{"size", Ints({4})}})), IsOk());
  ASSERT_THAT(executor_.Op(other, OpCmd("rand", {}, {1}, {{"size", Ints({4})}})), IsOk());
  EXPECT_EQ(executor_.Fetch(session_, 1)->data(), executor_.Fetch(other, 1)->data());
}

// ---------------------------------------------------------------- describe, release, bytes

TEST_F(ExecutorTest, DescribeReportsViewsSharingStorage) {
  ASSERT_THAT(executor_.Create(session_, CreateF32(1, {2, 3}, {1, 2, 3, 4, 5, 6})), IsOk());
  ASSERT_THAT(executor_.Op(session_, OpCmd("transpose", {H(1)}, {2},
                                           {{"dim0", Int(0)}, {"dim1", Int(1)}})),
              IsOk());
  auto base = executor_.Describe(session_, 1);
  auto view = executor_.Describe(session_, 2);
  ASSERT_THAT(base, IsOk());
  ASSERT_THAT(view, IsOk());
  EXPECT_EQ(view->handle(), 2u);
  EXPECT_THAT(view->shape(), ElementsAre(3, 2));
  EXPECT_THAT(view->strides(), ElementsAre(1, 3));
  EXPECT_FALSE(view->is_contiguous());
  EXPECT_TRUE(base->is_contiguous());
  EXPECT_EQ(view->storage_id(), base->storage_id());
  EXPECT_EQ(view->device(), "cpu");
  EXPECT_TRUE(view->is_leaf());
  EXPECT_THAT(FetchF32(2), ElementsAre(1, 4, 2, 5, 3, 6));  // fetched contiguous
}

TEST_F(ExecutorTest, BytesCountEachStorageOnceAndReleaseIsIdempotent) {
  ASSERT_THAT(executor_.Create(session_, CreateF32(1, {2, 3}, {1, 2, 3, 4, 5, 6})), IsOk());
  ASSERT_THAT(executor_.Op(session_, OpCmd("t", {H(1)}, {2})), IsOk());
  EXPECT_EQ(session_.bytes(), 24);  // the view shares the storage
  ASSERT_THAT(executor_.Op(session_, OpCmd("neg", {H(1)}, {3})), IsOk());
  EXPECT_EQ(session_.bytes(), 48);
  EXPECT_EQ(session_.num_handles(), 3);
  executor_.Release(session_, {1, 3, 3, 12345});
  EXPECT_EQ(session_.bytes(), 24);  // handle 2 still references the storage
  EXPECT_EQ(session_.num_handles(), 1);
  executor_.Release(session_, {2});
  executor_.Release(session_, {2});
  EXPECT_EQ(session_.bytes(), 0);
  EXPECT_EQ(session_.num_handles(), 0);
}

class SmallSessionTest : public ExecutorTest {
 protected:
  static ExecutorLimits Small() {
    ExecutorLimits l = TestLimits();
    l.max_session_bytes = 64;
    return l;
  }
  SmallSessionTest() : ExecutorTest(Small()) {}
};

TEST_F(SmallSessionTest, SessionMemoryLimitIsResourceExhausted) {
  ASSERT_THAT(executor_.Create(session_, CreateF32(1, {8}, std::vector<float>(8, 1))), IsOk());
  ASSERT_THAT(executor_.Op(session_, OpCmd("neg", {H(1)}, {2})), IsOk());  // 64 bytes
  EXPECT_THAT(executor_.Op(session_, OpCmd("neg", {H(1)}, {3})),
              StatusIs(absl::StatusCode::kResourceExhausted, "--max-session-bytes"));
  ASSERT_THAT(executor_.Op(session_, OpCmd("t", {H(1)}, {4})), IsOk());  // a view costs nothing
  executor_.Release(session_, {2, 3});
  EXPECT_THAT(executor_.Op(session_, OpCmd("neg", {H(1)}, {5})), IsOk());
}

// ---------------------------------------------------------------- upload

TEST_F(ExecutorTest, UploadAssemblesChunks) {
  std::vector<float> values = {1, 2, 3, 4, 5, 6};
  const std::string bytes(reinterpret_cast<const char*>(values.data()), 24);
  v1::UploadChunk first;
  first.set_handle(1);
  first.set_dtype(v1::DTYPE_FLOAT32);
  first.add_shape(2);
  first.add_shape(3);
  first.set_data(bytes.substr(0, 5));
  UploadAssembler up(executor_);
  ASSERT_THAT(up.Start(first), IsOk());
  ASSERT_THAT(up.Append(bytes.substr(5, 10)), IsOk());
  ASSERT_THAT(up.Append(bytes.substr(15)), IsOk());
  ASSERT_THAT(up.Finish(session_), IsOk());
  EXPECT_THAT(FetchF32(1), ElementsAreArray(values));
}

TEST_F(ExecutorTest, UploadRejectsWrongSizes) {
  v1::UploadChunk first;
  first.set_handle(1);
  first.set_dtype(v1::DTYPE_FLOAT32);
  first.add_shape(2);
  {
    UploadAssembler up(executor_);
    ASSERT_THAT(up.Start(first), IsOk());
    ASSERT_THAT(up.Append("1234"), IsOk());
    EXPECT_THAT(up.Append("12345"),
                StatusIs(absl::StatusCode::kInvalidArgument, "received 9 bytes"));
  }
  {
    UploadAssembler up(executor_);
    ASSERT_THAT(up.Start(first), IsOk());
    ASSERT_THAT(up.Append("1234"), IsOk());
    EXPECT_THAT(up.Finish(session_),
                StatusIs(absl::StatusCode::kInvalidArgument, "data has 4 bytes"));
  }
  first.set_dtype(v1::DTYPE_UNSPECIFIED);
  UploadAssembler up(executor_);
  EXPECT_THAT(up.Start(first), StatusIs(absl::StatusCode::kInvalidArgument, "[upload]"));
}

// ---------------------------------------------------------------- concurrency

TEST_F(ExecutorTest, ConcurrentCallsOnOneSessionAreSerialised) {
  constexpr int kThreads = 4, kIters = 200;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kIters; ++i) {
        const uint64_t base = 1000000 * (t + 1) + 10 * i;
        std::vector<v1::Command> cmds = {
            Cmd(CreateF32(base, {4}, {1, 2, 3, 4})),
            Cmd(OpCmd("add", {H(base), F(t)}, {base + 1})),
            FetchCmd(base + 1),
        };
        google::protobuf::RepeatedPtrField<v1::Command> batch;
        for (auto& c : cmds) *batch.Add() = std::move(c);
        google::protobuf::RepeatedPtrField<v1::CommandResult> results;
        executor_.Execute(session_, batch, &results);
        ASSERT_EQ(results.size(), 1);
        EXPECT_THAT(Floats(results[0].tensor()), ElementsAre(1 + t, 2 + t, 3 + t, 4 + t));
        executor_.Release(session_, {base});
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(session_.num_handles(), kThreads * kIters);
  EXPECT_EQ(session_.bytes(), kThreads * kIters * 16);
}

// Random well-formed but mostly nonsensical commands over the whole op
// registry: each must come back with a status (no crash, no hang), and the
// session must stay usable.
TEST_F(ExecutorTest, RandomCommandsNeverBreakTheSession) {
  std::mt19937_64 rng(20261122);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint64_t>(n)); };
  const std::vector<engine::OpSchema>& ops = engine::ListOps();
  uint64_t next = 1;
  for (int i = 0; i < 8; ++i) {
    std::vector<float> v(6);
    for (float& x : v) x = static_cast<float>(pick(7)) - 3;
    ASSERT_THAT(executor_.Create(session_, CreateF32(next++, {2, 3}, v, i % 2 == 0)), IsOk());
  }
  auto random_attr = [&]() {
    v1::AttrValue a;
    switch (pick(8)) {
      case 0: a.set_b(pick(2)); break;
      case 1: a.set_i(pick(7) - 3); break;
      case 2: a.set_f(pick(5) * 0.5 - 1); break;
      case 3: a.set_s(pick(2) ? "cpu" : "bogus"); break;
      case 4:
        for (int k = pick(4); k > 0; --k) a.mutable_ints()->add_values(pick(7) - 2);
        break;
      case 5: a.set_dtype(static_cast<v1::DType>(pick(12))); break;
      case 6: a.mutable_scalar()->set_i(pick(5)); break;
      default: a.set_none(true);
    }
    return a;
  };
  int failures = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    const engine::OpSchema& schema = ops[pick(static_cast<int>(ops.size()))];
    v1::OpCommand cmd;
    cmd.set_op(std::string(schema.name));
    const int n_inputs = static_cast<int>(schema.inputs.size()) + (pick(6) == 0 ? 1 : 0);
    for (int k = 0; k < n_inputs; ++k) {
      switch (pick(6)) {
        case 0: *cmd.add_inputs() = F(pick(3) - 1); break;
        case 1: cmd.add_inputs()->set_none(true); break;
        case 2: *cmd.add_inputs() = H(next + 100); break;  // unbound
        default: *cmd.add_inputs() = H(1 + pick(static_cast<int>(next - 1)));
      }
    }
    for (const engine::AttrSpec& attr : schema.attrs) {
      if (pick(3) == 0) (*cmd.mutable_attrs())[std::string(attr.name)] = random_attr();
    }
    const int n_outputs = schema.num_outputs + (pick(8) == 0 ? 1 : 0);
    for (int k = 0; k < n_outputs; ++k) cmd.add_outputs(next++);
    cmd.set_no_grad(pick(2));
    if (!executor_.Op(session_, cmd).ok()) ++failures;
    if (pick(10) == 0) {
      v1::BackwardCommand bw;
      bw.add_roots(1 + pick(static_cast<int>(next - 1)));
      bw.set_retain_graph(pick(2));
      if (!executor_.Backward(session_, bw).ok()) ++failures;
    }
    if (pick(5) == 0) {
      const uint64_t h = 1 + pick(static_cast<int>(next - 1));
      if (!executor_.Fetch(session_, h).ok()) ++failures;
      if (!executor_.Describe(session_, h).ok()) ++failures;
    }
  }
  EXPECT_GT(failures, 0);
  ASSERT_THAT(executor_.Create(session_, CreateF32(next, {2}, {1, 2})), IsOk());
  ASSERT_THAT(executor_.Op(session_, OpCmd("neg", {H(next)}, {next + 1})), IsOk());
  EXPECT_THAT(FetchF32(next + 1), ElementsAre(-1, -2));
}

TEST(ComputeSlotsTest, OneSlotStillServesManySessionsWithoutDeadlock) {
  ExecutorLimits limits = TestLimits();
  limits.compute_slots = 1;
  Executor executor(limits);
  std::vector<std::unique_ptr<Session>> sessions;
  for (int i = 0; i < 3; ++i) {
    sessions.push_back(std::make_unique<Session>(absl::StrCat(i), "alice", absl::Seconds(300),
                                                 absl::Now()));
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      Session& s = *sessions[t % sessions.size()];
      for (int i = 0; i < 100; ++i) {
        const uint64_t h = 1000000 * (t + 1) + 2 * i;
        ASSERT_THAT(executor.Create(s, CreateF32(h, {2}, {1, 2})), IsOk());
        ASSERT_THAT(executor.Op(s, OpCmd("neg", {H(h)}, {h + 1})), IsOk());
        ASSERT_THAT(executor.Fetch(s, h + 1), IsOk());
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const auto& s : sessions) EXPECT_EQ(s->num_handles(), 2 * 100 * 2);
}

// ---------------------------------------------------------------- cuda
//
// These need a cuda device; on a machine without a GPU run them on the
// emulator (Note [CUDA emulator] in engine/cuda/runtime.h):
//   TENSORD_CUDA_EMULATOR=1:64 build/server/tensord_server_test --gtest_filter='Cuda*'

v1::AttrValue Str(std::string s) {
  v1::AttrValue a;
  a.set_s(std::move(s));
  return a;
}

// zeros(size) on cuda:0, float32.
v1::OpCommand CudaZeros(std::vector<int64_t> size, uint64_t out) {
  return OpCmd("zeros", {}, {out}, {{"size", Ints(std::move(size))}, {"device", Str("cuda:0")}});
}

class CudaExecutorTest : public ::testing::Test {
 protected:
  CudaExecutorTest() : executor_(Limits()) {}

  static ExecutorLimits Limits() {
    ExecutorLimits l = TestLimits();
    l.max_tensor_elements = int64_t{1} << 40;  // device memory is the limit here
    return l;
  }
  void SetUp() override {
    if (engine::cuda::Devices().empty()) {
      GTEST_SKIP() << "no cuda device: " << engine::CudaUnavailableReason();
    }
  }
  std::unique_ptr<Session> NewSession(std::string id) {
    return std::make_unique<Session>(std::move(id), "alice", absl::Seconds(300), absl::Now());
  }
  v1::MemoryStatsResponse Stats(Session& s) {
    absl::StatusOr<v1::MemoryStatsResponse> stats = executor_.MemoryStats(s, "cuda:0", false);
    EXPECT_THAT(stats, IsOk());
    return stats.ok() ? *stats : v1::MemoryStatsResponse();
  }

  Executor executor_;
};

TEST_F(CudaExecutorTest, DeviceMemoryIsChargedToTheSessionThatAllocatedIt) {
  auto a = NewSession("a"), b = NewSession("b");
  const int64_t before = Stats(*b).device_allocated_bytes();
  ASSERT_THAT(executor_.Op(*a, CudaZeros({256, 1024}, 1)), IsOk());  // 1 MiB
  const v1::MemoryStatsResponse mine = Stats(*a);
  EXPECT_EQ(mine.device(), "cuda:0");
  EXPECT_EQ(mine.allocated_bytes(), 1 << 20);
  EXPECT_EQ(mine.peak_allocated_bytes(), 1 << 20);
  EXPECT_GE(mine.reserved_bytes(), mine.allocated_bytes());
  const v1::MemoryStatsResponse theirs = Stats(*b);
  EXPECT_EQ(theirs.allocated_bytes(), 0);
  EXPECT_EQ(theirs.device_allocated_bytes(), before + (1 << 20));

  executor_.Release(*a, std::vector<uint64_t>{1});
  EXPECT_EQ(Stats(*a).allocated_bytes(), 0);
  EXPECT_EQ(Stats(*a).peak_allocated_bytes(), 1 << 20);
  ASSERT_THAT(executor_.MemoryStats(*a, "cuda", /*reset_peak=*/true), IsOk());
  EXPECT_EQ(Stats(*a).peak_allocated_bytes(), 0);
}

TEST_F(CudaExecutorTest, ClosingASessionFreesItsTensorsThenItsCachedBlocks) {
  auto observer = NewSession("observer");
  executor_.EmptyCache(*observer);
  const v1::MemoryStatsResponse before = Stats(*observer);
  auto s = NewSession("closing");
  ASSERT_THAT(executor_.Op(*s, CudaZeros({1024, 1024}, 1)), IsOk());
  ASSERT_THAT(executor_.Op(*s, CudaZeros({512, 1024}, 2)), IsOk());
  executor_.Release(*s, std::vector<uint64_t>{2});  // one block cached on the session's stream
  EXPECT_EQ(Stats(*observer).device_allocated_bytes(), before.device_allocated_bytes() + (4 << 20));
  EXPECT_GE(Stats(*observer).reserved_bytes(), before.reserved_bytes() + (6 << 20));
  s.reset();  // what closing and expiry do
  const v1::MemoryStatsResponse after = Stats(*observer);
  EXPECT_EQ(after.device_allocated_bytes(), before.device_allocated_bytes());
  EXPECT_EQ(after.reserved_bytes(), before.reserved_bytes());
}

TEST_F(CudaExecutorTest, OutOfMemoryFailsOnlyThatCommand) {
  auto s = NewSession("oom");
  ASSERT_THAT(executor_.Op(*s, CudaZeros({4}, 1)), IsOk());
  const int64_t total = engine::cuda::Devices()[0].total_memory;
  // Twice the device's memory in float32.
  EXPECT_THAT(executor_.Op(*s, CudaZeros({2, total / 4}, 2)),
              StatusIs(absl::StatusCode::kResourceExhausted, "CUDA out of memory"));
  // The failed output is poisoned with that error; everything else goes on.
  EXPECT_THAT(executor_.Op(*s, OpCmd("neg", {H(2)}, {3})),
              StatusIs(absl::StatusCode::kResourceExhausted, "CUDA out of memory"));
  EXPECT_EQ(Stats(*s).allocated_bytes(), 512);  // the one small block
  ASSERT_THAT(executor_.Op(*s, CudaZeros({8}, 4)), IsOk());
  absl::StatusOr<v1::TensorData> d = executor_.Fetch(*s, 4);
  ASSERT_THAT(d, IsOk());
  EXPECT_THAT(Floats(*d), ElementsAre(0, 0, 0, 0, 0, 0, 0, 0));
  // Uploads to the device work too, and the session's streams drain.
  v1::CreateCommand up = CreateF32(5, {2}, {1, -2});
  up.set_device("cuda:0");
  ASSERT_THAT(executor_.Create(*s, up), IsOk());
  ASSERT_THAT(executor_.Op(*s, OpCmd("neg", {H(5)}, {6})), IsOk());
  ASSERT_THAT(executor_.Synchronize(*s), IsOk());
}

TEST_F(CudaExecutorTest, SessionByteLimitIsForHostMemory) {
  ExecutorLimits limits = Limits();
  limits.max_session_bytes = 64;
  Executor executor(limits);
  auto s = NewSession("limited");
  ASSERT_THAT(executor.Op(*s, CudaZeros({1024}, 1)), IsOk());  // 4 KiB on the device
  EXPECT_EQ(s->bytes(), 0);
  EXPECT_THAT(executor.Op(*s, OpCmd("zeros", {}, {2}, {{"size", Ints({1024})}})),
              StatusIs(absl::StatusCode::kResourceExhausted, "session memory limit exceeded"));
  ASSERT_THAT(executor.Op(*s, OpCmd("to", {H(1)}, {3}, {{"device", Str("cpu")}})),
              StatusIs(absl::StatusCode::kResourceExhausted, "session memory limit exceeded"));
}

TEST_F(CudaExecutorTest, SeedsAndStatsNameCudaDevices) {
  auto s = NewSession("seeds");
  EXPECT_THAT(executor_.ManualSeed(*s, 1, "cuda"), IsOk());
  EXPECT_THAT(executor_.ManualSeed(*s, 1, "cuda:0"), IsOk());
  EXPECT_THAT(executor_.ManualSeed(*s, 1, "cpu"),
              StatusIs(absl::StatusCode::kInvalidArgument, "a cuda device, got 'cpu'"));
  EXPECT_THAT(executor_.ManualSeed(*s, 1, "cuda:99"),
              StatusIs(absl::StatusCode::kInvalidArgument, "invalid device ordinal"));
  EXPECT_THAT(executor_.MemoryStats(*s, "cpu", false),
              StatusIs(absl::StatusCode::kInvalidArgument, "expected a cuda device, got 'cpu'"));
  EXPECT_THAT(executor_.MemoryStats(*s, "gpu", false),
              StatusIs(absl::StatusCode::kInvalidArgument, "Expected one of cpu, cuda"));
}

}  // namespace
}  // namespace tensord::server
