"""tensord.Tensor: a handle to a tensor that lives on the server.

Note [Cached metadata]
  Shape, dtype and device of a handle never change, so they are cached on the
  Python object when known locally (creation from data, factories with given
  sizes) or after the first Describe. Autograd metadata (requires_grad,
  is_leaf, grad_fn) can change through in-place ops, so its cache is stamped
  with the session's ``epoch``, which every in-place op bumps; a stale stamp
  means "ask the server again". It is inferred locally only where PyTorch's
  rule is unconditional: results of ops run under no_grad(), or whose tensor
  inputs are all known not to require grad, are leaves without grad.
  Everything else comes from Describe: correct over clever.
"""

import numbers
import warnings

import numpy as np

from . import _dtype
from . import _format
from ._device import canonical as _canon_device
from ._device import device as _device_cls
from ._grad_mode import is_grad_enabled
from ._session import INLINE_LIMIT, default_session, pb
from ._size import Size

__all__ = ["Tensor"]


# ---------------------------------------------------------------- grad_fn objects

class Node:
    """A tensor's grad_fn, e.g. ``<AddBackward0 object at 0x...>``.

    Only the name travels over the wire; ``type(t.grad_fn).__name__`` and
    ``t.grad_fn.name()`` both give it.
    """

    __slots__ = ("__weakref__",)

    def name(self):
        return type(self).__name__

    def __repr__(self):
        return "<%s object at %#x>" % (type(self).__name__, id(self))


_node_types = {}


def _node(name):
    cls = _node_types.get(name)
    if cls is None:
        cls = type(name, (Node,), {"__slots__": (), "__module__": "tensord.autograd"})
        _node_types[name] = cls
    return cls()


# ---------------------------------------------------------------- wire helpers

def _scalar(x):
    t = type(x)
    if t is float:
        return pb.Scalar(f=x)
    if t is int:
        return pb.Scalar(i=x)
    if t is bool:
        return pb.Scalar(b=x)
    if isinstance(x, (bool, np.bool_)):
        return pb.Scalar(b=bool(x))
    if isinstance(x, numbers.Integral):
        return pb.Scalar(i=int(x))
    if isinstance(x, numbers.Real):
        return pb.Scalar(f=float(x))
    if isinstance(x, Tensor):
        return _scalar(x.item())
    raise TypeError("expected a number, got %s" % type(x).__name__)


def _is_number(x):
    t = type(x)
    if t is float or t is int or t is bool:
        return True
    return isinstance(x, (numbers.Real, np.bool_)) and not isinstance(x, Tensor)


def _operand(x, session):
    if type(x) is Tensor or isinstance(x, Tensor):
        if x._session is not session:
            raise RuntimeError("tensors of different tensord sessions cannot be mixed in one op")
        return pb.Operand(handle=x._handle)
    if x is None:
        return pb.Operand(none=True)
    if _is_number(x):
        return pb.Operand(scalar=_scalar(x))
    raise TypeError("expected a Tensor or a number, got %s" % type(x).__name__)


def _ints(v):
    if isinstance(v, numbers.Integral):
        return [int(v)]
    return [int(i) for i in v]


def _attr(value, typ):
    """AttrValue for ``value`` given the schema type (None: inferred from Python)."""
    if value is None:
        return pb.AttrValue(none=True)
    if typ == "ints" or (typ is None and isinstance(value, (list, tuple))):
        return pb.AttrValue(ints=pb.IntList(values=_ints(value)))
    if typ == "dtype" or (typ is None and isinstance(value, _dtype.dtype)):
        return pb.AttrValue(dtype=_dtype.canonical(value).wire)
    if typ == "scalar":
        return pb.AttrValue(scalar=_scalar(value))
    if typ == "str" or (typ is None and isinstance(value, (str, _device_cls))):
        return pb.AttrValue(s=str(value))
    if typ == "bool" or (typ is None and isinstance(value, (bool, np.bool_))):
        return pb.AttrValue(b=bool(value))
    if typ == "int" or (typ is None and isinstance(value, numbers.Integral)):
        return pb.AttrValue(i=int(value))
    if typ == "float" or (typ is None and isinstance(value, numbers.Real)):
        return pb.AttrValue(f=float(value))
    raise TypeError("unsupported attribute value %r" % (value,))


_ACCESSOR_OPS = frozenset(["grad"])


