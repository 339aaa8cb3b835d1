"""Module-level functions of ``tensord`` (torch.tensor, torch.zeros, torch.add, ...)."""

import builtins
import numbers
import warnings

import numpy as np

from . import _dtype
from . import _memory_format
from ._device import canonical as _canon_device
from ._session import default_session
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
    "cat", "concat", "concatenate", "stack", "hstack", "vstack", "row_stack", "where", "clamp",
    "clip", "maximum", "minimum", "masked_fill", "select", "narrow",
    "prod", "amax", "amin", "max", "min", "all", "any", "argmax", "argmin", "softmax",
    "log_softmax", "cumsum", "cumprod", "var", "std", "var_mean", "std_mean", "logsumexp", "norm",
    "index_select", "gather", "scatter", "scatter_add", "index_put", "nonzero", "masked_select",
    "take", "bernoulli", "randperm", "normal", "unflatten", "split", "chunk", "unbind", "tile",
    "broadcast_shapes", "broadcast_to", "broadcast_tensors", "rsub", "square", "outer", "ger",
    "addmm", "isnan", "isinf", "isfinite", "logical_not", "logical_and", "logical_or",
    "logical_xor", "equal", "isclose", "allclose", "linspace", "eye", "floor_divide",
    "remainder", "fmod", "nan_to_num", "bitwise_not", "bitwise_and", "bitwise_or",
    "bitwise_xor", "baddbmm", "einsum",
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


def _factory(name, size, dtype, device, requires_grad, extra=None, session=None):
    d = _dtype.canonical(dtype)
    dev = _canon_device(device)
    attrs = {"size": list(size)}
    if extra:
        attrs.update(extra)
    attrs["dtype"] = d
    if dev is not None:
        attrs["device"] = dev
    out = run1(name, [], attrs, session=session or default_session())
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
    all_int = builtins.all(isinstance(v, numbers.Integral) and not isinstance(v, bool)
                  for v in (start, end, step))
    d = _dtype.canonical(dtype) or (_dtype.int64 if all_int else _dtype.DEFAULT_FLOAT)
    dev = _canon_device(device)
    attrs = {"start": start, "end": end, "step": step, "dtype": d}
    if dev is not None:
        attrs["device"] = dev
    out_t = run1("arange", [], attrs, session=default_session())
    out_t._dtype, out_t._contig = d, True
    if all_int and step != 0:
        out_t._shape = (builtins.max(0, -((start - end) // step)),)  # ceil((end - start) / step)
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


_LIKE_VALUES = {"zeros": 0, "ones": 1, "empty": 0}


def _like(name, input, dtype, device, requires_grad, extra=None, memory_format=None):
    """The *_like factories. preserve_format (the default) keeps a non-contiguous
    input's dense layout, as in torch: the server's fill op lays its result out
    like its input; contiguous inputs (and the random fills) take the factory."""
    fmt = _memory_format.wire_name(memory_format)
    d = _dtype.canonical(dtype) or input.dtype
    dev = device if device is not None else input._meta()._device
    if fmt == "preserve_format" and input._contig is not True and \
            _canon_device(dev) == _canon_device(input._meta()._device) and \
            name in ("zeros", "ones", "empty", "full"):
        src = input.detach()
        if d != input.dtype:
            src = src.to(d)
        value = extra["fill_value"] if name == "full" else _LIKE_VALUES[name]
        out = run1("fill", [src], {"value": value})
        out._shape, out._dtype = tuple(input.shape), d
        if requires_grad:
            out.requires_grad_(True)
        return out
    return _factory(name, input.shape, d, dev, requires_grad, extra, session=input._session)


def zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):
    return _like("zeros", input, dtype, device, requires_grad, memory_format=memory_format)


def ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    return _like("ones", input, dtype, device, requires_grad, memory_format=memory_format)


def empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):
    return _like("empty", input, dtype, device, requires_grad, memory_format=memory_format)


def full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    return _like("full", input, dtype, device, requires_grad, {"fill_value": fill_value},
                 memory_format=memory_format)


def rand_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
              memory_format=None):
    return _like("rand", input, dtype, device, requires_grad, memory_format=memory_format)


def randn_like(input, *, dtype=None, layout=None, device=None, requires_grad=False,
               memory_format=None):
    return _like("randn", input, dtype, device, requires_grad, memory_format=memory_format)


def _no_out(out):
    if out is not None:
        raise NotImplementedError("out= is not supported by tensord yet")


_SCALAR_TYPE = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short",
                "int32": "Int", "int64": "Long", "float16": "Half", "bfloat16": "BFloat16",
                "float32": "Float", "float64": "Double"}
_C_TYPE = {"bool": "bool", "uint8": "unsigned char", "int8": "signed char", "int16": "short",
           "int32": "int", "int64": "long", "float16": "c10::Half", "bfloat16": "c10::BFloat16",
           "float32": "float", "float64": "double"}


def _can_cast(src, dst):
    """PyTorch's canCast: no floating -> integral, no non-bool -> bool."""
    if src.is_floating_point and not dst.is_floating_point:
        return False
    return src is dst or dst is not _dtype.bool_


