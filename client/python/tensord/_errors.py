"""TensordError: a server-side failure raised at a sync point."""

import grpc

__all__ = ["TensordError"]

_CODES = {c.value[0]: c for c in grpc.StatusCode}


def status_code(number):
    """grpc.StatusCode for a numeric google.rpc code (UNKNOWN if unheard of)."""
    return _CODES.get(int(number), grpc.StatusCode.UNKNOWN)


class TensordError(RuntimeError):
    """A command failed on the server.

    Attributes:
      code: grpc.StatusCode (INVALID_ARGUMENT for shape/dtype errors, ...).
      op: the op or command that failed ("matmul", "backward", "create", ...).
      site: "file.py:LINE" of the user code that issued it ("" if unknown).
      poisoned: True when the command failed only because an input was
        poisoned by an earlier failure (the message is that original error).
    """

    def __init__(self, message, code=grpc.StatusCode.UNKNOWN, op="", site="", poisoned=False):
        super().__init__(message)
        self.code = code
        self.op = op
        self.site = site
        self.poisoned = poisoned

    @classmethod
    def from_result(cls, result, op, site):
        msg = result.message or status_code(result.code).name
        if op and not msg.startswith("["):
            msg = "[%s] %s" % (op, msg)
        if site and "(at " not in msg:
            msg += " (at %s)" % site
        return cls(msg, status_code(result.code), op, site, bool(result.poisoned))

    @classmethod
    def from_rpc_error(cls, err, op="", site=""):
        code = err.code() if hasattr(err, "code") else grpc.StatusCode.UNKNOWN
        details = err.details() if hasattr(err, "details") else str(err)
        msg = details or (code.name if code else "RPC failed")
        if op and not msg.startswith("["):
            msg = "[%s] %s" % (op, msg)
        if site and "(at " not in msg:
            msg += " (at %s)" % site
        return cls(msg, code, op, site)
