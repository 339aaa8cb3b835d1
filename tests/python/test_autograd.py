"""Autograd through a real server: gradients against analytic ones, grad modes, errors."""

import re
import warnings

from tensord._errors import StatusCode
import numpy as np
import pytest


def _grad(x):
    g = x.grad
    assert g is not None, "expected a gradient"
    return g.numpy()


def test_sum_of_squares(td):
    a = np.array([1.0, -2.0, 3.0], np.float32)
    x = td.tensor(a, requires_grad=True)
    assert x.grad is None
    (x * x).sum().backward()
    np.testing.assert_allclose(_grad(x), 2 * a)


def test_tutorial_sin_log_gradient_matches_manual(td):
    for v in (1.0, 0.9, -0.3):
        x = td.tensor([v], requires_grad=True)
        y = td.sin(td.log(x ** 2 + 1))
        manual = 2 * x * td.cos(td.log(x ** 2 + 1)) / (x ** 2 + 1)
        y.backward()
        assert x.grad.item() == pytest.approx(manual.item(), rel=1e-5)
        expected = 2 * v * np.cos(np.log(v * v + 1)) / (v * v + 1)
        assert x.grad.item() == pytest.approx(expected, rel=1e-5)
        assert y.item() == pytest.approx(np.sin(np.log(v * v + 1)), rel=1e-5)


def _np_sigmoid(v):
    return 1 / (1 + np.exp(-v))


