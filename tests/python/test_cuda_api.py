"""torch.cuda through tensord: the server's devices decide.

Against the suite's server, whatever it has. Without a usable CUDA device
(no GPU, or a build without CUDA) PyTorch's CPU-only behaviour is what a
tutorial must see: is_available() is False, device_count() is 0, seeding and
empty_cache are silently ignored, and anything that needs a device raises a
clear error. With a GPU (run the suite on a GPU machine), the `gpu` tests
check the real device end to end; they skip on servers without one.
test_cuda_emulated.py runs the same paths on emulated devices everywhere.
"""

import re

import numpy as np
import pytest


def test_availability_comes_from_the_server(td):
    info = td.default_session().server_info()
    cuda = [d for d in info.devices if d.name.startswith("cuda")]
    assert td.cuda.is_available() == bool(cuda)
    assert td.cuda.device_count() == len(cuda)


def test_cpu_only_server_behaves_like_cpu_only_pytorch(td):
    if td.cuda.is_available():
        pytest.skip("this server has a CUDA device")
    assert td.cuda.is_available() is False
    assert td.cuda.device_count() == 0
    td.cuda.manual_seed(0)       # ignored, as PyTorch does without CUDA
    td.cuda.manual_seed_all(0)
    td.cuda.empty_cache()
    reason = td.default_session().server_info().cuda_status
    assert reason  # the server says why it offers no cuda device
    for call in (td.cuda.current_device, td.cuda.get_device_name, td.cuda.memory_allocated,
                 td.cuda.synchronize, td.cuda.get_device_properties):
        with pytest.raises(RuntimeError, match="no usable CUDA device: " + re.escape(reason)):
            call()


def test_tutorial_device_idiom_picks_cpu(td):
    device = "cuda" if td.cuda.is_available() else "cpu"
    x = td.ones(2, 3, device=device)
    assert x.device.type == device
    assert (x * 2).sum().item() == 12.0


def test_moving_a_tensor_to_a_missing_gpu_says_why(td):
    if td.cuda.is_available():
        pytest.skip("this server has a CUDA device")
    x = td.ones(2)
    with pytest.raises(Exception, match="cuda"):
        x.to("cuda").tolist()
    assert x.tolist() == [1.0, 1.0]  # the session goes on


# ---------------------------------------------------------------- a real GPU

@pytest.fixture
def gpu(td):
    if not td.cuda.is_available():
        pytest.skip("the server has no CUDA device: %s"
                    % td.default_session().server_info().cuda_status)
    return td


def test_gpu_properties_are_the_devices(gpu):
    td = gpu
    props = td.cuda.get_device_properties(0)
    assert props.total_memory > 1 << 30
    assert (props.major, props.minor) == td.cuda.get_device_capability(0)
    assert props.major >= 5
    assert props.name == td.cuda.get_device_name()


@pytest.mark.parametrize("dtype", ["float32", "bfloat16", "float16", "int64", "bool"])
def test_gpu_round_trip(gpu, dtype):
    td = gpu
    d = getattr(td, dtype)
    x = td.arange(-50, 50).reshape(10, 10).to(d)
    y = x.cuda()
    assert y.is_cuda and y.dtype is d
    assert y.cpu().tolist() == x.tolist()


def test_gpu_matmul_matches_cpu(gpu):
    td = gpu
    rng = np.random.default_rng(0)
    a = rng.standard_normal((129, 257)).astype(np.float32)
    b = rng.standard_normal((257, 65)).astype(np.float32)
    got = (td.tensor(a, device="cuda") @ td.tensor(b, device="cuda")).cpu().numpy()
    # TF32 is off by default, as in PyTorch: float32 results stay close.
    np.testing.assert_allclose(got, a @ b, rtol=1e-4, atol=1e-4)


def test_gpu_memory_statistics(gpu):
    td = gpu
    base = td.cuda.memory_allocated()
    x = td.zeros(1 << 20, device="cuda")  # 4 MiB
    assert td.cuda.memory_allocated() == base + (4 << 20)
    assert td.cuda.memory_reserved() >= td.cuda.memory_allocated()
    del x
    td.cuda.synchronize()
    assert td.cuda.memory_allocated() == base
    assert td.cuda.max_memory_allocated() >= base + (4 << 20)
    td.cuda.empty_cache()


def test_gpu_training_step_matches_cpu(gpu):
    td = gpu
    rng = np.random.default_rng(1)
    x = td.tensor(rng.standard_normal((32, 16)).astype(np.float32))
    y = td.tensor(rng.integers(0, 4, 32))
    results = {}
    for device in ("cpu", "cuda"):
        td.manual_seed(0)
        model = td.nn.Sequential(td.nn.Linear(16, 64), td.nn.ReLU(),
                                 td.nn.Linear(64, 4)).to(device)
        opt = td.optim.Adam(model.parameters(), lr=1e-2)
        for _ in range(5):
            opt.zero_grad()
            loss = td.nn.functional.cross_entropy(model(x.to(device)), y.to(device))
            loss.backward()
            opt.step()
        results[device] = loss.item()
    assert results["cuda"] == pytest.approx(results["cpu"], rel=1e-4, abs=1e-5)


def test_backends_switches_exist_and_report_no_cudnn_or_mps(td):
    assert td.backends.cudnn.is_available() is False
    assert td.backends.cudnn.version() is None
    assert td.backends.mps.is_available() is False and td.backends.mps.is_built() is False
    assert td.backends.cuda.is_built() == td.cuda.is_available()
    assert td.tensor([1.0]).get_device() == -1
