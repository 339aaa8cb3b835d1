"""tensord.nn.functional (torch.nn.functional), composed from server ops.

Losses follow ATen's formulas (aten/src/ATen/native/Loss*.cpp) so values
match PyTorch up to float rounding; their grad_fn names are those of the
ops they are built from (e.g. DivBackward0 for a mean cross entropy, where
PyTorch shows NllLossBackward0), since the engine has no fused loss ops.
"""

import warnings

from .. import _dtype
from .._grad_mode import no_grad
from .._tensor import run1

__all__ = [
    "relu", "relu_", "relu6", "leaky_relu", "elu", "gelu", "silu", "softplus", "sigmoid",
    "tanh", "hardtanh", "logsigmoid", "softmax", "log_softmax", "softmin", "dropout", "linear",
    "mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "nll_loss", "cross_entropy",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "one_hot", "normalize",
]


# ---------------------------------------------------------------- activations

def relu(input, inplace=False):
    return input.relu_() if inplace else run1("relu", [input])


def relu_(input):
    return input.relu_()


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    return input.clamp_(min_val, max_val) if inplace else input.clamp(min_val, max_val)


def relu6(input, inplace=False):
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    out = run1("where", [run1("gt", [input, 0]), input, input * negative_slope])
    return input.copy_(out) if inplace else out


def elu(input, alpha=1.0, inplace=False):
    out = run1("where", [run1("gt", [input, 0]), input, run1("expm1", [input]) * alpha])
    return input.copy_(out) if inplace else out


def gelu(input, approximate="none"):
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    return run1("gelu", [input], None if approximate == "none" else {"approximate": approximate})


def silu(input, inplace=False):
    out = run1("silu", [input])
    return input.copy_(out) if inplace else out


def softplus(input, beta=1, threshold=20):
    attrs = {}
    if beta != 1:
        attrs["beta"] = beta
    if threshold != 20:
        attrs["threshold"] = threshold
    return run1("softplus", [input], attrs)


def sigmoid(input):
    return run1("sigmoid", [input])


def tanh(input):
    return run1("tanh", [input])


def logsigmoid(input):
    # log(sigmoid(x)) = -softplus(-x), stable for large |x|
    return run1("neg", [run1("softplus", [run1("neg", [input])])])


