"""torch.cuda for tensord: the server's GPUs, as that server reports them.

The devices are the server's, not this machine's: ``is_available()`` is true
when the tensord server this process talks to offers a usable ``cuda``
device (ServerInfo lists it), whatever GPUs the client machine has. Code
written as ``device = "cuda" if torch.cuda.is_available() else "cpu"`` does
the right thing either way. Functions that need a device raise PyTorch's
kind of error (``RuntimeError``; PyTorch raises ``AssertionError`` in builds
without CUDA) when the server has none.
"""

from ._session import default_session

__all__ = ["is_available", "device_count", "current_device", "get_device_name",
           "get_device_capability", "get_device_properties", "synchronize",
           "manual_seed", "manual_seed_all", "memory_allocated", "max_memory_allocated",
           "empty_cache"]


def _devices():
    """The server's CUDA devices (DeviceInfo messages), by index."""
    info = default_session().server_info()
    return [d for d in info.devices if d.name.startswith("cuda")]


def _device(index):
    devices = _devices()
    if not devices:
        reason = default_session().server_info().cuda_status
        raise RuntimeError("the tensord server has no usable CUDA device%s "
                           "(torch.cuda.is_available() is False)" % (": " + reason if reason else ""))
    if index is None:
        index = 0
    if hasattr(index, "index"):  # a torch.device
        index = index.index or 0
    if isinstance(index, str):
        index = int(index.split(":")[1]) if ":" in index else 0
    if not 0 <= index < len(devices):
        raise RuntimeError("CUDA error: invalid device ordinal (the server has %d CUDA device%s)"
                           % (len(devices), "" if len(devices) == 1 else "s"))
    return devices[index]


def is_available():
    """True when the server offers at least one usable CUDA device."""
    return bool(_devices())


def device_count():
    return len(_devices())


def current_device():
    _device(0)
    return 0


def get_device_name(device=None):
    return _device(device).description


def get_device_capability(device=None):
    major, minor = _device(device).compute_capability.split(".")
    return int(major), int(minor)


class _DeviceProperties:
    def __init__(self, info):
        self.name = info.description
        self.total_memory = info.total_memory
        self.major, self.minor = (int(v) for v in info.compute_capability.split("."))

    def __repr__(self):
        return ("_CudaDeviceProperties(name='%s', major=%d, minor=%d, total_memory=%dMB)"
                % (self.name, self.major, self.minor, self.total_memory >> 20))


def get_device_properties(device=None):
    return _DeviceProperties(_device(device))


def synchronize(device=None):
    """Waits for the session's queued work (on every device) to finish."""
    _device(device)
    default_session().synchronize()


def manual_seed(seed):
    """Like PyTorch: silently ignored when there is no CUDA device."""
    if is_available():
        raise NotImplementedError("CUDA generators are not implemented by this tensord server yet")


manual_seed_all = manual_seed


def memory_allocated(device=None):
    _device(device)
    raise NotImplementedError("per-device memory statistics are not reported by this tensord server yet")


def max_memory_allocated(device=None):
    return memory_allocated(device)


def empty_cache():
    """Returns cached device memory to the driver; a no-op without CUDA, as in PyTorch."""
    if is_available():
        raise NotImplementedError("empty_cache is not implemented by this tensord server yet")