def _write_out(name, out, args, fn, exact_dtype=False, cast_error=None):
    """``fn()`` with PyTorch's ``out=`` semantics: the result is written into ``out``.

    ``out`` is resized to the result's shape (with PyTorch's deprecation warning
    when it had elements), the result is cast to ``out``'s dtype where PyTorch
    allows the cast (``exact_dtype``: the matmul family wants the same dtype),
    and ``out`` itself is returned. As in PyTorch, out= refuses to record autograd.
    """
    if out is None:
        return fn()
    if not isinstance(out, Tensor):
        raise TypeError("%s(): argument 'out' must be Tensor, not %s"
                        % (name, type(out).__name__))
    from ._grad_mode import is_grad_enabled
    if is_grad_enabled() and (out.requires_grad or builtins.any(
            isinstance(a, Tensor) and a.requires_grad for a in args)):
        raise RuntimeError("%s(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad." % name)
    result = fn()
    if exact_dtype and result.dtype is not out.dtype:
        raise RuntimeError("Expected out tensor to have dtype %s, but got %s instead"
                           % (_C_TYPE[result.dtype.name], _C_TYPE[out.dtype.name]))
    if not _can_cast(result.dtype, out.dtype):
        if cast_error is not None:
            raise RuntimeError(cast_error % _SCALAR_TYPE[out.dtype.name])
        raise RuntimeError("result type %s can't be cast to the desired output type %s"
                           % (_SCALAR_TYPE[result.dtype.name], _SCALAR_TYPE[out.dtype.name]))
    if tuple(out.shape) != tuple(result.shape):
        if out.numel() != 0:
            warnings.warn(
                "An output with one or more elements was resized since it had shape %s, which "
                "does not match the required output shape %s. This behavior is deprecated, and "
                "in a future PyTorch release outputs will not be resized unless they have zero "
                "elements. You can explicitly reuse an out tensor t by resizing it, inplace, to "
                "zero elements with t.resize_(0)." % (list(out.shape), list(result.shape)),
                UserWarning, stacklevel=3)
        out.resize_(result.shape)
    out.copy_(result)
    return out


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
        """manual_seed(seed) -> Generator

        Seeds the session's generator; returns self. See :func:`tensord.manual_seed`.
        """
        seed = int(seed)
        if not -0x8000_0000_0000_0000 <= seed <= 0xFFFF_FFFF_FFFF_FFFF:
            raise RuntimeError("Overflow when unpacking long")
        if seed < 0:
            seed = 0xFFFF_FFFF_FFFF_FFFF + seed
        s = self._session or default_session()
        s.manual_seed(seed)
        self._seed = seed
        return self

    def initial_seed(self):
        """initial_seed() -> int

        The seed last given to :meth:`manual_seed` (PyTorch's default seed if none).
        """
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
    return _write_out('add', out, [input, other], lambda: run1("add", [input, other], None if alpha == 1 else {"alpha": alpha}))


def sub(input, other, *, alpha=1, out=None):
    return _write_out('sub', out, [input, other], lambda: run1("sub", [input, other], None if alpha == 1 else {"alpha": alpha}))


subtract = sub


def mul(input, other, *, out=None):
    return _write_out('mul', out, [input, other], lambda: run1("mul", [input, other]))


multiply = mul


def div(input, other, *, rounding_mode=None, out=None):
    """input / other; rounding_mode 'trunc' or 'floor' rounds the quotient."""
    def compute():
        if isinstance(input, Tensor):
            return input.div(other, rounding_mode=rounding_mode)
        return run1("div", [input, other], None if rounding_mode is None
                    else {"rounding_mode": rounding_mode})
    return _write_out("div", out, [input, other], compute)


divide = div


def true_divide(input, other, *, out=None):
    return _write_out('div', out, [input, other], lambda: run1("div", [input, other]))


def floor_divide(input, other, *, out=None):
    return _write_out('floor_divide', out, [input, other], lambda: run1("div", [input, other], {"rounding_mode": "floor"}))


def remainder(input, other, *, out=None):
    return _write_out('remainder', out, [input, other], lambda: run1("remainder", [input, other]))


def fmod(input, other, *, out=None):
    return _write_out('fmod', out, [input, other], lambda: run1("fmod", [input, other]))


def nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None):
    _no_out(out)
    return input.nan_to_num(nan, posinf, neginf)


def bitwise_not(input, *, out=None):
    return _write_out('bitwise_not', out, [input], lambda: run1("bitwise_not", [input]))


def bitwise_and(input, other, *, out=None):
    return _write_out('bitwise_and', out, [input, other], lambda: run1("bitwise_and", [input, other]))


def bitwise_or(input, other, *, out=None):
    return _write_out('bitwise_or', out, [input, other], lambda: run1("bitwise_or", [input, other]))


def bitwise_xor(input, other, *, out=None):
    return _write_out('bitwise_xor', out, [input, other], lambda: run1("bitwise_xor", [input, other]))


def baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None):
    _no_out(out)
    return input.baddbmm(batch1, batch2, beta=beta, alpha=alpha)


