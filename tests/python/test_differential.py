"""Differential test: the same programs under PyTorch and under tensord.

The case table (oracle/cases.py, a few thousand small programs over a module
`T`) runs once under real PyTorch -- Debian's python3-torch in
/usr/bin/python3 ($TENSORD_ORACLE_PYTHON), one subprocess for the whole table
(oracle/run_torch.py) -- and then case by case under tensord. Each case must
agree on dtypes, shapes and values (ints and bools exactly, floats to a
tolerance for their dtype or bit-exactly where the case says so), on the
gradients of its inputs, and on errors: where PyTorch raises, tensord must
raise too, naming the op.

Without PyTorch in the oracle interpreter the cases are skipped with the
reason (TENSORD_REQUIRE_ORACLE=1, which scripts/test.sh sets, makes that a
failure). Cases PyTorch 1.13 cannot run ("... not implemented for 'Half'")
are skipped when tensord computes them. Known tensord differences are
strict xfails (oracle/cases.py KNOWN): fixing one makes it XPASS and fail.

oracle/composed.py adds random composed programs (3-7 step chains of views,
in-place ops on clones and views, indexing assignment, gather/scatter, casts,
reductions, then a create_graph gradient and a second backward); each records
dtype, shape, strides, is_contiguous() and requires_grad after every step,
the gradient and the second gradient, and its error class if it raises.
"""

import math
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from oracle import cases as _cases  # noqa: E402
from oracle import composed as _composed  # noqa: E402
from oracle import harness  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ORACLE_PYTHON = os.environ.get("TENSORD_ORACLE_PYTHON", "/usr/bin/python3")

# (rtol, atol) by dtype for values and for gradients.
VALUE_TOL = {"float16": (1e-3, 1e-3), "bfloat16": (8e-3, 8e-3), "float32": (1e-5, 1e-6),
             "float64": (1e-10, 1e-12)}
GRAD_TOL = {"float16": (4e-3, 4e-3), "bfloat16": (2e-2, 2e-2), "float32": (1e-4, 1e-5),
            "float64": (1e-9, 1e-10)}

_oracle = {}


def _oracle_results(tmp_dir):
    """{case name: result} from PyTorch, computed once per run; None + reason if unavailable."""
    if "results" in _oracle:
        return _oracle["results"], _oracle["reason"]
    results, reason = None, ""
    try:
        probe = subprocess.run([ORACLE_PYTHON, "-c", "import torch, numpy"],
                               capture_output=True, text=True, timeout=120)
        ok = probe.returncode == 0
        if not ok:
            last = (probe.stderr.strip().splitlines() or ["exit %d" % probe.returncode])[-1]
            reason = "PyTorch is not importable by %s (%s); install python3-torch " \
                     "(scripts/bootstrap.sh --with-oracle)" % (ORACLE_PYTHON, last)
    except (OSError, subprocess.TimeoutExpired) as e:
        ok, reason = False, "oracle interpreter %s unusable: %s" % (ORACLE_PYTHON, e)
    if ok:
        out = os.path.join(str(tmp_dir), "torch-results.pickle")
        env = dict(os.environ, OMP_NUM_THREADS="1")
        run = subprocess.run([ORACLE_PYTHON, os.path.join(HERE, "oracle", "run_torch.py"), out],
                             capture_output=True, text=True, timeout=600, env=env)
        if run.returncode != 0:
            pytest.fail("the PyTorch oracle failed:\n" + run.stderr[-4000:])
        with open(out, "rb") as f:
            results = pickle.load(f)["results"]
    _oracle["results"], _oracle["reason"] = results, reason
    return results, reason


@pytest.fixture(scope="module")
def oracle(tmp_path_factory):
    results, reason = _oracle_results(tmp_path_factory.mktemp("oracle"))
    if results is None:
        if os.environ.get("TENSORD_REQUIRE_ORACLE") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return results


@pytest.fixture(scope="module")
def tdm(tensord_server):
    """tensord with one session for the whole module (cases are independent programs)."""
    import tensord
    session = tensord.connect(tensord_server.address)
    yield tensord
    session.close()


def _decode(enc):
    _, dt, shape, npdt, data = enc
    return np.frombuffer(data, dtype=np.dtype(npdt)).reshape(shape)


def _where(path):
    return " at %s" % path if path else ""


