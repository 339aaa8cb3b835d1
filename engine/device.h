// Devices: "cpu" and "cuda:N".
#pragma once

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"

namespace tensord::engine {

enum class DeviceType : int8_t { kCPU = 0, kCUDA = 1 };

struct Device {
  DeviceType type = DeviceType::kCPU;
  int index = 0;

  bool operator==(const Device& o) const { return type == o.type && index == o.index; }
  bool operator!=(const Device& o) const { return !(*this == o); }
  std::string ToString() const;  // "cpu", "cuda:0"
  // Parses "cpu", "cuda", "cuda:1". "" means cpu. Unknown or absent -> error.
  static absl::StatusOr<Device> Parse(absl::string_view s);
};

inline constexpr Device kCPU{};

// Why "cuda" devices are not offered, in words for users; "" when they are.
std::string CudaUnavailableReason();

}  // namespace tensord::engine
