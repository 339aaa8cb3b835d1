"""tensord.random (torch.random): manual_seed, seed, initial_seed."""

from ._functions import initial_seed, manual_seed, seed

__all__ = ["manual_seed", "seed", "initial_seed"]