def _compare(want, got, tol, exact, path):
    kind = want[0]
    assert got[0] == kind, "%s: PyTorch gave a %s, tensord a %s" % (path, kind, got[0])
    if kind == "tensor":
        assert got[1] == want[1], "%s: dtype torch.%s, PyTorch has torch.%s" % (
            path, got[1], want[1])
        assert got[2] == want[2], "%s: shape %s, PyTorch has %s" % (path, got[2], want[2])
        a, b = _decode(got), _decode(want)
        if want[1] in harness.FLOATS:
            if exact:
                np.testing.assert_array_equal(a, b, err_msg="%s (bit-exact)" % path)
                zeros = (a == 0) & (b == 0)
                assert np.array_equal(np.signbit(a[zeros]), np.signbit(b[zeros])), \
                    "%s: signs of zeros" % path
            else:
                rtol, atol = tol or VALUE_TOL[want[1]]
                np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, equal_nan=True,
                                           err_msg=path)
        else:
            np.testing.assert_array_equal(a, b, err_msg=path)
    elif kind == "seq":
        assert len(got[1]) == len(want[1]), "%s: %d items, PyTorch has %d" % (
            path, len(got[1]), len(want[1]))
        for i, (w, g) in enumerate(zip(want[1], got[1])):
            _compare(w, g, tol, exact, "%s[%d]" % (path, i))
    elif kind == "scalar":
        assert got[1] == want[1], "%s: a Python %s, PyTorch gives a %s" % (path, got[1], want[1])
        if want[1] == "float" and not exact:
            assert (math.isnan(want[2]) and math.isnan(got[2])) or \
                math.isclose(got[2], want[2], rel_tol=1e-6, abs_tol=1e-12), \
                "%s: %r, PyTorch has %r" % (path, got[2], want[2])
        else:
            assert got[2] == want[2], "%s: %r, PyTorch has %r" % (path, got[2], want[2])
    else:
        assert got == want, "%s: %r, PyTorch has %r" % (path, got, want)


def compare(case, want, got):
    """Asserts that tensord's result `got` matches PyTorch's `want` for `case`."""
    if "error" in want:
        if case.raises is False and "error" not in got and "not implemented for" in \
                want["message"]:
            pytest.skip("PyTorch 1.13 cannot run this on the CPU: " + want["message"][:200])
        assert "error" in got, "PyTorch raised %s(%s) but tensord returned %r" % (
            want["error"], want["message"][:300], got["value"])
        if case.raises and case.op:
            assert case.op in got["message"], \
                "tensord's error does not name the op %r: %s" % (case.op, got["message"])
        return
    assert not case.raises, "case table: PyTorch was expected to raise but returned a value"
    assert "error" not in got, "tensord raised %s: %s\n(PyTorch returned a value)" % (
        got["error"], got["message"][:2000])
    _compare(want["value"], got["value"], case.tol, case.exact, "value")
    if "grads" in want:
        assert "grads" in got
        # a gradient is as precise as the least precise floating input it went through
        floats = [s.dtype for s in case.inputs if s.dtype in GRAD_TOL]
        loosest = max((GRAD_TOL[d] for d in floats), default=None)
        for i, (w, g) in enumerate(zip(want["grads"], got["grads"])):
            dt = w[1] if w[0] == "tensor" else None
            tol = case.gtol or (max(GRAD_TOL[dt], loosest) if dt in GRAD_TOL and loosest
                                else GRAD_TOL.get(dt))
            _compare(w, g, tol, False, "grad of input %d" % i)


def _params():
    params = []
    for case in _cases.CASES:
        marks = []
        for prefix, reason in _cases.KNOWN.items():
            if case.name == prefix or case.name.startswith(prefix + "-"):
                marks.append(pytest.mark.xfail(strict=True, reason=reason))
                break
        params.append(pytest.param(case, id=case.name, marks=marks))
    return params


@pytest.mark.filterwarnings("ignore")  # the programs' own warnings (PyTorch warns too)
@pytest.mark.parametrize("case", _params())
def test_same_as_pytorch(case, oracle, tdm):
    want = oracle[case.name]
    got = harness.run_case(tdm, case)
    try:  # errors of ops the case never read must not surface in the next case
        tdm.synchronize()
    except Exception:  # noqa: BLE001
        pass
    compare(case, want, got)


def _composed_params():
    return [pytest.param(case, id=case.name, marks=[pytest.mark.xfail(
        strict=True, reason=_composed.KNOWN[case.name])] if case.name in _composed.KNOWN else [])
        for case in _composed.CASES]


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("case", _composed_params())
def test_composed_program_same_as_pytorch(case, oracle, tdm):
    """oracle/composed.py: strides, grads, second grads and error classes too."""
    want = oracle[case.name]
    got = harness.run_case(tdm, case)
    try:
        tdm.synchronize()
    except Exception:  # noqa: BLE001
        pass
    try:
        compare(case, want, got)
    except AssertionError as e:
        seed = int(case.name.rsplit("-", 1)[1])
        steps = ", ".join(name for name, _, _ in _composed.plan_of(seed)[0])
        raise AssertionError("%s\n(program: %s; each step records (dtype, shape, strides, "
                             "is_contiguous, requires_grad) then its values)" % (e, steps)) from None


