"""The Python package over the C++ client core (tensord._core): what a user
expects of a client -- errors at exit, PyTorch's exception types, Ctrl-C,
a frozen or restarted server, TLS and bearer tokens."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from conftest import ServerProcess

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _script(tmp_path, body, name="script.py"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return str(path)


def _run(path, address, env=None, timeout=60):
    e = dict(os.environ, TENSORD_ADDRESS=address, **(env or {}))
    return subprocess.run([sys.executable, path], capture_output=True, text=True, env=e,
                          timeout=timeout)


# ---------------------------------------------------------------- the core itself

def test_the_package_runs_on_the_native_core(td):
    from tensord import _core
    x = td.ones(3) + 1.0
    assert isinstance(x._handle, _core.Handle)
    assert x.tolist() == [2.0, 2.0, 2.0]
    assert isinstance(td.default_session()._core, _core.Session)


def test_handles_are_released_when_the_last_tensor_dies(td):
    s = td.default_session()
    base = s.info().tensors
    xs = [td.ones(4) for _ in range(10)]
    assert s.info().tensors == base + 10
    del xs
    assert s.info().tensors == base


# ---------------------------------------------------------------- errors at exit

def test_an_error_pending_at_exit_is_raised_and_fails_the_exit_status(tensord_server, tmp_path):
    path = _script(tmp_path, """\
        import tensord as torch
        a = torch.ones(2, 3)
        c = a @ torch.ones(4, 5)
        """)
    r = _run(path, tensord_server.address)
    assert r.returncode == 1, r.stderr
    assert "mat1 and mat2 shapes cannot be multiplied" in r.stderr
    assert "(at script.py:3)" in r.stderr


def test_a_script_without_errors_exits_zero(tensord_server, tmp_path):
    path = _script(tmp_path, """\
        import tensord as torch
        print((torch.ones(2) + 1).sum().item())
        """)
    r = _run(path, tensord_server.address)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "4.0"


# ---------------------------------------------------------------- exception types

def test_an_index_out_of_range_on_the_server_is_an_index_error(td):
    x = td.arange(3)
    with pytest.raises(IndexError, match=r"\[index_select\].*out of bounds") as e:
        x.index_select(0, td.tensor([7])).tolist()
    assert isinstance(e.value, td.TensordError) and isinstance(e.value, RuntimeError)


def test_a_dimension_out_of_range_is_an_index_error_at_the_line(td):
    x = td.ones(2, 3)
    with pytest.raises(IndexError, match="Dimension out of range"):
        x.size(5)


def test_a_non_number_operand_is_a_type_error(td):
    with pytest.raises(TypeError):
        td.ones(2) + "a"


def test_unimplemented_maps_to_not_implemented_error():
    from tensord._errors import TensordError, make_error
    e = make_error(12, "no CUDA kernel", "erf", "a.py:1")
    assert isinstance(e, NotImplementedError) and isinstance(e, TensordError)
    assert str(e) == "[erf] no CUDA kernel (at a.py:1)"


# ---------------------------------------------------------------- Ctrl-C

def test_ctrl_c_interrupts_a_wait_and_cancels_the_running_commands(tensord_server, tmp_path):
    # Minutes of matmuls on 2 cores; an interrupted run must not wait for them.
    path = _script(tmp_path, """\
        import sys, time
        import tensord as torch
        x = torch.randn(1000, 1000)
        for _ in range(1000):
            x = torch.tanh(x @ x)
        print("waiting", flush=True)
        t0 = time.monotonic()
        try:
            x.sum().item()
        except KeyboardInterrupt:
            t1 = time.monotonic()
            assert (torch.ones(1) + 1).item() == 2.0  # the session is usable, and idle
            print("interrupted after %.1f s, next op took %.1f s"
                  % (t1 - t0, time.monotonic() - t1), flush=True)
            sys.exit(3)
        print("finished", flush=True)
        """)
    env = dict(os.environ, TENSORD_ADDRESS=tensord_server.address)
    p = subprocess.Popen([sys.executable, path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True, env=env)
    try:
        assert p.stdout.readline().strip() == "waiting"
        time.sleep(0.5)
        p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=30)
    finally:
        p.kill()
    assert p.returncode == 3, out + err
    assert "interrupted after" in out


# ---------------------------------------------------------------- frozen and restarted servers

def _binary():
    binary = os.environ.get("TENSORD_BIN", os.path.join(REPO, "build", "server", "tensord"))
    if not os.access(binary, os.X_OK):
        pytest.skip("tensord server binary not found at %s" % binary)
    return binary


@pytest.fixture
def own_server(tmp_path_factory):
    """A server of this test's own (it gets frozen or restarted), on a Unix socket."""
    d = tmp_path_factory.mktemp("own")
    server = ServerProcess(_binary(), str(d / "server.log"), address="unix:%s" % (d / "sock"))
    yield server
    if server.alive():
        os.kill(server.proc.pid, signal.SIGCONT)
    server.stop()


