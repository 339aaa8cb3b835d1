// Fills, strided copies with casts between any dtypes, arange.
#include "engine/cuda/kernels/common.cuh"
#include "engine/cuda/kernels/fp.cuh"

namespace tensord::engine::cuda::TENSORD_KERNEL_NS {

namespace {

template <typename W>
int FillAs(void* dst, int64_t n, uint64_t pattern, StreamId stream) {
  W* p = static_cast<W*>(dst);
  const W value = static_cast<W>(pattern);
  return ParallelFor(n, stream, [=] TD_HD(int64_t i) { p[i] = value; });
}

template <typename Dst, typename Src>
int CopySame(const CopyArgs& a, StreamId stream) {
  const Iter it = a.it;
  return ParallelFor(it.numel, stream, [=] TD_HD(int64_t i) {
    *reinterpret_cast<Dst*>(Address(it, 0, i)) = LoadAs<Src>(it, 1, i);
  });
}

template <typename T>
int ArangeAs(const ArangeArgs& a, StreamId stream) {
  T* out = static_cast<T*>(a.out);
  if constexpr (kIsFloating<T>) {
    const double start = a.start_f, step = a.step_f;
    return ParallelFor(a.n, stream, [=] TD_HD(int64_t i) {
      // Mul: nvcc would fuse start + i * step into one fma, rounding once where
      // the CPU rounds twice (Note [Same bits on GPU and emulator], fp.cuh).
      *(out + i) = Narrow<T>(Wide{true, start + Mul(static_cast<double>(i), step), 0});
    });
  } else {
    const int64_t start = a.start_i, step = a.step_i;
    return ParallelFor(a.n, stream, [=] TD_HD(int64_t i) { *(out + i) = static_cast<T>(start + i * step); });
  }
}

}  // namespace

int Fill(const FillArgs& a, StreamId stream) {
  switch (a.itemsize) {
    case 1: return FillAs<uint8_t>(a.dst, a.n, a.pattern, stream);
    case 2: return FillAs<uint16_t>(a.dst, a.n, a.pattern, stream);
    case 4: return FillAs<uint32_t>(a.dst, a.n, a.pattern, stream);
    case 8: return FillAs<uint64_t>(a.dst, a.n, a.pattern, stream);
    default: return 1;  // cudaErrorInvalidValue
  }
}

int Copy(const CopyArgs& a, StreamId stream) {
  if (a.it.op[1].data == nullptr) return 1;  // by-value scalars are filled, not copied
  const int dst = a.it.op[0].dtype, src = a.it.op[1].dtype;
  if (dst == src) {  // by bits: one kernel per item size serves every dtype exactly
    switch (ItemSize(dst)) {
      case 1: return CopySame<uint8_t, uint8_t>(a, stream);
      case 2: return CopySame<uint16_t, uint16_t>(a, stream);
      case 4: return CopySame<uint32_t, uint32_t>(a, stream);
      default: return CopySame<uint64_t, uint64_t>(a, stream);
    }
  }
  const Iter it = a.it;
  return ParallelFor(it.numel, stream, [=] TD_HD(int64_t i) {
    StoreWide(Address(it, 0, i), it.op[0].dtype, LoadWide(Address(it, 1, i), it.op[1].dtype));
  });
}

int Arange(const ArangeArgs& a, StreamId stream) {
  int err = 0;
  TD_DISPATCH_ALL(a.dtype, err = ArangeAs<TD_T_>(a, stream);)
  return err;
}

}  // namespace tensord::engine::cuda::TENSORD_KERNEL_NS
