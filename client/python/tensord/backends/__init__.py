"""torch.backends for tensord: the switches training scripts set.

Scripts written for PyTorch set these before training
(``torch.backends.cudnn.benchmark = True``) or read them to pick a device
(``torch.backends.mps.is_available()``). tensord's server has no cuDNN and no
Apple GPU, and it never uses TF32 for float32 matrix products: the flags
exist so such scripts run unchanged, and what they would change is written
next to each one.
"""

from . import cuda, cudnn, mps

__all__ = ["cuda", "cudnn", "mps"]
