// Fused optimizer steps: one command updates every parameter in place, with
// the arithmetic of PyTorch's single-tensor CPU implementations (including
// where its vectorised kernels fuse a multiply-add), so results agree to
// float rounding. ops/optim.cc validated the tensor lists.
#include <cmath>

#include "engine/cpu/kernels.h"
#include "engine/ops/optim_hparams.h"
#include "engine/cpu/loops.h"

namespace tensord::engine::cpu {

namespace {

// Runs f(param&, grad, state...) elementwise over same-shape tensors.
template <typename T, int N, typename F>
void Update(const std::array<Tensor, N>& t, F f) {
  std::array<char*, N> base;
  std::array<IntSpan, N> strides;
  std::array<int, N> items;
  for (int k = 0; k < N; ++k) {
    base[k] = static_cast<char*>(t[k].raw_data());
    strides[k] = t[k].strides();
    items[k] = sizeof(T);
  }
  ForEach<N>(t[0].sizes(), base, strides, items, [&](char** p, int64_t n, const int64_t* s) {
    for (int64_t i = 0; i < n; ++i) {
      std::array<T*, N> e;
      for (int k = 0; k < N; ++k) e[k] = reinterpret_cast<T*>(p[k] + i * s[k]);
      f(e);
    }
  });
  for (int k = 0; k < N; ++k) {
    if (k != 1) t[k].storage()->BumpVersion();  // all but the gradient change
  }
}

template <typename T>
using Math = std::conditional_t<std::is_same_v<T, double>, double, float>;

// SGD's constants for one parameter, in the element type's math type.
template <typename M>
struct SgdConsts {
  M lr, momentum, wd, damp;
  bool has_wd, has_momentum, nesterov, maximize, first;
};

// One element of SGD (PyTorch's single-tensor update). buf aliases param
// when there is no momentum (and is then not touched).
template <typename T, typename M>
inline void SgdElement(T& p_, const T& g_, T& buf_, const SgdConsts<M>& c) {
  M d = static_cast<M>(g_);
  if (c.maximize) d = -d;
  if (c.has_wd) d = std::fma(c.wd, static_cast<M>(p_), d);
  if (c.has_momentum) {
    M b = c.first ? d : std::fma(c.damp, d, static_cast<M>(static_cast<T>(static_cast<M>(buf_) * c.momentum)));
    buf_ = static_cast<T>(b);
    b = static_cast<M>(buf_);
    d = c.nesterov ? std::fma(c.momentum, b, d) : b;
  }
  p_ = static_cast<T>(std::fma(c.lr, d, static_cast<M>(p_)));
}

__attribute__((target_clones("fma", "default"))) void SgdRun(float* p, const float* g, float* buf, int64_t n,
                                                              const SgdConsts<float>& c) {
  for (int64_t i = 0; i < n; ++i) SgdElement<float, float>(p[i], g[i], buf[i], c);
}
__attribute__((target_clones("fma", "default"))) void SgdRun(double* p, const double* g, double* buf, int64_t n,
                                                              const SgdConsts<double>& c) {
  for (int64_t i = 0; i < n; ++i) SgdElement<double, double>(p[i], g[i], buf[i], c);
}

// Adam's constants for one parameter, in the element type's math type.
template <typename M>
struct AdamConsts {
  M w1, b2, w2, decay, wd, bias2, eps, step;
  bool has_wd, decoupled, amsgrad, maximize;
};

// One element of Adam (PyTorch's single-tensor update, its FMA contractions
// spelled as std::fma). Shared by the strided loop and the contiguous one.
template <typename T, typename M>
inline void AdamElement(T& p_, const T& g_, T& m_, T& v_, T& vmax_, const AdamConsts<M>& c) {
  M grad = static_cast<M>(g_);
  if (c.maximize) grad = -grad;
  M param = static_cast<M>(p_);
  if (c.has_wd) {
    if (c.decoupled) param = static_cast<M>(static_cast<T>(param * c.decay));
    else grad = std::fma(c.wd, param, grad);
  }
  // exp_avg.lerp_(grad, 1 - beta1)
  M ea = static_cast<M>(m_);
  ea = c.w1 < M(0.5) ? std::fma(c.w1, grad - ea, ea) : std::fma(-(M(1) - c.w1), grad - ea, grad);
  m_ = static_cast<T>(ea);
  // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
  M sq = static_cast<M>(static_cast<T>(static_cast<M>(v_) * c.b2));
  sq = std::fma(c.w2, grad * grad, sq);
  v_ = static_cast<T>(sq);
  if (c.amsgrad) {
    M mx = std::max(static_cast<M>(vmax_), static_cast<M>(v_));
    vmax_ = static_cast<T>(mx);
    sq = mx;
  }
  // denom = (sq.sqrt() / bias_correction2_sqrt).add_(eps); param.addcdiv_(exp_avg, denom, -step_size)
  M denom = static_cast<M>(static_cast<T>(std::sqrt(static_cast<M>(static_cast<T>(sq))) / c.bias2)) + c.eps;
  denom = static_cast<M>(static_cast<T>(denom));
  p_ = static_cast<T>(param + c.step * static_cast<M>(m_) / denom);
}

// The contiguous float32/float64 loop, cloned for CPUs with FMA so std::fma
// is one instruction (and the loop vectorises) instead of a libm call; the
// result is the same either way (std::fma is exact by definition).
__attribute__((target_clones("fma", "default"))) void AdamRun(float* p, const float* g, float* m, float* v,
                                                               float* vmax, int64_t n, const AdamConsts<float>& c) {
  for (int64_t i = 0; i < n; ++i) AdamElement<float, float>(p[i], g[i], m[i], v[i], vmax[i], c);
}
__attribute__((target_clones("fma", "default"))) void AdamRun(double* p, const double* g, double* m, double* v,
                                                               double* vmax, int64_t n, const AdamConsts<double>& c) {
  for (int64_t i = 0; i < n; ++i) AdamElement<double, double>(p[i], g[i], m[i], v[i], vmax[i], c);
}

}  // namespace

absl::Status FusedSgdKernel(const OpCall& call, std::vector<Tensor>&) {
  const SgdHparams h = SgdHparamsOf(call);
  const double lr = h.lr, momentum = h.momentum, dampening = h.dampening, wd = h.weight_decay;
  const bool nesterov = h.nesterov, maximize = h.maximize, first = h.first;
  const size_t n = h.num_params;
  for (size_t i = 0; i < n; ++i) {
    const Tensor& p = call.inputs[i];
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    const Tensor buf = momentum != 0 ? call.inputs[n + i] : p;
    DispatchFloating("_fused_sgd_", p.dtype(), [&]<typename T>() {
      using M = Math<T>;
      const SgdConsts<M> c{.lr = static_cast<M>(-lr), .momentum = static_cast<M>(momentum),
                           .wd = static_cast<M>(wd), .damp = static_cast<M>(1 - dampening), .has_wd = wd != 0,
                           .has_momentum = momentum != 0, .nesterov = nesterov, .maximize = maximize,
                           .first = first};
      const std::array<Tensor, 3> t{p, g, buf};
      if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
        if (p.is_contiguous() && g.is_contiguous() && buf.is_contiguous()) {
          ParallelFor(p.numel(), kGrainSize, [&](int64_t b, int64_t e) {
            SgdRun(p.data<T>() + b, g.data<T>() + b, buf.data<T>() + b, e - b, c);
          });
          for (int k : {0, 2}) t[k].storage()->BumpVersion();  // as Update: all but the gradient
          return absl::OkStatus();
        }
      }
      Update<T, 3>(t, [&](std::array<T*, 3> e) { SgdElement<T, M>(*e[0], *e[1], *e[2], c); });
      return absl::OkStatus();
    }).IgnoreError();  // dtypes were validated
  }
  return absl::OkStatus();
}

