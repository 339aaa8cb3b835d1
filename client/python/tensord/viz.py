"""Pictures of the autograd graph (torchviz's ``make_dot`` for tensord).

    import tensord as torch
    from tensord.viz import make_dot
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 1))
    y = model(torch.randn(2, 4)).sum()
    dot = make_dot(y, params=dict(model.named_parameters()))
    print(dot.source)            # Graphviz DOT text
    dot.render("mlp", format="svg")   # writes mlp and mlp.svg (needs `dot`)

The graph lives on the server; ``make_dot`` fetches it with one GraphCommand
(see tensord.proto) and draws it as torchviz does: one box per grad_fn, named
as PyTorch names it (``AddmmBackward0``, ``AccumulateGrad``), a light blue box
per leaf tensor (its name from ``params``, and its shape), the output tensor in
green, and edges from inputs toward the output. ``show_saved=True`` adds the
tensors each node saved for backward (orange); ``show_attrs=True`` lists each
node's op attributes and saved tensors under its name, as torchviz does (the
attributes are those of tensord's op, e.g. ``dim``/``keepdim`` of a sum, where
PyTorch lists its backward's saved values such as ``self_sym_sizes``).

Rendering to SVG/PDF/PNG runs Graphviz's ``dot`` program (Debian/Ubuntu:
``apt-get install graphviz``); building the DOT text needs nothing.
"""

import os
import shutil
import subprocess
import warnings

from ._tensor import Tensor

__all__ = ["make_dot", "Digraph", "GraphvizNotFoundError"]


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's ``dot`` program is not installed (or not on $PATH)."""


def _quote(s):
    """A DOT string; a newline becomes DOT's \\n (a centred line break)."""
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _attrs(attrs):
    return " ".join("%s=%s" % (k, _quote(v)) for k, v in attrs.items())


class Digraph:
    """DOT text plus rendering through the ``dot`` program.

    A small stand-in for ``graphviz.Digraph``: ``.source``, ``.node()``,
    ``.edge()``, ``.pipe(format)``, ``.render()`` and Jupyter's SVG display.
    """

    def __init__(self, name=None, node_attr=None, graph_attr=None, format="pdf"):
        self.name = name
        self.node_attr = dict(node_attr or {})
        self.graph_attr = dict(graph_attr or {})
        self.format = format
        self.body = []

    def node(self, name, label=None, **attrs):
        if label is not None:
            attrs = dict(label=label, **attrs)
        self.body.append("\t%s [%s]" % (_quote(name), _attrs(attrs)) if attrs
                         else "\t%s" % _quote(name))

    def edge(self, tail, head, **attrs):
        line = "\t%s -> %s" % (_quote(tail), _quote(head))
        self.body.append(line + (" [%s]" % _attrs(attrs) if attrs else ""))

    @property
    def source(self):
        lines = ["digraph %s{" % (_quote(self.name) + " " if self.name else "")]
        if self.graph_attr:
            lines.append("\tgraph [%s]" % _attrs(self.graph_attr))
        if self.node_attr:
            lines.append("\tnode [%s]" % _attrs(self.node_attr))
        lines.extend(self.body)
        lines.append("}")
        return "\n".join(lines) + "\n"

    def __str__(self):
        return self.source

    def pipe(self, format=None, encoding=None):
        """The rendered picture as bytes (str with ``encoding``), e.g. ``pipe("svg")``."""
        out = _run_dot(self.source, format or self.format)
        return out.decode(encoding) if encoding else out

    def render(self, filename=None, directory=None, view=False, cleanup=False, format=None):
        """Writes the DOT source to ``filename`` and the picture to
        ``filename.<format>``; returns the picture's path."""
        fmt = format or self.format
        filename = filename or ((self.name or "Digraph") + ".gv")
        path = os.path.join(directory, filename) if directory else filename
        if os.path.dirname(path):
            os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(self.source)
        out_path = "%s.%s" % (path, fmt)
        with open(out_path, "wb") as f:
            f.write(_run_dot(self.source, fmt))
        if cleanup:
            os.remove(path)
        if view:
            warnings.warn("tensord.viz: view=True is not supported; open %s yourself" % out_path,
                          UserWarning, stacklevel=2)
        return out_path

    def _repr_svg_(self):
        return self.pipe("svg").decode("utf-8")

    def __repr__(self):
        return "<tensord.viz.Digraph with %d statements>" % len(self.body)