def einsum(equation, *operands):
    """Einstein summation, e.g. einsum('ij,jk->ik', a, b); diagonals ('ii->i'), '...', 3+ operands."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    return run1("einsum", list(operands), {"equation": equation})


def pow(input, exponent, *, out=None):  # noqa: A001 - torch's name
    return _write_out('pow', out, [input, exponent], lambda: run1("pow", [input, exponent]))


def _unary(name):
    def fn(input, *, out=None):
        return _write_out(name, out, [input], lambda: run1(name, [input]))
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
        return _write_out(name, out, [input, other], lambda: run1(name, [input, other]))
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
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("torch.cat(): expected a non-empty list of Tensors")
    return _write_out("cat", out, tensors, lambda: run1("cat", tensors, {"dim": dim}),
                      cast_error="torch.cat(): input types can't be cast to the desired "
                                 "output type %s")


concat = concatenate = cat


def stack(tensors, dim=0, *, out=None):
    """Joins equal-shaped tensors along a new dimension ``dim``."""
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    return _write_out("stack", out, tensors, lambda: run1("stack", tensors, {"dim": dim}),
                      cast_error="torch.cat(): input types can't be cast to the desired "
                                 "output type %s")


def hstack(tensors, *, out=None):
    """Concatenates horizontally: along dim 1, or dim 0 for 1-D tensors."""
    _no_out(out)
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("hstack expects a non-empty TensorList")
    tensors = [t if t.dim() > 0 else t.reshape(1) for t in tensors]
    return cat(tensors, 0 if tensors[0].dim() == 1 else 1)


def vstack(tensors, *, out=None):
    """Stacks vertically: 1-D tensors become rows, then cat along dim 0."""
    _no_out(out)
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("vstack expects a non-empty TensorList")
    return cat([t.reshape(1, -1) if t.dim() < 2 else t for t in tensors], 0)


row_stack = vstack


def where(condition, input=None, other=None):
    """Elementwise ``input if condition else other`` (numbers allowed);
    ``where(condition)`` is ``nonzero(condition, as_tuple=True)``."""
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    if input is None or other is None:
        raise TypeError("where() expects both input and other, or neither")
    return run1("where", [condition, input, other])


def clamp(input, min=None, max=None, *, out=None):  # noqa: A002 - torch's names
    return _write_out("clamp", out, [input, min, max], lambda: input.clamp(min, max),
                      exact_dtype=True)


clip = clamp


def maximum(input, other, *, out=None):
    return _write_out('maximum', out, [input, other], lambda: run1("maximum", [input, other]))


def minimum(input, other, *, out=None):
    return _write_out('minimum', out, [input, other], lambda: run1("minimum", [input, other]))


def masked_fill(input, mask, value):
    return input.masked_fill(mask, value)


def select(input, dim, index):
    return input.select(dim, index)


def narrow(input, dim, start, length):
    return input.narrow(dim, start, length)


def sum(input, dim=None, keepdim=False, *, dtype=None, out=None):  # noqa: A001
    if out is not None and dim is None:
        raise TypeError("sum() received an invalid combination of arguments - got (Tensor, "
                        "out=Tensor): out= needs dim")
    if out is not None and dtype is None and isinstance(out, Tensor):
        dtype = out.dtype  # as PyTorch: the sum is computed in out's dtype
    return _write_out("sum", out, [input],
                      lambda: run1("sum", [input], _reduce_attrs(dim, keepdim, dtype)))


def mean(input, dim=None, keepdim=False, *, dtype=None, out=None):
    _no_out(out)
    return run1("mean", [input], _reduce_attrs(dim, keepdim, dtype))


def matmul(input, other, *, out=None):
    return _write_out('matmul', out, [input, other], lambda: run1("matmul", [input, other]), exact_dtype=True)


def mm(input, mat2, *, out=None):
    return _write_out('mm', out, [input, mat2], lambda: run1("mm", [input, mat2]), exact_dtype=True)


def mv(input, vec, *, out=None):
    return _write_out('mv', out, [input, vec], lambda: run1("mv", [input, vec]), exact_dtype=True)


def dot(input, other, *, out=None):
    return _write_out('dot', out, [input, other], lambda: run1("dot", [input, other]), exact_dtype=True)


def bmm(input, mat2, *, out=None):
    return _write_out('bmm', out, [input, mat2], lambda: run1("bmm", [input, mat2]), exact_dtype=True)


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



# ---------------------------------------------------------------- reductions (2)

def prod(input, dim=None, keepdim=False, *, dtype=None):
    return input.prod(dim, keepdim, dtype=dtype)


def amax(input, dim=(), keepdim=False, *, out=None):
    _no_out(out)
    return input.amax(dim, keepdim)


def amin(input, dim=(), keepdim=False, *, out=None):
    _no_out(out)
    return input.amin(dim, keepdim)


def max(input, dim=None, keepdim=False, *, out=None):  # noqa: A001 - torch's name
    """max(input) -> tensor; max(input, dim, keepdim) -> (values, indices); max(a, b)."""
    _no_out(out)
    return input.max(dim, keepdim)


def min(input, dim=None, keepdim=False, *, out=None):  # noqa: A001 - torch's name
    _no_out(out)
    return input.min(dim, keepdim)


def all(input, dim=None, keepdim=False, *, out=None):  # noqa: A001 - torch's name
    _no_out(out)
    return input.all(dim, keepdim)


def any(input, dim=None, keepdim=False, *, out=None):  # noqa: A001 - torch's name
    _no_out(out)
    return input.any(dim, keepdim)


def argmax(input, dim=None, keepdim=False):
    return input.argmax(dim, keepdim)


def argmin(input, dim=None, keepdim=False):
    return input.argmin(dim, keepdim)


def softmax(input, dim, dtype=None):
    return input.softmax(dim, dtype)


def log_softmax(input, dim, dtype=None):
    return input.log_softmax(dim, dtype)


def cumsum(input, dim, *, dtype=None, out=None):
    _no_out(out)
    return input.cumsum(dim, dtype=dtype)


def cumprod(input, dim, *, dtype=None, out=None):
    _no_out(out)
    return input.cumprod(dim, dtype=dtype)


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    _no_out(out)
    return input.var(dim, unbiased, keepdim, correction=correction)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None, out=None):
    _no_out(out)
    return input.std(dim, unbiased, keepdim, correction=correction)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return (input.var(dim, unbiased, keepdim, correction=correction),
            input.mean(_var_dim(dim), keepdim))


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return (input.std(dim, unbiased, keepdim, correction=correction),
            input.mean(_var_dim(dim), keepdim))


def _var_dim(dim):
    return None if isinstance(dim, (bool, np.bool_)) else dim


def logsumexp(input, dim, keepdim=False, *, out=None):
    _no_out(out)
    return input.logsumexp(dim, keepdim)


def norm(input, p="fro", dim=None, keepdim=False, out=None, dtype=None):
    _no_out(out)
    return input.norm(p, dim, keepdim, dtype)


# ---------------------------------------------------------------- indexing

def index_select(input, dim, index, *, out=None):
    _no_out(out)
    return input.index_select(dim, index)


def gather(input, dim, index, *, sparse_grad=False, out=None):
    _no_out(out)
    return input.gather(dim, index)


def scatter(input, dim, index, src=None, value=None, *, reduce=None):
    return input.scatter(dim, index, src, value, reduce=reduce)


def scatter_add(input, dim, index, src):
    return input.scatter_add(dim, index, src)


def index_put(input, indices, values, accumulate=False):
    return input.index_put(indices, values, accumulate)


def nonzero(input, *, out=None, as_tuple=False):
    _no_out(out)
    return input.nonzero(as_tuple=as_tuple)


def masked_select(input, mask, *, out=None):
    _no_out(out)
    return input.masked_select(mask)


def take(input, index):
    return input.take(index)


# ---------------------------------------------------------------- random

def bernoulli(input, p=None, *, generator=None, out=None):
    """0/1 samples with probabilities ``input`` (or ``p``), in input's shape and dtype."""
    _no_out(out)
    return input.bernoulli(p, generator=generator)


