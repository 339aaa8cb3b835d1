"""Client-side shape rules for common ops (Note [Shape inference]).

Note [Shape inference]
  An op's output shape is needed by Python code surprisingly often (x.dim()
  in a loss function, x.shape[0] in a training loop, Ellipsis in indexing).
  Asking the server costs a round trip (Describe), which defeats pipelining,
  so run_op infers the output shape here when every tensor input's shape is
  known, for the ops whose rule is simple and unconditional. An op missing
  from RULES (or a rule returning None) just leaves the shape unknown, and
  the first query asks the server: correct over clever. A rule never raises:
  invalid arguments are the server's to report (the op fails there, and the
  error surfaces at the next sync point as usual). Rules mirror the engine's
  shape functions (engine/ops/*.cc); the client tests compare every inferred
  shape with the server's Describe.
"""

__all__ = ["infer", "broadcast"]


def broadcast(a, b):
    """NumPy/PyTorch broadcast of two shapes, or None if incompatible."""
    n = max(len(a), len(b))
    a = (1,) * (n - len(a)) + tuple(a)
    b = (1,) * (n - len(b)) + tuple(b)
    out = []
    for x, y in zip(a, b):
        if x == y or y == 1:
            out.append(x)
        elif x == 1:
            out.append(y)
        else:
            return None
    return tuple(out)


def _wrap(d, n):
    n1 = max(n, 1)
    if not -n1 <= d < n1:
        return None
    return d + n1 if d < 0 else d


def _wrap_all(dims, ndim):
    """The set of wrapped dims of an int or a list of them; None if any is out of range."""
    wrapped = set()
    for d in [dims] if isinstance(dims, int) else dims:
        w = _wrap(int(d), ndim)
        if w is None:
            return None
        wrapped.add(w)
    return wrapped


def _same(shapes, attrs):
    return shapes[0]


def _binary(shapes, attrs):
    return broadcast(shapes[0], shapes[1])


def _ternary(shapes, attrs):
    s = broadcast(shapes[0], shapes[1])
    return None if s is None else broadcast(s, shapes[2])


def _reduce(shapes, attrs):
    s = shapes[0]
    dims = attrs.get("dim")
    keep = bool(attrs.get("keepdim", False))
    if dims is None:
        return tuple(1 for _ in s) if keep else ()
    wrapped = _wrap_all(dims, len(s))
    if wrapped is None:
        return None
    if not s:
        return ()
    if not wrapped:  # dim=[] reduces every dim (sum/mean/amax/...)
        return tuple(1 for _ in s) if keep else ()
    if keep:
        return tuple(1 if i in wrapped else n for i, n in enumerate(s))
    return tuple(n for i, n in enumerate(s) if i not in wrapped)


def _arg_reduce(shapes, attrs):
    s = shapes[0]
    d = attrs.get("dim")
    if d is None:
        return tuple(1 for _ in s) if attrs.get("keepdim") else ()
    return _reduce(shapes, {"dim": [d], "keepdim": attrs.get("keepdim", False)})


def _full_reduce(shapes, attrs):
    return ()


def _matmul(shapes, attrs):
    a, b = shapes
    if not a or not b:
        return None
    if len(a) == 1 and len(b) == 1:
        return () if a[0] == b[0] else None
    if len(a) == 2 and len(b) == 1:
        return (a[0],) if a[1] == b[0] else None
    if len(a) == 1 and len(b) == 2:
        return (b[1],) if a[0] == b[0] else None
    if len(a) == 2 and len(b) == 2:
        return (a[0], b[1]) if a[1] == b[0] else None
    # batched: broadcast the batch dims; 1-D operands gain then lose a dim
    a2 = (1,) + tuple(a) if len(a) == 1 else tuple(a)
    b2 = tuple(b) + (1,) if len(b) == 1 else tuple(b)
    if a2[-1] != b2[-2]:
        return None
    batch = broadcast(a2[:-2], b2[:-2])
    if batch is None:
        return None
    out = batch + (a2[-2], b2[-1])
    if len(a) == 1:
        out = out[:-2] + out[-1:]
    if len(b) == 1:
        out = out[:-1]
    return out


def _mm(shapes, attrs):
    a, b = shapes
    if len(a) != 2 or len(b) != 2 or a[1] != b[0]:
        return None
    return (a[0], b[1])


def _mv(shapes, attrs):
    a, b = shapes
    if len(a) != 2 or len(b) != 1 or a[1] != b[0]:
        return None
    return (a[0],)


def _bmm(shapes, attrs):
    a, b = shapes
    if len(a) != 3 or len(b) != 3 or a[0] != b[0] or a[2] != b[1]:
        return None
    return (a[0], a[1], b[2])


