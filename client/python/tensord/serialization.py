"""torch.save / torch.load for tensord: safetensors files plus a JSON structure.

Note [File format]
  A file written by ``tensord.save(obj, f)`` is a safetensors file
  (https://github.com/huggingface/safetensors):

    8 bytes    N, the header length, unsigned little-endian
    N bytes    JSON header (UTF-8, padded with spaces to a multiple of 8):
                 {"__metadata__": {str: str},
                  "<key>": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]},
                  ...}
    the rest   the tensors' bytes: contiguous, row-major, little-endian, at
               [begin, end) from the start of this section, in header order

  dtypes: F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL (bool is one byte, 0 or 1;
  F16 and BF16 are their 2-byte bit patterns).

  Tensor keys: for a dict whose keys are strings (a state_dict), the keys
  themselves, so that ``tensord.save(model.state_dict(), "m.safetensors")``
  is a plain safetensors file that other tools read; in nested containers, the
  path of the tensor joined with dots ("state.0.exp_avg"); a tensor object
  that appears several times is stored once.

  Everything that is not a tensor goes in the metadata (safetensors metadata
  maps str to str):
    "format":             "pt" (what safetensors' PyTorch writer sets)
    "tensord.version":    "1"
    "tensord.structure":  JSON text of the saved object, encoded as:
      null, true, false, an integer, a string   themselves
      a finite float                             a JSON number with a dot or exponent
      a list                                     a JSON array of encoded items
      a tensor   {"type": "tensor", "key": KEY} plus, when they hold,
                 "requires_grad": true, "parameter": true (nn.Parameter),
                 "device": "cuda:0" (the device it was saved from; absent = cpu)
      a tuple    {"type": "tuple", "items": [...]}
      a dict     {"type": "dict", "items": [[key, value], ...]} (keys encoded too,
                 so int keys stay ints); an OrderedDict has "type": "OrderedDict"
      nan, inf   {"type": "float", "value": "nan" | "inf" | "-inf"}
      a dtype    {"type": "dtype", "value": "float32"}
      torch.Size {"type": "Size", "value": [2, 3]}
      a device   {"type": "device", "value": "cuda:0"}
  A file without "tensord.structure" (written by another tool) loads as a
  dict of its tensors in header order.

Differences from torch.save: no pickle. Only the types above can be saved
(save ``model.state_dict()``, not the model); loading runs no code, so
``weights_only`` is always safe and accepted either way. Tensors sharing
storage without being the same object (views) are saved as separate copies.

Note [PyTorch archives]
  ``load`` also reads the zip archives that ``torch.save`` writes (PyTorch
  >= 1.6), with a restricted unpickler, as ``torch.load(weights_only=True)``
  does: only tensors, Parameters, OrderedDicts, torch dtypes/devices/Size and
  plain Python values; any other class is an error, and no code runs.
  Tensors that shared a storage in PyTorch become separate tensors.
"""

import collections
import io
import json
import math
import os
import pickle
import struct
import zipfile

import numpy as np

from . import _dtype
from ._device import device as _device_cls
from ._session import INLINE_LIMIT, default_session
from ._size import Size
from ._tensor import Tensor, create_from_bytes

__all__ = ["save", "load"]

FORMAT_VERSION = "1"
STRUCTURE_KEY = "tensord.structure"
VERSION_KEY = "tensord.version"

_ST_NAMES = {"float64": "F64", "float32": "F32", "float16": "F16", "bfloat16": "BF16",
             "int64": "I64", "int32": "I32", "int16": "I16", "int8": "I8", "uint8": "U8",
             "bool": "BOOL"}
_FROM_ST = {v: k for k, v in _ST_NAMES.items()}
# Fetched payloads per round trip (the server caps one response at 60 MiB).
_BATCH_BYTES = 16 << 20


# ---------------------------------------------------------------- save