def randperm(n, *, generator=None, out=None, dtype=None, layout=None, device=None,
             requires_grad=False, pin_memory=False):
    """A random permutation of 0..n-1 (int64 by default) from the session's generator."""
    _no_generator(generator)
    _no_out(out)
    d = _dtype.canonical(dtype) or _dtype.int64
    dev = _canon_device(device)
    attrs = {"n": int(n), "dtype": d}
    if dev is not None:
        attrs["device"] = dev
    t = run1("randperm", [], attrs, session=default_session())
    t._shape, t._dtype, t._contig = (int(n),), d, True
    if dev is None or dev == "cpu" or ":" in dev:
        t._device = dev or "cpu"
    if requires_grad:
        t.requires_grad_(True)
    return t


def normal(mean, std=1.0, size=None, *, generator=None, out=None, dtype=None, layout=None,
           device=None, requires_grad=False):
    """Normal samples: normal(mean, std, size) for numbers, or elementwise for tensors."""
    _no_generator(generator)
    _no_out(out)
    if not isinstance(mean, Tensor) and not isinstance(std, Tensor):
        if size is None:
            raise TypeError("normal() with float mean and std needs a size")
        from ._grad_mode import no_grad
        with no_grad():
            t = empty(_shape_args((size,)), dtype=dtype, device=device).normal_(mean, std)
        if requires_grad:
            t.requires_grad_(True)
        return t
    # As ATen: out.normal_(0, 1) in the broadcast shape, then * std + mean.
    from ._shapes import broadcast
    shapes = [x.shape for x in (mean, std) if isinstance(x, Tensor)]
    shape = shapes[0] if len(shapes) == 1 else broadcast(*shapes)
    like = mean if isinstance(mean, Tensor) else std
    from ._grad_mode import no_grad
    with no_grad():
        z = _factory("empty", shape, like.dtype, like._meta()._device, False,
                     session=like._session).normal_(0.0, 1.0)
    return z * std + mean


# ---------------------------------------------------------------- composites

def unflatten(input, dim, sizes):
    return input.unflatten(dim, sizes)


def split(tensor, split_size_or_sections, dim=0):
    return tensor.split(split_size_or_sections, dim)


def chunk(input, chunks, dim=0):
    return input.chunk(chunks, dim)


def unbind(input, dim=0):
    return input.unbind(dim)


def tile(input, dims):
    return input.tile(dims)


def broadcast_shapes(*shapes):
    """The broadcast of the given shapes (ints count as 1-D shapes)."""
    from ._shapes import broadcast
    from ._size import Size
    out = ()
    for s in shapes:
        s = (int(s),) if isinstance(s, numbers.Integral) else tuple(int(v) for v in s)
        b = broadcast(out, s)
        if b is None:
            raise RuntimeError("Shape mismatch: objects cannot be broadcast to a single shape")
        out = b
    return Size(out)


def broadcast_to(input, size):
    return input.expand(size)


def broadcast_tensors(*tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape = broadcast_shapes(*(t.shape for t in tensors))
    return tuple(t if t.shape == shape else t.expand(shape) for t in tensors)


def rsub(input, other, *, alpha=1):
    """other - alpha * input."""
    return input.rsub(other, alpha=alpha) if isinstance(input, Tensor) else \
        run1("rsub", [input, other], None if alpha == 1 else {"alpha": alpha})


def square(input):
    return input.square()


def outer(input, vec2):
    return input.outer(vec2)


ger = outer


def addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None):
    _no_out(out)
    return input.addmm(mat1, mat2, beta=beta, alpha=alpha)


def isnan(input):
    return input.isnan()


def isinf(input):
    return input.isinf()


def isfinite(input):
    return input.isfinite()


def logical_not(input, *, out=None):
    _no_out(out)
    return input.logical_not()


def logical_and(input, other, *, out=None):
    _no_out(out)
    return input.logical_and(other)


def logical_or(input, other, *, out=None):
    _no_out(out)
    return input.logical_or(other)


def logical_xor(input, other, *, out=None):
    _no_out(out)
    return input.logical_xor(other)


def equal(input, other):
    """True if both have the same shape and elements (a sync point)."""
    if tuple(input.shape) != tuple(other.shape):
        return False
    return bool(run1("eq", [input, other]).all().item())


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """|input - other| <= atol + rtol * |other|, elementwise (ATen's formula, incl. inf/nan)."""
    close = run1("eq", [input, other])
    if equal_nan and input.dtype.is_floating_point:
        close = close | (input.isnan() & _as_tensor_like(other, input).isnan())
    if rtol == 0 and atol == 0:
        return close
    a, b = input, _as_tensor_like(other, input)
    if a.dtype is _dtype.bool_:
        a = a.to(_dtype.DEFAULT_FLOAT)
    if b.dtype is _dtype.bool_:
        b = b.to(_dtype.DEFAULT_FLOAT)
    allowed = run1("add", [run1("abs", [b * rtol]), atol])
    actual = run1("abs", [a - b])
    return close | (actual.isfinite() & run1("le", [actual, allowed]))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True if isclose() holds everywhere (a sync point)."""
    return bool(isclose(input, other, rtol, atol, equal_nan).all().item())


def _as_tensor_like(x, like):
    if isinstance(x, Tensor):
        return x
    return create_from_array(np.array(x), _dtype.canonical(like.dtype), session=like._session)


# ---------------------------------------------------------------- more factories

def linspace(start, end, steps, *, out=None, dtype=None, layout=None, device=None,
             requires_grad=False):
    """``steps`` evenly spaced values from start to end (inclusive), computed on the server."""
    _no_out(out)
    d = _dtype.canonical(dtype) or _dtype.DEFAULT_FLOAT
    dev = _canon_device(device)
    attrs = {"start": start, "end": end, "steps": int(steps), "dtype": d}
    if dev is not None:
        attrs["device"] = dev
    t = run1("linspace", [], attrs, session=default_session())
    t._shape, t._dtype, t._contig = (int(steps),), d, True
    if dev is None or dev == "cpu" or ":" in dev:
        t._device = dev or "cpu"
    if requires_grad:
        t.requires_grad_(True)
    return t


def eye(n, m=None, *, out=None, dtype=None, layout=None, device=None, requires_grad=False):
    """The n x m identity matrix."""
    _no_out(out)
    d = _dtype.canonical(dtype) or _dtype.DEFAULT_FLOAT
    dev = _canon_device(device)
    attrs = {"n": int(n), "dtype": d}
    if m is not None:
        attrs["m"] = int(m)
    if dev is not None:
        attrs["device"] = dev
    t = run1("eye", [], attrs, session=default_session())
    t._shape, t._dtype, t._contig = (int(n), int(n if m is None else m)), d, True
    if dev is None or dev == "cpu" or ":" in dev:
        t._device = dev or "cpu"
    if requires_grad:
        t.requires_grad_(True)
    return t


# ---------------------------------------------------------------- docstrings

# Note [Docstring tables] (in _tensor.py): signature line as PyTorch documents
# it, then the body; an entry without a body keeps the function's docstring.
_FUNCTION_DOCS = r"""
tensor(data, *, dtype=None, device=None, requires_grad=False, pin_memory=False) -> Tensor
    A new tensor holding a copy of ``data`` (a list, tuple, NumPy array, number
    or tensor). Without ``dtype``: bool, int64 for integers, float32 for Python
    floats, and the array's dtype for NumPy input.

    The data is sent to the server; the tensor never shares memory with ``data``.
