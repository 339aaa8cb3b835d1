"""Session: one tensord session, a thin Python face of the C++ client core.

The protocol lives in the core (client/cpp, bound as ``tensord._core``):
the session, the pipelined command stream, batching, client-assigned
handles and their release, poisoning and call-site errors (Note [Pipelining
and sync points] in client/cpp/include/tensord/tensord.h). This module adds
what is Python's: the default session, connection settings from the
environment, the keep-alive thread, blocking mode, and raising an error
still pending when the interpreter exits.

Note [Handle release]
  A Tensor holds a ``_core.Handle``; when the last reference to it dies the
  core queues the release into the current batch (no I/O, safe from the
  garbage collector in any thread).

Note [Errors at exit]
  Errors of pipelined commands surface at the next sync point. A script
  whose last commands failed has no next sync point, so at exit every open
  session is synchronized: a pending error is printed like an uncaught
  exception and the process exits with status 1.
"""

import atexit
import os
import secrets
import sys
import threading
import traceback
import types
import weakref

from . import _core
from . import _dtype
from ._errors import StatusCode, TensordError, make_error

__all__ = ["Session", "connect", "default_session", "synchronize", "DEFAULT_ADDRESS"]

DEFAULT_ADDRESS = "localhost:50051"
INLINE_LIMIT = 4 << 20     # tensors above this are fetched with the chunked Fetch RPC

_PKG_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_core._configure(make_error, types.SimpleNamespace, _dtype.dtype, _PKG_DIR,
                 threading.main_thread().ident)


def _env_flag(name):
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


class OpInfo:
    """What the client needs from one OpSchema of ListOps."""

    __slots__ = ("name", "num_outputs", "inplace", "attr_types", "input_names", "differentiable")

    def __init__(self, schema):
        self.name = schema.name
        self.num_outputs = schema.num_outputs
        self.inplace = schema.inplace
        self.differentiable = schema.differentiable
        self.attr_types = {a.name: a.type for a in schema.attrs}
        self.input_names = [i.name for i in schema.inputs]


