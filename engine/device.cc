#include "engine/device.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace tensord::engine {

std::string Device::ToString() const {
  return type == DeviceType::kCPU ? "cpu" : absl::StrCat("cuda:", index);
}

absl::StatusOr<Device> Device::Parse(absl::string_view s) {
  if (s.empty() || s == "cpu") return Device{};
  if (s.substr(0, 4) == "cuda") {
    int index = 0;
    if (s.size() > 4 && (s[4] != ':' || !absl::SimpleAtoi(s.substr(5), &index) || index < 0)) {
      return absl::InvalidArgumentError(absl::StrCat("invalid device string: '", s, "'"));
    }
    // Note [Device availability]: this build has no CUDA backend yet.
    return absl::InvalidArgumentError(absl::StrCat(
        "device '", s, "' is not available: this server has no CUDA devices"));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "Expected one of cpu, cuda device type at start of device string: ", s));
}

}  // namespace tensord::engine
