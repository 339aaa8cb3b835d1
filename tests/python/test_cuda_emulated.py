"""torch.cuda through tensord, against a server with emulated GPUs.

The server of this module runs with TENSORD_CUDA_EMULATOR=2:256: two `cuda`
devices of 256 MiB whose memory is host memory and whose kernels are the
CUDA kernel sources compiled for the host (Note [CUDA emulator] in
engine/cuda/runtime.h). Everything between the client and the kernels is
the real thing: device listing, device routing and PyTorch's same-device
errors, the per-session caching allocator accounts (memory_allocated is the
session's own), streams per session, out-of-memory as a per-command error,
and the release of a closed or expired session's device memory.

Tests that compare numbers run the same computation on the cpu and on cuda
within float tolerance (the emulator's kernels are not the CPU kernels).
"""

import re
import time

import numpy as np
import pytest

from conftest import connected, start_server

EMULATOR = "2:256"  # two devices of 256 MiB
DEVICE_BYTES = 256 << 20

ALL_DTYPES = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16",
              "float32", "float64")


@pytest.fixture(scope="module")
def cuda_server(tmp_path_factory):
    server = start_server(tmp_path_factory, env={"TENSORD_CUDA_EMULATOR": EMULATOR})
    yield server
    server.stop()


@pytest.fixture
def td(cuda_server):
    """The tensord module, with a fresh default session on the emulated-GPU server."""
    yield from connected(cuda_server)


def device_stats(session, device="cuda:0"):
    """MemoryStats as another session sees them (device-wide fields are shared)."""
    session.synchronize()
    return session.memory_stats(device)


def sample(dtype):
    """Values every dtype holds exactly, as a nested list."""
    if dtype == "bool":
        return [[True, False, True], [False, False, True]]
    if dtype == "uint8":
        return [[0, 1, 255], [7, 128, 3]]
    if dtype.startswith("int"):
        return [[0, -1, 127], [-128, 5, 9]]
    return [[0.5, -1.25, 3.0], [-0.0, 1024.0, 0.125]]


# ---------------------------------------------------------------- devices

def test_server_lists_its_cuda_devices(td):
    info = td.default_session().server_info()
    assert [d.name for d in info.devices] == ["cpu", "cuda:0", "cuda:1"]
    assert info.cuda_status == ""
    for d in info.devices[1:]:
        assert "emulator" in d.description
        assert d.total_memory == DEVICE_BYTES
        assert d.compute_capability == "9.0"
    assert td.cuda.is_available() is True
    assert td.cuda.device_count() == 2
    assert td.cuda.current_device() == 0
    assert "emulator" in td.cuda.get_device_name()
    assert td.cuda.get_device_name(1) == td.cuda.get_device_name(td.device("cuda:1"))
    assert td.cuda.get_device_capability() == (9, 0)
    props = td.cuda.get_device_properties("cuda:1")
    assert (props.total_memory, props.major, props.minor) == (DEVICE_BYTES, 9, 0)
    assert "total_memory=256MB" in repr(props)
    with pytest.raises(RuntimeError, match="invalid device ordinal"):
        td.cuda.get_device_name(2)


def test_unknown_device_ordinal_is_an_error_and_the_session_goes_on(td):
    with pytest.raises(RuntimeError, match="invalid device ordinal"):
        td.ones(2, device="cuda:2").tolist()
    assert td.ones(2, device="cuda:1").cpu().tolist() == [1.0, 1.0]


# ---------------------------------------------------------------- moving tensors

@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_round_trips_keep_every_dtype(td, dtype):
    d = getattr(td, dtype)
    x = td.tensor(sample(dtype), dtype=d)
    want = x.tolist()
    y = x.to("cuda")
    assert y.device == td.device("cuda", 0) and y.is_cuda and y.dtype is d
    assert y.cpu().tolist() == want
    z = x.cuda(1)
    assert str(z.device) == "cuda:1" and z.dtype is d
    assert z.to(td.device("cuda:0")).to("cpu").tolist() == want
    assert y.to("cuda:1").device == td.device("cuda:1")
    assert td.tensor(sample(dtype), dtype=d, device="cuda").cpu().tolist() == want
    assert x.to(y).device == y.device  # to(other): other's device and dtype
    assert not x.is_cuda and x.cpu() is x and y.cuda() is y and y.to("cuda:0") is y


