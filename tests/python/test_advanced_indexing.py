"""Advanced indexing (index tensors, lists, masks), assignment through them, and the
index family (index_select, gather, scatter, nonzero, masked_select) against NumPy;
PyTorch-specific cases against PyTorch 1.13's results."""

import numpy as np
import pytest

A = np.arange(24, dtype=np.float32).reshape(2, 3, 4)


def _close(t, expected):
    got = (t.detach() if t.requires_grad else t).numpy()
    expected = np.asarray(expected)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    np.testing.assert_allclose(got, expected)


# Keys whose meaning is the same in NumPy and PyTorch (np keys, converted per test).
NP_KEYS = [
    ([0, 1],),
    ([1, 0, 1],),
    (slice(None), [0, 2]),
    (slice(None), [2, 0], slice(1, 3)),
    (Ellipsis, [0, 3]),
    ([0, 1], [1, 2]),
    ([[0, 1], [1, 0]], slice(None), [[0, 1], [2, 3]]),
    ([0, 1], slice(None), [1, 2]),           # non-adjacent: index dims go first
    (slice(None), [0, 1], [1, 2]),           # adjacent: stay in place
    (slice(None), [[0], [2]], [1, 3]),        # broadcasting index tensors
    (slice(1, None), [0, 2], None),
    (None, [1], slice(None), 0),
    ("mask2",),
    ("mask3",),
    (slice(None), "maskrow"),
    ("mask2", slice(1, 3)),
    ("mask2", 0),                             # mask + int after it (NumPy semantics)
    ([-1, -2],),
]


def _resolve(key, as_tensor, td):
    masks = {"mask2": A.sum(2) > 20, "mask3": A % 3 == 0,
             "maskrow": np.array([True, False, True])}
    out = []
    for k in key:
        if isinstance(k, str):
            k = masks[k]
            out.append(td.tensor(k) if as_tensor else k)
        elif isinstance(k, list):
            out.append(td.tensor(k) if as_tensor else np.array(k))
        else:
            out.append(k)
    return tuple(out)


@pytest.mark.parametrize("key", NP_KEYS, ids=[repr(k) for k in NP_KEYS])
def test_advanced_indexing_matches_numpy(td, key):
    x = td.tensor(A)
    expected = A[_resolve(key, False, td)]
    _close(x[_resolve(key, True, td)], expected)
    # Python lists and NumPy arrays work as indices too
    plain = tuple(np.asarray(k) if isinstance(k, (list, np.ndarray)) else k
                  for k in _resolve(key, False, td))
    _close(x[plain], expected)


def test_pytorch_specific_indexing(td):
    """Results of PyTorch 1.13 (where they differ from NumPy or need special cases)."""
    x = td.tensor(A)
    # ints select before the index tensors are applied: (3, 2), NumPy gives (2, 3)
    r = x[0, :, [0, 1]]
    assert r.shape == (3, 2)
    _close(r, A[0][:, [0, 1]])
    # a short list holding lists is a tuple of indices
    assert x[[[0, 1], [1, 2]]].shape == (2, 4)
    _close(x[[[0, 1], [1, 2]]], A[[0, 1], [1, 2]])
    assert x[[[0, 1]]].shape == (2, 3, 4)
    # Python bools and 0-d tensors
    assert x[True].shape == (1, 2, 3, 4)
    assert x[False].shape == (0, 2, 3, 4)
    assert x[None, True].shape == (1, 1, 2, 3, 4)
    assert x[td.tensor(1)].shape == (3, 4)
    _close(x[td.tensor(1)], A[1])
    assert x[td.tensor(True)].shape == (1, 2, 3, 4)
    # a list of bools is a mask, also mixed with an index list
    assert x[[True, False]].shape == (1, 3, 4)
    _close(x[[0, 1], [True, False, True]], [[0, 1, 2, 3], [20, 21, 22, 23]])
    # an empty list indexes nothing
    assert x[[]].shape == (0, 3, 4)
    # the tutorial: rows of a matrix
    t = td.tensor(A[0])
    rows = td.tensor([0, 2])
    _close(t[rows], A[0][[0, 2]])


def test_index_results_and_gradients(td):
    x = td.tensor(A[0], requires_grad=True)
    idx = td.tensor([0, 2, 0])
    y = x[idx]
    assert y.grad_fn.name() == "IndexBackward0"
    y.sum().backward()
    expected = np.zeros((3, 4), np.float32)
    np.add.at(expected, [0, 2, 0], 1.0)  # duplicates accumulate
    _close(x.grad, expected)
    x.grad = None
    mask = td.tensor(A[0] > 5)
    (x[mask] * 2).sum().backward()
    _close(x.grad, np.where(A[0] > 5, 2.0, 0.0))


def test_setitem_with_index_tensors_and_masks(td):
    a = np.zeros((3, 4), np.float32)
    y = td.tensor(a)
    y[[0, 2]] = 1.0
    a[[0, 2]] = 1.0
    y[y > 0.5] = td.tensor(3.0)
    a[a > 0.5] = 3.0
    y[:, [1]] = td.tensor([[5.0], [6.0], [7.0]])
    a[:, [1]] = [[5.0], [6.0], [7.0]]
    _close(y, a)
    # PyTorch 1.13 printed exactly this for the same steps
    assert str(y) == ("tensor([[3., 5., 3., 3.],\n"
                      "        [0., 6., 0., 0.],\n"
                      "        [3., 7., 3., 3.]])")
    y[1, [0, 3]] = td.tensor([8.0, 9.0])
    a[1, [0, 3]] = [8.0, 9.0]
    y[[0, 1], [2, 2]] = 4
    a[[0, 1], [2, 2]] = 4
    y[td.tensor([True, False, True]), 0] = -1
    a[np.array([True, False, True]), 0] = -1
    y[y < 0] = [10.0, 11.0]
    a[a < 0] = [10.0, 11.0]
    _close(y, a)
    i = td.tensor([[1, 2], [3, 4]])
    i[i > 2] = 2.9  # converted to the target dtype (truncated)
    assert i.tolist() == [[1, 2], [2, 2]]


