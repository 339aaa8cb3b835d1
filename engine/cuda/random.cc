// Host side of kernels/random.cu: rand, randn, randint, uniform_, normal_,
// bernoulli_, bernoulli and randperm on cuda tensors.
//
// Note [CUDA random numbers]
//   Cuda random ops draw from Philox4x32-10 (kernels/philox.cuh), a
//   counter-based generator: block n of the stream keyed by the session
//   generator's seed is a pure function of (seed, n). The generator keeps a
//   CUDA offset (random.h) next to its mt19937 state; every launch reserves
//   one block per element (TakeCudaBlocks) and element i uses block
//   offset + i, so results depend only on the seed and the ops run since
//   manual_seed: not on the grid, the stream or the device, and the GPU and
//   the emulator give the same bits (Note [Same bits on GPU and emulator],
//   kernels/fp.cuh). Like PyTorch's, these numbers differ from the CPU
//   generator's (torch.manual_seed(0); torch.rand(3) and torch.rand(3,
//   device='cuda') differ there too); the distributions are the same:
//   uniforms with the type's significand bits (as the CPU's), normals by
//   Box-Muller, bernoulli as uniform < p, randint as draw % range + low.
//   randperm shuffles on the host with draws from the same stream and
//   uploads (n is small next to the kernels' work; PyTorch sorts random keys
//   on the GPU instead).
#include <numeric>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/cpu/kernels.h"
#include "engine/cpu/loops.h"
#include "engine/cuda/kernels.h"
#include "engine/cuda/kernels/philox.cuh"
#include "engine/cuda/runtime.h"
#include "engine/random.h"
#include "engine/status.h"

namespace tensord::engine::cuda {

namespace {

absl::StatusOr<Generator*> Gen(absl::string_view op) {
  Generator* g = CurrentGenerator();
  if (g == nullptr) return absl::FailedPreconditionError(absl::StrCat("[", op, "] no random generator in this context"));
  return g;
}

// Fills `t` (any strides) by `a.kind`, taking the generator's next blocks.
absl::Status Launch(absl::string_view op, const Tensor& t, RandomArgs a) {
  if (t.numel() == 0) return absl::OkStatus();
  TENSORD_ASSIGN_OR_RETURN(Generator * g, Gen(op));
  a.dtype = static_cast<int8_t>(t.dtype());
  a.out = static_cast<char*>(t.raw_data());
  a.numel = t.numel();
  if (t.is_contiguous()) {
    a.ndim = 1;
    a.sizes[0] = t.numel();
    a.strides[0] = 1;
  } else {
    if (t.dim() > kMaxDims) {
      return absl::UnimplementedError(absl::StrCat("[", op, "] more than ", kMaxDims, " dimensions are not supported on cuda"));
    }
    a.ndim = static_cast<int>(t.dim());
    for (int64_t d = 0; d < t.dim(); ++d) {
      a.sizes[d] = t.size(d);
      a.strides[d] = t.strides()[d];
    }
  }
  a.seed = g->cuda_seed();
  a.offset = g->TakeCudaBlocks(static_cast<uint64_t>(a.numel));
  TENSORD_ASSIGN_OR_RETURN(StreamId stream, StreamOf(t));
  return Launch(&Launchers::RandomFill, a, stream, op);
}

RandomArgs Kind(RandomKind kind, double a = 0, double b = 1) {
  RandomArgs r;
  r.kind = kind;
  r.a = a;
  r.b = b;
  return r;
}

}  // namespace

absl::Status RandKernel(const OpCall&, std::vector<Tensor>& out) {
  return Launch("rand", out[0], Kind(kRandUniform, 0.0, 1.0));
}

absl::Status RandnKernel(const OpCall&, std::vector<Tensor>& out) {
  return Launch("randn", out[0], Kind(kRandNormal, 0.0, 1.0));
}

absl::Status RandintKernel(const OpCall& call, std::vector<Tensor>& out) {
  RandomArgs a = Kind(kRandInt);
  a.low = call.GetInt(0);
  a.range = static_cast<uint64_t>(call.GetInt(1)) - static_cast<uint64_t>(a.low);
  return Launch("randint", out[0], a);
}

absl::Status RandomFillKernel(const OpCall& call, std::vector<Tensor>&) {
  const Tensor& self = call.in(0);
  RandomArgs a;
  switch (call.def->id) {
    case OpId::kUniform_: a = Kind(kRandUniform, call.GetFloat(0), call.GetFloat(1)); break;
    case OpId::kNormal_: a = Kind(kRandNormal, call.GetFloat(0), call.GetFloat(1)); break;
    default: a = Kind(kRandBernoulli, call.GetFloat(0)); break;  // bernoulli_
  }
  TENSORD_RETURN_IF_ERROR(Launch(call.def->name, self, a));
  self.storage()->BumpVersion();
  return absl::OkStatus();
}

absl::Status BernoulliKernel(const OpCall& call, std::vector<Tensor>& out) {
  RandomArgs a = Kind(kRandBernoulliTensor);
  a.probs = call.in(0).data<double>();  // contiguous float64 on the device (prepare)
  return Launch("bernoulli", out[0], a);
}

absl::Status RandpermKernel(const OpCall&, std::vector<Tensor>& out) {
  TENSORD_ASSIGN_OR_RETURN(Generator * g, Gen("randperm"));
  const int64_t n = out[0].numel();
  if (n == 0) return absl::OkStatus();
  const uint64_t seed = g->cuda_seed(), offset = g->TakeCudaBlocks(static_cast<uint64_t>(n));
  std::vector<int64_t> r(n);
  std::iota(r.begin(), r.end(), int64_t{0});
  for (int64_t i = 0; i + 1 < n; ++i) {  // Fisher-Yates, draw i from block offset + i
    const emu::Philox4x32 w = emu::PhiloxBlock(seed, offset + static_cast<uint64_t>(i));
    const uint64_t left = static_cast<uint64_t>(n - i);
    const uint64_t draw = left > (uint64_t{1} << 32) ? (static_cast<uint64_t>(w.v[0]) << 32) | w.v[1] : w.v[0];
    std::swap(r[i], r[i + static_cast<int64_t>(draw % left)]);
  }
  Tensor host = Tensor::Empty({n}, out[0].dtype());
  DispatchAll(out[0].dtype(), [&]<typename T>() {  // the CPU kernel's cast
    T* d = host.data<T>();
    for (int64_t i = 0; i < n; ++i) d[i] = static_cast<T>(static_cast<cpu::OpMath<T>>(r[i]));
  });
  return CopyFromHost(out[0], host.raw_data(), host.nbytes());
}

}  // namespace tensord::engine::cuda