def test_sigmoid_network_forward_and_backward(td):
    """The two-layer network of the tutorials, checked against NumPy backprop."""
    rng = np.random.default_rng(7)
    f = rng.standard_normal((1, 3)).astype(np.float32)
    w1 = rng.standard_normal((3, 2)).astype(np.float32)
    w2 = rng.standard_normal((2, 1)).astype(np.float32)
    b1 = rng.standard_normal((1, 2)).astype(np.float32)
    b2 = rng.standard_normal((1, 1)).astype(np.float32)

    def activation(x):
        return 1 / (1 + td.exp(-x))

    features = td.tensor(f)
    W1 = td.tensor(w1, requires_grad=True)
    W2 = td.tensor(w2, requires_grad=True)
    B1 = td.tensor(b1, requires_grad=True)
    B2 = td.tensor(b2, requires_grad=True)
    hidden = activation(td.mm(features, W1) + B1)
    output = activation(td.mm(hidden, W2) + B2)
    hidden2 = td.sigmoid(features @ W1 + B1)

    h = _np_sigmoid(f @ w1 + b1)
    o = _np_sigmoid(h @ w2 + b2)
    np.testing.assert_allclose(hidden.detach().numpy(), h, rtol=1e-5)
    np.testing.assert_allclose(hidden2.detach().numpy(), h, rtol=1e-5)
    np.testing.assert_allclose(output.detach().numpy(), o, rtol=1e-5)
    assert output.shape == (1, 1)

    output.sum().backward()
    do = o * (1 - o)                     # d out / d z2
    g_w2 = h.T @ do
    g_b2 = do
    dh = do @ w2.T * h * (1 - h)         # d out / d z1
    g_w1 = f.T @ dh
    g_b1 = dh
    np.testing.assert_allclose(_grad(W2), g_w2, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(_grad(B2), g_b2, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(_grad(W1), g_w1, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(_grad(B1), g_b1, rtol=1e-4, atol=1e-6)


def test_broadcast_add_gradient_reduces(td):
    x = td.tensor(np.ones((3, 4), np.float32), requires_grad=True)
    b = td.tensor(np.ones(4, np.float32), requires_grad=True)
    ((x + b) * 2).mean().backward()
    np.testing.assert_allclose(_grad(b), np.full(4, 2 * 3 / 12, np.float32), rtol=1e-6)
    np.testing.assert_allclose(_grad(x), np.full((3, 4), 2 / 12, np.float32), rtol=1e-6)


def test_matmul_gradients(td):
    rng = np.random.default_rng(4)
    a = rng.standard_normal((5, 2, 3)).astype(np.float32)
    b = rng.standard_normal((3, 4)).astype(np.float32)
    x = td.tensor(a, requires_grad=True)
    y = td.tensor(b, requires_grad=True)
    (x @ y).sum().backward()
    ones = np.ones((5, 2, 4), np.float32)
    np.testing.assert_allclose(_grad(x), ones @ b.T, rtol=1e-5)
    np.testing.assert_allclose(_grad(y), np.einsum("bij,bik->jk", a, ones), rtol=1e-5)


def test_tutorial_rand_times_five(td):
    a = td.rand((3, 5), requires_grad=True)
    result = a * 5
    assert result.grad_fn.name() == "MulBackward0"
    result.sum().backward()
    np.testing.assert_array_equal(_grad(a), np.full((3, 5), 5.0, np.float32))


def test_explicit_gradient_for_non_scalar_root(td):
    x = td.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 3
    y.backward(td.tensor([1.0, 0.5, 2.0]))
    np.testing.assert_allclose(_grad(x), [3.0, 1.5, 6.0])


def test_implicit_gradient_on_non_scalar_is_an_error(td):
    x = td.tensor([1.0, 2.0], requires_grad=True)
    (x * 2).backward()
    with pytest.raises(td.TensordError) as e:
        td.synchronize()
    assert e.value.code == StatusCode.INVALID_ARGUMENT
    assert e.value.op == "backward"
    assert "test_autograd.py:" in str(e.value)


def test_gradients_accumulate(td):
    x = td.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(_grad(x), [3 + 2, 3 + 4])


def test_retain_graph_and_freed_graph_error(td):
    x = td.tensor([2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(_grad(x), [8.0])
    y.backward()  # graph freed by the previous call
    line = _lineno_of("y.backward()  # graph freed")
    with pytest.raises(td.TensordError) as e:
        td.synchronize()
    assert e.value.code == StatusCode.FAILED_PRECONDITION
    assert e.value.op == "backward"
    assert e.value.site == "test_autograd.py:%d" % line
    # The session keeps working and the gradient is unchanged.
    np.testing.assert_allclose(_grad(x), [8.0])


def _lineno_of(text):
    import inspect
    src, start = inspect.getsourcelines(test_retain_graph_and_freed_graph_error)
    for i, line in enumerate(src):
        if text in line:
            return start + i
    raise AssertionError(text)


def test_backward_on_tensor_without_grad_is_an_error(td):
    x = td.tensor([1.0, 2.0])
    x.sum().backward()
    with pytest.raises(td.TensordError) as e:
        td.synchronize()
    assert e.value.code == StatusCode.FAILED_PRECONDITION


def test_autograd_backward_multiple_roots(td):
    x = td.tensor([1.0, 2.0], requires_grad=True)
    td.autograd.backward([(x * 2).sum(), (x * x).sum()])
    np.testing.assert_allclose(_grad(x), [2 + 2, 2 + 4])


def test_no_grad_context(td):
    x = td.tensor([1.0, 2.0], requires_grad=True)
    assert (x ** 2).requires_grad is True
    with td.no_grad():
        y = x ** 2
        assert y.requires_grad is False
    assert y.grad_fn is None and y.is_leaf
    assert y.tolist() == [1.0, 4.0]
    assert (x ** 2).requires_grad is True


def test_no_grad_decorator(td):
    @td.no_grad()
    def f(t):
        return t * 5

    x = td.tensor([1.0], requires_grad=True)
    assert f(x).requires_grad is False
    assert (x * 5).requires_grad is True


def test_requires_grad_flag_and_setter(td):
    x = td.randn(2, 2)
    y = td.randn(2, 2)
    assert (x.requires_grad, y.requires_grad) == (False, False)
    assert (x + y).grad_fn is None
    x = x.requires_grad_()
    y.requires_grad = True
    z = x + y
    assert z.requires_grad is True
    assert z.grad_fn.name() == "AddBackward0"
    assert z.detach().grad_fn is None


def test_grad_fn_names_and_repr(td):
    x = td.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = td.tensor([4.0, 5.0, 6.0], requires_grad=True)
    z = x + y
    assert re.fullmatch(r"<AddBackward0 object at 0x[0-9a-f]+>", repr(z.grad_fn))
    assert type(z.grad_fn).__name__ == "AddBackward0"
    assert z.grad_fn is z.grad_fn
    s = z.sum()
    names = {
        "SumBackward0": s, "MulBackward0": x * y, "PowBackward0": x ** 2,
        "LogBackward0": td.log(x), "SinBackward0": td.sin(x), "ExpBackward0": td.exp(x),
        "SubBackward0": x - y, "DivBackward0": x / y, "NegBackward0": -x,
        "MeanBackward0": x.mean(), "SigmoidBackward0": td.sigmoid(x),
    }
    for name, t in names.items():
        assert t.grad_fn.name() == name
    assert x.grad_fn is None and x.is_leaf and not z.is_leaf
    s.backward()
    assert x.grad.tolist() == [1.0, 1.0, 1.0]


def test_grad_of_non_leaf_is_none_with_warning(td):
    x = td.tensor([1.0], requires_grad=True)
    y = x * 2
    y.sum().backward()
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        assert y.grad is None
    assert any("not a leaf" in str(m.message) for m in w)


def test_create_graph_gives_a_differentiable_grad(td):
    a = np.array([1.5, 2.0], np.float32)
    x = td.tensor(a, requires_grad=True)
    (x ** 3).sum().backward(create_graph=True)
    g = x.grad
    assert g.requires_grad is True and g.grad_fn is not None
    np.testing.assert_allclose(g.detach().numpy(), 3 * a ** 2, rtol=1e-6)
    g.sum().backward()  # d/dx sum(3x^2) = 6x accumulates into x.grad
    np.testing.assert_allclose(x.grad.detach().numpy(), 3 * a ** 2 + 6 * a, rtol=1e-6)


def test_integer_conversion_drops_grad(td):
    x = td.tensor([0.5, 1.5], requires_grad=True)
    y = x.long()
    assert y.requires_grad is False and y.grad_fn is None
    assert y.tolist() == [0, 1]
    z = x.double()
    assert z.requires_grad is True and z.grad_fn.name() == "ToCopyBackward0"


def test_subtracting_a_bool_is_rejected(td):
    x = td.tensor([0.5, 1.5])
    with pytest.raises(td.TensordError, match="Subtraction, the `-` operator, with a bool"):
        (x - True).tolist()
    with pytest.raises(td.TensordError, match="Subtraction, the `-` operator, with a bool"):
        (True - x).tolist()
    assert (x - 1).tolist() == [-0.5, 0.5]  # the session is still usable


def test_autograd_grad_returns_gradients_without_touching_dot_grad(td):
    x = td.tensor([1.0, 2.0, 3.0], requires_grad=True)
    u = td.tensor([4.0], requires_grad=True)
    y = (x * x).sum()
    (gx,) = td.autograd.grad(y, x, retain_graph=True)
    assert gx.tolist() == [2.0, 4.0, 6.0]
    assert x.grad is None
    with pytest.raises(td.TensordError, match="not have been used in the graph"):
        td.autograd.grad(y, [x, u], retain_graph=True)
    gx, gu = td.autograd.grad(y, [x, u], allow_unused=True)
    assert gx.tolist() == [2.0, 4.0, 6.0] and gu is None


def test_autograd_grad_create_graph_gives_second_derivatives(td):
    # y = x^3: dy/dx = 3x^2 = 12, d2y/dx2 = 6x = 12 at x = 2
    x = td.tensor([2.0], requires_grad=True)
    (g,) = td.autograd.grad((x ** 3).sum(), x, create_graph=True)
    assert g.tolist() == [12.0] and g.requires_grad
    (g2,) = td.autograd.grad(g.sum(), x)
    assert g2.tolist() == [12.0]


# ---------------------------------------------------------------- in-place on views (CopySlices)
# Expected values are PyTorch 1.13's for the same programs.

def _a(td):
    return td.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)


def test_assigning_a_column_of_a_non_leaf_rebases_its_history(td):
    a = _a(td)
    x = a * 2
    x[:, 1] = 0
    assert type(x.grad_fn).__name__ == "CopySlices"
    assert x.tolist() == [[2.0, 0.0, 6.0], [8.0, 0.0, 12.0]]
    x.sum().backward()
    assert a.grad.tolist() == [[2.0, 0.0, 2.0], [2.0, 0.0, 2.0]]


def test_inplace_on_a_row_view(td):
    a = _a(td)
    x = a * 2
    row = x[0]
    row.mul_(3)
    assert type(row.grad_fn).__name__ == "AsStridedBackward0"
    assert type(x.grad_fn).__name__ == "CopySlices"
    (x * x).sum().backward()
    assert a.grad.tolist() == [[72.0, 144.0, 216.0], [32.0, 40.0, 48.0]]


def test_inplace_on_a_flat_view(td):
    a = _a(td)
    y = (a * 2).view(-1)
    y.add_(1)
    (y * y).sum().backward()
    assert a.grad.tolist() == [[12.0, 20.0, 28.0], [36.0, 44.0, 52.0]]


def test_assigning_into_a_plain_tensor_makes_it_require_grad(td):
    w = td.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = td.zeros(2, 3)
    b[1] = w * w
    assert b.requires_grad and not b.is_leaf
    assert type(b.grad_fn).__name__ == "CopySlices"
    (b * b).sum().backward()
    assert w.grad.tolist() == [4.0, 32.0, 108.0]


def test_index_and_mask_assignment_into_views_reach_the_values(td):
    a = _a(td)
    v = td.tensor([7.0, 8.0], requires_grad=True)
    x = a * 2
    x[1, [0, 2]] = v * v
    assert type(x.grad_fn).__name__ == "CopySlices"
    (x * x).sum().backward()
    assert a.grad.tolist() == [[8.0, 16.0, 24.0], [0.0, 40.0, 0.0]]
    assert v.grad.tolist() == [1372.0, 2048.0]
    a.grad = None
    x = a * 2
    x[0][td.tensor([True, False, True])] = v.sum()
    (x * x).sum().backward()
    assert a.grad.tolist() == [[0.0, 16.0, 0.0], [32.0, 40.0, 48.0]]
    assert v.grad.tolist() == [1432.0, 2108.0]


def test_masked_fill_and_copy_into_views(td):
    a = _a(td)
    x = a * 2
    x.t()[2].masked_fill_(td.tensor([True, False]), 5.0)
    assert x.tolist() == [[2.0, 4.0, 5.0], [8.0, 10.0, 12.0]]
    x.pow(3).sum().backward()
    assert a.grad.tolist() == [[24.0, 96.0, 0.0], [384.0, 600.0, 864.0]]
    a.grad = None
    v = td.tensor([7.0, 8.0], requires_grad=True)
    x = a * 2
    x[:, 1:].copy_(v.view(2, 1))
    assert x.tolist() == [[2.0, 7.0, 7.0], [8.0, 8.0, 8.0]]
    (x * x).sum().backward()
    assert a.grad.tolist() == [[8.0, 0.0, 0.0], [32.0, 0.0, 0.0]]
    assert v.grad.tolist() == [28.0, 32.0]


def test_inplace_on_a_view_of_a_leaf_is_refused(td):
    a = _a(td)
    with pytest.raises(RuntimeError, match="a view of a leaf Variable that requires grad is being used in an "
                                           "in-place operation"):
        a[0].mul_(2)
        a.tolist()
    with pytest.raises(RuntimeError, match="a view of a leaf Variable"):
        a[:, 1] = 0
        a.tolist()
    assert a.tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    with td.no_grad():
        a[:, 1] = 0  # allowed without recording (optimizers, init)
    assert a.tolist() == [[1.0, 0.0, 3.0], [4.0, 0.0, 6.0]] and a.is_leaf


def test_inplace_on_a_view_still_checks_saved_versions(td):
    a = td.tensor([1.0, 2.0], requires_grad=True)
    x = a.exp()  # exp saves its output
    x[0] = 0.0
    with pytest.raises(RuntimeError, match="which is output 0 of ExpBackward0, is at version 1"):
        x.sum().backward()
        a.grad  # a sync point: errors of pipelined calls surface here


def test_inplace_on_views_matches_central_differences(td):
    rng = np.random.default_rng(3)
    a0 = rng.standard_normal((4, 3))
    w0 = rng.standard_normal(4)

    def f(a, w):
        x = a * a
        x.t()[1].mul_(w)        # a column, through a transposed view
        y = x[2]
        y.mul_(y.clone())       # a row, squared in place
        x[0, 1:] = w[:2] * 3.0  # a slice assigned from another input
        return x.sin().sum()

    a = td.tensor(a0, dtype=td.float64, requires_grad=True)
    w = td.tensor(w0, dtype=td.float64, requires_grad=True)
    f(a, w).backward()
    h = 1e-6
    for leaf, base, other, first in ((a, a0, w0, True), (w, w0, a0, False)):
        numeric = np.zeros_like(base)
        for i in np.ndindex(base.shape):
            vals = []
            for s in (h, -h):
                p = base.copy()
                p[i] += s
                args = (p, other) if first else (other, p)
                vals.append(f(*(td.tensor(v, dtype=td.float64) for v in args)).item())
            numeric[i] = (vals[0] - vals[1]) / (2 * h)
        np.testing.assert_allclose(leaf.grad.numpy(), numeric, rtol=1e-6, atol=1e-7)


def test_cumprod_gradient_with_zeros_matches_pytorch(td):
    x = td.tensor([[2.0, 0.0, 3.0, 0.5], [0.0, 1.5, 0.0, 2.0], [1.0, 2.0, 3.0, 0.0]],
                  dtype=td.float64, requires_grad=True)
    w = td.tensor([[1.0, -2.0, 0.5, 3.0], [2.0, 1.0, -1.0, 0.5], [-1.0, 2.0, 1.0, 1.5]], dtype=td.float64)
    (x.cumprod(1) * w).sum().backward()
    assert x.grad.tolist() == [[1.0, 8.0, 0.0, 0.0], [3.5, 0.0, 0.0, 0.0], [9.0, 5.0, 2.0, 9.0]]
    x.grad = None
    (x.cumprod(0) * w).sum().backward()
    assert x.grad.tolist() == [[1.0, 5.5, 0.5, 4.0], [2.0, 0.0, 6.0, 0.25], [0.0, 0.0, 0.0, 1.5]]
    # second derivatives through a zero (torch: 4, 6, 2)
    y = td.tensor([2.0, 0.0, 3.0], dtype=td.float64, requires_grad=True)
    (g,) = td.autograd.grad(y.cumprod(0).sum(), y, create_graph=True)
    assert g.tolist() == [1.0, 8.0, 0.0]
    g.sum().backward()
    assert y.grad.tolist() == [4.0, 6.0, 2.0]


# ---------------------------------------------------------------- einsum: diagonals, ellipsis, 3+ operands

def _central_grads(f, arrays, h=1e-6):
    grads = []
    for k, base in enumerate(arrays):
        g = np.zeros_like(base)
        for i in np.ndindex(base.shape):
            vals = []
            for s in (h, -h):
                args = [a.copy() for a in arrays]
                args[k][i] += s
                vals.append(f(*args))
            g[i] = (vals[0] - vals[1]) / (2 * h)
        grads.append(g)
    return grads


@pytest.mark.parametrize("eq,shapes", [
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("bii->bi", [(2, 3, 3)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (4, 2)]),
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (3, 4, 2)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("bi,bi,bk->bk", [(2, 3), (2, 3), (2, 4)]),
    ("iij,jk,k", [(2, 2, 3), (3, 4), (4,)]),
])
def test_einsum_forms_match_numpy_and_central_differences(td, eq, shapes):
    rng = np.random.default_rng(7)
    arrays = [rng.standard_normal(s) for s in shapes]
    weight = None

    def f_np(*xs):
        return float((np.einsum(eq, *xs) * weight).sum())

    expected = np.einsum(eq, *arrays)
    weight = rng.standard_normal(np.shape(expected))
    leaves = [td.tensor(a, dtype=td.float64, requires_grad=True) for a in arrays]
    out = td.einsum(eq, *leaves)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-12, atol=1e-12)
    (out * td.tensor(weight, dtype=td.float64)).sum().backward()
    for leaf, numeric in zip(leaves, _central_grads(f_np, arrays)):
        np.testing.assert_allclose(leaf.grad.numpy(), numeric, rtol=1e-6, atol=1e-8)


def test_einsum_errors_are_pytorchs(td):
    with pytest.raises(RuntimeError, match="subscript i is repeated for operand 0 but the sizes don't match, 3 != 2"):
        td.einsum("ii", td.ones(2, 3)).tolist()
    with pytest.raises(RuntimeError, match="output subscript k does not appear in the equation"):
        td.einsum("ij->k", td.ones(2, 2)).tolist()


# ---------------------------------------------------------------- retain_grad; register_hook

def test_retain_grad_keeps_a_non_leafs_gradient(td):
    x = td.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * 2
    y.retain_grad()
    assert y.retains_grad and not x.retains_grad
    z = (y * y).sum()
    z.backward(retain_graph=True)
    assert y.grad.tolist() == [4.0, 8.0, 12.0]
    assert x.grad.tolist() == [8.0, 16.0, 24.0]
    z.backward()
    assert y.grad.tolist() == [8.0, 16.0, 24.0]
    with pytest.raises(RuntimeError, match="can't retain_grad on Tensor that has requires_grad=False"):
        td.ones(2).retain_grad()


def test_grad_of_a_non_leaf_without_retain_grad_warns(td):
    y = td.tensor([1.0], requires_grad=True) * 2
    y.sum().backward()
    with pytest.warns(UserWarning, match="not a leaf Tensor"):
        assert y.grad is None


def test_register_hook_says_why_and_what_to_use_instead(td):
    x = td.tensor([1.0], requires_grad=True)
    with pytest.raises(NotImplementedError, match="retain_grad"):
        x.register_hook(lambda g: g * 2)


def test_a_view_made_under_no_grad_shares_its_bases_requires_grad(td):
    x = td.tensor([1.0, 2.0], requires_grad=True)
    with td.no_grad():
        v = x[0:1]
        w = x * 2
        p = td.zeros(2)[0:1]
    assert v.requires_grad and v.is_leaf and v.grad_fn is None  # as PyTorch
    assert not w.requires_grad and not p.requires_grad
    assert (v * 2).requires_grad
    with pytest.raises(RuntimeError, match="A view was created in no_grad mode and is being modified inplace"):
        v.mul_(2)
        v.tolist()


def test_grad_fn_next_functions_walk_the_graph_like_pytorch(td):
    # PyTorch 1.13: loss = ((x * w).sum() + b) with leaves x (no grad), w, b:
    # loss.grad_fn -> AddBackward0, next: ((SumBackward0, 0), (AccumulateGrad, 0));
    # SumBackward0 -> ((MulBackward0, 0),); MulBackward0 -> ((None, 0), (AccumulateGrad, 0)).
    x = td.ones(3)
    w = td.ones(3, requires_grad=True)
    b = td.zeros((), requires_grad=True)
    loss = (x * w).sum() + b
    nxt = loss.grad_fn.next_functions
    assert [(type(n).__name__, i) for n, i in nxt] == [("SumBackward0", 0), ("AccumulateGrad", 0)]
    (mul, _), = nxt[0][0].next_functions
    assert mul.name() == "MulBackward0"
    assert [(None if n is None else n.name(), i) for n, i in mul.next_functions] == \
        [(None, 0), ("AccumulateGrad", 0)]
    assert mul.next_functions[1][0].next_functions == ()


def test_next_functions_of_a_vanished_tensor_raises(td):
    w = td.ones(2, requires_grad=True)
    fn = (w * 2).grad_fn
    import gc
    gc.collect()
    with pytest.raises(RuntimeError, match="no longer exists"):
        fn.next_functions


def test_broadcast_and_promotion_add_no_nodes_of_their_own(td):
    # PyTorch 1.13: the AddBackward0 of (ones(4, 2) + b) leads straight to b's
    # AccumulateGrad (no ExpandBackward0), and a float32 leaf mixed with float64
    # gets a float32 gradient (no ToCopyBackward0 in between).
    b = td.zeros(2, requires_grad=True)
    y = td.ones(4, 2) + b
    assert [(None if n is None else n.name(), i) for n, i in y.grad_fn.next_functions] == \
        [(None, 0), ("AccumulateGrad", 0)]
    y.sum().backward()
    assert b.grad.tolist() == [4.0, 4.0]
    w = td.ones(3, requires_grad=True)                    # float32
    z = (w * td.tensor([1.0, 2.0, 3.0], dtype=td.float64)).sum()
    assert z.dtype == td.float64
    assert [n.name() for n, _ in z.grad_fn.next_functions[0][0].next_functions if n] == ["AccumulateGrad"]
    z.backward()
    assert w.grad.dtype == td.float32 and w.grad.tolist() == [1.0, 2.0, 3.0]


def test_second_derivative_through_a_broadcast(td):
    # d2/dx2 of sum(x * x.sum(0)) for 2x2 x: PyTorch 1.13 gives 4 everywhere.
    x = td.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=td.float64, requires_grad=True)
    g, = td.autograd.grad((x * x.sum(0)).sum(), x, create_graph=True)
    assert g.tolist() == [[8.0, 12.0], [8.0, 12.0]]
    h, = td.autograd.grad(g.sum(), x)
    assert h.tolist() == [[4.0, 4.0], [4.0, 4.0]]


def test_random_fill_of_a_non_leaf_view_gives_its_old_values_zero_gradient(td):
    # PyTorch 1.13: x = a * 2; x[0].normal_(); x.sum().backward() -> a.grad row 0 is 0,
    # the rest 2. A leaf (or a view of one) is refused; under no_grad anything goes.
    a = td.ones(2, 3, requires_grad=True)
    x = a * 2
    x[0].normal_()
    assert x.grad_fn.name() == "CopySlices"
    x.sum().backward()
    assert a.grad.tolist() == [[0.0, 0.0, 0.0], [2.0, 2.0, 2.0]]
    with pytest.raises(Exception, match="a leaf Variable that requires grad"):
        a.uniform_().tolist()
    with pytest.raises(Exception, match="a view of a leaf Variable"):
        a[0].bernoulli_(0.5).tolist()
    with td.no_grad():
        a.uniform_()


# ---------------------------------------------------------------- issue 11
# What autograd saves, layouts and double backward, pinned with PyTorch 1.13's
# answers (tests/python/oracle/composed.py compares thousands more programs).

def test_writing_into_a_clone_from_its_own_product_with_a_number(td):
    # MulBackward0 of `y[-1] * 2` saves only the 2 (x's gradient reads it),
    # so the later write into y is no error.
    x = td.ones(3, requires_grad=True)
    y = x.clone()
    y[0] = y[-1] * 2
    (y + x).sum().backward()
    assert x.grad.tolist() == [1.0, 2.0, 4.0]


def test_an_inplace_result_that_backward_reads_is_self(td):
    x = td.ones(2, requires_grad=True)
    y = x * 1
    y.exp_()        # ExpBackward0 saves its result: y itself
    y.add_(1)
    with pytest.raises(RuntimeError, match="output 0 of ExpBackward0"):
        y.sum().backward()
        td.synchronize()


def test_clone_and_like_factories_preserve_a_dense_layout(td):
    x = td.arange(12.0).view(3, 4)
    t = x.t()
    for y in (t.clone(), td.zeros_like(t), td.ones_like(t), td.full_like(t, 2.0),
              t.double(), t * 2, t.exp(), td.where(t > 3, t, -t)):
        assert y.stride() == (1, 4) and not y.is_contiguous()
    assert t.clone().tolist() == t.tolist() and td.ones_like(t).tolist() == [[1.0] * 3] * 4
    c = t.clone(memory_format=td.contiguous_format)
    assert c.stride() == (3, 1) and c.is_contiguous() and t.contiguous().is_contiguous()
    assert x[::2].clone().stride() == (4, 1)          # not dense: dense in the same order
    assert x.t()[::2].clone().stride() == (1, 2)
    assert t.sum(0).is_contiguous() and t.softmax(-1).stride() == (3, 1)
    with pytest.raises(RuntimeError):
        t.clone().view(-1).tolist()                   # as in torch: a transposed copy is no view
    assert t.clone().reshape(-1).tolist() == t.reshape(-1).tolist()


def test_relu_gradient_supports_double_backward(td):
    x = td.tensor([-1.0, 2.0, 3.0], requires_grad=True)
    g, = td.autograd.grad(x.relu().sum(), x, create_graph=True)
    assert g.requires_grad and g.grad_fn.name() == "ThresholdBackwardBackward0"
    g.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]