def test_to_with_device_and_dtype_together(td):
    x = td.tensor([1.5, -2.5, 3.25])
    y = x.to("cuda", td.float64)
    assert (str(y.device), y.dtype) == ("cuda:0", td.float64)
    assert y.cpu().tolist() == [1.5, -2.5, 3.25]
    assert x.to(device="cuda:1", dtype=td.int32).cpu().tolist() == [1, -2, 3]
    assert y.to("cpu", td.float16).tolist() == [1.5, -2.5, 3.25]


def test_upload_of_a_large_tensor_lands_on_the_device(td):
    data = np.arange(3 << 18, dtype=np.float32)  # 3 MiB: a chunked upload
    x = td.tensor(data, device="cuda:1")
    assert str(x.device) == "cuda:1"
    np.testing.assert_array_equal(x.cpu().numpy(), data)


# ---------------------------------------------------------------- creation

def test_factories_take_device(td):
    cases = {
        "zeros": lambda dev: td.zeros(2, 3, device=dev),
        "ones": lambda dev: td.ones(2, 3, dtype=td.int64, device=dev),
        "full": lambda dev: td.full((2, 2), 7.5, device=dev),
        "empty": lambda dev: td.empty(2, 3, device=dev).fill_(0),
        "arange": lambda dev: td.arange(1, 10, 2, device=dev),
        "linspace": lambda dev: td.linspace(0, 1, 5, device=dev),
        "eye": lambda dev: td.eye(3, 4, device=dev),
        "tensor": lambda dev: td.tensor([[1, 2], [3, 4]], device=dev),
    }
    for name, make in cases.items():
        for dev in ("cuda", "cuda:1", td.device("cuda", 1)):
            t = make(dev)
            assert t.is_cuda, name
            assert t.device == td.device("cuda:0" if dev == "cuda" else "cuda:1"), name
            assert t.cpu().tolist() == make("cpu").tolist(), name


def test_like_factories_follow_their_input_device(td):
    x = td.ones(2, 3, device="cuda:1")
    for fn in (td.zeros_like, td.ones_like, td.empty_like, td.rand_like, td.randn_like):
        assert str(fn(x).device) == "cuda:1", fn.__name__
    assert td.full_like(x, 3).cpu().tolist() == [[3.0] * 3] * 2
    assert str(td.zeros_like(x, device="cpu").device) == "cpu"
    assert str(td.ones_like(td.ones(2), device="cuda").device) == "cuda:0"
    assert str(x.new_zeros(4).device) == "cuda:1"
    assert str(x.new_tensor([1, 2]).device) == "cuda:1"


def test_random_factories_take_device(td):
    r = td.rand(1000, device="cuda")
    assert r.is_cuda and r.shape == (1000,)
    v = r.cpu().numpy()
    assert 0 <= v.min() and v.max() < 1 and 0.4 < v.mean() < 0.6
    n = td.randn(4000, device="cuda:1").cpu().numpy()
    assert abs(n.mean()) < 0.1 and 0.9 < n.std() < 1.1
    i = td.randint(3, 9, (500,), device="cuda")
    assert i.dtype is td.int64 and str(i.device) == "cuda:0"
    assert set(i.cpu().tolist()) == set(range(3, 9))
    p = td.randperm(50, device="cuda")
    assert p.is_cuda and sorted(p.cpu().tolist()) == list(range(50))


def test_cuda_manual_seed_seeds_cuda_draws_and_leaves_the_cpu_generator_alone(td):
    td.cuda.manual_seed(3)
    a = td.rand(8, device="cuda").cpu().tolist()
    td.cuda.manual_seed_all(3)
    b = td.rand(8, device="cuda").cpu().tolist()
    assert a == b
    td.manual_seed(1)  # seeds every generator, as torch.manual_seed does
    c1 = td.rand(4).tolist()
    g1 = td.rand(4, device="cuda").cpu().tolist()
    td.manual_seed(1)
    td.rand(100, device="cuda")  # draws from the cuda generator only
    c2 = td.rand(4).tolist()
    assert c1 == c2
    td.manual_seed(1)
    assert td.rand(4, device="cuda").cpu().tolist() == g1


# ---------------------------------------------------------------- mixing devices

