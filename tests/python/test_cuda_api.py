"""torch.cuda through tensord: the server's devices decide.

These servers run without a usable CUDA device (the CUDA backend does not
run ops yet), so PyTorch's CPU-only behaviour is what a tutorial must see:
is_available() is False, device_count() is 0, seeding and empty_cache are
silently ignored, and anything that needs a device raises a clear error.
"""

import re

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
