"""Grad mode: torch.no_grad / enable_grad / set_grad_enabled / is_grad_enabled.

Grad mode is client state (per thread, as in PyTorch); every op carries it
(OpCommand.no_grad) so the server records no graph under no_grad().
"""

import functools
import threading

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled"]

_state = threading.local()


def is_grad_enabled():
    """is_grad_enabled() -> bool

    True unless inside ``no_grad()`` (or ``set_grad_enabled(False)``)."""
    return getattr(_state, "enabled", True)


def _set(enabled):
    _state.enabled = bool(enabled)


class _DecoratorContextManager:
    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_DecoratorContextManager):
    """Context manager and decorator that disables gradient recording."""

    def __enter__(self):
        self._prev = is_grad_enabled()
        _set(False)

    def __exit__(self, *exc):
        _set(self._prev)
        return False


class enable_grad(_DecoratorContextManager):
    """Context manager and decorator that enables gradient recording."""

    def __enter__(self):
        self._prev = is_grad_enabled()
        _set(True)

    def __exit__(self, *exc):
        _set(self._prev)
        return False


class set_grad_enabled(_DecoratorContextManager):
    """Sets grad mode; usable as a function, context manager, or decorator."""

    def __init__(self, mode):
        self._prev = is_grad_enabled()
        self._mode = bool(mode)
        _set(self._mode)

    def __call__(self, fn):
        _set(self._prev)  # used as a decorator: undo the eager set
        mode = self._mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper

    def __enter__(self):
        pass

    def __exit__(self, *exc):
        _set(self._prev)
        return False
