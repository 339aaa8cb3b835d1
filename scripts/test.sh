#!/usr/bin/env bash
# Builds what is missing, then runs every test: ctest (C++: engine, server,
# clients, CLI) and pytest (Python client against a real server, and against
# PyTorch: bootstrap --with-oracle installs python3-torch for
# tests/python/test_differential.py, which must then run, not skip; and
# --with-deploy installs Docker, compose, nginx, debootstrap and yamllint for
# the deploy tests: tests/deploy/*.sh in ctest, tests/python/test_proxy.py).
#
#   scripts/test.sh [extra pytest args...]
#
# Both suites always run; the exit status is non-zero if either failed. The
# last two lines are the ctest summary and pytest's summary.
set -uo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=${TENSORD_BUILD_DIR:-$REPO/build}
VENV=$REPO/.venv
export TENSORD_BUILD_DIR=$BUILD_DIR

start=$(date +%s)
"$REPO/scripts/bootstrap.sh" --with-oracle --with-deploy || { echo "test.sh: bootstrap failed" >&2; exit 2; }
built=$(date +%s)

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT

cd "$REPO"
echo "== ctest"
TENSORD_REQUIRE_DEPLOY=1 ctest --test-dir "$BUILD_DIR" --output-on-failure --no-tests=error -j2 2>&1 | tee "$logs/ctest.log"
ctest_rc=${PIPESTATUS[0]}
tested_cpp=$(date +%s)

echo "== pytest"
TENSORD_BIN=$BUILD_DIR/server/tensord TENSORD_REQUIRE_SERVER=1 TENSORD_REQUIRE_ORACLE=1 \
  TENSORD_REQUIRE_DEPLOY=1 \
  "$VENV/bin/python" -m pytest tests/python "$@" 2>&1 | tee "$logs/pytest.log"
pytest_rc=${PIPESTATUS[0]}
done_at=$(date +%s)

ctest_summary=$(grep -E 'tests passed|tests failed|No tests were found' "$logs/ctest.log" | tail -n1)
pytest_summary=$(grep -v '^[[:space:]]*$' "$logs/pytest.log" | tail -n1)
echo
echo "== summary (bootstrap $((built - start)) s, ctest $((tested_cpp - built)) s, pytest $((done_at - tested_cpp)) s)"
echo "ctest: ${ctest_summary:-no summary (exit $ctest_rc)}"
echo "${pytest_summary:-pytest: no summary (exit $pytest_rc)}"
if ((ctest_rc != 0 || pytest_rc != 0)); then
  exit 1
fi
