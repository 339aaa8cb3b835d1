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
import weakref
import warnings

import numpy as np

from . import _dtype
from . import _format
from . import _indexing
from . import _memory_format
from . import _shapes
from ._device import canonical as _canon_device
from ._device import device as _device_cls
from ._grad_mode import is_grad_enabled
from ._session import INLINE_LIMIT, default_session
from ._size import Size

__all__ = ["Tensor"]


# ---------------------------------------------------------------- grad_fn objects

class Node:
    """A tensor's grad_fn, e.g. ``<AddBackward0 object at 0x...>``.

    ``type(t.grad_fn).__name__`` and ``t.grad_fn.name()`` give PyTorch's
    name. ``next_functions`` is PyTorch's too: ((Node or None, input_nr), ...);
    the first access fetches the graph behind the tensor from the server (one
    GraphCommand) and the nodes it returns share that snapshot, so walking
    the graph costs one round trip. Node objects are not unique per server
    node (``a.grad_fn.next_functions[0][0] is b.grad_fn`` may be False).
    """

    __slots__ = ("__weakref__", "_root", "_graph", "_index")

    def __init__(self, root=None, graph=None, index=None):
        self._root = root        # weakref to the tensor whose grad_fn this is
        self._graph = graph      # AutogradGraph snapshot (nodes below a root)
        self._index = index

    def name(self):
        return type(self).__name__

    @property
    def next_functions(self):
        graph, index = self._graph, self._index
        if graph is None:
            tensor = self._root() if self._root is not None else None
            if tensor is None:
                raise RuntimeError("next_functions: the tensor of this grad_fn no longer exists")
            from .viz import fetch_graph
            graph = fetch_graph([tensor])
            edge = graph.roots[0].grad_fn
            if edge is None or edge.none:
                return ()
            index = edge.node
        return tuple((None, 0) if e.none else
                     (_node(graph.nodes[e.node].name, graph=graph, index=e.node), e.input_nr)
                     for e in graph.nodes[index].next)

    def __repr__(self):
        return "<%s object at %#x>" % (type(self).__name__, id(self))


_node_types = {}


def _node(name, root=None, graph=None, index=None):
    cls = _node_types.get(name)
    if cls is None:
        cls = type(name, (Node,), {"__slots__": (), "__module__": "tensord.autograd"})
        _node_types[name] = cls
    return cls(root, graph, index)


# ---------------------------------------------------------------- op helpers

def _is_number(x):
    t = type(x)
    if t is float or t is int or t is bool:
        return True
    return isinstance(x, (numbers.Real, np.bool_)) and not isinstance(x, Tensor)


def _ints(v):
    if isinstance(v, numbers.Integral):
        return [int(v)]
    return [int(i) for i in v]


_ACCESSOR_OPS = frozenset(["grad"])
# A view made under no_grad of a tensor that requires grad requires grad too
# (PyTorch; Note [In-place on views] in engine/autograd.h).
_VIEW_OPS = frozenset(["view", "reshape", "expand", "transpose", "t", "permute", "unsqueeze",
                       "squeeze", "select", "slice", "narrow"])


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
    info = (session._ops or session.list_ops()).get(name)
    inplace = info.inplace if info is not None else name.endswith("_")
    grad_on = is_grad_enabled()
    if attrs:
        for k, v in attrs.items():
            if isinstance(v, Tensor):  # a number given as a one-element tensor
                attrs = {k: (v.item() if isinstance(v, Tensor) else v) for k, v in attrs.items()}
                break
    # The core queues the command (Note [Pipelining and sync points] in tensord.h).
    outs = session._core.op(name, [x._handle if isinstance(x, Tensor) else x for x in inputs],
                            attrs, grad_on)
    if session.blocking:
        session._core.sync()
    if inplace:
        session.epoch += 1
    results = [Tensor._wrap(session, h) for h in outs]
    if len(results) == 1 and name in _shapes.RULES:
        _infer_meta(name, inputs, attrs or {}, results[0])
    # Note [Cached metadata]: the unconditional no-grad cases. Accessors
    # (`grad`) return existing tensors, whose autograd state is their own.
    if name not in _ACCESSOR_OPS and ((not grad_on and name not in _VIEW_OPS) or all(
            x._known_ag() is not None and not x._known_ag()[0]
            for x in inputs if isinstance(x, Tensor))):
        for t in results:
            t._set_ag(False, True, "")
    return results


def _infer_meta(name, inputs, attrs, out):
    """Fills ``out``'s cached shape/dtype/device where known (Note [Shape inference])."""
    shapes = []
    first = None
    for x in inputs:
        if isinstance(x, Tensor):
            if x._shape is None:
                return
            shapes.append(x._shape)
            if first is None:
                first = x
        elif x is None:
            return
        else:
            shapes.append(())
    out._shape = _shapes.infer(name, shapes, attrs)
    if first is None:
        return
    if name in _shapes.SAME_DTYPE:
        out._dtype = first._dtype
    elif name in _shapes.FLOAT_KEEP:
        d = first._dtype
        if d is not None and d.is_floating_point and "dtype" not in attrs:
            out._dtype = d
    elif name in _shapes.ARITH:
        out._dtype = _arith_dtype(name, inputs)
    elif name in _shapes.BOOL_DTYPE:
        # all/any keep uint8 (PyTorch's legacy rule); everything else here is bool
        keep = name in ("all", "any") and first._dtype is _dtype.uint8
        out._dtype = _dtype.uint8 if keep else _dtype.bool_
    elif name in _shapes.LONG_DTYPE:
        out._dtype = _dtype.int64
    if name not in ("to", "_to_copy"):
        # The server runs the op where its non-CPU tensors are (CPU scalars
        # may join them): the first such device, else the CPU; unknown if
        # any input's device is not known here.
        devices = [x._device for x in inputs if isinstance(x, Tensor)]
        if None in devices:
            out._device = None
        else:
            out._device = next((d for d in devices if d != "cpu"), first._device)


def _arith_dtype(name, inputs):
    """The result dtype of add/mul/... when promotion cannot change it, else None."""
    d = None
    for x in (inputs[1:] if name == "where" else inputs):
        if isinstance(x, Tensor):
            if x._dtype is None or (d is not None and x._dtype is not d):
                return None
            d = x._dtype
    if d is None or d is _dtype.bool_:
        return None
    for x in inputs:
        if isinstance(x, Tensor):
            continue
        if isinstance(x, (bool, np.bool_)):
            return None
        if not d.is_floating_point and not isinstance(x, numbers.Integral):
            return None
    if name == "div" and not d.is_floating_point:
        return None
    return d