class Session:
    """A tensord session: its own tensors, random generator and command stream.

    Most code uses the default session implicitly (created on first use from
    $TENSORD_ADDRESS, default localhost:50051) or ``tensord.connect(address)``.
    Tensors belong to the session that created them.

    Args:
      address: "host:port" or "unix:/path/to.sock"; default $TENSORD_ADDRESS.
      token: bearer token; default $TENSORD_TOKEN.
      tls, tls_ca_file, tls_cert_file, tls_key_file, tls_server_name: TLS
        (on when ``tls`` or any file is given); default $TENSORD_TLS,
        $TENSORD_TLS_CA, $TENSORD_TLS_CERT, $TENSORD_TLS_KEY,
        $TENSORD_TLS_SERVER_NAME.
      session_id: proposed id (32 lowercase hex); random by default.
      idle_ttl_seconds: server-side idle TTL (0 = server default).
      keepalive: refresh the TTL from a background thread while this process
        holds the session (so an idle REPL does not lose its tensors).
      blocking: make every command a sync point (errors raise at the line
        that caused them, at the cost of a round trip per command); default
        from $TENSORD_BLOCKING.
      timeout: seconds to connect, and about how long a wait may last once
        the server stops answering (frozen or gone) before it fails.
    """

    def __init__(self, address=None, *, token=None, tls=False, tls_ca_file=None,
                 tls_cert_file=None, tls_key_file=None, tls_server_name=None, session_id=None,
                 idle_ttl_seconds=0, keepalive=True, blocking=None, max_batch_commands=1024,
                 max_batch_bytes=1 << 20, timeout=30.0):
        self.address = address or os.environ.get("TENSORD_ADDRESS") or DEFAULT_ADDRESS
        # What a replacement session needs (default_session() after a restart).
        self._options = dict(token=token, tls=tls, tls_ca_file=tls_ca_file,
                             tls_cert_file=tls_cert_file, tls_key_file=tls_key_file,
                             tls_server_name=tls_server_name, idle_ttl_seconds=idle_ttl_seconds,
                             keepalive=keepalive, blocking=blocking,
                             max_batch_commands=max_batch_commands,
                             max_batch_bytes=max_batch_bytes, timeout=timeout)
        self.blocking = _env_flag("TENSORD_BLOCKING") if blocking is None else bool(blocking)
        self.timeout = float(timeout)
        self._ops = None
        self.epoch = 0                 # bumped by in-place ops: invalidates cached autograd meta
        self._stop = threading.Event()
        self._core = None
        # A server that stops answering fails a wait after keepalive + its timeout.
        keepalive_timeout = max(1.0, self.timeout / 4)
        try:
            self._core = _core.Session.open(
                self.address, token or "", bool(tls), tls_ca_file or "", tls_cert_file or "",
                tls_key_file or "", tls_server_name or "", session_id or secrets.token_hex(16),
                int(idle_ttl_seconds), self.timeout, max(10.0, self.timeout - keepalive_timeout),
                keepalive_timeout, int(max_batch_commands), int(max_batch_bytes))
        except TensordError as e:
            if e.code in (StatusCode.UNAVAILABLE, StatusCode.DEADLINE_EXCEEDED):
                raise TensordError(
                    "cannot reach the tensord server at %s (is it running? the address comes "
                    "from tensord.connect(...) or $TENSORD_ADDRESS): %s"
                    % (self.address, e), e.code, "connect") from None
            raise
        self.id = self._core.id
        info = self._core.keep_alive(self.timeout)
        self.idle_ttl_seconds = info.idle_ttl_seconds
        self.instance = info.instance        # the daemon holding the session (pod name)
        self.instance_id = info.instance_id  # that daemon's run, "NAME/RANDOM"
        _live_sessions.add(self)
        if keepalive and self.idle_ttl_seconds:
            t = threading.Thread(target=_keepalive_loop, args=(weakref.ref(self), self._stop,
                                 max(1.0, self.idle_ttl_seconds / 3.0)),
                                 name="tensord-keepalive", daemon=True)
            t.start()

    # ------------------------------------------------------------ public API

    def __repr__(self):
        state = "closed" if self.closed else "open"
        return "<tensord.Session %s at %s (%s)>" % (self.id, self.address, state)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    @property
    def closed(self):
        return self._core is None or self._core.closed

    @property
    def gone(self):
        """True once the server was found to have lost this session (it restarted)."""
        return self._core is not None and self._core.gone

    @property
    def stats(self):
        """Counters of the command stream: batches, commands, round_trips, uploads, ..."""
        return self._core.stats

    def synchronize(self):
        """Sends buffered commands, waits for them, raises any deferred error."""
        self._check_usable()
        self._core.sync()

    sync = synchronize

    def info(self):
        """SessionInfo from KeepAlive (bound tensors, bytes, ttl); flushes first."""
        self.synchronize()
        return self._core.keep_alive(self.timeout)

    def server_info(self):
        return self._core.server_info(self.timeout)

    def list_ops(self):
        """The server's op registry: {name: OpInfo} (fetched once per session)."""
        if self._ops is None:
            try:
                resp = self._core.list_ops(self.timeout)
                self._ops = {s.name: OpInfo(s) for s in resp.ops}
            except TensordError as e:
                if e.code != StatusCode.UNIMPLEMENTED:
                    raise
                self._ops = {}
        return self._ops

    def op_info(self, name):
        return self.list_ops().get(name)

    def close(self):
        """Closes the session on the server (frees all its tensors) and the channel."""
        if self._core is None or self._core.closed:
            return
        self._stop.set()
        self._core.close()
        _live_sessions.discard(self)

    # ------------------------------------------------------------ commands

    def op(self, name, inputs, attrs, grad_enabled):
        """Queues op ``name``; returns its output handles (run_op calls the core directly)."""
        outs = self._core.op(name, inputs, attrs, grad_enabled)
        if self.blocking:
            self._core.sync()
        return outs

    def create(self, payload, d, shape, requires_grad, device):
        """A handle bound to little-endian row-major ``payload`` (any buffer)."""
        self._check_usable()
        h = self._core.create(payload, d.wire, list(shape), bool(requires_grad), device or "")
        if self.blocking:
            self._core.sync()
        return h

    def manual_seed(self, seed, device=""):
        self._check_usable()
        self._core.manual_seed(seed, device)

    def backward(self, roots, grads, retain_graph, create_graph):
        self._check_usable()
        self._core.backward(roots, grads, bool(retain_graph), bool(create_graph))
        if self.blocking:
            self._core.sync()

    def grad(self, outputs, inputs, grad_outputs, retain_graph, create_graph, allow_unused):
        self._check_usable()
        return self._core.grad(outputs, inputs, grad_outputs, bool(retain_graph),
                               bool(create_graph), bool(allow_unused))

    def describe(self, handles, op=""):
        """TensorInfo of each handle, in one round trip (a sync point)."""
        self._check_usable()
        return self._core.query(["describe"] * len(handles), list(handles), op)

    def query(self, kinds, handles, op=""):
        """Describe/fetch commands in one round trip: infos and (dtype, shape, bytes)."""
        self._check_usable()
        return self._core.query(list(kinds), list(handles), op)

    def fetch(self, handle):
        """(dtype, shape, uint8 array) of a tensor; streamed when large (a sync point)."""
        self._check_usable()
        wire, shape, data = self._core.fetch(handle)
        return _dtype.from_wire(wire), shape, data

    def graph(self, handles, leaves, saved_tensors, attributes):
        self._check_usable()
        return self._core.graph(list(handles), list(leaves), bool(saved_tensors),
                                bool(attributes))

    def memory_stats(self, device, reset_peak=False):
        return self._core.memory_stats(device, bool(reset_peak), self.timeout)

    def empty_cache(self):
        self._core.empty_cache(self.timeout)

    def device_synchronize(self):
        self._core.device_synchronize(0)

    # ------------------------------------------------------------ internals

    def _check_usable(self):
        if self.closed:
            raise TensordError("this tensord session is closed", StatusCode.FAILED_PRECONDITION,
                               "session")


