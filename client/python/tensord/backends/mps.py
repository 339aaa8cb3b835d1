"""torch.backends.mps: Apple GPUs; tensord's server offers none."""

__all__ = ["is_available", "is_built"]


def is_available():
    """is_available() -> bool

    False: tensord's devices are the server's CPU and CUDA GPUs.
    """
    return False


def is_built():
    """is_built() -> bool

    False: tensord has no MPS backend.
    """
    return False