def test_case_table_is_large_and_named(oracle):
    names = [c.name for c in _cases.CASES]
    assert len(names) == len(set(names))
    assert len(names) >= 1000
    composed = [c.name for c in _composed.CASES]
    assert len(composed) >= 1000 or "TENSORD_COMPOSED_CASES" in os.environ
    assert not set(composed) & set(names)
    assert set(names) | set(composed) == set(oracle)


# ---------------------------------------------------------------- regressions
# Bugs the differential table found, pinned with PyTorch 1.13's values so they
# stay covered where no PyTorch is installed.

def test_sign_of_nan_is_zero_and_sign_of_bool_is_identity(td):
    x = td.tensor([float("nan"), -2.0, 0.0, 3.0])
    assert x.sign().tolist() == [0.0, -1.0, 0.0, 1.0]
    assert td.tensor([True, False]).sign().tolist() == [True, False]


def test_relu_keeps_negative_zero(td):
    y = td.tensor([-0.0, 0.0, -1.0]).relu().numpy()
    assert np.signbit(y).tolist() == [True, False, False]


def test_square_of_bool_is_int64(td):
    assert td.tensor([True, False]).square().dtype == td.int64


def test_integer_to_negative_python_int_power_raises(td):
    with pytest.raises(RuntimeError, match="Integers to negative integer powers"):
        (td.tensor([1, 2], dtype=td.uint8) ** -3).tolist()


def test_trunc_division_rounds_the_bfloat16_quotient_first(td):
    a = td.tensor([2.984375]).bfloat16()
    b = td.tensor([0.99609375]).bfloat16()
    assert td.div(a, b, rounding_mode="trunc").float().tolist() == [3.0]


def test_bfloat16_floor_division_rounds_each_step(td):
    a, b = td.tensor([179.0]).bfloat16(), td.tensor([1.59375]).bfloat16()
    assert (a // b).float().tolist() == [111.0]  # 112 when computed in float


def test_bfloat16_matmul_rounds_like_pytorch(td):
    a = td.tensor([[0.1, 0.7, -1.3], [2.5, 0.3, 0.9]]).bfloat16()
    b = td.tensor([[0.3, 1.1], [-0.7, 0.2], [1.9, 0.6]]).bfloat16()
    # accumulated in bfloat16 (gemm_notrans_), and for a column-major right
    # operand in float with one rounding (dot products)
    assert (a @ b).float().tolist() == [[-2.921875, -0.53125], [2.25, 3.34375]]
    assert (a @ b.t().contiguous().t()).float().tolist() == [[-2.921875, -0.53125],
                                                              [2.25, 3.359375]]


def test_index_select_refuses_negative_indices_naming_the_op(td):
    x = td.arange(6.0).view(3, 2)
    with pytest.raises(RuntimeError, match=r"index_select.*index out of range"):
        x.index_select(0, td.tensor([-1])).tolist()
    with pytest.raises(RuntimeError, match=r"\[index_select\] index 3 is out of bounds"):
        x.index_select(0, td.tensor([3])).tolist()


def test_index_put_requires_matching_dtypes(td):
    x = td.zeros(4)
    with pytest.raises(RuntimeError, match="Index put requires the source and destination "
                                           "dtypes match"):
        x[[0, 1]] = td.tensor([1, 2])
        x.tolist()
    x = td.zeros(4)
    x[[0, 1]] = 5  # Python numbers convert
    x[td.tensor([False, False, True, False])] = td.tensor(7)  # a 0-dim value too
    assert x.tolist() == [5.0, 5.0, 7.0, 0.0]


def test_hstack_vstack_and_one_argument_where(td):
    a, b = td.tensor([1, 2]), td.tensor([3, 4])
    assert td.hstack([a, b]).tolist() == [1, 2, 3, 4]
    assert td.vstack([a, b]).tolist() == [[1, 2], [3, 4]]
    assert td.hstack([a.view(2, 1), b.view(2, 1)]).tolist() == [[1, 3], [2, 4]]
    rows, cols = td.where(td.tensor([[True, False], [False, True]]))
    assert (rows.tolist(), cols.tolist()) == ([0, 1], [0, 1])


def test_unflatten_error_names_unflatten(td):
    with pytest.raises(RuntimeError, match="unflatten: Provided sizes"):
        td.zeros(2, 4).unflatten(1, (3, 3))
