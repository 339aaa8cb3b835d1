"""Reductions, softmax family, cumulative ops, var/std/norm: values against NumPy,
gradients against analytic NumPy formulas, return types against PyTorch's."""

import numpy as np
import pytest

RNG = np.random.default_rng(7)
X = RNG.standard_normal((3, 4, 5)).astype(np.float32)


def _np(t):
    return (t.detach() if t.requires_grad else t).numpy()


def _close(t, expected, rtol=1e-5, atol=1e-6):
    got = _np(t)
    expected = np.asarray(expected)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)


def _logsumexp(a, axis, keepdims=False):
    m = np.max(a, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def _softmax(a, axis):
    e = np.exp(a - a.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


CASES = [
    ("prod", {}, lambda a: np.prod(a)),
    ("prod", {"dim": 1}, lambda a: np.prod(a, 1)),
    ("prod", {"dim": -1, "keepdim": True}, lambda a: np.prod(a, -1, keepdims=True)),
    ("amax", {}, lambda a: np.max(a)),
    ("amax", {"dim": (0, 2)}, lambda a: np.max(a, (0, 2))),
    ("amin", {"dim": 1, "keepdim": True}, lambda a: np.min(a, 1, keepdims=True)),
    ("max", {}, lambda a: np.max(a)),
    ("min", {}, lambda a: np.min(a)),
    ("argmax", {}, lambda a: np.argmax(a)),
    ("argmax", {"dim": 2}, lambda a: np.argmax(a, 2)),
    ("argmin", {"dim": 0, "keepdim": True}, lambda a: np.expand_dims(np.argmin(a, 0), 0)),
    ("softmax", {"dim": 1}, lambda a: _softmax(a, 1)),
    ("log_softmax", {"dim": -1}, lambda a: np.log(_softmax(a, -1))),
    ("cumsum", {"dim": 1}, lambda a: np.cumsum(a, 1)),
    ("cumprod", {"dim": 2}, lambda a: np.cumprod(a, 2)),
    ("var", {}, lambda a: np.var(a, ddof=1)),
    ("var", {"dim": 1}, lambda a: np.var(a, 1, ddof=1)),
    ("var", {"dim": 1, "unbiased": False}, lambda a: np.var(a, 1)),
    ("var", {"dim": (0, 2), "correction": 2, "keepdim": True},
     lambda a: np.var(a, (0, 2), ddof=2, keepdims=True)),
    ("std", {}, lambda a: np.std(a, ddof=1)),
    ("std", {"dim": 2, "correction": 0}, lambda a: np.std(a, 2)),
    ("logsumexp", {"dim": 1}, lambda a: _logsumexp(a, 1)),
    ("logsumexp", {"dim": (0, 2), "keepdim": True}, lambda a: _logsumexp(a, (0, 2), True)),
    ("norm", {}, lambda a: np.sqrt(np.sum(a * a))),
    ("norm", {"p": 1, "dim": 1}, lambda a: np.abs(a).sum(1)),
    ("norm", {"p": float("inf"), "dim": 2}, lambda a: np.abs(a).max(2)),
    ("norm", {"p": 3, "dim": (1, 2), "keepdim": True},
     lambda a: (np.abs(a) ** 3).sum((1, 2), keepdims=True) ** (1 / 3)),
]


@pytest.mark.parametrize("name,kwargs,ref", CASES,
                         ids=["%s%s" % (c[0], sorted(c[1].items())) for c in CASES])
def test_reduction_matches_numpy(td, name, kwargs, ref):
    x = td.tensor(X)
    method = getattr(x, name)(**kwargs)
    function = getattr(td, name)(x, **kwargs)
    _close(method, ref(X), rtol=2e-5, atol=2e-6)
    _close(function, ref(X), rtol=2e-5, atol=2e-6)
    assert method.shape == np.shape(ref(X))


def test_result_dtypes(td):
    i = td.tensor([[1, 2, 3], [4, 5, 6]])
    assert i.prod().dtype == td.int64 and i.prod().item() == 720
    assert i.prod(1).tolist() == [6, 120]
    assert i.cumsum(0).tolist() == [[1, 2, 3], [5, 7, 9]]
    assert i.argmax().dtype == td.int64 and i.argmax().item() == 5
    assert i.amax(0).dtype == td.int64
    b = td.tensor([[True, False], [True, True]])
    assert b.all().dtype == td.bool and b.all().item() is False
    assert b.all(1).tolist() == [False, True] and b.any(0).tolist() == [True, True]
    assert td.all(td.tensor([1.0, 2.0])).item() is True
    assert td.any(td.tensor([0.0, 0.0])).item() is False
    x = td.tensor([1.0, 2.0], dtype=td.float64)
    assert x.softmax(0).dtype == td.float64
    assert td.tensor([1.0, 2.0]).softmax(0, dtype=td.float64).dtype == td.float64


def test_max_min_with_dim_return_values_and_indices(td):
    a = np.array([[1.0, 5.0, 2.0], [3.0, 2.0, 7.0]], np.float32)
    x = td.tensor(a)
    r = td.max(x, 1)
    values, indices = r  # unpacks like a tuple
    assert isinstance(r, tuple) and len(r) == 2
    assert values is r.values and indices is r.indices and r[0] is r.values
    assert values.tolist() == [5.0, 7.0] and indices.tolist() == [1, 2]
    assert indices.dtype == td.int64
    r = x.min(dim=0, keepdim=True)
    assert r.values.tolist() == [[1.0, 2.0, 2.0]] and r.indices.tolist() == [[0, 1, 0]]
    assert type(r).__name__ == "min"
    # PyTorch's print of torch.max(t, 1)
    t = td.tensor([[1.0, 5.0], [3.0, 2.0]])
    assert repr(td.max(t, 1)) == ("torch.return_types.max(\n"
                                  "values=tensor([5., 3.]),\n"
                                  "indices=tensor([1, 0]))")
    # max(a, b) is maximum
    assert td.max(x, td.tensor(np.full((2, 3), 3.0, np.float32))).tolist() == \
        [[3.0, 5.0, 3.0], [3.0, 3.0, 7.0]]
    assert x.max().item() == 7.0 and td.min(x).item() == 1.0


def test_gradients_match_analytic(td):
    a = X[0]  # (4, 5)
    x = td.tensor(a, requires_grad=True)
    w = RNG.standard_normal(a.shape).astype(np.float32)
    wt = td.tensor(w)

    def grad_of(fn):
        x.grad = None
        (fn(x) * wt).sum().backward()
        return x.grad.numpy()

    s = _softmax(a, 1)
    # d softmax: s * (w - sum(w * s))
    np.testing.assert_allclose(grad_of(lambda t: t.softmax(1)),
                               s * (w - (w * s).sum(1, keepdims=True)), rtol=1e-4, atol=1e-6)
    # d log_softmax: w - s * sum(w)
    np.testing.assert_allclose(grad_of(lambda t: t.log_softmax(1)),
                               w - s * w.sum(1, keepdims=True), rtol=1e-4, atol=1e-5)
    # d cumsum along 1: reversed cumsum of w
    np.testing.assert_allclose(grad_of(lambda t: t.cumsum(1)),
                               np.flip(np.cumsum(np.flip(w, 1), 1), 1), rtol=1e-5, atol=1e-6)
    # d var (unbiased) along 1: 2 (x - mean) / (n - 1)
    n = a.shape[1]
    x.grad = None
    x.var(1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * (a - a.mean(1, keepdims=True)) / (n - 1),
                               rtol=1e-4, atol=1e-5)
    # d logsumexp = softmax
    x.grad = None
    x.logsumexp(1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), s, rtol=1e-5, atol=1e-6)
    # d norm = x / norm
    x.grad = None
    x.norm().backward()
    np.testing.assert_allclose(x.grad.numpy(), a / np.sqrt((a * a).sum()), rtol=1e-5,
                               atol=1e-6)
    # d prod = prod / x (no zeros)
    p = td.tensor([2.0, 3.0, 4.0], requires_grad=True)
    p.prod().backward()
    assert p.grad.tolist() == [12.0, 8.0, 6.0]
    # max over dim: the gradient reaches the maximum
    m = td.tensor([[1.0, 5.0, 2.0], [3.0, 2.0, 7.0]], requires_grad=True)
    m.max(1).values.sum().backward()
    assert m.grad.tolist() == [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]


def test_var_legacy_positional_unbiased(td):
    x = td.tensor([1.0, 2.0, 4.0])
    assert x.var(False).item() == pytest.approx(np.var([1.0, 2.0, 4.0]))
    assert td.var(x, 0, True).item() == pytest.approx(np.var([1.0, 2.0, 4.0], ddof=1))
    v, m = td.var_mean(x, unbiased=False)
    assert v.item() == pytest.approx(np.var([1.0, 2.0, 4.0])) and m.item() == \
        pytest.approx(7.0 / 3)
    s, m = td.std_mean(x)
    assert s.item() == pytest.approx(np.std([1.0, 2.0, 4.0], ddof=1), rel=1e-6)


def test_reduction_errors_are_reported(td):
    x = td.tensor([[1.0, 2.0]])
    with pytest.raises(td.TensordError) as e:
        x.softmax(3).tolist()
    assert "softmax" in str(e.value)
    with pytest.raises(NotImplementedError):
        x.norm("nuc")


def test_max_dim_returns_first_extremum_and_sends_the_gradient_there(td):
    # PyTorch 1.13: torch.tensor([[1., 3., 3.], [2., 2., 0.]]).max(1) -> values [3, 2], indices [1, 0];
    # the gradient goes to the returned index only (value_selecting_reduction_backward).
    x = td.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 0.0]], requires_grad=True)
    values, indices = x.max(1)
    assert values.tolist() == [3.0, 2.0] and indices.tolist() == [1, 0]
    assert values.grad_fn.name() == "MaxBackward0"
    assert not indices.requires_grad and indices.dtype == td.int64
    values.sum().backward()
    assert x.grad.tolist() == [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]
    lo = td.min(x, dim=0, keepdim=True)
    assert lo.values.tolist() == [[1.0, 2.0, 0.0]] and lo.indices.tolist() == [[0, 1, 1]]
    assert lo.values.grad_fn.name() == "MinBackward0"


