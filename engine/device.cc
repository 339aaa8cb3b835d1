#include "engine/device.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "engine/cuda/runtime.h"

namespace tensord::engine {

std::string Device::ToString() const {
  return type == DeviceType::kCPU ? "cpu" : absl::StrCat("cuda:", index);
}

// Note [Device availability]: the CUDA runtime and allocator exist
// (engine/cuda/), but storage and kernels do not place tensors there yet, so
// no CUDA device is offered even where a GPU is visible.
std::string CudaUnavailableReason() {
  const std::string& reason = cuda::UnavailableReason();
  if (!reason.empty()) return reason;
  return absl::StrCat(cuda::Devices().size(), " GPU(s) visible, but this tensord's CUDA backend does not run ops yet");
}

absl::StatusOr<Device> Device::Parse(absl::string_view s) {
  if (s.empty() || s == "cpu") return Device{};
  if (s.substr(0, 4) == "cuda") {
    int index = 0;
    if (s.size() > 4 && (s[4] != ':' || !absl::SimpleAtoi(s.substr(5), &index) || index < 0)) {
      return absl::InvalidArgumentError(absl::StrCat("invalid device string: '", s, "'"));
    }
    return absl::InvalidArgumentError(
        absl::StrCat("device '", s, "' is not available: ", CudaUnavailableReason()));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "Expected one of cpu, cuda device type at start of device string: ", s));
}

}  // namespace tensord::engine
