// Indexing kernels: advanced indexing (index / index_put, with accumulate),
// gather, scatter and scatter_add. Host side: engine/cuda/index.cc.
//
// Out-of-range indices never touch memory: the thread skips its element and
// lowers *error to its position (Note [Index bounds on the device],
// cuda/index.cc). Copies move raw bits (one kernel per item size serves every
// dtype); accumulation goes through AtomicAdd below.
#include "engine/cuda/kernels/common.cuh"

namespace tensord::engine::cuda::TENSORD_KERNEL_NS {

namespace {

// ---------------------------------------------------------------- atomics

// *error = min(*error, pos).
TD_HD inline void RecordError(unsigned long long* error, unsigned long long pos) {
#if defined(__CUDA_ARCH__)
  atomicMin(error, pos);
#else
  if (pos < *error) *error = pos;  // the emulator runs one element at a time
#endif
}

// x + y as the CPU kernels add two elements (cpu::AddInPlace, scatter_add):
// in OpMath, rounded back; bool is logical or; narrow integers wrap.
template <typename T>
TD_HD inline T AddValues(T x, T y) {
  if constexpr (std::is_same_v<T, bool>) return x || y;
  else return FromMath<T>(static_cast<OpMath<T>>(ToMath(x) + ToMath(y)));
}

#if defined(__CUDA_ARCH__)
// The bits of a 1- or 2-byte element, and back.
template <typename T>
__device__ inline uint32_t SubwordBits(T v) {
  if constexpr (kIsFloat16<T>) return v.bits;
  else if constexpr (sizeof(T) == 1) return static_cast<uint8_t>(v);
  else return static_cast<uint16_t>(v);
}
template <typename T>
__device__ inline T SubwordValue(uint32_t bits) {
  if constexpr (kIsFloat16<T>) return T{static_cast<uint16_t>(bits)};
  else if constexpr (std::is_same_v<T, bool>) return bits != 0;
  else if constexpr (sizeof(T) == 1) return static_cast<T>(static_cast<uint8_t>(bits));
  else return static_cast<T>(static_cast<uint16_t>(bits));
}
#endif

// *p = AddValues(*p, v), atomically on the GPU: the hardware's atomicAdd for
// int32, int64 (two's complement: unsigned addition is the same bits),
// float32 and float64; a compare-and-swap loop on the aligned 32-bit word
// holding the element for bool, 8- and 16-bit integers and the 16-bit floats
// (the neighbouring bytes of the word are kept as they are). The emulator
// runs elements one at a time and just adds.
template <typename T>
TD_HD inline void AtomicAdd(T* p, T v) {
#if defined(__CUDA_ARCH__)
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, int32_t>) {
    atomicAdd(p, v);
  } else if constexpr (std::is_same_v<T, int64_t>) {
    atomicAdd(reinterpret_cast<unsigned long long*>(p), static_cast<unsigned long long>(v));
  } else {
    static_assert(sizeof(T) <= 2, "wider types use the hardware atomics above");
    const uintptr_t addr = reinterpret_cast<uintptr_t>(p);
    unsigned int* word = reinterpret_cast<unsigned int*>(addr & ~uintptr_t{3});
    const unsigned int shift = static_cast<unsigned int>(addr & 3) * 8;
    const unsigned int mask = ((sizeof(T) == 1 ? 0xffu : 0xffffu) << shift);
    unsigned int old = *word, assumed;
    do {
      assumed = old;
      const T sum = AddValues(SubwordValue<T>((assumed & mask) >> shift), v);
      const unsigned int updated = (assumed & ~mask) | ((SubwordBits(sum) << shift) & mask);
      old = atomicCAS(word, assumed, updated);
    } while (assumed != old);
  }
#else
  *p = AddValues(*p, v);
#endif
}

// ---------------------------------------------------------------- index / index_put

// The element offset of self that B-position b selects (0 <= b < numel_b),
// or -1 after recording the first bad index.
TD_HD inline int64_t IndexedOffset(const IndexArgs& a, int64_t b) {
  int64_t pos[kMaxDims];
  int64_t rem = b;
  for (int d = a.nb - 1; d >= 0; --d) {
    pos[d] = rem % a.b_sizes[d];
    rem /= a.b_sizes[d];
  }
  int64_t off = 0;
  for (int k = 0; k < a.nidx; ++k) {
    int64_t e = 0;
    for (int d = 0; d < a.nb; ++d) e += pos[d] * a.idx_strides[k][d];
    int64_t v = a.idx[k][e];
    const int64_t size = a.dim_size[k];
    if (v < -size || v >= size) {
      RecordError(a.error, static_cast<unsigned long long>(b) * a.nidx + k);
      return -1;
    }
    if (v < 0) v += size;
    off += v * a.dim_stride[k];
  }
  return off;
}

// res's offset of (b, r) and self's offset of rest element r.
TD_HD inline int64_t ResOffset(const IndexArgs& a, int64_t b, int64_t r) {
  return StridedOffset(a.nrest, a.rest_sizes, a.res_rest_strides, r) + StridedOffset(a.nb, a.b_sizes, a.res_b_strides, b);
}
TD_HD inline int64_t SelfRestOffset(const IndexArgs& a, int64_t r) {
  return StridedOffset(a.nrest, a.rest_sizes, a.self_rest_strides, r);
}

// Copies between self's indexed positions and res, by bits (W: one item).
template <typename W>
int IndexCopyAs(const IndexArgs& a, StreamId stream) {
  W* self = reinterpret_cast<W*>(a.self);
  W* res = reinterpret_cast<W*>(a.res);
  const bool to_self = a.mode == kIndexPut;
  const int64_t nr = a.numel_rest > 0 ? a.numel_rest : 1;  // empty rest: still check every index
  return ParallelFor(a.numel_b * nr, stream, [=] TD_HD(int64_t i) {
    const int64_t b = i / nr, r = i % nr;
    const int64_t off = IndexedOffset(a, b);
    if (off < 0 || a.numel_rest == 0) return;
    W* s = self + off + SelfRestOffset(a, r);
    W* x = res + ResOffset(a, b, r);
    if (to_self) *s = *x;
    else *x = *s;
  });
}

template <typename T>
int IndexAccumulateAs(const IndexArgs& a, StreamId stream) {
  T* self = reinterpret_cast<T*>(a.self);
  const T* res = reinterpret_cast<const T*>(a.res);
  const int64_t nr = a.numel_rest > 0 ? a.numel_rest : 1;
  return ParallelFor(a.numel_b * nr, stream, [=] TD_HD(int64_t i) {
    const int64_t b = i / nr, r = i % nr;
    const int64_t off = IndexedOffset(a, b);
    if (off < 0 || a.numel_rest == 0) return;
    AtomicAdd(self + off + SelfRestOffset(a, r), res[ResOffset(a, b, r)]);
  });
}

// ---------------------------------------------------------------- gather / scatter

// Offsets of index element i (row-major) in index, dst and src.
struct GatherOffsets {
  int64_t index, dst, src;
};
TD_HD inline GatherOffsets OffsetsOf(const GatherArgs& a, int64_t i) {
  GatherOffsets o{0, 0, 0};
  for (int d = a.ndim - 1; d >= 0; --d) {
    const int64_t p = i % a.sizes[d];
    i /= a.sizes[d];
    o.index += p * a.index_strides[d];
    o.dst += p * a.dst_strides[d];
    o.src += p * a.src_strides[d];
  }
  return o;
}

// The checked index value at element i, or -1 after recording it.
TD_HD inline int64_t CheckedIndex(const GatherArgs& a, int64_t i, int64_t index_offset) {
  const int64_t v = a.index[index_offset];
  if (v < 0 || v >= a.dim_size) {  // gather and scatter do not wrap negative indices
    RecordError(a.error, static_cast<unsigned long long>(i));
    return -1;
  }
  return v;
}

template <typename W>
int GatherScatterCopyAs(const GatherArgs& a, StreamId stream) {
  W* dst = reinterpret_cast<W*>(a.dst);
  const W* src = reinterpret_cast<const W*>(a.src);
  const W value = static_cast<W>(a.value);
  const bool gather = a.mode == kGather;
  return ParallelFor(a.numel, stream, [=] TD_HD(int64_t i) {
    const GatherOffsets o = OffsetsOf(a, i);
    const int64_t v = CheckedIndex(a, i, o.index);
    if (v < 0) return;
    if (gather) dst[o.dst] = src[o.src + v * a.dim_stride];
    else dst[o.dst + v * a.dim_stride] = src != nullptr ? src[o.src] : value;
  });
}

template <typename T>
int ScatterAddAs(const GatherArgs& a, StreamId stream) {
  T* dst = reinterpret_cast<T*>(a.dst);
  const T* src = reinterpret_cast<const T*>(a.src);
  return ParallelFor(a.numel, stream, [=] TD_HD(int64_t i) {
    const GatherOffsets o = OffsetsOf(a, i);
    const int64_t v = CheckedIndex(a, i, o.index);
    if (v < 0) return;
    AtomicAdd(dst + o.dst + v * a.dim_stride, src[o.src]);
  });
}

}  // namespace