def test_max_dim_of_a_scalar_and_of_empty_dims(td):
    v, i = td.tensor(5.0).max(0)
    assert v.item() == 5.0 and i.item() == 0 and i.shape == ()
    e = td.zeros(2, 0)
    v, i = e.max(0)
    assert v.shape == (0,) and i.shape == (0,)
    with pytest.raises(Exception, match="Expected reduction dim 1 to have non-zero size"):
        e.max(1)[0].tolist()


def test_var_and_std_are_one_node_with_pytorchs_edge_gradients(td):
    # PyTorch 1.13: grad_fn names VarBackward0/StdBackward0; with n <
    # correction the gradient of a single element is -0 (2 / (n - correction)
    # * 0). Over all elements with n == correction the gradient is inf
    # (PyTorch's formula; 1.13 itself fails there, returning a 0-dim
    # gradient for a 1-dim input).
    x = td.tensor([1.0, 2.0, 4.0], dtype=td.float64, requires_grad=True)
    assert x.var().grad_fn.name() == "VarBackward0"
    assert x.std(0).grad_fn.name() == "StdBackward0"
    y = td.tensor([1.0, 3.0], dtype=td.float64, requires_grad=True)
    td.var(y, correction=2).backward()
    assert y.grad.tolist() == [float("inf"), float("inf")]
    z = td.tensor([5.0], dtype=td.float64, requires_grad=True)
    td.var(z, 0, correction=2).backward()
    assert z.grad.tolist() == [0.0]
