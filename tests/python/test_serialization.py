"""tensord.save / tensord.load: safetensors files (read back here with a NumPy
parser written from the safetensors spec), nested state dicts, map_location,
file objects, and clear errors for what cannot be saved or read."""

import collections
import io
import json
import math
import os
import struct

import numpy as np
import pytest


def _parse_safetensors(raw):
    """An independent reader: {name: np.ndarray}, metadata."""
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    assert n % 8 == 0  # padded, as the safetensors writer does
    data = raw[8 + n:]
    meta = header.pop("__metadata__", {})
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items())
    np_types = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4",
                "I16": "<i2", "I8": "i1", "U8": "u1", "BOOL": "?", "BF16": "<u2"}
    out = {}
    end_prev = 0
    for name, info in sorted(header.items(), key=lambda kv: kv[1]["data_offsets"][0]):
        b, e = info["data_offsets"]
        assert b == end_prev, "holes or overlaps in the data section"
        end_prev = e
        arr = np.frombuffer(data[b:e], dtype=np_types[info["dtype"]])
        out[name] = (info["dtype"], arr.reshape(info["shape"]))
    assert end_prev == len(data)
    return out, meta


def _np(t):
    return t.detach().numpy()


def test_state_dict_is_a_plain_safetensors_file(td, tmp_path):
    td.manual_seed(0)
    model = td.nn.Sequential(td.nn.Linear(4, 3), td.nn.ReLU(), td.nn.Linear(3, 2))
    sd = model.state_dict()
    path = tmp_path / "model.safetensors"
    td.save(sd, path)
    tensors, meta = _parse_safetensors(path.read_bytes())
    assert sorted(tensors) == ["0.bias", "0.weight", "2.bias", "2.weight"]
    for k, v in sd.items():
        dt, arr = tensors[k]
        assert dt == "F32"
        np.testing.assert_array_equal(arr, _np(v))
    assert meta["format"] == "pt"
    assert json.loads(meta["tensord.structure"])["type"] == "OrderedDict"

    loaded = td.load(path)
    assert isinstance(loaded, collections.OrderedDict)
    assert list(loaded) == list(sd)  # order kept
    for k in sd:
        assert not loaded[k].requires_grad
        np.testing.assert_array_equal(_np(loaded[k]), _np(sd[k]))
    fresh = td.nn.Sequential(td.nn.Linear(4, 3), td.nn.ReLU(), td.nn.Linear(3, 2))
    fresh.load_state_dict(loaded)
    x = td.randn(5, 4)
    np.testing.assert_array_equal(_np(fresh(x)), _np(model(x)))


@pytest.mark.parametrize("dtype,st", [
    ("float64", "F64"), ("float32", "F32"), ("float16", "F16"), ("bfloat16", "BF16"),
    ("int64", "I64"), ("int32", "I32"), ("int16", "I16"), ("int8", "I8"), ("uint8", "U8"),
    ("bool", "BOOL")])
def test_every_dtype_round_trips_bit_exactly(td, dtype, st):
    d = getattr(td, dtype)
    values = [[0, 1, 3], [5, 1, 0]] if dtype != "bool" else [[True, False, True], [False] * 3]
    t = td.tensor(values, dtype=d)
    if d.is_floating_point:
        t = t / 3 - 0.25
    buf = io.BytesIO()
    td.save({"t": t}, buf)
    tensors, _ = _parse_safetensors(buf.getvalue())
    assert tensors["t"][0] == st
    assert tensors["t"][1].shape == (2, 3)
    buf.seek(0)
    back = td.load(buf)["t"]
    assert back.dtype == d and back.shape == (2, 3)
    assert td.equal(back, t)
    if dtype == "bfloat16":  # raw bit patterns: bf16 is the top half of the f32 bits
        bits = tensors["t"][1]
        f32 = (bits.astype(np.uint32) << 16).view(np.float32)
        np.testing.assert_array_equal(f32, _np(t.float()))


