"""tensord.viz.make_dot: the DOT text has PyTorch's grad_fn names and edges
(checked against PyTorch 1.13's next_functions walk), leaf names from params,
saved tensors, SVG through Graphviz's dot, and clear errors."""

import json
import os
import re
import shutil
import subprocess

import pytest

TORCH_PYTHON = "/usr/bin/python3"

# Graphs as PyTorch 1.13 builds them, in the form `_canonical` gives (recorded
# from /usr/bin/python3; re-checked below when torch is importable there).
# An MLP written with matmul: `((x @ w1).relu() @ w2).sum()`.
MATMUL_MLP_TORCH = [
    "SumBackward0", [
        ["MmBackward0", [
            ["ReluBackward0", [["MmBackward0", [["AccumulateGrad", "w1", [4, 3], []]]]]],
            ["AccumulateGrad", "w2", [3, 2], []]]]]]
# The graph of shared/seeds/003's OurNet, sin(log(x**2 + 1)), which the
# tutorial shows in TensorBoard.
SEED003_TORCH = [
    "SinBackward0", [["LogBackward0", [["AddBackward0", [["PowBackward0", [
        ["AccumulateGrad", "x", [1], []]]]]]]]]]
# nn.Sequential(Linear(4, 3), ReLU(), Linear(3, 2)), `model(x).sum()`.
MLP_TORCH = [
    "SumBackward0", [
        ["AddmmBackward0", [
            ["AccumulateGrad", "2.bias", [2], []],
            ["ReluBackward0", [
                ["AddmmBackward0", [
                    ["AccumulateGrad", "0.bias", [3], []],
                    ["TBackward0", [["AccumulateGrad", "0.weight", [3, 4], []]]]]]]],
            ["TBackward0", [["AccumulateGrad", "2.weight", [2, 3], []]]]]]]]

TORCH_SCRIPT = r"""
import json, torch
torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
x = torch.randn(5, 4)
y = model(x).sum()
w1 = torch.randn(4, 3, requires_grad=True)
w2 = torch.randn(3, 2, requires_grad=True)
z = ((x @ w1).relu() @ w2).sum()
names = {id(p): n for n, p in model.named_parameters()}
names.update({id(w1): "w1", id(w2): "w2"})
x3 = torch.randn(1, requires_grad=True)
names[id(x3)] = "x"
k = torch.sin(torch.log(x3 ** 2 + 1))
def canon(fn):
    name = type(fn).__name__
    if name == "AccumulateGrad":
        return [name, names.get(id(fn.variable), ""), list(fn.variable.shape), []]
    return [name, [canon(u) for u, _ in fn.next_functions if u is not None]]
print(json.dumps({"linear": canon(y.grad_fn), "matmul": canon(z.grad_fn),
                  "seed003": canon(k.grad_fn)}))
"""


def _parse_dot(source):
    """{id: attrs}, [(tail, head, attrs)] from the DOT text make_dot writes."""
    nodes, edges = {}, []
    attr_re = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|[^\s\]]+)')

    def attrs(text):
        out = {}
        for k, v in attr_re.findall(text or ""):
            if v.startswith('"'):
                v = re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), v[1:-1])
            out[k] = v
        return out

    for line in source.splitlines()[1:-1]:
        line = line.strip()
        m = re.match(r'^"([^"]+)" -> "([^"]+)"(?: \[(.*)\])?$', line)
        if m:
            edges.append((m.group(1), m.group(2), attrs(m.group(3))))
            continue
        m = re.match(r'^"([^"]+)" \[(.*)\]$', line)
        if m:
            nodes[m.group(1)] = attrs(m.group(2))
            continue
        assert line.startswith(("graph [", "node [")), line
    return nodes, edges


def _canonical(source):
    """The DOT graph walked from the output back to the leaves, as TORCH_SCRIPT does."""
    nodes, edges = _parse_dot(source)
    inputs = {}
    for tail, head, a in edges:
        if a.get("dir") != "none":
            inputs.setdefault(head, []).append(tail)
    (out,) = [n for n, a in nodes.items() if a.get("fillcolor") == "darkolivegreen1"]
    (root,) = inputs[out]

    def canon(n):
        label = nodes[n]["label"]
        if label == "AccumulateGrad":
            (var,) = inputs[n]
            name, shape = nodes[var]["label"].split("\n ")
            assert nodes[var]["fillcolor"] == "lightblue"
            dims = [int(d) for d in shape.strip("()").split(",") if d.strip()]
            return [label, name, dims, []]
        return [label, [canon(u) for u in inputs.get(n, [])]]

    return canon(root)