def test_mixing_devices_raises_pytorchs_error(td):
    g, c, g1 = td.ones(2, device="cuda"), td.ones(2), td.ones(2, device="cuda:1")
    for a, b, first, second in ((g, c, "cuda:0", "cpu"), (c, g, "cpu", "cuda:0"),
                                (g, g1, "cuda:0", "cuda:1")):
        with pytest.raises(RuntimeError, match=re.escape(
                "Expected all tensors to be on the same device, but found at least two "
                "devices, %s and %s!" % (first, second))):
            (a + b).tolist()
    with pytest.raises(RuntimeError, match="same device"):
        (td.ones(2, 2, device="cuda") @ td.ones(2, 2)).tolist()
    # The session goes on, and a 0-dim cpu tensor mixes with cuda ones, as in PyTorch.
    assert (g * td.tensor(3.0)).cpu().tolist() == [3.0, 3.0]
    assert (g + 1).cpu().tolist() == [2.0, 2.0]


# ---------------------------------------------------------------- memory

def test_memory_allocated_is_the_sessions_own(td):
    mib = 1 << 20
    base = td.cuda.memory_allocated()
    assert base == 0
    x = td.zeros(1024, 1024, device="cuda")  # 4 MiB
    assert td.cuda.memory_allocated() == base + 4 * mib
    assert td.cuda.memory_allocated(1) == 0  # other device
    y = td.zeros(512, 1024, device="cuda")
    assert td.cuda.memory_allocated() == base + 6 * mib
    assert td.cuda.memory_reserved() >= 6 * mib
    del x
    assert td.cuda.memory_allocated() == base + 2 * mib
    assert td.cuda.max_memory_allocated() == base + 6 * mib
    td.cuda.reset_peak_memory_stats()
    assert td.cuda.max_memory_allocated() == base + 2 * mib
    stats = td.cuda.memory_stats()
    assert stats["allocated_bytes.all.current"] == base + 2 * mib
    del y
    assert td.cuda.memory_allocated() == base


def test_empty_cache_returns_cached_blocks(td):
    x = td.zeros(4 << 20, device="cuda:1")  # 16 MiB
    td.cuda.synchronize()
    del x
    reserved = td.cuda.memory_reserved(1)
    assert reserved >= 16 << 20  # the freed block stays cached
    td.cuda.empty_cache()
    assert td.cuda.memory_reserved(1) <= reserved - (16 << 20)
    assert td.cuda.memory_allocated(1) == 0


def test_closing_a_session_returns_its_device_memory(td, cuda_server):
    observer = td.Session(cuda_server.address)
    try:
        before = device_stats(observer)
        x = td.zeros(2 << 20, device="cuda")  # 8 MiB
        y = td.ones(1 << 20, device="cuda")   # 4 MiB, released before the close: cached
        del y
        assert td.cuda.memory_allocated() == 8 << 20
        during = device_stats(observer)
        assert during.allocated_bytes == 0  # the observer's own account
        assert during.device_allocated_bytes == before.device_allocated_bytes + (8 << 20)
        assert during.reserved_bytes >= before.reserved_bytes + (12 << 20)
        td.default_session().close()
        after = device_stats(observer)
        assert after.device_allocated_bytes == before.device_allocated_bytes
        assert after.reserved_bytes == before.reserved_bytes
        del x
    finally:
        observer.close()


def test_expired_session_returns_its_device_memory(td, cuda_server):
    observer = td.Session(cuda_server.address)
    try:
        before = device_stats(observer)
        # The new default session: idle for more than a second, it expires.
        doomed = td.connect(cuda_server.address, idle_ttl_seconds=1, keepalive=False)
        x = td.zeros(2 << 20, device="cuda")  # 8 MiB
        doomed.synchronize()
        assert device_stats(observer).device_allocated_bytes == \
            before.device_allocated_bytes + (8 << 20)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if device_stats(observer).device_allocated_bytes == before.device_allocated_bytes:
                break
            time.sleep(0.2)
        after = device_stats(observer)
        assert after.device_allocated_bytes == before.device_allocated_bytes
        assert after.reserved_bytes == before.reserved_bytes
        with pytest.raises(RuntimeError, match="expired"):
            x.tolist()
    finally:
        observer.close()


