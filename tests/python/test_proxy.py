"""Three tensord daemons behind the shipped session-sticky nginx config
(deploy/proxy/nginx.conf), on loopback, driven by the Python client and the
C++ client (build/client/cpp/tensord_proxy_driver):

- every session's calls stick to one daemon (the one SessionInfo names, and
  the only one that lists the session), and sessions spread over all three;
- one daemon killed: its sessions fail fast with an error that says their
  daemon is gone; the other sessions and new sessions keep working, and new
  sessions land on the survivors.

nginx comes from Debian (scripts/bootstrap.sh --with-deploy installs it);
without it the test skips, or fails under TENSORD_REQUIRE_DEPLOY=1.
"""

import hashlib
import json
import os
import socket
import shutil
import signal
import subprocess
import time

import pytest

from conftest import DEFAULT_BIN, REPO, ServerProcess, _free_port, _tail

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
GONE = "restarted or was lost"
BUILD = os.environ.get("TENSORD_BUILD_DIR") or os.path.dirname(
    os.path.dirname(os.environ.get("TENSORD_BIN", DEFAULT_BIN)))
# Asks a daemon directly which sessions it holds (ListSessions, --json).
TENSORCTL = os.path.join(BUILD, "client", "cpp", "tensorctl")


def _require(path, what):
    if os.access(path, os.X_OK):
        return
    msg = "%s not found at %s" % (what, path)
    if os.environ.get("TENSORD_REQUIRE_DEPLOY") == "1":
        pytest.fail(msg)
    pytest.skip(msg)


class Proxy:
    """nginx with deploy/proxy/nginx.conf in a private prefix directory."""

    def __init__(self, prefix, upstreams):
        self.port = _free_port()
        self.address = "127.0.0.1:%d" % self.port
        os.makedirs(prefix)
        os.chmod(prefix, 0o755)  # run as root, nginx's workers are nobody
        shutil.copy(os.path.join(REPO, "deploy", "proxy", "nginx.conf"), prefix)
        with open(os.path.join(prefix, "tensord-listen.conf"), "w") as f:
            f.write("listen 127.0.0.1:%d http2;\n" % self.port)
        with open(os.path.join(prefix, "tensord-upstreams.conf"), "w") as f:
            for u in upstreams:
                f.write("server %s;\n" % u)
        self.log_path = os.path.join(prefix, "nginx.log")
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [NGINX, "-p", prefix + "/", "-c", os.path.join(prefix, "nginx.conf"), "-e", "stderr",
             "-g", "daemon off;"], stdout=self._log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("nginx exited: " + _tail(self.log_path))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("nginx did not listen: " + _tail(self.log_path))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


class CppDriver:
    """The C++ client's sessions (client/cpp/tests/proxy_driver.cc)."""

    def __init__(self, binary, address):
        self.proc = subprocess.Popen([binary, address], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)

    def run(self, command, timeout=60):
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        lines, deadline = [], time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            assert line, "tensord_proxy_driver exited"
            line = line.rstrip("\n")
            if line == "DONE":
                return lines
            lines.append(line)
        raise AssertionError("tensord_proxy_driver: no answer to %r" % command)

    def close(self):
        if self.proc.poll() is None:
            try:
                self.run("quit", timeout=20)
            except AssertionError:
                pass
            self.proc.stdin.close()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _held_by(daemon):
    """Session ids that `daemon` lists (asked directly, not through the proxy)."""
    out = subprocess.run([TENSORCTL, "--address", daemon.address, "--json", "sessions"],
                         check=True, stdout=subprocess.PIPE, text=True, timeout=30).stdout
    return {s["session_id"]: s["instance"] for s in json.loads(out)}


@pytest.fixture
def cluster(tmp_path):
    binary = os.environ.get("TENSORD_BIN", DEFAULT_BIN)
    _require(binary, "tensord")
    _require(NGINX, "nginx (apt install nginx-light)")
    daemons, proxy = {}, None
    try:
        for name in ("d0", "d1", "d2"):
            daemons[name] = ServerProcess(binary, str(tmp_path / (name + ".log")),
                                          args=["--instance-name", name])
        proxy = Proxy(str(tmp_path / "proxy"), [d.address for d in daemons.values()])
        yield daemons, proxy
    finally:
        import tensord
        tensord._session._close_all()
        if proxy is not None:
            proxy.stop()
        for d in daemons.values():
            d.stop()


