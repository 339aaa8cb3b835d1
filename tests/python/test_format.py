"""Unit tests of tensor printing (tensord._format): no server needed.

The expected strings were produced by PyTorch 1.13 (Debian python3-torch)
printing the same values; torch/_tensor_str.py's algorithm is unchanged in
later releases for these cases.
"""

import numpy as np
import pytest

from tensord import _dtype, _format

GOLDEN = [
    ('int_matrix', 'np.array([[1, 2], [2, 3]])', 'int64', None, False,
     'tensor([[1, 2],\n        [2, 3]])'),
    ('float_matrix', 'np.array([[0.1, 1.2], [2.2, 3.1]])', 'float32', None, False,
     'tensor([[0.1000, 1.2000],\n        [2.2000, 3.1000]])'),
    ('int_valued_floats', 'np.array([5., 7., 9.])', 'float32', None, False,
     'tensor([5., 7., 9.])'),
    ('int_valued_padded', 'np.array([1., 5., 9., 13.])', 'float32', None, False,
     'tensor([ 1.,  5.,  9., 13.])'),
    ('float_matrix_zero_column', 'np.array([[1., 0, 3, 4], [5, 0, 7, 8], [9, 0, 11, 12], [13, 0, 15, 16]])', 'float32', None, False,
     'tensor([[ 1.,  0.,  3.,  4.],\n        [ 5.,  0.,  7.,  8.],\n        [ 9.,  0., 11., 12.],\n        [13.,  0., 15., 16.]])'),
    ('scalar_int', 'np.array(54)', 'int64', None, False,
     'tensor(54)'),
    ('scalar_float', 'np.array(104.)', 'float32', None, False,
     'tensor(104.)'),
    ('scalar_grad_fn', 'np.array(21.)', 'float32', 'SumBackward0', True,
     'tensor(21., grad_fn=<SumBackward0>)'),
    ('vector_grad_fn', 'np.array([0.6931472])', 'float32', 'LogBackward0', True,
     'tensor([0.6931], grad_fn=<LogBackward0>)'),
    ('leaf_requires_grad', 'np.array([1.])', 'float32', None, True,
     'tensor([1.], requires_grad=True)'),
    ('float64_suffix', 'np.array([[0.97449152, 0.68652824, 0.51496251], [0.46857383, 0.2098441, 0.58842778]])', 'float64', None, False,
     'tensor([[0.9745, 0.6865, 0.5150],\n        [0.4686, 0.2098, 0.5884]], dtype=torch.float64)'),
    ('int16_suffix', 'np.array([[0, 0], [0, 0]])', 'int16', None, False,
     'tensor([[0, 0],\n        [0, 0]], dtype=torch.int16)'),
    ('float16_suffix', 'np.array([0.5, 1.25])', 'float16', None, False,
     'tensor([0.5000, 1.2500], dtype=torch.float16)'),
    ('negative_values', 'np.array([[-0.1468, 0.7861, 0.9468, -1.1143, 1.6908]])', 'float32', None, False,
     'tensor([[-0.1468,  0.7861,  0.9468, -1.1143,  1.6908]])'),
    ('wrapped_lines', 'np.linspace(-2.5, 2.5, 24).reshape(2, 12)', 'float32', None, False,
     'tensor([[-2.5000, -2.2826, -2.0652, -1.8478, -1.6304, -1.4130, -1.1957, -0.9783,\n         -0.7609, -0.5435, -0.3261, -0.1087],\n        [ 0.1087,  0.3261,  0.5435,  0.7609,  0.9783,  1.1957,  1.4130,  1.6304,\n          1.8478,  2.0652,  2.2826,  2.5000]])'),
    ('three_d', 'np.arange(8.).reshape(2, 2, 2) + 1', 'float32', None, False,
     'tensor([[[1., 2.],\n         [3., 4.]],\n\n        [[5., 6.],\n         [7., 8.]]])'),
    ('sci_small', 'np.array([1e-5, 1.0, 2.5])', 'float32', None, False,
     'tensor([1.0000e-05, 1.0000e+00, 2.5000e+00])'),
    ('sci_large_ints', 'np.array([1., 1e9])', 'float32', None, False,
     'tensor([1.0000e+00, 1.0000e+09])'),
    ('sci_range', 'np.array([0.001, 12345.678])', 'float64', None, False,
     'tensor([1.0000e-03, 1.2346e+04], dtype=torch.float64)'),
    ('nonfinite_int_mode', 'np.array([np.nan, 1., np.inf])', 'float32', None, False,
     'tensor([nan, 1., inf])'),
    ('nonfinite_float', 'np.array([np.nan, -1.5, -np.inf])', 'float32', None, False,
     'tensor([    nan, -1.5000,    -inf])'),
    ('all_zero', 'np.zeros((2, 3))', 'float32', None, False,
     'tensor([[0., 0., 0.],\n        [0., 0., 0.]])'),
    ('bool_vector', 'np.array([True, False, True])', 'bool', None, False,
     'tensor([ True, False,  True])'),
    ('empty_float', 'np.zeros((0,))', 'float32', None, False,
     'tensor([])'),
    ('empty_int', 'np.zeros((0,), dtype=np.int64)', 'int64', None, False,
     'tensor([], dtype=torch.int64)'),
    ('empty_2d', 'np.zeros((2, 0))', 'float32', None, False,
     'tensor([], size=(2, 0))'),
    ('summarized_ints', 'np.arange(2000)', 'int64', None, False,
     'tensor([   0,    1,    2,  ..., 1997, 1998, 1999])'),
    ('summarized_matrix', 'np.arange(2000.).reshape(40, 50) / 7', 'float32', None, False,
     'tensor([[0.0000e+00, 1.4286e-01, 2.8571e-01,  ..., 6.7143e+00, 6.8571e+00,\n         7.0000e+00],\n        [7.1429e+00, 7.2857e+00, 7.4286e+00,  ..., 1.3857e+01, 1.4000e+01,\n         1.4143e+01],\n        [1.4286e+01, 1.4429e+01, 1.4571e+01,  ..., 2.1000e+01, 2.1143e+01,\n         2.1286e+01],\n        ...,\n        [2.6429e+02, 2.6443e+02, 2.6457e+02,  ..., 2.7100e+02, 2.7114e+02,\n         2.7129e+02],\n        [2.7143e+02, 2.7157e+02, 2.7171e+02,  ..., 2.7814e+02, 2.7829e+02,\n         2.7843e+02],\n        [2.7857e+02, 2.7871e+02, 2.7886e+02,  ..., 2.8529e+02, 2.8543e+02,\n         2.8557e+02]])'),
    ('long_suffix_wraps', 'np.linspace(0.5, 1.5, 10).reshape(1, 10)', 'float64', 'MulBackward0', True,
     'tensor([[0.5000, 0.6111, 0.7222, 0.8333, 0.9444, 1.0556, 1.1667, 1.2778, 1.3889,\n         1.5000]], dtype=torch.float64, grad_fn=<MulBackward0>)'),
]