class _Encoder:
    def __init__(self):
        self.tensors = collections.OrderedDict()  # key -> Tensor
        self.by_id = {}                           # id(tensor) -> key
        self._keep = []                           # keeps ids valid while encoding

    def key_for(self, t, path):
        if id(t) in self.by_id:
            return self.by_id[id(t)]
        key = path or "tensor"
        n = 1
        while key in self.tensors:
            n += 1
            key = "%s#%d" % (path or "tensor", n)
        self.tensors[key] = t
        self.by_id[id(t)] = key
        self._keep.append(t)
        return key

    def encode(self, obj, path):
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, Tensor):
            from .nn.parameter import Parameter
            out = {"type": "tensor", "key": self.key_for(obj, path)}
            if obj.requires_grad:
                out["requires_grad"] = True
            if isinstance(obj, Parameter):
                out["parameter"] = True
            dev = str(obj.device)
            if dev != "cpu":
                out["device"] = dev
            return out
        if isinstance(obj, int):
            return int(obj)
        if isinstance(obj, float):
            if math.isfinite(obj):
                return obj
            return {"type": "float", "value": "nan" if math.isnan(obj) else
                    ("inf" if obj > 0 else "-inf")}
        if isinstance(obj, _dtype.dtype):
            return {"type": "dtype", "value": obj.name}
        if isinstance(obj, _device_cls):
            return {"type": "device", "value": str(obj)}
        if isinstance(obj, Size):
            return {"type": "Size", "value": [int(s) for s in obj]}
        if isinstance(obj, list):
            return [self.encode(v, _join(path, i)) for i, v in enumerate(obj)]
        if isinstance(obj, tuple) and type(obj) is tuple:
            return {"type": "tuple", "items": [self.encode(v, _join(path, i))
                                               for i, v in enumerate(obj)]}
        if isinstance(obj, dict) and type(obj) in (dict, collections.OrderedDict):
            items = []
            for k, v in obj.items():
                if isinstance(k, Tensor) or not _is_plain_key(k):
                    raise TypeError("tensord.save: dict keys must be str, int, float, bool, None or "
                                    "tuples of them; got %s" % type(k).__name__)
                items.append([self.encode(k, None), self.encode(v, _join(path, k))])
            return {"type": "OrderedDict" if type(obj) is collections.OrderedDict else "dict",
                    "items": items}
        raise TypeError(
            "tensord.save cannot save an object of type %s: it saves tensors, dicts, lists, "
            "tuples, str, int, float, bool, None, dtypes, devices and torch.Size (no pickle). "
            "Save model.state_dict() instead of the model." % type(obj).__name__)


def _is_plain_key(k):
    if k is None or isinstance(k, (str, int, float, bool)):
        return True
    return type(k) is tuple and all(_is_plain_key(x) for x in k)


def _join(path, part):
    part = str(part) if not isinstance(part, tuple) else ".".join(map(str, part))
    return part if not path else "%s.%s" % (path, part)


def _fetch_payloads(tensors):
    """Raw little-endian bytes, dtype and shape of each tensor, in few round trips."""
    out = [None] * len(tensors)
    if not tensors:
        return out
    small, batch_bytes = [], 0

    def flush():
        nonlocal small, batch_bytes
        if small:
            session = tensors[small[0]]._session
            results = session.query(["fetch"] * len(small), [tensors[i]._handle for i in small],
                                    "save")
            for i, (wire, shape, data) in zip(small, results):
                out[i] = (_dtype.from_wire(wire), tuple(shape), data)
        small, batch_bytes = [], 0

    for i, t in enumerate(tensors):
        if t._session is None:
            raise RuntimeError("tensord.save: a tensor's session is closed")
        nbytes = t.numel() * t.dtype.itemsize
        if nbytes > INLINE_LIMIT:
            d, shape, data = t._session.fetch(t._handle)
            out[i] = (d, tuple(shape), data)
            continue
        if small and (batch_bytes + nbytes > _BATCH_BYTES
                      or tensors[small[0]]._session is not t._session):
            flush()
        small.append(i)
        batch_bytes += nbytes
    flush()
    return out


