"""Session: one tensord session over one gRPC channel, pipelined on the Stream RPC.

Note [Pipelining]
  Commands (create, op, backward, release, manual_seed) are appended to a
  buffer and sent as one StreamRequest batch at a *sync point* -- a fetch
  (repr, item, tolist, numpy), a Describe (shape/dtype/grad_fn queries that
  are not cached, .grad), or synchronize() -- with reply=true, after which the
  client waits for that batch's response. The buffer is also sent, without
  waiting (reply=false), whenever it holds max_batch_commands commands or
  max_batch_bytes bytes of inline data. Output handles are assigned here
  (a counter), so a command can use an output of an earlier, unsent one.

Note [Deferred errors]
  A failing command poisons its outputs on the server (proto: Note [Ordering
  and poisoning]); the client learns of it from the batch responses and
  raises a TensordError at the next sync point, naming the op and the user's
  source line ("site") that issued it. Of the errors of one window, the first
  one that is not a mere consequence of an earlier failure (poisoned=false) is
  raised; the rest are attached as ``.others``. The error list is then
  cleared: the session stays usable (only the poisoned handles are dead).
  Errors belong to the thread that issued the failing command: a sync point
  raises only its own thread's errors (a thread that reads a tensor poisoned
  by another thread gets its own, poisoned, error with the original message).

Note [Handle release]
  Tensor.__del__ only appends its handle to a list (it may run inside the
  garbage collector, in any thread, even while this session's lock is held).
  The list is turned into one ReleaseCommand at the end of the next batch,
  after every command that could still use those handles.
"""

import atexit
import itertools
import os
import secrets
import sys
import threading
import weakref

import grpc

from . import _dtype
from ._errors import TensordError, status_code

try:
    from .v1 import tensord_pb2 as pb
    from .v1 import tensord_pb2_grpc as pb_grpc
except ImportError as e:  # pragma: no cover - only without a build step
    raise ImportError(
        "tensord's gRPC stubs are missing (tensord/v1/ is generated at build time). "
        "Install the package: pip install -e client/python") from e

__all__ = ["Session", "connect", "default_session", "synchronize", "DEFAULT_ADDRESS"]

DEFAULT_ADDRESS = "localhost:50051"
INLINE_LIMIT = 4 << 20     # tensors above this go through Upload / streamed Fetch
CHUNK_BYTES = 1 << 20      # chunk size of Upload and streamed Fetch
_PKG_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_SESSION_METADATA_KEY = "tensord-session-id"
# The daemon run that created the session, echoed from SessionInfo
# (Note [Session home] in server/service.cc).
_INSTANCE_METADATA_KEY = "tensord-instance-id"