def _as_tensor_values(expr, dt):
    arr = eval(expr, {"np": np})  # noqa: S307 - literal test inputs
    d = _dtype.from_name(dt)
    return _dtype.round_to(arr, d), d


@pytest.mark.parametrize("name,expr,dt,grad_fn,requires_grad,expected", GOLDEN,
                         ids=[g[0] for g in GOLDEN])
def test_repr_matches_pytorch(name, expr, dt, grad_fn, requires_grad, expected):
    a, d = _as_tensor_values(expr, dt)
    got = _format.tensor_repr(a, d.name, d.is_floating_point, "cpu", grad_fn, requires_grad)
    assert got == expected


def test_device_suffix_for_non_cpu():
    got = _format.tensor_repr(np.array([1, 2]), "int64", False, device="cuda:0")
    assert got == "tensor([1, 2], device='cuda:0')"


def test_grad_fn_takes_precedence_over_requires_grad():
    got = _format.tensor_repr(np.array([1.0], np.float32), "float32", True,
                              grad_fn="AddBackward0", requires_grad=True)
    assert got == "tensor([1.], grad_fn=<AddBackward0>)"


def test_printoptions_precision_and_reset():
    a = np.array([1.12345], np.float32)
    try:
        _format.set_printoptions(precision=2)
        assert _format.tensor_repr(a, "float32", True) == "tensor([1.12])"
        _format.set_printoptions(threshold=5)
        b = np.arange(10)
        assert _format.tensor_repr(b, "int64", False) == "tensor([0, 1, 2,  ..., 7, 8, 9])"
    finally:
        _format.set_printoptions(profile="default")
    assert _format.tensor_repr(a, "float32", True) == "tensor([1.1235])"
    assert _format.tensor_repr(np.arange(10), "int64", False) == \
        "tensor([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])"


def test_sci_mode_can_be_forced_off():
    try:
        _format.set_printoptions(sci_mode=False)
        got = _format.tensor_repr(np.array([1e-5, 1.0], np.float32), "float32", True)
        # Widths still come from the scientific strings, as in PyTorch.
        assert got == "tensor([    0.0000,     1.0000])"
    finally:
        _format.set_printoptions(profile="default")


def _edges(a):
    e = _format.PRINT_OPTS.edgeitems
    for d, n in enumerate(a.shape):
        if n > 2 * e:
            a = np.concatenate([np.take(a, range(e), d), np.take(a, range(n - e, n), d)], d)
    return a


@pytest.mark.parametrize("shape", [(1200,), (30, 40), (3, 400), (11, 11, 11), (2000, 1),
                                   (6, 6, 6, 6, 6)])
def test_repr_from_summarized_edges_equals_full(shape):
    rng = np.random.default_rng(0)
    a = (rng.standard_normal(shape) * 100).astype(np.float32)
    edges = _edges(a)
    assert edges.shape == _format.summarized_shape(shape)
    full = _format.tensor_repr(a, "float32", True)
    assert ("..." in full) == any(n > 6 for n in shape)
    assert _format.tensor_repr(edges, "float32", True, shape=shape) == full
