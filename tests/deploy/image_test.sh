#!/usr/bin/env bash
# The container image as a user gets it: built from source by the Dockerfile,
# run, healthy, non-root, used by the Python client through a published port,
# scraped for metrics, stopped cleanly (exit 0); then deploy/docker-compose.yml
# with TLS and a token from deploy/dev-certs.sh, healthy, used by tensorctl.
#
#   tests/deploy/image_test.sh        (ctest: deploy_image)
#
# Starts dockerd when none answers (and stops it after); makes the
# debian:bookworm-slim base from the apt mirror when Docker has none
# (tests/deploy/docker_lib.sh). Without docker/debootstrap it exits 77
# (skipped), or fails under TENSORD_REQUIRE_DEPLOY=1.
# Environment: TENSORD_BUILD_DIR (tensorctl), TENSORD_IMAGE_TAG (tensord:ci).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD_DIR=${TENSORD_BUILD_DIR:-$REPO/build}
PYTHON=$REPO/.venv/bin/python
TENSORCTL=$BUILD_DIR/client/cpp/tensorctl
IMG=${TENSORD_IMAGE_TAG:-tensord:ci}
source "$REPO/tests/deploy/docker_lib.sh"

for tool in /usr/sbin/dockerd "$DOCKER" debootstrap docker-compose "$PYTHON" "$TENSORCTL"; do
  if ! command -v "$tool" >/dev/null; then
    echo "image_test: $tool is missing (scripts/bootstrap.sh --with-deploy installs the tools)"
    [[ "${TENSORD_REQUIRE_DEPLOY:-}" == 1 ]] && exit 1
    exit 77
  fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/tensord-image-test.XXXXXX")
name=tensord-image-test-$$
project=tensordtest$$
passed=0
cleanup() {
  "$DOCKER" rm -f "$name" >/dev/null 2>&1 || true
  TENSORD_CERTS="$work/certs" TENSORD_IMAGE="$IMG" \
    docker-compose -f "$REPO/deploy/docker-compose.yml" -p "$project" down -t 5 >/dev/null 2>&1 || true
  docker_down
  rm -rf "$work"
}
trap cleanup EXIT
step() { echo "[$SECONDS s] $*"; }
ok() { passed=$((passed + 1)); echo "ok: $*"; }
free_port() { "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_healthy() {  # CONTAINER
  local st=
  for _ in $(seq 90); do
    st=$("$DOCKER" inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$1")
    [[ "$st" == healthy || "$st" == exited ]] && break
    sleep 1
  done
  if [[ "$st" != healthy ]]; then
    echo "FAILED: $1 is $st"; "$DOCKER" logs "$1" 2>&1 | tail -30; exit 1
  fi
}

step "docker engine and base image"
docker_up
ensure_debian_base

step "docker build (from source; BuildKit layer and ccache caches reused when present)"
build_start=$SECONDS
if ! DOCKER_BUILDKIT=1 timeout 1800 "$DOCKER" build --progress=plain \
    --build-arg TENSORD_JOBS="${TENSORD_JOBS:-$(nproc)}" -t "$IMG" "$REPO" >"$work/build.log" 2>&1; then
  tail -60 "$work/build.log"; echo "FAILED: docker build"; exit 1
fi
size=$("$DOCKER" image inspect -f '{{.Size}}' "$IMG")
ok "image $IMG built in $((SECONDS - build_start)) s, $((size / 1000000)) MB"

step "docker run"
port=$(free_port); mport=$(free_port)
"$DOCKER" run -d --name "$name" -p "127.0.0.1:$port:50051" -p "127.0.0.1:$mport:9464" "$IMG" >/dev/null
wait_healthy "$name"
ok "container healthy (HEALTHCHECK: tensorctl health)"
uid=$("$DOCKER" exec "$name" id -u)
[[ "$uid" == 10001 ]] || { echo "FAILED: runs as uid $uid"; exit 1; }
ok "runs as uid 10001, not root"

step "Python client through the published port, then /metrics"
TENSORD_ADDRESS=127.0.0.1:$port "$PYTHON" - "$name" "$mport" <<'PY'
import sys, urllib.request
import tensord as torch
s = torch.connect()
x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
y = (x @ x).sum()
y.backward()
assert y.item() == 54.0, y.item()
assert x.grad.tolist() == [[7.0, 11.0], [9.0, 13.0]], x.grad.tolist()
print("session on instance", s.instance)
metrics = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % sys.argv[2], timeout=10).read().decode()
for needle in ('tensord_commands_total{op="matmul",code="OK"}', "tensord_sessions 1",
               'tensord_rpc_duration_seconds_count{method="/tensord.v1.Tensord/CreateSession"}',
               "tensord_build_info{", 'tensord_session_bytes{session="'):
    assert needle in metrics, (needle, metrics[:3000])
s.close()
PY
ok "Python client computed through the port; metrics counted it"

step "docker stop"
"$DOCKER" stop -t 20 "$name" >/dev/null
code=$("$DOCKER" inspect -f '{{.State.ExitCode}}' "$name")
[[ "$code" == 0 ]] || { echo "FAILED: exit code $code after docker stop"; "$DOCKER" logs "$name" 2>&1 | tail -20; exit 1; }
"$DOCKER" logs "$name" 2>&1 | grep -q 'event=shutdown signal=SIGTERM' ||
  { echo "FAILED: no SIGTERM drain in the log"; exit 1; }
ok "docker stop: SIGTERM drained, exit 0"

step "compose: TLS and a token from deploy/dev-certs.sh"
"$REPO/deploy/dev-certs.sh" "$work/certs" >/dev/null
export TENSORD_CERTS=$work/certs TENSORD_IMAGE=$IMG TENSORD_PORT=$(free_port) TENSORD_METRICS_PORT=$(free_port)
compose=(docker-compose -f "$REPO/deploy/docker-compose.yml" -p "$project")
"${compose[@]}" config -q
"${compose[@]}" up -d --no-build >"$work/compose.log" 2>&1 || { cat "$work/compose.log"; exit 1; }
wait_healthy "$("${compose[@]}" ps -q tensord)"
token=$(awk '{print $2; exit}' "$work/certs/tokens")
out=$("$TENSORCTL" --address "127.0.0.1:$TENSORD_PORT" --tls-ca "$work/certs/ca.crt" --token "$token" \
        eval 'ones(2, 3).sum()')
[[ "$out" == *"tensor(6.)"* ]] || { echo "FAILED: tensorctl eval over TLS said: $out"; exit 1; }
if "$TENSORCTL" --address "127.0.0.1:$TENSORD_PORT" --tls-ca "$work/certs/ca.crt" --token wrong \
     eval 'ones(1)' >/dev/null 2>&1; then
  echo "FAILED: a wrong token was accepted"; exit 1
fi
"${compose[@]}" down -t 20 >/dev/null 2>&1
ok "compose service healthy; TLS + token work, a wrong token is refused"

echo "image test: $passed passed, 0 failed (${SECONDS} s)"