def test_nested_optimizer_state_and_python_values(td, tmp_path):
    td.manual_seed(1)
    model = td.nn.Linear(3, 2)
    opt = td.optim.Adam(model.parameters(), lr=0.01, betas=(0.8, 0.9))
    for _ in range(2):
        opt.zero_grad()
        model(td.randn(4, 3)).pow(2).sum().backward()
        opt.step()
    shared = td.arange(3.)
    obj = {"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 7,
           "loss": 0.125, "best": float("inf"), "nan": float("nan"), "name": "run-1",
           "flags": [True, None, (1, 2.5, "x")], "dtype": td.float16, "size": td.Size([2, 3]),
           "a": shared, "b": shared, 3: "int key"}
    path = tmp_path / "ckpt.pt"
    td.save(obj, str(path))
    tensors, meta = _parse_safetensors(path.read_bytes())
    assert "model.weight" in tensors and "optimizer.state.0.exp_avg" in tensors
    assert "b" not in tensors  # the same tensor object is stored once

    back = td.load(path, weights_only=True)
    assert back["epoch"] == 7 and isinstance(back["epoch"], int)
    assert back["loss"] == 0.125 and back["best"] == math.inf and math.isnan(back["nan"])
    assert back["name"] == "run-1" and back[3] == "int key"
    assert back["flags"] == [True, None, (1, 2.5, "x")]
    assert back["dtype"] is td.float16
    assert back["size"] == td.Size([2, 3]) and isinstance(back["size"], td.Size)
    assert back["a"] is back["b"]
    sd = opt.state_dict()
    assert back["optimizer"]["param_groups"] == sd["param_groups"]
    assert back["optimizer"]["param_groups"][0]["betas"] == (0.8, 0.9)
    assert set(back["optimizer"]["state"]) == {0, 1}  # int keys stay ints
    for i in (0, 1):
        for k, v in sd["state"][i].items():
            got = back["optimizer"]["state"][i][k]
            if isinstance(v, td.Tensor):
                np.testing.assert_array_equal(_np(got), _np(v))
            else:
                assert got == v

    # Resuming from the loaded state gives the same next step as continuing.
    model2 = td.nn.Linear(3, 2)
    model2.load_state_dict(back["model"])
    opt2 = td.optim.Adam(model2.parameters(), lr=0.01, betas=(0.8, 0.9))
    opt2.load_state_dict(back["optimizer"])
    x = td.randn(4, 3)
    for m, o in ((model, opt), (model2, opt2)):
        o.zero_grad()
        m(x).pow(2).sum().backward()
        o.step()
    np.testing.assert_array_equal(_np(model2.weight), _np(model.weight))


def test_requires_grad_and_parameters_survive(td, tmp_path):
    p = td.nn.Parameter(td.ones(2))
    x = td.zeros(3, requires_grad=True)
    path = tmp_path / "p.safetensors"
    td.save([p, x, x * 2], path)
    back = td.load(path)
    assert isinstance(back[0], td.nn.Parameter) and back[0].requires_grad
    assert back[1].requires_grad and back[1].is_leaf
    assert back[2].requires_grad and back[2].is_leaf  # torch.load also makes leaves
    assert not isinstance(back[1], td.nn.Parameter)


def test_map_location_and_file_objects(td, tmp_path):
    t = td.tensor([1.5, -2.0])
    path = tmp_path / "t.safetensors"
    with open(path, "wb") as f:
        td.save(t, f)
    with open(path, "rb") as f:
        a = td.load(f, map_location="cpu")
    b = td.load(path, map_location=td.device("cpu"))
    c = td.load(path, map_location={"cuda:0": "cpu"})
    seen = []
    d = td.load(path, map_location=lambda tensor, loc: seen.append(loc) or tensor * 2)
    for x in (a, b, c):
        assert x.device.type == "cpu"
        assert x.tolist() == [1.5, -2.0]
    assert d.tolist() == [3.0, -4.0] and seen == ["cpu"]


def test_reads_a_safetensors_file_written_by_another_tool(td, tmp_path):
    w = np.arange(6, dtype=np.float32).reshape(2, 3) / 4
    ids = np.array([3, -1], dtype=np.int64)
    header = {"ids": {"dtype": "I64", "shape": [2], "data_offsets": [0, 16]},
              "w": {"dtype": "F32", "shape": [2, 3], "data_offsets": [16, 40]},
              "__metadata__": {"source": "numpy"}}
    text = json.dumps(header).encode()
    path = tmp_path / "foreign.safetensors"
    path.write_bytes(struct.pack("<Q", len(text)) + text + ids.tobytes() + w.tobytes())
    back = td.load(path)
    assert list(back) == ["ids", "w"]
    assert back["ids"].dtype == td.int64 and back["ids"].tolist() == [3, -1]
    np.testing.assert_array_equal(back["w"].numpy(), w)


def test_large_tensors_use_the_streamed_paths(td, tmp_path):
    big = td.arange(3 * 1024 * 1024, dtype=td.float32)  # 12 MiB: above the inline limit
    path = tmp_path / "big.safetensors"
    td.save({"big": big, "small": td.ones(2)}, path)
    back = td.load(path)
    assert td.equal(back["big"], big)
    assert back["small"].tolist() == [1.0, 1.0]


