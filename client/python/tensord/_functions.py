"""Module-level functions of ``tensord`` (torch.tensor, torch.zeros, torch.add, ...)."""

import numbers
import warnings

import numpy as np

from . import _dtype
from ._device import canonical as _canon_device
from ._session import default_session, pb
from ._tensor import Tensor, _reduce_attrs, _shape_args, create_from_array, run1

__all__ = [
    "tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "arange", "rand",
    "randn", "randint", "zeros_like", "ones_like", "full_like", "empty_like", "rand_like",
    "randn_like", "manual_seed", "seed", "initial_seed", "Generator", "is_tensor", "numel",
    "is_floating_point", "get_default_dtype", "add", "sub", "subtract", "mul", "multiply",
    "div", "divide", "true_divide", "pow", "neg", "negative", "exp", "log", "sin", "cos",
    "relu", "sigmoid", "sum", "mean", "matmul", "mm", "mv", "dot", "bmm", "transpose",
    "swapaxes", "t", "reshape", "flatten", "squeeze", "unsqueeze", "permute", "clone",
    "detach", "eq", "ne", "lt", "le", "gt", "ge", "not_equal", "less", "less_equal",
    "greater", "greater_equal", "abs", "absolute", "sign", "sqrt", "rsqrt", "expm1", "log1p",
    "log2", "tan", "tanh", "erf", "floor", "ceil", "round", "trunc", "fix", "reciprocal",
    "cat", "concat", "concatenate", "stack", "where", "clamp", "clip", "maximum", "minimum",
    "masked_fill", "select", "narrow",
]


# ---------------------------------------------------------------- creation from data

def _infer_array(data, dtype):
    """(NumPy array, tensord dtype) for torch.tensor(data, dtype=dtype)."""
    d = _dtype.canonical(dtype)
    if isinstance(data, np.ndarray) or isinstance(data, np.generic):
        arr = np.asarray(data)
        if d is None:
            d = _dtype.from_numpy_dtype(arr.dtype)
    else:
        try:
            arr = np.array(data)
        except ValueError as e:
            raise ValueError("could not convert data to a tensor: %s" % e) from None
        if arr.dtype == object:
            raise TypeError("could not infer dtype of %s (nested sequences must be "
                            "rectangular lists of numbers)" % type(data).__name__)
        if d is None:
            kind = arr.dtype.kind
            if kind == "b":
                d = _dtype.bool_
            elif kind in "iu":
                d = _dtype.int64
            elif kind == "f":
                # Python floats are float32 (the default dtype); float tensors keep theirs.
                d = _dtype.from_numpy_dtype(arr.dtype) if _has_tensor(data) \
                    else _dtype.DEFAULT_FLOAT
            else:
                raise TypeError("could not infer a tensord dtype for %s data" % arr.dtype)
    if arr.dtype.kind == "c":
        raise TypeError("complex tensors are not supported by tensord")
    return _dtype.round_to(arr, d), d


def _has_tensor(data):
    while isinstance(data, (list, tuple)) and data:
        data = data[0]
    return isinstance(data, Tensor)


def tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """Creates a tensor on the server from a list, tuple, NumPy array or number (copies)."""
    if isinstance(data, Tensor):
        warnings.warn("To copy construct from a tensor, it is recommended to use "
                      "sourceTensor.clone().detach()", UserWarning, stacklevel=2)
        out = data.detach().clone()
        if dtype is not None or device is not None:
            out = out.to(dtype=dtype, device=device)
        if requires_grad:
            out.requires_grad_()
        return out
    arr, d = _infer_array(data, dtype)
    return create_from_array(arr, d, requires_grad, device)


def as_tensor(data, dtype=None, device=None):
    if isinstance(data, Tensor):
        return data.to(dtype=dtype, device=device)
    return tensor(data, dtype=dtype, device=device)


_from_numpy_warned = False


