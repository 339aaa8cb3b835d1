#!/usr/bin/env bash
# Runs on a lent GPU machine (the `device` tool), from the repo root, with
# .gpu carried (scripts/gpu_bundle.sh made it): the CUDA engine tests against
# the real GPU, the Python CUDA tests against a real server on it, and the
# GPU benchmarks. Results go to $OUT (or .gpu/out) as text files.
#
#   device run: scripts/gpu_check.sh [tests|bench|all]   (default all)
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WHAT=${1:-all}
RESULTS=${OUT:-$REPO/.gpu/out}
B=$(mktemp -d)
mkdir -p "$RESULTS"
tar -C "$B" -xJf "$REPO/.gpu/bundle.tar.xz"
# The CUDA 13 runtime and cuBLAS the binaries were linked against: the
# toolkit's, else the copies PyTorch's wheels carry.
cuda_libs=""
for lib in libcudart.so.13 libcublas.so.13 libcublasLt.so.13; do
  path=$(ldconfig -p | awk -v l="$lib" '$1 == l {print $NF; exit}')
  [[ -n $path ]] || path=$(find /usr/local/cuda* /opt /usr/lib -name "$lib" 2>/dev/null | head -n1)
  [[ -n $path ]] && cuda_libs="$cuda_libs:$(dirname "$path")"
done
export LD_LIBRARY_PATH="$B/lib:${cuda_libs}:${LD_LIBRARY_PATH:-}"
python3 -m pip install --quiet --no-index --target "$B/pydeps" "$B"/wheels/*.whl
export PYTHONPATH="$B/python:$B/pydeps"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$RESULTS/gpu.txt"

rc=0
if [[ $WHAT == all || $WHAT == tests ]]; then
  "$B/bin/engine_tests" --gtest_filter='Cuda*:*Cuda*:*/Cuda*' --gtest_brief=1 2>&1 | tail -n 60 | tee "$RESULTS/engine_cuda.txt"
  ((PIPESTATUS[0] == 0)) || rc=1
  TENSORD_BIN=$B/bin/tensord TENSORD_REQUIRE_SERVER=1 python3 -m pytest -q -p no:cacheprovider \
    "$B/tests/python/test_cuda_api.py" "$B/tests/python/test_cuda_emulated.py" 2>&1 | tail -n 40 | tee "$RESULTS/pytest_cuda.txt"
  ((PIPESTATUS[0] == 0)) || rc=1
fi
if [[ $WHAT == all || $WHAT == bench ]]; then
  if [[ -f $B/bench/cuda_matmul.py ]]; then
    TENSORD_BIN=$B/bin/tensord CUBLAS_GEMM_BIN=$B/bin/cublas_gemm python3 "$B/bench/cuda_matmul.py" 2>&1 | tee "$RESULTS/bench_matmul.txt"
  fi
  TENSORD_BIN=$B/bin/tensord TORCH_PYTHON=$(command -v python3) python3 "$B/bench/train_step.py" --device cuda \
    --runs 3 2>&1 | tee "$RESULTS/bench_train_step.txt"
fi
exit $rc
