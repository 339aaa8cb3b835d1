"""optim.Adam and optim.AdamW: one fused server command per step."""

from .._functions import zeros_like
from .._grad_mode import no_grad
from .._tensor import run_op
from .optimizer import Optimizer

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adam (AdamW with decoupled_weight_decay), PyTorch's update, as `_fused_adam_`.

    State per parameter: step (a Python int), exp_avg, exp_avg_sq and, with
    amsgrad, max_exp_avg_sq (server tensors). See Note [Fused optimizer steps].
    """

    _decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=None):
        if not 0.0 <= float(lr):
            raise ValueError("Invalid learning rate: {}".format(lr))
        if not 0.0 <= eps:
            raise ValueError("Invalid epsilon value: {}".format(eps))
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError("Invalid beta parameter at index 0: {}".format(betas[0]))
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError("Invalid beta parameter at index 1: {}".format(betas[1]))
        if not 0.0 <= weight_decay:
            raise ValueError("Invalid weight_decay value: {}".format(weight_decay))
        if decoupled_weight_decay is None:
            decoupled_weight_decay = self._decoupled
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize, foreach=foreach,
                        capturable=capturable, differentiable=differentiable, fused=fused,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One update of every parameter group (pipelined; returns closure's loss)."""
        loss = self._closure_loss(closure)
        with no_grad():
            for group in self.param_groups:
                params = group["params"]
                if not params:
                    continue
                amsgrad = bool(group["amsgrad"])
                by_step = {}
                for p in params:
                    st = self.state[p]
                    if not st:
                        st["step"] = 0
                        st["exp_avg"] = zeros_like(p)
                        st["exp_avg_sq"] = zeros_like(p)
                    if amsgrad and st.get("max_exp_avg_sq") is None:
                        st["max_exp_avg_sq"] = zeros_like(p)
                    st["step"] = int(st["step"]) + 1
                    by_step.setdefault(st["step"], []).append(p)
                beta1, beta2 = group["betas"]
                attrs = {"lr": float(group["lr"]), "beta1": float(beta1), "beta2": float(beta2),
                         "eps": float(group["eps"]),
                         "weight_decay": float(group["weight_decay"]), "amsgrad": amsgrad,
                         "maximize": bool(group["maximize"]),
                         "decoupled_weight_decay": bool(group["decoupled_weight_decay"])}
                for step, ps in by_step.items():
                    tensors = list(ps)
                    tensors += [self.state[p]["exp_avg"] for p in ps]
                    tensors += [self.state[p]["exp_avg_sq"] for p in ps]
                    if amsgrad:
                        tensors += [self.state[p]["max_exp_avg_sq"] for p in ps]
                    run_op("_fused_adam_", tensors, dict(attrs, step=step))
        return loss


class AdamW(Adam):
    """Adam with decoupled weight decay (default weight_decay=1e-2)."""

    _decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)
