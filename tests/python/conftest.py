"""pytest fixtures: a real tensord server process for the client tests.

The server binary comes from $TENSORD_BIN (default <repo>/build/server/tensord).
It is started once per test run on a free loopback port, with
`--listen 127.0.0.1:PORT`; tests get a fresh session each (`td` fixture).
Without the binary, server tests are skipped -- or fail when
TENSORD_REQUIRE_SERVER=1 (set it in CI so a missing build cannot pass).
"""

import os
import socket
import subprocess
import time

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_BIN = os.path.join(REPO, "build", "server", "tensord")


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _healthy(address, **session_kwargs):
    """True once the server accepts a session (opened with ``session_kwargs``)."""
    import tensord
    try:
        tensord.Session(address, timeout=2.0, keepalive=False, **session_kwargs).close()
        return True
    except tensord.TensordError:
        return False


def _tail(path, n=4000):
    try:
        with open(path, "rb") as f:
            return f.read()[-n:].decode(errors="replace")
    except OSError:
        return ""


class ServerProcess:
    def __init__(self, binary, log_path, env=None, port=None, args=(), session_kwargs=None,
                 address=None):
        """Starts `binary` on `address` (default: 127.0.0.1 and `port`, else a free one)
        with extra `args`; `env`: extra environment variables for it; `session_kwargs`:
        what a client needs to connect. A "unix:PATH" address cannot race another
        process for its port."""
        self.binary = binary
        self.log_path = log_path
        self.port = port or (None if address else _free_port())
        self.address = address or "127.0.0.1:%d" % self.port
        self._log = open(log_path, "wb")
        self.proc = subprocess.Popen([binary, "--listen", self.address] + list(args),
                                     stdout=self._log,
                                     stderr=subprocess.STDOUT,
                                     env=dict(os.environ, **env) if env else None)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("tensord exited with %s during startup:\n%s"
                                   % (self.proc.returncode, _tail(log_path)))
            if _healthy(self.address, **(session_kwargs or {})):
                return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("tensord did not become healthy in 30 s:\n" + _tail(log_path))

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()


def start_server(tmp_path_factory, env=None):
    """A ServerProcess of $TENSORD_BIN (skips, or fails under TENSORD_REQUIRE_SERVER=1, without one)."""
    binary = os.environ.get("TENSORD_BIN", DEFAULT_BIN)
    if not os.access(binary, os.X_OK):
        msg = "tensord server binary not found at %s (set TENSORD_BIN)" % binary
        if os.environ.get("TENSORD_REQUIRE_SERVER") == "1":
            pytest.fail(msg)
        pytest.skip(msg)
    return ServerProcess(binary, str(tmp_path_factory.mktemp("tensord") / "server.log"), env)


@pytest.fixture(scope="session")
def tensord_server(tmp_path_factory):
    server = start_server(tmp_path_factory)
    old = os.environ.get("TENSORD_ADDRESS")
    os.environ["TENSORD_ADDRESS"] = server.address
    yield server
    import tensord
    tensord._session._close_all()
    server.stop()
    if old is None:
        os.environ.pop("TENSORD_ADDRESS", None)
    else:
        os.environ["TENSORD_ADDRESS"] = old


def connected(server):
    """For fixtures: the tensord module with a fresh default session on
    `server`; after the test, the session closes and the server must be alive."""
    import tensord
    session = tensord.connect(server.address)
    yield tensord
    session.close()
    if not server.alive():
        pytest.fail("the tensord server died during this test:\n" + _tail(server.log_path))


@pytest.fixture
def td(tensord_server):
    """The tensord module, with a fresh default session on the test server."""
    yield from connected(tensord_server)


@pytest.fixture
def session(td):
    return td.default_session()