def _addmm(shapes, attrs):
    mm = _mm(shapes[1:], attrs)
    if mm is None or broadcast(shapes[0], mm) != mm:
        return None
    return mm


def _baddbmm(shapes, attrs):
    bmm = _bmm(shapes[1:], attrs)
    if bmm is None or broadcast(shapes[0], bmm) != bmm:
        return None
    return bmm


def _outer(shapes, attrs):
    a, b = shapes
    if len(a) != 1 or len(b) != 1:
        return None
    return (a[0], b[0])


def _view(shapes, attrs, key="size"):
    s = shapes[0]
    size = [int(v) for v in attrs.get(key, ())]
    numel = 1
    for v in s:
        numel *= v
    if size.count(-1) > 1:
        return None
    known = 1
    for v in size:
        if v != -1:
            if v < 0:
                return None
            known *= v
    if -1 in size:
        if known == 0 or numel % known:
            return None
        size[size.index(-1)] = numel // known
    elif known != numel:
        return None
    return tuple(size)


def _reshape(shapes, attrs):
    return _view(shapes, attrs, "shape")


def _transpose(shapes, attrs):
    s = list(shapes[0])
    if not s:
        return ()
    d0, d1 = _wrap(int(attrs["dim0"]), len(s)), _wrap(int(attrs["dim1"]), len(s))
    if d0 is None or d1 is None:
        return None
    s[d0], s[d1] = s[d1], s[d0]
    return tuple(s)


def _t(shapes, attrs):
    s = shapes[0]
    return tuple(reversed(s)) if len(s) <= 2 else None


def _permute(shapes, attrs):
    s = shapes[0]
    dims = [_wrap(int(d), len(s)) for d in attrs["dims"]]
    if len(dims) != len(s) or None in dims or len(set(dims)) != len(s):
        return None
    return tuple(s[d] for d in dims)


def _unsqueeze(shapes, attrs):
    s = shapes[0]
    d = _wrap(int(attrs["dim"]), len(s) + 1)
    if d is None:
        return None
    return s[:d] + (1,) + s[d:]


def _squeeze(shapes, attrs):
    s = shapes[0]
    dims = attrs.get("dim")
    if dims is None:
        return tuple(n for n in s if n != 1)
    wrapped = _wrap_all(dims, len(s))
    if wrapped is None:
        return None
    return tuple(n for i, n in enumerate(s) if not (i in wrapped and n == 1))


def _expand(shapes, attrs):
    s = shapes[0]
    size = [int(v) for v in attrs["size"]]
    if len(size) < len(s):
        return None
    lead = len(size) - len(s)
    out = []
    for i, v in enumerate(size):
        if i < lead:
            if v < 0:
                return None
            out.append(v)
            continue
        own = s[i - lead]
        if v == -1:
            out.append(own)
        elif own == v or own == 1:
            out.append(v)
        else:
            return None
    return tuple(out)


def _select(shapes, attrs):
    s = shapes[0]
    d = _wrap(int(attrs["dim"]), len(s))
    if d is None or not s:
        return None
    i = int(attrs["index"])
    if not -s[d] <= i < s[d]:
        return None
    return s[:d] + s[d + 1:]


def _slice(shapes, attrs):
    s = shapes[0]
    d = _wrap(int(attrs.get("dim", 0)), len(s))
    if d is None or not s:
        return None
    step = int(attrs.get("step", 1))
    if step <= 0:
        return None
    n = len(range(*slice(attrs.get("start"), attrs.get("end"), step).indices(s[d])))
    return s[:d] + (n,) + s[d + 1:]


def _narrow(shapes, attrs):
    s = shapes[0]
    d = _wrap(int(attrs["dim"]), len(s))
    if d is None or not s:
        return None
    start, length = int(attrs["start"]), int(attrs["length"])
    if start < 0:
        start += s[d]
    if start < 0 or length < 0 or start + length > s[d]:
        return None
    return s[:d] + (length,) + s[d + 1:]


def _cat(shapes, attrs):
    if any(s == (0,) for s in shapes):
        return None  # PyTorch's legacy rule for 1-D empty inputs: let the server decide
    first = shapes[0]
    d = _wrap(int(attrs.get("dim", 0)), len(first))
    if d is None or not first:
        return None
    total = 0
    for s in shapes:
        if len(s) != len(first) or s[:d] != first[:d] or s[d + 1:] != first[d + 1:]:
            return None
        total += s[d]
    return first[:d] + (total,) + first[d + 1:]


