"""torch.backends.cudnn: tensord's server does not use cuDNN.

``enabled``, ``benchmark`` and ``deterministic`` may be set as in PyTorch;
they change nothing: tensord's CUDA kernels are its own (and a run's results
do not depend on autotuning). ``is_available()`` is False.
"""

__all__ = ["is_available", "version", "enabled", "benchmark", "deterministic", "allow_tf32"]

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


def is_available():
    """is_available() -> bool

    False: tensord's server runs no cuDNN kernels.
    """
    return False


def version():
    """version() -> None

    None, as PyTorch returns without cuDNN.
    """
    return None
