"""Indexing, assignment, in-place ops, cat/stack and selection ops, against NumPy."""

from tensord._errors import StatusCode
import numpy as np
import pytest


def _close(x, expected):
    got = x.numpy() if not x.requires_grad else x.detach().numpy()
    expected = np.asarray(expected)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    np.testing.assert_allclose(got, expected, rtol=1e-6)


A = np.arange(1.0, 17.0, dtype=np.float32).reshape(4, 4)

KEYS = [0, 1, -1, (slice(None), 0), (Ellipsis, -1), (slice(None), -1), slice(1, 3),
        (slice(None, None, 2), slice(1, None)), (None, 0), (1, None, slice(0, 2)), Ellipsis,
        slice(-3, -1), (2, 3), (slice(None), None), slice(2, 100), slice(3, 1),
        (Ellipsis, None), (0, Ellipsis, 1)]


@pytest.mark.parametrize("key", KEYS, ids=[repr(k) for k in KEYS])
def test_basic_indexing_matches_numpy(td, key):
    x = td.tensor(A)
    r = x[key]
    _close(r, A[key])
    assert r.shape == A[key].shape


def test_tutorial_indexing_printout(td):
    tensor = td.tensor([[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 16]],
                       dtype=td.float32)
    assert str(tensor[0]) == "tensor([1., 2., 3., 4.])"
    assert str(tensor[:, 0]) == "tensor([ 1.,  5.,  9., 13.])"
    assert str(tensor[..., -1]) == "tensor([ 4.,  8., 12., 16.])"
    tensor[:, 1] = 0
    assert str(tensor) == ("tensor([[ 1.,  0.,  3.,  4.],\n"
                           "        [ 5.,  0.,  7.,  8.],\n"
                           "        [ 9.,  0., 11., 12.],\n"
                           "        [13.,  0., 15., 16.]])")
    t1 = td.cat([tensor, tensor, tensor], dim=1)
    assert t1.shape == (4, 12)
    assert str(t1).splitlines()[0] == \
        "tensor([[ 1.,  0.,  3.,  4.,  1.,  0.,  3.,  4.,  1.,  0.,  3.,  4.],"
    agg = tensor.sum()
    assert agg.item() == 104.0
    assert str(tensor.add_(5)).splitlines()[0] == "tensor([[ 6.,  5.,  8.,  9.],"


def test_zero_dim_element(td):
    x = td.tensor([0.5, 0.25, 0.7936])
    assert str(x[2]) == "tensor(0.7936)"
    assert x[2].shape == () and x[-1].item() == pytest.approx(0.7936)


def test_indexing_errors(td):
    x = td.tensor(A)
    with pytest.raises(IndexError):
        x[0, 0, 0]
    with pytest.raises(ValueError):
        x[::-1]
    with pytest.raises(IndexError):
        x["a"]
    with pytest.raises(td.TensordError, match="tensors used as indices must be long"):
        x[td.tensor([0.5])].tolist()
    with pytest.raises(td.TensordError) as e:
        x[7].tolist()
    assert e.value.code == StatusCode.INVALID_ARGUMENT and "out of bounds" in str(e.value)


def test_setitem(td):
    a = A.copy()
    x = td.tensor(a)
    x[0] = td.tensor([9.0, 9.0, 9.0, 9.0])
    a[0] = 9.0
    x[1:3, 2] = td.tensor([7.0, 8.0])
    a[1:3, 2] = [7.0, 8.0]
    x[3] = [1.0, 2.0, 3.0, 4.0]
    a[3] = [1.0, 2.0, 3.0, 4.0]
    x[..., 0] = -1
    a[..., 0] = -1
    _close(x, a)


def test_iteration_yields_rows(td):
    x = td.tensor([[1, 2], [3, 4], [5, 6]])
    assert [r.tolist() for r in x] == [[1, 2], [3, 4], [5, 6]]
    assert [v.item() for v in x[0]] == [1, 2]


def test_indexing_gradients(td):
    x = td.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x[0] * 3 + x[1:].sum()).backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 1.0, 1.0])
    assert x[1:].grad_fn.name() == "SliceBackward0"
    assert x[0].grad_fn.name() == "SelectBackward0"


