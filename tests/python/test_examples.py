"""The examples/ folder: the Python training script against the server and
against real PyTorch (the oracle), and examples/run.sh's server handling."""

import os
import re
import subprocess
import sys

import pytest

from conftest import DEFAULT_BIN, REPO

EXAMPLES = os.path.join(REPO, "examples")
TORCH_PYTHON = "/usr/bin/python3"  # Debian's PyTorch 1.13


def _run(argv, env_extra, timeout=300):
    env = dict(os.environ)
    env.update(env_extra)
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout,
                          cwd=REPO)


def _parse(stdout):
    """({epoch: loss}, the number that ends the last line: accuracy / test error)."""
    losses = {int(e): float(v)
              for e, v in re.findall(r"^epoch\s+(\d+)\s+loss\s+([0-9.]+)$", stdout, re.M)}
    final = re.findall(r"([0-9.]+)\s*$", stdout.strip().splitlines()[-1]) if stdout.strip() else []
    return losses, float(final[0]) if final else None


def _torch_available():
    if not os.access(TORCH_PYTHON, os.X_OK):
        return False
    r = subprocess.run([TORCH_PYTHON, "-c", "import torch"], capture_output=True)
    return r.returncode == 0


# (script, tolerance of its final number: accuracy over 400 points, test MSE)
SCRIPTS = [("train_mlp.py", 2.0 / 400 + 1e-9), ("train_regressor.py", 1e-5)]


@pytest.mark.parametrize("seed", [0, 3])
@pytest.mark.parametrize("name,final_tol", SCRIPTS)
def test_example_prints_pytorchs_losses(tensord_server, name, final_tol, seed):
    script = os.path.join(EXAMPLES, name)
    args = ["--epochs", "3", "--seed", str(seed)]
    ours = _run([sys.executable, script] + args, {"TENSORD_ADDRESS": tensord_server.address})
    assert ours.returncode == 0, ours.stderr
    losses, final = _parse(ours.stdout)
    assert sorted(losses) == [1, 2, 3], ours.stdout
    assert final is not None
    assert losses[3] < losses[1]  # it learns
    if not _torch_available():
        msg = "PyTorch is not installed at %s (the oracle)" % TORCH_PYTHON
        if os.environ.get("TENSORD_REQUIRE_ORACLE") == "1":
            pytest.fail(msg)
        pytest.skip(msg)
    ref = _run([TORCH_PYTHON, script] + args, {"TENSORD_EXAMPLE_BACKEND": "torch"})
    assert ref.returncode == 0, ref.stderr
    ref_losses, ref_final = _parse(ref.stdout)
    # Same seed, same draws, float32 arithmetic that may differ in the last
    # bits (summation order, libm vs PyTorch's vectorised sin/cos/log): the
    # epoch losses (means over the data set, printed to 6 decimals) agree to 1e-4.
    assert sorted(ref_losses) == [1, 2, 3]
    for epoch in (1, 2, 3):
        assert losses[epoch] == pytest.approx(ref_losses[epoch], abs=1e-4), (ours.stdout,
                                                                             ref.stdout)
    assert final == pytest.approx(ref_final, abs=final_tol), (ours.stdout, ref.stdout)


def _server_binary():
    return os.environ.get("TENSORD_BIN", DEFAULT_BIN)


def _run_sh(address, *args):
    return _run([os.path.join(EXAMPLES, "run.sh"), "train_mlp.py"] + list(args),
                {"TENSORD_ADDRESS": address, "TENSORD_BIN": _server_binary()})


def test_run_sh_starts_and_stops_a_private_server(tensord_server, tmp_path):
    r = _run_sh("unix:" + str(tmp_path / "nobody-listens.sock"), "--epochs", "1")
    assert r.returncode == 0, r.stderr
    losses, acc = _parse(r.stdout)
    assert list(losses) == [1] and acc is not None
    m = re.search(r"started tensord \(pid (\d+)\) on unix:(\S+);", r.stderr)
    assert m, r.stderr
    pid, sock = int(m.group(1)), m.group(2)
    with pytest.raises(ProcessLookupError):  # run.sh stopped (and reaped) it
        os.kill(pid, 0)
    assert not os.path.exists(os.path.dirname(sock))


def test_run_sh_uses_a_server_that_answers(tensord_server):
    r = _run_sh(tensord_server.address, "--epochs", "1")
    assert r.returncode == 0, r.stderr
    assert "started tensord" not in r.stderr
    assert _parse(r.stdout)[0].keys() == {1}


def test_run_sh_reports_a_failing_example(tensord_server):
    r = _run_sh(tensord_server.address, "--epochs", "not-a-number")
    assert r.returncode != 0
    assert "invalid int value" in r.stderr


def test_run_sh_stops_its_server_on_ctrl_c(tensord_server, tmp_path):
    import signal
    env = dict(os.environ, TENSORD_ADDRESS="unix:" + str(tmp_path / "nobody.sock"),
               TENSORD_BIN=_server_binary())
    proc = subprocess.Popen([os.path.join(EXAMPLES, "run.sh"), "train_mlp.py", "--epochs",
                             "100000"], env=env, cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        line = proc.stderr.readline()
        m = re.search(r"started tensord \(pid (\d+)\) on unix:(\S+);", line)
        assert m, line
        assert proc.stdout.readline().startswith("epoch")  # training is under way
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C sends to the foreground group
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode != 0
    with pytest.raises(ProcessLookupError):
        os.kill(int(m.group(1)), 0)
    assert not os.path.exists(os.path.dirname(m.group(2)))


def test_run_sh_runs_the_cpp_twin(tensord_server, tmp_path):
    # The C++ examples live in the build that holds the server binary.
    build_dir = os.path.dirname(os.path.dirname(os.path.abspath(_server_binary())))
    binary = os.path.join(build_dir, "client", "cpp", "tensord_example_train_mlp")
    if not os.access(binary, os.X_OK):
        pytest.skip("no C++ example at %s (build the tensord_example_train_mlp target)" % binary)
    r = _run([os.path.join(EXAMPLES, "run.sh"), "train_mlp", "--epochs", "2"],
             {"TENSORD_ADDRESS": "unix:" + str(tmp_path / "nobody.sock"),
              "TENSORD_BIN": _server_binary(), "TENSORD_BUILD_DIR": build_dir})
    assert r.returncode == 0, r.stderr
    assert "started tensord" in r.stderr
    py = _run([sys.executable, os.path.join(EXAMPLES, "train_mlp.py"), "--epochs", "2"],
              {"TENSORD_ADDRESS": tensord_server.address})
    assert _parse(r.stdout)[0] == _parse(py.stdout)[0]  # the twins print the same losses
