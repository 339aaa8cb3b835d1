#!/usr/bin/env python3
"""One training step of a small MLP through tensord, next to local PyTorch in the same run.

The workload is shared/notes/baselines.md's: batch 64, 784 -> 256 -> ReLU -> 10,
cross entropy, Adam(lr=1e-3). The same model code runs with `T` bound to
tensord (the server does the work; the client pipelines every command) and
to PyTorch on this machine (Debian's python3-torch under /usr/bin/python3,
when installed). Runs alternate between the two, and the table reports each
one's median steps/s and the ratio tensord / PyTorch, so machine load and
CPU model cancel out as far as they can. Two tensord rows:

  pipelined      loss.item() once per timed run: what a training loop costs
                 when it does not look at every loss
  item() / step  loss.item() after every step: one round trip per step

With --device cuda both sides train on the GPU: tensord's server on its
cuda:0, and the baseline PyTorch (TORCH_PYTHON, default /usr/bin/python3:
set it to a CUDA build's python on a GPU machine) on the same GPU, so the
ratio is what the network and the server cost over PyTorch's own kernels.

Usage:
  .venv/bin/python bench/train_step.py            # starts build/server/tensord on a Unix socket
  .venv/bin/python bench/train_step.py --address localhost:50051
  --steps N --warmup N --runs N --device cpu|cuda --json
This is a benchmark, not a test: it prints figures and never asserts on time.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
TORCH_PYTHON = os.environ.get("TORCH_PYTHON", "/usr/bin/python3")


def run_backend(backend, steps, warmup, item_every_step, device="cpu"):
    """Times `steps` training steps; returns steps/s. Runs in this process."""
    if backend == "torch":
        import torch as T
    else:
        import tensord as T
    T.manual_seed(0)
    model = T.nn.Sequential(T.nn.Linear(784, 256), T.nn.ReLU(), T.nn.Linear(256, 10)).to(device)
    opt = T.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = T.nn.CrossEntropyLoss()
    x = T.randn(64, 784).to(device)
    y = T.randint(0, 10, (64,)).to(device)

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    for _ in range(warmup):
        step()
    step().item()  # everything queued so far is done
    t0 = time.perf_counter()
    for _ in range(steps):
        loss = step()
        if item_every_step:
            loss.item()
    loss.item()
    return steps / (time.perf_counter() - t0)


def child(args):
    rate = run_backend(args.backend, args.steps, args.warmup, args.item_every_step, args.device)
    print(json.dumps({"steps_per_s": rate}))


def measure(cmd, env):
    out = subprocess.run(cmd, env=env, check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])["steps_per_s"]


def torch_available(device):
    if not os.path.exists(TORCH_PYTHON):
        return False
    check = "import torch; assert %s" % ("torch.cuda.is_available()" if device == "cuda" else "True")
    return subprocess.run([TORCH_PYTHON, "-c", check], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode == 0


def start_server(binary):
    d = tempfile.mkdtemp(prefix="tensord-bench-")
    address = "unix:%s/sock" % d
    proc = subprocess.Popen([binary, "--listen", address], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    sock = os.path.join(d, "sock")
    for _ in range(300):
        if os.path.exists(sock):
            break
        time.sleep(0.05)
    time.sleep(0.2)
    return proc, address


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--address", help="a running server (default: start build/server/tensord)")
    ap.add_argument("--server", default=os.environ.get("TENSORD_BIN",
                                                       os.path.join(REPO, "build/server/tensord")))
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--warmup", type=int, default=10)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    ap.add_argument("--backend", choices=["tensord", "torch"], help=argparse.SUPPRESS)
    ap.add_argument("--item-every-step", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.backend:
        return child(args)

    proc = None
    address = args.address
    if address is None:
        proc, address = start_server(args.server)
    try:
        env = dict(os.environ, TENSORD_ADDRESS=address)
        base = ["--steps", str(args.steps), "--warmup", str(args.warmup), "--device", args.device]
        rows = {"tensord pipelined": [sys.executable, __file__, "--backend", "tensord"] + base,
                "tensord item() / step": [sys.executable, __file__, "--backend", "tensord",
                                          "--item-every-step"] + base}
        baseline = "PyTorch local (%s)" % args.device
        if torch_available(args.device):
            rows[baseline] = [TORCH_PYTHON, __file__, "--backend", "torch"] + base
        rates = {name: [] for name in rows}
        for _ in range(args.runs):  # interleaved, run by run
            for name, cmd in rows.items():
                rates[name].append(measure(cmd, env))
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait()

    med = {name: statistics.median(v) for name, v in rates.items()}
    anchor = med.get(baseline)
    result = {name: {"median_steps_per_s": med[name], "min": min(v), "max": max(v),
                     "x_pytorch": (med[name] / anchor) if anchor else None}
              for name, v in rates.items()}
    if args.json:
        print(json.dumps(result, indent=1))
        return
    print("MLP 784-256-10, batch 64, Adam, on %s; %d steps x %d runs (median, min-max); OPENBLAS_CORETYPE=%s"
          % (args.device, args.steps, args.runs, os.environ.get("OPENBLAS_CORETYPE", "unset")))
    print("%-28s %12s %22s %12s" % ("", "steps/s", "range", "x PyTorch"))
    for name, r in result.items():
        ratio = "%.2f" % r["x_pytorch"] if r["x_pytorch"] else "-"
        print("%-28s %12.0f %10.0f - %-10.0f %12s" % (name, r["median_steps_per_s"], r["min"],
                                                      r["max"], ratio))
    if anchor is None:
        print("(no PyTorch%s at %s: install python3-torch, or set TORCH_PYTHON, for the baseline)"
              % (" with CUDA" if args.device == "cuda" else "", TORCH_PYTHON))


if __name__ == "__main__":
    main()
