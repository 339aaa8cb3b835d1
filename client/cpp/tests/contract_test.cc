// Note [Client-side meta] (src/contract.h), end to end: every row of the
// engine's op table (engine/tests/op_table_test.cc, included below with its
// rows only) runs through the client core against a real server, and what
// the client infers without asking -- dtype, shape, device, strides, offset --
// is what the server's Describe reports. The engine's own test
// (OpTableMetaTest.MetaExecutionMatchesTheKernelsForEveryRow) holds the errors to the same
// standard; here the client's conversions and its call-site errors are held.
#define TENSORD_OP_TABLE_ROWS_ONLY
#include "engine/tests/op_table_test.cc"
#undef TENSORD_OP_TABLE_ROWS_ONLY

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "client_suite.h"
#include "tensord/tensord.h"

namespace tensord {
namespace {

using ::testing::HasSubstr;

class ContractTest : public testing::ClientSuite<ContractTest> {};

// The engine's dtype as the client (and the wire) numbers it.
tensord::DType ClientDType(engine::DType d) { return static_cast<tensord::DType>(static_cast<int>(d) + 1); }

Operand Upload(Client& c, const engine::Tensor& t) {
  if (!t.defined()) return kNone;
  std::string bytes;
  t.AppendBytes(&bytes);
  return c.FromBytes(ClientDType(t.dtype()), {t.sizes().begin(), t.sizes().end()}, bytes.data(), bytes.size());
}

AttrValue ClientAttr(const engine::AttrValue& v) {
  struct Visitor {
    AttrValue operator()(std::monostate) const { return kNone; }
    AttrValue operator()(bool b) const { return b; }
    AttrValue operator()(int64_t i) const { return i; }
    AttrValue operator()(double f) const { return f; }
    AttrValue operator()(const std::string& s) const { return s; }
    AttrValue operator()(const std::vector<int64_t>& l) const { return l; }
    AttrValue operator()(engine::DType d) const { return ClientDType(d); }
    AttrValue operator()(const engine::Scalar& s) const {
      if (s.is_floating()) return Scalar(s.to_double());
      if (s.is_bool()) return Scalar(s.to_double() != 0);
      return Scalar(s.to_int());
    }
  };
  return std::visit(Visitor{}, v);
}

// The inferred meta of `t` is known and equals the server's Describe.
void ExpectInferredEqualsDescribe(const Tensor& t, const std::string& where) {
  std::optional<TensorMeta> meta = t.MetaIfKnown();
  ASSERT_TRUE(meta.has_value()) << where << ": the client did not infer the output";
  TensorInfo info = t.Info();  // asks the server
  EXPECT_EQ(meta->dtype, info.dtype) << where;
  EXPECT_EQ(meta->shape, info.shape) << where;
  EXPECT_EQ(meta->device, info.device) << where;
  ASSERT_TRUE(meta->strides.has_value()) << where << ": the layout was not inferred";
  EXPECT_EQ(*meta->strides, info.strides) << where;
  EXPECT_EQ(meta->storage_offset, info.storage_offset) << where;
}

TEST_F(ContractTest, EveryOpTableRowInfersWhatTheServerComputes) {
  Client& c = client();
  int rows = 0;
  for (const engine::OpCase& row : engine::Cases()) {
    Attrs attrs;
    for (const auto& [name, value] : row.attrs) attrs[name] = ClientAttr(value);
    std::vector<Operand> inputs;
    for (size_t i = 0; i < row.shapes.size(); ++i) {
      inputs.push_back(Upload(c, engine::MakeInput(row, i, engine::DType::kFloat32)));
    }
    // A boolean mask makes the output's shape depend on its values.
    const bool values_decide = row.bool_input >= 0 && (row.op == "index" || row.op == "index_put");
    std::vector<Tensor> outputs = c.Call(row.op, inputs, attrs);
    for (size_t k = 0; k < outputs.size(); ++k) {
      const std::string where = row.name + " output " + std::to_string(k);
      if (values_decide) {
        EXPECT_FALSE(outputs[k].MetaIfKnown().has_value()) << where;
        continue;
      }
      ExpectInferredEqualsDescribe(outputs[k], where);
    }
    // The same values through a transposed view: the output layouts follow.
    if (row.shapes[0].size() == 2 && inputs[0].is_tensor() && row.bool_input != 0 && !row.long_inputs.count(0)) {
      std::vector<int64_t> flipped{row.shapes[0][1], row.shapes[0][0]};
      engine::OpCase transposed{row.name, row.op, {flipped}, {}, nullptr, row.lo, row.hi};
      const Operand base = Upload(c, engine::MakeInput(transposed, 0, engine::DType::kFloat32));
      inputs[0] = std::get<Tensor>(base.value()).T();
      try {
        outputs = c.Call(row.op, inputs, attrs);
      } catch (const Error& e) {  // e.g. view of a non-contiguous tensor: refused at the call
        EXPECT_EQ(e.op(), row.op) << row.name;
        EXPECT_THAT(e.message(), HasSubstr("[" + row.op + "]")) << row.name;
        continue;
      }
      for (size_t k = 0; k < outputs.size() && !values_decide; ++k) {
        ExpectInferredEqualsDescribe(outputs[k], row.name + " (transposed) output " + std::to_string(k));
      }
    }
    ++rows;
  }
  EXPECT_GT(rows, 100);
  c.Synchronize();  // nothing the client inferred failed on the server
}

TEST_F(ContractTest, UserErrorsAreThrownAtTheCallWithTheServersMessage) {
  Client& c = client();
  Tensor a = c.Randn({2, 3});
  try {
    a.Mm(a);
    FAIL() << "mm of 2x3 and 2x3 was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), 3);
    EXPECT_EQ(e.op(), "mm");
    EXPECT_EQ(e.message(), "[mm] mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)");
    EXPECT_THAT(e.site(), HasSubstr("contract_test.cc:"));
  }
  // Nothing was sent: the session is clean and the next op runs.
  c.Synchronize();
  EXPECT_EQ((a + 1).Shape(), (std::vector<int64_t>{2, 3}));
}

TEST_F(ContractTest, InplaceOpsKeepOrUpdateTheirInputsMeta) {
  Client& c = client();
  Tensor x = c.Zeros({2, 5});
  x.Call("t_", {});
  ExpectInferredEqualsDescribe(x, "t_");
  Tensor y = c.Zeros({4});
  y.Call("resize_", {}, {{"size", std::vector<int64_t>{3, 3}}});
  ExpectInferredEqualsDescribe(y, "resize_");
  // A boolean-mask write cannot be inferred, but never changes self's meta.
  Tensor z = c.Randn({4});
  z.Call("index_put_", {0.0, z > 0});
  EXPECT_TRUE(z.MetaIfKnown().has_value());
  ExpectInferredEqualsDescribe(z, "index_put_ with a mask");
}

}  // namespace
}  // namespace tensord
