"""Unit tests of dtype, Size, device, grad mode and wire codecs: no server needed."""

import pickle

import numpy as np
import pytest

import tensord as torch
from tensord import _dtype


def test_dtypes_print_like_torch():
    assert repr(torch.float32) == "torch.float32"
    assert str(torch.int64) == "torch.int64"
    assert f"{torch.bool}" == "torch.bool"
    assert repr(torch.bfloat16) == "torch.bfloat16"


@pytest.mark.parametrize("alias,target", [
    ("float", "float32"), ("double", "float64"), ("half", "float16"), ("long", "int64"),
    ("int", "int32"), ("short", "int16"),
])
def test_dtype_aliases_are_the_same_object(alias, target):
    assert getattr(torch, alias) is getattr(torch, target)


def test_dtype_properties():
    assert torch.float16.is_floating_point and torch.bfloat16.is_floating_point
    assert not torch.int32.is_floating_point and not torch.bool.is_floating_point
    assert torch.float64.itemsize == 8 and torch.bfloat16.itemsize == 2
    assert torch.uint8.is_signed is False and torch.int8.is_signed is True
    assert pickle.loads(pickle.dumps(torch.float64)) is torch.float64


def test_wire_values_follow_the_proto():
    import os
    import re
    proto = os.path.join(os.path.dirname(__file__), "..", "..", "proto", "tensord", "v1",
                         "tensord.proto")
    with open(proto) as f:
        values = {m.group(1): int(m.group(2)) for m in re.finditer(r"DTYPE_(\w+) = (\d+);", f.read())}
    assert len(values) == len(_dtype.ALL) + 1  # + DTYPE_UNSPECIFIED
    for d in _dtype.ALL:
        assert values[d.name.upper()] == d.wire


def test_promotion_rules():
    p = _dtype.promote
    assert p(torch.int64, torch.float32) is torch.float32
    assert p(torch.uint8, torch.int8) is torch.int16
    assert p(torch.float16, torch.bfloat16) is torch.float32
    assert p(torch.bool, torch.int32) is torch.int32
    assert p(torch.float32, torch.float64) is torch.float64


def test_size_is_a_tuple_that_prints_like_torch():
    s = torch.Size([2, 3])
    assert s == (2, 3) and isinstance(s, tuple)
    assert repr(s) == "torch.Size([2, 3])" and str(s) == "torch.Size([2, 3])"
    assert repr(torch.Size([])) == "torch.Size([])"
    assert isinstance(s[1:], torch.Size) and s[1:] == (3,)
    assert s.numel() == 6 and torch.Size([]).numel() == 1
    assert isinstance(s + (4,), torch.Size)


def test_device():
    d = torch.device("cpu")
    assert str(d) == "cpu" and repr(d) == "device(type='cpu')"
    c = torch.device("cuda:1")
    assert (c.type, c.index) == ("cuda", 1) and str(c) == "cuda:1"
    assert torch.device("cuda", 0) == torch.device("cuda:0")
    assert d == "cpu"
    with pytest.raises(RuntimeError):
        torch.device("tpu")


def test_no_grad_context_and_decorator():
    assert torch.is_grad_enabled()
    with torch.no_grad():
        assert not torch.is_grad_enabled()
        with torch.enable_grad():
            assert torch.is_grad_enabled()
        assert not torch.is_grad_enabled()
    assert torch.is_grad_enabled()

    @torch.no_grad()
    def f():
        return torch.is_grad_enabled()

    assert f() is False and torch.is_grad_enabled()
    torch.set_grad_enabled(False)
    assert not torch.is_grad_enabled()
    torch.set_grad_enabled(True)
    assert torch.is_grad_enabled()


@pytest.mark.parametrize("d", _dtype.ALL, ids=lambda d: d.name)
def test_wire_codec_roundtrip(d):
    src = np.array([[0, 1, 2], [3, 4, 5]])
    if d.is_floating_point:
        src = src * 0.5 - 1
    a = _dtype.round_to(src, d)
    payload = _dtype.to_bytes(a, d)
    assert len(payload) == a.size * d.itemsize
    back = _dtype.from_bytes(payload, d, a.shape)
    np.testing.assert_array_equal(back, a)


def test_bfloat16_rounds_to_nearest_even():
    vals = np.array([1.0, 1.00390625, 1.01171875, -2.5, np.inf], np.float32)
    bits = np.frombuffer(_dtype.to_bytes(vals, _dtype.bfloat16), "<u2")
    # 1 + 2^-8 is a tie between 1.0 and 1+2^-7: rounds to even (1.0);
    # 1 + 3*2^-8 is a tie between 1+2^-7 and 1+2^-6: rounds to even (1+2^-6).
    assert list(bits) == [0x3F80, 0x3F80, 0x3F82, 0xC020, 0x7F80]
    nan = np.frombuffer(_dtype.to_bytes(np.array([np.nan], np.float32), _dtype.bfloat16), "<u2")
    assert np.isnan(_dtype.from_bytes(nan.tobytes(), _dtype.bfloat16, (1,))[0])


def test_error_message_names_op_and_site():
    from tensord._errors import make_error
    e = make_error(3, "[matmul] mat1 and mat2 shapes cannot be multiplied (3x2 and 3x2)",
                   "matmul", "script.py:7")
    assert isinstance(e, RuntimeError)
    assert str(e) == ("[matmul] mat1 and mat2 shapes cannot be multiplied (3x2 and 3x2) "
                      "(at script.py:7)")
    assert e.code.name == "INVALID_ARGUMENT" and e.op == "matmul" and e.site == "script.py:7"
    # Server already appended the site: not repeated; untagged messages get the op.
    assert str(make_error(9, "graph freed (at a.py:3)", "backward", "a.py:3")) == \
        "[backward] graph freed (at a.py:3)"
