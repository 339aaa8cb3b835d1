"""torch.device."""

__all__ = ["device"]


class device:
    """A device name: ``device("cpu")``, ``device("cuda:0")``, ``device("cuda", 0)``."""

    __slots__ = ("type", "index")

    def __init__(self, type, index=None):  # noqa: A002 (torch's parameter name)
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if not isinstance(type, str):
            raise TypeError("device() expects a string, got %r" % (type,))
        if ":" in type:
            if index is not None:
                raise ValueError("type (string) must not include an index because index "
                                 "was passed explicitly: " + type)
            type, idx = type.split(":", 1)
            try:
                index = int(idx)
            except ValueError:
                raise RuntimeError("Invalid device string: '%s:%s'" % (type, idx)) from None
        if type not in ("cpu", "cuda"):
            raise RuntimeError("Expected one of cpu, cuda device type at start of device "
                               "string: " + type)
        if index is not None and int(index) < 0:
            raise RuntimeError("Device index must not be negative")
        self.type = type
        self.index = None if index is None else int(index)

    def __str__(self):
        return self.type if self.index is None else "%s:%d" % (self.type, self.index)

    def __repr__(self):
        if self.index is None:
            return "device(type='%s')" % self.type
        return "device(type='%s', index=%d)" % (self.type, self.index)

    def __eq__(self, other):
        if isinstance(other, str):
            try:
                other = device(other)
            except (RuntimeError, ValueError):
                return False
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self):
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (str(self),))


def canonical(d):
    """Device string for the wire ("cpu", "cuda:0") from a device, str or int."""
    if d is None:
        return None
    if isinstance(d, int) and not isinstance(d, bool):
        return "cuda:%d" % d
    return str(device(d))