as_tensor(data, dtype=None, device=None) -> Tensor
    ``data`` as a tensor: a tensor is returned as is (or converted with
    :meth:`Tensor.to`), anything else is copied like :func:`tensord.tensor`.
    Unlike PyTorch, NumPy arrays are always copied (to the server).
from_numpy(ndarray) -> Tensor
zeros(*size, *, out=None, dtype=None, layout=tensord.strided, device=None, requires_grad=False) -> Tensor
    A tensor of ``size`` (varargs or one sequence) filled with 0; float32 by default.
ones(*size, *, out=None, dtype=None, layout=tensord.strided, device=None, requires_grad=False) -> Tensor
    A tensor of ``size`` (varargs or one sequence) filled with 1; float32 by default.
full(size, fill_value, *, out=None, dtype=None, layout=tensord.strided, device=None, requires_grad=False) -> Tensor
empty(*size, *, out=None, dtype=None, layout=tensord.strided, device=None, requires_grad=False, memory_format=tensord.contiguous_format) -> Tensor
    An uninitialised tensor of ``size``; float32 by default. Its values are
    whatever the server's fresh memory holds.
arange(start=0, end, step=1, *, out=None, dtype=None, layout=tensord.strided, device=None, requires_grad=False) -> Tensor
    The values ``start, start + step, ...`` below ``end`` (above it for a
    negative step), as a 1-D tensor. int64 when all arguments are integers,
    else float32.
rand(*size, *, generator=None, out=None, dtype=None, layout=tensord.strided, device=None, requires_grad=False) -> Tensor
    Samples from the uniform distribution on [0, 1), drawn from the session's
    generator: after the same :func:`tensord.manual_seed`, the numbers equal
    PyTorch's on CPU.
randn(*size, *, generator=None, out=None, dtype=None, layout=tensord.strided, device=None, requires_grad=False) -> Tensor
    Samples from the standard normal distribution, drawn from the session's
    generator: after the same :func:`tensord.manual_seed`, the numbers equal
    PyTorch's on CPU.
randint(low=0, high, size, *, generator=None, out=None, dtype=None, layout=tensord.strided, device=None, requires_grad=False) -> Tensor
    Random integers in [low, high) of shape ``size`` (int64 by default), from the
    session's generator (PyTorch's numbers on CPU after the same seed).
zeros_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=tensord.preserve_format) -> Tensor
    ``zeros(input.size())`` with input's dtype and device unless given.
ones_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=tensord.preserve_format) -> Tensor
    ``ones(input.size())`` with input's dtype and device unless given.
full_like(input, fill_value, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=tensord.preserve_format) -> Tensor
    ``full(input.size(), fill_value)`` with input's dtype and device unless given.
empty_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=tensord.preserve_format) -> Tensor
    ``empty(input.size())`` with input's dtype and device unless given.
rand_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=tensord.preserve_format) -> Tensor
    ``rand(input.size())`` with input's dtype and device unless given.
randn_like(input, *, dtype=None, layout=None, device=None, requires_grad=False, memory_format=tensord.preserve_format) -> Tensor
    ``randn(input.size())`` with input's dtype and device unless given.
manual_seed(seed) -> Generator
    Seeds the session's random generator; the random functions then produce
    the same numbers as PyTorch's CPU generator after the same seed.
seed() -> int
    Seeds the session's generator with a fresh random 63-bit value and returns it.
initial_seed() -> int
    The seed last given to the session's generator (PyTorch's default if none).
is_tensor(obj) -> bool
    True if ``obj`` is a :class:`tensord.Tensor`.
numel(input) -> int
    The number of elements of ``input``.
is_floating_point(input) -> bool
    True if input's dtype is a floating point type.
get_default_dtype() -> tensord.dtype
    The dtype of floating point tensors made from Python floats (float32).
add(input, other, *, alpha=1, out=None) -> Tensor
    ``input + alpha * other``, elementwise, with broadcasting and type promotion.

    Args:
        other (Tensor or Number): the value to add.
        alpha (Number): the multiplier of ``other``.
sub(input, other, *, alpha=1, out=None) -> Tensor
    ``input - alpha * other``, elementwise, with broadcasting and type promotion.
subtract(input, other, *, alpha=1, out=None) -> Tensor
    Alias for :func:`tensord.sub`.
mul(input, other, *, out=None) -> Tensor
    The elementwise product of ``input`` and ``other`` (broadcast, promoted).
multiply(input, other, *, out=None) -> Tensor
    Alias for :func:`tensord.mul`.
