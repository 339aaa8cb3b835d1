#include "engine/device.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "engine/cuda/runtime.h"

namespace tensord::engine {

std::string Device::ToString() const {
  return type == DeviceType::kCPU ? "cpu" : absl::StrCat("cuda:", index);
}

std::string CudaUnavailableReason() { return cuda::Devices().empty() ? cuda::UnavailableReason() : ""; }

absl::StatusOr<Device> Device::Parse(absl::string_view s) {
  if (s.empty() || s == "cpu") return Device{};
  if (s.substr(0, 4) == "cuda") {
    int index = 0;
    if (s.size() > 4 && (s[4] != ':' || !absl::SimpleAtoi(s.substr(5), &index) || index < 0)) {
      return absl::InvalidArgumentError(absl::StrCat("invalid device string: '", s, "'"));
    }
    if (cuda::Devices().empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("device '", s, "' is not available: ", CudaUnavailableReason()));
    }
    if (index >= static_cast<int>(cuda::Devices().size())) {
      return absl::InvalidArgumentError(absl::StrCat("CUDA error: invalid device ordinal (device '", s,
                                                     "'; this server has ", cuda::Devices().size(),
                                                     " cuda device(s))"));
    }
    return Device{DeviceType::kCUDA, index};
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "Expected one of cpu, cuda device type at start of device string: ", s));
}

}  // namespace tensord::engine
