"""The module classes of tensord.nn."""

from .activation import (ELU, GELU, Hardtanh, LeakyReLU, LogSigmoid, LogSoftmax, ReLU, ReLU6,
                         SiLU, Sigmoid, Softmax, Softmin, Softplus, Tanh)
from .container import ModuleDict, ModuleList, Sequential
from .dropout import Dropout
from .flatten import Flatten, Unflatten
from .linear import Identity, Linear
from .loss import (BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, HuberLoss, L1Loss, MSELoss,
                   NLLLoss, SmoothL1Loss)
from .module import Module

__all__ = [
    "Module", "Linear", "Identity", "Sequential", "ModuleList", "ModuleDict", "ReLU", "ReLU6",
    "LeakyReLU", "ELU", "Hardtanh", "Sigmoid", "Tanh", "GELU", "SiLU", "Softplus",
    "LogSigmoid", "Softmax", "LogSoftmax", "Softmin", "Dropout", "Flatten", "Unflatten",
    "L1Loss", "MSELoss", "HuberLoss", "SmoothL1Loss", "NLLLoss", "CrossEntropyLoss", "BCELoss",
    "BCEWithLogitsLoss",
]
