"""Operability of the daemon: Prometheus metrics on --metrics-listen while a
client works, JSON log lines (gRPC core's own lines included), and the
instance name in SessionInfo."""

import json
import os
import urllib.request

import pytest

from conftest import DEFAULT_BIN, ServerProcess, _free_port


@pytest.fixture
def observed(tmp_path):
    binary = os.environ.get("TENSORD_BIN", DEFAULT_BIN)
    if not os.access(binary, os.X_OK):
        pytest.skip("no tensord binary at %s" % binary)
    port = _free_port()
    # GRPC_VERBOSITY=debug makes gRPC core log its own lines at startup.
    server = ServerProcess(binary, str(tmp_path / "server.log"), env={"GRPC_VERBOSITY": "debug"},
                           args=["--metrics-listen", "127.0.0.1:%d" % port, "--log-format=json",
                                 "--instance-name", "observed-0"])
    yield server, "http://127.0.0.1:%d/metrics" % port
    import tensord
    tensord._session._close_all()
    server.stop()


def _scrape(url):
    with urllib.request.urlopen(url, timeout=10) as resp:
        assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return resp.read().decode()


def _value(text, series):
    for line in text.splitlines():
        if line.startswith(series + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError("no series %s in:\n%s" % (series, text[:4000]))


def test_metrics_count_what_a_client_does(observed):
    import tensord as torch
    server, url = observed
    created = 'tensord_rpcs_total{method="/tensord.v1.Tensord/CreateSession",code="OK"}'
    before = _value(_scrape(url), created) if created in _scrape(url) else 0  # the fixture's probe
    s = torch.connect(server.address)
    assert s.instance == "observed-0"
    assert s.instance_id.startswith("observed-0/")
    a = torch.ones(64, 64)
    for _ in range(3):
        a = a @ torch.ones(64, 64) / 64
    assert a.sum().item() == 64 * 64
    with pytest.raises(Exception):  # the index is data: only the server can tell
        torch.ones(3)[torch.tensor([5])].sum().item()

    text = _scrape(url)
    assert 'tensord_build_info{version="' in text and 'instance="observed-0"} 1' in text
    assert _value(text, "tensord_sessions") == 1
    sid = s.id[:8]
    assert _value(text, 'tensord_session_bytes{session="%s",device="cpu"}' % sid) >= 64 * 64 * 4
    assert _value(text, 'tensord_device_allocated_bytes{device="cpu"}') >= 64 * 64 * 4
    assert _value(text, 'tensord_commands_total{op="matmul",code="OK"}') == 3
    errors = [l for l in text.splitlines()
              if l.startswith("tensord_commands_total{") and 'code="OK"' not in l]
    assert errors, "the failed command was not counted"
    assert _value(text, 'tensord_command_duration_seconds_count{op="matmul"}') == 3
    assert _value(text, 'tensord_command_duration_seconds_bucket{op="matmul",le="+Inf"}') == 3
    assert _value(text, created) == before + 1
    assert 'tensord_rpc_duration_seconds_bucket{method="/tensord.v1.Tensord/CreateSession",le="0.001"}' in text
    assert _value(text, "tensord_uptime_seconds") > 0
    # Histogram buckets are cumulative.
    buckets = [float(l.rsplit(" ", 1)[1]) for l in text.splitlines()
               if l.startswith('tensord_command_duration_seconds_bucket{op="matmul"')]
    assert buckets == sorted(buckets) and len(buckets) > 2
    # The full session id never appears: it is a capability.
    assert s.id not in text

    s.close()
    assert _value(_scrape(url), "tensord_sessions") == 0


def test_json_logs_carry_grpc_core_lines(observed):
    import tensord as torch
    server, _ = observed
    torch.connect(server.address).close()
    with open(server.log_path) as f:
        lines = [l for l in f.read().splitlines() if l.startswith("{")]
    events = [json.loads(l) for l in lines]  # every JSON line parses
    assert any(e["event"] == "started" and e["instance"] == "observed-0" for e in events)
    assert any(e["event"] == "session_created" for e in events)
    grpc_lines = [e for e in events if e["event"] == "grpc"]
    assert grpc_lines, "no gRPC core line went through the logger"
    assert all({"ts", "level", "source", "message"} <= set(e) for e in grpc_lines)