def describe_many(tensors):
    """TensorInfo of each tensor (one session) in one round trip; refreshes their caches."""
    tensors = list(tensors)
    if not tensors:
        return []
    session = tensors[0]._session
    infos = session.describe([t._handle for t in tensors])
    for t, info in zip(tensors, infos):
        t._absorb(info)
    return infos


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
                 "_grad_fn_obj", "_contig", "_retains_grad", "__weakref__")
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
        # Share the handle of src (src dies with this call).
        for slot in Tensor.__slots__[:-1]:
            if slot != "_retains_grad":
                object.__setattr__(self, slot, getattr(src, slot))

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
        (info,) = self._session.describe([self._handle])
        self._absorb(info)
        return info

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

    def get_device(self):
        """get_device() -> int

        The index of the cuda device the tensor is on, -1 on the CPU.
        """
        d = self.device
        return d.index if d.type == "cuda" else -1

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
            self._grad_fn_obj = _node(name, root=weakref.ref(self))
        return self._grad_fn_obj

    @property
    def grad(self):
        """The accumulated gradient (a Tensor aliasing the server's .grad), or None."""
        info = self._describe()
        if not info.has_grad:
            if not info.is_leaf and not getattr(self, "_retains_grad", False):
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
        """``t.grad = None`` drops the gradient; ``t.grad = g`` makes g (an alias) the gradient.

        The server checks what PyTorch checks (same shape, dtype and device).
        """
        if value is not None and not isinstance(value, Tensor):
            raise TypeError("assigned grad expected to be a Tensor or None but got grad of type "
                            + type(value).__name__)
        run_op("set_grad_", [self, value])

    @grad.deleter
    def grad(self):
        run_op("set_grad_", [self, None])

    def retain_grad(self):
        """A non-leaf keeps its gradient in ``.grad`` at the next backward() (no-op for leaves)."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        run_op("retain_grad", [self])
        if not self.is_leaf:
            self._retains_grad = True

    @property
    def retains_grad(self):
        return getattr(self, "_retains_grad", False) and not self.is_leaf

    def register_hook(self, hook):
        """Not supported: a Python hook cannot run inside the server's backward pass.

        Gradients are computed on the server in one pass; calling back into the
        client for every hooked tensor would need a round trip in the middle of
        it. Use ``torch.autograd.grad(out, [t])`` to get (and then change) the
        gradient with respect to ``t``, or ``t.retain_grad()`` to read it from
        ``t.grad`` after backward().
        """
        raise NotImplementedError(
            "register_hook is not supported by tensord: backward runs on the server and cannot call "
            "back into a Python hook. Use torch.autograd.grad(outputs, [tensor]) to obtain (and modify) "
            "the gradient with respect to a tensor, or tensor.retain_grad() to read it from .grad "
            "after backward().")

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
        if need_describe and (small or (not meta_known and allow_unknown_inline)):
            info, (wire, shape, data) = s.query(["describe", "fetch"],
                                                [self._handle, self._handle])
            self._absorb(info)
            return _dtype.from_bytes(data, _dtype.from_wire(wire), shape)
        if need_describe:
            self._describe()
        d, shape, data = s.fetch(self._handle)
        return _dtype.from_bytes(data, d, shape)

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
            return "<tensord.Tensor handle=%s (session closed)>" % self._handle.id
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
        if device == "cuda":
            device = "cuda:0"  # the current device, as in PyTorch (the server's device 0)
        self._meta()
        same_dtype = dtype is None or dtype is self._dtype
        same_device = device is None or device == self._device
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
        out._device = self._device if device is None else device
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
        """True division, or rounded: rounding_mode 'trunc' or 'floor'."""
        return run1("div", [self, other], _rounding(rounding_mode))

    divide = div

    def true_divide(self, other):
        return run1("div", [self, other])

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

    def __rsub__(self, other):
        # `number - t` is rsub(t, number) in PyTorch (grad_fn RsubBackward1).
        if not (isinstance(other, Tensor) or _is_number(other)):
            return NotImplemented
        return run1("rsub", [self, other])

    def rsub(self, other, *, alpha=1):
        """other - alpha * self."""
        return run1("rsub", [self, other], None if alpha == 1 else {"alpha": alpha})
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

    def div_(self, other, *, rounding_mode=None):
        return self._inplace("div_", [other], _rounding(rounding_mode))

    divide_ = div_

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

    def square_(self):
        return self.pow_(2)

    zero_ = _unary_inplace("zero_")
    del _unary_inplace

    def fill_(self, value):
        if isinstance(value, Tensor):  # differentiable in value: a broadcast copy
            if value.dim() != 0:
                raise RuntimeError("fill_ only supports 0-dimension value tensor but got tensor "
                                   "with %d dimensions." % value.dim())
            return self.copy_(value)
        return self._inplace("fill_", [], {"value": value})

    def copy_(self, src, non_blocking=False):
        return self._inplace("copy_", [_as_operand_tensor(src, self)])

    def clamp_(self, min=None, max=None):  # noqa: A002 - torch's names
        if isinstance(min, Tensor) or isinstance(max, Tensor):
            return self.copy_(self.clamp(min, max))
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
        if isinstance(min, Tensor) or isinstance(max, Tensor):  # tensor bounds: min(max(x, lo), hi)
            _clamp_attrs(min, max)
            out = self if min is None else run1("maximum", [self, min])
            return out if max is None else run1("minimum", [out, max])
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
        """PyTorch indexing: ints, slices, None, ``...``, bools, index tensors, lists, masks.

        Basic entries make views; tensor-like entries become one `index` op
        (a copy), see Note [Indexing] in _indexing.py.
        """
        return _indexing.getitem(self, key)

    def __setitem__(self, key, value):
        """``t[key] = value``: copy_/fill_ into a view, or index_put_ for tensor indices."""
        _indexing.setitem(self, key, value)

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

    def contiguous(self, memory_format=None):
        _memory_format.wire_name(memory_format, _memory_format.contiguous_format)
        if self._contig:
            return self
        out = run1("contiguous", [self])
        out._contig = True
        return out

    def unsqueeze(self, dim):
        return run1("unsqueeze", [self], {"dim": dim})

    def squeeze(self, dim=None):
        return run1("squeeze", [self], None if dim is None else {"dim": _ints(dim)})

    def permute(self, *dims):
        return run1("permute", [self], {"dims": list(_shape_args(dims, "dims"))})

    def clone(self, *, memory_format=None):
        """A copy; preserve_format (the default) keeps a dense layout's strides, as in torch."""
        fmt = _memory_format.wire_name(memory_format)
        out = run1("clone", [self], {"memory_format": fmt})
        # a contiguous tensor's copy is contiguous either way; others: ask the server
        out._shape, out._dtype, out._device = self._shape, self._dtype, self._device
        out._contig = True if fmt == "contiguous_format" or self._contig else None
        return out
    # ------------------------------------------------------------ reductions (2)

    def prod(self, dim=None, keepdim=False, *, dtype=None):
        return run1("prod", [self], _reduce_attrs(dim, keepdim, dtype))

    def amax(self, dim=(), keepdim=False):
        return run1("amax", [self], _reduce_attrs(_all_dims(dim), keepdim, None))

    def amin(self, dim=(), keepdim=False):
        return run1("amin", [self], _reduce_attrs(_all_dims(dim), keepdim, None))

    def max(self, dim=None, keepdim=False):
        """max() (all elements), max(dim, keepdim) -> (values, indices), or max(other)."""
        return _max_min(self, "max", dim, keepdim)

    def min(self, dim=None, keepdim=False):
        """min() (all elements), min(dim, keepdim) -> (values, indices), or min(other)."""
        return _max_min(self, "min", dim, keepdim)

    def all(self, dim=None, keepdim=False):
        return run1("all", [self], _reduce_attrs(dim, keepdim, None))

    def any(self, dim=None, keepdim=False):
        return run1("any", [self], _reduce_attrs(dim, keepdim, None))

    def argmax(self, dim=None, keepdim=False):
        return run1("argmax", [self], _arg_attrs(dim, keepdim))

    def argmin(self, dim=None, keepdim=False):
        return run1("argmin", [self], _arg_attrs(dim, keepdim))

    def softmax(self, dim, dtype=None):
        return run1("softmax", [self], _dim_dtype(dim, dtype))

    def log_softmax(self, dim, dtype=None):
        return run1("log_softmax", [self], _dim_dtype(dim, dtype))

    def cumsum(self, dim, *, dtype=None):
        return run1("cumsum", [self], _dim_dtype(dim, dtype))

    def cumprod(self, dim, *, dtype=None):
        return run1("cumprod", [self], _dim_dtype(dim, dtype))

    def var(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """Variance; unbiased (default) divides by N - 1, ``correction=c`` by N - c."""
        return run1("var", [self], _var_attrs(dim, unbiased, keepdim, correction))

    def std(self, dim=None, unbiased=None, keepdim=False, *, correction=None):
        """Standard deviation; see var()."""
        return run1("std", [self], _var_attrs(dim, unbiased, keepdim, correction))

    def logsumexp(self, dim, keepdim=False):
        return run1("logsumexp", [self], {"dim": _ints(dim), "keepdim": bool(keepdim)})

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        """Vector p-norm over ``dim`` (all elements by default); 'fro' is the 2-norm."""
        x = self if dtype is None else self.to(dtype)
        if isinstance(p, str):
            if p != "fro":
                raise NotImplementedError("norm(p=%r) is not supported by tensord" % p)
            p = 2
        attrs = {"p": p}
        if dim is not None:
            attrs["dim"] = _ints(dim)
        if keepdim:
            attrs["keepdim"] = True
        return run1("norm", [x], attrs)

    # ------------------------------------------------------------ indexing ops

    def index_select(self, dim, index):
        return run1("index_select", [self, index], {"dim": dim})

    def gather(self, dim, index, *, sparse_grad=False):
        return run1("gather", [self, index], {"dim": dim})

    def scatter(self, dim, index, src=None, value=None, *, reduce=None):
        """Out-of-place scatter: src values (or one ``value``) written at ``index`` along dim."""
        return run1("scatter", *_scatter_args(self, dim, index, src, value, reduce))

    def scatter_(self, dim, index, src=None, value=None, *, reduce=None):
        return self._inplace("scatter_", *_scatter_args(self, dim, index, src, value, reduce,
                                                        skip_self=True))

    def scatter_add(self, dim, index, src):
        return run1("scatter_add", [self, index, src], {"dim": dim})

    def scatter_add_(self, dim, index, src):
        return self._inplace("scatter_add_", [index, src], {"dim": dim})

    def index_put_(self, indices, values, accumulate=False):
        """self[indices] = values (``+=`` when accumulate); indices: a tuple of tensors/None."""
        if not isinstance(values, Tensor):
            values = _as_operand_tensor(values, self)
        return self._inplace("index_put_", [values] + list(indices),
                             {"accumulate": bool(accumulate)})

    def index_put(self, indices, values, accumulate=False):
        if not isinstance(values, Tensor):
            values = _as_operand_tensor(values, self)
        return run1("index_put", [self, values] + list(indices),
                    {"accumulate": bool(accumulate)})

    def nonzero(self, *, as_tuple=False):
        """Indices of the nonzero elements: [N, dim] int64, or one tensor per dim."""
        out = run1("nonzero", [self])
        if not as_tuple:
            return out
        if self.dim() == 0:
            return (out.reshape(-1),)
        return tuple(out.select(1, i) for i in range(self.dim()))

    def masked_select(self, mask):
        """The elements where ``mask`` (broadcast with self) is true, as a 1-D tensor."""
        a, m = self, mask
        if a.shape != m.shape:
            shape = _shapes.broadcast(a.shape, m.shape)
            if shape is None:
                raise RuntimeError("The size of tensor a (%s) must match the size of tensor b "
                                   "(%s)" % (tuple(a.shape), tuple(m.shape)))
            a, m = a.expand(shape), m.expand(shape)
        return a[m]

    def take(self, index):
        return self.reshape(-1)[index]

    # ------------------------------------------------------------ random fills

    def uniform_(self, from_=0.0, to=1.0, *, generator=None, **kwargs):
        """Fills self with uniform samples in [from, to) from the session's generator."""
        _check_generator(generator)
        if "from" in kwargs:
            from_ = kwargs.pop("from")
        if kwargs:
            raise TypeError("uniform_() got unexpected keyword arguments %s" % sorted(kwargs))
        return self._inplace("uniform_", [], {"from": float(from_), "to": float(to)})

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        _check_generator(generator)
        return self._inplace("normal_", [], {"mean": float(mean), "std": float(std)})

    def bernoulli_(self, p=0.5, *, generator=None):
        """Fills self with 1 (probability p) or 0; p a number or a tensor of probabilities."""
        _check_generator(generator)
        if isinstance(p, Tensor):
            from ._grad_mode import no_grad
            with no_grad():
                return self.copy_(run1("bernoulli", [p.to(_dtype.float64).expand(self.shape)]))
        return self._inplace("bernoulli_", [], {"p": float(p)})

    def bernoulli(self, p=None, *, generator=None):
        """Samples 0/1 with probabilities self (or p for every element), same shape and dtype."""
        _check_generator(generator)
        if p is None:
            return run1("bernoulli", [self])
        from ._grad_mode import no_grad
        with no_grad():
            out = run1("empty", [], {"size": list(self.shape), "dtype": self.dtype,
                                     "device": self._meta()._device},
                       session=self._session)
            return out.bernoulli_(p)

    # ------------------------------------------------------------ composites

    def unflatten(self, dim, sizes):
        shape = self.shape
        d = _wrap_dim(dim, len(shape))
        sizes = [int(s) for s in sizes]
        if sizes.count(-1) == 1:
            known = _prod(s for s in sizes if s != -1)
            sizes[sizes.index(-1)] = shape[d] // known if known else 0
        if _prod(sizes) != shape[d]:
            raise RuntimeError("unflatten: Provided sizes %s don't multiply up to the size of dim %d "
                               "(%d) in the input tensor" % (sizes, dim, shape[d]))
        return self.reshape(*shape[:d], *sizes, *shape[d + 1:])

    def split(self, split_size, dim=0):
        """Pieces of ``split_size`` along dim (the last may be smaller), or of the given sizes."""
        n = self.size(dim)
        if isinstance(split_size, numbers.Integral):
            size = int(split_size)
            if size <= 0 and n > 0:
                raise RuntimeError("split_size can only be 0 if dimension size is 0, but got "
                                   "dimension size of %d" % n)
            sizes = [min(size, n - i) for i in range(0, n, size)] if n else [0]
        else:
            sizes = [int(s) for s in split_size]
            if _builtin_sum(sizes) != n:
                raise RuntimeError("split_with_sizes expects split_sizes to sum exactly to %d "
                                   "(input tensor's size at dimension %d), but got split_sizes=%s"
                                   % (n, dim, sizes))
        out, start = [], 0
        for s in sizes:
            out.append(self.narrow(dim, start, s))
            start += s
        return tuple(out)

    def split_with_sizes(self, split_sizes, dim=0):
        return self.split(list(split_sizes), dim)

    def chunk(self, chunks, dim=0):
        """At most ``chunks`` pieces of equal size (the last may be smaller) along dim."""
        if chunks <= 0:
            raise RuntimeError("chunk expects `chunks` to be greater than 0, got: %d" % chunks)
        n = self.size(dim)
        return self.split(max(1, -(-n // chunks)) if n else 1, dim)

    def unbind(self, dim=0):
        return tuple(self.select(dim, i) for i in range(self.size(dim)))

    def repeat(self, *sizes):
        reps = _shape_args(sizes)
        shape = self.shape
        if len(reps) < len(shape):
            raise RuntimeError("Number of dimensions of repeat dims can not be smaller than "
                               "number of dimensions of tensor")
        shape = (1,) * (len(reps) - len(shape)) + tuple(shape)
        x = self.reshape(shape) if len(shape) != self.dim() else self
        inter, expanded, final = [], [], []
        for r, s in zip(reps, shape):
            inter += [1, s]
            expanded += [r, s]
            final.append(r * s)
        return x.reshape(inter).expand(expanded).reshape(final)

    def tile(self, *dims):
        reps = _shape_args(dims)
        if len(reps) < self.dim():
            reps = (1,) * (self.dim() - len(reps)) + reps
        return self.repeat(reps)

    def type_as(self, other):
        return self.to(other.dtype)

    def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
        from ._functions import tensor as _tensor_fn
        return _tensor_fn(data, dtype=dtype or self.dtype,
                          device=device or self._meta()._device, requires_grad=requires_grad)

    def _new(self, name, size, dtype, device, requires_grad, extra=None):
        from ._functions import _factory
        return _factory(name, _shape_args(size), _dtype.canonical(dtype) or self.dtype,
                        device or self._meta()._device, requires_grad, extra,
                        session=self._session)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new("zeros", size, dtype, device, requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new("ones", size, dtype, device, requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        return self._new("empty", size, dtype, device, requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        return self._new("full", (size,), dtype, device, requires_grad,
                         {"fill_value": fill_value})

    def clamp_min(self, min):  # noqa: A002 - torch's name
        return self.clamp(min=min)

    def clamp_max(self, max):  # noqa: A002 - torch's name
        return self.clamp(max=max)

    def square(self):
        if self.dtype is _dtype.bool_:  # PyTorch: pow(bool, 2) is int64
            return self.long().square()
        return run1("mul", [self, self])

    def outer(self, vec2):
        return run1("outer", [self, vec2])

    ger = outer

    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        """beta * self + alpha * (mat1 @ mat2)."""
        return run1("addmm", [self, mat1, mat2], _beta_alpha(beta, alpha))

    def addmm_(self, mat1, mat2, *, beta=1, alpha=1):
        return self.copy_(self.addmm(mat1, mat2, beta=beta, alpha=alpha))

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        """beta * self + alpha * (batch1 @ batch2), batched."""
        return run1("baddbmm", [self, batch1, batch2], _beta_alpha(beta, alpha))

    def isnan(self):
        return run1("isnan", [self])

    def isinf(self):
        return run1("isinf", [self])

    def isfinite(self):
        return run1("isfinite", [self])

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        return run1("nan_to_num", [self], _nan_to_num_attrs(nan, posinf, neginf))

    def nan_to_num_(self, nan=0.0, posinf=None, neginf=None):
        return self._inplace("nan_to_num_", [], _nan_to_num_attrs(nan, posinf, neginf))

    # ------------------------------------------------------------ division modes

    def remainder(self, other):
        """Python's %: the result has the sign of the divisor."""
        return run1("remainder", [self, other])

    def remainder_(self, other):
        return self._inplace("remainder_", [other])

    def fmod(self, other):
        """C's fmod: the result has the sign of the dividend."""
        return run1("fmod", [self, other])

    def fmod_(self, other):
        return self._inplace("fmod_", [other])

    def floor_divide(self, other):
        return run1("div", [self, other], {"rounding_mode": "floor"})

    def floor_divide_(self, other):
        return self._inplace("div_", [other], {"rounding_mode": "floor"})

    def _number_op(name, reflected=False, attrs=None):
        def method(self, other):
            if not (isinstance(other, Tensor) or _is_number(other)):
                return NotImplemented
            return run1(name, [other, self] if reflected else [self, other], attrs)
        method.__name__ = name
        return method

    __mod__ = _number_op("remainder")
    __rmod__ = _number_op("remainder", reflected=True)
    __floordiv__ = _number_op("div", attrs={"rounding_mode": "floor"})
    __rfloordiv__ = _number_op("div", reflected=True, attrs={"rounding_mode": "floor"})
    del _number_op

    def __imod__(self, other):
        return self.remainder_(other)

    def __ifloordiv__(self, other):
        return self.floor_divide_(other)

    # ------------------------------------------------------------ logical / bitwise

    def logical_not(self):
        return run1("logical_not", [self])

    def logical_not_(self):
        return self._inplace("logical_not_", [])

    def logical_and(self, other):
        return run1("logical_and", [self, other])

    def logical_or(self, other):
        return run1("logical_or", [self, other])

    def logical_xor(self, other):
        return run1("logical_xor", [self, other])

    def bitwise_not(self):
        return run1("bitwise_not", [self])

    __invert__ = bitwise_not

    def _bitwise(name, reflected=False):
        def method(self, other):
            if not (isinstance(other, Tensor) or _is_number(other)):
                return NotImplemented
            return run1(name, [other, self] if reflected else [self, other])
        method.__name__ = name
        return method

    __and__ = bitwise_and = _bitwise("bitwise_and")
    __or__ = bitwise_or = _bitwise("bitwise_or")
    __xor__ = bitwise_xor = _bitwise("bitwise_xor")
    __rand__ = _bitwise("bitwise_and", reflected=True)
    __ror__ = _bitwise("bitwise_or", reflected=True)
    __rxor__ = _bitwise("bitwise_xor", reflected=True)
    del _bitwise

    def bitwise_and_(self, other):
        return self._inplace("bitwise_and_", [other])

    def bitwise_or_(self, other):
        return self._inplace("bitwise_or_", [other])

    def bitwise_xor_(self, other):
        return self._inplace("bitwise_xor_", [other])

    __iand__ = bitwise_and_
    __ior__ = bitwise_or_
    __ixor__ = bitwise_xor_

    # ------------------------------------------------------------ storage

    def data_ptr(self):
        """A stand-in for the address of the first element (see warning).

        tensord tensors live in the server's memory, so no real address exists
        in this process. The value is derived from the server's storage id and
        the element offset: equal exactly when PyTorch's data_ptr() would be
        equal (same storage, same first element), and distinct otherwise.
        """
        global _warned_data_ptr
        if not _warned_data_ptr:
            _warned_data_ptr = True
            warnings.warn("tensord: data_ptr() is not a memory address (tensors live on the "
                          "server); it only compares equal for tensors that share storage and "
                          "start at the same element", UserWarning, stacklevel=2)
        info = self._describe()
        return (int(info.storage_id) << 32) + int(info.storage_offset) * self.dtype.itemsize

    @property
    def _version(self):
        return int(self._describe().version)

    def untyped_storage(self):
        raise NotImplementedError("tensord tensors live on the server; storages are not exposed")

    storage = untyped_storage

    def resize_(self, *sizes):
        """Gives self the contiguous geometry ``sizes`` over its storage (grown if needed).

        New elements are uninitialised, as in PyTorch. Returns self.
        """
        size = _shape_args(sizes)
        self._inplace("resize_", [], {"size": list(size)})
        self._shape, self._contig = size, True
        return self

    def resize_as_(self, other):
        return self.resize_(other.shape)

    def __deepcopy__(self, memo):
        """A new leaf with a copy of the values (and of .grad), as PyTorch's deepcopy."""
        if id(self) in memo:
            return memo[id(self)]
        info = self._describe()
        if not info.is_leaf:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol at the moment.  If you were "
                               "attempting to deepcopy a module, this may be because of a "
                               "torch.nn.utils.weight_norm usage, see "
                               "https://github.com/pytorch/pytorch/pull/103001")
        from ._grad_mode import no_grad
        with no_grad():
            data = run1("clone", [self])
            data._shape, data._dtype, data._device = self._shape, self._dtype, self._device
            grad = run1("clone", [run1("grad", [self])]) if info.has_grad else None
        out = self._deepcopy_new(data, info.requires_grad)
        if grad is not None:
            out.grad = grad
        memo[id(self)] = out
        return out

    def _deepcopy_new(self, data, requires_grad):
        data._set_ag(False, True, "")
        if requires_grad:
            data.requires_grad_(True)
        return data

    def __reduce_ex__(self, proto):
        raise TypeError("tensord tensors live on a server and cannot be pickled; use "
                        "t.numpy() (and tensord.tensor(array) to restore)")

    def _rebind(self, other):
        """Makes self name ``other``'s server tensor (other is consumed); frees self's old one."""
        if other._session is not self._session:
            raise RuntimeError("cannot rebind a tensor to one of another session")
        for slot in ("_handle", "_shape", "_dtype", "_device", "_ag", "_ag_epoch", "_contig"):
            object.__setattr__(self, slot, getattr(other, slot))
        self._grad_fn_obj = None
        other._session = None
        return self


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


_builtin_sum = sum
_warned_data_ptr = False


def _all_dims(dim):
    """amax/amin's dim: () or None means every dim."""
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return None
    return dim


def _max_min(self, name, dim, keepdim):
    if isinstance(dim, Tensor):
        return run1("maximum" if name == "max" else "minimum", [self, dim])
    if dim is None:
        if keepdim:
            raise TypeError("%s() received an invalid combination of arguments: keepdim "
                            "needs dim" % name)
        return run1(name, [self])
    from . import return_types
    values, indices = run_op(name + "_dim", [self], {"dim": int(dim), "keepdim": bool(keepdim)})
    return getattr(return_types, name)((values, indices))


def _arg_attrs(dim, keepdim):
    attrs = {}
    if dim is not None:
        attrs["dim"] = int(dim)
    if keepdim:
        attrs["keepdim"] = True
    return attrs


def _dim_dtype(dim, dtype):
    attrs = {"dim": int(dim)}
    if dtype is not None:
        attrs["dtype"] = _dtype.canonical(dtype)
    return attrs


def _var_attrs(dim, unbiased, keepdim, correction):
    if isinstance(dim, (bool, np.bool_)):  # legacy var(unbiased)
        dim, unbiased = None, bool(dim)
    attrs = {}
    if dim is not None:
        attrs["dim"] = _ints(dim)
    if unbiased is not None:
        attrs["unbiased"] = bool(unbiased)
    if correction is not None:
        attrs["correction"] = correction
    if keepdim:
        attrs["keepdim"] = True
    return attrs


def _scatter_args(self, dim, index, src, value, reduce, skip_self=False):
    """(inputs, attrs) of scatter/scatter_: a src tensor, or one value (also as ``src``)."""
    if reduce is not None:
        raise NotImplementedError("scatter(reduce=...) is not supported by tensord yet")
    if src is not None and value is not None:
        raise TypeError("scatter() takes a src tensor or a value, not both")
    attrs = {"dim": int(dim)}
    if src is not None and not isinstance(src, Tensor):
        value, src = src, None
    if src is None:
        if value is None:
            raise TypeError("scatter() missing a src tensor or a value")
        attrs["value"] = value
    inputs = [index, src]
    return (inputs if skip_self else [self] + inputs), attrs


def _check_generator(generator):
    if generator is not None:
        from ._functions import Generator
        if not isinstance(generator, Generator):
            raise TypeError("generator must be a tensord.Generator")


def _rounding(mode):
    if mode is None:
        return None
    if mode not in ("trunc", "floor"):
        raise RuntimeError("div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                           "but found '%s'" % mode)
    return {"rounding_mode": mode}


def _beta_alpha(beta, alpha):
    attrs = {}
    if beta != 1:
        attrs["beta"] = beta
    if alpha != 1:
        attrs["alpha"] = alpha
    return attrs


def _nan_to_num_attrs(nan, posinf, neginf):
    attrs = {"nan": float(nan)}
    if posinf is not None:
        attrs["posinf"] = float(posinf)
    if neginf is not None:
        attrs["neginf"] = float(neginf)
    return attrs


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
    return create_from_bytes(session, _dtype.to_bytes(arr, d), d,
                             tuple(int(s) for s in np.shape(arr)), requires_grad, dev, "create")


def create_from_bytes(session, payload, d, shape, requires_grad, dev, label):
    """Binds a new handle to little-endian row-major ``payload`` (inline, or
    through the chunked Upload RPC when large); ``label`` names the call in
    deferred errors."""
    h = session.create(payload, d, shape, requires_grad, dev)
    return wrap_created(session, h, shape, d, dev if dev == "cpu" or ":" in dev else None,
                        requires_grad)



# ---------------------------------------------------------------- docstrings

# Note [Docstring tables]
#   help(tensord.add) reads like torch's: a signature line as PyTorch documents
#   it, a blank line, then what it computes. Most functions here are thin (or
#   made by helpers, or aliases), so their docs are kept in tables: a signature
#   at column 0, its indented body below it. An entry without a body keeps the
#   function's own docstring, else gets a default ("See :func:`tensord.add`.").
#   An alias (clip = clamp) becomes a copy of the function with its own name
#   and doc; it behaves identically. tests/python/test_docs.py checks coverage.

def _copy_function(fn, name):
    """``fn`` under another name (same code, defaults and closure), so it can hold its own doc."""
    import types
    new = types.FunctionType(fn.__code__, fn.__globals__, name, fn.__defaults__, fn.__closure__)
    new.__kwdefaults__ = fn.__kwdefaults__
    new.__dict__.update(fn.__dict__)
    new.__module__ = fn.__module__
    prefix = fn.__qualname__[:-len(fn.__name__)] if fn.__qualname__.endswith(fn.__name__) else ""
    new.__qualname__ = prefix + name
    return new


def _apply_docs(owner, table, default=None, generic=()):
    """Sets the docstrings of ``owner``'s (a module or class) attributes from ``table``.

    See Note [Docstring tables]. ``default(name)`` is the body of an entry that
    has none and whose function has no docstring (or only one starting with a
    prefix in ``generic``). Functions that refuse ``out=`` (they call _no_out)
    get a note saying so.
    """
    import inspect
    entries, sig, body = [], None, []
    for line in table.strip("\n").splitlines() + ["."]:
        if line and not line[0].isspace():
            if sig is not None:
                entries.append((sig, inspect.cleandoc("\n".join(body))))
            sig, body = line, []
        else:
            body.append(line)
    for sig, body in entries:
        name = sig.split("(", 1)[0]
        obj = getattr(owner, name)
        fn = obj.fget if isinstance(obj, property) else obj
        if not body:
            old = inspect.cleandoc(obj.__doc__ or "")
            if old and fn.__name__ == name and not old.startswith(tuple(generic)):
                body = old
            elif default is not None:
                body = default(name)
        if "out=None" in sig and "_no_out" in getattr(fn, "__code__", fn).co_names:
            body += "\n\n.. note:: tensord does not support ``out=`` here yet."
        doc = sig + ("\n\n" + body if body else "")
        if isinstance(obj, property):
            setattr(owner, name, property(obj.fget, obj.fset, obj.fdel, doc))
            continue
        if fn.__name__ != name:
            obj = _copy_function(fn, name)
            setattr(owner, name, obj)
        obj.__doc__ = doc


def _tensor_default_doc(name):
    if name.endswith("_") and hasattr(Tensor, name[:-1]):
        return "In-place version of :meth:`~Tensor.%s`." % name[:-1]
    return "See :func:`tensord.%s`." % name  # test_docs checks that tensord.<name> exists


_TENSOR_DOCS = r"""
T
    The tensor with its dimensions reversed (``permute(n-1, ..., 0)``); a view.
    PyTorch deprecates ``.T`` on tensors that are not 2-D, tensord allows it.
mT
    The last two dimensions transposed (a view); batches of matrices keep their batch dims.
abs() -> Tensor
abs_() -> Tensor
absolute() -> Tensor
    Alias for :meth:`~Tensor.abs`.
add(other, *, alpha=1) -> Tensor
add_(other, *, alpha=1) -> Tensor
addmm(mat1, mat2, *, beta=1, alpha=1) -> Tensor
    See :func:`tensord.addmm`.
addmm_(mat1, mat2, *, beta=1, alpha=1) -> Tensor
all(dim=None, keepdim=False) -> Tensor
amax(dim=None, keepdim=False) -> Tensor
amin(dim=None, keepdim=False) -> Tensor
any(dim=None, keepdim=False) -> Tensor
argmax(dim=None, keepdim=False) -> LongTensor
argmin(dim=None, keepdim=False) -> LongTensor
backward(gradient=None, retain_graph=None, create_graph=False, inputs=None)
    Computes the gradient of this tensor with respect to the graph leaves and
    accumulates it into their ``.grad``.

    Args:
        gradient (Tensor, optional): the gradient of some scalar with respect to
            this tensor; required unless this tensor has one element.
        retain_graph (bool, optional): keep the graph for another backward.
        create_graph (bool, optional): record the backward pass itself, so
            higher-order gradients can be taken.
        inputs (sequence of Tensor, optional): accumulate only into these.

    tensord runs the whole backward pass on the server in one command; it is
    pipelined, so an error in it surfaces at the next sync point.
baddbmm(batch1, batch2, *, beta=1, alpha=1) -> Tensor
    See :func:`tensord.baddbmm`.
bernoulli(p=None, *, generator=None) -> Tensor
bernoulli_(p=0.5, *, generator=None) -> Tensor
bfloat16() -> Tensor
    ``self.to(tensord.bfloat16)``.
bitwise_and(other) -> Tensor
bitwise_and_(other) -> Tensor
bitwise_not() -> Tensor
bitwise_or(other) -> Tensor
bitwise_or_(other) -> Tensor
bitwise_xor(other) -> Tensor
bitwise_xor_(other) -> Tensor
bmm(mat2) -> Tensor
bool() -> Tensor
    ``self.to(tensord.bool)``.
byte() -> Tensor
    ``self.to(tensord.uint8)``.
ceil() -> Tensor
ceil_() -> Tensor
char() -> Tensor
    ``self.to(tensord.int8)``.
chunk(chunks, dim=0) -> List of Tensors
    See :func:`tensord.chunk`.
clamp(min=None, max=None) -> Tensor
clamp_(min=None, max=None) -> Tensor
clamp_max(max) -> Tensor
    ``self.clamp(max=max)``.
clamp_min(min) -> Tensor
    ``self.clamp(min=min)``.
clip(min=None, max=None) -> Tensor
    Alias for :meth:`~Tensor.clamp`.
clip_(min=None, max=None) -> Tensor
    Alias for :meth:`~Tensor.clamp_`.
clone() -> Tensor
    See :func:`tensord.clone`.
contiguous() -> Tensor
    Self if it is already contiguous in memory, else a contiguous copy (made on the server).
copy_(src, non_blocking=False) -> Tensor
    Copies the values of ``src`` (broadcast, cast to self's dtype) into self and
    returns self. Autograd records the copy.
cos() -> Tensor
cos_() -> Tensor
cpu() -> Tensor
    ``self.to('cpu')``: a copy in the server's CPU memory, or self if it is already
    there. The data stays on the server; :meth:`numpy` or :meth:`tolist` fetch it.
cuda(device=None) -> Tensor
    ``self.to('cuda')`` (or the given device): a copy on a CUDA device of the
    server, or self if it is already there.
cumprod(dim, dtype=None) -> Tensor
cumsum(dim, dtype=None) -> Tensor
data
    This tensor's values as a new tensor that shares its storage but is detached
    from autograd.
data_ptr() -> int
detach() -> Tensor
    A new tensor sharing this one's storage, cut from the autograd graph
    (``requires_grad=False``).
device
    The :class:`tensord.device` the tensor lives on (on the server).
dim() -> int
    The number of dimensions.
div(other, *, rounding_mode=None) -> Tensor
div_(other, *, rounding_mode=None) -> Tensor
divide(other, *, rounding_mode=None) -> Tensor
    Alias for :meth:`~Tensor.div`.
divide_(other, *, rounding_mode=None) -> Tensor
    Alias for :meth:`~Tensor.div_`.
dot(other) -> Tensor
double() -> Tensor
    ``self.to(tensord.float64)``.
dtype
    The :class:`tensord.dtype` of the elements.
element_size() -> int
    The size of one element in bytes.
eq(other) -> Tensor
erf() -> Tensor
erf_() -> Tensor
exp() -> Tensor
exp_() -> Tensor
expand(*sizes) -> Tensor
    A view in which dimensions of size 1 are repeated to ``sizes`` (-1 keeps a
    size) without copying: the repeated dimension gets stride 0. New leading
    dimensions may be added.
expand_as(other) -> Tensor
    ``self.expand(other.size())``.
expm1() -> Tensor
expm1_() -> Tensor
fill_(value) -> Tensor
    Fills self with ``value`` and returns self.
fix() -> Tensor
    Alias for :meth:`~Tensor.trunc`.
flatten(start_dim=0, end_dim=-1) -> Tensor
float() -> Tensor
    ``self.to(tensord.float32)``.
floor() -> Tensor
floor_() -> Tensor
floor_divide(other) -> Tensor
floor_divide_(other) -> Tensor
fmod(other) -> Tensor
fmod_(other) -> Tensor
gather(dim, index) -> Tensor
ge(other) -> Tensor
ger(vec2) -> Tensor
    Alias for :meth:`~Tensor.outer`.
grad
    The gradient accumulated by :meth:`backward` (a tensor on the server), or None.
grad_fn
    The autograd node that produced this tensor (e.g. ``<AddBackward0>``), or
    None for leaves. Reading it may be a sync point.
greater(other) -> Tensor
    Alias for :meth:`~Tensor.gt`.
greater_equal(other) -> Tensor
    Alias for :meth:`~Tensor.ge`.
gt(other) -> Tensor
half() -> Tensor
    ``self.to(tensord.float16)``.
index_put(indices, values, accumulate=False) -> Tensor
    Out-of-place version of :meth:`index_put_`.
index_put_(indices, values, accumulate=False) -> Tensor
index_select(dim, index) -> Tensor
int() -> Tensor
    ``self.to(tensord.int32)``.
is_contiguous() -> bool
    True if the elements are laid out row-major without gaps.
is_cuda
    True if the tensor lives on a CUDA device of the server.
is_floating_point() -> bool
    True if the dtype is a floating point type.
is_leaf
    True for tensors not produced by a recorded operation (created by the user,
    or not requiring grad). Only leaves get ``.grad`` by default.
isfinite() -> Tensor
isinf() -> Tensor
isnan() -> Tensor
item() -> number
    The value of a one-element tensor as a Python number. A sync point: it
    waits for the server (and raises any deferred error).
le(other) -> Tensor
less(other) -> Tensor
    Alias for :meth:`~Tensor.lt`.
less_equal(other) -> Tensor
    Alias for :meth:`~Tensor.le`.
log() -> Tensor
log1p() -> Tensor
log1p_() -> Tensor
log2() -> Tensor
log2_() -> Tensor
log_() -> Tensor
log_softmax(dim, dtype=None) -> Tensor
logical_and(other) -> Tensor
logical_not() -> Tensor
logical_not_() -> Tensor
logical_or(other) -> Tensor
logical_xor(other) -> Tensor
logsumexp(dim, keepdim=False) -> Tensor
long() -> Tensor
    ``self.to(tensord.int64)``.
lt(other) -> Tensor
masked_fill(mask, value) -> Tensor
    Out-of-place version of :meth:`masked_fill_`.
masked_fill_(mask, value) -> Tensor
    Writes ``value`` into self where the boolean ``mask`` (broadcast to self's
    shape) is True; returns self.
masked_select(mask) -> Tensor
matmul(other) -> Tensor
max(dim=None, keepdim=False) -> Tensor or (Tensor, Tensor)
maximum(other) -> Tensor
mean(dim=None, keepdim=False, *, dtype=None) -> Tensor
min(dim=None, keepdim=False) -> Tensor or (Tensor, Tensor)
minimum(other) -> Tensor
mm(mat2) -> Tensor
mul(other) -> Tensor
mul_(other) -> Tensor
multiply(other) -> Tensor
    Alias for :meth:`~Tensor.mul`.
mv(vec) -> Tensor
nan_to_num(nan=0.0, posinf=None, neginf=None) -> Tensor
nan_to_num_(nan=0.0, posinf=None, neginf=None) -> Tensor
narrow(dim, start, length) -> Tensor
ndim
    The number of dimensions (alias for :meth:`dim`).
ndimension() -> int
    Alias for :meth:`dim`.
ne(other) -> Tensor
neg() -> Tensor
neg_() -> Tensor
negative() -> Tensor
    Alias for :meth:`~Tensor.neg`.
nelement() -> int
    Alias for :meth:`numel`.
new_empty(size, *, dtype=None, device=None, requires_grad=False) -> Tensor
    An uninitialised tensor of ``size`` with self's dtype and device unless given.
new_full(size, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor
    A tensor of ``size`` filled with ``fill_value``, with self's dtype and device
    unless given.
new_ones(size, *, dtype=None, device=None, requires_grad=False) -> Tensor
    A tensor of ones of ``size`` with self's dtype and device unless given.
new_tensor(data, *, dtype=None, device=None, requires_grad=False) -> Tensor
    A new tensor holding a copy of ``data``, with self's dtype and device unless given.
new_zeros(size, *, dtype=None, device=None, requires_grad=False) -> Tensor
    A tensor of zeros of ``size`` with self's dtype and device unless given.
nonzero(*, as_tuple=False) -> LongTensor or tuple of LongTensors
norm(p='fro', dim=None, keepdim=False, dtype=None) -> Tensor
normal_(mean=0, std=1, *, generator=None) -> Tensor
    Fills self with samples from the normal distribution N(mean, std^2), drawn
    from the session's generator (the same numbers as PyTorch on CPU after the
    same :func:`tensord.manual_seed`); returns self.
not_equal(other) -> Tensor
    Alias for :meth:`~Tensor.ne`.
numel() -> int
    The number of elements.
numpy(*, force=False) -> numpy.ndarray
outer(vec2) -> Tensor
permute(*dims) -> Tensor
pow(exponent) -> Tensor
pow_(exponent) -> Tensor
prod(dim=None, keepdim=False, dtype=None) -> Tensor
reciprocal() -> Tensor
reciprocal_() -> Tensor
register_hook(hook)
relu() -> Tensor
relu_() -> Tensor
remainder(other) -> Tensor
remainder_(other) -> Tensor
repeat(*sizes) -> Tensor
    Tiles the tensor ``sizes[i]`` times along each dimension (copies the data,
    unlike :meth:`expand`); extra leading sizes add dimensions.
requires_grad
    True if autograd records operations on this tensor.
requires_grad_(requires_grad=True) -> Tensor
reshape(*shape) -> Tensor
    See :func:`tensord.reshape`.
reshape_as(other) -> Tensor
    ``self.reshape(other.shape)``.
resize_(*sizes) -> Tensor
resize_as_(other) -> Tensor
    ``self.resize_(other.shape)``.
retain_grad() -> None
retains_grad
    True if this non-leaf tensor keeps its ``.grad`` (see :meth:`retain_grad`).
round() -> Tensor
round_() -> Tensor
rsqrt() -> Tensor
rsqrt_() -> Tensor
rsub(other, *, alpha=1) -> Tensor
scatter(dim, index, src) -> Tensor
scatter_(dim, index, src) -> Tensor
    Writes the values of ``src`` (a tensor, or one number) into self at the
    positions ``index`` gives along ``dim``; returns self.
    ``reduce=`` is not supported by tensord.
scatter_add(dim, index, src) -> Tensor
scatter_add_(dim, index, src) -> Tensor
    Like :meth:`scatter_`, but adds the values of ``src`` (repeated indices accumulate).
select(dim, index) -> Tensor
shape
    The :class:`tensord.Size` of the tensor (cached; the first query may be a sync point).
short() -> Tensor
    ``self.to(tensord.int16)``.
sigmoid() -> Tensor
sigmoid_() -> Tensor
sign() -> Tensor
sign_() -> Tensor
sin() -> Tensor
sin_() -> Tensor
size(dim=None) -> torch.Size or int
softmax(dim, dtype=None) -> Tensor
split(split_size, dim=0) -> List of Tensors
split_with_sizes(split_sizes, dim=0) -> List of Tensors
    Views of self along ``dim`` with the given sizes, which must sum to its size.
sqrt() -> Tensor
sqrt_() -> Tensor
square() -> Tensor
square_() -> Tensor
squeeze(dim=None) -> Tensor
std(dim=None, unbiased=True, keepdim=False, *, correction=1) -> Tensor
    See :func:`tensord.std`.
storage() -> Storage
    Not supported: tensord tensors live on the server and expose no storage.
storage_offset() -> int
    The offset of the first element in the storage, in elements.
stride(dim=None) -> tuple or int
    The steps (in elements) between neighbours in each dimension, or in ``dim``.
sub(other, *, alpha=1) -> Tensor
sub_(other, *, alpha=1) -> Tensor
subtract(other, *, alpha=1) -> Tensor
    Alias for :meth:`~Tensor.sub`.
sum(dim=None, keepdim=False, dtype=None) -> Tensor
swapaxes(dim0, dim1) -> Tensor
    Alias for :meth:`~Tensor.transpose`.
swapdims(dim0, dim1) -> Tensor
    Alias for :meth:`~Tensor.transpose`.
t() -> Tensor
t_() -> Tensor
take(index) -> Tensor
tan() -> Tensor
tan_() -> Tensor
tanh() -> Tensor
tanh_() -> Tensor
tile(dims) -> Tensor
to(*args, **kwargs) -> Tensor
    A tensor with the given dtype and/or device: ``to(dtype)``, ``to(device,
    dtype=None)`` or ``to(other)``. Returns self when nothing changes, else a
    copy made on the server.
tolist() -> list or number
    The values as (nested) Python lists; a Python number for a 0-d tensor.
    A sync point: it fetches the data from the server.
transpose(dim0, dim1) -> Tensor
true_divide(other) -> Tensor
trunc() -> Tensor
trunc_() -> Tensor
type(dtype=None) -> str or Tensor
    With no argument, the legacy type name (e.g. ``'torch.FloatTensor'``);
    otherwise ``self`` cast to ``dtype`` (a dtype or such a name).
type_as(other) -> Tensor
    ``self.to(other.dtype)``.
unbind(dim=0) -> seq
unflatten(dim, sizes) -> Tensor
uniform_(from=0, to=1, *, generator=None) -> Tensor
unsqueeze(dim) -> Tensor
untyped_storage() -> UntypedStorage
    Not supported: tensord tensors live on the server and expose no storage.
var(dim=None, unbiased=True, keepdim=False, *, correction=1) -> Tensor
view(*shape) -> Tensor
    A tensor with the same data and number of elements but another shape (one
    size may be -1); it shares storage with self. Fails where the strides
    cannot express the shape without a copy (see :meth:`reshape`).
view_as(other) -> Tensor
    ``self.view(other.size())``.
where(condition, other) -> Tensor
    ``tensord.where(condition, self, other)``.
zero_() -> Tensor
    Fills self with zeros and returns self.
"""

_apply_docs(Tensor, _TENSOR_DOCS, _tensor_default_doc,
            generic=("Elementwise ", "In-place "))