div(input, other, *, rounding_mode=None, out=None) -> Tensor
    ``input / other``, elementwise. Integer inputs give a float result unless
    the quotient is rounded.

    Args:
        rounding_mode (str, optional): None for true division, ``'trunc'`` to
            round toward zero, ``'floor'`` to round down.
divide(input, other, *, rounding_mode=None, out=None) -> Tensor
    Alias for :func:`tensord.div`.
true_divide(input, other, *, out=None) -> Tensor
    ``div(input, other, rounding_mode=None)``.
pow(input, exponent, *, out=None) -> Tensor
    ``input`` raised to ``exponent`` elementwise (either may be a number).
neg(input, *, out=None) -> Tensor
    ``-input``, elementwise.
negative(input, *, out=None) -> Tensor
    Alias for :func:`tensord.neg`.
exp(input, *, out=None) -> Tensor
    ``e`` raised to each element.
log(input, *, out=None) -> Tensor
    The natural logarithm of each element (NaN below 0, -inf at 0).
sin(input, *, out=None) -> Tensor
    The sine of each element (radians).
cos(input, *, out=None) -> Tensor
    The cosine of each element (radians).
relu(input) -> Tensor
    ``max(input, 0)``, elementwise.
sigmoid(input, *, out=None) -> Tensor
    The logistic function ``1 / (1 + exp(-x))`` of each element.
sum(input, dim=None, keepdim=False, *, dtype=None, out=None) -> Tensor
    The sum of all elements, or over the dimension(s) ``dim``.

    Args:
        dim (int or tuple of ints, optional): dimensions to reduce; all if None.
        keepdim (bool): keep reduced dimensions with size 1.
        dtype (tensord.dtype, optional): accumulate and return in this dtype.
            Integer and bool inputs are summed as int64 by default.
mean(input, dim=None, keepdim=False, *, dtype=None, out=None) -> Tensor
    The arithmetic mean of all elements, or over the dimension(s) ``dim``
    (floating point inputs, or give ``dtype``).
matmul(input, other, *, out=None) -> Tensor
    The matrix product with NumPy's rules: dot for 1-D and 1-D, matrix-vector,
    matrix-matrix, and batched products whose batch dimensions broadcast.
mm(input, mat2, *, out=None) -> Tensor
    The matrix product of two 2-D tensors, (n, m) @ (m, p) -> (n, p).
mv(input, vec, *, out=None) -> Tensor
    The product of a matrix (n, m) and a vector (m), a vector (n).
dot(input, other, *, out=None) -> Tensor
    The inner product of two 1-D tensors of equal size, as a 0-d tensor.
bmm(input, mat2, *, out=None) -> Tensor
    Matrix products of two batches of matrices, (b, n, m) @ (b, m, p) -> (b, n, p).
transpose(input, dim0, dim1) -> Tensor
    A view of ``input`` with dimensions ``dim0`` and ``dim1`` swapped.
swapaxes(input, dim0, dim1) -> Tensor
    Alias for :func:`tensord.transpose`.
t(input) -> Tensor
    ``transpose(input, 0, 1)`` for a 2-D tensor; 0-D and 1-D tensors are returned as they are.
reshape(input, shape) -> Tensor
    ``input`` with the same elements in another shape (one size may be -1): a
    view when the strides allow, else a copy.
flatten(input, start_dim=0, end_dim=-1) -> Tensor
    ``input`` with dimensions ``start_dim`` to ``end_dim`` merged into one (see :func:`reshape`).
squeeze(input, dim=None) -> Tensor
    ``input`` without its dimensions of size 1 (only ``dim``, if given); a view.
unsqueeze(input, dim) -> Tensor
    A view of ``input`` with a new dimension of size 1 inserted at ``dim``.
permute(input, dims) -> Tensor
    A view of ``input`` with its dimensions reordered to ``dims``.
clone(input) -> Tensor
    A copy of ``input`` with its own storage; autograd records it (gradients flow back to input).
detach(input) -> Tensor
    A new tensor sharing input's storage, cut from the autograd graph.
eq(input, other, *, out=None) -> Tensor
    ``input == other`` elementwise (broadcast), a bool tensor.
ne(input, other, *, out=None) -> Tensor
    ``input != other`` elementwise (broadcast), a bool tensor.
lt(input, other, *, out=None) -> Tensor
    ``input < other`` elementwise (broadcast), a bool tensor.
le(input, other, *, out=None) -> Tensor
    ``input <= other`` elementwise (broadcast), a bool tensor.
gt(input, other, *, out=None) -> Tensor
    ``input > other`` elementwise (broadcast), a bool tensor.
ge(input, other, *, out=None) -> Tensor
    ``input >= other`` elementwise (broadcast), a bool tensor.
not_equal(input, other, *, out=None) -> Tensor
    Alias for :func:`tensord.ne`.
less(input, other, *, out=None) -> Tensor
    Alias for :func:`tensord.lt`.
less_equal(input, other, *, out=None) -> Tensor
    Alias for :func:`tensord.le`.
greater(input, other, *, out=None) -> Tensor
    Alias for :func:`tensord.gt`.
greater_equal(input, other, *, out=None) -> Tensor
    Alias for :func:`tensord.ge`.
abs(input, *, out=None) -> Tensor
    The absolute value of each element.
absolute(input, *, out=None) -> Tensor
    Alias for :func:`tensord.abs`.
sign(input, *, out=None) -> Tensor
    -1, 0 or 1 for each element according to its sign.
sqrt(input, *, out=None) -> Tensor
    The square root of each element (NaN for negative values).
rsqrt(input, *, out=None) -> Tensor
    ``1 / sqrt(x)`` of each element.
expm1(input, *, out=None) -> Tensor
    ``exp(x) - 1`` of each element, accurate for small x.
log1p(input, *, out=None) -> Tensor
    ``log(1 + x)`` of each element, accurate for small x.
log2(input, *, out=None) -> Tensor
    The base-2 logarithm of each element.
tan(input, *, out=None) -> Tensor
    The tangent of each element (radians).
