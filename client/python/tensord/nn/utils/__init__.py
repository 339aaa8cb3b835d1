"""tensord.nn.utils: gradient clipping and parameter/vector conversion."""

from ..._grad_mode import no_grad
from ..._tensor import Tensor, describe_many, run1

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector",
           "vector_to_parameters"]


def _grads(parameters):
    """The .grad aliases of the parameters that have one (one Describe round trip)."""
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    params = list(parameters)
    if not params:
        return []
    return [run1("grad", [p]) for p, info in zip(params, describe_many(params))
            if info.has_grad]


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    """Scales the gradients in place so their total norm is at most max_norm.

    Returns the total norm (a 0-d tensor) before clipping, as PyTorch does.
    All arithmetic runs on the server; finding which parameters have a
    gradient costs one round trip.
    """
    max_norm = float(max_norm)
    norm_type = float(norm_type)
    grads = _grads(parameters)
    if not grads:
        from ..._functions import tensor
        return tensor(0.0)
    with no_grad():
        if norm_type == float("inf"):
            norms = [run1("amax", [run1("abs", [g])]) for g in grads]
            total = norms[0] if len(norms) == 1 else run1("amax", [run1("stack", norms)])
        else:
            norms = [run1("norm", [g], {"p": norm_type}) for g in grads]
            total = run1("norm", [run1("stack", norms)], {"p": norm_type})
        if error_if_nonfinite and not bool(run1("isfinite", [total]).item()):
            raise RuntimeError("The total norm of order %s for gradients from `parameters` is "
                               "non-finite, so it cannot be clipped. To disable this error and "
                               "scale the gradients by the non-finite norm anyway, set "
                               "`error_if_nonfinite=False`" % norm_type)
        coef = run1("mul", [run1("reciprocal", [run1("add", [total, 1e-6])]), max_norm])
        coef = coef.clamp(max=1.0)
        for g in grads:
            g.mul_(coef)
    return total


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamps every gradient to [-clip_value, clip_value] in place."""
    clip_value = float(clip_value)
    with no_grad():
        for g in _grads(parameters):
            g.clamp_(-clip_value, clip_value)


def parameters_to_vector(parameters):
    """The parameters flattened and concatenated into one 1-D tensor."""
    return run1("cat", [p.reshape(-1) for p in parameters], {"dim": 0})


def vector_to_parameters(vec, parameters):
    """Copies consecutive slices of ``vec`` into the parameters (in place)."""
    if not isinstance(vec, Tensor):
        raise TypeError("expected torch.Tensor, but got: %s" % type(vec).__name__)
    offset = 0
    with no_grad():
        for p in parameters:
            n = p.numel()
            p.copy_(vec.narrow(0, offset, n).view_as(p))
            offset += n
