// Device semantics of the CUDA backend, beyond single ops (those are the
// CUDA op table, Note [The CUDA op table]): placement, PyTorch's
// same-device rule, copies across devices with autograd, memory accounting
// per context and out-of-memory. Runs on a GPU or on the emulator (ctest's
// engine_cuda_emulated); skipped without either.
#include "engine/cuda/context.h"
#include "engine/cuda/runtime.h"
#include "engine/tests/test_util.h"

namespace tensord::engine {
namespace {
using namespace testing;

class CudaDeviceSemanticsTest : public NeedsCuda<> {};

TEST_F(CudaDeviceSemanticsTest, DeviceStringsParseAndOutOfRangeOrdinalsAreRefused) {
  EXPECT_EQ(Device::Parse("cuda").value().ToString(), "cuda:0");
  EXPECT_EQ(Device::Parse("cuda:0").value(), (Device{DeviceType::kCUDA, 0}));
  EXPECT_THAT(Device::Parse("cuda:99"), StatusIs(absl::StatusCode::kInvalidArgument, "invalid device ordinal"));
  EXPECT_THAT(Device::Parse("cuda:x"), StatusIs(absl::StatusCode::kInvalidArgument, "invalid device string"));
  EXPECT_EQ(CudaUnavailableReason(), "");
}

TEST_F(CudaDeviceSemanticsTest, EveryDTypeRoundTripsThroughTheDeviceBitForBit) {
  const std::vector<double> v = {0, 1, -2.5, 3.25, 100, -7, 0.5, 1e-3, 42, -1};
  for (int d = 0; d < kNumDTypes; ++d) {
    const DType dtype = static_cast<DType>(d);
    Tensor host = FromVector(v, {2, 5}, dtype);
    Tensor dev = ToDevice(host, "cuda:0");
    ASSERT_TRUE(dev.defined());
    EXPECT_EQ(dev.device().ToString(), "cuda:0");
    EXPECT_EQ(dev.dtype(), dtype);
    EXPECT_EQ(Values(ToDevice(dev, "cpu")), Values(host)) << DTypeName(dtype);
    // A transposed (non-contiguous) device tensor comes back in logical order.
    Tensor t = Call1("transpose", {dev}, {{"dim0", int64_t{0}}, {"dim1", int64_t{1}}});
    EXPECT_EQ(Values(t), Values(Call1("transpose", {host}, {{"dim0", int64_t{0}}, {"dim1", int64_t{1}}})));
  }
}

TEST_F(CudaDeviceSemanticsTest, FactoriesHonourTheDeviceArgument) {
  Tensor z = Call1("zeros", {}, {{"size", std::vector<int64_t>{3, 4}}, {"device", std::string("cuda:0")}});
  EXPECT_EQ(z.device().ToString(), "cuda:0");
  EXPECT_EQ(Values(z), std::vector<double>(12, 0.0));
  Tensor f = Call1("full", {}, {{"size", std::vector<int64_t>{5}}, {"fill_value", Scalar(2.5)},
                                {"device", std::string("cuda:0")}});
  EXPECT_EQ(Values(f), std::vector<double>(5, 2.5));
  Tensor a = Call1("arange", {}, {{"start", Scalar(int64_t{1})}, {"end", Scalar(int64_t{7})},
                                  {"step", Scalar(int64_t{2})}, {"device", std::string("cuda:0")}});
  EXPECT_EQ(a.dtype(), DType::kInt64);
  EXPECT_EQ(Values(a), (std::vector<double>{1, 3, 5}));
  Tensor e = Call1("eye", {}, {{"n", int64_t{2}}, {"device", std::string("cuda:0")}});
  EXPECT_EQ(e.device().ToString(), "cuda:0");
  EXPECT_EQ(Values(e), (std::vector<double>{1, 0, 0, 1}));
}

TEST_F(CudaDeviceSemanticsTest, MixingDevicesRaisesPyTorchsErrorButCpuScalarsMayJoin) {
  Tensor c = FromVector({1, 2, 3}, {3});
  Tensor g = ToDevice(c, "cuda:0");
  auto mixed = CallOp("mm", {FromVector({1, 2}, {1, 2}), ToDevice(FromVector({1, 2}, {2, 1}), "cuda:0")}, {}, {});
  EXPECT_THAT(mixed, StatusIs(absl::StatusCode::kInvalidArgument,
                              "Expected all tensors to be on the same device, but found at least two devices"));
  auto cat = CallOp("cat", {c, g}, {}, {});
  EXPECT_THAT(cat, StatusIs(absl::StatusCode::kInvalidArgument, "cpu and cuda:0"));
  // A CPU 0-dim tensor and a Python number beside a cuda tensor are allowed.
  Tensor sum = Call1("add", {g, FromVector({10}, {})});
  ASSERT_TRUE(sum.defined());
  EXPECT_EQ(sum.device().ToString(), "cuda:0");
  EXPECT_EQ(Values(sum), (std::vector<double>{11, 12, 13}));
  Tensor prod = Call1("mul", {g, Tensor::WrappedScalar(Scalar(2.0))});
  EXPECT_EQ(Values(prod), (std::vector<double>{2, 4, 6}));
}

TEST_F(CudaDeviceSemanticsTest, CopyIntoADeviceTensorCastsAndBroadcastsFromTheHost) {
  Tensor dst = ToDevice(FromVector({0, 0, 0, 0, 0, 0}, {2, 3}, DType::kFloat64), "cuda:0");
  ASSERT_THAT(CallOp("copy_", {dst, FromVector({1, 2, 3}, {3}, DType::kInt32)}, {}, {}), IsOk());
  EXPECT_EQ(dst.version(), 1u);
  EXPECT_EQ(Values(dst), (std::vector<double>{1, 2, 3, 1, 2, 3}));
  // And back: a CPU tensor filled from a device one.
  Tensor host = FromVector({0, 0, 0, 0, 0, 0}, {2, 3}, DType::kFloat32);
  ASSERT_THAT(CallOp("copy_", {host, dst}, {}, {}), IsOk());
  EXPECT_EQ(Values(host), (std::vector<double>{1, 2, 3, 1, 2, 3}));
}

TEST_F(CudaDeviceSemanticsTest, GradientsFlowBackAcrossDevices) {
  // x (cpu leaf) -> to(cuda) -> * 3 -> sum: x.grad is 3s, on the CPU.
  Tensor x = FromVector({1, 2, 3, 4}, {4}, DType::kFloat32);
  ASSERT_THAT(SetRequiresGrad(x, true), IsOk());
  Tensor y = ToDevice(x, "cuda:0");
  EXPECT_EQ(y.grad_fn_name(), "ToCopyBackward0");
  Tensor loss = Call1("sum", {Call1("mul", {y, Tensor::WrappedScalar(Scalar(3.0))})});
  ASSERT_THAT(Backward({loss}, {}, false, false), IsOk());
  ASSERT_TRUE(x.grad().defined());
  EXPECT_EQ(x.grad().device().ToString(), "cpu");
  EXPECT_EQ(Values(x.grad()), (std::vector<double>{3, 3, 3, 3}));
  // A device leaf accumulates on the device over two backward passes.
  Tensor w = ToDevice(FromVector({1, 1}, {2}), "cuda:0");
  ASSERT_THAT(SetRequiresGrad(w, true), IsOk());
  for (int i = 0; i < 2; ++i) {
    ASSERT_THAT(Backward({Call1("sum", {Call1("mul", {w, w})})}, {}, false, false), IsOk());
  }
  EXPECT_EQ(w.grad().device().ToString(), "cuda:0");
  EXPECT_EQ(Values(w.grad()), (std::vector<double>{4, 4}));
}

TEST_F(CudaDeviceSemanticsTest, AContextIsChargedForItsMemoryAndReleasesItsCache) {
  cuda::CachingAllocator& alloc = cuda::Allocator(0);
  cuda::Context session(/*account=*/4242);
  {
    cuda::ContextScope scope(&session);
    Tensor t = Call1("zeros", {}, {{"size", std::vector<int64_t>{1024, 256}}, {"device", std::string("cuda:0")}});
    EXPECT_EQ(alloc.AccountStats(4242).allocated_bytes, 1024 * 256 * 4);
    // Steady state: the same shapes again are served from the cache.
    const int64_t raw = alloc.Stats().num_raw_allocs;
    for (int i = 0; i < 10; ++i) {
      Tensor u = Call1("zeros", {}, {{"size", std::vector<int64_t>{1024, 256}}, {"device", std::string("cuda:0")}});
    }
    EXPECT_LE(alloc.Stats().num_raw_allocs, raw + 1);
  }
  EXPECT_EQ(alloc.AccountStats(4242).allocated_bytes, 0);
  EXPECT_EQ(alloc.AccountStats(4242).peak_allocated_bytes, 2 * 1024 * 256 * 4);
}

TEST_F(CudaDeviceSemanticsTest, OutOfMemoryFailsThatOpAloneWithResourceExhausted) {
  const int64_t total = cuda::Devices()[0].total_memory;
  const int64_t n = total / 4 + 1024;  // float32: just over the device's memory
  auto huge = CallOp("zeros", {}, {{"size", std::vector<int64_t>{n}}, {"device", std::string("cuda:0")}}, {});
  if (n > MaxTensorElements()) GTEST_SKIP() << "device larger than the per-tensor element limit";
  EXPECT_THAT(huge, StatusIs(absl::StatusCode::kResourceExhausted, "out of memory"));
  Tensor ok = Call1("ones", {}, {{"size", std::vector<int64_t>{4}}, {"device", std::string("cuda:0")}});
  EXPECT_EQ(Values(ok), std::vector<double>(4, 1.0));
}

TEST_F(CudaDeviceSemanticsTest, MatmulOfTransposedViewsUsesFlagsAndMatchesTheCpu) {
  Tensor a = FromVector({1, 2, 3, 4, 5, 6}, {2, 3});
  Tensor b = FromVector({1, 0, 2, 1, 0, 3}, {2, 3});
  Tensor expected = Call1("mm", {a, Call1("t", {b})});
  Tensor got = Call1("mm", {ToDevice(a, "cuda:0"), Call1("t", {ToDevice(b, "cuda:0")})});
  EXPECT_EQ(Values(got), Values(expected));
  Tensor ints = Call1("mm", {ToDevice(FromVector({1, 2, 3, 4}, {2, 2}, DType::kInt64), "cuda:0"),
                             ToDevice(FromVector({5, 6, 7, 8}, {2, 2}, DType::kInt64), "cuda:0")});
  EXPECT_EQ(ints.dtype(), DType::kInt64);
  EXPECT_EQ(Values(ints), (std::vector<double>{19, 22, 43, 50}));
}

}  // namespace
}  // namespace tensord::engine
