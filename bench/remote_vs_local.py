#!/usr/bin/env python3
"""tensord through Python and C++ next to local PyTorch and raw gRPC, in one run, as ratios.

One command prints the table of issue 10: every row is a tensord figure and
the anchor it is judged against, both measured in this run (runs alternate
between the rows, each figure is the median over --runs processes), so
machine load and CPU model cancel out as far as they can. Absolute figures on
the 2-core VMs move 5-10x between days; the ratios are the result.

  rows through `import tensord as torch` (this Python, the server started here)
    chain      pipelined `x = x + 1.0`, ops/s          vs local PyTorch, same loop
    item       `(x + 1).item()` round trip, us          vs C++ gRPC unary echo
    bulk       64 MiB up + down (from_numpy, .numpy())  vs gRPC streams of 1 MiB chunks
    mlp        MLP 784-256-10, batch 64, Adam, steps/s  vs local PyTorch
    seed       the seed tutorial's loop (Adam on sin(log(x^2+1)), 3 .item() a step)
                                                        vs local PyTorch
    sgemm      2048^2 float32 matmul of resident tensors + sync, GFLOP/s
                                                        vs local PyTorch
  rows through the C++ client (build/bench/op_latency)
    c++ chain  pipelined add, per op                    vs local PyTorch chain
    c++ sync   add + Synchronize                        vs gRPC bidi ping-pong
    c++ fetch  fetch of a 4 MiB matmul result           vs gRPC streams of 1 MiB chunks

Local PyTorch is Debian's python3-torch under /usr/bin/python3 ($TORCH_PYTHON);
the echo anchor is build/bench/grpc_echo. Usage:

  .venv/bin/python bench/remote_vs_local.py                # everything, 3 runs
  .venv/bin/python bench/remote_vs_local.py --runs 5 --json
  .venv/bin/python bench/remote_vs_local.py --only chain,item --unix

A benchmark, not a test: it prints figures and never asserts on time.
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
BUILD = os.environ.get("TENSORD_BUILD_DIR", os.path.join(REPO, "build"))
TORCH_PYTHON = os.environ.get("TORCH_PYTHON", "/usr/bin/python3")

# ----------------------------------------------------------------- workloads
# Each runs in a child process with `T` bound to tensord or torch and returns
# one number (its unit is in ROWS below).


def w_chain(T, n=20000):
    x = T.zeros(1)
    for _ in range(200):
        x = x + 1.0
    x.item()
    t0 = time.perf_counter()
    for _ in range(n):
        x = x + 1.0
    x.item()
    return n / (time.perf_counter() - t0)


def w_item(T, n=2000):
    x = T.zeros(1)
    for _ in range(100):
        (x + 1).item()
    t0 = time.perf_counter()
    for _ in range(n):
        (x + 1).item()
    return (time.perf_counter() - t0) / n * 1e6


def w_bulk(T, mib=64, reps=3):
    import numpy as np
    a = np.random.default_rng(0).random((mib << 20) // 4, dtype=np.float32)
    T.from_numpy(a[:1024]).numpy()
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        b = T.from_numpy(a).numpy()
        best = min(best, time.perf_counter() - t0)
    if b.shape != a.shape or b[-1] != a[-1]:
        raise SystemExit("bulk: round trip changed the data")
    return 2 * a.nbytes / best / 1e9


def w_mlp(T, steps=200):
    sys.path.insert(0, HERE)
    from train_step import run_backend
    return run_backend("tensord" if T.__name__ == "tensord" else "torch", steps, 10, False)


def w_seed(T, n=200):
    def func(x):
        return T.sin(T.log(x ** 2 + 1))

    x = T.tensor([1.0], requires_grad=True)
    opt = T.optim.Adam([x], lr=0.1)

    def step():
        opt.zero_grad()
        y = func(x)
        loss = y ** 2  # noqa: F841 -- the tutorial computes it and never uses it
        manual = 2 * x * T.cos(T.log(x ** 2 + 1)) / (x ** 2 + 1)  # noqa: F841
        y.backward()
        "%.4f %.6f %.6f" % (x.item(), y.item(), x.grad.item())
        opt.step()

    for _ in range(20):
        step()
    t0 = time.perf_counter()
    for _ in range(n):
        step()
    return (time.perf_counter() - t0) / n * 1e6


def w_sgemm(T, n=2048, reps=5):
    a = T.randn(n, n)
    b = T.randn(n, n)
    (a @ b).sum().item()
    best = float("inf")
    for _ in range(reps):
        t0 = time.perf_counter()
        c = a @ b
        c[0, 0].item()
        best = min(best, time.perf_counter() - t0)
    return 2.0 * n ** 3 / best / 1e9


WORKLOADS = {"chain": w_chain, "item": w_item, "bulk": w_bulk, "mlp": w_mlp,
             "seed": w_seed, "sgemm": w_sgemm}

# name -> (label, unit, higher_is_better, anchor description, target)
# target: the goal for tensord / anchor, in the direction of `higher_is_better`.
ROWS = {
    "chain": ("pipelined `x = x + 1.0` chain", "ops/s", True, "local PyTorch", 0.5),
    "c++ chain": ("same chain from the C++ client", "ops/s", True, "local PyTorch", None),
    "item": ("`(x + 1).item()` round trip", "us", False, "C++ gRPC unary echo", 1.5),
    "c++ sync": ("C++ client add + Synchronize", "us", False, "gRPC bidi ping-pong", 1.2),
    "bulk": ("64 MiB up + down", "GB/s", True, "gRPC stream, 1 MiB chunks", 0.7),
    "c++ fetch": ("C++ client: fetch of a 4 MiB (1024^2) matmul result", "GB/s", True,
                  "gRPC stream, 1 MiB chunks", None),
    "mlp": ("MLP 784-256-10, batch 64, Adam", "steps/s", True, "local PyTorch", 0.8),
    "seed": ("seed loop (Adam on sin(log(x^2+1)), 3 .item()/step)", "us/iter", False,
             "local PyTorch", 3.0),
    "sgemm": ("sgemm 2048^2 (resident operands + sync)", "GFLOP/s", True, "local PyTorch", 0.95),
}


def child(backend, workload):
    import warnings
    warnings.simplefilter("ignore")  # from_numpy's "copies to the server" note
    if backend == "torch":
        import torch as T
    else:
        import tensord as T
    print(json.dumps({"value": WORKLOADS[workload](T)}))


# ----------------------------------------------------------------- harness


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port, proc, what):
    for _ in range(400):
        if proc.poll() is not None:
            raise SystemExit("%s exited with %s before listening" % (what, proc.returncode))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit("%s did not listen on port %d" % (what, port))


def start(cmd, port, what):
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if port is not None:
        wait_for_port(port, proc, what)
    return proc


def run_json(cmd, env=None):
    out = subprocess.run(cmd, env=env, check=True, stdout=subprocess.PIPE, text=True).stdout
    try:
        return json.loads(out)  # one JSON document (op_latency --json)
    except ValueError:
        return json.loads(out.strip().splitlines()[-1])  # a result line after other output


def torch_available():
    return os.path.exists(TORCH_PYTHON) and subprocess.run(
        [TORCH_PYTHON, "-c", "import torch"], stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL).returncode == 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3, help="processes per figure (median)")
    ap.add_argument("--only", help="comma-separated row names (default: all)")
    ap.add_argument("--unix", action="store_true",
                    help="Python rows talk to tensord over a Unix socket (default: loopback TCP)")
    ap.add_argument("--server", default=os.environ.get("TENSORD_BIN",
                                                       os.path.join(BUILD, "server/tensord")))
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--child", nargs=2, metavar=("BACKEND", "WORKLOAD"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(*args.child)

    only = set(args.only.split(",")) if args.only else set(ROWS)
    unknown = only - set(ROWS)
    if unknown:
        raise SystemExit("unknown rows: %s (known: %s)" % (", ".join(sorted(unknown)),
                                                          ", ".join(ROWS)))
    have_torch = torch_available()
    echo_bin = os.path.join(BUILD, "bench/grpc_echo")
    op_latency = os.path.join(BUILD, "bench/op_latency")

    procs = []
    tmp = tempfile.mkdtemp(prefix="tensord-bench-")
    try:
        port = free_port()
        procs.append(start([args.server, "--listen", "127.0.0.1:%d" % port,
                            "--listen", "unix:%s/sock" % tmp], port, "tensord"))
        address = "unix:%s/sock" % tmp if args.unix else "127.0.0.1:%d" % port
        echo_port = free_port()
        procs.append(start([echo_bin, "--serve", "127.0.0.1:%d" % echo_port], echo_port,
                           "grpc_echo"))
        env = dict(os.environ, TENSORD_ADDRESS=address)

        samples = {}  # key -> list of values

        def add(key, value):
            samples.setdefault(key, []).append(value)

        for _ in range(args.runs):  # interleaved, run by run
            echo = run_json([echo_bin, "--address", "127.0.0.1:%d" % echo_port])
            add("echo unary", echo["unary_us"])
            add("echo pingpong", echo["pingpong_us"])
            add("echo stream", echo["bulk_gb_per_s"])
            for w in WORKLOADS:
                if w not in only and not (w == "chain" and "c++ chain" in only):
                    continue
                add(w, run_json([sys.executable, __file__, "--child", "tensord", w], env)["value"])
                if have_torch and w in ("chain", "mlp", "seed", "sgemm"):
                    add("torch " + w, run_json([TORCH_PYTHON, __file__, "--child", "torch", w],
                                               env)["value"])
            if only & {"c++ chain", "c++ sync", "c++ fetch"}:
                lat = run_json([op_latency, "--address", "127.0.0.1:%d" % port, "--json",
                                "--rounds", "3", "--calls", "2000"])
                by = {f["name"]: f for f in lat["latency"]}
                mm = {f["name"]: f for f in lat["matmul"]}
                pipelined = next(f for n, f in by.items() if "per op" in n)
                add("c++ chain", 1e6 / pipelined["median_us"])
                add("c++ sync", by["Stream: add + Synchronize each"]["median_us"])
                fetch_ms = mm["fetch of a resident n x n result"]["median_ms"]
                add("c++ fetch", 4 * 2 ** 20 / fetch_ms / 1e6)
    finally:
        for p in procs:
            p.terminate()
            p.wait()

    med = {k: statistics.median(v) for k, v in samples.items()}
    anchors = {"chain": "torch chain", "c++ chain": "torch chain", "item": "echo unary",
               "c++ sync": "echo pingpong", "bulk": "echo stream", "c++ fetch": "echo stream",
               "mlp": "torch mlp", "seed": "torch seed", "sgemm": "torch sgemm"}
    rows = []
    for key, (label, unit, higher, anchor_name, target) in ROWS.items():
        if key not in med:
            continue
        anchor = med.get(anchors[key])
        ratio = med[key] / anchor if anchor else None
        met = None
        if ratio is not None and target is not None:
            met = ratio >= target if higher else ratio <= target
        rows.append({"row": key, "label": label, "unit": unit, "tensord": med[key],
                     "tensord_range": [min(samples[key]), max(samples[key])],
                     "anchor": anchor_name, "anchor_value": anchor, "ratio": ratio,
                     "target": target, "higher_is_better": higher, "target_met": met})
    info = {"runs": args.runs, "transport": "unix" if args.unix else "tcp loopback",
            "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE", ""),
            "torch": have_torch, "rows": rows}
    if args.json:
        print(json.dumps(info, indent=1))
        return
    print("tensord vs anchors, one run: median of %d runs per figure; Python over %s; "
          "OPENBLAS_CORETYPE=%s" % (args.runs, info["transport"],
                                    info["openblas_coretype"] or "unset"))
    print("%-52s %12s %-26s %12s %7s %8s" % ("", "tensord", "anchor", "anchor", "ratio", "target"))
    for r in rows:
        ratio = "%.2f" % r["ratio"] if r["ratio"] is not None else "-"
        target = "-"
        if r["target"] is not None:
            target = ("%s%.2f" % (">=" if r["higher_is_better"] else "<=", r["target"]))
            target += "" if r["target_met"] is None else (" ok" if r["target_met"] else " MISS")
        anchor = "%.3g" % r["anchor_value"] if r["anchor_value"] is not None else "n/a"
        print("%-52s %12s %-26s %12s %7s %8s" % (
            r["label"], "%.4g %s" % (r["tensord"], r["unit"]), r["anchor"], anchor, ratio, target))
    if not have_torch:
        print("(no PyTorch at %s: install python3-torch or set TORCH_PYTHON for its rows)"
              % TORCH_PYTHON)


if __name__ == "__main__":
    main()
