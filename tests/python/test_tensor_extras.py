"""Composite tensor functions (split/chunk/repeat/linspace/eye/isclose/...), random fills
against PyTorch's numbers, .grad assignment, rsub, storage queries, and the client's
shape inference against the server's Describe."""

import warnings

import numpy as np
import pytest

from tensord import _shapes

A = np.arange(24, dtype=np.float32).reshape(4, 6)


def _close(t, expected, rtol=1e-6):
    got = (t.detach() if t.requires_grad else t).numpy()
    expected = np.asarray(expected)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    np.testing.assert_allclose(got, expected, rtol=rtol)


# ------------------------------------------------------------------ task-1 engine fixes

def test_number_minus_tensor_is_rsub(td):
    x = td.tensor([1.0, -2.0, 3.0], requires_grad=True)
    y = 2 - x
    assert y.grad_fn.name() == "RsubBackward1"
    assert y.tolist() == [1.0, 4.0, -1.0]
    y.sum().backward()
    assert x.grad.tolist() == [-1.0, -1.0, -1.0]
    assert td.rsub(td.tensor([1.0, 2.0]), 10, alpha=2).tolist() == [8.0, 6.0]
    assert (5 - td.tensor([1, 2])).tolist() == [4, 3]


def test_assigning_grad(td):
    x = td.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    assert x.grad.tolist() == [2.0, 4.0]
    x.grad = None
    assert x.grad is None
    g = td.tensor([0.5, 0.25])
    x.grad = g
    assert x.grad.tolist() == [0.5, 0.25]
    (x * 3).sum().backward()  # accumulates into the assigned gradient
    assert x.grad.tolist() == [3.5, 3.25]
    del x.grad
    assert x.grad is None
    with pytest.raises(TypeError):
        x.grad = [1.0, 2.0]
    x.grad = td.zeros(3)
    with pytest.raises(td.TensordError):
        td.synchronize()
    assert x.grad is None  # the failed assignment left no gradient


# ------------------------------------------------------------------ composites

def test_split_chunk_unbind_unflatten(td):
    x = td.tensor(A)
    parts = x.split(4, dim=1)
    assert [p.shape[1] for p in parts] == [4, 2]
    _close(parts[1], A[:, 4:])
    parts = td.split(x, [1, 3], dim=0)
    _close(parts[0], A[:1])
    _close(parts[1], A[1:])
    with pytest.raises(RuntimeError, match="split_with_sizes"):
        x.split([1, 2])
    chunks = x.chunk(4, dim=1)  # 6 / 4 -> pieces of 2
    assert len(chunks) == 3 and all(c.shape == (4, 2) for c in chunks)
    assert len(td.chunk(x, 3)) == 2  # 4 rows in 3 chunks -> pieces of 2
    rows = x.unbind()
    assert len(rows) == 4
    _close(rows[2], A[2])
    cols = td.unbind(x, 1)
    _close(cols[5], A[:, 5])
    _close(x.unflatten(1, (2, 3)), A.reshape(4, 2, 3))
    _close(td.unflatten(x, 0, (2, -1)), A.reshape(2, 2, 6))


def test_repeat_tile_expand_as(td):
    a = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    x = td.tensor(a)
    _close(x.repeat(2, 3), np.tile(a, (2, 3)))
    _close(x.repeat(2, 1, 1), np.tile(a, (2, 1, 1)))
    _close(td.tile(x, (2,)), np.tile(a, (1, 2)))
    _close(td.tensor([1.0, 2.0]).expand_as(x), np.broadcast_to([1.0, 2.0], (2, 2)))
    _close(td.broadcast_to(td.tensor([[1.0], [2.0]]), (2, 3)), [[1.0] * 3, [2.0] * 3])
    a2, b2 = td.broadcast_tensors(td.tensor([1.0, 2.0]), td.tensor([[1.0], [2.0], [3.0]]))
    assert a2.shape == b2.shape == (3, 2)
    assert td.broadcast_shapes((2, 1), (3,), 1) == (2, 3)


