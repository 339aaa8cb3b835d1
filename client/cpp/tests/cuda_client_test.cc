// The C++ client on cuda devices: placement, moves and gradients across
// devices. ctest runs it against a server on the CUDA emulator
// (TENSORD_CUDA_EMULATOR, engine/cuda/runtime.h), and it runs against a real
// GPU wherever the server lists one; without either it is skipped.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "client_suite.h"
#include "tensord/tensord.h"

namespace tensord {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class CudaClientTest : public testing::ClientSuite<CudaClientTest> {
 protected:
  void SetUp() override {
    ClientSuite::SetUp();
    if (HasFatalFailure()) return;
    Tensor probe;
    try {
      probe = client().Tensor(std::vector<float>{0}, {1}, {.device = "cuda:0"});
      probe.ToVector<float>();  // a sync point: creation is pipelined
    } catch (const Error& e) {
      GTEST_SKIP() << "the server has no cuda device: " << e.what();
    }
  }
};

TEST_F(CudaClientTest, TensorsMoveToTheDeviceAndBack) {
  Tensor x = client().Tensor(std::vector<float>{1, 2, 3, 4}, {2, 2});
  Tensor d = x.Cuda();
  EXPECT_EQ(d.Device(), "cuda:0");
  EXPECT_EQ(x.To(std::string("cuda")).Device(), "cuda:0");
  EXPECT_THAT(d.ToVector<float>(), ElementsAre(1, 2, 3, 4));
  Tensor back = d.Cpu();
  EXPECT_EQ(back.Device(), "cpu");
  EXPECT_THAT(back.ToVector<float>(), ElementsAre(1, 2, 3, 4));
  EXPECT_THAT(Matmul(d, d.T()).ToVector<float>(), ElementsAre(5, 11, 11, 25));
}

TEST_F(CudaClientTest, MixingDevicesIsAnErrorNamingBothDevices) {
  Tensor a = client().Tensor(std::vector<float>{1, 2}, {1, 2});
  Tensor b = client().Tensor(std::vector<float>{1, 2}, {2, 1}, {.device = "cuda:0"});
  try {
    Matmul(a, b).ToVector<float>();
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("Expected all tensors to be on the same device"));
  }
  // The session survives the error.
  EXPECT_THAT(Matmul(a.Cuda(), b).ToVector<float>(), ElementsAre(5));
}

TEST_F(CudaClientTest, GradientsReachACpuLeafThroughTheDevice) {
  Tensor x = client().Tensor(std::vector<float>{1, 2, 3}, {3}, {.requires_grad = true});
  Tensor y = (x.Cuda() * x.Cuda()).Sum();
  y.Backward();
  EXPECT_EQ(x.Grad().Device(), "cpu");
  EXPECT_THAT(x.Grad().ToVector<float>(), ElementsAre(2, 4, 6));
}

TEST_F(CudaClientTest, ACpuScalarBesideACudaTensorGivesACudaResult) {
  Tensor c = client().Tensor(std::vector<float>{1, 2, 3}, {3}, {.device = "cuda:0"});
  Tensor s = client().Tensor(std::vector<float>{2}, std::vector<int64_t>{});
  for (const Tensor& r : {s * c, c * s, s + c}) {
    EXPECT_EQ(r.Device(), "cuda:0");  // the client's own metadata agrees with the server
    EXPECT_EQ(r.Info().device, "cuda:0");
  }
  EXPECT_THAT((s * c).ToVector<float>(), ElementsAre(2, 4, 6));
}

}  // namespace
}  // namespace tensord