def run_op(name, inputs, attrs=None, session=None):
    """Sends op ``name`` (pipelined) and returns its output Tensors."""
    for x in inputs:
        if isinstance(x, Tensor):
            if session is None:
                session = x._session
            elif x._session is not session:
                raise RuntimeError("tensors of different tensord sessions cannot be mixed "
                                   "in one op (%s)" % name)
    if session is None:
        session = default_session()
    info = session.op_info(name)
    inplace = info.inplace if info is not None else name.endswith("_")
    n_out = 0 if inplace else (info.num_outputs if info is not None else 1)
    types = info.attr_types if info is not None else {}
    grad_on = is_grad_enabled()
    op = pb.OpCommand(op=name, inputs=[_operand(x, session) for x in inputs],
                      no_grad=not grad_on)
    for k, v in (attrs or {}).items():
        op.attrs[k].CopyFrom(_attr(v, types.get(k)))
    outs = [session.new_handle() for _ in range(n_out)]
    op.outputs.extend(outs)
    session.enqueue(pb.Command(op=op), name)
    if inplace:
        session.epoch += 1
    results = [Tensor._wrap(session, h) for h in outs]
    # Note [Cached metadata]: the unconditional no-grad cases. Accessors
    # (`grad`) return existing tensors, whose autograd state is their own.
    if name not in _ACCESSOR_OPS and (not grad_on or all(
            x._known_ag() is not None and not x._known_ag()[0]
            for x in inputs if isinstance(x, Tensor))):
        for t in results:
            t._set_ag(False, True, "")
    return results


def run1(name, inputs, attrs=None, session=None):
    return run_op(name, inputs, attrs, session)[0]


