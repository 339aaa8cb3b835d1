"""TensordError: a server-side failure raised at a sync point, and StatusCode."""

import enum

__all__ = ["TensordError", "StatusCode"]


class StatusCode(enum.Enum):
    """gRPC status codes (the numbers of google.rpc.Code), as grpc.StatusCode names them.

    A member also compares equal to grpc.StatusCode's member of the same name,
    so code written against the grpcio-based client keeps working.
    """

    OK = 0
    CANCELLED = 1
    UNKNOWN = 2
    INVALID_ARGUMENT = 3
    DEADLINE_EXCEEDED = 4
    NOT_FOUND = 5
    ALREADY_EXISTS = 6
    PERMISSION_DENIED = 7
    RESOURCE_EXHAUSTED = 8
    FAILED_PRECONDITION = 9
    ABORTED = 10
    OUT_OF_RANGE = 11
    UNIMPLEMENTED = 12
    INTERNAL = 13
    UNAVAILABLE = 14
    DATA_LOSS = 15
    UNAUTHENTICATED = 16

    def __eq__(self, other):
        if isinstance(other, StatusCode):
            return self is other
        if type(other).__name__ == "StatusCode":  # grpc.StatusCode
            return getattr(other, "name", None) == self.name
        return NotImplemented

    def __hash__(self):
        return hash(self.name)


def status_code(number):
    """StatusCode for a numeric google.rpc code (UNKNOWN if unheard of)."""
    try:
        return StatusCode(int(number))
    except ValueError:
        return StatusCode.UNKNOWN


class TensordError(RuntimeError):
    """A command failed on the server (or the server could not be reached).

    Where PyTorch raises another built-in type for the same mistake, the
    error is also an instance of it (IndexError for an index or dimension
    out of range, NotImplementedError for what the server does not
    implement), while staying a TensordError and a RuntimeError.

    Attributes:
      code: StatusCode (INVALID_ARGUMENT for shape/dtype errors, ...).
      op: the op or command that failed ("matmul", "backward", "create", ...).
      site: "file.py:LINE" of the user code that issued it ("" if unknown).
      poisoned: True when the command failed only because an input was
        poisoned by an earlier failure (the message is that original error).
      others: the further errors of the same window of pipelined commands.
    """

    def __init__(self, message, code=StatusCode.UNKNOWN, op="", site="", poisoned=False):
        super().__init__(message)
        self.code = code
        self.op = op
        self.site = site
        self.poisoned = poisoned
        self.others = []


class TensordIndexError(TensordError, IndexError):
    """A TensordError that PyTorch raises as IndexError."""


class TensordNotImplementedError(TensordError, NotImplementedError):
    """A TensordError that PyTorch raises as NotImplementedError."""


# PyTorch's IndexError messages (c10's TORCH_CHECK_INDEX and wrap_dim).
_INDEX_PHRASES = ("out of bounds for dimension", "Dimension out of range", "index out of range")


def _error_class(code, message):
    if code is StatusCode.OUT_OF_RANGE or any(p in message for p in _INDEX_PHRASES):
        return TensordIndexError
    if code is StatusCode.UNIMPLEMENTED:
        return TensordNotImplementedError
    return TensordError


def make_error(code, message, op="", site="", poisoned=False):
    """The exception for a failure the client core reports (its factory)."""
    code = status_code(code)
    msg = message or code.name
    if op and not msg.startswith("["):
        msg = "[%s] %s" % (op, msg)
    if site and "(at " not in msg:
        msg += " (at %s)" % site
    return _error_class(code, message)(msg, code, op, site, bool(poisoned))