def from_numpy(ndarray):
    """Creates a tensor from a NumPy array by COPYING it to the server.

    Unlike torch.from_numpy, the result does not share memory with the array:
    the tensor lives in the tensord server, so later writes to the array do not
    show in the tensor and vice versa. (A UserWarning says so once per process.)
    """
    global _from_numpy_warned
    if not isinstance(ndarray, np.ndarray):
        raise TypeError("expected np.ndarray (got %s)" % type(ndarray).__name__)
    if not _from_numpy_warned:
        _from_numpy_warned = True
        warnings.warn("tensord.from_numpy copies the array to the server: the tensor does not "
                      "share memory with the NumPy array", UserWarning, stacklevel=2)
    d = _dtype.from_numpy_dtype(ndarray.dtype)
    return create_from_array(ndarray, d)


# ---------------------------------------------------------------- factories

def _size_from(args, size):
    if size is not None:
        if args:
            raise TypeError("size given both positionally and as a keyword")
        return _shape_args((size,))
    return _shape_args(args)


def _factory(name, size, dtype, device, requires_grad, extra=None):
    d = _dtype.canonical(dtype)
    dev = _canon_device(device)
    attrs = {"size": list(size)}
    if extra:
        attrs.update(extra)
    attrs["dtype"] = d
    if dev is not None:
        attrs["device"] = dev
    out = run1(name, [], attrs, session=default_session())
    out._shape, out._dtype, out._contig = tuple(size), d, True
    if dev is None or dev == "cpu" or ":" in dev:
        out._device = dev or "cpu"
    if requires_grad:
        out.requires_grad_(True)
    return out


def _float_dtype(dtype):
    return _dtype.canonical(dtype) or _dtype.DEFAULT_FLOAT


def zeros(*size_args, size=None, out=None, dtype=None, layout=None, device=None,
          requires_grad=False):
    """Tensor of zeros; sizes as varargs or a tuple."""
    _no_out(out)
    return _factory("zeros", _size_from(size_args, size), _float_dtype(dtype), device,
                    requires_grad)


def ones(*size_args, size=None, out=None, dtype=None, layout=None, device=None,
         requires_grad=False):
    _no_out(out)
    return _factory("ones", _size_from(size_args, size), _float_dtype(dtype), device,
                    requires_grad)


def empty(*size_args, size=None, out=None, dtype=None, layout=None, device=None,
          requires_grad=False, memory_format=None):
    _no_out(out)
    return _factory("empty", _size_from(size_args, size), _float_dtype(dtype), device,
                    requires_grad)


def rand(*size_args, size=None, generator=None, out=None, dtype=None, layout=None,
         device=None, requires_grad=False):
    """Uniform [0, 1) samples from the session's generator (see manual_seed)."""
    _no_generator(generator)
    _no_out(out)
    return _factory("rand", _size_from(size_args, size), _float_dtype(dtype), device,
                    requires_grad)


def randn(*size_args, size=None, generator=None, out=None, dtype=None, layout=None,
          device=None, requires_grad=False):
    """Standard normal samples from the session's generator (see manual_seed)."""
    _no_generator(generator)
    _no_out(out)
    return _factory("randn", _size_from(size_args, size), _float_dtype(dtype), device,
                    requires_grad)


def full(size, fill_value, *, out=None, dtype=None, layout=None, device=None,
         requires_grad=False):
    """Tensor filled with ``fill_value``; dtype inferred from it (bool/int64/float32)."""
    _no_out(out)
    d = _dtype.canonical(dtype) or _scalar_dtype(fill_value)
    return _factory("full", _shape_args((size,)), d, device, requires_grad,
                    {"fill_value": fill_value})


def _scalar_dtype(v):
    if isinstance(v, (bool, np.bool_)):
        return _dtype.bool_
    if isinstance(v, numbers.Integral):
        return _dtype.int64
    return _dtype.DEFAULT_FLOAT