def _encode_file(obj):
    enc = _Encoder()
    structure = enc.encode(obj, None)  # a state_dict's keys become the tensor keys
    keys = list(enc.tensors)
    payloads = _fetch_payloads([enc.tensors[k] for k in keys])
    header = collections.OrderedDict()
    header["__metadata__"] = {"format": "pt", VERSION_KEY: FORMAT_VERSION,
                              STRUCTURE_KEY: json.dumps(structure, separators=(",", ":"),
                                                        allow_nan=False)}
    offset = 0
    for k, (d, shape, data) in zip(keys, payloads):
        header[k] = {"dtype": _ST_NAMES[d.name], "shape": list(shape),
                     "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    return [struct.pack("<Q", len(text)), text] + [p[2] for p in payloads]


def save(obj, f, pickle_module=None, pickle_protocol=None, _use_new_zipfile_serialization=True):
    """save(obj, f, pickle_module=pickle, pickle_protocol=DEFAULT_PROTOCOL, _use_new_zipfile_serialization=True) -> None

    Saves tensors, state dicts and containers of them to ``f`` (a path or a
    binary file object) as a safetensors file (see Note [File format] in
    tensord/serialization.py). ``pickle_module`` and ``pickle_protocol`` are
    accepted for compatibility and ignored (nothing is pickled)."""
    parts = _encode_file(obj)
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as fh:
            for p in parts:
                fh.write(p)
    else:
        for p in parts:
            f.write(p)


# ---------------------------------------------------------------- load

def _read_all(f):
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fh:
            return fh.read()
    if isinstance(f, (bytes, bytearray, memoryview)):
        return bytes(f)
    return f.read()


def _parse(buf, name):
    if len(buf) < 8:
        raise RuntimeError("tensord.load: %s is too short to be a safetensors file (%d bytes)"
                           % (name, len(buf)))
    (n,) = struct.unpack("<Q", buf[:8])
    if n > len(buf) - 8:
        raise RuntimeError("tensord.load: %s: header length %d exceeds the file (%d bytes); "
                           "not a safetensors file?" % (name, n, len(buf)))
    try:
        header = json.loads(bytes(buf[8:8 + n]).decode("utf-8"),
                            object_pairs_hook=collections.OrderedDict)
    except ValueError as e:
        raise RuntimeError("tensord.load: %s: the header is not valid JSON (%s); not a "
                           "safetensors file?" % (name, e)) from None
    if not isinstance(header, dict):
        raise RuntimeError("tensord.load: %s: the header is not a JSON object" % name)
    return header, memoryview(buf)[8 + n:]


def _target_device(saved, map_location):
    if map_location is None:
        return saved
    if isinstance(map_location, dict):
        return str(map_location.get(saved, saved))
    if isinstance(map_location, (str, _device_cls)):
        return str(map_location)
    return saved  # callables see the tensor after it is made


def _create(session, payload, d, shape, requires_grad, dev):
    return create_from_bytes(session, payload, d, shape, requires_grad, dev, "load")


class _Decoder:
    def __init__(self, header, data, map_location, name):
        self.header = header
        self.data = data
        self.map_location = map_location
        self.name = name
        self.made = {}
        self.session = default_session()

    def tensor(self, key, requires_grad=False, parameter=False, saved_device="cpu"):
        cache_key = (key, requires_grad, parameter)
        if cache_key in self.made:
            return self.made[cache_key]
        info = self.header.get(key)
        if not isinstance(info, dict):
            raise RuntimeError("tensord.load: %s: no tensor %r in the header" % (self.name, key))
        st = info.get("dtype")
        if st not in _FROM_ST:
            raise RuntimeError("tensord.load: %s: tensor %r has dtype %r; supported: %s"
                               % (self.name, key, st, " ".join(_ST_NAMES.values())))
        d = _dtype.from_name(_FROM_ST[st])
        shape = tuple(int(s) for s in info.get("shape", ()))
        begin, end = (int(x) for x in info.get("data_offsets", (0, 0)))
        numel = 1
        for s in shape:
            numel *= s
        if end - begin != numel * d.itemsize or begin < 0 or end > len(self.data):
            raise RuntimeError("tensord.load: %s: tensor %r: data_offsets [%d, %d] do not hold "
                               "%s %s (%d bytes) within the %d data bytes"
                               % (self.name, key, begin, end, st, list(shape),
                                  numel * d.itemsize, len(self.data)))
        dev = _target_device(saved_device, self.map_location)
        rg = requires_grad and d.is_floating_point
        t = _create(self.session, bytes(self.data[begin:end]), d, shape, rg and not parameter, dev)
        if callable(self.map_location) and not isinstance(self.map_location, (dict, str,
                                                                              _device_cls)):
            t = self.map_location(t, saved_device)
        if parameter:
            from .nn.parameter import Parameter
            t = Parameter(t, requires_grad=rg)
        self.made[cache_key] = t
        return t

    def decode(self, v):
        if v is None or isinstance(v, (bool, int, float, str)):
            return v
        if isinstance(v, list):
            return [self.decode(x) for x in v]
        if not isinstance(v, dict):
            raise RuntimeError("tensord.load: %s: malformed structure entry %r" % (self.name, v))
        kind = v.get("type")
        if kind == "tensor":
            return self.tensor(v["key"], bool(v.get("requires_grad")), bool(v.get("parameter")),
                               v.get("device", "cpu"))
        if kind == "tuple":
            return tuple(self.decode(x) for x in v["items"])
        if kind in ("dict", "OrderedDict"):
            out = collections.OrderedDict() if kind == "OrderedDict" else {}
            for k, x in v["items"]:
                k = self.decode(k)
                out[k] = self.decode(x)
            return out
        if kind == "float":
            return float(v["value"])
        if kind == "dtype":
            return _dtype.from_name(v["value"])
        if kind == "Size":
            return Size(v["value"])
        if kind == "device":
            return _device_cls(v["value"])
        raise RuntimeError("tensord.load: %s: unknown structure entry type %r (written by a "
                           "newer tensord?)" % (self.name, kind))


# ---------------------------------------------------------------- PyTorch archives

_TORCH_STORAGES = {"DoubleStorage": "float64", "FloatStorage": "float32", "HalfStorage": "float16",
                   "BFloat16Storage": "bfloat16", "LongStorage": "int64", "IntStorage": "int32",
                   "ShortStorage": "int16", "CharStorage": "int8", "ByteStorage": "uint8",
                   "BoolStorage": "bool"}
_RAW_NP = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


class _StorageType:
    def __init__(self, dtype_name):
        self.dtype = _dtype.from_name(dtype_name)


class _Storage:
    def __init__(self, dtype, raw, location):
        self.dtype, self.raw, self.location = dtype, raw, location


class _TorchUnpickler(pickle.Unpickler):
    """Note [PyTorch archives]: a pickle reader that knows only safe names."""

    def __init__(self, data, zf, prefix, decoder):
        super().__init__(io.BytesIO(data))
        self.zf, self.prefix, self.decoder = zf, prefix, decoder

    def find_class(self, module, name):
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return self.decoder.rebuild_tensor
        if module == "torch._utils" and name == "_rebuild_parameter":
            return self.decoder.rebuild_parameter
        if module == "torch" and name in _TORCH_STORAGES:
            return _StorageType(_TORCH_STORAGES[name])
        if module == "torch" and name == "Size":
            return Size
        if module == "torch" and name == "device":
            return _device_cls
        if module == "torch" and name in _dtype._BY_NAME:
            return _dtype.from_name(name)
        if module == "builtins" and name in ("set", "frozenset", "complex", "slice", "range"):
            return getattr(__import__("builtins"), name)
        raise pickle.UnpicklingError(
            "tensord.load: the PyTorch archive refers to %s.%s; only tensors, Parameters, "
            "state dicts and plain Python values can be loaded (as torch.load(weights_only=True))"
            % (module, name))

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"
                and isinstance(pid[1], _StorageType)):
            raise pickle.UnpicklingError("tensord.load: unsupported storage record %r" % (pid,))
        _, stype, key, location, _numel = pid
        raw = self.zf.read("%s/data/%s" % (self.prefix, key))
        return _Storage(stype.dtype, raw, str(location))