def _stack(shapes, attrs):
    first = shapes[0]
    if any(s != first for s in shapes):
        return None
    d = _wrap(int(attrs.get("dim", 0)), len(first) + 1)
    if d is None:
        return None
    return first[:d] + (len(shapes),) + first[d:]


def _gather(shapes, attrs):
    return shapes[1]


def _index_select(shapes, attrs):
    s, idx = shapes
    d = _wrap(int(attrs["dim"]), len(s))
    if d is None or len(idx) > 1:
        return None
    if not s:
        return ()
    return s[:d] + (idx[0] if idx else 1,) + s[d + 1:]


def _cumulative(shapes, attrs):
    s = shapes[0]
    return s if _wrap(int(attrs["dim"]), len(s)) is not None else None


def _where(shapes, attrs):
    return _ternary(shapes, attrs)


_UNARY = ("neg exp log sin cos relu sigmoid abs sign sqrt rsqrt expm1 log1p log2 tan tanh erf "
          "gelu silu softplus floor ceil round trunc reciprocal contiguous clone detach to "
          "_to_copy clamp fill bernoulli isnan isinf isfinite logical_not bitwise_not "
          "nan_to_num").split()
_BINARY = ("add sub rsub mul div pow eq ne lt le gt ge maximum minimum remainder fmod "
           "logical_and logical_or logical_xor bitwise_and bitwise_or bitwise_xor").split()

RULES = {name: _same for name in _UNARY}
RULES.update({name: _binary for name in _BINARY})
RULES.update({
    "sum": _reduce, "mean": _reduce, "prod": _reduce, "amax": _reduce, "amin": _reduce,
    "all": _reduce, "any": _reduce, "var": _reduce, "std": _reduce, "logsumexp": _reduce,
    "norm": _reduce, "max": _full_reduce, "min": _full_reduce,
    "argmax": _arg_reduce, "argmin": _arg_reduce,
    "softmax": _cumulative, "log_softmax": _cumulative, "cumsum": _cumulative,
    "cumprod": _cumulative,
    "matmul": _matmul, "mm": _mm, "mv": _mv, "bmm": _bmm, "addmm": _addmm,
    "baddbmm": _baddbmm, "outer": _outer,
    "dot": lambda shapes, attrs: () if len(shapes[0]) == 1 == len(shapes[1]) else None,
    "view": _view, "reshape": _reshape, "transpose": _transpose, "t": _t,
    "permute": _permute, "unsqueeze": _unsqueeze, "squeeze": _squeeze, "expand": _expand,
    "select": _select, "slice": _slice, "narrow": _narrow, "cat": _cat, "stack": _stack,
    "where": _where, "masked_fill": lambda shapes, attrs: broadcast(shapes[0], shapes[1]),
    "gather": _gather, "index_select": _index_select,
    "scatter": _same, "scatter_add": _same, "sum_to_size": lambda shapes, attrs: tuple(
        int(v) for v in attrs["size"]),
})

# Ops whose output dtype is their (first) input's dtype, whatever it is.
SAME_DTYPE = frozenset(
    "view reshape transpose t permute unsqueeze squeeze expand select slice narrow clone "
    "detach contiguous neg relu abs amax amin max min gather index_select index scatter "
    "scatter_add masked_fill nan_to_num bitwise_not".split())
# Ops that keep a floating input's dtype (integer inputs give other dtypes).
FLOAT_KEEP = frozenset(
    "exp log sin cos sigmoid sqrt rsqrt expm1 log1p log2 tan tanh erf gelu silu softplus "
    "reciprocal softmax log_softmax mean var std norm logsumexp prod sum cumsum cumprod "
    "floor ceil round trunc sign".split())
# Ops whose result dtype is the common dtype of same-dtype tensor operands
# when every number operand is of a kind that cannot promote it.
ARITH = frozenset(
    "add sub rsub mul div pow maximum minimum where matmul mm mv bmm dot addmm baddbmm outer "
    "remainder fmod bitwise_and bitwise_or bitwise_xor".split())
BOOL_DTYPE = frozenset(
    "eq ne lt le gt ge all any isnan isinf isfinite logical_not logical_and logical_or "
    "logical_xor".split())
LONG_DTYPE = frozenset("argmax argmin nonzero".split())


def infer(name, shapes, attrs):
    """The output shape of op ``name`` given its inputs' shapes (None: unknown)."""
    rule = RULES.get(name)
    if rule is None:
        return None
    try:
        out = rule(shapes, attrs)
    except (KeyError, TypeError, ValueError, IndexError):
        return None
    return None if out is None else tuple(int(v) for v in out)
