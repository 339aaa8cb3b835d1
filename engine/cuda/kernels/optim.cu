// Fused optimizer steps, one launch per parameter: the element updates of
// engine/cpu/optim.cc (SgdElement, AdamElement) in the same order, with the
// same roundings to the parameter's type and the same fused multiply-adds,
// so a cuda step equals the CPU's bit for bit where the CPU's arithmetic is
// IEEE (float32, float64 and the 16-bit floats through float). Products go
// through Mul (Note [Same bits on GPU and emulator], fp.cuh). Host side:
// engine/cuda/optim.cc.
#include "engine/cuda/kernels/common.cuh"
#include "engine/cuda/kernels/fp.cuh"

namespace tensord::engine::cuda::TENSORD_KERNEL_NS {

namespace {

// The CPU's math type: double for double, float for everything else.
template <typename T>
using Math = std::conditional_t<std::is_same_v<T, double>, double, float>;

// static_cast<M>(T) and static_cast<T>(M) of the CPU code.
template <typename T>
TD_HD inline Math<T> Up(T v) {
  return static_cast<Math<T>>(ToMath(v));
}
template <typename T>
TD_HD inline T Down(Math<T> v) {
  return FromMath<T>(static_cast<OpMath<T>>(v));
}
// Rounds to T and back (the CPU's static_cast<M>(static_cast<T>(x))).
template <typename T>
TD_HD inline Math<T> Round(Math<T> v) {
  return Up(Down<T>(v));
}

// cpu::SgdElement.
template <typename T>
TD_HD inline void SgdElement(T& p_, const T& g_, T& buf_, const OptimArgs& c) {
  using M = Math<T>;
  const M lr = static_cast<M>(c.lr), momentum = static_cast<M>(c.momentum), wd = static_cast<M>(c.wd),
          damp = static_cast<M>(c.damp);
  M d = Up(g_);
  if (c.maximize) d = -d;
  if (c.has_wd) d = Fma(wd, Up(p_), d);
  if (c.has_momentum) {
    M b = c.first ? d : Fma(damp, d, Round<T>(Mul(Up(buf_), momentum)));
    buf_ = Down<T>(b);
    b = Up(buf_);
    d = c.nesterov ? Fma(momentum, b, d) : b;
  }
  p_ = Down<T>(Fma(lr, d, Up(p_)));
}

// cpu::AdamElement.
template <typename T>
TD_HD inline void AdamElement(T& p_, const T& g_, T& m_, T& v_, T& vmax_, const OptimArgs& c) {
  using M = Math<T>;
  const M w1 = static_cast<M>(c.w1), b2 = static_cast<M>(c.b2), w2 = static_cast<M>(c.w2),
          decay = static_cast<M>(c.decay), wd = static_cast<M>(c.wd), bias2 = static_cast<M>(c.bias2),
          eps = static_cast<M>(c.eps), step = static_cast<M>(c.step);
  M grad = Up(g_);
  if (c.maximize) grad = -grad;
  M param = Up(p_);
  if (c.has_wd) {
    if (c.decoupled) param = Round<T>(Mul(param, decay));
    else grad = Fma(wd, param, grad);
  }
  // exp_avg.lerp_(grad, 1 - beta1)
  M ea = Up(m_);
  ea = w1 < M(0.5) ? Fma(w1, grad - ea, ea) : Fma(-(M(1) - w1), grad - ea, grad);
  m_ = Down<T>(ea);
  // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
  M sq = Round<T>(Mul(Up(v_), b2));
  sq = Fma(w2, Mul(grad, grad), sq);
  v_ = Down<T>(sq);
  if (c.amsgrad) {
    const M vm = Up(vmax_), vv = Up(v_);
    const M mx = vm < vv ? vv : vm;  // std::max(vmax, v)
    vmax_ = Down<T>(mx);
    sq = mx;
  }
  // denom = (sq.sqrt() / bias_correction2_sqrt).add_(eps); param.addcdiv_(exp_avg, denom, -step_size)
  M denom = Up(Down<T>(Div(Sqrt(Round<T>(sq)), bias2))) + eps;
  denom = Round<T>(denom);
  p_ = Down<T>(param + Div(Mul(step, Up(m_)), denom));
}

template <typename T>
int OptimAs(const OptimArgs& a, StreamId stream) {
  return ParallelFor(a.numel, stream, [=] TD_HD(int64_t i) {
    T* e[5];
    for (int k = 0; k < 5; ++k) e[k] = reinterpret_cast<T*>(a.t[k]) + StridedOffset(a.ndim, a.sizes, a.strides[k], i);
    if (a.kind == kOptimSgd) SgdElement<T>(*e[0], *e[1], *e[2], a);
    else AdamElement<T>(*e[0], *e[1], *e[2], *e[3], *e[4], a);
  });
}

}  // namespace

int FusedOptim(const OptimArgs& a, StreamId stream) {
  if (a.numel == 0) return 0;
  switch (a.dtype) {
    case kFloat16: return OptimAs<Half16>(a, stream);
    case kBFloat16: return OptimAs<BF16>(a, stream);
    case kFloat32: return OptimAs<float>(a, stream);
    case kFloat64: return OptimAs<double>(a, stream);
    default: return 1;  // cudaErrorInvalidValue: ops/optim.cc admits floating parameters only
  }
}

}  // namespace tensord::engine::cuda::TENSORD_KERNEL_NS
