"""help() reads like torch's: every public function and Tensor method has a
docstring whose first line is its signature as PyTorch documents it.

Docs come from tables (Note [Docstring tables] in tensord/_tensor.py); these
tests catch a function added without one, an alias that shows its target's
name, and a "See tensord.x" that points nowhere. Only the last test needs a
server (aliases are copies of their targets and must behave the same).
"""

import inspect
import re

import pytest

import tensord
import tensord.nn.functional as F


def _public(owner, names):
    for name in names:
        obj = inspect.getattr_static(owner, name) if inspect.isclass(owner) \
            else getattr(owner, name)
        if inspect.ismodule(obj):
            continue
        yield name, obj


def _tensor_names():
    return sorted(n for n in vars(tensord.Tensor) if not n.startswith("_"))


def _functions():
    yield from (("tensord." + n, n, o) for n, o in _public(tensord, tensord.__all__)
                if inspect.isfunction(o))
    yield from (("F." + n, n, o) for n, o in _public(F, F.__all__))
    yield from (("Tensor." + n, n, o) for n, o in _public(tensord.Tensor, _tensor_names())
                if not isinstance(o, property))


def test_every_public_function_starts_with_its_signature():
    bad = []
    for label, name, obj in _functions():
        doc = obj.__doc__ or ""
        lines = doc.splitlines()
        if not lines or not lines[0].startswith(name + "("):
            bad.append("%s: %r" % (label, lines[0] if lines else doc))
        elif len(lines) > 1 and lines[1] != "":
            bad.append("%s: no blank line after the signature" % label)
    assert not bad, "\n".join(bad)


def test_properties_classes_and_dtypes_have_docs():
    missing = [name for name, obj in _public(tensord.Tensor, _tensor_names())
               if isinstance(obj, property) and not (obj.__doc__ or "").strip()]
    missing += [name for name, obj in _public(tensord, tensord.__all__)
                if inspect.isclass(obj) and not (obj.__doc__ or "").strip()]
    assert not missing


def test_every_function_in_all_is_documented():
    # tensord.__all__ lists the table's names; nothing public is a bare callable.
    undocumented = [name for name, obj in _public(tensord, tensord.__all__)
                    if callable(obj) and not (obj.__doc__ or "").strip()]
    assert not undocumented


def test_cross_references_exist():
    bad = []
    for label, name, obj in _functions():
        for target in re.findall(r":func:`tensord\.(\w+)`", obj.__doc__):
            if not callable(getattr(tensord, target, None)):
                bad.append("%s -> tensord.%s" % (label, target))
        for target in re.findall(r":meth:`~?(?:Tensor\.)?(\w+)`", obj.__doc__):
            if not hasattr(tensord.Tensor, target):
                bad.append("%s -> Tensor.%s" % (label, target))
    assert not bad, "\n".join(bad)


def _documented_params(first_line):
    """Parameter names in a signature line (``*``, ``/`` and defaults dropped)."""
    start = first_line.index("(") + 1
    depth, end = 1, start
    while depth:
        depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(first_line[end], 0)
        end += 1
    names, depth, cur = [], 0, ""
    for ch in first_line[start:end - 1] + ",":
        if ch == "," and depth == 0:
            name = cur.split("=")[0].strip()
            if name not in ("", "*", "/"):
                names.append(name)
            cur = ""
            continue
        depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(ch, 0)
        cur += ch
    return names


def test_signature_lines_name_parameters_the_function_accepts():
    # A user calling with the documented keyword must not get a TypeError.
    bad = []
    for label, name, obj in _functions():
        params = inspect.signature(obj).parameters
        kinds = {p.kind for p in params.values()}
        for doc_name in _documented_params(obj.__doc__.splitlines()[0]):
            if doc_name.startswith("**"):
                ok = inspect.Parameter.VAR_KEYWORD in kinds
            elif doc_name.startswith("*"):
                ok = inspect.Parameter.VAR_POSITIONAL in kinds or doc_name[1:] in params
            else:
                ok = doc_name in params or inspect.Parameter.VAR_KEYWORD in kinds
            if not ok:
                bad.append("%s: %s not in %s" % (label, doc_name, inspect.signature(obj)))
    assert not bad, "\n".join(bad)