def _run_dot(source, fmt):
    exe = shutil.which("dot")
    if exe is None:
        raise GraphvizNotFoundError(
            "tensord.viz: rendering needs Graphviz's `dot` program, which was not found on PATH "
            "(Debian/Ubuntu: apt-get install graphviz). The DOT text is in .source.")
    proc = subprocess.run([exe, "-T" + fmt], input=source.encode("utf-8"),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        raise RuntimeError("tensord.viz: dot -T%s failed: %s"
                           % (fmt, proc.stderr.decode("utf-8", "replace").strip()))
    return proc.stdout


def fetch_graph(tensors, leaves=(), saved_tensors=False, attributes=False):
    """The AutogradGraph message (tensord.proto) behind ``tensors`` (one round trip).

    ``leaves``: tensors whose handles the leaf nodes should report.
    """
    if not tensors:
        raise ValueError("fetch_graph: no tensors given")
    session = tensors[0]._session
    for t in list(tensors) + list(leaves):
        if t._session is not session:
            raise RuntimeError("tensord.viz: all tensors must belong to one session")
    return session.graph([t._handle for t in tensors], [t._handle for t in leaves],
                         saved_tensors, attributes)


def _size_str(shape):
    return "(" + ", ".join("%d" % v for v in shape) + ")"


def make_dot(var, params=None, show_attrs=False, show_saved=False, max_attr_chars=50):
    """The autograd graph of ``var`` (a tensor or a tuple of them) as a Digraph.

    Like torchviz.make_dot: ``params`` maps names to tensors (pass
    ``dict(model.named_parameters())``) so that leaf boxes carry their names.
    """
    if params is not None:
        for k, v in params.items():
            if not isinstance(v, Tensor):
                raise TypeError("make_dot: params[%r] is a %s, not a Tensor" % (k, type(v).__name__))
    roots = list(var) if isinstance(var, (tuple, list)) else [var]
    for t in roots:
        if not isinstance(t, Tensor):
            raise TypeError("make_dot: expected a Tensor or a tuple of Tensors, got %s"
                            % type(t).__name__)
    named = list(params.items()) if params else []
    graph = fetch_graph(roots, [v for _, v in named], saved_tensors=show_saved or show_attrs,
                        attributes=show_attrs)
    names = {}
    for k, v in named:
        names.setdefault(v._handle.id, k)
    return dot_from_graph(graph, names, show_saved=show_saved, show_attrs=show_attrs,
                          max_attr_chars=max_attr_chars)


def _fn_label(node, show_attrs, max_attr_chars):
    """torchviz's get_fn_name: the name, then a table of attributes."""
    if not show_attrs:
        return node.name
    attrs = {a.name: a.value for a in node.attrs}
    for s in node.saved:
        attrs[s.name] = "[saved tensor]"
    if not attrs:
        return node.name
    attrs = dict(sorted(attrs.items()))
    max_attr_chars = max(max_attr_chars, 3)
    col1 = max(len(k) for k in attrs)
    col2 = min(max(len(v) for v in attrs.values()), max_attr_chars)
    sep = "-" * max(col1 + col2 + 2, len(node.name))
    fmt = "%-" + str(col1) + "s: %" + str(col2) + "s"

    def truncate(s):
        return s[:col2 - 3] + "..." if len(s) > col2 else s

    return node.name + "\n" + sep + "\n" + "\n".join(fmt % (k, truncate(v))
                                                     for k, v in attrs.items())


def dot_from_graph(graph, names=None, show_saved=False, show_attrs=False, max_attr_chars=50):
    """Draws an AutogradGraph message; ``names`` maps leaf handles to labels."""
    names = names or {}
    node_attr = dict(style="filled", shape="box", align="left", fontsize="10", ranksep="0.1",
                     height="0.2", fontname="monospace")
    dot = Digraph(node_attr=node_attr, graph_attr=dict(size="12,12"))

    def fn_id(i):
        return "fn%d" % i

    def label(name, shape):
        return "%s\n %s" % (name, _size_str(shape))

    # Nodes in depth-first order from each root, as torchviz visits them.
    seen = set()
    order = []
    for root in graph.roots:
        if root.grad_fn is None or root.grad_fn.none:
            continue
        stack = [root.grad_fn.node]
        while stack:
            i = stack.pop()
            if i in seen:
                continue
            seen.add(i)
            order.append(i)
            stack.extend(e.node for e in reversed(graph.nodes[i].next) if not e.none)

    for r, root in enumerate(graph.roots):
        dot.node("out%d" % r, label("", root.shape), fillcolor="darkolivegreen1")
    for i in order:
        node = graph.nodes[i]
        if show_saved:
            for j, s in enumerate(node.saved):
                sid = "saved%d_%d" % (i, j)
                if s.freed or s.modified:
                    text = "%s\n %s" % (s.name, "(freed)" if s.freed else "(modified in place)")
                else:
                    text = label(s.name, s.shape)
                dot.edge(fn_id(i), sid, dir="none")
                dot.node(sid, text, fillcolor="orange")
        if node.name == "AccumulateGrad" and node.variable is not None:
            vid = "var%d" % i
            dot.node(vid, label(names.get(node.variable.handle, ""), node.variable.shape),
                     fillcolor="lightblue")
            dot.edge(vid, fn_id(i))
        dot.node(fn_id(i), _fn_label(node, show_attrs, max_attr_chars))
        for e in node.next:
            if not e.none:
                dot.edge(fn_id(e.node), fn_id(i))
    for r, root in enumerate(graph.roots):
        if root.grad_fn is not None and not root.grad_fn.none:
            dot.edge(fn_id(root.grad_fn.node), "out%d" % r)
    # torchviz's resize_graph: grow the page with the graph.
    size = max(12, len(dot.body) * 0.15)
    dot.graph_attr["size"] = "%s,%s" % (size, size)
    return dot

