"""tensord.optim (torch.optim): SGD, Adam, AdamW and lr schedulers.

Each step() is one fused in-place command per parameter group on the
server (Note [Fused optimizer steps] in optimizer.py): no round trip.
"""

from . import lr_scheduler  # noqa: F401
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "lr_scheduler"]
