"""torch.backends.cuda: the switches of CUDA matrix products.

tensord's server computes float32 matrix products in full float32 on the
GPU (cuBLAS without TF32, PyTorch's default). ``matmul.allow_tf32`` may be
set to True as in PyTorch, but the server keeps full precision: results are
then more precise than PyTorch's TF32 ones, and no faster.
"""

from .. import cuda as _cuda

__all__ = ["matmul", "is_built"]


class _Matmul:
    """torch.backends.cuda.matmul: ``allow_tf32``, ``allow_fp16_reduced_precision_reduction``."""

    def __init__(self):
        self.allow_tf32 = False
        self.allow_fp16_reduced_precision_reduction = True
        self.allow_bf16_reduced_precision_reduction = True


matmul = _Matmul()


def is_built():
    """is_built() -> bool

    True when the tensord server this process talks to offers a cuda device
    (the backend is the server's, not this machine's).
    """
    return _cuda.is_available()
