// The host emulator of the CUDA backend (Note [CUDA emulator], runtime.h):
// device memory is host memory under a per-device cap, streams are names,
// every launch runs the emu:: build of the kernel sources to completion.
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/cuda/runtime.h"

namespace tensord::engine::cuda {

namespace {

// Host memory with a device's capacity, so out-of-memory paths are testable.
class CappedHostMemory : public RawMemory {
 public:
  CappedHostMemory(int index, int64_t capacity) : index_(index), capacity_(capacity) {}
  void* Malloc(size_t nbytes) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (used_ + static_cast<int64_t>(nbytes) > capacity_) return nullptr;
    void* p = std::aligned_alloc(256, (std::max<size_t>(nbytes, 1) + 255) / 256 * 256);
    if (p == nullptr) return nullptr;
    used_ += static_cast<int64_t>(nbytes);
    sizes_[p] = nbytes;
    return p;
  }
  void Free(void* p) override {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = sizes_.find(p);
    if (it == sizes_.end()) return;
    used_ -= static_cast<int64_t>(it->second);
    sizes_.erase(it);
    std::free(p);
  }
  std::string Describe() const override {
    return absl::StrFormat("emulated GPU %d; %.2f GiB total capacity", index_,
                           static_cast<double>(capacity_) / (1 << 30));
  }

 private:
  const int index_;
  const int64_t capacity_;
  std::mutex mu_;
  int64_t used_ = 0;
  absl::flat_hash_map<void*, size_t> sizes_;
};

class EmulatedBackend : public Backend {
 public:
  EmulatedBackend(int num_devices, int64_t bytes_per_device, std::string reason) {
    for (int i = 0; i < num_devices; ++i) {
      devices_.push_back({i, "tensord CUDA emulator (host memory, for tests)", bytes_per_device, 9, 0});
      allocators_.push_back(std::make_unique<CachingAllocator>(std::make_unique<CappedHostMemory>(i, bytes_per_device)));
    }
    if (devices_.empty()) reason_ = std::move(reason);
  }

  bool emulated() const override { return true; }
  const Launchers& launchers() const override {
    static const Launchers table = {
#define TENSORD_EMU_LAUNCHER_(name, Args) emu::name,
        TENSORD_FORALL_CUDA_LAUNCHERS(TENSORD_EMU_LAUNCHER_)
#undef TENSORD_EMU_LAUNCHER_
    };
    return table;
  }

  absl::StatusOr<StreamId> NewStream(int) override { return next_stream_.fetch_add(1); }
  void DestroyStream(int, StreamId) override {}
  absl::Status Synchronize(int, StreamId) override { return absl::OkStatus(); }

  absl::Status CopyToDevice(int, void* dst, const void* src, size_t nbytes, StreamId) override {
    if (nbytes > 0) std::memcpy(dst, src, nbytes);
    return absl::OkStatus();
  }
  absl::Status CopyToHost(int, void* dst, const void* src, size_t nbytes, StreamId) override {
    if (nbytes > 0) std::memcpy(dst, src, nbytes);
    return absl::OkStatus();
  }
  absl::Status CopyOnDevice(int, void* dst, const void* src, size_t nbytes, StreamId) override {
    if (nbytes > 0) std::memmove(dst, src, nbytes);
    return absl::OkStatus();
  }
  absl::Status Zero(int, void* dst, size_t nbytes, StreamId) override {
    if (nbytes > 0) std::memset(dst, 0, nbytes);
    return absl::OkStatus();
  }
  absl::Status Gemm(int, const GemmArgs& args, StreamId stream) override {
    return Check(emu::Gemm(args, stream), "gemm");
  }
  absl::Status Check(int error, const char* what) const override {
    if (error == 0) return absl::OkStatus();
    return absl::InternalError(absl::StrCat("CUDA error in ", what, ": emulated launch failed (", error, ")"));
  }

 private:
  std::atomic<StreamId> next_stream_{1};
};

}  // namespace

std::unique_ptr<Backend> MakeEmulatedBackend(int num_devices, int64_t bytes_per_device, std::string reason) {
  return std::make_unique<EmulatedBackend>(num_devices, bytes_per_device, std::move(reason));
}

}  // namespace tensord::engine::cuda