def _keepalive_loop(ref, stop, period):
    while not stop.wait(period):
        s = ref()
        if s is None or s.closed:
            return
        try:
            s._core.keep_alive(10.0)
        except Exception:  # noqa: BLE001 - best effort; a real error surfaces at the next call
            pass
        del s


_live_sessions = weakref.WeakSet()
_default = None
_default_lock = threading.Lock()


def default_session():
    """default_session() -> Session

    The session used by module-level functions (created on first use; after
    the server lost it, e.g. by restarting, a new one on the same server)."""
    global _default
    s = _default
    if s is None or s.closed or s.gone:
        with _default_lock:
            if _default is None or _default.closed:
                _default = Session()
            elif _default.gone:
                _default = Session(_default.address, **_default._options)
            s = _default
    return s


def connect(address=None, **kwargs):
    """connect(address=None, **kwargs) -> Session

    Opens a session and makes it the default for module-level functions.

    ``address`` is "host:port" or "unix:/path"; default $TENSORD_ADDRESS or
    localhost:50051. Keyword arguments are Session's (token, TLS files,
    timeout, ...). Returns the Session (usable as a context manager).
    """
    global _default
    s = Session(address, **kwargs)
    with _default_lock:
        _default = s
    return s


def synchronize():
    """synchronize() -> None

    Waits for all commands sent so far; raises the first deferred error."""
    s = _default
    if s is not None and not s.closed:
        s.synchronize()


def _close_all():
    for s in list(_live_sessions):
        try:
            s.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass


@atexit.register
def _at_exit():
    """Note [Errors at exit]: raise what is still pending, then close everything."""
    failed = False
    for s in list(_live_sessions):
        if s.closed or s.gone:
            continue
        try:
            s.synchronize()
        except TensordError as e:
            failed = True
            sys.stderr.write("tensord: an error was still pending when the program ended:\n")
            traceback.print_exception(type(e), e, None, file=sys.stderr)
        except BaseException:  # noqa: BLE001 - e.g. Ctrl-C at exit: just close
            pass
    _close_all()
    if failed:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(1)
