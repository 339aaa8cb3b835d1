// The real CUDA backend of a build without the CUDA toolkit: no devices, and
// the reason says how to get them. (The emulator, emulator.cc, still works.)
#include "engine/cuda/runtime.h"

namespace tensord::engine::cuda {

namespace {

absl::Status NoCuda() { return absl::FailedPreconditionError(Get().unavailable_reason()); }

class NoBackend : public Backend {
 public:
  NoBackend() {
    reason_ = "this tensord was built without CUDA (no nvcc at build time; install the CUDA toolkit and rebuild)";
  }
  bool emulated() const override { return false; }
  const Launchers& launchers() const override {
    static const Launchers none{};
    return none;
  }
  absl::StatusOr<StreamId> NewStream(int) override { return NoCuda(); }
  void DestroyStream(int, StreamId) override {}
  absl::Status Synchronize(int, StreamId) override { return NoCuda(); }
  absl::Status CopyToDevice(int, void*, const void*, size_t, StreamId) override { return NoCuda(); }
  absl::Status CopyToHost(int, void*, const void*, size_t, StreamId) override { return NoCuda(); }
  absl::Status CopyOnDevice(int, void*, const void*, size_t, StreamId) override { return NoCuda(); }
  absl::Status Zero(int, void*, size_t, StreamId) override { return NoCuda(); }
  absl::Status Gemm(int, const GemmArgs&, StreamId) override { return NoCuda(); }
  absl::Status Check(int error, const char* what) const override { return error == 0 ? absl::OkStatus() : NoCuda(); }
};

}  // namespace

bool CompiledWithCuda() { return false; }
std::unique_ptr<Backend> MakeRealBackend() { return std::make_unique<NoBackend>(); }

}  // namespace tensord::engine::cuda
