"""nn.Parameter: a Tensor that a Module registers as one of its parameters."""

from .._grad_mode import no_grad
from .._tensor import Tensor, run1

__all__ = ["Parameter", "Buffer"]


class Parameter(Tensor):
    """A leaf tensor that requires grad (by default) and that Modules collect.

    ``Parameter(t)`` aliases t's storage on the server, as in PyTorch (it is
    t.detach() with requires_grad set); ``Parameter()`` is an empty float32
    tensor.
    """

    __slots__ = ()

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            from .._functions import empty
            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError("Parameter data must be a Tensor, got %s" % type(data).__name__)
        with no_grad():
            alias = run1("detach", [data])
        alias._shape, alias._dtype, alias._device = data._shape, data._dtype, data._device
        alias._contig = data._contig
        self = cls._wrap(alias._session, alias._handle, alias._shape, alias._dtype,
                         alias._device, alias._contig)
        alias._session = None  # self owns the handle now
        self._set_ag(False, True, "")
        if requires_grad:
            self.requires_grad_(True)
        return self

    def __init__(self, data=None, requires_grad=True):
        pass

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def _deepcopy_new(self, data, requires_grad):
        return Parameter(data, requires_grad)

    def __reduce_ex__(self, proto):
        raise TypeError("tensord Parameters live on a server and cannot be pickled; use "
                        "module.state_dict() and tensor.numpy()")


Parameter.__module__ = "tensord.nn"


class Buffer:
    """Marks a tensor to register as a buffer when assigned to a Module attribute."""

    def __init__(self, data, persistent=True):
        self.data = data
        self.persistent = persistent
