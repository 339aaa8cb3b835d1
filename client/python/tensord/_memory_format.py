"""torch.memory_format: the layouts tensord has (no channels_last)."""


class memory_format:
    """A memory layout request (torch.preserve_format, torch.contiguous_format)."""

    __slots__ = ("_name",)

    def __init__(self, name):
        self._name = name

    def __repr__(self):
        return "torch." + self._name

    def __reduce__(self):
        return self._name


preserve_format = memory_format("preserve_format")
contiguous_format = memory_format("contiguous_format")


def wire_name(fmt, default=preserve_format):
    """The server's name for ``fmt`` (None: ``default``); TypeError for other layouts."""
    fmt = default if fmt is None else fmt
    if fmt is preserve_format or fmt is contiguous_format:
        return fmt._name
    raise TypeError("tensord supports memory_format torch.preserve_format and "
                    "torch.contiguous_format only, not %r" % (fmt,))