def arange(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
           requires_grad=False):
    """Values from start to end (exclusive) by step: arange(end), arange(start, end[, step])."""
    _no_out(out)
    if end is None:
        start, end = 0, start
    all_int = all(isinstance(v, numbers.Integral) and not isinstance(v, bool)
                  for v in (start, end, step))
    d = _dtype.canonical(dtype) or (_dtype.int64 if all_int else _dtype.DEFAULT_FLOAT)
    dev = _canon_device(device)
    attrs = {"start": start, "end": end, "step": step, "dtype": d}
    if dev is not None:
        attrs["device"] = dev
    out_t = run1("arange", [], attrs, session=default_session())
    out_t._dtype, out_t._contig = d, True
    if all_int and step != 0:
        out_t._shape = (max(0, -((start - end) // step)),)  # ceil((end - start) / step)
    if dev is None or dev == "cpu" or ":" in dev:
        out_t._device = dev or "cpu"
    if requires_grad:
        out_t.requires_grad_(True)
    return out_t


def randint(*args, size=None, low=None, high=None, generator=None, out=None, dtype=None,
            layout=None, device=None, requires_grad=False):
    """randint(high, size) / randint(low, high, size): integers in [low, high); int64."""
    _no_generator(generator)
    _no_out(out)
    args = list(args)
    if size is None and args and not isinstance(args[-1], numbers.Integral):
        size = args.pop()
    if len(args) == 2:
        low, high = args
    elif len(args) == 1:
        if high is None:
            high = args[0]
        else:
            low = args[0]
    elif args:
        raise TypeError("randint() takes (high, size) or (low, high, size)")
    if high is None or size is None:
        raise TypeError("randint() missing required arguments 'high' and/or 'size'")
    d = _dtype.canonical(dtype) or _dtype.int64
    return _factory("randint", _shape_args((size,)), d, device, requires_grad,
                    {"low": int(low or 0), "high": int(high)})


def _like(name, input, dtype, device, requires_grad, extra=None):
    d = _dtype.canonical(dtype) or input.dtype
    dev = device if device is not None else input._meta()._device
    return _factory(name, input.shape, d, dev, requires_grad, extra)


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):
    return _like("zeros", input, dtype, device, requires_grad)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    return _like("ones", input, dtype, device, requires_grad)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):
    return _like("empty", input, dtype, device, requires_grad)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    return _like("full", input, dtype, device, requires_grad, {"fill_value": fill_value})


def rand_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    return _like("rand", input, dtype, device, requires_grad)


def randn_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):
    return _like("randn", input, dtype, device, requires_grad)


def _no_out(out):
    if out is not None:
        raise NotImplementedError("out= is not supported by tensord yet")


def _no_generator(generator):
    if generator is not None and not isinstance(generator, Generator):
        raise TypeError("generator must be a tensord.Generator")


# ---------------------------------------------------------------- random seed

class Generator:
    """The session's random generator (what torch.manual_seed returns)."""

    def __init__(self, device="cpu", session=None):
        self.device = device
        self._session = session
        self._seed = 67280421310721  # PyTorch's default CPU seed

    def manual_seed(self, seed):
        seed = int(seed)
        if not -0x8000_0000_0000_0000 <= seed <= 0xFFFF_FFFF_FFFF_FFFF:
            raise RuntimeError("Overflow when unpacking long")
        if seed < 0:
            seed = 0xFFFF_FFFF_FFFF_FFFF + seed
        s = self._session or default_session()
        s.enqueue(pb.Command(manual_seed=pb.ManualSeedCommand(seed=seed)), "manual_seed")
        self._seed = seed
        return self

    def initial_seed(self):
        return self._seed

    def __repr__(self):
        return "<tensord.Generator object at %#x>" % id(self)


default_generator = Generator()


def manual_seed(seed):
    """Seeds the session's generator (same seed, same numbers, as in PyTorch on CPU)."""
    return default_generator.manual_seed(seed)


def seed():
    import secrets
    s = secrets.randbits(63)
    default_generator.manual_seed(s)
    return s


def initial_seed():
    return default_generator.initial_seed()


# ---------------------------------------------------------------- function forms

def is_tensor(obj):
    return isinstance(obj, Tensor)


def numel(input):
    return input.numel()


def is_floating_point(input):
    return input.is_floating_point()


def get_default_dtype():
    return _dtype.DEFAULT_FLOAT


def add(input, other, *, alpha=1, out=None):
    _no_out(out)
    return run1("add", [input, other], None if alpha == 1 else {"alpha": alpha})


def sub(input, other, *, alpha=1, out=None):
    _no_out(out)
    return run1("sub", [input, other], None if alpha == 1 else {"alpha": alpha})


subtract = sub


def mul(input, other, *, out=None):
    _no_out(out)
    return run1("mul", [input, other])


multiply = mul