def _prod(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def _wrap_dim(dim, ndim):
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError("Dimension out of range (expected to be in range of [%d, %d], but "
                         "got %d)" % (-n, n - 1, dim))
    return dim + n if dim < 0 else dim


def _shape_args(args, name="size"):
    """Sizes as varargs (2, 3) or one sequence ((2, 3), [2, 3], Size)."""
    if len(args) == 1 and not isinstance(args[0], numbers.Integral):
        args = args[0]
    try:
        return tuple(int(a) for a in args)
    except TypeError:
        raise TypeError("%s must be a sequence of ints, got %r" % (name, args)) from None


_warned_from_numpy = False


# ---------------------------------------------------------------- Tensor

class Tensor:
    """A tensor stored on a tensord server, with PyTorch's interface.

    Operations are sent to the server without waiting (Note [Pipelining]);
    reading values (print, item, tolist, numpy) or uncached metadata waits
    for them and raises any deferred TensordError.
    """

    __slots__ = ("_session", "_handle", "_shape", "_dtype", "_device", "_ag", "_ag_epoch",
                 "_grad_fn_obj", "_contig", "__weakref__")
    __array_priority__ = 1000  # numpy defers binary operators to us

    def __new__(cls, *args, **kwargs):
        return object.__new__(cls)

    def __init__(self, *args, **kwargs):
        """Legacy constructor: ``Tensor(2, 3)`` (uninitialized float32) or ``Tensor(data)``."""
        if getattr(self, "_handle", None) is not None:
            return
        if not args or all(isinstance(a, numbers.Integral) for a in args):
            size = tuple(int(a) for a in args) if args else (0,)
            src = run1("empty", [], {"size": list(size), "dtype": _dtype.float32},
                       session=default_session())
            src._shape, src._dtype, src._device, src._contig = size, _dtype.float32, "cpu", True
        elif len(args) == 1 and isinstance(args[0], Size):
            return Tensor.__init__(self, *args[0])
        else:
            from ._functions import tensor as _tensor_fn
            src = _tensor_fn(args[0], dtype=_dtype.float32)
        # Steal the handle of src.
        for slot in Tensor.__slots__[:-1]:
            object.__setattr__(self, slot, getattr(src, slot))
        src._session = None

    @classmethod
    def _wrap(cls, session, handle, shape=None, dtype=None, device=None, contig=None):
        t = object.__new__(cls)
        t._session = session
        t._handle = handle
        t._shape = None if shape is None else tuple(int(s) for s in shape)
        t._dtype = dtype
        t._device = device
        t._ag = None
        t._ag_epoch = -1
        t._grad_fn_obj = None
        t._contig = contig
        return t

    def __del__(self):
        try:
            s = self._session
            if s is not None:
                s.release(self._handle)
        except Exception:  # noqa: BLE001 - never raise from __del__ (interpreter shutdown)
            pass

    # ------------------------------------------------------------ metadata

    def _set_ag(self, requires_grad, is_leaf, grad_fn):
        self._ag = (bool(requires_grad), bool(is_leaf), grad_fn or "")
        self._ag_epoch = self._session.epoch

    def _known_ag(self):
        if self._ag is not None and self._ag_epoch == self._session.epoch:
            return self._ag
        return None

    def _absorb(self, info):
        self._shape = tuple(info.shape)
        self._dtype = _dtype.from_wire(info.dtype)
        self._device = info.device or "cpu"
        self._contig = info.is_contiguous
        self._set_ag(info.requires_grad, info.is_leaf, info.grad_fn)

    def _describe(self):
        """Describe (a sync point): refreshes the cache, returns TensorInfo."""
        (r,) = self._session.sync([(pb.Command(describe=pb.DescribeCommand(handle=self._handle)),
                                    "describe")])
        self._absorb(r.info)
        return r.info

    def _meta(self):
        if self._shape is None or self._dtype is None or self._device is None:
            self._describe()
        return self

    def _autograd(self):
        ag = self._known_ag()
        if ag is None:
            self._describe()
            ag = self._ag
        return ag

    @property
    def shape(self):
        """torch.Size of the tensor."""
        return Size(self._meta()._shape)

    def size(self, dim=None):
        """torch.Size, or the size of dimension ``dim``."""
        shape = self._meta()._shape
        if dim is None:
            return Size(shape)
        return shape[_wrap_dim(dim, len(shape))] if shape else _size_of_scalar(dim)

    @property
    def dtype(self):
        return self._meta()._dtype

    @property
    def device(self):
        return _device_cls(self._meta()._device)

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    def dim(self):
        return len(self._meta()._shape)

    ndimension = dim

    @property
    def ndim(self):
        return self.dim()

    def numel(self):
        return _prod(self._meta()._shape)

    nelement = numel

    def element_size(self):
        return self.dtype.itemsize

    def is_floating_point(self):
        return self.dtype.is_floating_point

    def is_contiguous(self):
        if self._contig is None:
            self._describe()
        return bool(self._contig)

    def stride(self, dim=None):
        info = self._describe()
        strides = tuple(info.strides)
        return strides if dim is None else strides[_wrap_dim(dim, len(strides))]

    def storage_offset(self):
        return int(self._describe().storage_offset)

    def __len__(self):
        shape = self._meta()._shape
        if not shape:
            raise TypeError("len() of a 0-d tensor")
        return shape[0]

    # ------------------------------------------------------------ autograd

    @property
    def requires_grad(self):
        return self._autograd()[0]

    @requires_grad.setter
    def requires_grad(self, value):
        self.requires_grad_(bool(value))

    def requires_grad_(self, requires_grad=True):
        """Sets requires_grad in place (leaves only); returns self."""
        if requires_grad and self._dtype is not None and not self._dtype.is_floating_point:
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        before = self._known_ag()
        run_op("requires_grad_", [self], {"requires_grad": bool(requires_grad)})
        if before is not None and before[1]:
            self._set_ag(requires_grad, True, "")
        return self

    @property
    def is_leaf(self):
        return self._autograd()[1]

    @property
    def grad_fn(self):
        name = self._autograd()[2]
        if not name:
            return None
        if self._grad_fn_obj is None or self._grad_fn_obj.name() != name:
            self._grad_fn_obj = _node(name)
        return self._grad_fn_obj

    @property
    def grad(self):
        """The accumulated gradient (a Tensor aliasing the server's .grad), or None."""
        info = self._describe()
        if not info.has_grad:
            if not info.is_leaf:
                warnings.warn(
                    "The .grad attribute of a Tensor that is not a leaf Tensor is being "
                    "accessed. Its .grad attribute won't be populated during "
                    "autograd.backward().", UserWarning, stacklevel=2)
            return None
        g = run1("grad", [self])
        g._shape, g._dtype, g._device = tuple(info.shape), _dtype.from_wire(info.dtype), \
            info.device or "cpu"
        return g

    @grad.setter
    def grad(self, value):
        raise NotImplementedError("assigning .grad is not supported by tensord yet")

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Runs backward from this tensor (pipelined; errors raise at the next sync)."""
        from .autograd import backward as _backward
        _backward([self], None if gradient is None else [gradient], retain_graph, create_graph,
                  inputs=inputs)

    def detach(self):
        out = run1("detach", [self])
        out._shape, out._dtype, out._device = self._shape, self._dtype, self._device
        out._set_ag(False, True, "")
        return out

    @property
    def data(self):
        """A detached alias of this tensor (sharing storage)."""
        return self.detach()

    # ------------------------------------------------------------ values

    def _fetch_array(self, refresh_ag=False, allow_unknown_inline=False):
        """Values as a NumPy array (float32 for bfloat16). A sync point."""
        s = self._session
        meta_known = self._shape is not None and self._dtype is not None \
            and self._device is not None
        need_describe = not meta_known or (refresh_ag and self._known_ag() is None)
        small = meta_known and _prod(self._shape) * self._dtype.itemsize <= INLINE_LIMIT
        fetch = (pb.Command(fetch=pb.FetchCommand(handle=self._handle)), "fetch")
        if need_describe and (small or (not meta_known and allow_unknown_inline)):
            info_r, data_r = s.sync([
                (pb.Command(describe=pb.DescribeCommand(handle=self._handle)), "describe"),
                fetch])
            self._absorb(info_r.info)
            td = data_r.tensor
            return _dtype.from_bytes(td.data, _dtype.from_wire(td.dtype), td.shape)
        if need_describe:
            self._describe()
        if _prod(self._shape) * self._dtype.itemsize > INLINE_LIMIT:
            d, shape, data = s.fetch_streamed(self._handle)
            return _dtype.from_bytes(data, d, shape)
        (r,) = s.sync([fetch])
        td = r.tensor
        return _dtype.from_bytes(td.data, _dtype.from_wire(td.dtype), td.shape)

    def item(self):
        """The value of a one-element tensor as a Python number."""
        a = self._fetch_array(allow_unknown_inline=True)
        if a.size != 1:
            raise RuntimeError("a Tensor with %d elements cannot be converted to Scalar" % a.size)
        return a.reshape(()).item()

    def tolist(self):
        """Nested Python lists (a Python number for a 0-d tensor)."""
        return self._fetch_array().tolist()

    def numpy(self, *, force=False):
        """A NumPy copy of the values (tensord tensors never share memory with NumPy)."""
        if not force and self._autograd()[0]:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. "
                               "Use tensor.detach().numpy() instead.")
        if self._meta()._dtype is _dtype.bfloat16:
            raise TypeError("Got unsupported ScalarType BFloat16")
        return self._fetch_array()

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        return a if dtype is None else a.astype(dtype, copy=False)

    def _one_element(self, kind):
        a = self._fetch_array(allow_unknown_inline=True)
        if a.size != 1:
            raise RuntimeError("only one element tensors can be converted to Python scalars"
                               if kind != "bool" else
                               "Boolean value of Tensor with more than one value is ambiguous")
        return a.reshape(()).item()

    def __float__(self):
        return float(self._one_element("float"))

    def __int__(self):
        return int(self._one_element("int"))

    def __bool__(self):
        return bool(self._one_element("bool"))

    def __index__(self):
        if self.dtype.is_floating_point or self.numel() != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self._one_element("int"))

    def __complex__(self):
        return complex(self._one_element("complex"))

    def __repr__(self):
        if self._session is None or self._session.closed:
            return "<tensord.Tensor handle=%s (session closed)>" % self._handle
        shape = None
        if self._shape is None:
            self._describe()
        if _format.needs_summary(self._shape) and self._session.op_info("cat") is not None:
            shape = self._shape
            a = self._summary_edges()._fetch_array()
        else:
            a = self._fetch_array(refresh_ag=True)
        requires_grad, _, grad_fn = self._autograd()
        d = self._dtype
        return _format.tensor_repr(a, d.name, d.is_floating_point, self._device or "cpu",
                                   grad_fn, requires_grad, shape=shape)

    def _summary_edges(self):
        """The elements a summarized print shows (edge items per dim), cut on the server."""
        from ._grad_mode import no_grad
        e = _format.PRINT_OPTS.edgeitems
        out = self
        with no_grad():
            for d, n in enumerate(self._shape):
                if n > 2 * e:
                    out = run1("cat", [out._slice(d, 0, e, 1), out._slice(d, n - e, None, 1)],
                               {"dim": d})
        out._shape = _format.summarized_shape(self._shape)
        out._dtype, out._device = self._dtype, self._device
        return out

    __str__ = __repr__

    def __format__(self, spec):
        if self.dim() == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec) if spec else str(self)

    __hash__ = object.__hash__

    # ------------------------------------------------------------ conversions

    def to(self, *args, **kwargs):
        """to(dtype) / to(device) / to(device, dtype) / to(tensor); self if unchanged."""
        dtype = kwargs.pop("dtype", None)
        device = kwargs.pop("device", None)
        copy = kwargs.pop("copy", False)
        kwargs.pop("non_blocking", None)
        if kwargs:
            raise TypeError("to() got unexpected keyword arguments %s" % sorted(kwargs))
        for a in args:
            if isinstance(a, Tensor):
                dtype, device = a.dtype, a.device
            elif isinstance(a, _dtype.dtype):
                dtype = a
            elif isinstance(a, (str, _device_cls, int)) and not isinstance(a, bool):
                device = a
            else:
                raise TypeError("to() received an invalid combination of arguments: %r" % (a,))
        dtype = _dtype.canonical(dtype)
        device = _canon_device(device)
        self._meta()
        same_dtype = dtype is None or dtype is self._dtype
        same_device = device is None or device == self._device or \
            (device == "cuda" and self._device.startswith("cuda"))
        if same_dtype and same_device and not copy:
            return self
        attrs = {}
        if dtype is not None:
            attrs["dtype"] = dtype
        if device is not None:
            attrs["device"] = device
        out = run1("to", [self], attrs)
        out._shape = self._shape
        out._dtype = dtype or self._dtype
        if device is None:
            out._device = self._device
        elif ":" in device or device == "cpu":
            out._device = device
        return out

    def float(self):
        return self.to(_dtype.float32)

    def double(self):
        return self.to(_dtype.float64)

    def half(self):
        return self.to(_dtype.float16)

    def bfloat16(self):
        return self.to(_dtype.bfloat16)

    def long(self):
        return self.to(_dtype.int64)

    def int(self):
        return self.to(_dtype.int32)

    def short(self):
        return self.to(_dtype.int16)

    def char(self):
        return self.to(_dtype.int8)

    def byte(self):
        return self.to(_dtype.uint8)

    def bool(self):
        return self.to(_dtype.bool_)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        return self.to("cuda" if device is None else _canon_device(device))

    def type(self, dtype=None):
        if dtype is None:
            return _LEGACY_NAMES[self.dtype.name]
        if isinstance(dtype, str) and dtype in _LEGACY_TYPES:
            dtype = _LEGACY_TYPES[dtype]
        return self.to(_dtype.canonical(dtype))

    # ------------------------------------------------------------ arithmetic

    def add(self, other, *, alpha=1):
        return run1("add", [self, other], None if alpha == 1 else {"alpha": alpha})

    def sub(self, other, *, alpha=1):
        return run1("sub", [self, other], None if alpha == 1 else {"alpha": alpha})

    subtract = sub

    def mul(self, other):
        return run1("mul", [self, other])

    multiply = mul

    def div(self, other, *, rounding_mode=None):
        if rounding_mode is not None:
            raise NotImplementedError("div(rounding_mode=...) is not supported by tensord yet")
        return run1("div", [self, other])

    divide = true_divide = div

    def pow(self, exponent):
        return run1("pow", [self, exponent])

    def neg(self):
        return run1("neg", [self])

    negative = neg

    def exp(self):
        return run1("exp", [self])

    def log(self):
        return run1("log", [self])

    def sin(self):
        return run1("sin", [self])

    def cos(self):
        return run1("cos", [self])

    def relu(self):
        return run1("relu", [self])

    def sigmoid(self):
        return run1("sigmoid", [self])

    def _unary(name):
        def method(self):
            return run1(name, [self])
        method.__name__ = name
        method.__qualname__ = "Tensor." + name
        method.__doc__ = "Elementwise %s (on the server)." % name
        return method

    abs = __abs__ = absolute = _unary("abs")
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
    round = _unary("round")
    trunc = fix = _unary("trunc")
    reciprocal = _unary("reciprocal")
    del _unary

    def sum(self, dim=None, keepdim=False, *, dtype=None):
        return run1("sum", [self], _reduce_attrs(dim, keepdim, dtype))

    def mean(self, dim=None, keepdim=False, *, dtype=None):
        return run1("mean", [self], _reduce_attrs(dim, keepdim, dtype))

    def matmul(self, other):
        return run1("matmul", [self, other])

    def mm(self, mat2):
        return run1("mm", [self, mat2])

    def mv(self, vec):
        return run1("mv", [self, vec])

    def dot(self, other):
        return run1("dot", [self, other])

    def bmm(self, mat2):
        return run1("bmm", [self, mat2])

    def _binary(name, reflected=False):
        def method(self, other):
            if not (isinstance(other, Tensor) or _is_number(other)):
                return NotImplemented
            return run1(name, [other, self] if reflected else [self, other])
        method.__name__ = name
        method.__qualname__ = "Tensor." + name
        return method

    def _compare(name):
        def method(self, other):
            if not (isinstance(other, Tensor) or _is_number(other)):
                return NotImplemented
            return run1(name, [self, other])
        method.__name__ = name
        method.__qualname__ = "Tensor." + name
        return method

    eq = __eq__ = _compare("eq")
    ne = __ne__ = _compare("ne")
    lt = __lt__ = _compare("lt")
    le = __le__ = _compare("le")
    gt = __gt__ = _compare("gt")
    ge = __ge__ = _compare("ge")
    greater, greater_equal, less, less_equal, not_equal = gt, ge, lt, le, ne
    del _compare

    __add__ = _binary("add")
    __radd__ = _binary("add", reflected=True)
    __sub__ = _binary("sub")
    __rsub__ = _binary("sub", reflected=True)
    __mul__ = _binary("mul")
    __rmul__ = _binary("mul", reflected=True)
    __truediv__ = _binary("div")

    def __rtruediv__(self, other):
        if not _is_number(other):
            return NotImplemented
        # PyTorch computes `number / t` as t.reciprocal() * number (MulBackward0).
        if self._session.op_info("reciprocal") is not None:
            return run1("mul", [run1("reciprocal", [self]), other])
        return run1("div", [other, self])

    __pow__ = _binary("pow")
    __rpow__ = _binary("pow", reflected=True)
    del _binary

    def __matmul__(self, other):
        if not isinstance(other, Tensor):
            return NotImplemented
        return run1("matmul", [self, other])

    def __rmatmul__(self, other):
        if not isinstance(other, Tensor):
            return NotImplemented
        return run1("matmul", [other, self])

    def __neg__(self):
        return run1("neg", [self])

    def __pos__(self):
        return self

    # ------------------------------------------------------------ in-place ops

    def _inplace(self, name, inputs, attrs=None):
        run_op(name, [self] + list(inputs), attrs)
        return self

    def add_(self, other, *, alpha=1):
        return self._inplace("add_", [other], None if alpha == 1 else {"alpha": alpha})

    def sub_(self, other, *, alpha=1):
        return self._inplace("sub_", [other], None if alpha == 1 else {"alpha": alpha})

    def mul_(self, other):
        return self._inplace("mul_", [other])

    def div_(self, other):
        return self._inplace("div_", [other])

    def pow_(self, exponent):
        return self._inplace("pow_", [exponent])

    def _unary_inplace(name):
        def method(self):
            return self._inplace(name, [])
        method.__name__ = name
        method.__qualname__ = "Tensor." + name
        method.__doc__ = "In-place %s (writes into self); returns self." % name[:-1]
        return method

    neg_ = _unary_inplace("neg_")
    exp_ = _unary_inplace("exp_")
    log_ = _unary_inplace("log_")
    sin_ = _unary_inplace("sin_")
    cos_ = _unary_inplace("cos_")
    relu_ = _unary_inplace("relu_")
    sigmoid_ = _unary_inplace("sigmoid_")
    abs_ = _unary_inplace("abs_")
    sign_ = _unary_inplace("sign_")
    sqrt_ = _unary_inplace("sqrt_")
    rsqrt_ = _unary_inplace("rsqrt_")
    expm1_ = _unary_inplace("expm1_")
    log1p_ = _unary_inplace("log1p_")
    log2_ = _unary_inplace("log2_")
    tan_ = _unary_inplace("tan_")
    tanh_ = _unary_inplace("tanh_")
    erf_ = _unary_inplace("erf_")
    floor_ = _unary_inplace("floor_")
    ceil_ = _unary_inplace("ceil_")
    round_ = _unary_inplace("round_")
    trunc_ = _unary_inplace("trunc_")
    reciprocal_ = _unary_inplace("reciprocal_")
    zero_ = _unary_inplace("zero_")
    del _unary_inplace

    def fill_(self, value):
        return self._inplace("fill_", [], {"value": value})

    def copy_(self, src, non_blocking=False):
        return self._inplace("copy_", [_as_operand_tensor(src, self)])

    def clamp_(self, min=None, max=None):  # noqa: A002 - torch's names
        return self._inplace("clamp_", [], _clamp_attrs(min, max))

    clip_ = clamp_

    def masked_fill_(self, mask, value):
        return self._inplace("masked_fill_", [mask], {"value": value})

    def t_(self):
        shape = self._shape
        self._inplace("t_", [])
        if shape is not None:
            self._shape = tuple(reversed(shape))
        self._contig = None
        return self

    def _iop(name):
        def method(self, other):
            if not (isinstance(other, Tensor) or _is_number(other)):
                return NotImplemented
            return self._inplace(name, [other])
        method.__name__ = name
        return method

    __iadd__ = _iop("add_")
    __isub__ = _iop("sub_")
    __imul__ = _iop("mul_")
    __itruediv__ = _iop("div_")
    __ipow__ = _iop("pow_")
    del _iop

    # ------------------------------------------------------------ selection

    def clamp(self, min=None, max=None):  # noqa: A002 - torch's names
        return run1("clamp", [self], _clamp_attrs(min, max))

    clip = clamp

    def maximum(self, other):
        return run1("maximum", [self, other])

    def minimum(self, other):
        return run1("minimum", [self, other])

    def masked_fill(self, mask, value):
        return run1("masked_fill", [self, mask], {"value": value})

    def where(self, condition, other):
        return run1("where", [condition, self, other])

    def select(self, dim, index):
        out = run1("select", [self], {"dim": dim, "index": index})
        shape = self._shape
        if shape is not None and shape:
            d = _wrap_dim(dim, len(shape))
            out._shape = shape[:d] + shape[d + 1:]
        out._dtype, out._device = self._dtype, self._device
        return out

    def narrow(self, dim, start, length):
        return run1("narrow", [self], {"dim": dim, "start": start, "length": length})

    def _slice(self, dim, start, stop, step):
        attrs = {"dim": dim, "step": step}
        if start is not None:
            attrs["start"] = start
        if stop is not None:
            attrs["end"] = stop
        out = run1("slice", [self], attrs)
        shape = self._shape
        if shape is not None:
            n = len(range(*slice(start, stop, step).indices(shape[dim])))
            out._shape = shape[:dim] + (n,) + shape[dim + 1:]
        out._dtype, out._device = self._dtype, self._device
        return out

    def __getitem__(self, key):
        """Basic indexing: ints, slices (positive step), None and ``...``."""
        keys = key if isinstance(key, tuple) else (key,)
        ndim = self.dim()
        consumed = sum(1 for k in keys if k is not None and k is not Ellipsis)
        if sum(1 for k in keys if k is Ellipsis) > 1:
            raise IndexError("an index can only have a single ellipsis ('...')")
        if consumed > ndim:
            raise IndexError("too many indices for tensor of dimension %d" % ndim)
        out, dim = self, 0
        for k in keys:
            if k is None:
                out = out.unsqueeze(dim)
                dim += 1
            elif k is Ellipsis:
                dim += ndim - consumed
            elif isinstance(k, slice):
                step = 1 if k.step is None else _index_int(k.step)
                if step <= 0:
                    raise ValueError("step must be greater than zero")
                start = None if k.start is None else _index_int(k.start)
                stop = None if k.stop is None else _index_int(k.stop)
                if start not in (None, 0) or stop is not None or step != 1 or out is self:
                    out = out._slice(dim, start, stop, step)
                dim += 1
            elif isinstance(k, (bool, np.bool_)) or not _is_index(k):
                raise NotImplementedError(
                    "tensord supports basic indexing only (ints, slices, None, ...); got %r"
                    % (type(k).__name__,))
            else:
                out = out.select(dim, _index_int(k))
        return out

    def __setitem__(self, key, value):
        target = self[key]
        if _is_number(value):
            target.fill_(value)
        else:
            target.copy_(_as_operand_tensor(value, self))

    def __iter__(self):
        n = len(self)
        for i in range(n):
            yield self.select(0, i)

    # ------------------------------------------------------------ views and shapes

    def transpose(self, dim0, dim1):
        return run1("transpose", [self], {"dim0": dim0, "dim1": dim1})

    swapaxes = swapdims = transpose

    def t(self):
        return run1("t", [self])

    @property
    def T(self):
        n = self.dim()
        if n <= 2:
            return self.t()
        return self.permute(*range(n - 1, -1, -1))

    @property
    def mT(self):
        return self.transpose(-2, -1)

    def view(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], _dtype.dtype):
            raise NotImplementedError("view(dtype) is not supported by tensord yet")
        return run1("view", [self], {"size": list(_shape_args(shape))})

    def view_as(self, other):
        return self.view(other.shape)

    def reshape(self, *shape):
        return run1("reshape", [self], {"shape": list(_shape_args(shape, "shape"))})

    def reshape_as(self, other):
        return self.reshape(other.shape)

    def flatten(self, start_dim=0, end_dim=-1):
        shape = self._meta()._shape
        if not shape:
            return self.reshape(1)
        s, e = _wrap_dim(start_dim, len(shape)), _wrap_dim(end_dim, len(shape))
        if s > e:
            raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
        if s == e:
            return self
        return self.reshape(*shape[:s], _prod(shape[s:e + 1]), *shape[e + 1:])

    def expand(self, *sizes):
        return run1("expand", [self], {"size": list(_shape_args(sizes))})

    def expand_as(self, other):
        return self.expand(other.shape)

    def contiguous(self):
        if self._contig:
            return self
        return run1("contiguous", [self])

    def unsqueeze(self, dim):
        return run1("unsqueeze", [self], {"dim": dim})

    def squeeze(self, dim=None):
        return run1("squeeze", [self], None if dim is None else {"dim": _ints(dim)})

    def permute(self, *dims):
        return run1("permute", [self], {"dims": list(_shape_args(dims, "dims"))})

    def clone(self):
        out = run1("clone", [self])
        out._shape, out._dtype, out._device, out._contig = \
            self._shape, self._dtype, self._device, True
        return out


Tensor.__module__ = "tensord"


def _index_int(k):
    if isinstance(k, Tensor):
        return int(k.item())
    return int(k.__index__())


def _is_index(k):
    if isinstance(k, Tensor):
        return True
    return hasattr(k, "__index__")


def _clamp_attrs(lo, hi):
    if lo is None and hi is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    attrs = {}
    if lo is not None:
        attrs["min"] = lo
    if hi is not None:
        attrs["max"] = hi
    return attrs


def _as_operand_tensor(value, like):
    """``value`` as a Tensor of ``like``'s session (lists/arrays/numbers are uploaded)."""
    if isinstance(value, Tensor):
        return value
    from ._functions import _infer_array
    arr, d = _infer_array(value, None)
    return create_from_array(arr, d, session=like._session)


def _size_of_scalar(dim):
    raise IndexError("Dimension specified as %d but tensor has no dimensions" % dim)


def _reduce_attrs(dim, keepdim, dtype):
    attrs = {}
    if dim is not None:
        attrs["dim"] = _ints(dim)
    if keepdim:
        attrs["keepdim"] = True
    if dtype is not None:
        attrs["dtype"] = _dtype.canonical(dtype)
    return attrs


_LEGACY_NAMES = {
    "float32": "torch.FloatTensor", "float64": "torch.DoubleTensor",
    "float16": "torch.HalfTensor", "bfloat16": "torch.BFloat16Tensor",
    "int64": "torch.LongTensor", "int32": "torch.IntTensor", "int16": "torch.ShortTensor",
    "int8": "torch.CharTensor", "uint8": "torch.ByteTensor", "bool": "torch.BoolTensor",
}
_LEGACY_TYPES = {v: _dtype.from_name(k) for k, v in _LEGACY_NAMES.items()}


def wrap_created(session, handle, shape, d, device, requires_grad):
    t = Tensor._wrap(session, handle, shape, d, device, contig=True)
    t._set_ag(requires_grad, True, "")
    return t


def create_from_array(arr, d, requires_grad=False, device=None, session=None):
    """Binds a new handle to the values of NumPy array ``arr`` as dtype ``d``."""
    if requires_grad and not d.is_floating_point:
        raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                           "gradients")
    session = session or default_session()
    dev = _canon_device(device) or "cpu"
    payload = _dtype.to_bytes(arr, d)
    shape = tuple(int(s) for s in np.shape(arr))
    h = session.new_handle()
    if len(payload) > INLINE_LIMIT:
        session.upload(h, payload, d, shape, requires_grad, dev)
    else:
        cmd = pb.Command(create=pb.CreateCommand(
            handle=h, data=pb.TensorData(dtype=d.wire, shape=shape, data=payload),
            requires_grad=requires_grad, device=dev))
        session.enqueue(cmd, "create", nbytes=len(payload))
    return wrap_created(session, h, shape, d, dev if dev == "cpu" or ":" in dev else None,
                        requires_grad)