tanh(input, *, out=None) -> Tensor
    The hyperbolic tangent of each element.
erf(input, *, out=None) -> Tensor
    The Gauss error function of each element.
floor(input, *, out=None) -> Tensor
    Each element rounded down to an integer value (same dtype).
ceil(input, *, out=None) -> Tensor
    Each element rounded up to an integer value (same dtype).
round(input, *, out=None) -> Tensor
    Each element rounded to the nearest integer value, ties to even.
    ``decimals`` is not supported by tensord.
trunc(input, *, out=None) -> Tensor
    Each element rounded toward zero to an integer value (same dtype).
fix(input, *, out=None) -> Tensor
    Alias for :func:`tensord.trunc`.
reciprocal(input, *, out=None) -> Tensor
    ``1 / x`` of each element; integer inputs give float results.
cat(tensors, dim=0, *, out=None) -> Tensor
concat(tensors, dim=0, *, out=None) -> Tensor
    Alias for :func:`tensord.cat`.
concatenate(tensors, dim=0, *, out=None) -> Tensor
    Alias for :func:`tensord.cat`.
stack(tensors, dim=0, *, out=None) -> Tensor
hstack(tensors, *, out=None) -> Tensor
vstack(tensors, *, out=None) -> Tensor
row_stack(tensors, *, out=None) -> Tensor
    Alias for :func:`tensord.vstack`.
where(condition, input, other) -> Tensor
    Elementwise ``input if condition else other`` (broadcast; numbers allowed).
    ``where(condition)`` is ``nonzero(condition, as_tuple=True)``.
clamp(input, min=None, max=None, *, out=None) -> Tensor
    Each element limited to [min, max]; either bound may be None (not both)
    and may be a number or a tensor.
clip(input, min=None, max=None, *, out=None) -> Tensor
    Alias for :func:`tensord.clamp`.
maximum(input, other, *, out=None) -> Tensor
    The elementwise maximum of two tensors (NaN wins).
minimum(input, other, *, out=None) -> Tensor
    The elementwise minimum of two tensors (NaN wins).
masked_fill(input, mask, value) -> Tensor
    A copy of ``input`` with ``value`` where the bool ``mask`` is True (see :meth:`Tensor.masked_fill_`).
select(input, dim, index) -> Tensor
    The slice at ``index`` along ``dim``, a view with that dimension removed.
narrow(input, dim, start, length) -> Tensor
    A view of ``length`` elements of ``input`` along ``dim`` from ``start``.
prod(input, dim=None, keepdim=False, *, dtype=None) -> Tensor
    The product of all elements, or along ``dim``.
amax(input, dim, keepdim=False, *, out=None) -> Tensor
    The maximum over the dimension(s) ``dim`` (all if empty); no indices.
amin(input, dim, keepdim=False, *, out=None) -> Tensor
    The minimum over the dimension(s) ``dim`` (all if empty); no indices.
max(input, dim=None, keepdim=False, *, out=None) -> Tensor or (Tensor, LongTensor)
    ``max(input)``: the largest element. ``max(input, dim, keepdim=False)``: a
    ``(values, indices)`` named tuple of the maxima along ``dim``.
    ``max(input, other)``: :func:`tensord.maximum`.
min(input, dim=None, keepdim=False, *, out=None) -> Tensor or (Tensor, LongTensor)
    ``min(input)``: the smallest element. ``min(input, dim, keepdim=False)``: a
    ``(values, indices)`` named tuple of the minima along ``dim``.
    ``min(input, other)``: :func:`tensord.minimum`.
all(input, dim=None, keepdim=False, *, out=None) -> Tensor
    True if every element (along ``dim``, if given) is nonzero; a bool tensor.
any(input, dim=None, keepdim=False, *, out=None) -> Tensor
    True if any element (along ``dim``, if given) is nonzero; a bool tensor.
argmax(input, dim=None, keepdim=False) -> LongTensor
    The index of the largest element (of the flattened input if ``dim`` is None).
argmin(input, dim=None, keepdim=False) -> LongTensor
    The index of the smallest element (of the flattened input if ``dim`` is None).
softmax(input, dim, dtype=None) -> Tensor
    ``exp(x) / sum(exp(x))`` along ``dim``: each slice becomes a probability
    distribution. ``dtype`` casts the input first.
log_softmax(input, dim, dtype=None) -> Tensor
    ``log(softmax(x))`` along ``dim``, computed stably.
cumsum(input, dim, *, dtype=None, out=None) -> Tensor
    Running sums along ``dim``.
cumprod(input, dim, *, dtype=None, out=None) -> Tensor
    Running products along ``dim``.
var(input, dim=None, *, correction=1, keepdim=False, out=None) -> Tensor
    The variance over ``dim`` (all elements if None): the summed squared
    deviations divided by ``N - correction`` (``unbiased=False`` means
    correction 0).
std(input, dim=None, *, correction=1, keepdim=False, out=None) -> Tensor
    The standard deviation, ``sqrt(var(...))``; see :func:`tensord.var`.
var_mean(input, dim=None, *, correction=1, keepdim=False) -> (Tensor, Tensor)
    ``(var(input, ...), mean(input, ...))`` over the same dimensions.
std_mean(input, dim=None, *, correction=1, keepdim=False) -> (Tensor, Tensor)
    ``(std(input, ...), mean(input, ...))`` over the same dimensions.
logsumexp(input, dim, keepdim=False, *, out=None) -> Tensor
    ``log(sum(exp(x)))`` over ``dim``, computed without overflow.
norm(input, p='fro', dim=None, keepdim=False, out=None, dtype=None) -> Tensor
    The vector p-norm of the elements over ``dim`` (all elements if None);
    ``'fro'`` is the 2-norm. Matrix norms are not supported.
index_select(input, dim, index, *, out=None) -> Tensor
    The entries of ``input`` at the int64 ``index`` along ``dim`` (a copy).
gather(input, dim, index, *, sparse_grad=False, out=None) -> Tensor
    ``out[i][j] = input[index[i][j]][j]`` for dim 0 (and likewise for other
    dims): picks values along ``dim`` at the positions in ``index``.
