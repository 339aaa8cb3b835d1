"""Tensor printing, following PyTorch's torch/_tensor_str.py rules.

Pure functions on NumPy arrays (no server involved), so they are unit-tested
alone. The rules reproduced here:

* one formatter for the whole tensor (all elements share a width);
* integer dtypes print with ``str``; bool as ``True``/``False``;
* floating tensors whose finite non-zero values are all integral print as
  ``5.`` (int mode); otherwise with ``precision`` (4) decimals; scientific
  notation when max/min of the absolute finite non-zero values > 1000, or the
  max > 1e8, or (non-int mode) the min < 1e-4;
* lines wrap at ``linewidth`` (80) counted from the indent; nested dims are
  separated by ``dim - 1`` blank lines;
* more than ``threshold`` (1000) elements are summarized with ``...`` and
  ``edgeitems`` (3) items at each end of every dimension;
* suffixes: ``device=`` (non-CPU), ``size=`` (empty, not 1-D), ``dtype=``
  (not float32/int64/bool; for empty tensors not float32), then
  ``grad_fn=<...>`` or ``requires_grad=True``; they move to the next line when
  the last line would exceed the line width.
"""

import math

import numpy as np

__all__ = ["PrintOptions", "PRINT_OPTS", "set_printoptions", "tensor_repr", "tensor_body"]


class PrintOptions:
    def __init__(self):
        self.precision = 4
        self.threshold = 1000
        self.edgeitems = 3
        self.linewidth = 80
        self.sci_mode = None


PRINT_OPTS = PrintOptions()


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    """set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None, profile=None, sci_mode=None)

    torch.set_printoptions: precision, threshold, edgeitems, linewidth, profile, sci_mode."""
    if profile is not None:
        presets = {"default": (4, 1000, 3, 80), "short": (2, 1000, 2, 80),
                   "full": (4, math.inf, 3, 80)}
        if profile not in presets:
            raise ValueError("profile must be one of %s" % sorted(presets))
        (PRINT_OPTS.precision, PRINT_OPTS.threshold, PRINT_OPTS.edgeitems,
         PRINT_OPTS.linewidth) = presets[profile]
    if precision is not None:
        PRINT_OPTS.precision = precision
    if threshold is not None:
        PRINT_OPTS.threshold = threshold
    if edgeitems is not None:
        PRINT_OPTS.edgeitems = edgeitems
    if linewidth is not None:
        PRINT_OPTS.linewidth = linewidth
    PRINT_OPTS.sci_mode = sci_mode


class _Formatter:
    """Chooses one number format (int / fixed / scientific) and width for a tensor."""

    def __init__(self, values, floating):
        # values: 1-D NumPy array of every element that will be printed.
        self.floating = floating
        self.int_mode = True
        self.sci_mode = False
        self.max_width = 1
        p = PRINT_OPTS.precision
        if not floating:
            for v in values.tolist():
                self.max_width = max(self.max_width, len(str(v)))
        else:
            vals = values.astype(np.float64)
            nz = vals[np.isfinite(vals) & (vals != 0)]
            if nz.size == 0:
                self._apply_sci_override()
                return
            absv = np.abs(nz)
            vmin, vmax = float(absv.min()), float(absv.max())
            self.int_mode = bool(np.all(nz == np.ceil(nz)))
            big_range = vmax / vmin > 1000.0 or vmax > 1.0e8
            if self.int_mode:
                if big_range:
                    self.sci_mode = True
                    strs = ["{:.{}e}".format(v, p) for v in nz.tolist()]
                    self.max_width = max(self.max_width, max(len(s) for s in strs))
                else:
                    strs = ["{:.0f}".format(v) for v in nz.tolist()]
                    self.max_width = max(self.max_width, max(len(s) for s in strs) + 1)
            else:
                if big_range or vmin < 1.0e-4:
                    self.sci_mode = True
                    strs = ["{:.{}e}".format(v, p) for v in nz.tolist()]
                else:
                    strs = ["{:.{}f}".format(v, p) for v in nz.tolist()]
                self.max_width = max(self.max_width, max(len(s) for s in strs))
        self._apply_sci_override()

    def _apply_sci_override(self):
        if PRINT_OPTS.sci_mode is not None:
            self.sci_mode = PRINT_OPTS.sci_mode

    def width(self):
        return self.max_width

    def format(self, value):
        p = PRINT_OPTS.precision
        if self.floating:
            value = float(value)
            if self.sci_mode:
                s = "{:{}.{}e}".format(value, self.max_width, p)
            elif self.int_mode:
                s = "{:.0f}".format(value)
                if not (math.isinf(value) or math.isnan(value)):
                    s += "."
            else:
                s = "{:.{}f}".format(value, p)
        else:
            s = str(value)
        return (self.max_width - len(s)) * " " + s