def test_setitem_into_a_view_writes_the_base(td):
    a = A.copy()
    x = td.tensor(a)
    x[1, :, [0, 3]] = 0.0
    a[1][:, [0, 3]] = 0.0
    _close(x, a)


def test_index_put_accumulates_duplicates(td):
    x = td.zeros(5)
    x.index_put_((td.tensor([0, 1, 0, 4]),), td.tensor([1.0, 2.0, 3.0, 4.0]), accumulate=True)
    assert x.tolist() == [4.0, 2.0, 0.0, 0.0, 4.0]
    y = td.zeros(2, 2).index_put((td.tensor([1]), td.tensor([0])), td.tensor(7.0))
    assert y.tolist() == [[0.0, 0.0], [7.0, 0.0]]
    z = td.zeros(2, 3)
    z[td.tensor([1, 1]), td.tensor([0, 0])] = td.tensor([1.0, 2.0])  # last write wins
    assert z[1, 0].item() in (1.0, 2.0)


def test_index_select_gather_scatter(td):
    a = A[0]
    x = td.tensor(a)
    _close(x.index_select(1, td.tensor([3, 0])), a[:, [3, 0]])
    _close(td.index_select(x, 0, td.tensor([2])), a[[2]])
    idx = np.array([[0, 3], [1, 1], [2, 0]])
    _close(x.gather(1, td.tensor(idx)), np.take_along_axis(a, idx, 1))
    _close(td.gather(x, 0, td.tensor([[2, 1, 0, 0]])), [[a[2, 0], a[1, 1], a[0, 2], a[0, 3]]])
    src = td.tensor([[10.0, 20.0], [30.0, 40.0], [50.0, 60.0]])
    out = td.zeros(3, 4).scatter(1, td.tensor(idx), src)
    expected = np.zeros((3, 4), np.float32)
    np.put_along_axis(expected, idx, [[10, 20], [30, 40], [50, 60]], 1)
    expected[1, 1] = out.numpy()[1, 1]  # duplicate index: either write may win
    _close(out, expected)
    assert out[1, 1].item() in (30.0, 40.0)
    expected = np.zeros((3, 4), np.float32)
    np.put_along_axis(expected, idx, 2.5, 1)
    _close(td.zeros(3, 4).scatter(1, td.tensor(idx), 2.5), expected)
    z = td.zeros(3, 4)
    z.scatter_(1, td.tensor(idx), value=1.0)
    assert z.sum().item() == 5.0
    acc = td.zeros(3, 4).scatter_add(1, td.tensor(idx), src)
    expected = np.zeros((3, 4), np.float32)
    np.add.at(expected, (np.arange(3)[:, None], idx), [[10, 20], [30, 40], [50, 60]])
    _close(acc, expected)
    w = td.ones(3, 4)
    w.scatter_add_(0, td.tensor([[0, 1, 2, 0]]), td.tensor([[1.0, 2.0, 3.0, 4.0]]))
    assert w.tolist() == [[2.0, 1.0, 1.0, 5.0], [1.0, 3.0, 1.0, 1.0], [1.0, 1.0, 4.0, 1.0]]


def test_gather_gradient_scatters_back(td):
    x = td.tensor(A[0], requires_grad=True)
    idx = td.tensor([[0, 0], [3, 1], [2, 2]])
    x.gather(1, idx).sum().backward()
    expected = np.zeros((3, 4), np.float32)
    np.add.at(expected, (np.arange(3)[:, None], [[0, 0], [3, 1], [2, 2]]), 1.0)
    _close(x.grad, expected)


def test_nonzero_and_masked_select(td):
    a = np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]], np.float32)
    x = td.tensor(a)
    nz = x.nonzero()
    assert nz.dtype == td.int64
    _close(nz, np.argwhere(a))
    rows, cols = td.nonzero(x, as_tuple=True)
    assert rows.tolist() == [0, 1, 1] and cols.tolist() == [1, 0, 2]
    _close(x.masked_select(x > 0), a[a > 0])
    # the mask broadcasts against the input
    _close(td.masked_select(x, td.tensor([True, False, True])),
           a[np.broadcast_to([True, False, True], a.shape)])
    _close(x.take(td.tensor([0, 5])), a.reshape(-1)[[0, 5]])


def test_index_errors(td):
    x = td.tensor(A)
    with pytest.raises(td.TensordError, match="out of bounds|out of range"):
        x[td.tensor([5])].tolist()
    with pytest.raises(td.TensordError, match="shape of the mask"):
        x[td.tensor([True, False, True])].tolist()
    with pytest.raises(IndexError, match="too many indices"):
        x[0, 0, 0, [0]]
    with pytest.raises(td.TensordError, match="shape mismatch"):
        x[[0, 1], [0, 1, 2]].tolist()
    assert x[[1]].shape == (1, 3, 4)  # the session is still usable
