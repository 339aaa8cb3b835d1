"""Session behaviour: deferred errors, poisoning, handle release, pipelining."""

import gc
import os

from tensord._errors import StatusCode
import numpy as np
import pytest

import tensord


def _line(marker):
    """Line number of the line in this file containing ``marker``."""
    with open(__file__) as f:
        for i, line in enumerate(f, 1):
            if marker in line and "_line(" not in line:
                return i
    raise AssertionError(marker)


def test_shape_error_names_op_and_site_and_session_survives(td):
    a = td.tensor([[1, 2], [3, 4], [5, 6]])
    bad = td.mm(a, a)  # MARK-MM
    with pytest.raises(td.TensordError) as e:
        print(bad)
    err = e.value
    assert isinstance(err, RuntimeError)
    assert err.code == StatusCode.INVALID_ARGUMENT
    assert err.op == "mm"
    assert err.site == "test_session.py:%d" % _line("MARK-MM")
    msg = str(err)
    assert "mat1 and mat2 shapes cannot be multiplied (3x2 and 3x2)" in msg
    assert msg.startswith("[mm] ")
    assert msg.endswith("(at test_session.py:%d)" % _line("MARK-MM"))
    # The session keeps working.
    assert (a + 1).tolist() == [[2, 3], [4, 5], [6, 7]]
    assert td.mm(a, a.t()).shape == (3, 3)


def test_matmul_error_message(td):
    a = td.ones(3, 2)
    with pytest.raises(td.TensordError) as e:
        (a @ a).tolist()
    assert "[matmul]" in str(e.value) or "[mm]" in str(e.value)
    assert "cannot be multiplied" in str(e.value)


def test_poisoned_chain_raises_the_original_error_once(td):
    a = td.ones(2, 3)
    b = td.ones(4, 5)
    c = a @ b  # MARK-ORIGIN
    d = (c + 1).exp().sum()
    with pytest.raises(td.TensordError) as e:
        d.item()
    assert e.value.site == "test_session.py:%d" % _line("MARK-ORIGIN")
    assert e.value.poisoned is False
    assert e.value.others, "the downstream (poisoned) failures are attached"
    assert all(o.poisoned for o in e.value.others)
    # Cleared: a fresh computation works and raises nothing stale.
    assert td.ones(2).sum().item() == 2.0
    td.synchronize()
    # Using the poisoned tensor again raises again (same original message).
    with pytest.raises(td.TensordError) as e2:
        c.tolist()
    assert "cannot be multiplied" in str(e2.value)


def test_error_in_unsynced_work_surfaces_at_synchronize(td):
    a = td.ones(2, 3)
    a.view(4, 4)
    with pytest.raises(td.TensordError) as e:
        td.synchronize()
    assert e.value.op == "view"
    td.synchronize()  # nothing pending any more


def test_closed_session_is_reported(td, tensord_server):
    s = td.Session(tensord_server.address)
    s.close()
    with pytest.raises(td.TensordError):
        s.synchronize()


def test_handle_release_drops_server_count(td, session):
    base = session.info().tensors
    xs = [td.ones(4, 4) * i for i in range(50)]
    assert session.info().tensors >= base + 50
    del xs
    gc.collect()
    td.synchronize()
    after = session.info().tensors
    assert after <= base + 1, (base, after)


def test_release_is_batched_not_one_rpc_per_tensor(td, session):
    td.synchronize()
    before = session.stats["batches"]
    for _ in range(100):
        td.ones(2) + 1
    td.synchronize()
    # 100 factories + 100 adds + releases travel in a handful of batches.
    assert session.stats["batches"] - before <= 3


def test_pipelining_many_ops_then_one_fetch(td, session):
    x = td.tensor(np.arange(4, dtype=np.float32))
    td.synchronize()
    trips = session.stats["round_trips"]
    batches = session.stats["batches"]
    y = x
    for _ in range(100):
        y = y * 1.01 + 0.5
    assert session.stats["round_trips"] == trips, "ops must not wait for the server"
    z = y.sum()
    value = z.item()
    assert session.stats["round_trips"] - trips == 1, "one fetch = one round trip"
    assert session.stats["batches"] - batches <= 2
    ref = np.arange(4, dtype=np.float64)
    for _ in range(100):
        ref = ref * 1.01 + 0.5
    assert value == pytest.approx(ref.sum(), rel=1e-4)


def test_buffer_threshold_sends_without_waiting(tensord_server):
    s = tensord.Session(tensord_server.address, max_batch_commands=16)
    try:
        # Ops on tensors of s (created with run_op on s, not the default session).
        from tensord._tensor import run1
        t = run1("ones", [], {"size": [3], "dtype": tensord.float32}, session=s)
        for _ in range(100):
            t = t + 1
        assert s.stats["batches"] >= 100 // 16
        assert s.stats["round_trips"] == 0
        assert t.tolist() == [101.0, 101.0, 101.0]
        # The describe's reply carries the small tensor's values (Note [Prefetched
        # values] in tensord.proto): the fetch needs no round trip of its own.
        assert s.stats["round_trips"] == 1
    finally:
        s.close()