def test_a_frozen_server_gives_an_error_within_the_timeout(own_server):
    import tensord
    s = tensord.connect(own_server.address, timeout=12.0, keepalive=False)
    try:
        y = tensord.ones(3)
        assert y.tolist() == [1.0, 1.0, 1.0]
        os.kill(own_server.proc.pid, signal.SIGSTOP)
        t0 = time.monotonic()
        with pytest.raises(tensord.TensordError) as e:
            (y + 1).tolist()
        waited = time.monotonic() - t0
        assert waited < 12.0 + 5.0, waited
        assert e.value.code.name in ("UNAVAILABLE", "DEADLINE_EXCEEDED"), e.value
    finally:
        os.kill(own_server.proc.pid, signal.SIGCONT)
        s.close()


def test_after_a_server_restart_the_error_says_the_session_is_gone(own_server, tmp_path):
    import tensord
    s = tensord.connect(own_server.address)
    x = tensord.ones(3)
    assert x.sum().item() == 3.0
    own_server.stop()
    again = ServerProcess(own_server.binary, str(tmp_path / "again.log"),
                          address=own_server.address)
    try:
        with pytest.raises(tensord.TensordError, match="is gone") as e:
            (x + 1).tolist()
        assert e.value.code.name == "NOT_FOUND"
        # New tensors work without reconnecting: the default session is renewed.
        assert (tensord.ones(2) * 3).tolist() == [3.0, 3.0]
        assert tensord.default_session() is not s
    finally:
        tensord.default_session().close()
        again.stop()


# ---------------------------------------------------------------- TLS and bearer tokens

def test_tls_and_a_bearer_token_from_the_environment(tmp_path):
    if not os.access("/usr/bin/openssl", os.X_OK):
        pytest.skip("openssl is needed to make a certificate")
    cert, key = str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")
    subprocess.run(["/usr/bin/openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                    "-keyout", key, "-out", cert, "-days", "2", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   check=True, capture_output=True)
    tokens = tmp_path / "tokens"
    tokens.write_text("alice s3cret\n")
    server = ServerProcess(_binary(), str(tmp_path / "server.log"),
                           args=["--tls-cert", cert, "--tls-key", key, "--auth-tokens",
                                 str(tokens)],
                           session_kwargs={"tls_ca_file": cert, "token": "s3cret"})
    try:
        path = _script(tmp_path, """\
            import tensord as torch
            print(torch.default_session().info().owner, (torch.ones(2) + 1).tolist())
            """)
        env = {"TENSORD_TLS_CA": cert, "TENSORD_TOKEN": "s3cret"}
        r = _run(path, server.address, env)
        assert r.returncode == 0, r.stderr
        assert r.stdout.split() == ["alice", "[2.0,", "2.0]"]
        # Without the token the server refuses; without the CA the handshake fails.
        r = _run(path, server.address, {"TENSORD_TLS_CA": cert})
        assert r.returncode != 0 and "token" in r.stderr.lower(), r.stderr
        r = _run(path, server.address, {"TENSORD_TOKEN": "s3cret"})
        assert r.returncode != 0 and "cannot reach" in r.stderr, r.stderr
    finally:
        server.stop()