def _mlp(td):
    td.manual_seed(0)
    nn = td.nn
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    return model, model(td.randn(5, 4)).sum()


def test_matmul_mlp_graph_matches_pytorch(td):
    x = td.randn(5, 4)
    w1 = td.randn(4, 3, requires_grad=True)
    w2 = td.randn(3, 2, requires_grad=True)
    y = ((x @ w1).relu() @ w2).sum()
    dot = td.viz.make_dot(y, params={"w1": w1, "w2": w2})
    assert dot.source.startswith("digraph {\n")
    assert _canonical(dot.source) == MATMUL_MLP_TORCH
    nodes, edges = _parse_dot(dot.source)
    # Each leaf box: its name and shape, light blue, one edge to its AccumulateGrad.
    leaves = sorted(a["label"] for a in nodes.values() if a.get("fillcolor") == "lightblue")
    assert leaves == ["w1\n (4, 3)", "w2\n (3, 2)"]
    out = [n for n, a in nodes.items() if a.get("fillcolor") == "darkolivegreen1"]
    assert len(out) == 1 and nodes[out[0]]["label"] == "\n ()"
    # 2 leaf->AccumulateGrad, 2 AccumulateGrad->Mm, Mm->Relu, Relu->Mm, Mm->Sum,
    # Sum->output (x needs no gradient: next_functions holds None, no edge).
    assert len(edges) == 8


def test_seed003_ournet_graph_matches_pytorch(td):
    class OurNet(td.nn.Module):
        def forward(self, x):
            g1 = x**2
            g = g1 + 1
            h = td.log(g)
            k = td.sin(h)
            return k

    x = td.randn(1, requires_grad=True)
    dot = td.viz.make_dot(OurNet()(x), params={"x": x})
    assert _canonical(dot.source) == SEED003_TORCH


def test_linear_mlp_leaves_are_named_from_params(td):
    model, y = _mlp(td)
    nodes, _ = _parse_dot(td.viz.make_dot(y, params=dict(model.named_parameters())).source)
    assert sum(a.get("label") == "AccumulateGrad" for a in nodes.values()) == 4
    leaves = sorted(a["label"] for a in nodes.values() if a.get("fillcolor") == "lightblue")
    assert leaves == ["0.bias\n (3)", "0.weight\n (3, 4)", "2.bias\n (2)", "2.weight\n (2, 3)"]


def test_linear_mlp_graph_matches_pytorch(td):
    model, y = _mlp(td)
    assert _canonical(td.viz.make_dot(y, params=dict(model.named_parameters())).source) == MLP_TORCH


@pytest.mark.skipif(not os.path.exists(TORCH_PYTHON), reason="no /usr/bin/python3")
def test_recorded_graph_is_what_pytorch_builds():
    proc = subprocess.run([TORCH_PYTHON, "-c", TORCH_SCRIPT], capture_output=True, text=True)
    if proc.returncode != 0 and "No module named 'torch'" in proc.stderr:
        pytest.skip("PyTorch is not installed for /usr/bin/python3")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"linear": MLP_TORCH, "matmul": MATMUL_MLP_TORCH,
                                       "seed003": SEED003_TORCH}


def test_unnamed_leaves_shared_nodes_and_several_outputs(td):
    x = td.ones(2, 3, requires_grad=True)
    h = x * 2
    a, b = h.sum(), h.exp()
    dot = td.viz.make_dot((a, b))
    nodes, edges = _parse_dot(dot.source)
    labels = sorted(v["label"] for v in nodes.values())
    # MulBackward0 and x's AccumulateGrad are shared: drawn once.
    assert labels == ["\n ()", "\n (2, 3)", "\n (2, 3)", "AccumulateGrad", "ExpBackward0",
                      "MulBackward0", "SumBackward0"]
    muls = [n for n, v in nodes.items() if v["label"] == "MulBackward0"]
    assert sorted(nodes[h_]["label"] for h_, t, _ in edges if t == muls[0]) == ["AccumulateGrad"]
    assert sorted(nodes[t]["label"] for h_, t, _ in edges if h_ == muls[0]) == [
        "ExpBackward0", "SumBackward0"]