def test_linspace_eye_and_like_factories(td):
    for start, end, steps in [(0, 1, 5), (-1.5, 2.0, 7), (3, -3, 4), (1, 10, 10)]:
        _close(td.linspace(start, end, steps), np.linspace(start, end, steps, dtype=np.float32),
               rtol=1e-6)
    # PyTorch 1.13: torch.linspace(-10, 10, steps=5)
    assert td.linspace(-10, 10, steps=5).tolist() == [-10.0, -5.0, 0.0, 5.0, 10.0]
    assert td.linspace(0, 10, 5, dtype=td.int64).tolist() == [0, 2, 5, 7, 10]
    assert td.linspace(0, 1, 0).shape == (0,)
    e = td.eye(3)
    assert e.dtype == td.float32 and e.shape == (3, 3)
    _close(e, np.eye(3))
    _close(td.eye(2, 4, dtype=td.int64), np.eye(2, 4, dtype=np.int64))
    x = td.tensor([[1, 2], [3, 4]])
    z = td.zeros_like(x, dtype=td.float64)
    assert z.dtype == td.float64 and z.shape == (2, 2)
    assert td.full_like(x, 7).tolist() == [[7, 7], [7, 7]]
    assert td.ones_like(x, dtype=td.bool).dtype == td.bool
    n = x.new_zeros(3)
    assert n.dtype == td.int64 and n.tolist() == [0, 0, 0]
    assert x.new_ones((1, 2), dtype=td.float32).tolist() == [[1.0, 1.0]]
    assert x.new_full((2,), 5).tolist() == [5, 5]
    assert x.new_tensor([1.5]).dtype == td.int64
    assert x.new_empty(2, 3).shape == (2, 3)


def test_equal_allclose_isclose(td):
    a = td.tensor([1.0, 2.0, float("nan"), float("inf")])
    b = td.tensor([1.0, 2.000001, float("nan"), float("inf")])
    assert td.isclose(a, b).tolist() == [True, True, False, True]
    assert td.isclose(a, b, equal_nan=True).tolist() == [True, True, True, True]
    assert td.isclose(a, b, rtol=0, atol=0).tolist() == [True, False, False, True]
    assert not td.allclose(a, b) and td.allclose(a, b, equal_nan=True)
    assert td.equal(td.tensor([1, 2]), td.tensor([1, 2]))
    assert not td.equal(td.tensor([1, 2]), td.tensor([1, 3]))
    assert not td.equal(td.tensor([1, 2]), td.tensor([[1, 2]]))
    assert td.isclose(td.tensor([1.0, 5.0]), 1.0).tolist() == [True, False]
    x = td.tensor([1.0, float("-inf"), float("nan")])
    assert x.isnan().tolist() == [False, False, True]
    assert x.isinf().tolist() == [False, True, False]
    assert td.isfinite(x).tolist() == [True, False, False]
    assert td.isfinite(td.tensor([1, 2])).tolist() == [True, True]


def test_logical_and_bitwise_ops(td):
    p = td.tensor([True, True, False, False])
    q = td.tensor([True, False, True, False])
    assert (p & q).tolist() == [True, False, False, False]
    assert (p | q).tolist() == [True, True, True, False]
    assert (p ^ q).tolist() == [False, True, True, False]
    assert (~p).tolist() == [False, False, True, True]
    x = td.tensor([0.0, 1.5, -2.0])
    assert ((x > -1) & (x < 1)).tolist() == [True, False, False]
    assert td.logical_not(x).tolist() == [True, False, False]
    assert td.logical_and(x, td.tensor([1, 1, 0])).tolist() == [False, True, False]
    assert td.logical_or(x, 0).tolist() == [False, True, True]
    assert td.logical_xor(x, x).tolist() == [False, False, False]
    assert (~td.tensor([0, 5, -3])).tolist() == [-1, -6, 2]
    assert (~td.tensor([0, 200], dtype=td.uint8)).tolist() == [255, 55]
    assert (td.tensor([1, 2]) & td.tensor([3, 4])).tolist() == [1, 0]
    assert (td.tensor([1, 2]) | 4).tolist() == [5, 6]
    assert (6 ^ td.tensor([3, 5])).tolist() == [5, 3]
    assert td.bitwise_not(td.tensor([True, False])).tolist() == [False, True]
    with pytest.raises(td.TensordError, match="bitwise_and"):
        (td.tensor([1.5]) & td.tensor([1.0])).tolist()
    n = td.tensor([6, 3])
    n &= 2
    n ^= td.tensor([1, 1])
    assert n.tolist() == [3, 3]
    b = td.tensor([True, False])
    b.logical_not_()
    assert b.tolist() == [False, True]
    m = td.tensor([True, False])
    m |= td.tensor([False, True])
    assert m.tolist() == [True, True]


