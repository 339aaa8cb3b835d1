"""Ops against NumPy, through a real server: arithmetic, promotion, matmul, reductions, views."""

import numpy as np
import pytest

RTOL = 1e-5


def _t(td, a):
    return td.tensor(np.asarray(a))


def _close(x, expected, rtol=RTOL, atol=1e-6):
    got = x.numpy()
    expected = np.asarray(expected)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol)


@pytest.mark.parametrize("shape_a,shape_b", [
    ((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 4)), ((4, 1, 3), (2, 1)), ((), (2, 2)),
    ((5, 1), (5, 1)),
])
@pytest.mark.parametrize("op", ["+", "-", "*", "/"])
def test_binary_broadcasting(td, shape_a, shape_b, op):
    rng = np.random.default_rng(1)
    a = rng.standard_normal(shape_a).astype(np.float32)
    b = (rng.standard_normal(shape_b) + 3).astype(np.float32)
    x, y = _t(td, a), _t(td, b)
    expected = {"+": a + b, "-": a - b, "*": a * b, "/": a / b}[op]
    got = {"+": x + y, "-": x - y, "*": x * y, "/": x / y}[op]
    _close(got, expected)


def test_method_and_function_forms(td):
    a = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    b = np.array([0.5, -1.0], np.float32)
    x, y = _t(td, a), _t(td, b)
    _close(x.add(y), a + b)
    _close(td.add(x, y), a + b)
    _close(td.add(x, y, alpha=2), a + 2 * b)
    _close(x.sub(y, alpha=3), a - 3 * b)
    _close(td.sub(x, y), a - b)
    _close(x.mul(y), a * b)
    _close(td.mul(x, y), a * b)
    _close(x.div(y), a / b)
    _close(td.div(x, y), a / b)
    _close(x.pow(2), a ** 2)
    _close(td.pow(x, y), a ** b)


def test_scalar_operands_and_promotion(td):
    i = td.tensor([1, 2, 3])
    r = i * 2.5
    assert r.dtype is td.float32
    assert r.tolist() == [2.5, 5.0, 7.5]
    r2 = i + 1
    assert r2.dtype is td.int64 and r2.tolist() == [2, 3, 4]
    r3 = i / 2
    assert r3.dtype is td.float32 and r3.tolist() == [0.5, 1.0, 1.5]
    f = td.tensor([1.0, 2.0])
    assert (f * 3).dtype is td.float32
    d = td.tensor(np.array([1.0, 2.0]))
    assert (d * 2.5).dtype is td.float64
    assert (i + td.tensor([0.5, 0.5, 0.5])).dtype is td.float32
    assert (i * True).dtype is td.int64


def test_reflected_operators(td):
    a = np.array([1.0, 2.0, 4.0], np.float32)
    x = _t(td, a)
    _close(2 - x, 2 - a)
    _close(2 / x, 2 / a)
    _close(2 ** x, 2 ** a)
    _close(3 + x, 3 + a)
    _close(3 * x, 3 * a)
    _close(-x, -a)
    _close(x ** 0.5, a ** 0.5)
    _close(1 / (1 + td.exp(-x)), 1 / (1 + np.exp(-a)))


def test_numpy_scalar_operand_defers_to_tensor(td):
    x = _t(td, np.array([1.0, 2.0], np.float32))
    r = np.float64(2.0) * x
    assert isinstance(r, td.Tensor)
    assert r.tolist() == [2.0, 4.0]


@pytest.mark.parametrize("name,npfn", [
    ("exp", np.exp), ("log", np.log), ("sin", np.sin), ("cos", np.cos),
    ("relu", lambda v: np.maximum(v, 0)), ("sigmoid", lambda v: 1 / (1 + np.exp(-v))),
    ("neg", np.negative),
])
def test_unary(td, name, npfn):
    a = np.array([[0.5, -1.25, 2.0], [3.0, -0.1, 0.7]], np.float32)
    src = np.abs(a) if name == "log" else a
    x = _t(td, src)
    _close(getattr(x, name)(), npfn(src))
    _close(getattr(td, name)(x), npfn(src))