def div(input, other, *, rounding_mode=None, out=None):
    _no_out(out)
    if rounding_mode is not None:
        raise NotImplementedError("div(rounding_mode=...) is not supported by tensord yet")
    return run1("div", [input, other])


divide = true_divide = div


def pow(input, exponent, *, out=None):  # noqa: A001 - torch's name
    _no_out(out)
    return run1("pow", [input, exponent])


def _unary(name):
    def fn(input, *, out=None):
        _no_out(out)
        return run1(name, [input])
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = "torch.%s(input): elementwise, on the server." % name
    return fn


neg = negative = _unary("neg")
exp = _unary("exp")
log = _unary("log")
sin = _unary("sin")
cos = _unary("cos")
relu = _unary("relu")
sigmoid = _unary("sigmoid")
abs = absolute = _unary("abs")  # noqa: A001 - torch's name
sign = _unary("sign")
sqrt = _unary("sqrt")
rsqrt = _unary("rsqrt")
expm1 = _unary("expm1")
log1p = _unary("log1p")
log2 = _unary("log2")
tan = _unary("tan")
tanh = _unary("tanh")
erf = _unary("erf")
floor = _unary("floor")
ceil = _unary("ceil")
round = _unary("round")  # noqa: A001 - torch's name
trunc = fix = _unary("trunc")
reciprocal = _unary("reciprocal")


def _comparison(name):
    def fn(input, other, *, out=None):
        _no_out(out)
        return run1(name, [input, other])
    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = "torch.%s(input, other): elementwise comparison (bool result)." % name
    return fn


eq = _comparison("eq")
ne = not_equal = _comparison("ne")
lt = less = _comparison("lt")
le = less_equal = _comparison("le")
gt = greater = _comparison("gt")
ge = greater_equal = _comparison("ge")


def cat(tensors, dim=0, *, out=None):
    """Concatenates tensors along ``dim`` (dtypes promote)."""
    _no_out(out)
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    return run1("cat", tensors, {"dim": dim})


concat = concatenate = cat


def stack(tensors, dim=0, *, out=None):
    """Joins equal-shaped tensors along a new dimension ``dim``."""
    _no_out(out)
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    return run1("stack", tensors, {"dim": dim})


def where(condition, input, other):
    """Elementwise ``input if condition else other`` (numbers allowed)."""
    return run1("where", [condition, input, other])


def clamp(input, min=None, max=None, *, out=None):  # noqa: A002 - torch's names
    _no_out(out)
    return input.clamp(min, max)


clip = clamp


def maximum(input, other, *, out=None):
    _no_out(out)
    return run1("maximum", [input, other])


def minimum(input, other, *, out=None):
    _no_out(out)
    return run1("minimum", [input, other])


def masked_fill(input, mask, value):
    return input.masked_fill(mask, value)


def select(input, dim, index):
    return input.select(dim, index)


def narrow(input, dim, start, length):
    return input.narrow(dim, start, length)


def sum(input, dim=None, keepdim=False, *, dtype=None, out=None):  # noqa: A001
    _no_out(out)
    return run1("sum", [input], _reduce_attrs(dim, keepdim, dtype))


def mean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    _no_out(out)
    return run1("mean", [input], _reduce_attrs(dim, keepdim, dtype))


def matmul(input, other, *, out=None):
    _no_out(out)
    return run1("matmul", [input, other])


def mm(input, mat2, *, out=None):
    _no_out(out)
    return run1("mm", [input, mat2])


def mv(input, vec, *, out=None):
    _no_out(out)
    return run1("mv", [input, vec])


def dot(input, other, *, out=None):
    _no_out(out)
    return run1("dot", [input, other])


def bmm(input, mat2, *, out=None):
    _no_out(out)
    return run1("bmm", [input, mat2])


def transpose(input, dim0, dim1):
    return input.transpose(dim0, dim1)


swapaxes = transpose


def t(input):
    return input.t()


def reshape(input, shape):
    return input.reshape(shape)


def flatten(input, start_dim=0, end_dim=-1):
    return input.flatten(start_dim, end_dim)


def squeeze(input, dim=None):
    return input.squeeze(dim)


def unsqueeze(input, dim):
    return input.unsqueeze(dim)


def permute(input, dims):
    return input.permute(dims)


def clone(input):
    return input.clone()


def detach(input):
    return input.detach()

