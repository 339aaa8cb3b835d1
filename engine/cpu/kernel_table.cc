// The CPU kernel table (Note [Kernel tables], engine/ops/kernel_list.h).
#include <array>

#include "engine/cpu/kernels.h"
#include "engine/ops/kernel_list.h"

namespace tensord::engine::cpu {

TENSORD_DEFINE_KERNEL_TABLE()

}  // namespace tensord::engine::cpu