def test_division_modes_remainder_fmod_nan_to_num(td):
    a = np.array([7.0, -7.0, 7.5, -7.5], np.float32)
    b = np.array([2.0, 2.0, -2.0, -2.0], np.float32)
    x, y = td.tensor(a), td.tensor(b)
    _close(x.div(y, rounding_mode="trunc"), np.trunc(a / b))
    _close(td.div(x, y, rounding_mode="floor"), np.floor(a / b))
    _close(x // y, np.floor_divide(a, b))
    _close(td.floor_divide(x, 2), np.floor_divide(a, 2))
    _close(x % y, np.mod(a, b))
    _close(td.remainder(x, 3), np.mod(a, 3))
    _close(td.fmod(x, y), np.fmod(a, b))
    _close(10 // td.tensor([3.0, -3.0]), [3.0, -4.0])
    _close(10 % td.tensor([3.0, -3.0]), [1.0, -2.0])
    i = td.tensor([7, -7])
    assert (i // 2).tolist() == [3, -4] and (i // 2).dtype == td.int64
    assert (i % 3).tolist() == [1, 2] and i.fmod(3).tolist() == [1, -1]
    assert td.div(i, 2, rounding_mode="trunc").tolist() == [3, -3]
    j = td.tensor([7.0, 9.0])
    j //= 2
    j %= 3
    j.div_(2, rounding_mode="floor")
    assert j.tolist() == [0.0, 0.0]
    with pytest.raises(RuntimeError, match="rounding_mode"):
        x.div(y, rounding_mode="round")
    with pytest.raises(td.TensordError, match="ZeroDivisionError"):
        (i // 0).tolist()
    z = td.tensor([float("nan"), float("inf"), -float("inf"), 1.0])
    _close(z.nan_to_num(), np.nan_to_num(np.array([np.nan, np.inf, -np.inf, 1.0],
                                                  np.float32)))
    _close(td.nan_to_num(z, nan=2.0, posinf=9.0, neginf=-9.0), [2.0, 9.0, -9.0, 1.0])
    z.nan_to_num_(0.5, 1.0, -1.0)
    assert z.tolist() == [0.5, 1.0, -1.0, 1.0]


def test_einsum_and_baddbmm(td):
    a = RNG_E.standard_normal((3, 4)).astype(np.float32)
    b = RNG_E.standard_normal((4, 5)).astype(np.float32)
    _close(td.einsum("ij,jk->ik", td.tensor(a), td.tensor(b)), a @ b, rtol=1e-5)
    _close(td.einsum("ij->j", [td.tensor(a)]), a.sum(0), rtol=1e-5)
    _close(td.einsum("ij,ij->i", td.tensor(a), td.tensor(a)), (a * a).sum(1), rtol=1e-5)
    _close(td.einsum("ij->ji", td.tensor(a)), a.T)
    p = RNG_E.standard_normal((2, 3, 4)).astype(np.float32)
    q = RNG_E.standard_normal((2, 4, 2)).astype(np.float32)
    c = RNG_E.standard_normal((2, 3, 2)).astype(np.float32)
    _close(td.baddbmm(td.tensor(c), td.tensor(p), td.tensor(q), beta=0.5, alpha=2.0),
           0.5 * c + 2.0 * (p @ q), rtol=1e-5)


RNG_E = np.random.default_rng(4)


def test_misc_elementwise(td):
    a = np.array([1.0, -2.0, 3.0], np.float32)
    x = td.tensor(a)
    _close(x.square(), a * a)
    _close(td.outer(x, td.tensor([1.0, 2.0])), np.outer(a, [1.0, 2.0]))
    _close(x.clamp_min(0), np.maximum(a, 0))
    _close(x.clamp_max(0), np.minimum(a, 0))
    m = np.arange(6, dtype=np.float32).reshape(2, 3)
    _close(td.addmm(td.tensor([1.0, 1.0]), td.tensor(m), td.tensor(m.T), beta=2, alpha=0.5),
           2 * np.ones(2) + 0.5 * m @ m.T)
    assert x.type_as(td.tensor([1])).dtype == td.int64


# ------------------------------------------------------------------ random fills

# torch.manual_seed(0); then, in order: torch.empty(5).uniform_(-2, 3),
# torch.empty(20).normal_(1.0, 2.0), torch.empty(7).bernoulli_(0.3), torch.randperm(10),
# torch.bernoulli(torch.full((6,), 0.5)) -- printed by PyTorch 1.13 (python3-torch).
TORCH_UNIFORM = [0.48128294944763184, 1.841109037399292, -1.5576128959655762,
                 -1.3398475646972656, -0.46288591623306274]
TORCH_NORMAL = [2.3840184211730957, 0.3679744601249695, -3.230438709259033, 0.2877432703971863,
                0.684575080871582, 3.8873202800750732, 1.5320987701416016, 1.3329106569290161,
                2.7487635612487793, 0.7130522727966309, 0.7767813205718994,
                -0.22716617584228516, 3.5180184841156006, 5.009961128234863,
                1.1074738502502441, 2.2361133098602295, 0.17439556121826172,
                -0.6821296215057373, -3.6320838928222656, 0.795380711555481]
TORCH_BERNOULLI_ = [0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0]
TORCH_RANDPERM = [0, 6, 4, 5, 9, 2, 8, 7, 1, 3]
TORCH_BERNOULLI = [0.0, 1.0, 0.0, 0.0, 0.0, 0.0]


def test_random_fills_match_pytorch(td):
    td.manual_seed(0)
    u = td.empty(5).uniform_(-2, 3)
    n = td.empty(20).normal_(1.0, 2.0)
    b = td.empty(7).bernoulli_(0.3)
    p = td.randperm(10)
    bb = td.bernoulli(td.full((6,), 0.5))
    assert u.tolist() == TORCH_UNIFORM
    # float32 rounding of the vectorised Box-Muller may differ in the last bit
    np.testing.assert_allclose(n.tolist(), TORCH_NORMAL, rtol=1e-6)
    assert b.tolist() == TORCH_BERNOULLI_
    assert p.tolist() == TORCH_RANDPERM and p.dtype == td.int64
    assert bb.tolist() == TORCH_BERNOULLI


def test_random_fill_statistics_and_errors(td):
    td.manual_seed(5)
    u = td.empty(20000).uniform_(2.0, 4.0).numpy()
    assert u.min() >= 2.0 and u.max() < 4.0 and abs(u.mean() - 3.0) < 0.02
    n = td.empty(20000).normal_(mean=-1.0, std=0.5).numpy()
    assert abs(n.mean() + 1.0) < 0.02 and abs(n.std() - 0.5) < 0.02
    b = td.empty(20000).bernoulli_(0.25).numpy()
    assert set(np.unique(b)) <= {0.0, 1.0} and abs(b.mean() - 0.25) < 0.02
    probs = td.tensor([0.0, 1.0, 0.0, 1.0], dtype=td.float64)
    s = probs.bernoulli()
    assert s.dtype == td.float64 and s.tolist() == [0.0, 1.0, 0.0, 1.0]
    assert td.empty(3).bernoulli_(td.tensor([1.0, 0.0, 1.0])).tolist() == [1.0, 0.0, 1.0]
    assert sorted(td.randperm(50).tolist()) == list(range(50))
    assert td.randperm(4, dtype=td.int32).dtype == td.int32
    assert td.empty(3).uniform_(**{"from": 1.0, "to": 1.0}).tolist() == [1.0, 1.0, 1.0]
    g = td.normal(2.0, 3.0, size=(2, 3))
    assert g.shape == (2, 3)
    td.manual_seed(9)
    z = td.normal(td.zeros(4), td.ones(4))
    td.manual_seed(9)
    assert z.tolist() == td.randn(4).tolist()  # normal(mean, std) draws as randn does
    leaf = td.zeros(3, requires_grad=True)
    with pytest.raises(td.TensordError, match="leaf Variable that requires grad"):
        leaf.uniform_()
        td.synchronize()
    with td.no_grad():
        leaf.uniform_()
    assert leaf.requires_grad and leaf.is_leaf
    with pytest.raises(td.TensordError, match="from"):
        td.empty(2).uniform_(3.0, 1.0).tolist()


# ------------------------------------------------------------------ storage queries

def test_data_ptr_stride_contiguity(td):
    t = td.rand(2, 3, 4)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        p = t.data_ptr()
        view = t.view(3, 2, 4)
        assert view.data_ptr() == p
    reshaped = t.reshape(24)
    assert reshaped.data_ptr() == p
    assert t[1].data_ptr() != p
    assert t[1].data_ptr() == p + 12 * 4  # offset in bytes, like a real address
    assert t.clone().data_ptr() != p
    assert sum("data_ptr" in str(x.message) for x in w) <= 1
    # shared/seeds/004: strides of the original, reshaped and viewed tensor
    assert t.stride() == (12, 4, 1)
    assert reshaped.stride() == (1,)
    assert view.stride() == (8, 4, 1)
    tt = t.transpose(0, 2)
    assert not tt.is_contiguous() and tt.contiguous().is_contiguous()
    assert t[1].storage_offset() == 12 and t.stride(-1) == 1
    # resize_ keeps the storage when it shrinks or keeps the size (PyTorch semantics)
    flat = td.arange(6.0)
    assert flat.resize_(2, 3) is flat and flat.shape == (2, 3) and flat.is_contiguous()
    assert flat.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    assert flat.resize_(4).tolist() == [0.0, 1.0, 2.0, 3.0]
    assert flat.resize_(3, 3).shape == (3, 3)
    assert flat[0].tolist() == [0.0, 1.0, 2.0]
    assert td.zeros(2).resize_as_(td.ones(1, 2)).shape == (1, 2)


def test_t_copy_zero_fill_in_place(td):
    x = td.tensor(A[:2, :3].copy())
    x.t_()
    assert x.shape == (3, 2)
    _close(x, A[:2, :3].T)
    x.zero_()
    assert x.sum().item() == 0
    x.fill_(2.5)
    assert x.tolist() == [[2.5, 2.5]] * 3
    x.copy_(td.tensor([[1, 2], [3, 4], [5, 6]]))
    assert x.tolist() == [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]


# ------------------------------------------------------------------ shape inference

SHAPE_CASES = [
    ("add", [(2, 1, 3), (4, 1)], {}), ("mul", [(3,), ()], {}), ("where", [(2, 3), (3,), ()], {}),
    ("matmul", [(3,), (3,)], {}), ("matmul", [(2, 3), (3,)], {}), ("matmul", [(3,), (3, 4)], {}),
    ("matmul", [(5, 2, 3), (3, 4)], {}), ("matmul", [(3,), (2, 3, 4)], {}),
    ("matmul", [(2, 1, 2, 3), (4, 3, 5)], {}), ("matmul", [(2, 3, 4), (4,)], {}),
    ("mm", [(2, 3), (3, 4)], {}), ("bmm", [(2, 3, 4), (2, 4, 5)], {}),
    ("sum", [(2, 3, 4)], {"dim": [1]}), ("sum", [(2, 3, 4)], {"dim": [-1, 0], "keepdim": True}),
    ("mean", [(2, 3)], {}), ("amax", [(2, 3)], {"dim": [0]}),
    ("argmax", [(2, 3)], {"dim": 1, "keepdim": True}), ("argmax", [(2, 3)], {}),
    ("var", [(4, 5)], {"dim": [1]}), ("softmax", [(2, 3)], {"dim": 1}),
    ("view", [(2, 3, 4)], {"size": [-1, 4]}), ("reshape", [(2, 3, 4)], {"shape": [3, -1]}),
    ("transpose", [(2, 3, 4)], {"dim0": 0, "dim1": -1}), ("t", [(2, 3)], {}),
    ("permute", [(2, 3, 4)], {"dims": [2, 0, 1]}), ("unsqueeze", [(2, 3)], {"dim": -1}),
    ("squeeze", [(1, 2, 1)], {}), ("squeeze", [(1, 2, 1)], {"dim": [0]}),
    ("expand", [(3, 1)], {"size": [2, 3, 4]}), ("expand", [(3, 1)], {"size": [-1, 5]}),
    ("select", [(2, 3)], {"dim": 1, "index": -1}),
    ("slice", [(10, 2)], {"dim": 0, "start": 1, "end": 8, "step": 3}),
    ("narrow", [(5, 4)], {"dim": 1, "start": 1, "length": 2}),
    ("cat", [(2, 3), (4, 3)], {"dim": 0}), ("stack", [(2, 3), (2, 3)], {"dim": 1}),
    ("gather", [(3, 4), (3, 2)], {"dim": 1}), ("index_select", [(3, 4), (5,)], {"dim": 1}),
]


@pytest.mark.parametrize("name,shapes,attrs", SHAPE_CASES,
                         ids=["%s%s" % (c[0], c[1]) for c in SHAPE_CASES])
def test_inferred_shapes_match_the_server(td, name, shapes, attrs):
    from tensord._tensor import run1
    inputs = []
    for i, s in enumerate(shapes):
        if name in ("gather", "index_select") and i == 1:
            inputs.append(td.zeros(s, dtype=td.int64))
        elif name == "where" and i == 0:
            inputs.append(td.ones(s, dtype=td.bool))
        else:
            inputs.append(td.ones(s))
    out = run1(name, inputs, dict(attrs))
    inferred = out._shape
    assert inferred is not None, "no shape inferred"
    assert inferred == _shapes.infer(name, [tuple(s) for s in shapes], attrs)
    out._shape = None
    assert tuple(out.shape) == inferred  # Describe from the server


def test_training_step_metadata_needs_no_round_trip(td):
    x = td.randn(8, 4)
    w = td.randn(3, 4, requires_grad=True)
    s = td.default_session()
    td.synchronize()
    before = s.stats["round_trips"]
    y = (x @ w.t() + 1.0).relu().log_softmax(1)
    assert y.dim() == 2 and y.shape == (8, 3) and y.dtype == td.float32
    picked = y.gather(1, td.zeros(8, 1, dtype=td.int64)).squeeze(1)
    loss = -picked.mean()
    assert loss.shape == () and loss.dim() == 0 and picked.shape[0] == 8
    assert s.stats["round_trips"] == before


DTYPE_CASES = [
    ("clamp", "int64", {"max": 2.5}), ("clamp", "int64", {"max": 2}),
    ("clamp", "float16", {"min": 0}), ("neg", "int32", {}), ("abs", "float64", {}),
    ("exp", "int64", {}), ("exp", "float64", {}), ("sum", "int32", {}), ("sum", "bool", {}),
    ("mean", "float16", {}), ("softmax", "float64", {"dim": 0}), ("cumsum", "int32", {"dim": 0}),
    ("amax", "int16", {}), ("argmax", "float32", {}), ("eq", "int64", {}),
    ("any", "uint8", {}), ("floor", "float64", {}), ("sign", "int64", {}),
    ("masked_fill", "int64", {"value": 2.5}), ("transpose", "bool", {"dim0": 0, "dim1": 1}),
]


@pytest.mark.parametrize("name,dtype,attrs", DTYPE_CASES,
                         ids=["%s-%s-%s" % (c[0], c[1], sorted(c[2])) for c in DTYPE_CASES])
def test_inferred_dtypes_match_the_server(td, name, dtype, attrs):
    """Where the client fills in a result dtype, it is the server's."""
    from tensord._tensor import run1
    d = getattr(td, dtype)
    x = td.ones(2, 2, dtype=d)
    inputs = [x]
    if name == "eq":
        inputs.append(x)
    if name == "masked_fill":
        inputs.append(td.tensor([[True, False], [False, True]]))
    out = run1(name, inputs, dict(attrs))
    inferred = out._dtype
    out._dtype = None
    out._shape = None
    if inferred is not None:
        assert out.dtype == inferred
    # the binary arithmetic rule
    for a, b in [(x, x), (x, 2), (x, 2.5), (x, True)]:
        out = a + b if not (dtype == "bool" and b is True) else a
        inferred = out._dtype
        out._dtype = None
        if inferred is not None:
            assert out.dtype == inferred, (dtype, b)