scatter(input, dim, index, src) -> Tensor
    Out-of-place version of :meth:`Tensor.scatter_`.
scatter_add(input, dim, index, src) -> Tensor
    Out-of-place version of :meth:`Tensor.scatter_add_`.
index_put(input, indices, values, accumulate=False) -> Tensor
    Out-of-place version of :meth:`Tensor.index_put_`.
nonzero(input, *, out=None, as_tuple=False) -> LongTensor or tuple of LongTensors
    The indices of the nonzero elements: an (n, input.dim()) int64 tensor, or
    one 1-D tensor per dimension with ``as_tuple=True``. Its shape depends on
    the values, so reading it waits for the server.
masked_select(input, mask, *, out=None) -> Tensor
    The elements of ``input`` where the bool ``mask`` (broadcast) is True, as a
    1-D tensor. Its size depends on the values, so reading it waits for the server.
take(input, index) -> Tensor
    The elements of the flattened ``input`` at ``index``, in index's shape.
bernoulli(input, *, generator=None, out=None) -> Tensor
randperm(n, *, generator=None, out=None, dtype=tensord.int64, layout=tensord.strided, device=None, requires_grad=False, pin_memory=False) -> Tensor
normal(mean, std, size=None, *, generator=None, out=None) -> Tensor
    Samples from normal distributions: ``mean`` and ``std`` numbers with a
    ``size``, or tensors (broadcast) giving each element's parameters. The
    same numbers as PyTorch on CPU after the same :func:`tensord.manual_seed`.
unflatten(input, dim, sizes) -> Tensor
    ``input`` with dimension ``dim`` split into ``sizes`` (one may be -1).
split(tensor, split_size_or_sections, dim=0) -> List of Tensors
    Views of ``tensor`` along ``dim``: pieces of ``split_size`` (the last may
    be smaller), or of the listed sizes.
chunk(input, chunks, dim=0) -> List of Tensors
    At most ``chunks`` views of equal size along ``dim`` (the last may be smaller).
unbind(input, dim=0) -> seq
    The slices of ``input`` along ``dim``, as a tuple of views without that dimension.
tile(input, dims) -> Tensor
    ``input`` repeated ``dims[i]`` times along each dimension (see :meth:`Tensor.repeat`).
broadcast_shapes(*shapes) -> Size
broadcast_to(input, size) -> Tensor
    ``input.expand(size)``: a view with stride 0 in the broadcast dimensions.
broadcast_tensors(*tensors) -> List of Tensors
    The tensors expanded (as views) to their common broadcast shape.
rsub(input, other, *, alpha=1) -> Tensor
    ``other - alpha * input``, elementwise.
square(input) -> Tensor
    ``input * input``, elementwise (bool input gives int64).
outer(input, vec2) -> Tensor
    The outer product of two vectors, (n) and (m) -> (n, m).
ger(input, vec2) -> Tensor
    Alias for :func:`tensord.outer`.
addmm(input, mat1, mat2, *, beta=1, alpha=1, out=None) -> Tensor
    ``beta * input + alpha * (mat1 @ mat2)``, one fused op on the server;
    ``input`` broadcasts to the (n, p) result.
isnan(input) -> Tensor
    A bool tensor, True where ``input`` is NaN.
isinf(input) -> Tensor
    A bool tensor, True where ``input`` is +inf or -inf.
isfinite(input) -> Tensor
    A bool tensor, True where ``input`` is neither NaN nor infinite.
logical_not(input, *, out=None) -> Tensor
    ``not x`` for each element (zero is False), a bool tensor.
logical_and(input, other, *, out=None) -> Tensor
    ``x and y`` elementwise (zero is False), a bool tensor.
logical_or(input, other, *, out=None) -> Tensor
    ``x or y`` elementwise (zero is False), a bool tensor.
logical_xor(input, other, *, out=None) -> Tensor
    ``x xor y`` elementwise (zero is False), a bool tensor.
equal(input, other) -> bool
isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> Tensor
allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool
linspace(start, end, steps, *, out=None, dtype=None, layout=tensord.strided, device=None, requires_grad=False) -> Tensor
eye(n, m=None, *, out=None, dtype=None, layout=tensord.strided, device=None, requires_grad=False) -> Tensor
    A 2-D tensor with ones on the diagonal and zeros elsewhere, n rows and m
    (default n) columns.
floor_divide(input, other, *, out=None) -> Tensor
    ``floor(input / other)`` elementwise (Python's ``//``).
remainder(input, other, *, out=None) -> Tensor
    Python's ``%``, elementwise: the result has the sign of ``other``.
fmod(input, other, *, out=None) -> Tensor
    C's ``fmod``, elementwise: the result has the sign of ``input``.
nan_to_num(input, nan=0.0, posinf=None, neginf=None, *, out=None) -> Tensor
    ``input`` with NaN, +inf and -inf replaced by the given values (by default
    0 and the dtype's largest and lowest finite values).
bitwise_not(input, *, out=None) -> Tensor
    ``~x`` elementwise for integer and bool tensors.
bitwise_and(input, other, *, out=None) -> Tensor
    ``x & y`` elementwise for integer and bool tensors.
bitwise_or(input, other, *, out=None) -> Tensor
    ``x | y`` elementwise for integer and bool tensors.
bitwise_xor(input, other, *, out=None) -> Tensor
    ``x ^ y`` elementwise for integer and bool tensors.
baddbmm(input, batch1, batch2, *, beta=1, alpha=1, out=None) -> Tensor
    ``beta * input + alpha * (batch1 @ batch2)`` for batches of matrices.
einsum(equation, *operands) -> Tensor
"""

from ._tensor import _apply_docs as _apply_docs  # noqa: E402
import sys as _sys  # noqa: E402

_apply_docs(_sys.modules[__name__], _FUNCTION_DOCS)
# help(tensord.add) says "in module tensord", as torch's says "in module torch".
for _name in __all__:
    if callable(globals()[_name]) and hasattr(globals()[_name], "__code__"):
        globals()[_name].__module__ = "tensord"
del _name
