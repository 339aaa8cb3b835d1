// Metadata-only execution beyond the op table (Note [Metadata-only
// execution], engine/meta.h): factories, in-place ops, views, value- and
// server-dependent outcomes, and that no byte is touched.
#include "engine/meta.h"

#include "engine/tests/test_util.h"

namespace tensord::engine {
namespace {
using namespace testing;
using ::testing::ElementsAre;

Tensor M(std::vector<int64_t> sizes, DType dtype = DType::kFloat32) {
  return Tensor::Meta(dtype, sizes, ContiguousStrides(sizes), 0, kCPU);
}
std::vector<int64_t> V(const Shape& s) { return {s.begin(), s.end()}; }

TEST(MetaTest, FactoriesAndViewsNeedNoBytes) {
  auto r = InferMeta("linspace", {}, {{"start", Scalar(0.0)}, {"end", Scalar(1.0)}, {"steps", int64_t{5}}}, {});
  ASSERT_THAT(r, IsOk());
  ASSERT_TRUE(r->known);
  EXPECT_THAT(V(r->outputs[0].sizes), ElementsAre(5));
  EXPECT_EQ(r->outputs[0].dtype, DType::kFloat32);
  r = InferMeta("arange", {}, {{"end", Scalar(int64_t{7})}}, {});
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->outputs[0].dtype, DType::kInt64);
  EXPECT_THAT(V(r->outputs[0].sizes), ElementsAre(7));
  // A view's geometry: strides and offset of a slice of a transpose.
  r = InferMeta("transpose", {M({4, 6})}, {{"dim0", int64_t{0}}, {"dim1", int64_t{1}}}, {});
  ASSERT_THAT(r, IsOk());
  EXPECT_THAT(V(r->outputs[0].strides), ElementsAre(1, 6));
  r = InferMeta("slice", {M({4, 6})}, {{"dim", int64_t{1}}, {"start", int64_t{2}}}, {});
  ASSERT_THAT(r, IsOk());
  EXPECT_THAT(V(r->outputs[0].sizes), ElementsAre(4, 4));
  EXPECT_EQ(r->outputs[0].storage_offset, 2);
}

TEST(MetaTest, ErrorsAreTheServersErrors) {
  const std::vector<Tensor> in{Tensor::Empty({3, 2}, DType::kFloat32), Tensor::Empty({3, 2}, DType::kFloat32)};
  auto real = CallOp("mm", in, {}, {});
  auto meta = InferMeta("mm", {M({3, 2}), M({3, 2})}, {}, {});
  ASSERT_FALSE(real.ok());
  EXPECT_EQ(meta.status(), real.status());
  EXPECT_THAT(meta, StatusIs(absl::StatusCode::kInvalidArgument, "[mm] mat1 and mat2 shapes cannot be multiplied (3x2 and 3x2)"));
  // Python numbers are real: an int tensor to a negative int power fails in prepare.
  meta = InferMeta("pow", {M({2}, DType::kInt64), Tensor::WrappedScalar(Scalar(int64_t{-1}))}, {}, {});
  EXPECT_THAT(meta, StatusIs(absl::StatusCode::kInvalidArgument, "Integers to negative integer powers are not allowed"));
  // The limit the server enforces, when the caller knows it.
  MetaOptions limited;
  limited.max_tensor_elements = 100;
  EXPECT_THAT(InferMeta("zeros", {}, {{"size", std::vector<int64_t>{20, 20}}}, limited),
              StatusIs(absl::StatusCode::kResourceExhausted, "exceeds the limit of 100 elements"));
}

TEST(MetaTest, InplaceOpsReportTheirInputAfterTheCall) {
  auto r = InferMeta("t_", {M({2, 5})}, {}, {});
  ASSERT_THAT(r, IsOk());
  ASSERT_TRUE(r->known);
  EXPECT_THAT(V(r->outputs[0].sizes), ElementsAre(5, 2));
  r = InferMeta("resize_", {M({2, 5})}, {{"size", std::vector<int64_t>{4, 4}}}, {});
  ASSERT_THAT(r, IsOk());
  EXPECT_THAT(V(r->outputs[0].sizes), ElementsAre(4, 4));
  r = InferMeta("add_", {M({2, 5}), M({5})}, {}, {});
  ASSERT_THAT(r, IsOk());
  EXPECT_THAT(V(r->outputs[0].sizes), ElementsAre(2, 5));
  EXPECT_THAT(InferMeta("add_", {M({5}), M({2, 5})}, {}, {}),
              StatusIs(absl::StatusCode::kInvalidArgument, "[add_] output with shape [5] doesn't match the broadcast shape [2, 5]"));
}

TEST(MetaTest, WhatValuesOrTheServerDecideIsUnknown) {
  auto r = InferMeta("nonzero", {M({4})}, {}, {});
  ASSERT_THAT(r, IsOk());
  EXPECT_FALSE(r->known);
  EXPECT_THAT(r->why_unknown, ::testing::HasSubstr("depends on the values"));
  // A boolean mask reaches nonzero inside index.
  r = InferMeta("index", {M({4}), M({4}, DType::kBool)}, {}, {});
  ASSERT_THAT(r, IsOk());
  EXPECT_FALSE(r->known);
  // Devices: unknown without the server's catalog, its errors with it.
  r = InferMeta("zeros", {}, {{"size", std::vector<int64_t>{2}}, {"device", std::string("cuda")}}, {});
  ASSERT_THAT(r, IsOk());
  EXPECT_FALSE(r->known);
  MetaOptions two_gpus;
  two_gpus.devices = DeviceCatalog{2, ""};
  r = InferMeta("zeros", {}, {{"size", std::vector<int64_t>{2}}, {"device", std::string("cuda")}}, two_gpus);
  ASSERT_THAT(r, IsOk());
  ASSERT_TRUE(r->known);
  EXPECT_EQ(r->outputs[0].device.ToString(), "cuda:0");
  EXPECT_THAT(InferMeta("zeros", {}, {{"size", std::vector<int64_t>{2}}, {"device", std::string("cuda:2")}}, two_gpus),
              StatusIs(absl::StatusCode::kInvalidArgument, "invalid device ordinal"));
  // Autograd state is the server's: a meta tensor has no .grad to report.
  r = InferMeta("grad", {M({2})}, {}, {});
  ASSERT_THAT(r, IsOk());
  EXPECT_FALSE(r->known);
  // An op this contract does not know (a newer server) is not an error.
  r = InferMeta("no_such_op", {M({2})}, {}, {});
  ASSERT_THAT(r, IsOk());
  EXPECT_FALSE(r->known);
}

TEST(MetaTest, MixedDevicesFollowTheDeviceRules) {
  MetaOptions one_gpu;
  one_gpu.devices = DeviceCatalog{1, ""};
  const Device cuda{DeviceType::kCUDA, 0};
  const Tensor g = Tensor::Meta(DType::kFloat32, {3}, {1}, 0, cuda);
  auto r = InferMeta("mul", {g, M({})}, {}, one_gpu);  // a cpu 0-dim tensor joins cuda
  ASSERT_THAT(r, IsOk());
  EXPECT_EQ(r->outputs[0].device, cuda);
  EXPECT_THAT(InferMeta("mul", {g, M({3})}, {}, one_gpu),
              StatusIs(absl::StatusCode::kInvalidArgument, "Expected all tensors to be on the same device"));
}

}  // namespace
}  // namespace tensord::engine