def test_errors_are_clear(td, tmp_path):
    with pytest.raises(TypeError, match="cannot save an object of type Linear.*state_dict"):
        td.save(td.nn.Linear(2, 2), io.BytesIO())
    with pytest.raises(TypeError, match="dict keys"):
        td.save({td.ones(1): 1}, io.BytesIO())
    zip_path = tmp_path / "torch.pt"
    zip_path.write_bytes(b"PK\x03\x04" + b"\0" * 60)
    with pytest.raises(RuntimeError, match="looks like a zip archive but is not one"):
        td.load(zip_path)
    legacy = tmp_path / "legacy.pt"
    legacy.write_bytes(b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19.\x80\x02M\xe9\x03.")
    with pytest.raises(RuntimeError, match="legacy"):
        td.load(legacy)
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(struct.pack("<Q", 10 ** 6) + b"{}")
    with pytest.raises(RuntimeError, match="header length"):
        td.load(bad)
    text = json.dumps({"x": {"dtype": "F32", "shape": [4], "data_offsets": [0, 8]}}).encode()
    short = tmp_path / "short.safetensors"
    short.write_bytes(struct.pack("<Q", len(text)) + text + b"\0" * 8)
    with pytest.raises(RuntimeError, match="data_offsets"):
        td.load(short)


TORCH_PYTHON = "/usr/bin/python3"
TORCH_SAVE_SCRIPT = r"""
import sys, collections, numpy as np, torch
torch.manual_seed(0)
model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.ReLU(), torch.nn.Linear(2, 1))
opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
model(torch.randn(4, 3)).sum().backward()
opt.step()
base = torch.arange(12.).view(3, 4)
obj = {"model": model.state_dict(), "opt": opt.state_dict(), "param": model[0].weight,
       "view": base.t()[1:, ::2], "half": torch.tensor([1.5, -2.0], dtype=torch.bfloat16),
       "mask": torch.tensor([True, False]), "ids": torch.tensor([3, -7]), "epoch": 3,
       "dtype": torch.float16, "size": torch.Size([2, 5]), "empty": torch.zeros(0, 2)}
torch.save(obj, sys.argv[1])
flat = {"model." + k: v.numpy() for k, v in model.state_dict().items()}
flat["view"] = base.t()[1:, ::2].numpy()
flat["momentum"] = opt.state_dict()["state"][0]["momentum_buffer"].numpy()
np.savez(sys.argv[2], **flat)
"""


def _torch_available():
    import subprocess
    if not os.path.exists(TORCH_PYTHON):
        return False
    return subprocess.run([TORCH_PYTHON, "-c", "import torch"], capture_output=True).returncode == 0


@pytest.mark.skipif(not _torch_available(), reason="PyTorch is not installed for /usr/bin/python3")
def test_loads_archives_written_by_pytorch(td, tmp_path):
    import subprocess
    pt, ref = tmp_path / "ckpt.pt", tmp_path / "ref.npz"
    proc = subprocess.run([TORCH_PYTHON, "-c", TORCH_SAVE_SCRIPT, str(pt), str(ref)],
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    expect = np.load(ref)
    back = td.load(pt, map_location="cpu", weights_only=True)
    assert isinstance(back["model"], collections.OrderedDict)
    assert list(back["model"]) == ["0.weight", "0.bias", "2.weight", "2.bias"]
    for k, v in back["model"].items():
        np.testing.assert_array_equal(v.numpy(), expect["model." + k])
    assert isinstance(back["param"], td.nn.Parameter) and back["param"].requires_grad
    np.testing.assert_array_equal(back["param"].detach().numpy(), expect["model.0.weight"])
    np.testing.assert_array_equal(back["view"].numpy(), expect["view"])  # strided view
    assert back["view"].shape == (3, 2)
    assert back["half"].dtype == td.bfloat16 and back["half"].float().tolist() == [1.5, -2.0]
    assert back["mask"].tolist() == [True, False] and back["ids"].tolist() == [3, -7]
    assert back["epoch"] == 3 and back["dtype"] is td.float16 and back["size"] == (2, 5)
    assert back["empty"].shape == (0, 2)
    state = back["opt"]["state"][0]
    np.testing.assert_array_equal(state["momentum_buffer"].numpy(), expect["momentum"])
    assert back["opt"]["param_groups"][0]["lr"] == 0.1
    model = td.nn.Sequential(td.nn.Linear(3, 2), td.nn.ReLU(), td.nn.Linear(2, 1))
    model.load_state_dict(back["model"])


def test_pytorch_archives_may_not_name_other_classes(td, tmp_path):
    import pickle
    import zipfile

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    path = tmp_path / "evil.pt"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("archive/data.pkl", pickle.dumps({"x": Evil()}, protocol=2))
    with pytest.raises(pickle.UnpicklingError, match="refers to posix.system"):
        td.load(path)