def test_show_saved_draws_saved_tensors(td):
    x = td.ones(3, requires_grad=True)
    c = td.full((3,), 2.0)
    y = (x * c).sum()
    dot = td.viz.make_dot(y, show_saved=True)
    nodes, edges = _parse_dot(dot.source)
    # MulBackward0 saves c for x's gradient; x only for c's, which nothing needs
    saved = sorted(v["label"] for v in nodes.values() if v.get("fillcolor") == "orange")
    assert saved == ["other\n (3)"]
    undirected = [e for e in edges if e[2].get("dir") == "none"]
    assert len(undirected) == 1 and all(nodes[t]["label"] == "MulBackward0" for t, _, _ in undirected)
    w = td.full((3,), 2.0, requires_grad=True)
    nodes, _ = _parse_dot(td.viz.make_dot((x * w).sum(), show_saved=True).source)
    assert sorted(v["label"] for v in nodes.values() if v.get("fillcolor") == "orange") == [
        "other\n (3)", "self\n (3)"]
    y.backward()  # frees the saved tensors; the graph can still be drawn
    nodes, _ = _parse_dot(td.viz.make_dot(y, show_saved=True).source)
    assert sorted(v["label"] for v in nodes.values() if v.get("fillcolor") == "orange") == [
        "other\n (freed)"]
    assert "orange" not in td.viz.make_dot(y).source


def test_show_attrs_lists_attributes_and_saved_tensors(td):
    x = td.ones(2, 3, requires_grad=True)
    y = (x * 2).sum(dim=1, keepdim=True)
    nodes, _ = _parse_dot(td.viz.make_dot(y, show_attrs=True).source)
    labels = {v["label"].split("\n")[0]: v["label"] for v in nodes.values()}
    # torchviz's table: name, a rule, then "key: value" rows sorted by key.
    assert labels["SumBackward1"] == ("SumBackward1\n-------------\ndim    : (1,)\n"
                                      "dtype  : None\nkeepdim: True")
    # x * 2 saves only the 2 (PyTorch's torchviz also lists `self : None`)
    assert labels["MulBackward0"].splitlines()[2:] == ["other: [saved tensor]"]
    short = td.viz.make_dot(y, show_attrs=True, max_attr_chars=6).source
    assert "[sa..." in short
    assert "orange" not in td.viz.make_dot(y, show_attrs=True).source


def test_tensor_without_graph_is_a_single_box(td):
    nodes, edges = _parse_dot(td.viz.make_dot(td.ones(2, 2)).source)
    assert [v["label"] for v in nodes.values()] == ["\n (2, 2)"] and edges == []


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_svg_rendering(td, tmp_path):
    model, y = _mlp(td)
    dot = td.viz.make_dot(y, params=dict(model.named_parameters()))
    svg = dot.pipe(format="svg")
    assert svg.lstrip().startswith(b"<?xml") and b"<svg" in svg
    assert b"ReluBackward0" in svg and b"0.weight" in svg
    assert "<svg" in dot._repr_svg_()
    path = dot.render(str(tmp_path / "mlp"), format="svg")
    assert path == str(tmp_path / "mlp.svg")
    assert (tmp_path / "mlp").read_text() == dot.source
    assert b"<svg" in (tmp_path / "mlp.svg").read_bytes()


def test_errors(td, monkeypatch):
    y = (td.ones(2, requires_grad=True) * 3).sum()
    with pytest.raises(TypeError, match="params\\['w'\\] is a list"):
        td.viz.make_dot(y, params={"w": [1]})
    with pytest.raises(TypeError, match="expected a Tensor"):
        td.viz.make_dot([1, 2])
    dot = td.viz.make_dot(y)
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(td.viz.GraphvizNotFoundError, match="apt-get install graphviz"):
        dot.pipe(format="svg")
