#!/usr/bin/env bash
# Packs what a lent GPU machine needs to run tensord's CUDA tests and
# benchmarks. That machine (the `device` tool) has CUDA, PyTorch and a Python
# but no package registry and none of our Debian libraries, so this carries
# them: stripped binaries built here (nvcc compiles the CUDA backend here),
# the shared libraries they need beyond libc/libstdc++/CUDA's own, the Python
# client with its generated stubs, and cp312 wheels of its dependencies.
#
#   scripts/gpu_bundle.sh          # writes .gpu/bundle.tar.xz (git-ignored)
#   then, with the device tool:    run(carry=[".gpu"], command="scripts/gpu_check.sh")
#
# The archive stays under the tool's 64 MiB carry limit (xz; ~25 MB).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${TENSORD_BUILD_DIR:-$REPO/build}
OUT=$REPO/.gpu
cd "$REPO"
exclude=$(git rev-parse --git-path info/exclude)
mkdir -p "$(dirname "$exclude")"
grep -qx '/.gpu/' "$exclude" 2>/dev/null || echo '/.gpu/' >> "$exclude"

"$REPO/scripts/bootstrap.sh"
if ! grep -q 'TENSORD_HAVE_CUDA=1' "$BUILD_DIR/compile_commands.json" 2>/dev/null; then
  echo "gpu_bundle.sh: this build has no CUDA backend (is nvcc on PATH?)" >&2
  exit 2
fi

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/lib" "$stage/wheels"
bins=("$BUILD_DIR/engine/engine_tests" "$BUILD_DIR/server/tensord" "$BUILD_DIR/client/cpp/tensorctl")
for extra in "$BUILD_DIR/bench/cublas_gemm" "$BUILD_DIR/bench/op_latency"; do
  [[ -x $extra ]] && bins+=("$extra")
done
for b in "${bins[@]}"; do
  cp "$b" "$stage/bin/" && strip --strip-debug "$stage/bin/$(basename "$b")"
done
# Shared libraries beyond what every Linux (libc, libstdc++) and the GPU image
# (CUDA runtime, cuBLAS, driver) provide.
for b in "${bins[@]}"; do ldd "$b"; done | awk '$3 ~ /^\// {print $3}' | sort -u |
  grep -v -E '/(libc|libm|libpthread|libdl|librt|ld-linux[^/]*|libstdc\+\+|libgcc_s|libcuda|libcudart|libcublas|libcublasLt|libnvidia[^/]*)\.so' |
  while read -r lib; do cp -L "$lib" "$stage/lib/"; done
# The Python client (with its generated stubs) and its dependencies for the
# GPU image's Python 3.12, pinned to the versions tested here.
cp -r client/python "$stage/python"
find "$stage/python" -name __pycache__ -prune -exec rm -rf {} +
pins=$("$REPO/.venv/bin/python" -m pip freeze | grep -i -E '^(grpcio|protobuf)==')
"$REPO/.venv/bin/python" -m pip download --quiet --only-binary=:all: --python-version 3.12 \
  --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d "$stage/wheels" $pins
cp -r tests bench "$stage/"
mkdir -p "$OUT"
tar -C "$stage" -cJf "$OUT/bundle.tar.xz" .
ls -la "$OUT/bundle.tar.xz"
