"""Creating tensors (from data, NumPy, factories) and reading them back, via a real server."""

import warnings

import numpy as np
import pytest


def test_tensor_from_nested_int_list(td):
    x = td.tensor([[1, 2], [2, 3]])
    assert x.dtype is td.int64
    assert x.shape == (2, 2) and isinstance(x.shape, td.Size)
    assert x.tolist() == [[1, 2], [2, 3]]
    assert x.device == td.device("cpu") and str(x.device) == "cpu"
    assert x.requires_grad is False and x.is_leaf is True


def test_tensor_dtype_inference(td):
    assert td.tensor([[0.1, 1.2], [2.2, 3.1]]).dtype is td.float32
    assert td.tensor([1, 2.5]).dtype is td.float32
    assert td.tensor([True, False]).dtype is td.bool
    assert td.tensor(3).dtype is td.int64
    assert td.tensor(np.array([1.0, 2.0])).dtype is td.float64
    assert td.tensor(np.array([1, 2], dtype=np.int32)).dtype is td.int32


def test_scalar_tensor(td):
    x = td.tensor(3.5)
    assert x.shape == () and x.dim() == 0 and x.numel() == 1
    assert x.item() == 3.5 and isinstance(x.item(), float)
    assert float(x) == 3.5 and int(td.tensor(7)) == 7 and bool(td.tensor(True)) is True
    with pytest.raises(TypeError):
        len(x)


def test_values_roundtrip_float32(td):
    data = [[0.1, 1.2, -3.5], [2.2, 3.1, 1e-3]]
    x = td.tensor(data)
    np.testing.assert_array_equal(x.numpy(), np.array(data, dtype=np.float32))
    assert x.numpy().dtype == np.float32


@pytest.mark.parametrize("name", ["bool", "uint8", "int8", "int16", "int32", "int64",
                                  "float16", "bfloat16", "float32", "float64"])
def test_every_dtype_roundtrips(td, name):
    d = getattr(td, name)
    src = np.array([[0, 1, 2], [3, 4, 5]])
    if d.is_floating_point:
        src = src * 0.25 - 0.5
    x = td.tensor(src, dtype=d)
    assert x.dtype is d
    got = x.tolist()
    expected = src.astype(bool).tolist() if name == "bool" else src.tolist()
    assert got == expected
    if name != "bfloat16":
        assert x.numpy().dtype == d.numpy_dtype


def test_from_numpy_copies_and_warns_once(td):
    import tensord._functions as f
    f._from_numpy_warned = False
    a = np.arange(6.0).reshape(2, 3)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        b = td.from_numpy(a)
        td.from_numpy(a)
    assert len([x for x in w if "copies" in str(x.message)]) == 1
    assert b.dtype is td.float64
    a[0, 0] = 100.0
    assert b.tolist()[0][0] == 0.0  # a copy: no shared memory
    assert "copying" in td.from_numpy.__doc__.lower()


def test_requires_grad_only_for_floats(td):
    with pytest.raises(RuntimeError, match="floating point"):
        td.tensor([1, 2], requires_grad=True)
    x = td.tensor([1.0, 2.0], requires_grad=True)
    assert x.requires_grad and x.is_leaf and x.grad_fn is None


@pytest.mark.parametrize("fn,value", [("zeros", 0.0), ("ones", 1.0)])
def test_constant_factories(td, fn, value):
    f = getattr(td, fn)
    for x in (f(2, 3), f((2, 3)), f([2, 3]), f(size=(2, 3))):
        assert x.shape == (2, 3) and x.dtype is td.float32
        np.testing.assert_array_equal(x.numpy(), np.full((2, 3), value, np.float32))
    y = f(4, dtype=td.int64)
    assert y.dtype is td.int64 and y.tolist() == [int(value)] * 4


def test_full_infers_dtype_from_fill_value(td):
    assert td.full((2, 2), 7).dtype is td.int64
    assert td.full((2, 2), 7.5).dtype is td.float32
    assert td.full((2,), True).dtype is td.bool
    assert td.full((2, 2), 7.5).tolist() == [[7.5, 7.5], [7.5, 7.5]]
    assert td.full((3,), 2, dtype=td.float64).tolist() == [2.0, 2.0, 2.0]


def test_empty_has_shape_and_dtype(td):
    x = td.empty(3, 4, dtype=td.float64)
    assert x.shape == (3, 4) and x.dtype is td.float64
    assert x.numpy().shape == (3, 4)


