#!/usr/bin/env python3
"""Small ops through `import tensord as torch`, next to local PyTorch and the C++ client, in one run.

Rows (each in its own process, runs interleaved; medians over runs):

  pipelined x = x + 1.0     a chain of N adds on a 1-element tensor, one .item() at the
                            end: ops/s (anchor: local PyTorch, same code)
  (x + 1).item()            one op and a round trip per iteration: us per call
                            (anchors: local PyTorch, and the C++ client's raw gRPC unary
                            call on the same server, bench/op_latency's "floor")

`--client-python PY` runs the tensord rows under another interpreter too (e.g.
an older checkout's venv), as an extra column, for before/after figures.

Usage:
  .venv/bin/python bench/python_ops.py       # starts build/server/tensord on a free port
  .venv/bin/python bench/python_ops.py --runs 5 --json --client-python /other/.venv/bin/python
This is a benchmark, not a test: it prints figures and never asserts on time.
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
TORCH_PYTHON = os.environ.get("TORCH_PYTHON", "/usr/bin/python3")


def child(backend, chain, calls):
    if backend == "torch":
        import torch as T
    else:
        import tensord as T
    x = T.zeros(1)
    for _ in range(200):  # warm-up: connection, op registry, allocator
        x = x + 1.0
    x.item()
    t0 = time.perf_counter()
    for _ in range(chain):
        x = x + 1.0
    x.item()
    ops = chain / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    for _ in range(calls):
        (x + 1).item()
    item_us = (time.perf_counter() - t0) / calls * 1e6
    print(json.dumps({"ops_per_s": ops, "item_us": item_us}))


def measure(cmd, env):
    out = subprocess.run(cmd, env=env, check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def cpp_floor_us(address):
    """The C++ client's raw gRPC unary call on this server (op_latency's floor row)."""
    binary = os.path.join(REPO, "build", "bench", "op_latency")
    if not os.access(binary, os.X_OK):
        return None
    out = subprocess.run([binary, "--address", address, "--json", "--matmul", "0", "--calls",
                          "2000", "--rounds", "3"], check=True, stdout=subprocess.PIPE,
                         text=True).stdout
    return json.loads(out)["latency"][0]["median_us"]


def start_server(binary):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = "127.0.0.1:%d" % port
    proc = subprocess.Popen([binary, "--listen", address], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.1).close()
            break
        except OSError:
            time.sleep(0.05)
    time.sleep(0.2)
    return proc, address


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--address", help="a running server (default: start build/server/tensord)")
    ap.add_argument("--server", default=os.environ.get("TENSORD_BIN",
                                                       os.path.join(REPO, "build/server/tensord")))
    ap.add_argument("--chain", type=int, default=20000)
    ap.add_argument("--calls", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--client-python", help="also run the tensord rows under this interpreter")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--backend", choices=["tensord", "torch"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.backend:
        return child(args.backend, args.chain, args.calls)

    proc = None
    address = args.address
    if address is None:
        proc, address = start_server(args.server)
    try:
        env = dict(os.environ, TENSORD_ADDRESS=address)
        base = ["--chain", str(args.chain), "--calls", str(args.calls)]
        rows = {"tensord": [sys.executable, __file__, "--backend", "tensord"] + base}
        if args.client_python:
            rows["tensord (%s)" % args.client_python] = [args.client_python, __file__,
                                                         "--backend", "tensord"] + base
        if os.path.exists(TORCH_PYTHON):
            rows["PyTorch local"] = [TORCH_PYTHON, __file__, "--backend", "torch"] + base
        got = {name: [] for name in rows}
        floors = []
        for _ in range(args.runs):  # interleaved, run by run
            for name, cmd in rows.items():
                got[name].append(measure(cmd, env))
            f = cpp_floor_us(address)
            if f is not None:
                floors.append(f)
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait()

    med = {name: {k: statistics.median(r[k] for r in v) for k in ("ops_per_s", "item_us")}
           for name, v in got.items()}
    torch = med.get("PyTorch local")
    floor = statistics.median(floors) if floors else None
    result = {"rows": med, "cpp_grpc_unary_us": floor, "ratios": {}}
    for name, m in med.items():
        result["ratios"][name] = {
            "pipelined_x_pytorch": m["ops_per_s"] / torch["ops_per_s"] if torch else None,
            "item_x_cpp_unary": m["item_us"] / floor if floor else None,
        }
    if args.json:
        print(json.dumps(result, indent=1))
        return
    print("small ops through Python (%d runs, medians); C++ gRPC unary call: %s us"
          % (args.runs, "%.0f" % floor if floor else "n/a"))
    print("%-40s %12s %10s %12s %12s" % ("", "x+1.0 ops/s", "x PyTorch", "item() us",
                                         "x C++ unary"))
    for name, m in med.items():
        r = result["ratios"][name]
        print("%-40s %12.0f %10s %12.1f %12s" % (
            name, m["ops_per_s"],
            "%.2f" % r["pipelined_x_pytorch"] if r["pipelined_x_pytorch"] else "-",
            m["item_us"], "%.2f" % r["item_x_cpp_unary"] if r["item_x_cpp_unary"] else "-"))


if __name__ == "__main__":
    main()