MATMUL_SHAPES = [
    ((3,), (3,)),            # 1D @ 1D -> scalar
    ((2, 3), (3,)),          # 2D @ 1D
    ((3,), (3, 4)),          # 1D @ 2D
    ((2, 3), (3, 4)),        # 2D @ 2D
    ((5, 2, 3), (3, 4)),     # batched broadcast 3D @ 2D
    ((2, 5, 3, 4), (5, 4, 2)),  # 4D @ 3D
    ((3,), (2, 3, 4)),       # 1D @ 3D
    ((2, 3, 4), (4,)),       # 3D @ 1D
    ((1, 2, 3), (4, 3, 2)),  # broadcast batch dims
]


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES, ids=[f"{a}@{b}" for a, b in MATMUL_SHAPES])
def test_matmul_every_rank_combination(td, sa, sb):
    rng = np.random.default_rng(2)
    a = rng.standard_normal(sa).astype(np.float32)
    b = rng.standard_normal(sb).astype(np.float32)
    expected = np.matmul(a, b)
    x, y = _t(td, a), _t(td, b)
    _close(x @ y, expected, rtol=1e-4, atol=1e-5)
    _close(td.matmul(x, y), expected, rtol=1e-4, atol=1e-5)
    _close(x.matmul(y), expected, rtol=1e-4, atol=1e-5)
    assert (x @ y).shape == expected.shape


def test_integer_matmul_matches_tutorial(td):
    t1 = td.tensor([[1, 2], [3, 4]])
    t2 = td.tensor([1, 2])
    assert td.matmul(t1, t2).tolist() == [5, 11]
    assert td.matmul(t2, t1).tolist() == [7, 10]
    assert td.matmul(td.tensor([3, 6, 2]), td.tensor([4, 1, 9])).item() == 36
    assert td.matmul(t1, t2).dtype is td.int64


def test_mm_mv_dot_bmm(td):
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((3, 4))
    v, w = rng.standard_normal(3), rng.standard_normal(3)
    bb1, bb2 = rng.standard_normal((5, 2, 3)), rng.standard_normal((5, 3, 4))
    _close(td.mm(_t(td, a), _t(td, b)), a @ b)
    _close(_t(td, a).mm(_t(td, b)), a @ b)
    _close(td.mv(_t(td, a), _t(td, v)), a @ v)
    _close(td.dot(_t(td, v), _t(td, w)), np.dot(v, w))
    _close(td.bmm(_t(td, bb1), _t(td, bb2)), bb1 @ bb2)
    assert td.dot(td.tensor([1, 2, 3]), td.tensor([4, 5, 6])).item() == 32


def test_matmul_with_transposed_view(td):
    m = np.arange(1.0, 17.0, dtype=np.float32).reshape(4, 4)
    x = _t(td, m)
    _close(x @ x.T, m @ m.T)
    _close(x.matmul(x.t()), m @ m.T)


@pytest.mark.parametrize("dim,keepdim", [(None, False), (0, False), (1, True), (-1, False),
                                         ((0, 2), False), ((0, 1), True)])
def test_sum_and_mean(td, dim, keepdim):
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 3
    x = _t(td, a)
    np_dim = tuple(dim) if isinstance(dim, tuple) else dim
    if dim is None:
        _close(x.sum(), a.sum(), rtol=1e-5)
        _close(x.mean(), a.mean(), rtol=1e-5)
        _close(td.sum(x), a.sum(), rtol=1e-5)
        _close(td.mean(x), a.mean(), rtol=1e-5)
        assert x.sum().shape == ()
    else:
        _close(x.sum(dim, keepdim=keepdim), a.sum(axis=np_dim, keepdims=keepdim))
        _close(x.mean(dim=dim, keepdim=keepdim), a.mean(axis=np_dim, keepdims=keepdim))
        _close(td.sum(x, dim, keepdim), a.sum(axis=np_dim, keepdims=keepdim))


def test_sum_of_ints_is_int64(td):
    s = td.tensor([[1, 2], [3, 4]], dtype=td.int32).sum()
    assert s.dtype is td.int64 and s.item() == 10


