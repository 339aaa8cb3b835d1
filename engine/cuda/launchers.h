// The kernel launchers of the CUDA backend, compiled twice from one source
// (Note [CUDA emulator], runtime.h):
//   gpu::  by nvcc from engine/cuda/kernels/*.cu: real launches on a stream;
//   emu::  by g++ from the same files: the same per-element code run on the
//          host, so the emulated cuda device tests every kernel's index and
//          dtype logic on machines without a GPU.
// Every launcher is `int Name(const Args&, StreamId)` and returns a
// cudaError_t value (0: launched). Launches are asynchronous on the stream;
// the runtime's copies to the host wait for them.
//
// Adding a kernel family = its Args struct in kernel_args.h, one row here,
// the launcher in a kernels/*.cu file, its use in kernel_table.cc.
#pragma once

#include "engine/cuda/kernel_args.h"

#define TENSORD_FORALL_CUDA_LAUNCHERS(X) \
  X(Fill, FillArgs)                      \
  X(Copy, CopyArgs)                      \
  X(Arange, ArangeArgs)                  \
  X(Elementwise, ElementwiseArgs)        \
  X(Gemm, GemmArgs)                      \
  X(Reduce, ReduceArgs)                  \
  X(Softmax, AlongDimArgs)               \
  X(Cumulative, AlongDimArgs)            \
  X(IndexCopy, IndexArgs)                \
  X(GatherScatter, GatherArgs)           \
  X(RandomFill, RandomArgs)              \
  X(FusedOptim, OptimArgs)

namespace tensord::engine::cuda {

#define TENSORD_DECLARE_LAUNCHER_(name, Args) int name(const Args& args, StreamId stream);
namespace gpu {
TENSORD_FORALL_CUDA_LAUNCHERS(TENSORD_DECLARE_LAUNCHER_)
}  // namespace gpu
namespace emu {
TENSORD_FORALL_CUDA_LAUNCHERS(TENSORD_DECLARE_LAUNCHER_)
}  // namespace emu
#undef TENSORD_DECLARE_LAUNCHER_

// One backend's launchers, as a table of function pointers.
struct Launchers {
#define TENSORD_LAUNCHER_FIELD_(name, Args) int (*name)(const Args&, StreamId);
  TENSORD_FORALL_CUDA_LAUNCHERS(TENSORD_LAUNCHER_FIELD_)
#undef TENSORD_LAUNCHER_FIELD_
};

}  // namespace tensord::engine::cuda
