// Chooses the process's CUDA backend once (Note [CUDA emulator], runtime.h).
#include <cstdlib>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "engine/cuda/runtime.h"

namespace tensord::engine::cuda {

namespace {

// TENSORD_CUDA_EMULATOR=N[:MiB]; nullptr when unset or malformed.
std::unique_ptr<Backend> EmulatorFromEnvironment() {
  const char* spec = std::getenv("TENSORD_CUDA_EMULATOR");
  if (spec == nullptr || *spec == '\0') return nullptr;
  std::vector<absl::string_view> parts = absl::StrSplit(spec, ':');
  int devices = 0;
  int64_t mib = 1024;
  if (parts.size() > 2 || !absl::SimpleAtoi(parts[0], &devices) || devices < 0 || devices > 16 ||
      (parts.size() == 2 && (!absl::SimpleAtoi(parts[1], &mib) || mib <= 0))) {
    return MakeEmulatedBackend(0, 0, absl::StrCat("TENSORD_CUDA_EMULATOR='", spec,
                                                  "' is malformed (want N or N:MiB, N <= 16)"));
  }
  return MakeEmulatedBackend(devices, mib << 20, "TENSORD_CUDA_EMULATOR asks for no devices");
}

}  // namespace

Backend& Get() {
  static Backend* const backend = [] {
    std::unique_ptr<Backend> b = EmulatorFromEnvironment();
    if (b == nullptr) b = MakeRealBackend();
    return b.release();
  }();
  return *backend;
}

}  // namespace tensord::engine::cuda