def test_inplace_arithmetic(td):
    a = np.array([[1.0, -2.0], [3.0, -4.0]], np.float32)
    x = td.tensor(a)
    assert x.add_(5) is x
    _close(x, a + 5)
    assert x.mul_(2) is x and x.sub_(1, alpha=2) is x and x.div_(4) is x
    _close(x, ((a + 5) * 2 - 2) / 4)
    x += 1
    x *= td.tensor([1.0, 2.0])
    x -= 0.5
    x /= 2
    x **= 2
    expected = (((((a + 5) * 2 - 2) / 4 + 1) * [1.0, 2.0] - 0.5) / 2) ** 2
    _close(x, expected)
    y = td.tensor(a)
    y.abs_().sqrt_()
    _close(y, np.sqrt(np.abs(a)))
    y.zero_()
    _close(y, np.zeros_like(a))
    y.fill_(2.5)
    _close(y, np.full_like(a, 2.5))
    z = td.tensor(a)
    z.clamp_(min=-1.0, max=2.0)
    _close(z, np.clip(a, -1.0, 2.0))
    z.copy_(td.tensor([7.0, 8.0]))
    _close(z, np.array([[7.0, 8.0], [7.0, 8.0]], np.float32))


def test_inplace_on_a_view_changes_the_base(td):
    x = td.zeros(2, 3)
    x[1].fill_(4.0)
    x.t()[0].add_(1.0)
    _close(x, np.array([[1.0, 0.0, 0.0], [5.0, 4.0, 4.0]], np.float32))


def test_inplace_on_leaf_requiring_grad_is_an_error(td):
    w = td.ones(2, requires_grad=True)
    w.add_(1)
    with pytest.raises(td.TensordError) as e:
        td.synchronize()
    assert "leaf Variable that requires grad" in str(e.value)
    with td.no_grad():
        w.sub_(0.5)  # allowed under no_grad, as in PyTorch (optimizer updates)
    assert w.tolist() == [0.5, 0.5] and w.requires_grad


def test_modifying_a_saved_tensor_fails_backward(td):
    x = td.tensor([1.0, 2.0], requires_grad=True)
    y = x.sigmoid()
    y.mul_(2)  # sigmoid's backward needs its output
    y.sum().backward()
    with pytest.raises(td.TensordError) as e:
        td.synchronize()
    assert "modified by an inplace operation" in str(e.value)


def test_inplace_updates_cached_autograd_metadata(td):
    x = td.ones(2, requires_grad=True)
    y = x * 1
    z = td.zeros(2)
    assert z.requires_grad is False
    z.add_(y)  # z now depends on x
    assert z.requires_grad is True and z.grad_fn is not None


def test_cat_and_stack(td):
    a = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    b = np.arange(9.0, dtype=np.float32).reshape(3, 3)
    x, y = td.tensor(a), td.tensor(b)
    _close(td.cat([x, y]), np.concatenate([a, b]))
    _close(td.cat((x, x), 1), np.concatenate([a, a], 1))
    _close(td.cat([x, x], dim=-1), np.concatenate([a, a], -1))
    _close(td.stack([x, x]), np.stack([a, a]))
    _close(td.stack([x, x], dim=2), np.stack([a, a], 2))
    assert td.cat([td.tensor([1, 2]), td.tensor([0.5])]).dtype is td.float32
    with pytest.raises(td.TensordError):
        td.cat([x, td.tensor(np.ones((2, 2), np.float32))], dim=0).tolist()


def test_selection_ops(td):
    a = np.array([[-2.0, 0.5], [3.0, -0.25]], np.float32)
    b = np.array([[1.0, 1.0], [1.0, 1.0]], np.float32)
    x, y = td.tensor(a), td.tensor(b)
    _close(x.clamp(min=0), np.clip(a, 0, None))
    _close(td.clamp(x, -1, 1), np.clip(a, -1, 1))
    _close(x.clip(max=0.0), np.clip(a, None, 0.0))
    _close(td.maximum(x, y), np.maximum(a, b))
    _close(td.minimum(x, y), np.minimum(a, b))
    _close(td.where(x > 0, x, y), np.where(a > 0, a, b))
    _close(td.where(x > 0, x, 0.0), np.where(a > 0, a, 0.0))
    _close(x.masked_fill(x < 0, 9.0), np.where(a < 0, 9.0, a))
    _close(x.narrow(1, 1, 1), a[:, 1:2])
    _close(td.select(x, 1, 0), a[:, 0])
    with pytest.raises(RuntimeError):
        x.clamp()