def test_sessions_are_isolated(tensord_server):
    s1 = tensord.Session(tensord_server.address)
    s2 = tensord.Session(tensord_server.address)
    try:
        assert s1.id != s2.id and len(s1.id) == 32
        from tensord._tensor import run1
        a = run1("ones", [], {"size": [2], "dtype": tensord.float32}, session=s1)
        b = run1("zeros", [], {"size": [2], "dtype": tensord.float32}, session=s2)
        with pytest.raises(RuntimeError, match="different tensord sessions"):
            a + b
        assert a.tolist() == [1.0, 1.0] and b.tolist() == [0.0, 0.0]
    finally:
        s1.close()
        s2.close()


def test_blocking_mode_raises_at_the_failing_line(tensord_server):
    s = tensord.Session(tensord_server.address, blocking=True)
    try:
        from tensord._tensor import run1
        a = run1("ones", [], {"size": [2, 3], "dtype": tensord.float32}, session=s)
        with pytest.raises(tensord.TensordError) as e:
            a @ a  # MARK-BLOCKING
        assert e.value.site == "test_session.py:%d" % _line("MARK-BLOCKING")
    finally:
        s.close()


def test_connect_uses_env_address(tensord_server, monkeypatch):
    monkeypatch.setenv("TENSORD_ADDRESS", tensord_server.address)
    s = tensord.connect()
    try:
        assert s.address == tensord_server.address
        assert tensord.default_session() is s
        assert tensord.tensor([1, 2]).tolist() == [1, 2]
    finally:
        s.close()


def test_unreachable_server_gives_a_clear_error():
    with pytest.raises(tensord.TensordError) as e:
        tensord.Session("127.0.0.1:1", timeout=2.0)
    assert "cannot reach the tensord server at 127.0.0.1:1" in str(e.value)


def test_session_metadata_and_server_info(td, session):
    info = session.server_info()
    assert info.num_ops > 0
    ops = session.list_ops()
    assert ops["matmul"].num_outputs == 1
    assert ops["requires_grad_"].inplace
    assert session.info().session_id == session.id


def test_streamed_fetch_error_is_raised(td):
    a = td.ones(1024, 1024, 2)  # 8 MiB of float32: fetched via the Fetch RPC
    b = a.view(3, -1)           # invalid view: poisoned
    with pytest.raises(td.TensordError):
        b.numpy()
    assert a.sum().item() == 2 * 1024 * 1024


@pytest.mark.skipif(os.name != "posix", reason="unix sockets")
def test_unix_socket_address_syntax_is_accepted():
    # Only the address parsing is exercised here (no server listens there).
    with pytest.raises(tensord.TensordError) as e:
        tensord.Session("unix:/nonexistent/tensord.sock", timeout=2.0)
    assert "unix:/nonexistent/tensord.sock" in str(e.value)


def test_keepalive_thread_keeps_an_idle_session(tensord_server):
    import time
    from tensord._tensor import run1
    kept = tensord.Session(tensord_server.address, idle_ttl_seconds=2, keepalive=True)
    lost = tensord.Session(tensord_server.address, idle_ttl_seconds=2, keepalive=False)
    try:
        # More elements than the client prefetches at a sync (Note [Prefetched
        # values]), so the reads below must ask the server.
        a = run1("ones", [], {"size": [64]}, session=kept)
        b = run1("ones", [], {"size": [64]}, session=lost)
        tensord._session.Session.sync(kept)
        tensord._session.Session.sync(lost)
        time.sleep(4.5)
        assert a.tolist() == [1.0] * 64
        with pytest.raises(tensord.TensordError) as e:
            b.tolist()
        assert e.value.code == StatusCode.NOT_FOUND
        assert "not found" in str(e.value)
    finally:
        kept.close()
        lost.close()


def test_errors_are_raised_in_the_thread_that_caused_them(td):
    import threading
    problems, raised = [], []

    def work(k):
        try:
            for i in range(60):
                v = (td.tensor([float(k)] * 3) * 2 + i).sum().item()
                if v != (2 * k + i) * 3:
                    problems.append((k, i, v))
                if i % 20 == 0:
                    try:
                        (td.ones(2, 3) @ td.ones(2, 3)).tolist()
                        problems.append("no error raised")
                    except td.TensordError:
                        raised.append(k)
        except Exception as e:  # noqa: BLE001 - collected for the assertion
            problems.append(repr(e))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert problems == []
    assert sorted(raised) == sorted([k for k in range(4) for _ in range(3)])
    td.synchronize()


def test_interpreter_exits_promptly_after_using_a_session(tensord_server):
    """Sessions close at exit (the core's stream and channel included) without hanging."""
    import subprocess
    import sys
    s = tensord.Session(tensord_server.address)
    s.close()
    assert s.closed
    code = ("import tensord as torch\n"
            "m = torch.nn.Linear(10, 3)\n"
            "print(m(torch.randn(100, 10)).sum().item() != 0)\n")
    for _ in range(3):
        env = dict(os.environ, TENSORD_ADDRESS=tensord_server.address)
        r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           timeout=60, env=env)
        assert r.returncode == 0 and r.stdout == "True\n", r.stderr