@pytest.mark.parametrize("obj, first", [
    (tensord.add, "add(input, other, *, alpha=1, out=None) -> Tensor"),
    (tensord.matmul, "matmul(input, other, *, out=None) -> Tensor"),
    (tensord.softmax, "softmax(input, dim, dtype=None) -> Tensor"),
    (tensord.sum, "sum(input, dim=None, keepdim=False, *, dtype=None, out=None) -> Tensor"),
    (tensord.zeros, "zeros(*size, *, out=None, dtype=None, layout=tensord.strided, device=None, "
                    "requires_grad=False) -> Tensor"),
    (tensord.Tensor.sum, "sum(dim=None, keepdim=False, dtype=None) -> Tensor"),
    (tensord.Tensor.view, "view(*shape) -> Tensor"),
    (tensord.Tensor.add_, "add_(other, *, alpha=1) -> Tensor"),
    (tensord.Tensor.item, "item() -> number"),
    (F.cross_entropy, "cross_entropy(input, target, weight=None, size_average=None, "
                      "ignore_index=-100, reduce=None, reduction='mean', "
                      "label_smoothing=0.0) -> Tensor"),
])
def test_signature_lines(obj, first):
    assert obj.__doc__.splitlines()[0] == first


def test_bodies():
    for name in ("manual_seed", "initial_seed"):
        assert getattr(tensord.Generator, name).__doc__.startswith(name + "(")
    assert tensord.Tensor.sum.__doc__.splitlines()[2] == "See :func:`tensord.sum`."
    assert tensord.Tensor.add_.__doc__.splitlines()[2] == "In-place version of :meth:`~Tensor.add`."
    assert tensord.clip.__doc__.splitlines()[2] == "Alias for :func:`tensord.clamp`."
    assert tensord.clamp.__doc__.startswith("clamp(")  # the alias did not overwrite it
    assert tensord.Tensor.clamp.__doc__.startswith("clamp(")
    assert "view" in tensord.Tensor.view.__doc__.splitlines()[0]
    # Kept docstrings stay, under the signature line.
    assert "COPYING" in tensord.from_numpy.__doc__
    assert "does not support ``out=``" in tensord.mean.__doc__
    assert "does not support ``out=``" not in tensord.add.__doc__
    assert "sync point" in tensord.Tensor.item.__doc__
    assert tensord.Tensor.shape.__doc__.strip()
    # help() shows the signature line first.
    import pydoc
    assert "add(input, other, *, alpha=1, out=None) -> Tensor" in pydoc.render_doc(tensord.add)
    assert "in module tensord\n" in pydoc.render_doc(tensord.add)
    import pickle
    assert pickle.loads(pickle.dumps(tensord.clip)) is tensord.clip


def test_aliases_behave_like_their_targets(td):
    x = td.tensor([-2.0, 0.5, 3.0])
    assert td.clip(x, -1, 1).tolist() == td.clamp(x, -1, 1).tolist() == [-1.0, 0.5, 1.0]
    assert x.clip(max=0.0).tolist() == [-2.0, 0.0, 0.0]
    assert td.negative(x).tolist() == [2.0, -0.5, -3.0]
    assert td.absolute(x).tolist() == [2.0, 0.5, 3.0]
    assert td.concat([x, x]).shape == (6,)
    assert td.greater(x, 0).tolist() == [False, True, True]
    y = x.clone()
    y.clip_(0, 1)
    assert y.tolist() == [0.0, 0.5, 1.0]
    assert td.fix(x).tolist() == [-2.0, 0.0, 3.0]
    assert x.swapdims(0, 0).tolist() == x.tolist()
    assert x.nelement() == 3