def _user_site():
    """'file.py:LINE' of the innermost calling frame outside the tensord package."""
    f = sys._getframe(1)
    while f is not None and f.f_code.co_filename.startswith(_PKG_DIR):
        f = f.f_back
    if f is None:
        return ""
    return "%s:%d" % (os.path.basename(f.f_code.co_filename), f.f_lineno)


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
      session_id: proposed id (32 lowercase hex); random by default.
      idle_ttl_seconds: server-side idle TTL (0 = server default).
      keepalive: refresh the TTL from a background thread while this process
        holds the session (so an idle REPL does not lose its tensors).
      blocking: make every command a sync point (errors raise at the line
        that caused them, at the cost of a round trip per command); default
        from $TENSORD_BLOCKING.
    """

    def __init__(self, address=None, *, session_id=None, idle_ttl_seconds=0, keepalive=True,
                 blocking=None, max_batch_commands=256, max_batch_bytes=1 << 20,
                 channel_options=None, timeout=30.0):
        self.address = address or os.environ.get("TENSORD_ADDRESS") or DEFAULT_ADDRESS
        self.blocking = _env_flag("TENSORD_BLOCKING") if blocking is None else bool(blocking)
        self.max_batch_commands = max_batch_commands
        self.max_batch_bytes = max_batch_bytes
        self.timeout = timeout
        self.id = session_id or secrets.token_hex(16)
        self._md = ((_SESSION_METADATA_KEY, self.id),)
        self._lock = threading.RLock()
        self._closed = False
        self._broken = None            # TensordError once the stream died
        self._handles = itertools.count(1)
        self._pending = []             # Command protos not yet sent
        self._pending_meta = []        # (op, site, thread id) per pending command
        self._pending_bytes = 0
        self._released = []            # handles to release (Note [Handle release])
        self._errors = []              # (thread id, TensordError) awaiting a sync point
        self._sent = {}                # seq -> [(op, site, thread)] of unanswered batches
        self._seq = 0
        self._ops = None
        self.epoch = 0                 # bumped by in-place ops: invalidates cached autograd meta
        self.stats = {"batches": 0, "commands": 0, "round_trips": 0, "uploads": 0,
                      "streamed_fetches": 0}
        options = [("grpc.max_receive_message_length", -1),
                   ("grpc.max_send_message_length", -1)]
        options += list(channel_options or [])
        self._channel = grpc.insecure_channel(self.address, options=options)
        self._stub = pb_grpc.TensordStub(self._channel)
        try:
            info = self._stub.CreateSession(
                pb.CreateSessionRequest(session_id=self.id, idle_ttl_seconds=idle_ttl_seconds),
                metadata=self._md, timeout=timeout, wait_for_ready=False)
        except grpc.RpcError as e:
            self._channel.close()
            if e.code() == grpc.StatusCode.UNAVAILABLE:
                raise TensordError(
                    "cannot reach the tensord server at %s (is it running? the address comes "
                    "from tensord.connect(...) or $TENSORD_ADDRESS): %s"
                    % (self.address, e.details()), e.code(), "connect") from None
            raise TensordError.from_rpc_error(e, "connect") from None
        self.idle_ttl_seconds = info.idle_ttl_seconds
        self.instance = info.instance        # the daemon holding the session (pod name)
        self.instance_id = info.instance_id  # that daemon's run, "NAME/RANDOM"
        if info.instance_id:
            self._md += ((_INSTANCE_METADATA_KEY, info.instance_id),)
        self._outq = _RequestQueue()
        self._responses = self._stub.Stream(iter(self._outq), metadata=self._md)
        self._first_request = True
        _live_sessions.add(self)
        self._stop = threading.Event()
        if keepalive and self.idle_ttl_seconds:
            t = threading.Thread(target=_keepalive_loop, args=(weakref.ref(self), self._stop,
                                 max(1.0, self.idle_ttl_seconds / 3.0)),
                                 name="tensord-keepalive", daemon=True)
            t.start()

    # ------------------------------------------------------------ public API

    def __repr__(self):
        state = "closed" if self._closed else "open"
        return "<tensord.Session %s at %s (%s)>" % (self.id, self.address, state)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    @property
    def closed(self):
        return self._closed

    def synchronize(self):
        """Sends buffered commands, waits for them, raises any deferred error."""
        self.sync()

    def info(self):
        """SessionInfo from KeepAlive (bound tensors, bytes, ttl); flushes first."""
        self.sync()
        return self._unary("KeepAlive", pb.SessionRequest(session_id=self.id))

    def server_info(self):
        return self._unary("ServerInfo", pb.Empty())

    def list_ops(self):
        """The server's op registry: {name: OpInfo} (fetched once per session)."""
        if self._ops is None:
            try:
                resp = self._unary("ListOps", pb.Empty())
                self._ops = {s.name: OpInfo(s) for s in resp.ops}
            except TensordError as e:
                if e.code != grpc.StatusCode.UNIMPLEMENTED:
                    raise
                self._ops = {}
        return self._ops

    def op_info(self, name):
        return self.list_ops().get(name)

    def close(self):
        """Closes the session on the server (frees all its tensors) and the channel."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._stop.set()
            self._pending, self._pending_meta, self._released = [], [], []
            self._outq.close()
            try:
                self._stub.CloseSession(pb.SessionRequest(session_id=self.id),
                                        metadata=self._md, timeout=5.0)
            except grpc.RpcError:
                pass
            try:
                self._responses.cancel()
            except Exception:  # noqa: BLE001 - best effort at shutdown
                pass
            # Note [Stream teardown]: drop the call object now, while gRPC's
            # threads are alive. If it were garbage-collected during interpreter
            # finalization, its __del__ would take a condition lock that a
            # daemon gRPC thread, frozen mid-wait by finalization, may hold:
            # the process then hangs at exit (seen in about 1 run in 70).
            self._responses = None
            self._channel.close()
            _live_sessions.discard(self)

    # ------------------------------------------------------------ commands

    def new_handle(self):
        return next(self._handles)

    def enqueue(self, cmd, op, nbytes=0):
        """Buffers one Command (see Note [Pipelining])."""
        site = _user_site()
        cmd.site = site
        with self._lock:
            self._check_usable()
            self._pending.append(cmd)
            self._pending_meta.append((op, site, threading.get_ident()))
            self._pending_bytes += nbytes
            if self.blocking:
                self.sync()
            elif (len(self._pending) >= self.max_batch_commands
                  or self._pending_bytes >= self.max_batch_bytes):
                self._send(reply=False)

    def sync(self, commands=()):
        """Sync point: sends the buffer plus ``commands`` [(Command, op)], waits.

        Returns the CommandResult of each of ``commands`` (fetch / describe
        payloads). Raises the window's first error (Note [Deferred errors]).
        """
        site = _user_site() if commands else ""
        with self._lock:
            self._check_usable()
            if not commands and not self._pending and not self._released and not self._sent:
                self._raise_errors()  # nothing in flight: no round trip needed
                return []
            base = len(self._pending)
            me = threading.get_ident()
            for cmd, op in commands:
                cmd.site = site
                self._pending.append(cmd)
                self._pending_meta.append((op, site, me))
            seq = self._send(reply=True)
            out = self._wait(seq)
            self._raise_errors()
            results = []
            for i in range(len(commands)):
                r = out.get(base + i)
                if r is None:
                    raise TensordError("[%s] the server returned no result (at %s)"
                                       % (commands[i][1], site), grpc.StatusCode.INTERNAL,
                                       commands[i][1], site)
                results.append(r)
            return results

    def release(self, handle):
        """Queues a handle for release; safe from __del__ (no lock, no I/O)."""
        if not self._closed:
            self._released.append(handle)

    def upload(self, handle, payload, d, shape, requires_grad, device):
        """Binds ``handle`` to a large tensor via the client-streamed Upload RPC."""
        site = _user_site()
        with self._lock:
            self._check_usable()
            # Earlier commands go first; the upload binds a fresh handle, so
            # nothing sent before can depend on it and we need not wait.
            self._send(reply=False)
            self.stats["uploads"] += 1
            mv = memoryview(payload)

            def chunks():
                first = pb.UploadChunk(session_id=self.id, handle=handle, dtype=d.wire,
                                       shape=shape, requires_grad=requires_grad,
                                       device=device or "cpu")
                if len(mv) == 0:
                    yield first
                    return
                for off in range(0, len(mv), CHUNK_BYTES):
                    chunk = bytes(mv[off:off + CHUNK_BYTES])
                    if off == 0:
                        first.data = chunk
                        yield first
                    else:
                        yield pb.UploadChunk(data=chunk)

            try:
                self._stub.Upload(chunks(), metadata=self._md)
            except grpc.RpcError as e:
                raise TensordError.from_rpc_error(e, "create", site) from None

    def fetch_streamed(self, handle):
        """(dtype, shape, bytes) of a large tensor via the streamed Fetch RPC."""
        site = _user_site()
        with self._lock:
            self.sync()  # the tensor must be computed; raises deferred errors
            self.stats["streamed_fetches"] += 1
            parts, d, shape = [], None, None
            try:
                for chunk in self._stub.Fetch(
                        pb.FetchRequest(session_id=self.id, handle=handle,
                                        chunk_bytes=CHUNK_BYTES), metadata=self._md):
                    if d is None:
                        d, shape = _dtype.from_wire(chunk.dtype), tuple(chunk.shape)
                    parts.append(chunk.data)
            except grpc.RpcError as e:
                raise TensordError.from_rpc_error(e, "fetch", site) from None
            return d, shape, b"".join(parts)

    # ------------------------------------------------------------ internals

    def _unary(self, method, request):
        try:
            return getattr(self._stub, method)(request, metadata=self._md, timeout=self.timeout)
        except grpc.RpcError as e:
            raise TensordError.from_rpc_error(e, method) from None

    def _why_broken(self):
        """After the stream broke: the session's own error, asked for with a
        KeepAlive (behind a proxy a cut stream says little; the proxy or the
        daemon behind it says whether the session's daemon is gone), or None
        while the session still answers."""
        try:
            self._stub.KeepAlive(pb.SessionRequest(session_id=self.id), metadata=self._md,
                                 timeout=5.0)
        except grpc.RpcError as e:
            return TensordError.from_rpc_error(e, "stream")
        return None

    def _check_usable(self):
        if self._closed:
            raise TensordError("this tensord session is closed",
                               grpc.StatusCode.FAILED_PRECONDITION, "session")
        if self._broken is not None:
            raise self._broken

    def _send(self, reply):
        """Sends the buffer as one StreamRequest; returns its seq (None if nothing sent)."""
        released, self._released = self._released, []
        if released:
            self._pending.append(pb.Command(release=pb.ReleaseCommand(handles=released)))
            self._pending_meta.append(("release", "", 0))
        if not self._pending and not reply:
            return None
        self._seq += 1
        req = pb.StreamRequest(seq=self._seq, commands=self._pending, reply=reply)
        if self._first_request:
            req.session_id = self.id
            self._first_request = False
        self._sent[self._seq] = self._pending_meta
        self.stats["batches"] += 1
        self.stats["commands"] += len(self._pending)
        self._pending, self._pending_meta, self._pending_bytes = [], [], 0
        self._outq.put(req)
        return self._seq

    def _wait(self, seq):
        """Reads responses up to batch ``seq``; returns its results by index."""
        self.stats["round_trips"] += 1
        while True:
            try:
                resp = next(self._responses)
            except StopIteration:
                self._broken = self._why_broken() or TensordError(
                    "the server closed the command stream of session %s" % self.id,
                    grpc.StatusCode.UNAVAILABLE, "stream")
                raise self._broken from None
            except grpc.RpcError as e:
                self._broken = self._why_broken() or TensordError.from_rpc_error(e, "stream")
                raise self._broken from None
            meta = self._sent.get(resp.seq, ())
            out = {}
            for r in resp.results:
                if r.code != 0:
                    op, site, thread = meta[r.index] if r.index < len(meta) else ("", "", 0)
                    self._errors.append((thread, TensordError.from_result(r, op, site)))
                elif resp.seq == seq:
                    out[r.index] = r
            while self._sent:
                first = next(iter(self._sent))
                if first > resp.seq:
                    break
                del self._sent[first]
            if resp.seq >= seq:
                return out

    def _raise_errors(self):
        if not self._errors:
            return
        me = threading.get_ident()
        errors = [e for t, e in self._errors if t == me or t == 0]
        live = {t.ident for t in threading.enumerate()}
        self._errors = [(t, e) for t, e in self._errors if t != me and t != 0 and t in live]
        if not errors:
            return
        primary = next((e for e in errors if not e.poisoned), errors[0])
        primary.others = [e for e in errors if e is not primary]
        raise primary


class _RequestQueue:
    """Iterator of StreamRequests consumed by gRPC's sending thread."""

    _END = object()

    def __init__(self):
        import queue
        self._q = queue.SimpleQueue()

    def put(self, req):
        self._q.put(req)

    def close(self):
        self._q.put(self._END)

    def __iter__(self):
        while True:
            item = self._q.get()
            if item is self._END:
                return
            yield item


def _keepalive_loop(ref, stop, period):
    while not stop.wait(period):
        s = ref()
        if s is None or s.closed:
            return
        try:
            s._stub.KeepAlive(pb.SessionRequest(session_id=s.id), metadata=s._md, timeout=10.0)
        except grpc.RpcError:
            pass
        del s


_live_sessions = weakref.WeakSet()
_default = None
_default_lock = threading.Lock()


def default_session():
    """default_session() -> Session

    The session used by module-level functions (created on first use)."""
    global _default
    s = _default
    if s is None or s.closed:
        with _default_lock:
            if _default is None or _default.closed:
                _default = Session()
            s = _default
    return s


def connect(address=None, **kwargs):
    """connect(address=None, **kwargs) -> Session

    Opens a session and makes it the default for module-level functions.

    ``address`` is "host:port" or "unix:/path"; default $TENSORD_ADDRESS or
    localhost:50051. Returns the Session (usable as a context manager).
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


@atexit.register
def _close_all():
    for s in list(_live_sessions):
        try:
            s.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass


def status_name(code):
    return status_code(code).name
