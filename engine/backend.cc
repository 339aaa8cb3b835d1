// The backend registry (Note [Backend registration], backend.h).
#include "engine/backend.h"

#include <array>
#include <atomic>

#include "absl/strings/str_cat.h"
#include "engine/meta.h"

namespace tensord::engine {

namespace {
std::array<std::atomic<const Backend*>, 2> backends{};
}  // namespace

void RegisterBackend(DeviceType type, const Backend* backend) {
  backends[static_cast<int>(type)].store(backend, std::memory_order_release);
}

absl::StatusOr<const Backend*> BackendFor(DeviceType type) {
  const Backend* b = backends[static_cast<int>(type)].load(std::memory_order_acquire);
  if (b == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no ", type == DeviceType::kCPU ? "cpu" : "cuda",
        " backend is registered in this program (tensord_engine's RegisterBackends() was not called)"));
  }
  return b;
}

DeviceCatalog CurrentDeviceCatalog() {
  if (const MetaOptions* meta = CurrentMetaOptions(); meta != nullptr && meta->devices.has_value()) {
    return *meta->devices;
  }
  const Backend* cuda = backends[static_cast<int>(DeviceType::kCUDA)].load(std::memory_order_acquire);
  if (cuda == nullptr || cuda->device_count == nullptr) {
    return {0, "this program registered no CUDA backend"};
  }
  const int n = cuda->device_count();
  return {n, n == 0 ? cuda->unavailable_reason() : std::string()};
}

}  // namespace tensord::engine
