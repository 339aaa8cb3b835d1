// The CUDA kernel table (Note [Kernel tables], engine/ops/kernel_list.h):
// the same entry points as the CPU's, declared in engine/cuda/kernels.h.
#include <array>

#include "engine/cuda/kernels.h"
#include "engine/ops/kernel_list.h"

namespace tensord::engine::cuda {

TENSORD_DEFINE_KERNEL_TABLE()

}  // namespace tensord::engine::cuda