def _get_softmax_dim(name, ndim, stacklevel=3):
    warnings.warn("Implicit dimension choice for %s has been deprecated. Change the call to "
                  "include dim=X as an argument." % name, UserWarning, stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _get_softmax_dim("softmax", input.dim(), _stacklevel)
    return input.softmax(dim, dtype)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _get_softmax_dim("softmin", input.dim(), _stacklevel)
    return run1("neg", [input]).softmax(dim, dtype)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    if dim is None:
        dim = _get_softmax_dim("log_softmax", input.dim(), _stacklevel)
    return input.log_softmax(dim, dtype)


def dropout(input, p=0.5, training=True, inplace=False):
    """Zeroes elements with probability p, scales the rest by 1/(1-p) (training only).

    As ATen on CPU: noise = empty_like(input).bernoulli_(1 - p).div_(1 - p);
    input * noise -- the same draws from the generator as PyTorch.
    """
    if p < 0.0 or p > 1.0:
        raise ValueError("dropout probability has to be between 0 and 1, but got %s" % p)
    if not training or p == 0:
        return input
    with no_grad():
        if p == 1:
            noise = run1("zeros", [], {"size": [], "dtype": input.dtype,
                                       "device": str(input.device)},
                         session=input._session)
        else:
            noise = run1("empty", [], {"size": list(input.shape), "dtype": input.dtype,
                                       "device": str(input.device)},
                         session=input._session)
            noise._shape = tuple(input.shape)
            noise.bernoulli_(1 - p)
            noise.div_(1 - p)
    return input.mul_(noise) if inplace else run1("mul", [input, noise])


def linear(input, weight, bias=None):
    """input @ weight.T + bias (addmm on the server when it has it and input is 2-D)."""
    session = input._session
    if session.op_info("linear") is not None:
        return run1("linear", [input, weight, bias])
    wt = weight.t()
    if bias is not None and input.dim() == 2 and session.op_info("addmm") is not None:
        return run1("addmm", [bias, input, wt])
    out = run1("matmul", [input, wt])
    if bias is not None:
        out = run1("add", [out, bias])
    return out


# ---------------------------------------------------------------- losses

def _reduction(size_average, reduce, reduction):
    if size_average is None and reduce is None:
        if reduction not in ("none", "mean", "sum"):
            raise ValueError("%s is not a valid value for reduction" % reduction)
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "mean" if (size_average and reduce) else ("sum" if reduce else "none")
    warnings.warn("size_average and reduce args will be deprecated, please use reduction='%s' "
                  "instead." % ret, UserWarning, stacklevel=3)
    return ret


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


def _check_same_size(input, target, name):
    if tuple(target.shape) != tuple(input.shape):
        warnings.warn("Using a target size (%s) that is different to the input size (%s). This "
                      "will likely lead to incorrect results due to broadcasting. Please ensure "
                      "they have the same size." % (target.shape, input.shape), UserWarning,
                      stacklevel=3)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    _check_same_size(input, target, "mse_loss")
    d = run1("sub", [input, target])
    return _reduce(run1("mul", [d, d]), reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    reduction = _reduction(size_average, reduce, reduction)
    _check_same_size(input, target, "l1_loss")
    return _reduce(run1("abs", [run1("sub", [input, target])]), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0):
    _check_same_size(input, target, "huber_loss")
    d = run1("abs", [run1("sub", [input, target])])
    quad = run1("mul", [run1("mul", [d, d]), 0.5])
    lin = run1("mul", [run1("sub", [d, 0.5 * delta]), delta])
    return _reduce(run1("where", [run1("lt", [d, delta]), quad, lin]), reduction)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    reduction = _reduction(size_average, reduce, reduction)
    _check_same_size(input, target, "smooth_l1_loss")
    d = run1("abs", [run1("sub", [input, target])])
    if beta == 0:
        return _reduce(d, reduction)
    quad = run1("div", [run1("mul", [run1("mul", [d, d]), 0.5]), beta])
    lin = run1("sub", [d, 0.5 * beta])
    return _reduce(run1("where", [run1("lt", [d, beta]), quad, lin]), reduction)


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """Negative log likelihood of class indices ``target`` under log-probabilities ``input``.

    input (C), (N, C) or (N, C, d1, ...); target (), (N) or (N, d1, ...) int64.
    mean = sum(-input[n, t_n] * w[t_n]) / sum(w[t_n]) over targets != ignore_index.
    """
    reduction = _reduction(size_average, reduce, reduction)
    ndim = input.dim()
    if ndim < 1:
        raise ValueError("Expected 1 or more dimensions (got %d)" % ndim)
    if target.dtype is not _dtype.int64:
        raise RuntimeError("expected scalar type Long but found %s" % _type_name(target.dtype))
    squeeze = ndim == 1
    if squeeze:
        input, target = input.unsqueeze(0), target.reshape(1)
    ignored = run1("eq", [target, ignore_index])
    safe = run1("masked_fill", [target, ignored], {"value": 0})
    picked = input.gather(1, safe.unsqueeze(1)).squeeze(1)
    w = run1("eq", [ignored, False]).to(input.dtype)
    if weight is not None:
        w = run1("mul", [run1("index", [weight, safe]), w])
    losses = run1("neg", [run1("mul", [picked, w])])
    if reduction == "none":
        return losses.reshape(()) if squeeze else losses
    if reduction == "sum":
        return losses.sum()
    return run1("div", [losses.sum(), w.sum()])


def _type_name(d):
    return {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte",
            "bool": "Bool", "float32": "Float", "float64": "Double", "float16": "Half",
            "bfloat16": "BFloat16"}[d.name]


def _class_view(weight, ndim, class_dim):
    shape = [1] * ndim
    shape[class_dim] = -1
    return weight.reshape(shape)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Cross entropy of logits ``input`` (classes in dim 1, or dim 0 for 1-D input).

    ``target`` holds class indices (int64; ignore_index and weight apply) or
    class probabilities (floating, input's shape). As ATen: log_softmax then
    nll_loss, with label smoothing mixed in as (1 - s) * nll + s / C * smooth.
    """
    reduction = _reduction(size_average, reduce, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError("label_smoothing must be between 0.0 and 1.0. Got: %s"
                           % label_smoothing)
    ndim = input.dim()
    class_dim = 0 if ndim == 1 else 1
    logp = input.log_softmax(class_dim)
    n_classes = input.shape[class_dim]
    if target.dtype.is_floating_point:
        # class probabilities
        if tuple(target.shape) != tuple(input.shape):
            raise RuntimeError("Expected target size %s, got %s" % (input.shape, target.shape))
        t = target
        if label_smoothing > 0:
            t = run1("add", [run1("mul", [target, 1 - label_smoothing]),
                             label_smoothing / n_classes])
        prod = run1("mul", [logp, t])
        if weight is not None:
            prod = run1("mul", [prod, _class_view(weight, ndim, class_dim)])
        if reduction == "mean":
            n = input.numel() // n_classes if n_classes else 0
            return run1("div", [run1("neg", [prod.sum()]), n])
        if reduction == "sum":
            return run1("neg", [prod.sum()])
        return run1("neg", [prod.sum(class_dim)])
    nll = nll_loss(logp, target, weight, ignore_index=ignore_index, reduction=reduction)
    if label_smoothing <= 0:
        return nll
    ignored = run1("eq", [target, ignore_index])
    if weight is not None:
        smooth = run1("neg", [run1("mul", [logp, _class_view(weight, ndim, class_dim)])
                              .sum(class_dim)])
    else:
        smooth = run1("neg", [logp.sum(class_dim)])
    smooth = run1("masked_fill", [smooth, ignored], {"value": 0.0})
    if reduction == "mean":
        kept = run1("eq", [ignored, False])
        if weight is not None:
            safe = run1("masked_fill", [target, ignored], {"value": 0})
            denom = run1("mul", [run1("index", [weight, safe]), kept.to(weight.dtype)]).sum()
        else:
            denom = kept.sum()
        ret = run1("div", [smooth.sum(), denom])
    elif reduction == "sum":
        ret = smooth.sum()
    else:
        ret = smooth
    return run1("add", [run1("mul", [nll, 1 - label_smoothing]),
                        run1("mul", [ret, label_smoothing / n_classes])])


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """-w * (t * log(x) + (1 - t) * log(1 - x)), each log clamped at -100 as in ATen."""
    reduction = _reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError("Using a target size (%s) that is different to the input size (%s) is "
                         "deprecated. Please ensure they have the same size."
                         % (target.shape, input.shape))
    log_x = run1("log", [input]).clamp(min=-100)
    log_1mx = run1("log", [run1("rsub", [input, 1])]).clamp(min=-100)
    loss = run1("neg", [run1("add", [run1("mul", [target, log_x]),
                                     run1("mul", [run1("rsub", [target, 1]), log_1mx])])])
    if weight is not None:
        loss = run1("mul", [loss, weight])
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None,
                                     reduce=None, reduction="mean", pos_weight=None):
    """Sigmoid + binary cross entropy in one stable formula (ATen's):
    (1 - t) * x + lw * (log(exp(-m) + exp(-x - m)) + m), m = max(-x, 0),
    lw = 1 + (pos_weight - 1) * t."""
    reduction = _reduction(size_average, reduce, reduction)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError("Target size (%s) must be the same as input size (%s)"
                         % (target.shape, input.shape))
    neg_x = run1("neg", [input])
    m = neg_x.clamp(min=0)
    neg_m = run1("neg", [m])
    lse = run1("add", [run1("log", [run1("add", [run1("exp", [neg_m]),
                                                  run1("exp", [run1("sub", [neg_x, m])])])]),
                       m])
    base = run1("mul", [run1("rsub", [target, 1]), input])
    if pos_weight is not None:
        lw = run1("add", [run1("mul", [run1("sub", [pos_weight, 1]), target]), 1])
        loss = run1("add", [base, run1("mul", [lw, lse])])
    else:
        loss = run1("add", [base, lse])
    if weight is not None:
        loss = run1("mul", [loss, weight])
    return _reduce(loss, reduction)


# ---------------------------------------------------------------- utilities

def one_hot(tensor, num_classes=-1):
    """int64 one-hot encoding along a new last dim (num_classes=-1: max + 1, a sync point)."""
    if tensor.dtype is not _dtype.int64:
        raise RuntimeError("one_hot is only applicable to index tensor.")
    if num_classes == -1:
        num_classes = int(tensor.max().item()) + 1
    shape = tuple(tensor.shape) + (int(num_classes),)
    with no_grad():
        out = run1("zeros", [], {"size": list(shape), "dtype": _dtype.int64,
                                 "device": str(tensor.device)},
                   session=tensor._session)
        out._shape = shape
        out.scatter_(-1, tensor.unsqueeze(-1), 1)
    return out


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    if out is not None:
        raise NotImplementedError("out= is not supported by tensord yet")
    denom = input.norm(p, dim, keepdim=True).clamp_min(eps).expand_as(input)
    return run1("div", [input, denom])



# ---------------------------------------------------------------- docstrings

# Note [Docstring tables] (in tensord/_tensor.py).
_DOCS = r"""
relu(input, inplace=False) -> Tensor
    ``max(x, 0)`` of each element; ``inplace=True`` writes into ``input``.
relu_(input) -> Tensor
    In-place version of :func:`relu`.
relu6(input, inplace=False) -> Tensor
    ``min(max(x, 0), 6)`` of each element.
leaky_relu(input, negative_slope=0.01, inplace=False) -> Tensor
    ``x`` for positive elements, ``negative_slope * x`` otherwise.
elu(input, alpha=1.0, inplace=False) -> Tensor
    ``x`` for positive elements, ``alpha * (exp(x) - 1)`` otherwise.
gelu(input, approximate='none') -> Tensor
    ``x * Phi(x)`` with Phi the standard normal CDF (computed with erf), or
    its tanh approximation with ``approximate='tanh'``.
silu(input, inplace=False) -> Tensor
    ``x * sigmoid(x)`` of each element (also called swish).
softplus(input, beta=1, threshold=20) -> Tensor
    ``log(1 + exp(beta * x)) / beta`` of each element; where ``beta * x``
    exceeds ``threshold`` the result is ``x`` itself.
sigmoid(input) -> Tensor
    ``1 / (1 + exp(-x))`` of each element.
tanh(input) -> Tensor
    The hyperbolic tangent of each element.
hardtanh(input, min_val=-1., max_val=1., inplace=False) -> Tensor
    Each element clamped to [min_val, max_val].
logsigmoid(input) -> Tensor
    ``log(sigmoid(x))`` of each element, computed stably as ``-softplus(-x)``.
softmax(input, dim=None, _stacklevel=3, dtype=None) -> Tensor
    ``exp(x) / sum(exp(x))`` along ``dim``, so each slice sums to 1.
    Without ``dim`` (deprecated) it picks 0 for 0-, 1- and 3-D input, else 1,
    with a warning.
log_softmax(input, dim=None, _stacklevel=3, dtype=None) -> Tensor
    ``log(softmax(x))`` along ``dim``, computed stably; see :func:`softmax` for ``dim=None``.
softmin(input, dim=None, _stacklevel=3, dtype=None) -> Tensor
    ``softmax(-x)`` along ``dim``.
dropout(input, p=0.5, training=True, inplace=False) -> Tensor
linear(input, weight, bias=None) -> Tensor
    ``input @ weight.T + bias``: weight is (out_features, in_features), bias
    (out_features). One op on the server when it has ``linear``, else addmm
    for 2-D input with a bias, else matmul (+ add).
mse_loss(input, target, size_average=None, reduce=None, reduction='mean') -> Tensor
    The squared differences ``(input - target) ** 2``, averaged (``'mean'``),
    summed (``'sum'``) or returned per element (``'none'``).
    ``size_average`` and ``reduce`` are deprecated spellings of ``reduction``.
l1_loss(input, target, size_average=None, reduce=None, reduction='mean') -> Tensor
    The absolute differences ``|input - target|``, reduced as ``reduction`` says.
smooth_l1_loss(input, target, size_average=None, reduce=None, reduction='mean', beta=1.0) -> Tensor
    ``0.5 * d**2 / beta`` where ``d = |input - target| < beta``, else
    ``d - 0.5 * beta``; reduced as ``reduction`` says.
huber_loss(input, target, reduction='mean', delta=1.0) -> Tensor
    ``0.5 * d**2`` where ``d = |input - target| < delta``, else
    ``delta * (d - 0.5 * delta)``; reduced as ``reduction`` says.
nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction='mean') -> Tensor
cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction='mean', label_smoothing=0.0) -> Tensor
binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None, reduction='mean') -> Tensor
binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None, reduction='mean', pos_weight=None) -> Tensor
one_hot(tensor, num_classes=-1) -> LongTensor
normalize(input, p=2.0, dim=1, eps=1e-12, out=None) -> Tensor
    ``input`` divided by its p-norm along ``dim`` (at least ``eps``), so each
    slice has unit norm. ``out=`` is not supported by tensord.
"""

from .._tensor import _apply_docs  # noqa: E402
import sys as _sys  # noqa: E402

_apply_docs(_sys.modules[__name__], _DOCS)
