"""Runs one differential case under a module `T` (torch or tensord).

Imported both by the PyTorch runner (/usr/bin/python3 with Debian's torch)
and by tests/python/test_differential.py (the repo .venv with tensord), so it
uses nothing but the standard library and NumPy. Inputs come from
`random.Random` seeded by the case name (stable across Python and NumPy
versions), so each side builds the same inputs itself; only results cross the
process boundary, as plain tuples (see `encode`).
"""

import math
import random
import zlib

import numpy as np

FLOATS = ("float16", "bfloat16", "float32", "float64")
INTS = ("uint8", "int8", "int16", "int32", "int64")
ALL = ("bool",) + INTS + FLOATS

_NP = {"bool": np.bool_, "uint8": np.uint8, "int8": np.int8, "int16": np.int16,
       "int32": np.int32, "int64": np.int64, "float16": np.float32, "bfloat16": np.float32,
       "float32": np.float32, "float64": np.float64}

SPECIAL = [math.nan, math.inf, -math.inf, 0.0, -0.0, 1.5, -2.25, 3e38, 1e-30]


class In:
    """An input: dtype name, shape and value domain.

    Domains: any, pos (> 0), nz (away from 0), unit (|x| < 1), half (multiples
    of 0.5), small (|x| <= 1), big (ints up to +-1000, floats up to +-300),
    special (nan/inf/-0/...), idx:N (0..N-1), uidx:N (a permutation prefix of
    0..N-1: distinct indices), cast (values every dtype can hold).
    """

    def __init__(self, dtype, shape, dom="any", grad=False):
        self.dtype = dtype
        self.shape = tuple(shape)
        self.dom = dom
        self.grad = grad

    def values(self, rng):
        n = 1
        for s in self.shape:
            n *= s
        d, dom = self.dtype, self.dom
        if n > 4096 and dom in ("any", "big"):
            return self._bulk(rng, n)
        if dom.startswith("uidx:"):
            m = int(dom[5:])
            row = self.shape[-1] if self.shape else 1
            vals = []
            for _ in range(n // row if row else 0):
                perm = list(range(m))
                rng.shuffle(perm)
                vals += perm[:row]
            return vals
        if dom.startswith("idx:"):
            m = int(dom[4:])
            return [rng.randrange(m) for _ in range(n)]
        if d == "bool":
            if dom in ("pos", "nz"):
                return [True] * n
            return [rng.random() < 0.5 for _ in range(n)]
        if d in INTS:
            lo = 0 if d == "uint8" else -5
            if dom == "pos":
                return [rng.randint(1, 6) for _ in range(n)]
            if dom == "nz":
                if d == "uint8":
                    return [rng.randint(1, 9) for _ in range(n)]
                return [rng.choice((-1, 1)) * rng.randint(1, 5) for _ in range(n)]
            if dom == "big":
                if d == "uint8":
                    return [rng.randint(0, 255) for _ in range(n)]
                bound = {"int8": 127, "int16": 1000}.get(d, 1000)
                return [rng.randint(-bound, bound) for _ in range(n)]
            if dom == "cast":
                return [rng.randint(0, 100) for _ in range(n)]
            return [rng.randint(lo, 5 if lo < 0 else 10) for _ in range(n)]
        # floats
        if dom == "pos":
            return [round(rng.uniform(0.2, 3.0), 4) for _ in range(n)]
        if dom == "nz":
            return [rng.choice((-1, 1)) * round(rng.uniform(0.5, 3.0), 4) for _ in range(n)]
        if dom == "unit":
            return [round(rng.uniform(-0.95, 0.95), 4) for _ in range(n)]
        if dom == "half":
            return [rng.randint(-8, 8) / 2 for _ in range(n)]
        if dom == "small":
            return [round(rng.uniform(-1, 1), 4) for _ in range(n)]
        if dom == "big":
            return [round(rng.uniform(-300, 300), 3) for _ in range(n)]
        if dom == "special":
            return [rng.choice(SPECIAL) for _ in range(n)]
        if dom == "cast":
            return [round(rng.uniform(0, 100), 3) for _ in range(n)]
        return [round(rng.uniform(-3.0, 3.0), 4) for _ in range(n)]

    def _bulk(self, rng, n):
        """Large inputs from random bytes (fast; exact on any NumPy)."""
        u = np.frombuffer(rng.randbytes(4 * n), dtype="<u4").astype(np.int64)
        d = self.dtype
        if d == "bool":
            return u % 2 == 1
        if d in INTS:
            if d == "uint8":
                return u % 256
            bound = {"int8": 127}.get(d, 1000) if self.dom == "big" else 5
            return u % (2 * bound + 1) - bound
        scale = 300.0 if self.dom == "big" else 3.0
        return np.round((u % 2000001 - 1000000) * (scale / 1000000), 4)

    def make(self, T, rng):
        arr = np.array(self.values(rng), dtype=_NP[self.dtype]).reshape(self.shape)
        t = T.tensor(arr)
        if self.dtype in ("float16", "bfloat16"):
            t = t.to(getattr(T, self.dtype))
        if self.grad:
            t.requires_grad_(True)
        return t


class Case:
    """One program, run under torch and tensord.

    fn(T, *inputs) returns tensors / Python values / tuples of them. With
    inputs marked grad=True, the harness also runs backward of
    sum(out_i * w_i) over every output that requires grad (w_i random) and
    compares the inputs' .grad (backward=False: the program runs its own
    backward; only the .grad it leaves is compared). raises=True: PyTorch raises; tensord must
    raise too, with `op` (default: the case's op) in its message.
    tol: (rtol, atol) for floating values, overriding the per-dtype default;
    exact=True: floating values must be bit-identical (NaNs equal).
    """

    def __init__(self, name, fn, inputs=(), raises=False, op=None, tol=None, exact=False,
                 gtol=None, backward=True):
        self.name = name
        self.fn = fn
        self.inputs = list(inputs)
        self.raises = raises
        self.op = op
        self.tol = tol
        self.exact = exact
        self.gtol = gtol
        self.backward = backward

    def __repr__(self):
        return "Case(%s)" % self.name


def _is_tensor(T, v):
    return isinstance(v, T.Tensor)


def encode(T, v):
    """A plain, picklable description of a result value."""
    if v is None:
        return ("none",)
    if _is_tensor(T, v):
        dt = str(v.dtype).replace("torch.", "")
        t = v.detach()
        if getattr(t, "_is_zerotensor", lambda: False)():
            # PyTorch's efficient zero tensors (some second derivatives, e.g.
            # through abs) have no storage: numpy() would read garbage
            t = T.zeros_like(t)
        if dt in ("float16", "bfloat16"):
            t = t.to(T.float32)
        a = np.ascontiguousarray(t.numpy())
        return ("tensor", dt, tuple(int(s) for s in v.shape), a.dtype.str, a.tobytes())
    if isinstance(v, T.dtype):
        return ("dtype", str(v))
    if isinstance(v, (bool, int, float)):
        return ("scalar", type(v).__name__, v)
    if isinstance(v, np.generic):
        return ("scalar", type(v.item()).__name__, v.item())
    if isinstance(v, (tuple, list)):
        return ("seq", [encode(T, x) for x in v])
    if isinstance(v, str):
        return ("str", v)
    raise TypeError("cannot encode %r" % type(v))


def _flat_tensors(T, v, out):
    if _is_tensor(T, v):
        out.append(v)
    elif isinstance(v, (tuple, list)):
        for x in v:
            _flat_tensors(T, x, out)
    return out


def _seed(name):
    return zlib.crc32(name.encode())


def run_case(T, case):
    """{"value": ..., "grads": [...]} or {"error": type name, "message": str}."""
    rng = random.Random(_seed(case.name))
    try:
        xs = [spec.make(T, rng) for spec in case.inputs]
        out = case.fn(T, *xs)
        result = {"value": encode(T, out)}
        leaves = [x for x, spec in zip(xs, case.inputs) if spec.grad]
        if leaves:
            loss = None
            for o in _flat_tensors(T, out, []) if case.backward else ():
                if not o.requires_grad:
                    continue
                w = np.array([round(rng.uniform(-1, 1), 3) for _ in range(o.numel())],
                             dtype=np.float32).reshape(tuple(o.shape))
                term = (o * T.tensor(w).to(o.dtype)).sum()
                loss = term if loss is None else loss + term
            if loss is not None:
                loss.backward()
            result["grads"] = [encode(T, x.grad) for x in leaves]
        return result
    except Exception as e:  # noqa: BLE001 - both sides' errors are results here
        return {"error": type(e).__name__, "message": str(e)}
