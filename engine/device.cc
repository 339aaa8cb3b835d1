#include "engine/device.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "engine/backend.h"
#include "engine/meta.h"

namespace tensord::engine {

std::string Device::ToString() const {
  return type == DeviceType::kCPU ? "cpu" : absl::StrCat("cuda:", index);
}

std::string CudaUnavailableReason() { return CurrentDeviceCatalog().cuda_unavailable_reason; }

absl::StatusOr<Device> Device::Parse(absl::string_view s) {
  if (s.empty() || s == "cpu") return Device{};
  if (s.substr(0, 4) == "cuda") {
    int index = 0;
    if (s.size() > 4 && (s[4] != ':' || !absl::SimpleAtoi(s.substr(5), &index) || index < 0)) {
      return absl::InvalidArgumentError(absl::StrCat("invalid device string: '", s, "'"));
    }
    // Which devices exist is the server's to say (Note [Metadata-only execution]).
    if (const MetaOptions* meta = CurrentMetaOptions(); meta != nullptr && !meta->devices.has_value()) {
      return MetaUnknownError("device", absl::StrCat("whether the server has device '", s, "'"));
    }
    const DeviceCatalog catalog = CurrentDeviceCatalog();
    if (catalog.cuda_devices == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("device '", s, "' is not available: ", catalog.cuda_unavailable_reason));
    }
    if (index >= catalog.cuda_devices) {
      return absl::InvalidArgumentError(absl::StrCat("CUDA error: invalid device ordinal (device '", s,
                                                     "'; this server has ", catalog.cuda_devices,
                                                     " cuda device(s))"));
    }
    return Device{DeviceType::kCUDA, index};
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "Expected one of cpu, cuda device type at start of device string: ", s));
}

}  // namespace tensord::engine