class _TorchDecoder:
    def __init__(self, map_location):
        self.map_location = map_location
        self.session = default_session()

    def rebuild_tensor(self, storage, offset, size, stride, requires_grad=False,
                       backward_hooks=None, metadata=None):
        d = storage.dtype
        words = np.frombuffer(storage.raw, dtype=_RAW_NP[d.itemsize])
        size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
        numel = 1
        for s in size:
            numel *= s
        if numel:
            last = offset + sum((n - 1) * st for n, st in zip(size, stride))
            if offset < 0 or last >= len(words):
                raise RuntimeError("tensord.load: a tensor of the archive reads past its storage")
            view = np.lib.stride_tricks.as_strided(
                words[offset:], shape=size, strides=[st * d.itemsize for st in stride])
            payload = np.ascontiguousarray(view).astype(words.dtype.newbyteorder("<")).tobytes()
        else:
            payload = b""
        dev = _target_device(storage.location, self.map_location)
        rg = bool(requires_grad) and d.is_floating_point
        t = _create(self.session, payload, d, size, rg, dev)
        if callable(self.map_location) and not isinstance(self.map_location,
                                                           (dict, str, _device_cls)):
            t = self.map_location(t, storage.location)
        return t

    def rebuild_parameter(self, data, requires_grad, backward_hooks=None):
        from .nn.parameter import Parameter
        return Parameter(data.detach() if data.requires_grad else data,
                         requires_grad=bool(requires_grad))


