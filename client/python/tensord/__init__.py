"""tensord: PyTorch's tensor API, computed on a tensord server.

    import tensord as torch
    x = torch.tensor([1., 2., 3.], requires_grad=True)
    (x * x).sum().backward()
    print(x.grad)            # tensor([2., 4., 6.])

The server address comes from ``tensord.connect(address)`` or
$TENSORD_ADDRESS (default localhost:50051). Operations are pipelined: they are
sent without waiting, and errors surface at the next point where the program
needs a value (printing, .item(), .tolist(), .numpy(), shape queries, .grad,
tensord.synchronize()) as a TensordError naming the op and the source line.
Set TENSORD_BLOCKING=1 to make every operation wait (errors at their line).

Differences from PyTorch: tensors live on the server, so ``from_numpy`` and
``numpy()`` copy; there is no memory sharing with NumPy.
"""

from . import _dtype as _dt
from ._device import device
from ._errors import StatusCode, TensordError
from ._format import set_printoptions
from ._functions import *  # noqa: F401,F403 - the torch.* functions (see its __all__)
from ._functions import default_generator  # noqa: F401
from ._memory_format import contiguous_format, memory_format, preserve_format
from ._grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from ._session import Session, connect, default_session, synchronize
from ._size import Size
from ._tensor import Tensor
from . import _functions  # noqa: E402
from . import autograd  # noqa: E402
from . import random  # noqa: E402
from . import return_types  # noqa: E402
from . import nn  # noqa: E402
from . import optim  # noqa: E402
from . import viz  # noqa: E402
from . import cuda  # noqa: E402
from . import backends  # noqa: E402
from .serialization import load, save  # noqa: E402

__version__ = "0.1.0"

dtype = _dt.dtype
float32 = _dt.float32
float64 = _dt.float64
float16 = _dt.float16
bfloat16 = _dt.bfloat16
uint8 = _dt.uint8
int8 = _dt.int8
int16 = _dt.int16
int32 = _dt.int32
int64 = _dt.int64
half = float16
double = float64
long = int64
short = int16
# These shadow builtins inside this module only (as in torch); keep them last.
float = float32  # noqa: A001
int = int32  # noqa: A001
bool = _dt.bool_  # noqa: A001


__all__ = [
    "Tensor", "Size", "device", "dtype", "TensordError", "StatusCode", "Session", "connect",
    "default_session", "synchronize", "no_grad", "enable_grad", "set_grad_enabled",
    "is_grad_enabled", "set_printoptions", "autograd", "random", "nn", "optim", "return_types",
    "viz", "cuda", "save", "load", "memory_format", "preserve_format", "contiguous_format",
    "float32", "float64", "float16", "bfloat16", "uint8", "int8", "int16", "int32", "int64",
    "half", "double", "long", "short", "float", "int", "bool",
] + list(_functions.__all__)