def test_views_and_shapes(td):
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    x = _t(td, a)
    _close(x.transpose(0, 2), a.transpose(2, 1, 0))
    _close(td.transpose(x, 1, 2), a.transpose(0, 2, 1))
    _close(x.view(6, 4), a.reshape(6, 4))
    _close(x.view(2, -1), a.reshape(2, -1))
    _close(x.view((4, 6)), a.reshape(4, 6))
    _close(x.reshape(24), a.reshape(24))
    _close(td.reshape(x, (3, 8)), a.reshape(3, 8))
    _close(x.permute(2, 0, 1), a.transpose(2, 0, 1))
    _close(x.unsqueeze(1), a[:, None])
    _close(x.unsqueeze(1).squeeze(1), a)
    _close(td.zeros(1, 3, 1).squeeze(), np.zeros(3))
    _close(x.flatten(), a.reshape(-1))
    _close(x.flatten(1), a.reshape(2, 12))
    _close(x.T, a.transpose(2, 1, 0))
    _close(x.transpose(0, 1).contiguous(), a.transpose(1, 0, 2))
    _close(x.clone(), a)
    e = _t(td, np.array([[1.0], [2.0]], np.float32)).expand(2, 3)
    _close(e, np.array([[1, 1, 1], [2, 2, 2]], np.float32))
    assert x.transpose(0, 2).shape == (4, 3, 2)
    t2 = td.tensor([[1, 2, 3], [1, 2, 3]])
    assert td.t(t2).tolist() == [[1, 1], [2, 2], [3, 3]]


def test_view_of_transposed_is_an_error_reshape_is_not(td):
    x = td.tensor(np.arange(6.0).reshape(2, 3)).t()
    assert x.reshape(6).tolist() == [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
    with pytest.raises(td.TensordError) as e:
        x.view(6).tolist()
    assert "[view]" in str(e.value)


def test_dtype_conversions(td):
    x = td.tensor([1.7, -2.2])
    assert x.to(td.float64).dtype is td.float64
    assert x.double().dtype is td.float64
    assert x.long().tolist() == [1, -2]
    assert x.int().dtype is td.int32
    assert x.bool().tolist() == [True, True]
    assert td.tensor([1, 0]).float().tolist() == [1.0, 0.0]
    assert x.float() is x  # unchanged dtype returns self, as in PyTorch
    assert x.to("cpu") is x
    assert x.to(td.float16).dtype is td.float16
    assert x.to(dtype=td.float64, copy=True).tolist() == pytest.approx([1.7, -2.2])


def test_detach_shares_values_and_drops_grad(td):
    x = td.tensor([1.0, 2.0], requires_grad=True)
    y = (x * 2).detach()
    assert y.requires_grad is False and y.grad_fn is None
    assert y.tolist() == [2.0, 4.0]


def test_comparisons(td):
    a = np.array([1.0, 2.0, 3.0], np.float32)
    b = np.array([3.0, 2.0, 1.0], np.float32)
    x, y = _t(td, a), _t(td, b)
    cases = {"==": (x == y, a == b), "!=": (x != y, a != b), "<": (x < y, a < b),
             "<=": (x <= y, a <= b), ">": (x > y, a > b), ">=": (x >= y, a >= b)}
    for op, (got, expected) in cases.items():
        assert got.dtype is td.bool, op
        assert got.tolist() == expected.tolist(), op
    assert (x == 2).tolist() == [False, True, False]
    assert (2 < x).tolist() == [False, False, True]
    assert td.gt(x, 1.5).tolist() == [False, True, True]
    assert x.le(y).tolist() == [True, True, False]
    assert (x == None) is False  # noqa: E711 - not an elementwise comparison
    assert ((x > 1).float().sum()).item() == 2.0


UNARY_MATH = {
    "abs": np.abs, "sign": np.sign, "sqrt": np.sqrt, "rsqrt": lambda v: 1 / np.sqrt(v),
    "expm1": np.expm1, "log1p": np.log1p, "log2": np.log2, "tan": np.tan, "tanh": np.tanh,
    "floor": np.floor, "ceil": np.ceil, "round": np.round, "trunc": np.trunc,
    "reciprocal": np.reciprocal,
}


@pytest.mark.parametrize("name", sorted(UNARY_MATH))
def test_unary_math(td, name):
    a = np.array([[0.25, -1.5, 2.5], [3.75, -0.5, 0.7]], np.float32)
    src = np.abs(a) if name in ("sqrt", "rsqrt", "log2", "log1p") else a
    x = _t(td, src)
    _close(getattr(x, name)(), UNARY_MATH[name](src))
    _close(getattr(td, name)(x), UNARY_MATH[name](src))


def test_abs_builtin_and_reciprocal_division(td):
    x = _t(td, np.array([-2.0, 4.0], np.float32))
    assert abs(x).tolist() == [2.0, 4.0]
    y = td.tensor([0.5, 2.0], requires_grad=True)
    r = 2 / y
    assert r.tolist() == [4.0, 1.0]
    assert r.grad_fn.name() == "MulBackward0"  # as PyTorch: y.reciprocal() * 2
    r.sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), [-8.0, -0.5])
    assert (1 / td.tensor([1, 2])).tolist() == [1.0, 0.5]