# torch.save before 1.6: a pickled magic number (0x1950a86a20f9469cfc6c) first.
_LEGACY_TORCH_MAGIC = b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19"


def _load_torch_archive(buf, map_location, name):
    try:
        zf = zipfile.ZipFile(io.BytesIO(bytes(buf)))
    except zipfile.BadZipFile as e:
        raise RuntimeError("tensord.load: %s looks like a zip archive but is not one (%s)"
                           % (name, e)) from None
    pkl = [n for n in zf.namelist() if n.endswith("/data.pkl") or n == "data.pkl"]
    if len(pkl) != 1:
        raise RuntimeError("tensord.load: %s is a zip archive without one data.pkl: not a "
                           "PyTorch archive" % name)
    prefix = pkl[0][:-len("/data.pkl")] if "/" in pkl[0] else ""
    order = "%s/byteorder" % prefix
    if order in zf.namelist() and zf.read(order).strip() != b"little":
        raise RuntimeError("tensord.load: %s stores big-endian tensors" % name)
    return _TorchUnpickler(zf.read(pkl[0]), zf, prefix, _TorchDecoder(map_location)).load()


def load(f, map_location=None, pickle_module=None, *, weights_only=False, mmap=None,
         **pickle_load_args):
    """load(f, map_location=None, pickle_module=pickle, *, weights_only=False, mmap=None, **pickle_load_args) -> Any

    Loads what ``tensord.save`` wrote, any safetensors file, or a PyTorch
    zip archive written by ``torch.save`` (tensors and state dicts only; Note
    [PyTorch archives]) from ``f`` (a path or a binary file object).

    ``map_location``: a device (or its name) for every tensor, a dict from
    saved device names to devices, or a callable ``fn(tensor, saved_device)``
    returning the tensor to use. ``weights_only``, ``pickle_module`` and
    ``mmap`` are accepted for compatibility: the format holds no code, so
    loading is always as safe as ``weights_only=True``.
    """
    name = str(f) if isinstance(f, (str, os.PathLike)) else getattr(f, "name", "<file>")
    buf = _read_all(f)
    if buf[:4] == b"PK\x03\x04":
        return _load_torch_archive(buf, map_location, name)
    if bytes(buf[:len(_LEGACY_TORCH_MAGIC)]) == _LEGACY_TORCH_MAGIC:
        raise RuntimeError("tensord.load: %s is a legacy (pre-1.6) PyTorch pickle file; re-save "
                           "it with a recent torch.save, or as safetensors" % name)
    header, data = _parse(buf, name)
    meta = header.pop("__metadata__", None) or {}
    dec = _Decoder(header, data, map_location, name)
    structure = meta.get(STRUCTURE_KEY) if isinstance(meta, dict) else None
    if structure is None:
        return {k: dec.tensor(k) for k in header}
    try:
        tree = json.loads(structure)
    except ValueError as e:
        raise RuntimeError("tensord.load: %s: metadata %r is not valid JSON (%s)"
                           % (name, STRUCTURE_KEY, e)) from None
    return dec.decode(tree)

