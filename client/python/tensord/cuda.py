"""torch.cuda for tensord: the server's GPUs, as that server reports them.

The devices are the server's, not this machine's: ``is_available()`` is true
when the tensord server this process talks to offers a usable ``cuda``
device (ServerInfo lists it), whatever GPUs the client machine has. Code
written as ``device = "cuda" if torch.cuda.is_available() else "cpu"`` does
the right thing either way. Functions that need a device raise PyTorch's
kind of error (``RuntimeError``; PyTorch raises ``AssertionError`` in builds
without CUDA) when the server has none.

Note [Session memory]
  Memory statistics are the session's, not the process's: the server charges
  every device block to the session that allocated it, so
  ``memory_allocated()`` is what this session's tensors (and the autograd
  graphs and optimizer state they keep alive) hold on the device, exactly
  what PyTorch reports for a process that owns the GPU alone.
  ``memory_reserved()`` is the device's caching pool, shared by all sessions
  of the server (what the driver handed out). Every statistic first sends
  the commands issued so far and waits for them, so ``del x`` followed by
  ``memory_allocated()`` sees the memory returned.
"""

import weakref

from ._session import default_session

__all__ = ["is_available", "device_count", "current_device", "get_device_name",
           "get_device_capability", "get_device_properties", "synchronize",
           "manual_seed", "manual_seed_all", "memory_allocated", "max_memory_allocated",
           "memory_reserved", "max_memory_reserved", "reset_peak_memory_stats",
           "reset_max_memory_allocated", "memory_stats", "empty_cache"]


# Per session: (the server's CUDA DeviceInfo messages by index, cuda_status).
# A server's devices do not change while it runs, so one ServerInfo per
# session answers is_available() and friends without a round trip each
# (synchronize() in a timing loop pays only for the sync itself).
_server_devices = weakref.WeakKeyDictionary()


def _devices_and_status():
    s = default_session()
    known = _server_devices.get(s)
    if known is None:
        info = s.server_info()
        known = ([d for d in info.devices if d.name.startswith("cuda")], info.cuda_status)
        _server_devices[s] = known
    return known


def _devices():
    """The server's CUDA devices (DeviceInfo messages), by index."""
    return _devices_and_status()[0]


def _index(device):
    """The device index a torch.cuda ``device`` argument names (None: 0)."""
    if device is None:
        return 0
    if hasattr(device, "type") and hasattr(device, "index"):  # a tensord.device
        if device.type != "cuda":
            raise ValueError("Expected a cuda device, but got: %s" % (device,))
        return device.index or 0
    if isinstance(device, str):
        kind, _, idx = device.partition(":")
        if kind != "cuda":
            raise ValueError("Expected a cuda device, but got: %s" % device)
        return int(idx) if idx else 0
    return int(device)


def _device(device):
    devices, reason = _devices_and_status()
    if not devices:
        raise RuntimeError("the tensord server has no usable CUDA device%s "
                           "(torch.cuda.is_available() is False)" % (": " + reason if reason else ""))
    index = _index(device)
    if not 0 <= index < len(devices):
        raise RuntimeError("CUDA error: invalid device ordinal (the server has %d CUDA device%s)"
                           % (len(devices), "" if len(devices) == 1 else "s"))
    return devices[index]


def is_available():
    """True when the server offers at least one usable CUDA device."""
    return bool(_devices())


def device_count():
    """How many CUDA devices the server offers."""
    return len(_devices())


def current_device():
    """The index of the current device: always 0 (device 0 is ``"cuda"``)."""
    _device(0)
    return 0


def get_device_name(device=None):
    """The device's name, e.g. ``"NVIDIA H100 80GB HBM3"``."""
    return _device(device).description


def get_device_capability(device=None):
    """(major, minor) compute capability, e.g. ``(9, 0)``."""
    major, minor = _device(device).compute_capability.split(".")
    return int(major), int(minor)


class _DeviceProperties:
    """What torch.cuda.get_device_properties returns: name, total_memory, major, minor."""

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
    """Waits until the session's commands so far, and the device work they
    queued, have run (on every device of the session); raises the first
    deferred error."""
    _device(device)
    s = default_session()
    s.synchronize()
    s.device_synchronize()


def manual_seed(seed):
    """Seeds the session's CUDA generator (what random ops on cuda tensors draw
    from); the CPU generator is untouched. Silently ignored when the server
    has no CUDA device, as PyTorch does without one.

    The session's cuda devices share one generator, so this is also
    :func:`manual_seed_all`. ``tensord.manual_seed`` seeds both generators.
    """
    seed = int(seed)
    if not -0x8000_0000_0000_0000 <= seed <= 0xFFFF_FFFF_FFFF_FFFF:
        raise RuntimeError("Overflow when unpacking long")
    if seed < 0:
        seed = 0xFFFF_FFFF_FFFF_FFFF + seed
    if not is_available():
        return
    default_session().manual_seed(seed, "cuda")


def manual_seed_all(seed):
    """Seeds the CUDA generator of every device (see :func:`manual_seed`)."""
    manual_seed(seed)


def _stats(device, reset_peak=False):
    info = _device(device)
    s = default_session()
    s.synchronize()  # the statistics follow every command sent so far
    return s.memory_stats(info.name, reset_peak)


def memory_allocated(device=None):
    """Bytes of device memory this session's tensors occupy (Note [Session memory])."""
    return _stats(device).allocated_bytes


def max_memory_allocated(device=None):
    """The peak of :func:`memory_allocated` since the session began or the last
    :func:`reset_peak_memory_stats`."""
    return _stats(device).peak_allocated_bytes


def memory_reserved(device=None):
    """Bytes the device's caching allocator holds (live + cached blocks, all sessions)."""
    return _stats(device).reserved_bytes


def max_memory_reserved(device=None):
    """The peak of :func:`memory_reserved`."""
    return _stats(device).peak_reserved_bytes


def reset_peak_memory_stats(device=None):
    """Restarts :func:`max_memory_allocated` (and :func:`max_memory_reserved`) from now."""
    _stats(device, reset_peak=True)


reset_max_memory_allocated = reset_peak_memory_stats


def memory_stats(device=None):
    """A dict of the device's statistics in PyTorch's key names (a subset)."""
    st = _stats(device)
    return {
        "allocated_bytes.all.current": st.allocated_bytes,
        "allocated_bytes.all.peak": st.peak_allocated_bytes,
        "reserved_bytes.all.current": st.reserved_bytes,
        "reserved_bytes.all.peak": st.peak_reserved_bytes,
        "num_device_alloc": st.num_raw_allocs,
        "num_device_free": st.num_raw_frees,
    }


def empty_cache():
    """Returns the cached (unused) device memory of the server's devices to the
    driver; live tensors are untouched. A no-op without CUDA, as in PyTorch."""
    if not is_available():
        return
    s = default_session()
    s.synchronize()  # tensors released so far count as unused
    s.empty_cache()
