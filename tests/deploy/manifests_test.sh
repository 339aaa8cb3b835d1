#!/usr/bin/env bash
# The deploy/ files, checked offline: yamllint over deploy/, the Kubernetes
# manifests rendered with kustomize (base and GPU overlay) and validated
# strictly (unknown fields and wrong types fail) against the Kubernetes API
# schemas of kubernetes-validate (PyPI), and the compose file against the
# compose schema (docker-compose config -q).
#
#   tests/deploy/manifests_test.sh        (ctest: deploy_manifests)
#
# kustomize: `kubectl kustomize` (kubectl >= 1.21; without one the test
# skips); kubernetes-validate is pip-installed into <repo>/.venv when missing.
# Another missing tool exits 77 (skipped), or fails under TENSORD_REQUIRE_DEPLOY=1.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VENV=$REPO/.venv
K8S_VERSION=${TENSORD_K8S_VERSION:-1.30.0}
passed=0
failed=0
skip() {
  echo "manifests_test: $*"
  [[ "${TENSORD_REQUIRE_DEPLOY:-}" == 1 ]] && exit 1
  exit 77
}
check() {  # NAME COMMAND...
  local name=$1
  shift
  if "$@"; then
    passed=$((passed + 1)); echo "ok: $name"
  else
    failed=$((failed + 1)); echo "FAILED: $name"
  fi
}

command -v yamllint >/dev/null || skip "yamllint is missing (apt install yamllint)"
command -v docker-compose >/dev/null || skip "docker-compose is missing (apt install docker-compose)"
if ! "$VENV/bin/kubernetes-validate" --version >/dev/null 2>&1; then
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check kubernetes-validate ||
    skip "cannot pip install kubernetes-validate"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/tensord-manifests.XXXXXX")
trap 'rm -rf "$work"' EXIT

check "yamllint deploy/" yamllint -s -d "{extends: default, rules: {line-length: {max: 110}, document-start: disable, comments: {min-spaces-from-content: 1}}}" "$REPO/deploy"

if ! command -v kubectl >/dev/null; then
  # Not in Debian 12 (its kubernetes-client 1.20 has a kustomize too old for
  # these files); the machines this project runs on have kubectl 1.32.
  echo "manifests test: 0 passed, 0 failed, 1 skipped (no kubectl to render deploy/k8s)"
  exit 77
fi
for k in base overlays/gpu; do
  out=$work/${k//\//-}.yaml
  check "kustomize deploy/k8s/$k" kubectl kustomize "$REPO/deploy/k8s/$k" -o "$out"
  check "kubernetes-validate --strict deploy/k8s/$k (Kubernetes $K8S_VERSION)" \
    "$VENV/bin/kubernetes-validate" --strict --quiet -k "$K8S_VERSION" "$out"
done
# What the rendering must contain: the probes, the GPU request, the scrape.
check "base: native gRPC probes" grep -Eq '^ +grpc:$' "$work/base.yaml"
check "base: POD_NAME from the downward API" grep -q 'fieldPath: metadata.name' "$work/base.yaml"
check "base: prometheus scrape annotation" grep -q 'prometheus.io/scrape: "true"' "$work/base.yaml"
check "base: the proxy hashes on the session header" \
  grep -q 'hash \$http_tensord_session_id consistent' "$work/base.yaml"
check "gpu overlay: nvidia.com/gpu requested" grep -q 'nvidia.com/gpu: 1' "$work/overlays-gpu.yaml"
check "gpu overlay: image tensord:gpu" grep -q 'image: tensord:gpu' "$work/overlays-gpu.yaml"

# A typo must fail the strict schema check (the check can fail).
sed 's/readOnlyRootFilesystem/readOnlyRootFilesytem/' "$work/base.yaml" >"$work/typo.yaml"
check "a misspelt field is rejected" \
  bash -c "! '$VENV/bin/kubernetes-validate' --strict --quiet -k '$K8S_VERSION' '$work/typo.yaml' >/dev/null 2>&1"

mkdir -p "$work/certs"
touch "$work/certs/server.crt" "$work/certs/server.key" "$work/certs/ca.crt" "$work/certs/tokens"
check "docker-compose config -q deploy/docker-compose.yml" \
  env TENSORD_CERTS="$work/certs" docker-compose -f "$REPO/deploy/docker-compose.yml" config -q

echo "manifests test: $passed passed, $failed failed"
((failed == 0))
