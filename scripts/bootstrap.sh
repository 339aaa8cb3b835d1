#!/usr/bin/env bash
# Prepares a Debian 12 machine to build, run and test tensord, then builds it.
#
#   scripts/bootstrap.sh [--no-python] [--no-build] [--with-oracle] [--with-deploy]
#
# 1. installs the missing apt packages (apt-get update runs only when something
#    is missing; needs root, or sudo); --with-oracle adds python3-torch, the
#    PyTorch that tests/python/test_differential.py compares against (tests
#    only: scripts/test.sh passes it, serve.sh does not); --with-deploy adds
#    what tests/deploy needs (Docker, compose, nginx, debootstrap, yamllint);
# 2. creates <repo>/.venv with /usr/bin/python3 and installs the Python client
#    (editable, with its test extras; its C++ module tensord._core is built by
#    scikit-build-core in the build directory of step 3) -- skipped with
#    --no-python, and skipped when nothing it depends on changed since the
#    last install;
# 3. configures (CMake + Ninja, ccache) and builds everything C++ into
#    <repo>/build ($TENSORD_BUILD_DIR) -- skipped with --no-build.
#
# Idempotent: with nothing missing it only runs a no-op ninja (about a second).
# Environment: TENSORD_BUILD_DIR (default <repo>/build), TENSORD_BUILD_TYPE
# (default RelWithDebInfo, used on first configure), TENSORD_JOBS (default nproc).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${TENSORD_BUILD_DIR:-$REPO/build}
BUILD_TYPE=${TENSORD_BUILD_TYPE:-RelWithDebInfo}
JOBS=${TENSORD_JOBS:-$(nproc 2>/dev/null || echo 2)}
VENV=$REPO/.venv

APT_PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler
  libabsl-dev libopenblas-dev libgtest-dev libgmock-dev grpc-proto
  python3-venv python3-dev
  graphviz  # `dot`, for tensord.viz and `tensorctl graph --svg`
  libcli11-dev nlohmann-json3-dev libcpp-httplib-dev  # flags, tensorctl --json, /metrics
)
# --with-deploy: what tests/deploy needs (a Docker engine, compose, nginx,
# debootstrap for the offline base image, yamllint).
DEPLOY_PACKAGES=(docker.io docker-compose nginx-light debootstrap yamllint)

with_python=1
with_build=1
for arg in "$@"; do
  case "$arg" in
    --no-python) with_python=0 ;;
    --no-build) with_build=0 ;;
    --with-oracle) APT_PACKAGES+=(python3-torch) ;;
    --with-deploy) APT_PACKAGES+=("${DEPLOY_PACKAGES[@]}") ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "bootstrap: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

log() { echo "bootstrap: $*" >&2; }

# ---------------------------------------------------------------- apt
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$pkg")
done
if ((${#missing[@]})); then
  log "installing ${missing[*]}"
  SUDO=()
  if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null; then
      SUDO=(sudo)
    else
      log "missing packages and not root (no sudo): apt-get install ${missing[*]}"
      exit 1
    fi
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=300 update -qq
  "${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

# One bootstrap at a time per checkout (serve.sh and test.sh may race).
mkdir -p "$BUILD_DIR"
exec 9>"$BUILD_DIR/.bootstrap.lock"
flock 9

# ---------------------------------------------------------------- python
if ((with_python)); then
  if [[ ! -x "$VENV/bin/python" ]]; then
    log "creating $VENV"
    /usr/bin/python3 -m venv "$VENV"
  fi
  # The package binds the C++ client core (tensord._core, nanobind), built by
  # scikit-build-core inside this build directory, so the core and the wire
  # contract are compiled once for the C++ build and the module. Reinstall
  # when any of their sources changed (the op contract in engine/ included):
  # the installed module is a copy, so a stale one would test old code.
  stamp_file=$VENV/.tensord-client-stamp
  stamp=$(cd "$REPO" && cat client/python/pyproject.toml client/python/CMakeLists.txt \
              CMakeLists.txt proto/CMakeLists.txt proto/tensord/v1/tensord.proto \
              client/cpp/CMakeLists.txt client/python/src/* client/cpp/src/* \
              client/cpp/include/tensord/* engine/CMakeLists.txt engine/*.h engine/*.cc \
              engine/ops/* server/convert.* 2>/dev/null | sha256sum | cut -d' ' -f1)
  if [[ ! -f "$REPO/client/python/pyproject.toml" ]]; then
    log "no client/python/pyproject.toml; skipping the Python client"
  elif [[ "$(cat "$stamp_file" 2>/dev/null)" != "$stamp" ]] ||
       ! "$VENV/bin/python" -c 'import tensord._core, pytest' >/dev/null 2>&1; then
    log "installing the Python client into $VENV (builds tensord._core in $BUILD_DIR)"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check \
      "scikit-build-core>=0.8" "nanobind>=2.0"
    if [[ -f "$BUILD_DIR/CMakeCache.txt" ]] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$BUILD_DIR/CMakeCache.txt"; then
      rm -rf "$BUILD_DIR/CMakeCache.txt" "$BUILD_DIR/CMakeFiles"
    fi
    CMAKE_BUILD_PARALLEL_LEVEL=$JOBS "$VENV/bin/python" -m pip install -q \
      --disable-pip-version-check --no-build-isolation \
      --config-settings=build-dir="$BUILD_DIR" --config-settings=cmake.build-type="$BUILD_TYPE" \
      --config-settings=cmake.define.TENSORD_CLIENT_ONLY=OFF --config-settings=cmake.args=-GNinja \
      -e "$REPO/client/python[test]"
    echo "$stamp" >"$stamp_file"
  fi
fi

# ---------------------------------------------------------------- C++
if ((with_build)); then
  cache=$BUILD_DIR/CMakeCache.txt
  if [[ -f "$cache" ]] && ! grep -q '^CMAKE_GENERATOR:INTERNAL=Ninja$' "$cache"; then
    log "$BUILD_DIR was configured with another generator; reconfiguring with Ninja"
    rm -rf "$cache" "$BUILD_DIR/CMakeFiles"
  fi
  if [[ ! -f "$BUILD_DIR/build.ninja" ]]; then
    log "configuring $BUILD_DIR ($BUILD_TYPE)"
    python_flag=()
    ((with_python)) && python_flag=(-DTENSORD_BUILD_PYTHON=ON -DPython_EXECUTABLE="$VENV/bin/python")
    cmake -S "$REPO" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" \
      "${python_flag[@]}" >/dev/null
  fi
  # ninja re-runs cmake itself when a CMakeLists.txt changed.
  cmake --build "$BUILD_DIR" -j"$JOBS"
fi
