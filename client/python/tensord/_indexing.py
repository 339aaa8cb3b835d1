"""Tensor.__getitem__ / __setitem__: PyTorch's indexing, as server ops.

Note [Indexing]
  Follows torch/csrc/autograd/python_variable_indexing.cpp (applySlicing):
  the key's entries are applied left to right to a running view: an int (or
  a 0-d integer tensor) selects, a slice slices, None and Python bools insert
  a dim, `...` skips dims. Tensor-like entries (tensors, lists, NumPy arrays)
  are not applied at once: they are recorded against the dim they index, and
  after the loop one `index` op gathers them all (`index_put_` for
  assignment). So ints combined with tensor indices select first, as in
  PyTorch (x[0, :, [0, 1]] has shape (3, 2) for x of shape (2, 3, 4), where
  NumPy gives (2, 3)), and the engine places the broadcast index dims as
  NumPy does: in place when the indexed dims are adjacent, first otherwise.
  A bool mask indexes as many dims as it has (x[mask2d, 0] works as in
  NumPy; PyTorch 1.13 raises there). Lists are PyTorch's: a short list that
  holds a sequence, tensor, slice, None or `...` is read as a tuple
  (x[[[0, 1], [1, 2]]] is x[[0, 1], [1, 2]]); otherwise it is an index tensor.
"""

import numbers

import numpy as np

from . import _dtype

__all__ = ["getitem", "setitem"]


def _as_tuple(key):
    """PyTorch's treatSequenceAsTuple (NumPy's legacy heuristic)."""
    from ._tensor import Tensor
    if isinstance(key, tuple):
        return key
    if isinstance(key, list) and len(key) < 32:
        for k in key:
            if isinstance(k, (Tensor, list, tuple, slice)) or k is None or k is Ellipsis:
                return tuple(key)
    return (key,)


def _index_tensor(k, self):
    """A list or NumPy array index as a tensor of self's session (int64 or bool)."""
    from ._functions import _infer_array
    from ._tensor import create_from_array
    if isinstance(k, np.ndarray):
        arr = k
        d = _dtype.from_numpy_dtype(arr.dtype)
    else:
        arr = np.array(k)
        if arr.size == 0:
            arr = arr.astype(np.int64)  # x[[]] indexes with an empty long tensor
        arr, d = _infer_array(arr, None)
    return create_from_array(arr, d, session=self._session)


def _normalize(self, key):
    """The key's entries with lists/arrays made tensors; checks the dim count."""
    from ._tensor import Tensor
    keys = []
    for k in _as_tuple(key):
        if isinstance(k, (list, np.ndarray)):
            k = _index_tensor(k, self)
        keys.append(k)
    specified = 0
    ellipses = 0
    for k in keys:
        if k is None or isinstance(k, (bool, np.bool_)):
            continue
        if k is Ellipsis:
            ellipses += 1
        elif isinstance(k, Tensor):
            specified += k.dim() if k.dtype in (_dtype.bool_, _dtype.uint8) else 1
        else:
            specified += 1
    if ellipses > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    return keys, specified


def apply(self, key):
    """(view after basic indexing, index list for `index`/`index_put_` or None)."""
    from ._tensor import Tensor, _index_int, _is_index
    keys, specified = _normalize(self, key)
    ndim = self.dim()
    if specified > ndim:
        raise IndexError("too many indices for tensor of dimension %d" % ndim)
    out, dim = self, 0
    slots = []          # index inputs: tensors, None for dims in between
    covered = 0         # dims of `out` that `slots` accounts for

    def record(t, width):
        nonlocal covered, dim
        slots.extend([None] * (dim - covered))
        slots.append(t)
        dim += width
        covered = dim

    for k in keys:
        if k is None:
            out = out.unsqueeze(dim)
            dim += 1
        elif k is Ellipsis:
            dim += ndim - specified
        elif isinstance(k, slice):
            step = 1 if k.step is None else _index_int(k.step)
            if step <= 0:
                raise ValueError("step must be greater than zero")
            start = None if k.start is None else _index_int(k.start)
            stop = None if k.stop is None else _index_int(k.stop)
            if start not in (None, 0) or stop is not None or step != 1 or out is self:
                out = out._slice(dim, start, stop, step)
            dim += 1
        elif isinstance(k, (bool, np.bool_)):
            # x[True] adds a dim of size 1 (kept) or 0 (x[False]), indexed by [0] or [].
            out = out.unsqueeze(dim)
            record(_index_tensor([0] if k else [], self), 1)
        elif isinstance(k, Tensor):
            d = k.dtype
            if k.dim() == 0 and d is not _dtype.bool_ and d is not _dtype.uint8 \
                    and not d.is_floating_point:
                out = out.select(dim, int(k.item()))
            elif k.dim() == 0 and d is _dtype.bool_:
                out = out.unsqueeze(dim)
                record(_index_tensor([0] if k.item() else [], self), 1)
            else:
                if k._session is not self._session:
                    k = _index_tensor(k.numpy(), self)
                record(k, k.dim() if d in (_dtype.bool_, _dtype.uint8) else 1)
        elif _is_index(k) or isinstance(k, numbers.Integral):
            out = out.select(dim, _index_int(k))
        else:
            raise IndexError("only integers, slices (`:`), ellipsis (`...`), None and long or "
                             "byte Variables are valid indices (got %s)" % type(k).__name__)
    return out, (slots or None)


def getitem(self, key):
    from ._tensor import run1
    out, slots = apply(self, key)
    if slots is None:
        return out
    return run1("index", [out] + slots)


def setitem(self, key, value):
    from ._tensor import Tensor, _as_operand_tensor, _is_number, create_from_array, run_op
    out, slots = apply(self, key)
    if slots is None:
        if _is_number(value):
            out.fill_(value)
        else:
            out.copy_(_as_operand_tensor(value, self))
        return
    if _is_number(value):
        d = self.dtype
        value = create_from_array(np.array(value), d, session=self._session)
    elif not isinstance(value, Tensor):
        value = _as_operand_tensor(value, self)
    run_op("index_put_", [out, value] + slots, {"accumulate": False})
