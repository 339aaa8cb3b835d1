#!/usr/bin/env python3
"""A large matmul on a cuda device through tensord, next to cuBLAS called directly.

The workload: C = A @ B with A, B n x n (default 8192) standard normal, in
float32 and bfloat16, resident on the server's cuda:0. There is no PyTorch
with CUDA to compare with, so the baseline is the GEMM tensord's matmul
makes, called directly: build/bench/cublas_gemm (bench/cublas_gemm.cc,
cublasGemmEx with float32 accumulation, timed with CUDA events). Runs
alternate between the two, and the table reports each one's median time per
matmul and the ratio tensord / cuBLAS, so GPU clocks and load cancel out as
far as they can. Two tensord rows:

  matmul + synchronize   one matmul, then torch.cuda.synchronize(): the GPU
                         time plus the round trips of one command and one sync
  pipelined              --batch matmuls queued, then one synchronize; wall
                         time / batch: what a loop of matmuls costs

The server must run on the machine with the GPU, and cublas_gemm must run on
that machine too (both use its GPU; run the bench there). Without a cuda
device on the server, or without the baseline binary, it exits 3 saying so.

Usage:
  .venv/bin/python bench/cuda_matmul.py        # starts build/server/tensord on a Unix socket
  .venv/bin/python bench/cuda_matmul.py --address localhost:50051 --n 4096 --runs 5 --json
This is a benchmark, not a test: it prints figures and never asserts on time.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "client", "python"))

EXIT_NO_DEVICE = 3


def start_server(binary, sock):
    """Starts tensord on a Unix socket; returns the process once it listens."""
    proc = subprocess.Popen([binary, "--listen", "unix:" + sock], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    line = proc.stdout.readline()
    if not line.startswith("tensord listening on"):
        proc.kill()
        sys.exit("tensord did not start: %r" % line)
    return proc


def time_tensord(td, a, b, iters, batch):
    """(median s per matmul+synchronize, median s per matmul when pipelined)."""
    single = []
    for _ in range(iters):
        t0 = time.perf_counter()
        c = a @ b
        td.cuda.synchronize()
        single.append(time.perf_counter() - t0)
        del c
    piped = []
    for _ in range(max(1, iters // batch)):
        t0 = time.perf_counter()
        for _ in range(batch):
            c = a @ b  # rebinding releases the previous result: memory is reused
        td.cuda.synchronize()
        piped.append((time.perf_counter() - t0) / batch)
        del c
    return statistics.median(single), statistics.median(piped)


def time_cublas(binary, n, dtype, iters):
    """Median s per GEMM from cublas_gemm --json, or exits when it cannot run."""
    r = subprocess.run([binary, "--n", str(n), "--dtype", dtype, "--iters", str(iters), "--json"],
                       capture_output=True, text=True)
    if r.returncode == 3:
        print("no cuda device for the cuBLAS baseline: " + r.stderr.strip(), file=sys.stderr)
        sys.exit(EXIT_NO_DEVICE)
    if r.returncode != 0:
        sys.exit("cublas_gemm failed (%d): %s" % (r.returncode, r.stderr.strip()))
    return json.loads(r.stdout)["median_ms"] / 1e3


def check_result(td, a, b, c, dtype):
    """A corner of C against the same products computed on the server's CPU."""
    k = 8
    want = (a[:k].cpu().float() @ b[:, :k].cpu().float()).numpy()
    got = c[:k, :k].cpu().float().numpy()
    # float32: accumulation order only; bfloat16: C itself is rounded to 8 bits.
    rtol = 1e-3 if dtype == "float32" else 1e-2
    scale = abs(want).max()
    err = abs(got - want).max()
    if err > rtol * scale + 1e-3:
        sys.exit("tensord's %s matmul differs from the CPU reference: max abs error %g (scale %g)"
                 % (dtype, err, scale))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--address", help="a running server (default: start build/server/tensord)")
    p.add_argument("--server", default=os.environ.get(
        "TENSORD_BIN", os.path.join(REPO, "build", "server", "tensord")),
        help="the server binary (default $TENSORD_BIN or build/server/tensord)")
    p.add_argument("--cublas", default=os.environ.get(
        "CUBLAS_GEMM_BIN", os.path.join(REPO, "build", "bench", "cublas_gemm")),
        help="the baseline binary, built where CUDA is (bench/CMakeLists.txt); "
             "default $CUBLAS_GEMM_BIN or build/bench/cublas_gemm")
    p.add_argument("--n", type=int, default=8192)
    p.add_argument("--dtypes", default="float32,bfloat16")
    p.add_argument("--iters", type=int, default=20, help="timed matmuls per run and row")
    p.add_argument("--batch", type=int, default=10, help="matmuls per sync in the pipelined row")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--json", action="store_true")
    args = p.parse_args()

    if not os.access(args.cublas, os.X_OK):
        print("no cuda device baseline: %s is missing; it is built only where the CUDA "
              "toolkit is (TENSORD_HAVE_CUDA)" % args.cublas, file=sys.stderr)
        sys.exit(EXIT_NO_DEVICE)

    proc = None
    tmp = tempfile.mkdtemp(prefix="tensord-bench-")
    address = args.address
    if address is None:
        sock = os.path.join(tmp, "tensord.sock")
        proc = start_server(args.server, sock)
        address = "unix:" + sock
    try:
        import tensord as td
        td.connect(address)
        if not td.cuda.is_available():
            reason = td.default_session().server_info().cuda_status
            print("no cuda device on the tensord server at %s: %s" % (address, reason),
                  file=sys.stderr)
            sys.exit(EXIT_NO_DEVICE)
        device = td.cuda.get_device_name(0)
        rows = []
        for dtype in args.dtypes.split(","):
            d = getattr(td, dtype)
            td.manual_seed(0)
            a = td.randn(args.n, args.n, device="cuda").to(d)
            b = td.randn(args.n, args.n, device="cuda").to(d)
            c = a @ b  # warm-up (cuBLAS handle, workspace, the allocator's blocks)
            check_result(td, a, b, c, dtype)
            del c
            td.cuda.synchronize()
            single, piped, blas = [], [], []
            for _ in range(args.runs):
                s, pp = time_tensord(td, a, b, args.iters, args.batch)
                single.append(s)
                piped.append(pp)
                blas.append(time_cublas(args.cublas, args.n, dtype, args.iters))
            flops = 2.0 * args.n ** 3
            base = statistics.median(blas)
            for name, times in (("cuBLAS direct (cublas_gemm)", blas),
                                ("tensord matmul + synchronize", single),
                                ("tensord pipelined, per matmul", piped)):
                m = statistics.median(times)
                rows.append({"dtype": dtype, "row": name, "median_ms": m * 1e3,
                             "tflops": flops / m / 1e12, "x_cublas": m / base,
                             "runs_ms": [t * 1e3 for t in times]})
            del a, b
            td.cuda.empty_cache()
        if args.json:
            print(json.dumps({"device": device, "n": args.n, "iters": args.iters,
                              "batch": args.batch, "runs": args.runs, "rows": rows}, indent=1))
            return
        print("%s, %dx%d matmul, %d runs x %d iters (median of run medians)"
              % (device, args.n, args.n, args.runs, args.iters))
        print("%-9s %-31s %10s %9s %9s" % ("dtype", "row", "ms", "TFLOP/s", "x cuBLAS"))
        for r in rows:
            print("%-9s %-31s %10.3f %9.1f %9.2f" % (r["dtype"], r["row"], r["median_ms"],
                                                    r["tflops"], r["x_cublas"]))
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