def test_arange(td):
    assert td.arange(5).tolist() == [0, 1, 2, 3, 4]
    assert td.arange(5).dtype is td.int64
    assert td.arange(1, 7).tolist() == [1, 2, 3, 4, 5, 6]
    assert td.arange(1, 10, 3).tolist() == [1, 4, 7]
    x = td.arange(0, 1, 0.25)
    assert x.dtype is td.float32 and x.tolist() == [0.0, 0.25, 0.5, 0.75]
    assert td.arange(1, 7).view(2, 3).tolist() == [[1, 2, 3], [4, 5, 6]]


def test_rand_randn_randint_ranges_and_shapes(td):
    td.manual_seed(0)
    r = td.rand(1000).numpy()
    assert r.dtype == np.float32 and r.min() >= 0.0 and r.max() < 1.0
    assert 0.4 < r.mean() < 0.6
    n = td.randn(4000).numpy()
    assert abs(n.mean()) < 0.1 and 0.9 < n.std() < 1.1
    i = td.randint(0, 10, (3, 4))
    assert i.dtype is td.int64 and i.shape == (3, 4)
    v = i.numpy()
    assert v.min() >= 0 and v.max() < 10
    j = td.randint(5, size=(100,)).numpy()
    assert j.min() >= 0 and j.max() < 5
    k = td.randint(low=3, high=6, size=(50,)).numpy()
    assert k.min() >= 3 and k.max() < 6


def test_manual_seed_makes_random_numbers_repeatable(td):
    td.manual_seed(42)
    a = td.randn(3, 4).tolist()
    b = td.rand(5).tolist()
    td.manual_seed(42)
    assert td.randn(3, 4).tolist() == a
    assert td.rand(5).tolist() == b
    td.manual_seed(43)
    assert td.randn(3, 4).tolist() != a


def test_like_factories(td):
    x = td.tensor([[1, 2], [3, 4]])
    o = td.ones_like(x)
    assert o.dtype is td.int64 and o.tolist() == [[1, 1], [1, 1]]
    r = td.rand_like(x, dtype=td.float)
    assert r.dtype is td.float32 and r.shape == (2, 2)
    z = td.zeros_like(r)
    assert z.tolist() == [[0.0, 0.0], [0.0, 0.0]]
    assert td.full_like(x, 9).tolist() == [[9, 9], [9, 9]]
    assert td.randn_like(r).shape == (2, 2)


def test_factory_requires_grad(td):
    x = td.zeros(2, 2, requires_grad=True)
    assert x.requires_grad and x.is_leaf


def test_size_dim_numel_len(td):
    x = td.zeros(2, 3, 4)
    assert x.size() == td.Size([2, 3, 4])
    assert x.size(1) == 3 and x.size(-1) == 4
    assert x.dim() == 3 and x.ndim == 3 and x.numel() == 24 and len(x) == 2
    with pytest.raises(IndexError):
        x.size(3)


def test_large_tensor_uses_upload_and_streamed_fetch(td, session):
    a = np.arange(3 * 1024 * 1024, dtype=np.float32).reshape(1024, 3072)  # 12 MiB
    x = td.tensor(a)
    assert session.stats["uploads"] == 1
    y = x * 2
    got = y.numpy()
    assert session.stats["streamed_fetches"] == 1
    np.testing.assert_array_equal(got, a * 2)


def test_small_tensors_stay_inline(td, session):
    x = td.tensor(np.ones((256, 256), np.float32))
    x.numpy()
    assert session.stats["uploads"] == 0 and session.stats["streamed_fetches"] == 0


def test_tensor_from_tensor_copies(td):
    a = td.tensor([1.0, 2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        b = td.tensor(a, dtype=td.float64)
    assert b.dtype is td.float64 and b.tolist() == [1.0, 2.0]


def test_numpy_interop_dunder(td):
    x = td.tensor([[1.0, 2.0]])
    assert np.asarray(x).shape == (1, 2)
    assert np.array(x, dtype=np.float64).dtype == np.float64


def test_printing_a_large_tensor_fetches_only_its_edges(td, session):
    from tensord import _format
    a = np.arange(2048 * 1024, dtype=np.float32).reshape(2048, 1024) / 3
    x = td.tensor(a) * 1
    s = str(x)
    assert session.stats["streamed_fetches"] == 0  # 8 MiB tensor, but only 36 values fetched
    assert s == _format.tensor_repr(a, "float32", True)
    assert s.startswith("tensor([[0.0000e+00, 3.3333e-01, 6.6667e-01,  ...,")
