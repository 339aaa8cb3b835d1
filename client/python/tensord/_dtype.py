"""dtypes: objects that print like torch's (``torch.float32``) and wire codecs.

Note [Tensor bytes] of the proto: payloads are contiguous, row-major,
little-endian; bool is one byte; bfloat16 is the upper half of a float32.
NumPy has no bfloat16, so bfloat16 tensors are float32 arrays on the Python
side and are converted (round to nearest even) when they cross the wire.
"""

import numpy as np

__all__ = ["dtype"]


class dtype:
    """A tensor element type (``tensord.float32``, ``tensord.int64``, ...)."""

    __slots__ = ("name", "itemsize", "is_floating_point", "is_signed", "wire", "_np")

    def __init__(self, name, wire, itemsize, is_floating_point, is_signed, np_dtype):
        self.name = name
        self.wire = wire  # tensord.v1.DType value
        self.itemsize = itemsize
        self.is_floating_point = is_floating_point
        self.is_signed = is_signed
        self._np = np_dtype  # NumPy dtype of the Python-side array (float32 for bfloat16)

    is_complex = False

    @property
    def numpy_dtype(self):
        return self._np

    def __repr__(self):
        return "torch." + self.name

    __str__ = __repr__

    def __reduce__(self):
        return (from_name, (self.name,))


def _make(name, wire, itemsize, is_float, is_signed, np_dtype):
    return dtype(name, wire, itemsize, is_float, is_signed, np.dtype(np_dtype))


bool_ = _make("bool", 1, 1, False, False, np.bool_)
uint8 = _make("uint8", 2, 1, False, False, np.uint8)
int8 = _make("int8", 3, 1, False, True, np.int8)
int16 = _make("int16", 4, 2, False, True, np.int16)
int32 = _make("int32", 5, 4, False, True, np.int32)
int64 = _make("int64", 6, 8, False, True, np.int64)
float16 = _make("float16", 7, 2, True, True, np.float16)
bfloat16 = _make("bfloat16", 8, 2, True, True, np.float32)
float32 = _make("float32", 9, 4, True, True, np.float32)
float64 = _make("float64", 10, 8, True, True, np.float64)

ALL = (bool_, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64)
_BY_WIRE = {d.wire: d for d in ALL}
_BY_NAME = {d.name: d for d in ALL}
_BY_NAME.update(
    {"float": float32, "double": float64, "half": float16, "long": int64, "int": int32,
     "short": int16, "byte": uint8, "char": int8}
)
_BY_NP = {np.dtype(np.bool_): bool_, np.dtype(np.uint8): uint8, np.dtype(np.int8): int8,
          np.dtype(np.int16): int16, np.dtype(np.int32): int32, np.dtype(np.int64): int64,
          np.dtype(np.float16): float16, np.dtype(np.float32): float32,
          np.dtype(np.float64): float64}

DEFAULT_FLOAT = float32


def from_wire(value):
    try:
        return _BY_WIRE[int(value)]
    except KeyError:
        raise ValueError("unknown wire dtype %r" % (value,)) from None


def from_name(name):
    name = name[len("torch."):] if name.startswith("torch.") else name
    try:
        return _BY_NAME[name]
    except KeyError:
        raise TypeError("unknown dtype %r" % (name,)) from None


def from_numpy_dtype(np_dtype):
    """The tensord dtype of a NumPy dtype (as torch.from_numpy maps them)."""
    d = _BY_NP.get(np.dtype(np_dtype).newbyteorder("="))
    if d is None:
        raise TypeError(
            "can't convert np.ndarray of type %s. The only supported types are: float64, "
            "float32, float16, int64, int32, int16, int8, uint8, and bool." % np.dtype(np_dtype))
    return d


def canonical(d):
    """Accepts a dtype, a string ("float32", "torch.long"), or a NumPy dtype/type."""
    if d is None or isinstance(d, dtype):
        return d
    if isinstance(d, str):
        return from_name(d)
    if d is float:
        return float32
    if d is int:
        return int64
    if d is bool:
        return bool_
    try:
        return from_numpy_dtype(d)
    except TypeError:
        raise TypeError("dtype must be a tensord dtype, got %r" % (d,)) from None


def promote(a, b):
    """torch.promote_types for the dtypes above (used for local metadata only)."""
    if a is b:
        return a
    order = [bool_, uint8, int8, int16, int32, int64, float16, bfloat16, float32, float64]
    if a.is_floating_point != b.is_floating_point:
        return a if a.is_floating_point else b
    if {a, b} == {float16, bfloat16}:
        return float32
    if {a, b} & {uint8} and {a, b} & {int8}:
        return int16
    return a if order.index(a) > order.index(b) else b


# ------------------------------------------------------------------ wire codecs

def _f32_to_bf16_bits(a):
    bits = np.ascontiguousarray(a, dtype="<f4").view("<u4").astype(np.uint64)
    nan = np.isnan(np.asarray(a, dtype=np.float32))
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16  # round to nearest even
    out = rounded.astype("<u2")
    out[nan] = 0x7FC0
    return out


def _bf16_bits_to_f32(b):
    return (np.asarray(b, dtype="<u2").astype("<u4") << 16).view("<f4")


def round_to(arr, d):
    """Casts a NumPy array to the Python-side representation of dtype ``d``."""
    if d is bfloat16:
        return _bf16_bits_to_f32(_f32_to_bf16_bits(np.asarray(arr, dtype=np.float32)))
    return np.asarray(arr).astype(d._np, copy=False)


def to_bytes(arr, d):
    """Wire payload of ``arr`` (any array) as dtype ``d``."""
    if d is bfloat16:
        return _f32_to_bf16_bits(np.asarray(arr, dtype=np.float32)).tobytes()
    a = np.ascontiguousarray(arr, dtype=d._np.newbyteorder("<"))
    return a.tobytes()


def from_bytes(data, d, shape):
    """NumPy array (writable, native order) from a wire payload."""
    shape = tuple(int(s) for s in shape)
    if d is bfloat16:
        out = _bf16_bits_to_f32(np.frombuffer(data, dtype="<u2"))
    else:
        out = np.frombuffer(data, dtype=d._np.newbyteorder("<")).astype(d._np)
    return out.reshape(shape)