def _summarized(a):
    """The elements shown when summarizing (edge items of every dimension)."""
    e = PRINT_OPTS.edgeitems
    if a.ndim == 0:
        return a
    if a.ndim == 1:
        return np.concatenate([a[:e], a[-e:]]) if a.shape[0] > 2 * e else a
    rows = list(range(e)) + list(range(a.shape[0] - e, a.shape[0])) if a.shape[0] > 2 * e \
        else range(a.shape[0])
    return np.stack([_summarized(a[i]) for i in rows])


def _vector_str(a, n, indent, summarize, fmt):
    # a: the values (all n of them, or only the 2 * edgeitems edges when summarized).
    element_length = fmt.width() + 2
    per_line = max(1, int(math.floor((PRINT_OPTS.linewidth - indent) / element_length)))
    e = PRINT_OPTS.edgeitems
    if summarize and n > 2 * e:
        data = ([fmt.format(v) for v in a[:e].tolist()] + [" ..."]
                + [fmt.format(v) for v in a[-e:].tolist()])
    else:
        data = [fmt.format(v) for v in a.tolist()]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + ("," + "\n" + " " * (indent + 1)).join(lines) + "]"


def _tensor_str_with_formatter(a, shape, indent, summarize, fmt):
    # shape is the true shape; a may hold only the edges of summarized dims.
    dim = len(shape)
    if dim == 0:
        return fmt.format(a.item())
    if dim == 1:
        return _vector_str(a, shape[0], indent, summarize, fmt)
    e = PRINT_OPTS.edgeitems
    n, rest = shape[0], shape[1:]
    if summarize and n > 2 * e:
        m = a.shape[0]
        slices = ([_tensor_str_with_formatter(a[i], rest, indent + 1, summarize, fmt)
                   for i in range(e)]
                  + ["..."]
                  + [_tensor_str_with_formatter(a[i], rest, indent + 1, summarize, fmt)
                     for i in range(m - e, m)])
    else:
        slices = [_tensor_str_with_formatter(a[i], rest, indent + 1, summarize, fmt)
                  for i in range(n)]
    return "[" + ("," + "\n" * (dim - 1) + " " * (indent + 1)).join(slices) + "]"


def summarized_shape(shape):
    """Per-dim sizes of the edges kept when printing a tensor of ``shape``."""
    e = PRINT_OPTS.edgeitems
    return tuple(2 * e if n > 2 * e else n for n in shape)


def needs_summary(shape):
    n = 1
    for s in shape:
        n *= s
    return n > PRINT_OPTS.threshold


def tensor_body(a, floating, indent, shape=None):
    """The bracketed element text (torch's _tensor_str).

    ``shape`` is the tensor's shape when ``a`` holds only its summarized edges
    (see summarized_shape); by default ``a`` is the whole tensor.
    """
    shape = tuple(a.shape) if shape is None else tuple(shape)
    if 0 in shape:
        return "[]"
    summarize = needs_summary(shape)
    if summarize and tuple(a.shape) == shape:
        a = _summarized(a)
    fmt = _Formatter(np.asarray(a).reshape(-1), floating)
    return _tensor_str_with_formatter(a, shape, indent, summarize, fmt)


def _add_suffixes(tensor_str, suffixes, indent):
    parts = [tensor_str]
    last_line_len = len(tensor_str) - tensor_str.rfind("\n") + 1
    for suffix in suffixes:
        if last_line_len + len(suffix) + 2 > PRINT_OPTS.linewidth:
            parts.append(",\n" + " " * indent + suffix)
            last_line_len = indent + len(suffix)
        else:
            parts.append(", " + suffix)
            last_line_len += len(suffix) + 2
    parts.append(")")
    return "".join(parts)


_DEFAULT_DTYPES = ("float32", "int64", "bool")


def tensor_repr(a, dtype_name, floating, device="cpu", grad_fn=None, requires_grad=False,
                prefix="tensor(", shape=None):
    """torch's repr of a tensor whose values are the NumPy array ``a``.

    ``dtype_name`` is the tensor's dtype without "torch." (float16/bfloat16
    values are given as float32 arrays); ``grad_fn`` a name like "AddBackward0".
    ``shape``: the true shape when ``a`` holds only the summarized edges.
    """
    indent = len(prefix)
    shape = tuple(a.shape) if shape is None else tuple(shape)
    suffixes = []
    if device != "cpu":
        suffixes.append("device='" + str(device) + "'")
    if 0 in shape:
        if len(shape) != 1:
            suffixes.append("size=" + str(shape))
        if dtype_name != "float32":
            suffixes.append("dtype=torch." + dtype_name)
        body = "[]"
    else:
        if dtype_name not in _DEFAULT_DTYPES:
            suffixes.append("dtype=torch." + dtype_name)
        body = tensor_body(a, floating, indent, shape)
    if grad_fn:
        suffixes.append("grad_fn=<" + grad_fn + ">")
    elif requires_grad:
        suffixes.append("requires_grad=True")
    return _add_suffixes(prefix + body, suffixes, indent)