def _session_id(i):
    # Proposed ids: fixed, so the hash ring's placement is the same every run.
    return hashlib.sha256(b"tensord-proxy-test-%d" % i).hexdigest()[:32]


def test_sessions_stick_spread_and_fail_clearly_when_their_daemon_dies(cluster):
    import tensord
    daemons, proxy = cluster
    driver_bin = os.path.join(BUILD, "client", "cpp", "tensord_proxy_driver")
    _require(driver_bin, "tensord_proxy_driver (cmake --build build --target tensord_proxy_driver)")

    # Python sessions, each holding x = [1, 2, 3] * k on its daemon.
    py = []
    for k in range(1, 25):
        s = tensord.connect(proxy.address, session_id=_session_id(k), keepalive=False)
        py.append((s, tensord.tensor([1.0, 2.0, 3.0]) * k, k))
    cpp = CppDriver(driver_bin, proxy.address)
    try:
        opened = cpp.run("open 12")
        assert all(line.startswith("SESSION ") for line in opened), opened
        cpp_sessions = {line.split()[1]: line.split()[2] for line in opened}

        # Stick: the daemon SessionInfo names is the one that holds the session.
        held = {}
        for name, d in daemons.items():
            for sid, instance in _held_by(d).items():
                assert instance == name
                held[sid] = name
        for s, _, _ in py:
            assert held[s.id] == s.instance
        for sid, instance in cpp_sessions.items():
            assert held[sid] == instance
        # Spread: every daemon holds sessions.
        placement = {name: sum(1 for v in held.values() if v == name) for name in daemons}
        assert all(n > 0 for n in placement.values()), placement
        # Each session's commands ran where its tensors are.
        for s, x, k in py:
            assert (x * 2).sum().item() == 12.0 * k
        assert all(line.startswith("OK ") for line in cpp.run("check")), "C++ sessions failed"

        # Kill the daemon with the most sessions, without warning.
        victim = max(placement, key=placement.get)
        daemons[victim].proc.kill()
        daemons[victim].proc.wait()

        for s, x, k in py:
            start = time.monotonic()
            if s.instance == victim:
                with pytest.raises(tensord.TensordError) as err:
                    (x * 2).sum().item()
                assert GONE in str(err.value), str(err.value)
                assert "start a new session" in str(err.value)
                assert time.monotonic() - start < 10, "the error took too long"
            else:
                assert (x * 2).sum().item() == 12.0 * k
        for line in cpp.run("check"):
            status, sid = line.split()[:2]
            if cpp_sessions[sid] == victim:
                assert status == "ERR" and GONE in line, line
            else:
                assert status == "OK", line

        # New sessions land on the survivors and work.
        for k in range(100, 112):
            s = tensord.connect(proxy.address, session_id=_session_id(k), keepalive=False)
            assert s.instance != victim
            assert (tensord.tensor([1.0, 2.0]) * k).sum().item() == 3.0 * k
        new = cpp.run("open 6")
        assert all(line.startswith("SESSION ") and line.split()[2] != victim for line in new), new
        new_ids = {line.split()[1] for line in new}
        for line in cpp.run("check"):
            if line.split()[1] in new_ids:
                assert line.startswith("OK "), line
    finally:
        cpp.close()
        for s, _, _ in py:
            s.close()
    survivors = [d for name, d in daemons.items() if name != victim]
    assert all(d.alive() for d in survivors), [_tail(d.log_path) for d in survivors]
    assert proxy.proc.poll() is None, _tail(proxy.log_path)


def test_proxy_answers_in_grpc_when_no_daemon_is_reachable(tmp_path):
    """Every daemon down: the proxy's own UNAVAILABLE (deploy/proxy/nginx.conf
    @no_daemon), not an HTTP 502 that clients report as a transport error."""
    import tensord
    _require(NGINX, "nginx (apt install nginx-light)")
    proxy = Proxy(str(tmp_path / "proxy"), ["127.0.0.1:%d" % _free_port()])
    try:
        start = time.monotonic()
        with pytest.raises(tensord.TensordError) as err:
            tensord.Session(proxy.address, keepalive=False)
        assert "no tensord daemon could be reached" in str(err.value), str(err.value)
        assert err.value.code.name == "UNAVAILABLE"
        assert time.monotonic() - start < 10
    finally:
        proxy.stop()