def test_out_of_memory_fails_that_command_only(td):
    keep = td.arange(5.0, device="cuda")
    base = td.cuda.memory_allocated()
    with pytest.raises(RuntimeError, match="CUDA out of memory") as err:
        td.empty(DEVICE_BYTES // 4 + 1, device="cuda").tolist()  # one float too many
    assert err.value.code.name == "RESOURCE_EXHAUSTED"
    with pytest.raises(RuntimeError, match="CUDA out of memory"):
        td.ones(DEVICE_BYTES // 2, dtype=td.float64, device="cuda:1").sum().item()
    # Nothing leaked, and the session (and its tensors) go on.
    assert td.cuda.memory_allocated() == base
    assert keep.cpu().tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    big = td.zeros(DEVICE_BYTES // 8, device="cuda")  # half the device fits
    assert td.cuda.memory_allocated() == base + DEVICE_BYTES // 2
    del big


# ---------------------------------------------------------------- training

def _mlp(td, seed):
    td.manual_seed(seed)
    return td.nn.Sequential(td.nn.Linear(8, 32), td.nn.ReLU(), td.nn.Linear(32, 32),
                            td.nn.ReLU(), td.nn.Linear(32, 3))


def _data(td):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 8)).astype(np.float32)
    y = rng.integers(0, 3, 64)
    return td.tensor(x), td.tensor(y)


@pytest.mark.parametrize("optim", ["sgd", "adam"])
def test_mlp_training_on_cuda_matches_cpu(td, optim):
    x, y = _data(td)
    runs = {}
    for device in ("cpu", "cuda"):
        model = _mlp(td, 0).to(device)
        assert all(p.device.type == device for p in model.parameters())
        if optim == "sgd":
            opt = td.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        else:
            opt = td.optim.Adam(model.parameters(), lr=1e-2)
        xd, yd = x.to(device), y.to(device)
        losses = []
        for _ in range(15):
            opt.zero_grad()
            loss = td.nn.functional.cross_entropy(model(xd), yd)
            loss.backward()
            opt.step()
            losses.append(loss.item())
        for st in opt.state.values():  # optimizer state lives beside its parameter
            for v in st.values():
                if isinstance(v, td.Tensor) and v.dim() > 0:
                    assert v.device.type == device
        runs[device] = (losses, [p.detach().cpu().numpy() for p in model.parameters()])
    np.testing.assert_allclose(runs["cuda"][0], runs["cpu"][0], rtol=1e-4, atol=1e-5)
    for g, c in zip(runs["cuda"][1], runs["cpu"][1]):
        np.testing.assert_allclose(g, c, rtol=1e-4, atol=1e-5)


def test_bernoulli_with_p_stays_on_the_device(td):
    x = td.zeros(1000, device="cuda:1")
    b = x.bernoulli(0.25)
    assert str(b.device) == "cuda:1"
    v = b.cpu().numpy()
    assert set(np.unique(v)) <= {0.0, 1.0} and 0.15 < v.mean() < 0.35


def test_module_moves_between_devices(td):
    model = _mlp(td, 1)
    x = td.randn(4, 8)
    want = model(x).tolist()
    model.cuda()
    assert all(str(p.device) == "cuda:0" for p in model.parameters())
    np.testing.assert_allclose(model(x.cuda()).detach().cpu().numpy(), want, rtol=1e-5,
                               atol=1e-6)
    model.to(td.device("cuda", 1))
    assert all(str(p.device) == "cuda:1" for p in model.parameters())
    model.cpu()
    assert all(str(p.device) == "cpu" for p in model.parameters())
    np.testing.assert_allclose(model(x).detach().numpy(), want, rtol=1e-6)
    with pytest.raises(RuntimeError, match="same device"):
        model.cuda()(x).tolist()  # a cpu input to a cuda model


def test_optimizer_made_before_the_move_follows_its_parameters(td):
    model = _mlp(td, 2)
    opt = td.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)  # before .cuda()
    model.cuda()
    loss = model(td.ones(5, 8, device="cuda")).sum()
    loss.backward()
    opt.step()
    buffers = [v for st in opt.state.values() for v in st.values() if isinstance(v, td.Tensor)]
    assert len(buffers) == 6 and all(str(b.device) == "cuda:0" for b in buffers)
    assert all(str(p.grad.device) == "cuda:0" for p in model.parameters())


