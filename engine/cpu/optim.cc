// Fused optimizer steps: one command updates every parameter in place, with
// the arithmetic of PyTorch's single-tensor CPU implementations (including
// where its vectorised kernels fuse a multiply-add), so results agree to
// float rounding. ops/optim.cc validated the tensor lists.
#include <cmath>

#include "engine/cpu/kernels.h"
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

}  // namespace

absl::Status FusedSgdKernel(const OpCall& call, std::vector<Tensor>&) {
  const double lr = call.GetFloat(0), momentum = call.GetFloat(1), dampening = call.GetFloat(2),
               wd = call.GetFloat(3);
  const bool nesterov = call.GetBool(4), maximize = call.GetBool(5), first = call.GetBool(6);
  const size_t n = momentum != 0 ? call.inputs.size() / 2 : call.inputs.size();
  for (size_t i = 0; i < n; ++i) {
    const Tensor& p = call.inputs[i];
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    const Tensor buf = momentum != 0 ? call.inputs[n + i] : p;
    DispatchFloating("_fused_sgd_", p.dtype(), [&]<typename T>() {
      using M = Math<T>;
      const M m_lr = static_cast<M>(-lr), m_mom = static_cast<M>(momentum), m_wd = static_cast<M>(wd),
              m_damp = static_cast<M>(1 - dampening);
      Update<T, 3>({p, g, buf}, [&](std::array<T*, 3> e) {
        M d = static_cast<M>(*e[1]);
        if (maximize) d = -d;
        if (wd != 0) d = std::fma(m_wd, static_cast<M>(*e[0]), d);
        if (momentum != 0) {
          M b = first ? d : std::fma(m_damp, d, static_cast<M>(static_cast<T>(static_cast<M>(*e[2]) * m_mom)));
          *e[2] = static_cast<T>(b);
          b = static_cast<M>(*e[2]);
          d = nesterov ? std::fma(m_mom, b, d) : b;
        }
        *e[0] = static_cast<T>(std::fma(m_lr, d, static_cast<M>(*e[0])));
      });
      return absl::OkStatus();
    }).IgnoreError();  // dtypes were validated
  }
  return absl::OkStatus();
}

absl::Status FusedAdamKernel(const OpCall& call, std::vector<Tensor>&) {
  const double lr = call.GetFloat(0), beta1 = call.GetFloat(1), beta2 = call.GetFloat(2), eps = call.GetFloat(3),
               wd = call.GetFloat(4);
  const bool amsgrad = call.GetBool(5), maximize = call.GetBool(6);
  const int64_t step = call.GetInt(7);
  const bool decoupled = call.GetBool(8);
  const size_t n = call.inputs.size() / (amsgrad ? 4 : 3);
  // Scalars as PyTorch computes them, in Python (double) arithmetic.
  const double bias1 = 1 - std::pow(beta1, static_cast<double>(step));
  const double bias2_sqrt = std::sqrt(1 - std::pow(beta2, static_cast<double>(step)));
  const double step_size = lr / bias1;
  for (size_t i = 0; i < n; ++i) {
    const Tensor& p = call.inputs[i];
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    const Tensor& m = call.inputs[n + i];
    const Tensor& v = call.inputs[2 * n + i];
    const Tensor& vmax = amsgrad ? call.inputs[3 * n + i] : v;
    DispatchFloating("_fused_adam_", p.dtype(), [&]<typename T>() {
      using M = Math<T>;
      const M w1 = static_cast<M>(1 - beta1), b2 = static_cast<M>(beta2), w2 = static_cast<M>(1 - beta2),
              decay = static_cast<M>(1 - lr * wd), m_wd = static_cast<M>(wd), m_bias2 = static_cast<M>(bias2_sqrt),
              m_eps = static_cast<M>(eps), m_step = static_cast<M>(-step_size);
      Update<T, 5>({p, g, m, v, vmax}, [&](std::array<T*, 5> e) {
        M grad = static_cast<M>(*e[1]);
        if (maximize) grad = -grad;
        M param = static_cast<M>(*e[0]);
        if (wd != 0) {
          if (decoupled) param = static_cast<M>(static_cast<T>(param * decay));
          else grad = std::fma(m_wd, param, grad);
        }
        // exp_avg.lerp_(grad, 1 - beta1)
        M ea = static_cast<M>(*e[2]);
        ea = w1 < M(0.5) ? std::fma(w1, grad - ea, ea) : std::fma(-(M(1) - w1), grad - ea, grad);
        *e[2] = static_cast<T>(ea);
        // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
        M sq = static_cast<M>(static_cast<T>(static_cast<M>(*e[3]) * b2));
        sq = std::fma(w2, grad * grad, sq);
        *e[3] = static_cast<T>(sq);
        if (amsgrad) {
          M mx = std::max(static_cast<M>(*e[4]), static_cast<M>(*e[3]));
          *e[4] = static_cast<T>(mx);
          sq = mx;
        }
        // denom = (sq.sqrt() / bias_correction2_sqrt).add_(eps); param.addcdiv_(exp_avg, denom, -step_size)
        M denom = static_cast<M>(static_cast<T>(std::sqrt(static_cast<M>(static_cast<T>(sq))) / m_bias2)) + m_eps;
        denom = static_cast<M>(static_cast<T>(denom));
        *e[0] = static_cast<T>(param + m_step * static_cast<M>(*e[2]) / denom);
      });
      return absl::OkStatus();
    }).IgnoreError();
  }
  return absl::OkStatus();
}

}  // namespace tensord::engine::cpu
