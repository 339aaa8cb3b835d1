"""tensord.nn (torch.nn): modules, parameters, functional forms and initialisation.

Modules run their forward pass as server ops like any tensord code; their
parameters are server tensors (nn.Parameter). See tensord.optim for the
optimizers, which update parameters on the server in one command per step.
"""

from . import functional, init, utils  # noqa: F401
from .modules import *  # noqa: F401,F403
from .modules import __all__ as _modules_all
from .parameter import Buffer, Parameter

__all__ = ["Parameter", "Buffer", "functional", "init", "utils"] + list(_modules_all)