def test_repr_save_and_load_keep_the_device(td):
    import io
    x = td.arange(3.0, device="cuda:1")
    assert repr(x) == "tensor([0., 1., 2.], device='cuda:1')"
    buf = io.BytesIO()
    td.save({"x": x}, buf)
    buf.seek(0)
    y = td.load(buf)["x"]
    assert str(y.device) == "cuda:1" and y.cpu().tolist() == [0.0, 1.0, 2.0]
    buf.seek(0)
    assert str(td.load(buf, map_location="cpu")["x"].device) == "cpu"
    cpu_model, gpu_model = td.nn.Linear(2, 2), td.nn.Linear(2, 2).cuda()
    cpu_model.load_state_dict(gpu_model.state_dict())  # copies into the cpu parameters
    assert all(str(p.device) == "cpu" for p in cpu_model.parameters())
    assert cpu_model.weight.tolist() == gpu_model.weight.cpu().tolist()


def test_training_memory_is_flat(td):
    x, y = _data(td)
    model = _mlp(td, 0).to("cuda")
    opt = td.optim.Adam(model.parameters(), lr=1e-3)
    xd, target = x.cuda(), td.randn(64, 3, device="cuda")
    seen, raw = {}, {}
    for step in range(1, 1001):
        opt.zero_grad()
        loss = td.nn.functional.mse_loss(model(xd), target)
        loss.backward()
        opt.step()
        if step in (10, 100, 1000):
            seen[step] = td.cuda.memory_allocated()
            stats = device_stats(td.default_session())
            raw[step] = (stats.num_raw_allocs, stats.num_raw_frees)
    # Parameters, gradients and Adam's two buffers per parameter (plus the
    # data): the same bytes at every sync point. (Peaks between sync points
    # depend on how many steps' releases the client has batched, so they are
    # not compared.)
    params = sum(p.numel() * 4 for p in model.parameters())
    assert seen[10] >= 4 * params
    assert seen[10] == seen[100] == seen[1000]
    # Steady state is served from the cache: no driver malloc/free at all
    # between step 100 and step 1000.
    assert raw[100] == raw[1000]


def test_dropout_and_one_hot_make_their_helpers_on_the_inputs_device(td):
    x = td.ones(1000, device="cuda")
    y = td.nn.functional.dropout(x, 0.5, training=True)
    assert str(y.device) == "cuda:0"
    v = y.cpu().numpy()
    assert set(np.unique(v)) <= {0.0, 2.0} and 0.4 < (v == 0).mean() < 0.6
    assert td.nn.functional.dropout(x, 1.0, training=True).cpu().numpy().sum() == 0
    drop = td.nn.Dropout(0.25).to("cuda")
    assert str(drop(x).device) == "cuda:0"
    labels = td.tensor([0, 2, 1], device="cuda")
    oh = td.nn.functional.one_hot(labels, 3)
    assert str(oh.device) == "cuda:0"
    assert oh.cpu().tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 0]]


@pytest.mark.parametrize("device", ["cuda", "cuda:0"])
def test_cpu_scalars_join_cuda_tensors_and_the_result_is_on_cuda(td, device):
    # The client's cached metadata must agree with where the server ran the op.
    c = td.ones(3, device=device)
    s = td.tensor(2.0)
    for r in (s * c, c * s, s + c, td.maximum(s, c), td.where(c > 0, s, c), 2 * c):
        assert str(r.device) == "cuda:0"
        assert r.cpu().tolist() in ([2.0, 2.0, 2.0], [3.0, 3.0, 3.0])
    x = td.randn(2, 3, device=device, requires_grad=True)
    (x * td.tensor(3.0)).sum().backward()
    assert str(x.grad.device) == "cuda:0"
    assert x.grad.cpu().tolist() == [[3.0] * 3] * 2


def test_device_selection_idioms_of_training_scripts(td):
    # What scripts written for PyTorch do before training, unchanged.
    td.backends.cudnn.benchmark = True
    td.backends.cudnn.deterministic = True
    td.backends.cuda.matmul.allow_tf32 = False
    assert td.backends.mps.is_available() is False
    assert td.backends.cuda.is_built() is True
    device = td.device("cuda" if td.cuda.is_available() else "mps" if td.backends.mps.is_available() else "cpu")
    x = td.randn(3, device=device)
    assert (x.is_cuda, x.get_device()) == (True, 0)
    assert td.ones(2, device="cuda:1").get_device() == 1
    assert (x.cpu().is_cuda, x.cpu().get_device()) == (False, -1)
