"""optim.SGD: one fused server command per step (Note [Fused optimizer steps])."""

from .._functions import zeros_like
from .._grad_mode import no_grad
from .._tensor import run_op
from .optimizer import Optimizer

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent with momentum, dampening, Nesterov, weight decay, maximize.

    Same update as torch.optim.SGD; runs as `_fused_sgd_` on the server.
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0, nesterov=False,
                 *, maximize=False, foreach=None, differentiable=False, fused=None):
        if lr < 0.0:
            raise ValueError("Invalid learning rate: {}".format(lr))
        if momentum < 0.0:
            raise ValueError("Invalid momentum value: {}".format(momentum))
        if weight_decay < 0.0:
            raise ValueError("Invalid weight_decay value: {}".format(weight_decay))
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize,
                        foreach=foreach, differentiable=differentiable, fused=fused)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def step(self, closure=None):
        """One update of every parameter group (pipelined; returns closure's loss)."""
        loss = self._closure_loss(closure)
        with no_grad():
            for group in self.param_groups:
                params = group["params"]
                if not params:
                    continue
                attrs = {"lr": float(group["lr"]), "momentum": float(group["momentum"]),
                         "dampening": float(group["dampening"]),
                         "weight_decay": float(group["weight_decay"]),
                         "nesterov": bool(group["nesterov"]),
                         "maximize": bool(group["maximize"])}
                if group["momentum"] == 0:
                    run_op("_fused_sgd_", list(params), attrs)
                    continue
                fresh, warm = [], []
                for p in params:
                    st = self.state[p]
                    if st.get("momentum_buffer") is None:
                        st["momentum_buffer"] = zeros_like(p)
                        fresh.append(p)
                    else:
                        warm.append(p)
                for ps, first in ((fresh, True), (warm, False)):
                    if ps:
                        bufs = [self.state[p]["momentum_buffer"] for p in ps]
                        run_op("_fused_sgd_", ps + bufs, dict(attrs, first_step=first))
        return loss