int IndexCopy(const IndexArgs& a, StreamId stream) {
  if (a.numel_b == 0) return 0;
  if (a.mode == kIndexAccumulate) {
    int err = 0;
    TD_DISPATCH_ALL(a.dtype, err = IndexAccumulateAs<TD_T_>(a, stream);)
    return err;
  }
  switch (ItemSize(a.dtype)) {
    case 1: return IndexCopyAs<uint8_t>(a, stream);
    case 2: return IndexCopyAs<uint16_t>(a, stream);
    case 4: return IndexCopyAs<uint32_t>(a, stream);
    default: return IndexCopyAs<uint64_t>(a, stream);
  }
}

int GatherScatter(const GatherArgs& a, StreamId stream) {
  if (a.numel == 0) return 0;
  if (a.mode == kScatterAdd) {
    if (a.src == nullptr) return 1;  // cudaErrorInvalidValue: scatter_add always has a src
    int err = 0;
    TD_DISPATCH_ALL(a.dtype, err = ScatterAddAs<TD_T_>(a, stream);)
    return err;
  }
  switch (ItemSize(a.dtype)) {
    case 1: return GatherScatterCopyAs<uint8_t>(a, stream);
    case 2: return GatherScatterCopyAs<uint16_t>(a, stream);
    case 4: return GatherScatterCopyAs<uint32_t>(a, stream);
    default: return GatherScatterCopyAs<uint64_t>(a, stream);
  }
}

}  // namespace tensord::engine::cuda::TENSORD_KERNEL_NS