absl::Status FusedAdamKernel(const OpCall& call, std::vector<Tensor>&) {
  const AdamHparams h = AdamHparamsOf(call);
  const double lr = h.lr, beta1 = h.beta1, beta2 = h.beta2, eps = h.eps, wd = h.weight_decay;
  const double bias2_sqrt = h.bias2_sqrt, step_size = h.step_size;
  const bool amsgrad = h.amsgrad, maximize = h.maximize, decoupled = h.decoupled;
  const size_t n = h.num_params;
  for (size_t i = 0; i < n; ++i) {
    const Tensor& p = call.inputs[i];
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    const Tensor& m = call.inputs[n + i];
    const Tensor& v = call.inputs[2 * n + i];
    const Tensor& vmax = amsgrad ? call.inputs[3 * n + i] : v;
    DispatchFloating("_fused_adam_", p.dtype(), [&]<typename T>() {
      using M = Math<T>;
      const AdamConsts<M> c{.w1 = static_cast<M>(1 - beta1), .b2 = static_cast<M>(beta2),
                            .w2 = static_cast<M>(1 - beta2), .decay = static_cast<M>(1 - lr * wd),
                            .wd = static_cast<M>(wd), .bias2 = static_cast<M>(bias2_sqrt),
                            .eps = static_cast<M>(eps), .step = static_cast<M>(-step_size),
                            .has_wd = wd != 0, .decoupled = decoupled, .amsgrad = amsgrad, .maximize = maximize};
      const std::array<Tensor, 5> t{p, g, m, v, vmax};
      bool contiguous = true;
      for (const Tensor& x : t) contiguous = contiguous && x.is_contiguous();
      if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
        if (contiguous) {  // the usual case: parameters, grads and state are dense
          ParallelFor(p.numel(), kGrainSize, [&](int64_t b, int64_t e) {
            AdamRun(p.data<T>() + b, g.data<T>() + b, m.data<T>() + b, v.data<T>() + b, vmax.data<T>() + b,
                    e - b, c);
          });
          for (int k : {0, 2, 3, 4}) t[k].storage()->BumpVersion();
          return absl::OkStatus();
        }
      }
      Update<T, 5>(t, [&](std::array<T*, 5> e) { AdamElement<T, M>(*e[0], *e[1], *e[2], *e[3], *e[4], c); });
      return absl::OkStatus();
    }).IgnoreError();
  }
  return absl::OkStatus();
}

}  // namespace tensord::engine::cpu
